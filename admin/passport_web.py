"""The merchant's side of the Alytus Passport: the verify page and what it needs.

`/passport/verify` checks a passport in the phone's browser: the Ed25519 public key is in the
page, the token comes from the URL fragment (never sent to us), a typed or pasted code, or
the camera. A service worker keeps the page, its assets and the last revocation list, so a
till with no network still checks signatures and expiry.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bots.catalog import LANGUAGES, Catalog, default_catalog
from bots.passport_texts import card_text, page_texts, script_texts
from community.database import Database
from community.models import utcnow
from community.settings import Settings
from rewards.card import card_png
from rewards.passport import (
    b64url,
    find_passport,
    public_key_pem,
    public_key_raw,
    revoked_numbers,
    token_from,
    verify_token,
)

HERE = Path(__file__).parent
NO_CACHE = {"Cache-Control": "no-cache"}


def build_passport_router(
    settings: Settings, db: Database, catalog: Catalog | None = None
) -> APIRouter:
    """Routes under /passport/; the page's scripts and styles are in admin/static/."""
    catalog = catalog or default_catalog()
    router = APIRouter(prefix="/passport")
    templates = Jinja2Templates(directory=HERE / "templates")
    public_key_raw(settings)  # fail at start, not at the first scan, on a bad key

    @router.get("/verify", response_class=HTMLResponse)
    def verify_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return templates.TemplateResponse(
            request,
            "passport_verify.html",
            {
                "public_key": b64url(public_key_raw(settings)),
                "root": root,
                "t": page_texts(catalog),
                "script_texts": json.dumps(script_texts(catalog), ensure_ascii=False),
            },
            headers=NO_CACHE,
        )

    @router.get("/sw.js")
    def service_worker() -> FileResponse:
        return FileResponse(
            HERE / "static" / "passport-sw.js",
            media_type="text/javascript",
            headers={**NO_CACHE, "Service-Worker-Allowed": "/passport/"},
        )

    @router.get("/public-key")
    def public_key() -> JSONResponse:
        return JSONResponse(
            {
                "alg": "Ed25519",
                "raw": b64url(public_key_raw(settings)),
                "pem": public_key_pem(settings),
            }
        )

    @router.get("/revoked.json")
    def revoked() -> JSONResponse:
        with db.session() as session:
            numbers = revoked_numbers(session)
        return JSONResponse(
            {"revoked": numbers, "generated_at": utcnow().isoformat()}, headers=NO_CACHE
        )

    @router.get("/card.png")
    async def card(
        t: str = Query(default="", max_length=1000), lang: str = Query(default="lt")
    ) -> Response:
        return await run_in_threadpool(_card, t, lang)

    def _card(token: str, language: str) -> Response:
        with db.session() as session:
            verdict = verify_token(settings=settings, token=token, session=session)
            if not verdict.valid:
                return PlainTextResponse(f"{verdict.status}: {verdict.reason}", status_code=400)
            passport = find_passport(session, verdict.number or "")
            assert passport is not None  # a valid verdict with a session found it
            language = language if language in LANGUAGES else LANGUAGES[0]
            image = card_png(
                settings=settings,
                passport=passport,
                token=token_from(token),
                language=language,
                text=card_text(catalog, language),
            )
        return Response(image, media_type="image/png", headers={"Cache-Control": "private"})

    return router
