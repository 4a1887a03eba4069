"""One person on two platforms: `/link` gives a ten-minute code on one, typing it on the other
joins the accounts, and the member is recognised on both (same points, same profile)."""

from __future__ import annotations

import re
from datetime import timedelta

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.members import find_member
from community.models import LinkCode


def join(tester: BotTester) -> None:
    for step in ("/start", "english", "yes", "i live in alytus", "sport"):
        tester.say(step)


def code_in(tester: BotTester) -> str:
    found = re.search(r"link code: ([A-Z0-9]{6})", tester.text())
    assert found, tester.text()
    return found.group(1)


def member_id(db: Database, platform: str, user_id: str) -> int | None:
    with db.session() as session:
        member = find_member(session=session, platform=platform, user_id=user_id)
        return member.id if member else None


def test_a_code_from_one_platform_joins_the_account_on_another(engine: Engine, db: Database):
    web = BotTester(engine=engine, user_id="ona-web", platform="web")
    join(web)
    web.say("/link")
    code = code_in(web)
    telegram = BotTester(engine=engine, user_id="4242", platform="telegram")
    verify_dialog(telegram, [(f"/link {code.lower()}", "Linked!")])
    assert member_id(db, "telegram", "4242") == member_id(db, "web", "ona-web")
    verify_dialog(telegram, [("/points", "You have 80 points")])
    verify_dialog(telegram, [(f"/link {code}", "already been used")])


def test_codes_expire_are_used_once_and_never_merge_two_members(engine: Engine, db: Database):
    first = BotTester(engine=engine, user_id="first")
    join(first)
    first.say("/link")
    old = code_in(first)
    first.say("/link")
    fresh = code_in(first)
    stranger = BotTester(engine=engine, user_id="555", platform="telegram")
    verify_dialog(stranger, [(f"/link {old}", "kodo neradau")])
    other = BotTester(engine=engine, user_id="other", platform="discord")
    join(other)
    verify_dialog(other, [(f"/link {fresh}", "already has its own membership")])
    assert member_id(db, "discord", "other") != member_id(db, "terminal", "first")
    with db.session() as session:
        row = session.get(LinkCode, fresh)
        row.expires_at = row.expires_at - timedelta(minutes=11)
        session.add(row)
    verify_dialog(stranger, [(f"/link {fresh}", "nebegalioja")])
    verify_dialog(
        BotTester(engine=engine, user_id="nobody"), [("/link", "Pirmiausia prisijunkite")]
    )
