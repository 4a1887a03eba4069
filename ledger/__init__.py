"""Ledger room: the on-chain record of rewards (not built yet)."""
