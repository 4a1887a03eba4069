"""Every room's share of the database schema, listed here at the top of the app."""

from __future__ import annotations

from pathlib import Path

from community.database import COMMUNITY_SCHEMA, Schema
from knowledge.schema import KNOWLEDGE_SCHEMA
from ledger.schema import LEDGER_SCHEMA
from rewards.schema import REWARDS_SCHEMA

STAFF_SCHEMA = Schema(
    versions=Path(__file__).parent / "migrations" / "versions", models="admin.models"
)

SCHEMAS: tuple[Schema, ...] = (
    COMMUNITY_SCHEMA,
    KNOWLEDGE_SCHEMA,
    LEDGER_SCHEMA,
    REWARDS_SCHEMA,
    STAFF_SCHEMA,
)
