"""Platform update ids already handled: platforms redeliver, members get one answer."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from community.models import ProcessedUpdate


def claim_update(*, session: Session, platform: str, update_id: str) -> bool:
    """Record the update as handled; False if it was handled before (a redelivery)."""
    if session.get(ProcessedUpdate, (platform, update_id)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(platform=platform, update_id=update_id))
            session.flush()
    except IntegrityError:
        return False
    return True
