"""Coordinator requests in the admin: staff see who asked (language, relation, country,
checklist progress, never a platform handle), write back, and the member reads the answer
in the chat; every change is in the audit log; partners are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from admin.audit import entries
from bots import way_home
from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.models import Handover
from community.settings import Settings
from rewards.partners import add_partner
from tests.admin.console import StaffBrowser

USER = "ona-tg-5550123"  # a platform user id that must never show in the admin


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    """The admin's engine, with the way-home flow (typed notes) among its flows."""
    engine = Engine(db=db, settings=settings)
    engine.flows.setdefault(way_home.FLOW, way_home.WayHomeFlow())
    return engine


@pytest.fixture
def ona(engine: Engine) -> BotTester:
    """A member in Oslo planning to come back, who asked for a coordinator with a note."""
    bot = BotTester(engine=engine, user_id=USER)
    for step in (
        "/start",
        "lietuviskai",
        "taip, sutinku",
        "gyvenu uzsienyje",
        "gyvenu norvegijoj, osle",
        "darbas",
        "planuoju per metus",
        "/home done residence",
        "/home coordinator",
        "grizstame rugpjuti su vaikais, nuo ko pradeti?",
    ):
        bot.say(step)
    assert "perdaviau koordinatoriui" in bot.text()
    return bot


def only_request(db: Database) -> int:
    with db.session() as session:
        [handover] = session.exec(select(Handover)).all()
        assert handover.id is not None
        return handover.id


def test_a_moderator_answers_and_the_member_reads_it_in_the_chat(
    ona: BotTester, staff_as: Callable[..., StaffBrowser], db: Database
):
    moderator = staff_as("moderator")
    page = moderator.get("/admin/handovers")
    assert page.status_code == 200
    for shown in ("Request #", "lt", "emigrant", "NO", "1 of 6 done", "Declare your place"):
        assert shown in page.text, shown
    assert "grizstame rugpjuti su vaikais" in page.text
    assert USER not in page.text and "terminal" not in page.text
    handover_id = only_request(db)

    answered = moderator.post(
        f"/admin/handovers/{handover_id}/reply",
        {"answer": "Sveiki, Ona! Pirmiausia deklaruokite gyvenamąją vietą – paskambinsiu."},
    )
    assert answered.status_code == 303
    assert "Answer sent" in moderator.get("/admin/handovers?status=answered").text

    verify_dialog(
        ona,
        [("/home", ["Koordinatoriaus atsakymas", "Sveiki, Ona! Pirmiausia deklaruokite"])],
    )
    ona.say("/home")
    assert "Koordinatoriaus atsakymas" not in ona.text()  # told once

    again = moderator.post(f"/admin/handovers/{handover_id}/reply", {"answer": "Dar kartą"})
    assert again.status_code == 303
    assert "already answered" in moderator.get("/admin/handovers").text

    closed = moderator.post(f"/admin/handovers/{handover_id}/close")
    assert closed.status_code == 303
    with db.session() as session:
        handover = session.get(Handover, handover_id)
        assert handover is not None and handover.status == "closed"
        [reply] = entries(session=session, action="handover.reply")
        assert reply.staff_email == "moderator@alytus.test"
        assert reply.target == f"handover {handover_id}"
        assert reply.after and reply.after["status"] == "answered"
        [close] = entries(session=session, action="handover.close")
        assert close.before == reply.after and close.after["status"] == "closed"


def test_the_json_list_by_status(ona: BotTester, staff_as: Callable[..., StaffBrowser]):
    editor = staff_as("editor")
    listed = editor.api("GET", "/admin/api/handovers?status=open")
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["language"], row["relation"], row["country"]) == ("lt", "emigrant", "NO")
    assert row["progress"] == {"done": ["residence"], "total": 6}
    assert row["topic"] == "way_home" and row["status"] == "open"
    assert USER not in listed.text
    assert editor.api("GET", "/admin/api/handovers?status=closed").json() == []
    assert len(editor.api("GET", "/admin/api/handovers").json()) == 1
    assert editor.api("GET", "/admin/api/handovers?status=bogus").status_code == 422


def test_bad_input_is_refused_without_a_server_error(
    ona: BotTester, staff_as: Callable[..., StaffBrowser], db: Database
):
    moderator = staff_as("moderator")
    handover_id = only_request(db)
    assert moderator.post("/admin/handovers/0/reply", {"answer": "x"}).status_code == 422
    assert moderator.post(f"/admin/handovers/{2**40}/close").status_code == 422
    missing = moderator.post("/admin/handovers/999999/reply", {"answer": "Labas"})
    assert missing.status_code == 303
    assert "No coordinator request #999999" in moderator.get("/admin/handovers").text
    empty = moderator.post(f"/admin/handovers/{handover_id}/reply", {"answer": "   "})
    assert empty.status_code == 303
    assert "Write the answer first" in moderator.get("/admin/handovers").text
    too_long = moderator.post(f"/admin/handovers/{handover_id}/reply", {"answer": "x" * 5000})
    assert too_long.status_code == 422
    assert moderator.get("/admin/handovers?status=nonsense").status_code == 422
    with db.session() as session:
        assert not entries(session=session, action="handover.reply")


def test_a_partner_is_refused(ona: BotTester, staff_as: Callable[..., StaffBrowser], db: Database):
    with db.session() as session:
        partner_id = add_partner(session=session, name="Kavinė Test").id
    partner = staff_as("partner", partner_id=partner_id)
    handover_id = only_request(db)
    assert partner.get("/admin/handovers").status_code == 403
    assert partner.api("GET", "/admin/api/handovers").status_code == 403
    refused = partner.post(f"/admin/handovers/{handover_id}/reply", {"answer": "Labas"})
    assert refused.status_code == 403
    assert partner.post(f"/admin/handovers/{handover_id}/close").status_code == 403
    with db.session() as session:
        handover = session.get(Handover, handover_id)
        assert handover is not None and handover.status == "open"
