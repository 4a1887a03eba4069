"""Tables of the Alytus Passport, partners and offers (filled in by their migration)."""
