"""The audit log: every staff change, with who, what, when, and the state before and after.

Screens call `record` in the same transaction as the change, so a change without its audit
line (or the other way round) cannot be committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from admin.models import AuditEntry, StaffAccount


def _plain(value: Any) -> Any:
    """JSON-safe copy (dates as ISO text) of what a screen hands over."""
    return json.loads(json.dumps(value, default=_iso)) if value is not None else None


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def record(
    *,
    session: Session,
    staff: StaffAccount,
    action: str,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit line for a change `staff` made."""
    entry = AuditEntry(
        staff_id=staff.id,
        staff_email=staff.email,
        action=action[:60],
        target=target[:200],
        before=_plain(before),
        after=_plain(after),
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    *, session: Session, action: str | None = None, staff_email: str | None = None, limit: int = 200
) -> Sequence[AuditEntry]:
    """The newest lines first, optionally only one action or one staff member's."""
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if staff_email:
        query = query.where(AuditEntry.staff_email == staff_email.strip().lower())
    return session.exec(query.limit(limit)).all()


def changed_fields(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field whose value changed, for the log screen."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
