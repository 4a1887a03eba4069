"""Tables of the rewards room (filled in by its first migration)."""
