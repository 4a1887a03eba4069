"""The city register's public check: `/ledger/check?r=<id>,<id>...&lang=lt|en`.

A member's `/points` links here for their rewards that are recorded; the page asks the chain
itself (as `alytus ledger verify` does) and shows what it holds of each reward: the points,
the pseudonymous account, where it was recorded. An id is a reward's id on chain, or its
first 12 hex digits or more (what the chat's short link carries). Reward ids and accounts
are already public on chain and name nobody, so anyone may open the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bots.catalog import LANGUAGES, Catalog, default_catalog
from community.database import Database
from community.settings import Settings
from ledger.chain import ChainRejected, ChainUnreachable
from ledger.verify import RewardCheck, check_rewards

HERE = Path(__file__).parent
REWARD_ID = re.compile(r"(0x)?[0-9a-fA-F]{12,64}")
MAX_REWARDS = 10  # what one /points lists, and then some
TEXTS = (
    "title",
    "intro",
    "recorded",
    "not_found",
    "none",
    "unreachable",
    "reward",
    "account",
    "chain",
    "contract",
    "block",
    "transaction",
    "root",
)


def reward_ids(asked: list[str]) -> list[str]:
    """The well-formed ids (or starts of ids) asked for, in one or several `r` parameters,
    lower case and without "0x", each once, at most MAX_REWARDS."""
    found: list[str] = []
    for text in (part.strip() for value in asked for part in value.split(",")):
        digits = text.lower().removeprefix("0x")
        if REWARD_ID.fullmatch(text) and digits not in found:
            found.append(digits)
    return found[:MAX_REWARDS]


def build_ledger_router(
    settings: Settings, db: Database, catalog: Catalog | None = None
) -> APIRouter:
    """The public check page under /ledger/."""
    catalog = catalog or default_catalog()
    router = APIRouter(prefix="/ledger")
    templates = Jinja2Templates(directory=HERE / "templates")

    @router.get("/check", response_class=HTMLResponse)
    async def check(
        request: Request,
        r: Annotated[list[str], Query(max_length=700)] = [],  # noqa: B006 (FastAPI's way)
        lang: Annotated[str, Query(max_length=5)] = LANGUAGES[0],
    ) -> HTMLResponse:
        language = lang if lang in LANGUAGES else LANGUAGES[0]
        ids = reward_ids(r)
        checks: list[RewardCheck] = []
        problem = "none" if not ids else None
        if ids:
            try:
                checks = await run_in_threadpool(
                    lambda: check_rewards(db=db, settings=settings, reward_ids=ids)
                )
            except (ChainUnreachable, ChainRejected):
                problem = "unreachable"
        texts = {key: catalog.text(language, f"ledger_page.{key}") for key in TEXTS}
        return templates.TemplateResponse(
            request,
            "ledger_check.html",
            {"lang": language, "t": texts, "checks": checks, "problem": problem},
            status_code=503 if problem == "unreachable" else 400 if problem else 200,
            headers={"Cache-Control": "no-cache"},
        )

    return router
