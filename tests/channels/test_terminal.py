"""`alytus chat`: every button shown is numbered, a card's buttons too, and typing the number
presses it; `--json` keeps its shape, cards carrying their buttons."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator

from sqlmodel import select

from bots.channels.terminal import (
    TerminalSession,
    offered,
    replies_as_text,
    run_interactive,
    run_json,
)
from bots.channels.wire import reply_to_json
from bots.engine import Engine
from bots.messages import Button, Card, Reply
from community.database import Database
from community.models import EventRsvp
from tests.bots.test_news import a_fair
from tests.community.test_feed import add_member


def a_member_and_a_fair(db: Database, user: str, language: str = "lt") -> int:
    """A member who chose jobs on the terminal, and the Christmas fair ten days on."""
    with db.session() as session:
        add_member(session, user=user, platform="terminal", language=language)
        fair = a_fair(session)
        assert fair.id is not None
        return fair.id


def typed(lines: list[str]) -> Iterator[str]:
    yield from lines
    raise EOFError


def chat(engine: Engine, user: str, lines: list[str]) -> str:
    """What `alytus chat --user USER` prints for these typed lines."""
    screen = io.StringIO()
    script = typed(lines)
    run_interactive(engine, user, read=lambda prompt: next(script), out=screen)
    return screen.getvalue()


def test_news_cards_buttons_are_numbered_and_typing_the_number_presses_them(
    engine: Engine, db: Database
):
    """Before: /news cards showed no buttons in the terminal, and "1" was not understood."""
    fair_id = a_member_and_a_fair(db, "ona")
    screen = chat(engine, "ona", ["/news", "1"])
    news = screen[screen.index("Naujausios žinios jums:") :]
    assert "[Renginiai: Kalėdų mugė]" in news
    assert "Skaityti daugiau: https://alytus.lt/muge" in news
    for line in ("  1. Dalyvausiu", "  2. Nedalyvausiu", "  3. 👍 Daugiau tokių"):
        assert line in news, news
    assert "  4. 👎 Nebesiųsti: Renginiai" in news
    assert "Puiku, lauksime jūsų!" in news.split("  4. 👎 Nebesiųsti: Renginiai", 1)[1]
    with db.session() as session:
        [answer] = session.exec(select(EventRsvp).where(EventRsvp.item_id == fair_id)).all()
        assert answer.answer == "yes"


def test_card_buttons_are_numbered_after_the_replys_own_across_replies():
    replies = [
        Reply(
            text="Pirmas",
            buttons=(Button("Meniu", "/help"),),
            cards=(Card(title="A", text="a", buttons=(Button("Taip", "/a yes"),)),),
        ),
        Reply(text="Antras", cards=(Card(title="B", buttons=(Button("Ne", "/b no"),)),)),
    ]
    shown = replies_as_text(replies)
    assert "  1. Meniu" in shown and "  2. Taip" in shown and "  3. Ne" in shown
    assert shown.index("  1. Meniu") < shown.index("[A] a") < shown.index("  2. Taip")
    assert [button.payload for button in offered(replies)] == ["/help", "/a yes", "/b no"]


def test_a_number_presses_a_card_button_in_json_mode_too(engine: Engine, db: Database):
    """`--json` is unchanged: cards carry their buttons; a number presses the one counted."""
    fair_id = a_member_and_a_fair(db, "tom", language="en")
    session = TerminalSession(engine, "tom")
    [reply] = asyncio.run(session.say("/news"))
    data = json.loads(json.dumps(reply_to_json(reply), ensure_ascii=False))
    assert set(data) == {"text", "buttons", "links", "image", "cards", "file", "forget"}
    assert data["links"] == [] and data["buttons"] == []
    [card] = data["cards"]
    assert card["buttons"][0] == {"label": "I will come", "payload": f"/events yes {fair_id}"}
    [answered] = asyncio.run(session.say("2"))
    assert "Thanks for letting us know" in answered.text
    with db.session() as found:
        [answer] = found.exec(select(EventRsvp).where(EventRsvp.item_id == fair_id)).all()
        assert answer.answer == "no"


def test_alytus_chat_json_prints_one_line_per_line_with_card_buttons(engine: Engine, db: Database):
    fair_id = a_member_and_a_fair(db, "jonas", language="en")
    out = io.StringIO()
    run_json(engine, "jonas", ["/news\n", "1\n"], out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    payloads = [b["payload"] for b in first["replies"][0]["cards"][0]["buttons"]]
    assert payloads == [f"/events yes {fair_id}", f"/events no {fair_id}", "/more event"] + [
        "/optout event"
    ]
    assert "we look forward to seeing you" in second["replies"][0]["text"]
