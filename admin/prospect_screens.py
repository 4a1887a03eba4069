"""Prospects and campaigns (admins and editors): upload a spreadsheet of former residents and
read the import report, search prospects with their Alytus connection score and its evidence,
compose a campaign with a live count of whom it reaches, send it, and follow its funnel.

Sending runs after the response (FastAPI background task): the page follows the progress,
and "Send the rest" resumes a run a restart cut short; `bots.campaign_mail.deliver` never
sends one invite twice. Telegram and Discord invitations cannot be sent by a bot to someone
who never wrote to it, so those campaigns produce personal links for staff to share.
"""

# No `from __future__ import annotations`: FastAPI must see the local `Staff` dependency
# alias as a real annotation, not a string it cannot resolve.
import csv
import io
import logging
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
)
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from admin.audit import record
from admin.context import Console
from admin.join_web import build_join_router
from admin.models import StaffAccount
from bots.campaign_mail import deliver
from bots.catalog import default_catalog
from bots.mail import Mailer, MailError
from community import campaigns
from community.campaigns import CampaignError, CampaignNotFound, ProspectFilter
from community.models import Campaign, Prospect, as_utc
from community.prospects import ProspectFileError, import_prospect_file, score_prospect
from community.timezones import DEFAULT_ZONE

MAX_ID = 2**31 - 1
PAGE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SHOWN_REJECTED = 1000
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")
STEP_LABELS = {
    "invited": "Invited",
    "opened": "Opened the link",
    "joined": "Joined",
    "onboarded": "Finished onboarding",
}
CHART_LABELS = {  # short lines, so the bars keep their width on a phone
    "invited": ["Invited"],
    "opened": ["Opened", "the link"],
    "joined": ["Joined"],
    "onboarded": ["Finished", "onboarding"],
}
STEP_COLOURS = ["#0a4f8a", "#168a8a", "#0b6b3a", "#d9822b"]
STATUS_LABELS = {
    "queued": "waiting",
    "sending": "sending / in doubt",
    "sent": "sent",
    "link_ready": "link ready",
    "failed": "failed",
    "skipped": "skipped",
}
CampaignId = Annotated[int, Path(ge=1, le=MAX_ID)]

_prospects = Prospect.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)
# campaigns this process is sending now: an invite of theirs "sending" is not in doubt yet
_sending_now: set[int] = set()
_sending_lock = threading.Lock()


class ProspectOut(BaseModel):
    id: int
    name: str
    email: str | None
    phone: str | None
    telegram: str | None
    discord: str | None
    school: str | None
    left_year: int | None
    source: str
    lawful_basis: str
    member_id: int | None
    connection: float
    evidence: list[str]


class FunnelOut(BaseModel):
    """A campaign's funnel (each step counts prospects) and its invites by status."""

    campaign_id: int
    invited: int
    opened: int
    joined: int
    onboarded: int
    opted_out: int
    statuses: dict[str, int]


class NotFound(BaseModel):
    detail: str


# ---- reading ---------------------------------------------------------------------------------


def _clean(text: str, most: int = 200) -> str:
    """Typed search text safe for any database (no NUL, no lone surrogates)."""
    text = text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return " ".join(text.split())[:most]


