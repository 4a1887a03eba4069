"""Any process can take the next message: state lives in the database, not in memory."""

from __future__ import annotations

from bots.channels.terminal import TerminalSession
from bots.engine import Engine
from bots.testing import BotTester
from community.database import Database, make_engine, migrate
from community.settings import Settings
from tests.utils.members import show


def test_two_processes_continue_one_conversation(live_database_url: str, settings: Settings):
    from admin.schema import SCHEMAS

    migrate(live_database_url, SCHEMAS)
    first = Engine(db=Database(make_engine(live_database_url)), settings=settings)
    second = Engine(db=Database(make_engine(live_database_url)), settings=settings)
    said = ["/start", "lt", "sutinku", "uzsienyje", "Airijoje", "sportas", "ne"]
    for number, text in enumerate(said):
        BotTester(engine=(first, second)[number % 2], user_id="ona").say(text)
    member = show(second.db, "ona")
    assert (member["country"], member["interests"], member["return_intention"]) == (
        "IE",
        ["sport"],
        "no",
    )
    for engine in (first, second):
        engine.db.bind.dispose()


def test_terminal_numbers_press_the_buttons_just_shown(engine: Engine):
    import asyncio

    session = TerminalSession(engine, "terminal-user")
    asyncio.run(session.say("/start"))
    replies = asyncio.run(session.say("2"))  # 1. Lietuvių  2. English
    assert "Do you agree?" in replies[0].text
    replies = asyncio.run(session.say("1"))  # I agree
    assert "connection to Alytus" in replies[0].text
