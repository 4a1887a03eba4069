"""`/news`, `/optout KIND` and `/optin KIND` in the member's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bots.broadcasting import render_item
from bots.catalog import default_catalog
from bots.channels.wire import reply_to_json
from bots.engine import Engine
from bots.events import rsvp_buttons
from bots.messages import Incoming
from bots.news import more_like, news, opt_in, opt_out, shorten
from bots.testing import BotTester, verify_dialog
from bots.turn import Turn
from community.database import Database
from community.events import local_time
from community.feed import audience_query, create_item
from community.members import find_member
from community.models import Conversation, Member, utcnow
from community.settings import Settings
from tests.community.test_feed import add_member, item

FAIR_LT = (
    "Kalėdų mugėje Rotušės aikštėje prekiaus daugiau nei šimtas amatininkų ir ūkininkų iš "
    "visos Dzūkijos: medaus, sūrių, keramikos, megztinių ir žaislų. Vaikams – Kalėdų senelio "
    "namelis, karuselės ir dirbtuvės, suaugusiems – karštas vynas ir koncertai kiekvieną "
    "vakarą. Įėjimas nemokamas; automobilius prašome palikti prie Dainavos parko, iš ten "
    "kursuos nemokami autobusai. Daugiau apie programą ir prekeivius – miesto svetainėje."
)
FAIR_EN = (
    "More than a hundred craftspeople and farmers from all over Dzūkija will sell honey, "
    "cheese, pottery, sweaters and toys at the Christmas fair on the Town Hall square. For "
    "children there is Santa's cottage, carousels and workshops, for grown-ups mulled wine "
    "and a concert every evening. Entry is free; please leave cars by Dainava park, free "
    "buses run from there. More about the programme and the sellers on the city's website."
)


def turn_for(session, settings: Settings, member: Member) -> Turn:  # type: ignore[no-untyped-def]
    return Turn(
        session=session,
        settings=settings,
        catalog=default_catalog(),
        member=member,
        conversation=Conversation(member_id=member.id),
        incoming=Incoming(platform="telegram", user_id="1", text="/news"),
        text="/news",
        payload=None,
    )


def test_news_lists_the_latest_items_for_the_member_each_link_once_on_its_card(
    db: Database, settings: Settings
):
    """Before: the links were on the reply too, and the web chat showed the titles again as
    a link list above the cards."""
    with db.session() as session:
        member = add_member(session, user="1", language="en", country="NO", interests=("sport",))
        item(session, kind="job")
        item(session, kind="event", countries=["GB"])  # not for Norway
        [reply] = news(turn_for(session, settings, member))
        assert reply.text.startswith("The latest news for you")
        assert [card.title for card in reply.cards] == ["Jobs: A job in Alytus"]
        assert reply.cards[0].links[0].url == "https://alytus.lt/darbas"
        assert reply.links == ()
        assert json.dumps(reply_to_json(reply)).count("https://alytus.lt/darbas") == 1
        choices = [(button.label, button.payload) for button in reply.cards[0].buttons]
        assert choices == [("👍 More like this", "/more job"), ("👎 No more: Jobs", "/optout job")]


def test_more_like_this_is_offered_only_where_the_kind_is_not_yet_an_interest(
    db: Database, settings: Settings
):
    """Before: "Daugiau tokių" under a job for a member who chose jobs answered only that
    jobs were already among their interests."""
    with db.session() as session:
        member = add_member(session, user="1", language="lt", interests=("jobs",))
        item(session, kind="job")
        a_fair(session)
        [reply] = news(turn_for(session, settings, member))
        labels = {card.title: [b.label for b in card.buttons] for card in reply.cards}
        assert labels["Darbo pasiūlymai: Darbas Alytuje"] == ["👎 Nebesiųsti: Darbo pasiūlymai"]
        assert labels["Renginiai: Kalėdų mugė"][-2:] == [
            "👍 Daugiau tokių",
            "👎 Nebesiųsti: Renginiai",
        ]


def test_news_in_lithuanian_and_when_there_is_none(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="lt")
        [reply] = news(turn_for(session, settings, member))
        assert reply.text.startswith("Kol kas naujienų jums nėra")
        item(session, kind="job")
        [reply] = news(turn_for(session, settings, member))
        assert reply.cards[0].title == "Darbo pasiūlymai: Darbas Alytuje"


def test_opt_out_by_code_or_word_and_back_in(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="lt")
        job = item(session, kind="job")
        turn = turn_for(session, settings, member)
        [reply] = opt_out(turn, "darbas")
        assert "nebesiųsime žinių apie: Darbo pasiūlymai" in reply.text
        assert "/optin job" in reply.text
        assert member.id not in session.exec(audience_query(session, job)).all()
        [reply] = opt_out(turn, "job")
        assert "jau nesiunčiame" in reply.text
        [reply] = opt_out(turn, "gossip")
        assert "Tokios temos nežinau" in reply.text and "mentoring" in reply.text
        [reply] = opt_in(turn, "Darbo pasiūlymai")
        assert "Vėl siųsime" in reply.text
        assert member.id in session.exec(audience_query(session, job)).all()


def test_news_asks_a_stranger_to_join(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", onboarded=False, language="en")
        [reply] = news(turn_for(session, settings, member))
        assert "Join us" in reply.text and reply.buttons[0].payload == "/start"


def test_in_chat_news_and_its_opt_out_button_go_through_the_engine(engine: Engine, db: Database):
    bot = BotTester(engine=engine, user_id="jonas")
    for step in ("/start", "english", "yes", "emigrant", "Norway, Oslo", "jobs", "[return:maybe]"):
        bot.press(step[1:-1]) if step.startswith("[") else bot.say(step)
    with db.session() as session:
        item(session, kind="job")
    verify_dialog(bot, [("/news", ["The latest news for you", "A job in Alytus"])])
    verify_dialog(bot, [("[/optout job]", "/optin job")])
    verify_dialog(bot, [("/news", "No news for you yet")])


def test_an_event_time_reads_as_alytus_time_in_both_languages(db: Database):
    """Stored in UTC; a member in London must not read the UTC hour as the start."""
    catalog = default_catalog()
    with db.session() as session:
        fair = create_item(
            session=session,
            kind="event",
            title_lt="Kalėdų mugė",
            title_en="Christmas fair",
            body_lt="Rotušės aikštėje.",
            body_en="On the town hall square.",
            starts_at=datetime(2026, 12, 20, 16, 0, tzinfo=UTC),  # 18:00 in Alytus (UTC+2)
        )
        summer = create_item(
            session=session,
            kind="event",
            title_lt="Miesto šventė",
            title_en="City festival",
            body_lt="Prie Nemuno.",
            body_en="By the Nemunas.",
            starts_at=datetime(2027, 7, 1, 16, 0, tzinfo=UTC),  # 19:00 in Alytus (UTC+3)
        )
        assert "Kada: 2026-12-20 18:00 (Alytaus laiku)" in render_item(catalog, fair, "lt").text
        assert "When: 2026-12-20 18:00 (Alytus time)" in render_item(catalog, fair, "en").text
        assert "2027-07-01 19:00" in render_item(catalog, summer, "en").text


def a_fair(session, days: int = 10):  # type: ignore[no-untyped-def]
    return create_item(
        session=session,
        kind="event",
        title_lt="Kalėdų mugė",
        title_en="Christmas fair",
        body_lt=FAIR_LT,
        body_en=FAIR_EN,
        url="https://alytus.lt/muge",
        starts_at=(utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0),
        place="Rotušės aikštė, Alytus",
    )


def test_a_news_card_reads_the_item_cut_short_with_date_place_and_link(
    db: Database, settings: Settings
):
    """Before: a card was the title and the reason; no place, and the whole body or none."""
    with db.session() as session:
        fair = a_fair(session)
        when = local_time(fair.starts_at)
        for language, body, words in (
            ("en", FAIR_EN, ("When: ", "(Alytus time)", "Where: Rotušės aikštė, Alytus")),
            ("lt", FAIR_LT, ("Kada: ", "(Alytaus laiku)", "Kur: Rotušės aikštė, Alytus")),
        ):
            member = add_member(session, user=f"fair-{language}", language=language)
            [reply] = news(turn_for(session, settings, member))
            [card] = reply.cards
            assert card.title in ("Events: Christmas fair", "Renginiai: Kalėdų mugė")
            assert f"{words[0]}{when} {words[1]}" in card.text
            assert words[2] in card.text
            shown = card.text.splitlines()[-1]
            assert shown.endswith("…") and 150 < len(shown) <= 290, shown
            kept = shown.removesuffix("…").removesuffix(" ")
            assert body.startswith(kept) and body[len(kept)] in " .", "cut inside a word"
            assert card.links[0].url == "https://alytus.lt/muge"
            assert card.links[0].label in ("Read more", "Skaityti daugiau")
            payloads = [button.payload for button in card.buttons]
            assert payloads == [f"/events yes {fair.id}", f"/events no {fair.id}"] + [
                "/more event",
                "/optout event",
            ]


def test_a_text_is_cut_after_a_sentence_or_at_a_word_never_inside_one():
    assert shorten("Trumpas tekstas.") == "Trumpas tekstas."
    sentences = "Pirmas sakinys apie mugę. " * 12
    cut = shorten(sentences, 100)
    assert cut.endswith("mugę. …") and len(cut) <= 102
    words = "žodis " * 80
    cut = shorten(words, 100)
    assert cut.endswith("žodis…") and len(cut) <= 101
    assert shorten("Ilgas, " * 40, 50).endswith("Ilgas…")


def test_the_broadcast_of_an_event_says_where_it_is(db: Database):
    with db.session() as session:
        fair = a_fair(session)
        assert "Kur: Rotušės aikštė, Alytus" in render_item(default_catalog(), fair, "lt").text
        reply = render_item(default_catalog(), fair, "en")
        assert "Where: Rotušės aikštė, Alytus" in reply.text
        assert [b.payload for b in reply.buttons] == ["/more event", "/optout event"]


def test_more_like_this_puts_the_kind_higher_and_fewer_turns_it_off(engine: Engine, db: Database):
    """A resident who chose jobs sees the job first; "more like this" under the mentoring
    item adds mentoring to their interests, and the newer mentoring item now comes first."""
    bot = BotTester(engine=engine, user_id="more")
    bot.say("/start")
    for payload in ("lang:en", "consent:all", "relation:resident", "interest:jobs"):
        bot.press(payload)
    bot.press("interest:done")
    with db.session() as session:
        item(session, kind="job")
        create_item(
            session=session,
            kind="mentoring",
            title_lt="Mentorystė grįžusiems",
            title_en="Mentoring for returnees",
            body_lt="Patyrę alytiškiai padeda grįžusiems.",
            body_en="Experienced Alytus people help returnees.",
        )
    bot.say("/news")
    titles = [card.title for card in bot.last[0].cards]
    assert titles == ["Jobs: A job in Alytus", "Mentoring: Mentoring for returnees"]
    verify_dialog(
        bot,
        [
            (
                "[/more mentoring]",
                ["I added “Mentoring” to your interests", "will come higher in /news"],
            ),
            ("[/news]", "Mentoring: Mentoring for returnees"),
        ],
    )
    assert bot.last[0].cards[0].title == "Mentoring: Mentoring for returnees"
    assert "/more mentoring" not in bot.payloads() and "/optout mentoring" in bot.payloads()
    with db.session() as session:
        member = find_member(session=session, platform="terminal", user_id="more")
        assert member is not None and set(member.interests) == {"jobs", "mentoring"}
    verify_dialog(
        bot,
        [
            ("/more mentoring", "already one of your interests"),  # typed: no longer offered
            ("[/news]", "A job in Alytus"),
            ("[/optout mentoring]", "no more news about: Mentoring"),
            ("/news", "A job in Alytus"),
        ],
    )
    assert [card.title for card in bot.last[0].cards] == ["Jobs: A job in Alytus"]


def test_more_like_this_needs_consent_to_personalise_and_says_so(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="lt", interests=("jobs",))
        [reply] = more_like(turn_for(session, settings, member), "renginiai")
        assert "Nieko nepakeičiau" in reply.text and "/privacy" in reply.text
        assert [b.payload for b in reply.buttons] == ["/privacy"]
        assert member.interests == ["jobs"]
        [reply] = more_like(turn_for(session, settings, member), "pranesimai")
        assert "siunčiami visiems nariams" in reply.text


def test_news_offers_no_past_event_and_a_past_date_reads_as_past(db: Database, settings: Settings):
    """An event that has started is not in /news (nor offered to answer); an item of
    another kind with a start already gone says "Took place", not "When"."""
    with db.session() as session:
        member = add_member(session, user="past", language="en", interests=("sport",))
        over = a_fair(session, days=-2)
        fair = create_item(
            session=session,
            kind="job",
            title_lt="Darbo mugė",
            title_en="Job fair",
            body_lt="Įmonės ieško darbuotojų.",
            body_en="Companies are hiring.",
            url="https://alytus.lt/darbo-muge",
            starts_at=utcnow() - timedelta(days=1),
            place="Kultūros centras, Alytus",
        )
        [reply] = news(turn_for(session, settings, member))
        assert [card.title for card in reply.cards] == ["Jobs: Job fair"]
        [card] = reply.cards
        assert f"Took place: {local_time(fair.starts_at)} (Alytus time)" in card.text
        assert "When:" not in card.text and "Where: Kultūros centras, Alytus" in card.text
        assert not any(b.payload.startswith("/events") for b in card.buttons)
        assert rsvp_buttons(default_catalog(), over, "en") == ()
