"""Feed and broadcasts screen (admins and editors): compose an item in both languages for
an audience, see live how many members it reaches, send it now or at a time, and follow a
broadcast's progress.

The live count builds the same audience query `plan` uses (joined, not erased, NEWS consent
now, not opted out of the item's kind), so the number staff see is the number planned.
Sending is planning: the deliveries are written here and `alytus worker` sends them; a
scheduled broadcast is planned by the worker once its time has passed.
"""

# No `from __future__ import annotations`: FastAPI must see the local `Staff` dependency
# alias as a real annotation, not a string it cannot resolve.
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from admin.audience_form import chooser_context, chosen_countries, ticked
from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from community import broadcasts
from community.feed import AUDIENCE_KEYS, FeedError, FeedKind, audience_count, create_item
from community.feed import make_audience as normalised_audience
from community.models import Broadcast, FeedItem, as_utc, utcnow
from community.profile import Interest, Relation, ReturnIntention
from community.timezones import DEFAULT_ZONE

MAX_ID = 2**31 - 1
ZONES = (
    DEFAULT_ZONE,
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Oslo",
    "Europe/Berlin",
    "America/New_York",
)
LIST_SIZE = 30
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
BroadcastId = Annotated[int, Path(ge=1, le=MAX_ID)]


class AudienceIn(BaseModel):
    """Who an item is for; an empty list means everyone (community/feed.py)."""

    model_config = ConfigDict(extra="forbid")

    relations: list[Relation] = Field(default_factory=list, max_length=20)
    countries: list[CountryCode] = Field(default_factory=list, max_length=250)
    interests: list[Interest] = Field(default_factory=list, max_length=20)
    languages: list[Literal["lt", "en"]] = Field(default_factory=list, max_length=5)
    return_intentions: list[ReturnIntention] = Field(default_factory=list, max_length=5)
    kind: FeedKind = Field(
        default=FeedKind.ANNOUNCEMENT,
        description="The item's kind: members who opted out of it are not counted.",
    )

    def audience(self) -> dict[str, list[str]]:
        return normalised_audience(
            **{key: [str(value) for value in getattr(self, key)] for key in AUDIENCE_KEYS}
        )


class AudienceCount(BaseModel):
    count: int


class BroadcastOut(BaseModel):
    id: int
    item_id: int
    status: str
    planned: int
    counts: dict[str, int]
    done: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    next_due_at: str | None
    scheduled_for: str | None


class NotFound(BaseModel):
    detail: str


class ComposeError(ValueError):
    """A composed item that cannot be saved as it is; the message is shown on the form."""


# ---- reading the composer --------------------------------------------------------------------


def reach(session: Session, kind: str, audience: dict[str, list[str]]) -> int:
    """How many members an item of `kind` for `audience` reaches now: `plan`'s own query."""
    probe = FeedItem(kind=kind, title_lt="", title_en="", audience=audience)
    return audience_count(session, probe)


def _audience_from(form: Mapping[str, Any], lists: Mapping[str, list[str]]) -> AudienceIn:
    """The audience chosen on the composer (checkboxes, plus countries typed by hand)."""
    try:
        return AudienceIn.model_validate(
            {
                "relations": lists.get("relations", []),
                "countries": chosen_countries(lists, form),
                "interests": lists.get("interests", []),
                "languages": lists.get("languages", []),
                "return_intentions": lists.get("return_intentions", []),
                "kind": form.get("kind") or FeedKind.ANNOUNCEMENT.value,
            }
        )
    except ValidationError as error:
        problem = error.errors()[0]
        where = str(problem["loc"][0]).replace("_", " ")
        if where == "countries":
            raise ComposeError("Countries are two-letter codes, like NO or GB.") from None
        raise ComposeError(f"Check the {where}: {problem['msg']}.") from None


def _local_time(text: str, zone_name: str, what: str) -> datetime | None:
    """A datetime-local field read in `zone_name`, as UTC (every stored time is UTC); None
    when empty."""
    if not text.strip():
        return None
    if zone_name not in ZONES:
        raise ComposeError(f"Choose a time zone from the list, not {zone_name[:40]!r}.")
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone_name))
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ComposeError(f"The {what} is not a date and time.") from error


def _show_time(moment: datetime | None, zone: str = DEFAULT_ZONE) -> str:
    """A stored UTC time as staff read it: in Vilnius by default."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _clean_url(url: str) -> str | None:
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise ComposeError("The link must start with https:// (or http://).")
    return url or None


def _item_view(item: FeedItem) -> dict[str, Any]:
    """What the audit keeps of an item."""
    return {
        "kind": item.kind,
        "title_lt": item.title_lt,
        "title_en": item.title_en,
        "url": item.url,
        "starts_at": item.starts_at,
        "place": item.place,
        "audience": item.audience,
    }


# ---- the JSON API ----------------------------------------------------------------------------


def build_feed_api(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/api", tags=["feed"])
    Staff = Annotated[StaffAccount, Depends(console.guard("feed"))]

    @router.post("/feed/audience-count", response_model=AudienceCount)
    def audience_count_api(staff: Staff, audience: AudienceIn) -> AudienceCount:
        """How many members an item for this audience would reach now."""
        with console.db.session() as session:
            return AudienceCount(count=reach(session, audience.kind.value, audience.audience()))

    @router.get(
        "/broadcasts/{broadcast_id}",
        response_model=BroadcastOut,
        responses={404: {"model": NotFound}},
    )
    def broadcast_status(staff: Staff, broadcast_id: BroadcastId) -> BroadcastOut:
        """A broadcast's status and its deliveries counted by status."""
        with console.db.session() as session:
            try:
                return BroadcastOut.model_validate(broadcasts.status(session, broadcast_id))
            except broadcasts.BroadcastError as error:
                raise HTTPException(404, str(error)) from None

    return router


