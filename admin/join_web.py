"""The public side of campaign invitations: a prospect's personal link and its opt-out.

`GET /join/{token}` records the first opening and leads into the bot with the token (the
web chat's `?ref=`, or the Telegram bot's `?start=` when one is configured), which the
onboarding flow recognises. Link previews and mail scanners fetch every link they see (a
Telegram or Messenger preview, Gmail's proxy, Slack); crawlerdetect's list of their user
agents keeps those from counting as "opened", so the funnel counts people.
`GET /join/{token}/optout` asks, in Lithuanian and English; only the `POST` opts out (link
checkers that fetch every URL in an email opt nobody out).
There is no session for the public, so the unguessable token is what authorises the POST;
RFC 8058 one-click unsubscribes from mail clients post to the same address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from crawlerdetect import CrawlerDetect
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bots.catalog import LANGUAGES, Catalog, default_catalog
from community import campaigns
from community.database import Database
from community.settings import Settings

HERE = Path(__file__).parent
TEXT_KEYS = (
    "page_title",
    "optout_title",
    "optout_text",
    "optout_button",
    "optout_done_title",
    "optout_done_text",
    "unknown_title",
    "unknown_text",
)
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}

Token = Annotated[str, PathParam(max_length=100)]


def a_person(request: Request) -> bool:
    """Whether the visitor looks like a person, not a link preview or a scanner."""
    agent = request.headers.get("user-agent", "")
    return request.method == "GET" and not CrawlerDetect().isCrawler(agent)  # one per call


def build_join_router(
    settings: Settings, db: Database, catalog: Catalog | None = None
) -> APIRouter:
    """Routes under /join/ (public, outside the API document)."""
    router = APIRouter(prefix="/join")
    templates = Jinja2Templates(directory=HERE / "templates")
    texts = catalog or default_catalog()

    def page(request: Request, state: str, token: str = "", status_code: int = 200) -> HTMLResponse:
        words = {
            language: {key: texts.text(language, f"campaign.{key}") for key in TEXT_KEYS}
            for language in LANGUAGES
        }
        return templates.TemplateResponse(
            request,
            "join.html",
            {"state": state, "token": token, "texts": words, "languages": LANGUAGES},
            status_code=status_code,
            headers=PRIVATE,
        )

    @router.get("/{token}")
    def join(request: Request, token: Token) -> Response:
        """Count the opening (the first one) and go to the bot with the token."""
        with db.session() as session:
            invite = campaigns.open_link(session=session, token=token, count=a_person(request))
        if invite is None:
            return page(request, "unknown", status_code=404)
        return RedirectResponse(campaigns.way_in(settings, token), status_code=303, headers=PRIVATE)

    @router.get("/{token}/optout", response_class=HTMLResponse)
    def optout_question(request: Request, token: Token) -> HTMLResponse:
        with db.session() as session:
            invite = campaigns.find_invite(session, token)
        if invite is None:
            return page(request, "unknown", status_code=404)
        return page(request, "confirm", token=token)

    @router.post("/{token}/optout", response_class=HTMLResponse)
    def optout(request: Request, token: Token) -> HTMLResponse:
        with db.session() as session:
            invite = campaigns.opt_out(session=session, token=token)
        if invite is None:
            return page(request, "unknown", status_code=404)
        return page(request, "done")

    return router
