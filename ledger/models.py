"""Tables of the ledger room (filled in by its first migration)."""