# ---- the staff pages -------------------------------------------------------------------------


class Action(StrEnum):
    SEND = "send"
    SCHEDULE = "schedule"


def build_feed_pages(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/feed", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("feed"))]

    def composer(
        request: Request,
        staff: StaffAccount,
        values: Mapping[str, Any] | None = None,
        chosen: Mapping[str, list[str]] | None = None,
        error: str | None = None,
    ) -> HTMLResponse:
        with console.db.session() as session:
            audience = chooser_context(session, chosen)
            everyone = reach(session, FeedKind.ANNOUNCEMENT.value, {})
        return console.pages.render(
            request,
            "admin/feed-compose.html",
            staff,
            area="feed",
            title="Compose",
            kinds=list(FeedKind),
            zones=ZONES,
            values=values or {"send_zone": DEFAULT_ZONE},
            everyone=everyone,
            **audience,
            error=error,
            status_code=400 if error else 200,
        )

    @router.get("", response_class=HTMLResponse)
    def feed_list(request: Request, staff: Staff) -> HTMLResponse:
        with console.db.session() as session:
            items = list(
                session.exec(select(FeedItem).order_by(col(FeedItem.id).desc()).limit(LIST_SIZE))
            )
            ids = [item.id for item in items]
            sent = session.exec(
                select(Broadcast)
                .where(col(Broadcast.item_id).in_(ids))
                .order_by(col(Broadcast.id).desc())
            )
            by_item: dict[int, list[dict[str, Any]]] = {}
            for broadcast in sent:
                assert broadcast.id is not None
                found = broadcasts.status(session, broadcast.id)
                found["scheduled_local"] = _show_time(broadcast.scheduled_for)
                by_item.setdefault(broadcast.item_id, []).append(found)
            rows = [
                {
                    "item": item,
                    "published": _show_time(item.published_at),
                    "broadcasts": by_item.get(item.id or 0, []),
                }
                for item in items
            ]
        return console.pages.render(
            request, "admin/feed.html", staff, area="feed", title="Feed & broadcasts", rows=rows
        )

    @router.get("/new", response_class=HTMLResponse)
    def feed_compose(request: Request, staff: Staff) -> HTMLResponse:
        return composer(request, staff)

    @router.get("/reach", response_class=HTMLResponse)
    def feed_reach(request: Request, staff: Staff) -> HTMLResponse:
        """The composer's live count (HTMX): the audience chosen so far, counted now."""
        params = request.query_params
        try:
            audience = _audience_from(params, ticked(params))
        except ComposeError as error:
            text, count = str(error), None
        else:
            with console.db.session() as session:
                count = reach(session, audience.kind.value, audience.audience())
            text = f"Reaches {count} member{'' if count == 1 else 's'}"
        return console.pages.render(request, "admin/feed-reach.html", staff, text=text, count=count)

    @router.post("")
    async def feed_create(request: Request, staff: Staff) -> Response:
        """Publish the item and send its broadcast now, or schedule it."""
        form = await request.form()
        values = {key: str(value) for key, value in form.items() if key != "csrf_token"}
        chosen = ticked(form)
        try:
            audience = _audience_from(values, chosen)
            done = await run_in_threadpool(_create_and_send, console, staff, values, audience)
        except (ComposeError, FeedError, broadcasts.BroadcastStateError) as error:
            message = str(error)
            return composer(request, staff, values, chosen, message[:1].upper() + message[1:])
        return console.pages.redirect(request, f"/admin/feed/broadcasts/{done[0]}", done[1])

    def progress_context(broadcast_id: int) -> dict[str, Any] | None:
        with console.db.session() as session:
            try:
                found = broadcasts.status(session, broadcast_id)
            except broadcasts.BroadcastError:
                return None
            broadcast = broadcasts.get_broadcast(session, broadcast_id)
            item = session.get(FeedItem, broadcast.item_id)
            session.expunge_all()
        return {
            "broadcast": found,
            "item": item,
            "scheduled_local": _show_time(broadcast.scheduled_for),
            "started_local": _show_time(broadcast.started_at),
            "finished_local": _show_time(broadcast.finished_at),
            "starts_local": _show_time(item.starts_at if item else None),
            "next_due_local": _show_time(
                datetime.fromisoformat(found["next_due_at"]) if found["next_due_at"] else None
            ),
            "zone": DEFAULT_ZONE,
        }

    @router.get("/broadcasts/{broadcast_id}", response_class=HTMLResponse)
    def broadcast_page(request: Request, staff: Staff, broadcast_id: BroadcastId) -> Response:
        context = progress_context(broadcast_id)
        if context is None:
            return console.pages.render(
                request,
                "admin/feed-missing.html",
                staff,
                area="feed",
                title="No such broadcast",
                broadcast_id=broadcast_id,
                status_code=404,
            )
        return console.pages.render(
            request,
            "admin/feed-broadcast.html",
            staff,
            area="feed",
            title=f"Broadcast {broadcast_id}",
            **context,
        )

    @router.get("/broadcasts/{broadcast_id}/progress", response_class=HTMLResponse)
    def broadcast_progress(
        request: Request, staff: Staff, broadcast_id: BroadcastId
    ) -> HTMLResponse:
        """The counts alone, for the page's refresh every 2 s while sending."""
        context = progress_context(broadcast_id)
        if context is None:
            raise HTTPException(404, "No such broadcast.")
        return console.pages.render(request, "admin/feed-progress.html", staff, **context)

    @router.post("/broadcasts/{broadcast_id}/cancel")
    def broadcast_cancel(request: Request, staff: Staff, broadcast_id: BroadcastId) -> Response:
        url = f"/admin/feed/broadcasts/{broadcast_id}"
        try:
            with console.db.session() as session:
                broadcast = broadcasts.get_broadcast(session, broadcast_id)
                before = {"status": broadcast.status, "scheduled_for": broadcast.scheduled_for}
                broadcasts.cancel(session=session, broadcast_id=broadcast_id)
                record(
                    session=session,
                    staff=staff,
                    action="broadcast.cancel",
                    target=str(broadcast_id),
                    before=before,
                    after={"status": broadcast.status},
                )
        except broadcasts.BroadcastError as error:
            raise HTTPException(404, str(error)) from None
        except broadcasts.BroadcastStateError as error:
            return console.pages.redirect(request, url, f"Not cancelled: {error}.", "error")
        return console.pages.redirect(request, url, "Cancelled: nothing will be sent.")

    return router


def _create_and_send(
    console: Console,
    staff: StaffAccount,
    values: Mapping[str, str],
    audience: AudienceIn,
) -> tuple[int, str]:
    """Create the item and its broadcast, then plan it (send now) or schedule it; one
    transaction with its audit lines. Returns the broadcast id and the notice to show."""
    action = values.get("action", Action.SEND.value)
    if action not in set(Action):
        raise ComposeError("Choose to send now or to schedule.")
    zone = values.get("send_zone") or DEFAULT_ZONE
    # an event happens in Alytus: its start is Alytus time whatever zone the sending is in
    starts_at = _local_time(values.get("starts_at", ""), DEFAULT_ZONE, "start time")
    send_at = _local_time(values.get("send_at", ""), zone, "sending time")
    if action == Action.SCHEDULE and send_at is None:
        raise ComposeError("Choose the date and time to send it.")
    with console.db.session() as session:
        item = create_item(
            session=session,
            kind=values.get("kind", ""),
            title_lt=values.get("title_lt", "")[:200],
            title_en=values.get("title_en", "")[:200],
            body_lt=values.get("body_lt", "")[:3000],
            body_en=values.get("body_en", "")[:3000],
            url=_clean_url(values.get("url", "")[:500]),
            starts_at=starts_at,
            place=values.get("place", "")[:200],
            audience=audience.audience(),
        )
        assert item.id is not None
        record(
            session=session,
            staff=staff,
            action="feed.create",
            target=str(item.id),
            after=_item_view(item),
        )
        broadcast = broadcasts.create_broadcast(session=session, item_id=item.id)
        assert broadcast.id is not None
        if action == Action.SCHEDULE:
            assert send_at is not None
            broadcasts.schedule(session=session, broadcast_id=broadcast.id, when=send_at)
            record(
                session=session,
                staff=staff,
                action="broadcast.schedule",
                target=str(broadcast.id),
                after={"item_id": item.id, "scheduled_for": broadcast.scheduled_for},
            )
            when = _show_time(broadcast.scheduled_for, zone)
            return broadcast.id, f"Scheduled for {when} ({zone})."
        now = utcnow()
        broadcasts.plan(
            session=session,
            broadcast_id=broadcast.id,
            quiet_hours=console.settings.quiet_hours,
            now=now,
        )
        broadcasts.finish_if_done(session, broadcast.id)  # nothing to push: done at once
        record(
            session=session,
            staff=staff,
            action="broadcast.send",
            target=str(broadcast.id),
            after={"item_id": item.id, "planned": broadcast.planned},
        )
        return broadcast.id, f"Sending to {broadcast.planned} members."


def build_feed_router(console: Console) -> APIRouter:
    """The feed pages and their JSON API."""
    router = APIRouter()
    router.include_router(build_feed_pages(console))
    router.include_router(build_feed_api(console))
    return router
