"""Rewards as a member meets them in chat: points for joining and for a friend who joined,
the ledger proof, level-ups announced, event check-in codes, the passport card, offers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.members import find_member
from community.models import utcnow
from community.settings import Settings
from ledger.outbox import sync
from rewards.checkins import create_checkin_code
from rewards.invitations import invitation_counts, send_mayor_invitation
from rewards.journal import award
from rewards.partners import add_offer, add_partner


def join(tester: BotTester, code: str | None = None) -> None:
    for step in (f"/start {code}" if code else "/start", "english", "yes", "emigrant"):
        tester.say(step)
    for step in ("Ireland, Dublin", "jobs", "[return:maybe]"):
        tester.press(step[1:-1]) if step.startswith("[") else tester.say(step)


def member_id(db: Database, tester: BotTester) -> int:
    with db.session() as session:
        member = find_member(session=session, platform=tester.platform, user_id=tester.user_id)
        assert member is not None and member.id is not None
        return member.id


def test_joining_earns_points_and_the_ledger_proof_follows(
    engine: Engine, db: Database, settings: Settings
):
    bot = BotTester(engine=engine, user_id="ona")
    join(bot)
    verify_dialog(bot, [("/points", ["You have 80 points", "waiting to be recorded"])])
    report = sync(db=db, settings=settings)
    assert report.recorded >= 2
    verify_dialog(bot, [("/points", ["joining the community", "recorded on the ledger"])])


def test_a_friend_who_joins_lifts_the_inviter_a_level_announced_in_chat(
    engine: Engine, db: Database
):
    inviter = BotTester(engine=engine, user_id="inviter")
    join(inviter)
    inviter.say("/invite")
    code = inviter.text().split("code: ")[1].split()[0]
    friend = BotTester(engine=engine, user_id="friend", platform="web")
    join(friend, code)
    verify_dialog(
        inviter,
        [
            ("/points", ["You have 180 points", "a friend you invited joined"]),
        ],
    )
    assert "Congratulations! You reached level 2" in inviter.text()
    inviter.say("/points")
    assert "Congratulations" not in inviter.text()  # announced once


def test_an_event_code_pays_once_and_the_passport_comes_at_its_level(
    engine: Engine, db: Database, settings: Settings
):
    bot = BotTester(engine=engine, user_id="jonas")
    join(bot)
    with db.session() as session:
        now = utcnow()
        code = create_checkin_code(
            session,
            event="Alytaus gimtadienis",
            points=None,
            valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(hours=2),
        )
    verify_dialog(
        bot,
        [
            ("/passport", ["Alytus Passport at the level", "more points"]),
            (f"/checkin {code.lower()}", "Thank you for coming! You got 40 points"),
            (f"/checkin {code}", "already checked in"),
            ("/checkin NOPE42", "could not find that event code"),
        ],
    )
    with db.session() as session:
        award(
            session=session,
            settings=settings,
            member_id=member_id(db, bot),
            rule="manual",
            key="volunteer-day",
            points=200,
            reason="helped at the volunteer day",
        )
        partner = add_partner(session=session, name="Kavinė Dzūkija")
        add_offer(
            session=session,
            partner_id=partner.id,
            title_lt="10 % nuolaida kavai",
            title_en="10% off coffee",
            min_level=2,
        )
    bot.say("/passport")
    reply = bot.last[0]
    assert "Your Alytus Passport no." in reply.text
    assert reply.image and "/passport/card.png?t=" in reply.image
    assert any("/passport/verify#t=" in link.url for link in reply.links)
    verify_dialog(bot, [("/offers", ["Kavinė Dzūkija: 10% off coffee"])])


def test_in_lithuanian_typed_words_ask_for_points(
    db: Database, settings: Settings, nlu_parser: Any
):
    bot = BotTester(engine=Engine(db=db, settings=settings, parser=nlu_parser), user_id="rasa")
    for step in ("/start", "lietuviskai", "sutinku", "gyvenu alytuje", "sportas"):
        bot.say(step)
    verify_dialog(bot, [("kiek turiu tasku?", "Turite 80 tšk.")])


def test_the_mayors_invitation_reaches_active_members_who_answer_with_a_button(
    engine: Engine, db: Database, settings: Settings
):
    active, quiet = (
        BotTester(engine=engine, user_id="active"),
        BotTester(engine=engine, user_id="quiet"),
    )
    join(active)
    join(quiet)
    with db.session() as session:
        award(
            session=session,
            settings=settings,
            member_id=member_id(db, active),
            rule="manual",
            key="festival-volunteer",
            points=500,
            reason="volunteered all summer",
        )
        report = send_mayor_invitation(
            session=session, event="Alytaus miesto šventė", held_on=date(2027, 6, 12), min_level=3
        )
    assert report.invited == 1
    active.say("/help")
    assert "The Mayor of Alytus invites you to Alytaus miesto šventė (2027-06-12)" in active.text()
    yes = next(p for p in active.payloads() if p.startswith("/rsvp") and p.endswith("yes"))
    verify_dialog(active, [(f"[{yes}]", "we look forward to seeing you")])
    quiet.say("/help")
    assert "Mayor" not in quiet.text()
    with db.session() as session:
        assert invitation_counts(session, report.invitation_id)["yes"] == 1
