"""The way home (`/home`): a returning member walks the checklist in either language, reads
the knowledge base's answer for each step with its source, marks steps done (kept across
restarts) and asks for a human coordinator."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import select

from bots import way_home
from bots.catalog import LANGUAGES, default_catalog
from bots.engine import Engine
from bots.messages import Incoming
from bots.testing import BotTester, verify_dialog
from bots.turn import Turn
from community.database import Database
from community.handovers import REPLY_MESSAGE
from community.members import find_member
from community.models import Conversation, Handover, WayHomeStep
from community.settings import Settings
from knowledge.articles import archive_article
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths
from knowledge.models import Article

LT_JOIN = ("/start", "lietuviskai", "taip, sutinku", "gyvenu uzsienyje", "gyvenu norvegijoj, osle")
LT_JOIN_END = ("darbas ir renginiai", "planuoju per metus")
EN_JOIN = ("/start", "english", "yes", "emigrant", "Ireland, Dublin", "jobs", "[return:maybe]")


def with_way_home(engine: Engine) -> Engine:
    """The engine with the way-home flow among its flows (typed "atlikta" and notes).

    bots/engine.py lists its flows itself; until it lists WayHomeFlow, tests add it here."""
    engine.flows.setdefault(way_home.FLOW, way_home.WayHomeFlow())
    return engine


@pytest.fixture
def engine(db: Database, settings: Settings) -> Iterator[Engine]:
    report = import_paths(db=db, paths=[ARTICLES_DIR], author="test")
    assert not report.failed
    yield with_way_home(Engine(db=db, settings=settings))


def join(bot: BotTester, steps: tuple[str, ...]) -> BotTester:
    for step in steps:
        bot.press(step[1:-1]) if step.startswith("[") else bot.say(step)
    return bot


@pytest.fixture
def ona(engine: Engine) -> BotTester:
    """An emigrant in Oslo who plans to come back within a year, in Lithuanian."""
    bot = join(BotTester(engine=engine, user_id="ona"), LT_JOIN + LT_JOIN_END)
    assert "pakvietimo kodas" in bot.text()
    return bot


@pytest.fixture
def sean(engine: Engine) -> BotTester:
    """An emigrant in Dublin who may come back, in English."""
    bot = join(BotTester(engine=engine, user_id="sean"), EN_JOIN)
    assert "invitation code" in bot.text()
    return bot


def links(bot: BotTester) -> list[str]:
    return [link.url for reply in bot.last for link in reply.links]


def member_id(db: Database, user: str) -> int:
    with db.session() as session:
        member = find_member(session=session, platform="terminal", user_id=user)
        assert member is not None and member.id is not None
        return member.id


def test_a_returning_member_walks_the_checklist_in_lithuanian_without_diacritics(
    ona: BotTester, db: Database
):
    verify_dialog(
        ona,
        [
            ("/home", ["Kelias namo", "Atlikta 0 iš 6", "⬜ 2. Deklaruoti gyvenamąją vietą"]),
            (
                "/home deklaravimas",
                [
                    "2 žingsnis iš 6: Deklaruoti gyvenamąją vietą",
                    "Kas turi deklaruoti.",  # the article's own first paragraph
                    "Šaltinis: „Gyvenamosios vietos deklaravimas Alytuje: internetu ir gyvai“",
                ],
            ),
        ],
    )
    assert any(url.startswith("https://") for url in links(ona))
    assert "**" not in ona.text()  # Markdown emphasis is not shown
    verify_dialog(
        ona,
        [
            (
                "atlikta",
                ["Pažymėjau kaip atliktą: „Deklaruoti gyvenamąją vietą“", "Atlikta 1 iš 6"],
            ),
            ("[/home step health]", ["PSD įmoka", "Šaltinis: „Privalomasis sveikatos draudimas"]),
            ("[/home done health]", ["Atlikta 2 iš 6", "✅ 3. Susitvarkyti privalomąjį"]),
            ("/home atlikta 1", ["„Pasitarti su „Grįžtu LT““", "Atlikta 3 iš 6"]),
            ("/home neatlikta griztu", ["pažymėjau kaip dar neatliktą", "Atlikta 2 iš 6"]),
            ("/namo uzimtumo tarnyba", ["5 žingsnis iš 6", "uzt.lt", "Šaltinis: „Registracija"]),
        ],
    )
    # the second article of the step is offered to read as well
    verify_dialog(ona, [("[/home read lt-nedarbo-ismoka-grizus]", "Nedarbo išmoka grįžus")])
    with db.session() as session:
        rows = session.exec(select(WayHomeStep).order_by(WayHomeStep.step)).all()
        assert [row.step for row in rows] == ["health", "residence"]


def test_a_returning_member_walks_the_checklist_in_english(sean: BotTester):
    verify_dialog(
        sean,
        [
            ("/home", ["The way home", "0 of 6 done", "⬜ 6. For your children"]),
            (
                "[/home step children]",
                ["Step 6 of 6", "Ugdau alytiškį", "Source: “School places for returning children"],
            ),
        ],
    )
    assert "/home read en-kindergartens" in sean.payloads()
    verify_dialog(
        sean,
        [
            ("[/home read en-kindergartens]", "Source: “Kindergartens in Alytus"),
            ("/home done school", ["Marked as done: “For your children", "1 of 6 done"]),
            # Grįžtu LT is answered from the paragraph that names it
            ("[/home step griztu]", ["Step 1 of 6", "Since January 2024", "www.griztu.lt"]),
            (
                "done",
                [
                    "2 of 6 done",
                    "✅ 1. Talk to Grįžtu LT, the state's returnee advice centre – done",
                ],
            ),
        ],
    )


def test_where_to_start_falls_back_to_english_with_a_note(ona: BotTester, sean: BotTester):
    ona.say("/home")
    verify_dialog(
        ona, [("[/home intro]", ["Atsakymą radau tik anglų kalba:", "Declare your residence"])]
    )
    sean.say("/home")
    verify_dialog(sean, [("[/home intro]", "Moving back to Alytus: a first-month checklist")])
    assert "Atsakymą radau" not in sean.text() and "only in Lithuanian" not in sean.text()


def test_a_step_whose_article_is_archived_shows_the_other_language(ona: BotTester, db: Database):
    with db.session() as session:
        archive_article(session=session, article_id="lt-psd-grizus", author="test")
    verify_dialog(
        ona,
        [("/home step health", ["Atsakymą radau tik anglų kalba:", "Health insurance and seeing"])],
    )


def test_progress_survives_a_restart(ona: BotTester, db: Database, settings: Settings):
    ona.say("/home done residence")
    ona.say("/home done psd")
    restarted = BotTester(engine=with_way_home(Engine(db=db, settings=settings)), user_id="ona")
    verify_dialog(
        restarted,
        [("/home", ["Atlikta 2 iš 6", "✅ 2. Deklaruoti gyvenamąją vietą – atlikta"])],
    )
    assert "/home step residence" in restarted.payloads()
    labels = [button.label for reply in restarted.last for button in reply.buttons]
    assert "✅ Deklaravimas" in labels and "Šeimos gydytojas" in labels


def test_a_member_asks_for_a_coordinator_with_a_note(ona: BotTester, db: Database):
    ona.say("/home done residence")
    verify_dialog(
        ona,
        [
            ("[/home coordinator]", ["Koordinatorius", "Siųsti be žinutės"]),
            (
                "grizstame su dviem vaikais rugpjuti, nezinau nuo ko pradeti",
                "perdaviau koordinatoriui",
            ),
        ],
    )
    with db.session() as session:
        [handover] = session.exec(select(Handover)).all()
        assert handover.member_id == member_id(db, "ona")
        assert handover.topic == "way_home" and handover.status == "open"
        assert handover.platform == "terminal"
        assert handover.note == "grizstame su dviem vaikais rugpjuti, nezinau nuo ko pradeti"
        assert handover.progress == {"done": ["residence"], "total": 6}
    # asking again while the request is open adds to it
    verify_dialog(
        ona,
        [
            ("/home koordinatorius", "Trumpai parašykite"),
            ("[/home send]", "ankstesnis prašymas dar laukia"),
        ],
    )
    with db.session() as session:
        assert len(session.exec(select(Handover)).all()) == 1


def test_a_coordinator_request_without_a_note_and_one_called_off(sean: BotTester, db: Database):
    verify_dialog(
        sean,
        [
            ("/home coordinator", "Send without a note"),
            ("[/home cancel]", "nothing was sent"),
            ("/home coordinator", "Send without a note"),
            ("never mind", "nothing was sent"),
            ("/home coordinator", "Send without a note"),
            ("[/home send]", "a coordinator, who will write back here"),
        ],
    )
    with db.session() as session:
        [handover] = session.exec(select(Handover)).all()
        assert handover.note == "" and handover.progress == {"done": [], "total": 6}


def test_a_stranger_reads_the_checklist_but_must_join_to_keep_progress(engine: Engine):
    bot = BotTester(engine=engine, user_id="visitor", locale="en")
    verify_dialog(
        bot,
        [
            ("/home", ["0 of 6 done", "Join the community"]),
            ("[/home step residence]", "Source: “Declaring your place of residence"),
        ],
    )
    assert "/home done residence" not in bot.payloads()
    verify_dialog(bot, [("/home done residence", "for community members")])
    assert "/start" in bot.payloads()
    verify_dialog(bot, [("/home coordinator", "for community members")])


def test_other_text_while_a_step_is_open_leaves_the_step(ona: BotTester):
    ona.say("/home step doctor")
    assert "Kaip prisirašyti." in ona.text()  # the part of the article about registering
    verify_dialog(ona, [("kas vyksta savaitgali?", "paspauskite „✅ Atlikta“")])
    assert "/home done doctor" in ona.payloads()
    ona.say("atlikta")
    assert "Atlikta 1 iš 6" not in ona.text()  # the step was left: typing no longer marks it
    ona.press_stale("/home done doctor")  # the hint's button still works
    assert "Atlikta 1 iš 6" in ona.text()


def test_unknown_steps_and_stale_buttons(ona: BotTester):
    verify_dialog(
        ona,
        [
            ("/home done nieko", ["Tokio žingsnio neradau", "Atlikta 0 iš 6"]),
            ("/home read lt-vaiko-pinigai", "Žinių bazėje apie tai kol kas nieko nėra"),
            ("/home 9", "Tokio žingsnio neradau"),
        ],
    )


def turn_for(session, settings: Settings, user: str) -> Turn:  # type: ignore[no-untyped-def]
    member = find_member(session=session, platform="terminal", user_id=user)
    assert member is not None
    return Turn(
        session=session,
        settings=settings,
        catalog=default_catalog(),
        member=member,
        conversation=session.get(Conversation, member.id) or Conversation(member_id=member.id),
        incoming=Incoming(platform="terminal", user_id=user, text="noriu pasikalbeti su zmogumi"),
        text="noriu pasikalbeti su zmogumi",
        payload=None,
    )


def test_talk_to_a_human_gives_the_contacts_and_asks_for_a_note(
    ona: BotTester, db: Database, settings: Settings
):
    with db.session() as session:
        turn = turn_for(session, settings, "ona")
        replies = way_home.handoff(turn)
        session.add(turn.conversation)
    assert "+370 315 55 111" in replies[0].text and "palikti žinutę" in replies[1].text
    verify_dialog(ona, [("man reikia pagalbos del mokesciu", "perdaviau koordinatoriui")])
    with db.session() as session:
        [handover] = session.exec(select(Handover)).all()
        assert handover.topic == "talk_to_human"


def test_the_checklist_is_offered_to_members_planning_to_return(
    ona: BotTester, db: Database, settings: Settings
):
    with db.session() as session:
        offer = way_home.offer(turn_for(session, settings, "ona"))
        assert offer is not None and offer.buttons[0].payload == "/home"
        turn = turn_for(session, settings, "ona")
        turn.member.return_intention = "no"
        assert way_home.offer(turn) is None
        assert way_home.offer(turn, always=True) is not None


def test_export_and_erasure_cover_progress_and_requests(ona: BotTester, db: Database):
    ona.say("/home done residence")
    ona.say("/home coordinator")
    ona.say("padekite su PSD")
    with db.session() as session:
        data = way_home.export_member(session=session, member_id=member_id(db, "ona"))
        assert [row["step"] for row in data["steps_done"]] == ["residence"]
        assert data["coordinator_requests"][0]["note"] == "padekite su PSD"
        removed = way_home.forget_member(session=session, member_id=member_id(db, "ona"))
        assert removed == ["way_home_progress", "coordinator_requests"]
        assert not session.exec(select(WayHomeStep)).all()
        assert not session.exec(select(Handover)).all()


def test_every_step_has_its_texts_and_articles(db: Database):
    catalog = default_catalog()
    plan = way_home.load_checklist()
    assert [step.id for step in plan.steps] == [
        "griztu", "residence", "health", "doctor", "work", "children"
    ]  # fmt: skip
    keys = {plan.overview_label, REPLY_MESSAGE}
    for step in plan.steps:
        keys |= {step.label, step.button, step.explain}
        assert set(step.articles) == set(LANGUAGES), step.id
    for language in LANGUAGES:
        assert keys <= catalog.keys(language), keys - catalog.keys(language)
    import_paths(db=db, paths=[ARTICLES_DIR], author="test")
    with db.session() as session:
        for ref in plan.refs().values():
            article = session.get(Article, ref.id)
            assert article is not None, ref.id
            if ref.find:
                shown = way_home.excerpt(article.body, find=ref.find)
                assert shown.startswith(ref.find), (ref.id, shown[:80])


def test_an_excerpt_is_whole_paragraphs_of_plain_text():
    body = "# Title\n\nFirst **bold** lead. Two.\n\n- a list\n- of things\n\n" + "Long. " * 300
    assert way_home.excerpt(body, chars=45) == "First bold lead. Two.\n\n- a list\n- of things"
    assert way_home.excerpt(body, find="- a list", chars=20) == "- a list\n- of things"
    long = way_home.excerpt("Start.\n\n" + "Long sentence here. " * 100, find="long", chars=100)
    assert long.endswith("…") and len(long) < 150
    assert re.match(r"^Long sentence here\.", long)
