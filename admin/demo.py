"""`alytus init --demo`: fictional content so a fresh install has something to show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from community.database import Database
from community.members import (
    ensure_referral_code,
    get_or_create_member,
    has_consent,
    record_consent,
)
from community.models import utcnow
from community.profile import ConsentPurpose
from community.settings import Settings

DEMO_FILE = Path(__file__).with_name("demo.yml")


def load_demo(db: Database, settings: Settings) -> Iterator[str]:
    """Create the demo members once (loading twice changes nothing); yield report lines."""
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    created = 0
    with db.session() as session:
        for row in data["members"]:
            member, _ = get_or_create_member(
                session=session, platform="demo", user_id=row["user"], language=row["language"]
            )
            assert member.id is not None
            if has_consent(session=session, member_id=member.id, purpose=ConsentPurpose.MEMBERSHIP):
                continue
            for purpose in ConsentPurpose:
                record_consent(
                    session=session,
                    member_id=member.id,
                    purpose=purpose,
                    granted=True,
                    notice_version=settings.privacy_notice_version,
                    source="demo",
                )
            for field in ("relation", "country", "city", "interests", "return_intention"):
                setattr(member, field, row[field])
            member.onboarded_at = utcnow()
            ensure_referral_code(session=session, member=member)
            session.add(member)
            created += 1
    yield f"demo members: {created} created, {len(data['members']) - created} already there"
