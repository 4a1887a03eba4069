"""Tables of the staff admin: staff accounts, failed logins (for rate limiting) and the audit
log of every staff change. Table names carry a `staff_` prefix."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from community.models import utcnow


class StaffRole(StrEnum):
    """What a staff member may do; admin/roles.py says which screens each role opens."""

    ADMIN = "admin"
    EDITOR = "editor"
    MODERATOR = "moderator"
    PARTNER = "partner"  # a merchant's staff: checks passports, records redemptions


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


class StaffAccount(SQLModel, table=True):
    """A person who runs Alytus Connect (or a partner's cashier); never a member."""

    __tablename__ = "staff_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    partner_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("rewards_partner.id", ondelete="SET NULL"), nullable=True
        ),
    )
    active: bool = Field(default=True)
    # bumped on password or role change, so sessions signed before it stop working
    session_epoch: int = Field(default=0)
    created_at: datetime = _when(default_factory=utcnow)
    last_login_at: datetime | None = _when(default=None)


class LoginFailure(SQLModel, table=True):
    """A failed login, kept briefly so guessing passwords is slowed by email and address."""

    __tablename__ = "staff_login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = _when(default_factory=utcnow, index=True)


class AuditEntry(SQLModel, table=True):
    """One staff change: who, what, on what, when, and the state before and after."""

    __tablename__ = "staff_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=utcnow, index=True)
    staff_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("staff_account.id", ondelete="SET NULL"), nullable=True
        ),
    )
    staff_email: str = Field(max_length=320)
    action: str = Field(max_length=60, index=True)
    target: str = Field(default="", max_length=200)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class StaffSession(SQLModel, table=True):
    """A staff login, held on the server. The cookie carries only a random token; this row
    holds its sha256, so logging out (the row deleted) ends every copy of the cookie, and a
    session unused for ALYTUS_ADMIN_SESSION_IDLE_HOURS ends by itself."""

    __tablename__ = "staff_session"

    id: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("staff_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = _when(default_factory=utcnow)
    last_seen_at: datetime = _when(default_factory=utcnow, index=True)
