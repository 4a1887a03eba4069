"""City polls (admins and editors): write a question with 2-6 choices in Lithuanian and
English for an audience, send it (each member of the audience is asked in chat, with a button
per choice), close it, and read the results by relation and by country: a stacked bar chart,
a table and a CSV. The JSON API lists polls and gives a poll's results.

The polls themselves live in community/polls.py; answering happens in chat (bots/polls.py).
"""

# No `from __future__ import annotations`: FastAPI must see the local `Staff` dependency
# alias as a real annotation, not a string it cannot resolve.
import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel import Locale
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from admin.audience_form import AUDIENCE_CHOICES, chooser_context, chosen_countries, ticked
from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from community import polls
from community.feed import AUDIENCE_KEYS
from community.models import Poll, as_utc
from community.timezones import DEFAULT_ZONE

MAX_ID = 2**31 - 1
PollId = Annotated[int, Path(ge=1, le=MAX_ID, description="The poll's id.")]
PALETTE = ["#0b6b3a", "#0a4f8a", "#d9822b", "#7b4fa0", "#168a8a", "#b0413e"]


class PollOut(BaseModel):
    id: int
    question_lt: str
    question_en: str
    choices: list[dict[str, str]]
    audience: dict[str, list[str]]
    status: str
    closes_at: str | None
    sent_at: str | None
    answers: int


class ResultsOut(BaseModel):
    """Answers per choice (in the order of `choices`), overall and by relation and country."""

    poll_id: int
    choices: list[dict[str, str]]
    total: int
    counts: list[int]
    by_relation: dict[str, list[int]]
    by_country: dict[str, list[int]]


class NotFound(BaseModel):
    detail: str


class FormError(ValueError):
    """A poll form that cannot be saved as it is; the message is shown on the form."""


# ---- reading the form --------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(ZoneInfo(DEFAULT_ZONE)).strftime("%Y-%m-%d %H:%M")


def _closing_time(text: str) -> datetime | None:
    """The form's closing time, read in Vilnius time, as UTC."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FormError("The closing time is not a date and time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(DEFAULT_ZONE))
    return moment.astimezone(UTC)


def _audience(chosen: Mapping[str, list[str]], values: Mapping[str, str]) -> dict[str, list[str]]:
    """The ticked audience, each value one the form offers; countries also typed as codes
    ('NO, GB')."""
    for key, allowed in AUDIENCE_CHOICES.items():
        unknown = [v for v in chosen.get(key, []) if v not in allowed]
        if unknown:
            raise FormError(f"Unknown {key.replace('_', ' ')}: {unknown[0][:40]}.")
    countries = chosen_countries(chosen, values)
    if any(len(code) != 2 or not code.isascii() or not code.isalpha() for code in countries):
        raise FormError("Countries are two-letter codes, like NO or GB.")
    return {
        key: countries if key == "countries" else list(chosen.get(key, [])) for key in AUDIENCE_KEYS
    }


def _choices(values: Mapping[str, str]) -> list[tuple[str, str]]:
    return [
        (values.get(f"choice_lt_{n}", ""), values.get(f"choice_en_{n}", ""))
        for n in range(1, polls.MAX_CHOICES + 1)
    ]


def _reach(session: Session, poll: Poll) -> int:
    return len(polls.audience_ids(session, poll))


def _poll_view(poll: Poll, answers: int) -> dict[str, Any]:
    return {
        "id": poll.id,
        "question_lt": poll.question_lt,
        "question_en": poll.question_en,
        "choices": poll.choices,
        "audience": poll.audience,
        "status": polls.state(poll),
        "closes_at": _iso(poll.closes_at),
        "sent_at": _iso(poll.sent_at),
        "answers": answers,
    }


# ---- results as a chart, tables and CSV --------------------------------------------------------


def _group_label(dimension: str, group: str) -> str:
    if dimension == "country" and group != polls.UNKNOWN:
        return str(Locale("en").territories.get(group, group))
    return group.replace("_", " ")


def stacked_bars(
    results: polls.PollResults, dimension: str, groups: dict[str, list[int]]
) -> dict[str, Any]:
    """Chart.js settings: a bar per group, stacked by choice."""
    labels = [_group_label(dimension, group) for group in groups]
    datasets = [
        {
            "label": choice["en"],
            "data": [counts[n] for counts in groups.values()],
            "backgroundColor": PALETTE[n % len(PALETTE)],
        }
        for n, choice in enumerate(results.choices)
    ]
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": {"stacked": True, "grid": {"display": False}},
                "y": {"stacked": True, "beginAtZero": True, "ticks": {"precision": 0}},
            },
            "plugins": {"legend": {"position": "bottom", "labels": {"boxWidth": 12}}},
        },
    }


def _cell(value: str | int) -> str | int:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet must not read a choice as a formula
    return value


def results_csv(results: polls.PollResults) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dimension", "group", "choice", "answers"])
    for row in results.rows():
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


# ---- the JSON API ------------------------------------------------------------------------------


def build_poll_api(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/api/polls", tags=["polls"])
    Staff = Annotated[StaffAccount, Depends(console.guard("polls"))]

    @router.get("", response_model=list[PollOut])
    def polls_api(staff: Staff) -> list[PollOut]:
        """Every poll, newest first, with its state and how many answered."""
        with console.db.session() as session:
            found = polls.polls_list(session)
            counts = polls.answer_counts(session, [poll.id for poll in found if poll.id])
            return [PollOut(**_poll_view(poll, counts.get(poll.id or 0, 0))) for poll in found]

    @router.get(
        "/{poll_id}/results", response_model=ResultsOut, responses={404: {"model": NotFound}}
    )
    def results_api(staff: Staff, poll_id: PollId) -> ResultsOut:
        """A poll's answers per choice, overall and by relation and by country."""
        with console.db.session() as session:
            try:
                return ResultsOut(**polls.results(session, poll_id).as_dict())
            except polls.UnknownPoll:
                raise HTTPException(404, f"No poll {poll_id}.") from None

    return router


