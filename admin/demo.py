"""`alytus init --demo`: fictional content so a fresh install has something to show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from admin.demo_activity import load_demo_activity
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
from rewards.journal import award
from rewards.partners import add_offer, add_partner, list_partners

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
            session.flush()
            for rule in ("onboarding.complete", "profile.complete"):
                award(
                    session=session,
                    settings=settings,
                    member_id=member.id,
                    rule=rule,
                    key=str(member.id),
                )
            created += 1
    yield f"demo members: {created} created, {len(data['members']) - created} already there"
    yield from _load_partners(db, data.get("partners", []))
    yield from load_demo_activity(db, settings)


def _load_partners(db: Database, partners: list[dict[str, Any]]) -> Iterator[str]:
    """The demo partners and their offers, once (a partner already there is left alone)."""
    added = 0
    with db.session() as session:
        known = {partner.name for partner in list_partners(session=session)}
        for row in partners:
            if row["name"] in known:
                continue
            partner = add_partner(session=session, name=row["name"], address=row.get("address"))
            assert partner.id is not None
            for offer in row.get("offers", []):
                add_offer(session=session, partner_id=partner.id, **offer)
            added += 1
    yield f"demo partners: {added} added, {len(partners) - added} already there"
