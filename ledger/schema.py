"""The ledger room's share of the database schema (an Alembic branch of its own)."""

from __future__ import annotations

from pathlib import Path

from community.database import Schema

LEDGER_SCHEMA = Schema(
    versions=Path(__file__).parent / "migrations" / "versions", models="ledger.models"
)
