"""Coordinator requests: members who asked for a person (from the way-home checklist or by
saying so), newest first, with their language, relation, country and checklist progress;
staff write back (the member is told on the channel they asked on) and close them; plus the
list as JSON.

Platform handles are never shown: staff answer through the bot.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from admin.roles import allowed
from bots.catalog import default_catalog
from bots.way_home import load_checklist
from community.handovers import (
    MAX_ANSWER_CHARS,
    HandoverError,
    HandoverStatus,
    answer_handover,
    close_handover,
    count_open,
    list_handovers,
)
from community.models import Handover, Member

HandoverId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an SQL integer
StatusFilter = Literal["open", "answered", "closed"]
PAGE_FILTERS = ("open", "answered", "closed", "all")


class Problem(BaseModel):
    detail: str


class ProgressOut(BaseModel):
    done: list[str]
    total: int


class HandoverOut(BaseModel):
    """A member's request for a coordinator, as staff see it (no platform handles)."""

    id: int
    member_id: int
    topic: str
    status: str
    note: str
    language: str
    relation: str | None
    country: str | None
    progress: ProgressOut
    created_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    closed_at: datetime | None


def _progress(handover: Handover) -> ProgressOut:
    raw = handover.progress or {}
    done = [str(step) for step in raw.get("done", []) if isinstance(step, str)]
    total = raw.get("total")
    return ProgressOut(done=done, total=total if isinstance(total, int) else len(done))


def handover_out(handover: Handover, member: Member) -> HandoverOut:
    assert handover.id is not None
    return HandoverOut(
        id=handover.id,
        member_id=handover.member_id,
        topic=handover.topic,
        status=handover.status,
        note=handover.note,
        language=member.language,
        relation=member.relation,
        country=member.country,
        progress=_progress(handover),
        created_at=handover.created_at,
        answer=handover.answer,
        answered_by=handover.answered_by,
        answered_at=handover.answered_at,
        closed_at=handover.closed_at,
    )


def step_labels() -> dict[str, str]:
    """The checklist's steps as staff read them (English)."""
    catalog = default_catalog()
    return {step.id: catalog.text("en", step.label) for step in load_checklist().steps}


def _snapshot(handover: Handover) -> dict[str, Any]:
    return {"status": handover.status, "answer": handover.answer}


def build_handover_router(console: Console) -> APIRouter:
    router = APIRouter()
    pages = APIRouter(prefix="/admin/handovers", include_in_schema=False)
    api = APIRouter(
        prefix="/admin/api/handovers",
        tags=["coordinator requests"],
        responses={
            401: {"model": Problem, "description": "Not logged in"},
            403: {"model": Problem, "description": "This role cannot open coordinator requests"},
        },
    )
    Staff = Annotated[StaffAccount, Depends(console.guard("handovers"))]

    @pages.get("", response_class=HTMLResponse)
    def handovers(
        request: Request,
        staff: Staff,
        status: Annotated[Literal["open", "answered", "closed", "all"], Query()] = "open",
    ) -> HTMLResponse:
        with console.db.session() as session:
            rows = [
                handover_out(handover, member)
                for handover, member in list_handovers(
                    session=session, status=None if status == "all" else status
                )
            ]
            waiting = count_open(session=session)
        return console.pages.render(
            request,
            "admin/handovers.html",
            staff,
            area="handovers",
            title="Coordinator requests",
            rows=rows,
            status=status,
            filters=PAGE_FILTERS,
            waiting=waiting,
            steps=step_labels(),
            max_answer=MAX_ANSWER_CHARS,
            can_open_members=allowed(staff.role, "members"),
        )

    @pages.post("/{handover_id}/reply")
    def reply(
        request: Request,
        staff: Staff,
        handover_id: HandoverId,
        answer: Annotated[str, Form(max_length=MAX_ANSWER_CHARS * 2)] = "",
    ) -> Response:
        with console.db.session() as session:
            try:
                handover = answer_handover(
                    session=session, handover_id=handover_id, answer=answer, staff_email=staff.email
                )
            except HandoverError as problem:
                return console.pages.redirect(request, "/admin/handovers", str(problem), "error")
            record(
                session=session,
                staff=staff,
                action="handover.reply",
                target=f"handover {handover_id}",
                before={"status": HandoverStatus.OPEN, "answer": None},
                after=_snapshot(handover),
            )
        return console.pages.redirect(
            request, "/admin/handovers", f"Answer sent to request #{handover_id}."
        )

    @pages.post("/{handover_id}/close")
    def close(request: Request, staff: Staff, handover_id: HandoverId) -> Response:
        with console.db.session() as session:
            try:
                handover = session.get(Handover, handover_id)
                before = _snapshot(handover) if handover else {}
                handover = close_handover(session=session, handover_id=handover_id)
            except HandoverError as problem:
                return console.pages.redirect(request, "/admin/handovers", str(problem), "error")
            record(
                session=session,
                staff=staff,
                action="handover.close",
                target=f"handover {handover_id}",
                before=before,
                after=_snapshot(handover),
            )
        return console.pages.redirect(
            request, "/admin/handovers", f"Request #{handover_id} closed."
        )

    @api.get("", response_model=list[HandoverOut])
    def api_handovers(staff: Staff, status: StatusFilter | None = None) -> list[HandoverOut]:
        """Coordinator requests, newest first; only those of one status when given."""
        with console.db.session() as session:
            return [
                handover_out(handover, member)
                for handover, member in list_handovers(session=session, status=status)
            ]

    router.include_router(pages)
    router.include_router(api)
    return router