def search_prospects(
    session: Session, q: str, limit: int = PAGE, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Prospects whose name, contacts, school or source contain `q` (newest first), with
    their connection score and evidence; and how many match in all."""
    query = select(_prospects)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                *(
                    func.lower(_prospects.c[column]).like(pattern)
                    for column in ("name", "email", "phone", "telegram", "discord", "school")
                ),
                func.lower(_prospects.c.source).like(pattern),
            )
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(_prospects.c.id.desc()).limit(limit).offset(offset))
    found = []
    for row in rows:
        prospect = dict(row._mapping)
        connection = score_prospect(prospect)
        prospect["connection"] = round(connection.score, 2)
        prospect["evidence"] = connection.reasons
        found.append(prospect)
    return int(total), found


def _filters_from(values: Mapping[str, Any]) -> ProspectFilter:
    """The selection chosen on the composer; CampaignError for a value that is no number."""

    def year(key: str) -> int | None:
        text = str(values.get(key) or "").strip()
        if not text:
            return None
        if not text.isdigit() or not 1900 <= int(text) <= 2100:
            raise CampaignError("Years of leaving are four-digit years, like 2012.")
        return int(text)

    score_text = str(values.get("min_score") or "0").strip().replace(",", ".")
    try:
        score = float(score_text)
    except ValueError:
        raise CampaignError("The minimum connection score is a number from 0 to 1.") from None
    return ProspectFilter(
        channel=str(values.get("channel") or "email"),
        school=_clean(str(values.get("school") or "")),
        source=_clean(str(values.get("source") or "")),
        left_from=year("left_from"),
        left_to=year("left_to"),
        min_score=score,
    )


def _pace_ms(values: Mapping[str, Any]) -> int:
    text = str(values.get("pace") or "0").strip().replace(",", ".")
    try:
        return round(float(text) * 1000)
    except ValueError:
        raise CampaignError("The pause between emails is a number of seconds.") from None


def _show_time(moment: Any) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(ZoneInfo(DEFAULT_ZONE)).strftime("%Y-%m-%d %H:%M")


def funnel_chart(found: campaigns.Funnel) -> dict[str, Any]:
    """Chart.js settings for the funnel: one horizontal bar per step."""
    return {
        "type": "bar",
        "data": {
            "labels": [CHART_LABELS[step] for step, _ in found.steps()],
            "datasets": [
                {
                    "label": "Prospects",
                    "data": [count for _, count in found.steps()],
                    "backgroundColor": STEP_COLOURS,
                    "borderRadius": 4,
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "plugins": {"legend": {"display": False}},
            "scales": {
                "x": {"beginAtZero": True, "ticks": {"precision": 0}},
                "y": {"grid": {"display": False}, "ticks": {"font": {"size": 13}}},
            },
        },
    }


def _campaign_view(campaign: Campaign) -> dict[str, Any]:
    """What the audit keeps of a campaign."""
    return {
        "name": campaign.name,
        "channel": campaign.channel,
        "subject_lt": campaign.subject_lt,
        "subject_en": campaign.subject_en,
        "body_lt": campaign.body_lt,
        "body_en": campaign.body_en,
        "filters": campaign.filters,
        "pace_ms": campaign.pace_ms,
    }


# ---- the JSON API ----------------------------------------------------------------------------


def build_prospect_api(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/api", tags=["prospects"])
    Staff = Annotated[StaffAccount, Depends(console.guard("prospects"))]

    @router.get("/prospects", response_model=list[ProspectOut])
    def prospects_api(
        staff: Staff,
        q: Annotated[str, Query(max_length=200, description="Text in name, contacts, school")] = "",
        limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
    ) -> list[ProspectOut]:
        """Prospects matching `q`, newest first, with their Alytus connection score."""
        with console.db.session() as session:
            _, found = search_prospects(session, _clean(q), limit)
        return [ProspectOut.model_validate(prospect) for prospect in found]

    @router.get(
        "/campaigns/{campaign_id}/funnel",
        response_model=FunnelOut,
        responses={404: {"model": NotFound}},
    )
    def funnel_api(staff: Staff, campaign_id: CampaignId) -> FunnelOut:
        """Invited (sent or link ready), opened the link, joined, finished onboarding."""
        with console.db.session() as session:
            try:
                found = campaigns.funnel(session=session, campaign_id=campaign_id)
            except CampaignNotFound as error:
                raise HTTPException(404, str(error)) from None
        return FunnelOut.model_validate(found.as_dict())

    return router


# ---- the staff pages -------------------------------------------------------------------------


def _import_file(console: Console, staff: StaffAccount, path: FilePath, name: str) -> Any:
    """Read the file and merge its prospects (in a worker thread: parsing is slow work)."""
    with console.db.session() as session:
        report = import_prospect_file(session=session, path=path)
        record(
            session=session,
            staff=staff,
            action="prospects.import",
            target=name,
            after={
                "imported": report.imported,
                "merged": report.merged,
                "rejected": len(report.rejected),
            },
        )
    return report


async def _save_upload(upload: UploadFile, folder: str) -> FilePath:
    """The uploaded file on disk, under the suffix it came with (the reader goes by it)."""
    suffix = FilePath(upload.filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ProspectFileError("Upload a .csv or .xlsx file.")
    path = FilePath(folder) / f"upload{suffix}"
    size = 0
    with path.open("wb") as handle:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ProspectFileError(
                    f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
                )
            handle.write(chunk)
    return path


def build_prospect_pages(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("prospects"))]
    catalog = default_catalog()

    def page(
        request: Request, staff: StaffAccount, template: str, title: str, **context: Any
    ) -> HTMLResponse:
        return console.pages.render(
            request, template, staff, area="prospects", title=title, **context
        )

    @router.get("/prospects", response_class=HTMLResponse)
    def prospect_list(
        request: Request,
        staff: Staff,
        q: Annotated[str, Query(max_length=200)] = "",
        page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> HTMLResponse:
        q = _clean(q)
        with console.db.session() as session:
            total, found = search_prospects(session, q, PAGE, (page_number - 1) * PAGE)
        return page(
            request,
            staff,
            "admin/prospects.html",
            "Prospects",
            q=q,
            prospects=found,
            total=total,
            page=page_number,
            pages=max(1, -(-total // PAGE)),
        )

    @router.post("/prospects/import", response_class=HTMLResponse)
    async def prospect_import(request: Request, staff: Staff) -> HTMLResponse:
        """Import an uploaded CSV or XLSX and show the report: imported, merged, rejected."""
        form = await request.form()
        upload = form.get("file")
        error, report, name = None, None, ""
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = "Choose a .csv or .xlsx file to upload."
        else:
            name = FilePath(upload.filename).name[:200]
            with tempfile.TemporaryDirectory(prefix="alytus-upload-") as folder:
                try:
                    path = await _save_upload(upload, folder)
                    report = await run_in_threadpool(_import_file, console, staff, path, name)
                except ProspectFileError as problem:
                    error = f"{name}: {problem}"
                except IntegrityError:
                    error = "Another import changed the same prospects meanwhile; import again."
        return page(
            request,
            staff,
            "admin/prospect-import.html",
            "Import report",
            file_name=name,
            error=error,
            report=report,
            shown=report.rejected[:SHOWN_REJECTED] if report else [],
            status_code=400 if error else 200,
        )

    @router.get("/campaigns", response_class=HTMLResponse)
    def campaign_list(request: Request, staff: Staff) -> HTMLResponse:
        with console.db.session() as session:
            found = session.execute(
                select(Campaign).order_by(col(Campaign.id).desc()).limit(100)
            ).scalars()
            rows = [
                {
                    "campaign": campaign,
                    "created": _show_time(campaign.created_at),
                    "funnel": campaigns.funnel(session=session, campaign_id=campaign.id),
                }
                for campaign in found
            ]
            session.expunge_all()
        return page(request, staff, "admin/campaigns.html", "Campaigns", rows=rows)

    def composer(
        request: Request,
        staff: StaffAccount,
        values: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> HTMLResponse:
        if values is None:
            values = {
                "channel": "email",
                "subject_lt": catalog.text("lt", "campaign.default_subject"),
                "subject_en": catalog.text("en", "campaign.default_subject"),
                "body_lt": catalog.text("lt", "campaign.default_body"),
                "body_en": catalog.text("en", "campaign.default_body"),
                "pace": "0",
                "min_score": "0",
            }
        try:
            filters = _filters_from(values)
            with console.db.session() as session:
                reach = campaigns.count_reach(session=session, filters=filters)
        except CampaignError:
            reach = None
        return page(
            request,
            staff,
            "admin/campaign-new.html",
            "New campaign",
            values=values,
            channels=campaigns.CHANNELS,
            reach=reach,
            error=error,
            smtp_ready=console.settings.smtp_url is not None,
            status_code=400 if error else 200,
        )

    @router.get("/campaigns/new", response_class=HTMLResponse)
    def campaign_new(request: Request, staff: Staff) -> HTMLResponse:
        return composer(request, staff)

    @router.get("/campaigns/reach", response_class=HTMLResponse)
    def campaign_reach(request: Request, staff: Staff) -> HTMLResponse:
        """The composer's live count (HTMX): prospects the filters reach now."""
        try:
            filters = _filters_from(request.query_params)
        except CampaignError as error:
            text, count = str(error), None
        else:
            with console.db.session() as session:
                count = campaigns.count_reach(session=session, filters=filters)
            text = f"Reaches {count} prospect{'' if count == 1 else 's'}"
        return console.pages.render(
            request, "admin/campaign-reach.html", staff, text=text, count=count
        )

    @router.post("/campaigns")
    async def campaign_create(request: Request, staff: Staff) -> Response:
        form = await request.form()
        values = {key: str(value)[:5000] for key, value in form.items() if key != "csrf_token"}

        def create() -> int | None:
            filters = _filters_from(values)
            with console.db.session() as session:
                campaign = campaigns.create_campaign(
                    session=session,
                    name=values.get("name", ""),
                    filters=filters,
                    subject_lt=values.get("subject_lt", ""),
                    subject_en=values.get("subject_en", ""),
                    body_lt=values.get("body_lt", ""),
                    body_en=values.get("body_en", ""),
                    created_by=staff.email,
                    pace_ms=_pace_ms(values),
                )
                record(
                    session=session,
                    staff=staff,
                    action="campaign.create",
                    target=str(campaign.id),
                    after=_campaign_view(campaign),
                )
                return campaign.id

        try:
            campaign_id = await run_in_threadpool(create)
        except CampaignError as error:
            return composer(request, staff, values, str(error))
        return console.pages.redirect(
            request, f"/admin/campaigns/{campaign_id}", "Campaign saved: check it, then send."
        )

    def campaign_context(campaign_id: int) -> dict[str, Any] | None:
        with console.db.session() as session:
            try:
                campaign = campaigns.get_campaign(session, campaign_id)
            except CampaignNotFound:
                return None
            found = campaigns.funnel(session=session, campaign_id=campaign_id)
            links = []
            if campaign.channel in campaigns.LINK_CHANNELS and campaign.status != "draft":
                links = campaigns.invite_links(
                    session=session,
                    campaign_id=campaign_id,
                    public_url=console.settings.public_url,
                )
            doubt = []
            if found.statuses["sending"] and not found.statuses["queued"]:
                doubt = campaigns.in_doubt(session, campaign_id)
            reach = None
            if campaign.status == "draft":
                reach = campaigns.count_reach(
                    session=session, filters=ProspectFilter.from_dict(campaign.filters)
                )
            session.expunge_all()
        return {
            "campaign": campaign,
            "funnel": found,
            "steps": [(step, STEP_LABELS[step], count) for step, count in found.steps()],
            "chart": funnel_chart(found),
            "statuses": [
                (status, STATUS_LABELS[status], found.statuses[status])
                for status in campaigns.STATUSES
            ],
            "links": links,
            "doubt": doubt,
            "reach": reach,
            "started": _show_time(campaign.started_at),
            "finished": _show_time(campaign.finished_at),
            "zone": DEFAULT_ZONE,
        }

    @router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
    def campaign_page(request: Request, staff: Staff, campaign_id: CampaignId) -> HTMLResponse:
        context = campaign_context(campaign_id)
        if context is None:
            return page(
                request,
                staff,
                "admin/campaign-missing.html",
                "No such campaign",
                campaign_id=campaign_id,
                status_code=404,
            )
        return page(request, staff, "admin/campaign.html", f"Campaign {campaign_id}", **context)

    @router.get("/campaigns/{campaign_id}/progress", response_class=HTMLResponse)
    def campaign_progress(request: Request, staff: Staff, campaign_id: CampaignId) -> HTMLResponse:
        """The counts and the funnel alone, for the page's refresh while sending."""
        context = campaign_context(campaign_id)
        if context is None:
            raise HTTPException(404, "No such campaign.")
        return console.pages.render(request, "admin/campaign-progress.html", staff, **context)

    @router.post("/campaigns/{campaign_id}/send")
    def campaign_send(
        request: Request, staff: Staff, campaign_id: CampaignId, background: BackgroundTasks
    ) -> Response:
        """Write the invites (once), then send the queued emails after this response."""
        url = f"/admin/campaigns/{campaign_id}"
        with console.db.session() as session:
            try:
                campaign = campaigns.get_campaign(session, campaign_id)
            except CampaignNotFound as error:
                raise HTTPException(404, str(error)) from None
            channel = campaign.channel
        if channel == "email":
            problem = _mail_server_problem(console)
            if problem:
                return console.pages.redirect(request, url, f"Not sent: {problem}", "error")
        with console.db.session() as session:
            planned = campaigns.plan_invites(session=session, campaign_id=campaign_id)
            queued = campaigns.funnel(session=session, campaign_id=campaign_id).statuses["queued"]
            record(
                session=session,
                staff=staff,
                action="campaign.send",
                target=str(campaign_id),
                after={"planned": planned, "queued": queued, "channel": channel},
            )
        if channel != "email":
            return console.pages.redirect(
                request, url, f"{planned} personal links are ready to share."
            )
        background.add_task(_deliver, console, campaign_id)
        return console.pages.redirect(request, url, f"Sending {queued} invitations.")

    @router.post("/campaigns/{campaign_id}/settle")
    def campaign_settle(
        request: Request,
        staff: Staff,
        campaign_id: CampaignId,
        outcome: Annotated[str, Form(pattern="^(sent|queued)$")],
    ) -> Response:
        """Staff's word on the emails in doubt, from the mail server's log: they went out
        (count them), or they did not (send them again with the rest)."""
        url = f"/admin/campaigns/{campaign_id}"
        with _sending_lock:
            running = campaign_id in _sending_now
        if running:
            return console.pages.redirect(
                request, url, "Still sending: wait until it stops, then decide.", "error"
            )
        with console.db.session() as session:
            try:
                settled = campaigns.settle_in_doubt(
                    session=session, campaign_id=campaign_id, outcome=outcome
                )
            except CampaignNotFound as error:
                raise HTTPException(404, str(error)) from None
            if settled:
                record(
                    session=session,
                    staff=staff,
                    action="campaign.settle",
                    target=str(campaign_id),
                    before={"in_doubt": settled},
                    after={"outcome": outcome},
                )
        if not settled:
            return console.pages.redirect(request, url, "Nothing was in doubt any more.")
        plural = "" if settled == 1 else "s"
        if outcome == "sent":
            return console.pages.redirect(request, url, f"{settled} email{plural} counted as sent.")
        return console.pages.redirect(
            request, url, f"{settled} email{plural} will be sent again with “Send the rest”."
        )

    @router.get("/campaigns/{campaign_id}/funnel.csv")
    def campaign_funnel_csv(staff: Staff, campaign_id: CampaignId) -> Response:
        with console.db.session() as session:
            try:
                found = campaigns.funnel(session=session, campaign_id=campaign_id)
            except CampaignNotFound as error:
                raise HTTPException(404, str(error)) from None
        return _csv_download(campaigns.funnel_csv(found), f"campaign-{campaign_id}-funnel.csv")

    @router.get("/campaigns/{campaign_id}/links.csv")
    def campaign_links_csv(staff: Staff, campaign_id: CampaignId) -> Response:
        """Each prospect's handle and personal link, to share by hand (Telegram, Discord)."""
        with console.db.session() as session:
            try:
                links = campaigns.invite_links(
                    session=session,
                    campaign_id=campaign_id,
                    public_url=console.settings.public_url,
                )
            except CampaignNotFound as error:
                raise HTTPException(404, str(error)) from None
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "address", "status", "opened", "link"])
        for link in links:
            writer.writerow(
                [link["name"], link["address"], link["status"], link["opened"], link["link"]]
            )
        return _csv_download(out.getvalue(), f"campaign-{campaign_id}-links.csv")

    return router