# ---- the staff pages ---------------------------------------------------------------------------


def build_poll_pages(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/polls", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("polls"))]

    def form_page(
        request: Request,
        staff: StaffAccount,
        values: Mapping[str, str] | None = None,
        chosen: Mapping[str, list[str]] | None = None,
        error: str | None = None,
    ) -> HTMLResponse:
        with console.db.session() as session:
            audience = chooser_context(session, chosen)
        return console.pages.render(
            request,
            "admin/poll-new.html",
            staff,
            area="polls",
            title="New poll",
            values=values or {},
            numbers=range(1, polls.MAX_CHOICES + 1),
            zone=DEFAULT_ZONE,
            error=error,
            **audience,
            status_code=400 if error else 200,
        )

    @router.get("", response_class=HTMLResponse)
    def poll_list(request: Request, staff: Staff) -> HTMLResponse:
        with console.db.session() as session:
            found = polls.polls_list(session)
            counts = polls.answer_counts(session, [poll.id for poll in found if poll.id])
            rows = [
                {
                    "poll": poll,
                    "state": polls.state(poll),
                    "answers": counts.get(poll.id or 0, 0),
                    "closes": _local(poll.closes_at),
                }
                for poll in found
            ]
            session.expunge_all()
        return console.pages.render(
            request, "admin/polls.html", staff, area="polls", title="City polls", rows=rows
        )

    @router.get("/new", response_class=HTMLResponse)
    def poll_new(request: Request, staff: Staff) -> HTMLResponse:
        return form_page(request, staff)

    @router.post("")
    async def poll_create(request: Request, staff: Staff) -> Response:
        form = await request.form()
        values = {key: str(value) for key, value in form.items() if key != "csrf_token"}
        chosen = ticked(form)

        def create() -> int | None:
            audience = _audience(chosen, values)
            closes_at = _closing_time(values.get("closes_at", ""))
            with console.db.session() as session:
                poll = polls.create_poll(
                    session=session,
                    question_lt=values.get("question_lt", ""),
                    question_en=values.get("question_en", ""),
                    choices=_choices(values),
                    audience=audience,
                    closes_at=closes_at,
                    created_by=staff.email,
                )
                record(
                    session=session,
                    staff=staff,
                    action="poll.create",
                    target=str(poll.id),
                    after=_poll_view(poll, 0),
                )
                return poll.id

        try:
            poll_id = await run_in_threadpool(create)
        except (FormError, polls.PollError) as error:
            message = str(error)
            return form_page(request, staff, values, chosen, message[:1].upper() + message[1:])
        return console.pages.redirect(
            request, f"/admin/polls/{poll_id}", "Saved as a draft: send it when ready."
        )

    @router.get("/{poll_id}", response_class=HTMLResponse)
    def poll_page(request: Request, staff: Staff, poll_id: PollId) -> HTMLResponse:
        with console.db.session() as session:
            try:
                poll = polls.get_poll(session, poll_id)
            except polls.UnknownPoll:
                raise HTTPException(404, "No such poll.") from None
            results = polls.results(session, poll_id)
            reach = _reach(session, poll)
            session.expunge_all()
        charts = [
            {
                "title": f"By {dimension}",
                "dimension": dimension,
                "groups": groups,
                "settings": stacked_bars(results, dimension, groups),
                "labels": {group: _group_label(dimension, group) for group in groups},
            }
            for dimension, groups in (
                ("relation", results.by_relation),
                ("country", results.by_country),
            )
        ]
        return console.pages.render(
            request,
            "admin/poll.html",
            staff,
            area="polls",
            title=f"Poll {poll_id}",
            poll=poll,
            state=polls.state(poll),
            results=results,
            charts=charts,
            reach=reach,
            closes=_local(poll.closes_at),
            sent=_local(poll.sent_at),
            zone=DEFAULT_ZONE,
        )

    @router.get("/{poll_id}/results.csv")
    def poll_csv(staff: Staff, poll_id: PollId) -> Response:
        with console.db.session() as session:
            try:
                found = polls.results(session, poll_id)
            except polls.UnknownPoll:
                raise HTTPException(404, "No such poll.") from None
        return Response(
            results_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="alytus-poll-{poll_id}.csv"'},
        )

    @router.post("/{poll_id}/send")
    def poll_send(request: Request, staff: Staff, poll_id: PollId) -> Response:
        url = f"/admin/polls/{poll_id}"
        try:
            with console.db.session() as session:
                report = polls.send_poll(session=session, poll_id=poll_id)
                record(
                    session=session,
                    staff=staff,
                    action="poll.send",
                    target=str(poll_id),
                    after={
                        "asked": report.asked,
                        "already": report.already,
                        "unreachable": report.unreachable,
                    },
                )
        except polls.UnknownPoll:
            raise HTTPException(404, "No such poll.") from None
        except polls.PollError as error:
            return console.pages.redirect(request, url, f"Not sent: {error}.", "error")
        asked = f"Asked {report.asked} member{'' if report.asked == 1 else 's'} in chat"
        return console.pages.redirect(
            request,
            url,
            f"{asked}; {report.already} asked before, {report.unreachable} unreachable.",
        )

    @router.post("/{poll_id}/close")
    def poll_close(request: Request, staff: Staff, poll_id: PollId) -> Response:
        url = f"/admin/polls/{poll_id}"
        try:
            with console.db.session() as session:
                before = polls.state(polls.get_poll(session, poll_id))
                polls.close_poll(session=session, poll_id=poll_id)
                record(
                    session=session,
                    staff=staff,
                    action="poll.close",
                    target=str(poll_id),
                    before={"status": before},
                    after={"status": polls.CLOSED},
                )
        except polls.UnknownPoll:
            raise HTTPException(404, "No such poll.") from None
        except polls.PollError as error:
            return console.pages.redirect(request, url, f"Not closed: {error}.", "error")
        return console.pages.redirect(request, url, "Closed: no more answers are taken.")

    return router


def build_poll_router(console: Console) -> APIRouter:
    router = APIRouter()
    router.include_router(build_poll_api(console))
    router.include_router(build_poll_pages(console))
    return router
