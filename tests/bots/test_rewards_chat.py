"""Rewards as a member meets them in chat: points for joining and for a friend who joined,
the city register (ledger) and its public check page, level-ups that say what earned them,
event check-in codes, the passport explained and its card, offers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from admin.web import create_app
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
from rewards.rules import set_rule

TX_HASH = re.compile(r"0x[0-9a-fA-F]{6,}")


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
    assert bot.last[0].links == (), "nothing to check before it is recorded"
    report = sync(db=db, settings=settings)
    assert report.recorded >= 2
    verify_dialog(
        bot,
        [
            (
                "/points",
                [
                    "+50 joining the community – recorded in the city register",
                    "+30 a complete profile – recorded in the city register",
                    "no personal data",
                ],
            )
        ],
    )
    assert not TX_HASH.search(bot.text()), "a raw transaction hash in the chat"
    [check] = bot.last[0].links
    assert check.label == "Check in the city register"
    assert len(check.url) < 90, f"a link too long to read as text: {check.url}"

    # the link opens the public page, which asks the chain about those two rewards
    page = TestClient(create_app(settings, engine=engine)).get(
        f"{urlsplit(check.url).path}?{urlsplit(check.url).query}"
    )
    assert page.status_code == 200
    assert page.text.count('data-status="recorded"') == 2
    assert "✓ Recorded: 50 points" in page.text and "✓ Recorded: 30 points" in page.text


def test_the_register_check_page_says_what_it_does_not_find(engine: Engine, settings: Settings):
    client = TestClient(create_app(settings, engine=engine))
    unknown = client.get("/ledger/check", params={"r": "0x" + "ab" * 32, "lang": "lt"})
    assert unknown.status_code == 200 and "✗ Registre nerasta" in unknown.text
    empty = client.get("/ledger/check", params={"r": "not-a-reward"})
    assert empty.status_code == 400 and "/points" in empty.text


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
    assert (
        "Congratulations! You reached level 2 – “Neighbour”. What earned it: a friend you "
        "invited joined (+100 points); you now have 180 points."
    ) in inviter.text()
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
            ("/passport", ["You get it at level 3", "170 more points to go"]),
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
    assert (
        "What earned it: helped at the volunteer day (+200 points); you now have 320 points. "
        "This level brings the Alytus Passport"
    ) in bot.text()
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
    # how to earn more, with the rules as they stand
    expected = ["Turite 80 tšk.", "Kaip surinkti taškų", "kvietimu (/invite) – 100 tšk."]
    verify_dialog(bot, [("kaip gauti daugiau tasku", expected)])


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


def test_the_passport_explained_what_it_is_how_to_earn_how_far_and_who_gives_what(
    engine: Engine, db: Database
):
    """Before: "You will get the Alytus Passport at the level … – 170 more points." only."""
    with db.session() as session:
        cafe = add_partner(session=session, name="Kavinė Dzūkija", address="Rotušės a. 1")
        add_offer(
            session=session,
            partner_id=cafe.id,
            title_lt="10 % nuolaida kavai",
            title_en="10% off coffee",
            min_level=3,
        )
        gym = add_partner(session=session, name="Sporto klubas Nemunas")
        add_offer(
            session=session,
            partner_id=gym.id,
            title_lt="Mėnuo nemokamai",
            title_en="A month free",
            min_level=4,
        )
        set_rule(session=session, code="event.checkin", points=60)  # staff's rule holds
    bot = BotTester(engine=engine, user_id="pasas")
    join(bot)
    verify_dialog(
        bot,
        [
            (
                "/passport",
                [
                    "The Alytus Passport is the Alytus community's member card on your phone",
                    "discounts",
                    "You get it at level 3, “Community member”: 250 points. You have 80 now – "
                    "170 more points to go.",
                    "How to earn points:",
                    "• joining the community – 50 points",
                    "• a complete profile (/profile) – 30 points",
                    "• each friend who joins through your invitation (/invite) – 100 points",
                    "• taking part in an event (type the code you get there: /checkin CODE) – "
                    "60 points",
                    "• answering a city poll (/poll) – 10 points",
                    "• Kavinė Dzūkija (Rotušės a. 1): 10% off coffee",
                    "• Sporto klubas Nemunas: A month free (from level 4)",
                ],
            )
        ],
    )
    assert {"/invite", "/events", "/points"} <= set(bot.payloads())


def test_asked_in_lithuanian_without_diacritics_what_the_passport_is(
    db: Database, settings: Settings, nlu_parser: Any
):
    bot = BotTester(engine=Engine(db=db, settings=settings, parser=nlu_parser), user_id="pasas")
    for step in ("/start", "lietuviskai", "sutinku", "gyvenu alytuje", "sportas"):
        bot.say(step)
    verify_dialog(
        bot,
        [
            (
                "kas yra alytaus pasas",
                [
                    "Alytiškio pasas – Alytaus bendruomenės nario kortelė jūsų telefone",
                    "Pasą gausite pasiekę 3 lygį „Bendruomenės narys“ – 250 tšk. Dabar turite "
                    "80 tšk., liko surinkti 170 tšk.",
                    "Kaip surinkti taškų:",
                    "• prisijungimas prie bendruomenės – 50 tšk.",
                    "Partnerių nuolaidų kol kas nėra",
                ],
            )
        ],
    )