def _csv_download(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _mail_server_problem(console: Console) -> str | None:
    """Why email cannot go out now (no server set, or it does not answer), or None."""
    if console.settings.smtp_url is None:
        return "no mail server is set (ALYTUS_SMTP_URL)."
    try:
        with Mailer(console.settings.smtp_url.get_secret_value()):
            pass
    except MailError as error:
        return f"{error}."
    return None


def _deliver(console: Console, campaign_id: int) -> None:
    """The background run; a broken connection leaves the rest queued for "Send the rest"."""
    with _sending_lock:
        _sending_now.add(campaign_id)
    try:
        deliver(db=console.db, campaign_id=campaign_id, settings=console.settings)
    except MailError as error:
        # the campaign page shows what is left: invites still waiting, one perhaps in doubt
        log.warning("campaign %s: sending stopped: %s", campaign_id, error)
    finally:
        with _sending_lock:
            _sending_now.discard(campaign_id)


def build_prospect_router(console: Console) -> APIRouter:
    """The prospect and campaign pages, their JSON API, and the public /join/ links the
    invitations carry (mounted here, with the area that makes them)."""
    router = APIRouter()
    router.include_router(build_prospect_pages(console))
    router.include_router(build_prospect_api(console))
    router.include_router(build_join_router(console.settings, console.db))
    return router
