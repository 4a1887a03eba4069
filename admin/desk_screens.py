"""The passport desk: a partner's cashier checks an Alytus Passport and records a redemption.

The cashier pastes the token or the verify link from the passport's QR code, or types the
number printed on the card. The desk shows what the token shows (number, level, expiry),
never who holds it, and offers only the cashier's own partner's offers (admins see all).
"""

# No `from __future__ import annotations`: FastAPI must resolve the routes' local `Staff`
# dependency alias at definition time.
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from admin.audit import record
from admin.context import Console
from admin.guard import Forbidden
from admin.models import StaffAccount, StaffRole
from community.settings import Settings
from rewards.partners import RedemptionRecord, offers_for, redeem, redemptions
from rewards.passport import Verdict, find_passport, passport_token, verify_token
from rewards.passport_models import Offer, Partner

AREA = "desk"
EVERY_LEVEL = 10_000
RECENT = 20
MAX_INPUT = 2000
# A passport number as printed on the card and read aloud: 8 of 2-9 and A-Z without I, O.
NUMBER = re.compile(r"^[2-9A-HJ-NP-Z]{4}-?[2-9A-HJ-NP-Z]{4}$")


@dataclass(frozen=True)
class Check:
    """What the desk found for what the cashier entered; `token` is set when it was readable."""

    verdict: Verdict
    token: str | None


def check_passport(*, session: Session, settings: Settings, entered: str) -> Check:
    """Check a pasted token or verify link, or a typed passport number (signed here)."""
    plain = entered.strip().upper().replace(" ", "")
    if NUMBER.match(plain):
        passport = find_passport(session, f"{plain[:4]}-{plain[-4:]}")
        if passport is None:
            verdict = Verdict(
                status="invalid",
                reason="no passport has this number",
                reason_lt="paso su tokiu numeriu nėra",
            )
            return Check(verdict=verdict, token=None)
        entered = passport_token(settings, passport)
    verdict = verify_token(settings=settings, token=entered, session=session)
    return Check(verdict=verdict, token=entered if verdict.number else None)


def partner_of(staff: StaffAccount) -> int | None:
    """Whose offers this staff member may redeem: their partner's (admins: every partner's)."""
    if staff.role == StaffRole.ADMIN and staff.partner_id is None:
        return None
    if staff.partner_id is None:
        raise Forbidden("This account is not linked to a partner; ask an admin to link it.")
    return staff.partner_id


def offers_open(
    session: Session, partner_id: int | None, level: int
) -> tuple[list[tuple[Offer, Partner]], list[tuple[Offer, Partner]]]:
    """The partner's active offers a passport at `level` opens, and those it does not yet."""
    active = [
        (offer, partner)
        for offer, partner in offers_for(session=session, level=EVERY_LEVEL)
        if partner_id is None or partner.id == partner_id
    ]
    return (
        [pair for pair in active if pair[0].min_level <= level],
        [pair for pair in active if pair[0].min_level > level],
    )


def recent_redemptions(session: Session, partner_id: int | None) -> list[RedemptionRecord]:
    rows = redemptions(session)
    if partner_id is not None:
        own = set(session.exec(select(Offer.id).where(Offer.partner_id == partner_id)))
        rows = [row for row in rows if row.offer_id in own]
    return rows[:RECENT]


# ---- the JSON API ------------------------------------------------------------------------------


class CheckIn(BaseModel):
    token: str = Field(
        min_length=1, max_length=MAX_INPUT, description="Token, verify link or passport number."
    )


class OfferOut(BaseModel):
    id: int
    partner: str
    title_lt: str
    title_en: str
    min_level: int
    limit_per_member: int | None


class VerdictOut(BaseModel):
    status: str
    valid: bool
    reason: str
    reason_lt: str
    number: str | None
    level: int | None
    expires: str | None
    offers: list[OfferOut] = Field(description="The partner's offers this passport opens.")


class Problem(BaseModel):
    detail: str


def build_desk_api(console: Console) -> APIRouter:
    api = APIRouter(
        prefix="/admin/api/desk",
        tags=["passport desk"],
        responses={
            401: {"model": Problem, "description": "Not logged in."},
            403: {"model": Problem, "description": "Not desk staff, or no CSRF token."},
        },
    )
    Staff = Annotated[StaffAccount, Depends(console.guard(AREA))]

    @api.post("/check", response_model=VerdictOut)
    def check_api(given: CheckIn, staff: Staff) -> VerdictOut:
        """Check a passport: valid, expired, revoked or invalid, and what it opens here."""
        partner_id = partner_of(staff)
        with console.db.session() as session:
            verdict = check_passport(
                session=session, settings=console.settings, entered=given.token
            ).verdict
            allowed = (
                offers_open(session, partner_id, verdict.level or 0)[0] if verdict.valid else []
            )
            offers = [
                OfferOut(
                    id=offer.id or 0,
                    partner=partner.name,
                    title_lt=offer.title_lt,
                    title_en=offer.title_en,
                    min_level=offer.min_level,
                    limit_per_member=offer.limit_per_member,
                )
                for offer, partner in allowed
            ]
        facts = verdict.as_dict()
        return VerdictOut(**facts, valid=verdict.valid, offers=offers)

    return api


# ---- the screens ---------------------------------------------------------------------------------


def build_desk_router(console: Console) -> APIRouter:
    router = APIRouter()
    router.include_router(build_desk_screens(console))
    router.include_router(build_desk_api(console))
    return router


def build_desk_screens(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/desk", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard(AREA))]

    def desk_page(
        request: Request, staff: StaffAccount, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        partner_id = partner_of(staff)
        with console.db.session() as session:
            partner = session.get(Partner, partner_id) if partner_id is not None else None
            recent = recent_redemptions(session, partner_id)
        return console.pages.render(
            request,
            "admin/desk.html",
            staff,
            area=AREA,
            status_code=status_code,
            title="Passport desk",
            partner=partner,
            recent=recent,
            **context,
        )

    @router.get("", response_class=HTMLResponse)
    def desk(request: Request, staff: Staff) -> HTMLResponse:
        return desk_page(request, staff)

    @router.post("/check", response_class=HTMLResponse)
    def check(
        request: Request, staff: Staff, passport: Annotated[str, Form(max_length=MAX_INPUT)] = ""
    ) -> HTMLResponse:
        partner_id = partner_of(staff)
        with console.db.session() as session:
            found = check_passport(session=session, settings=console.settings, entered=passport)
            level = found.verdict.level or 0
            allowed, later = offers_open(session, partner_id, level)
            session.expunge_all()
        if not found.verdict.valid:
            allowed, later = [], []
        return desk_page(
            request,
            staff,
            check=found,
            entered=passport,
            allowed=allowed,
            later=later,
        )

    @router.post("/redeem", response_class=HTMLResponse)
    def redeem_offer(
        request: Request,
        staff: Staff,
        offer_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
        passport: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    ) -> Response:
        partner_id = partner_of(staff)
        with console.db.session() as session:
            offer = session.get(Offer, offer_id)
            if offer is not None and partner_id is not None and offer.partner_id != partner_id:
                raise Forbidden("This offer belongs to another partner; only its staff redeem it.")
            found = check_passport(session=session, settings=console.settings, entered=passport)
            result = redeem(
                session=session,
                settings=console.settings,
                offer_id=offer_id,
                token=found.token or passport,
                by=staff.email,
            )
            if result.ok and result.redemption is not None:
                record(
                    session=session,
                    staff=staff,
                    action="desk.redeem",
                    target=f"offer:{offer_id}",
                    after={
                        "redemption": result.redemption.id,
                        "passport": found.verdict.number,
                        "offer": offer.title_en if offer else None,
                    },
                )
        number = found.verdict.number or "?"
        if result.ok:
            return console.pages.redirect(
                request, "/admin/desk", f"Passport {number}: {result.reason}."
            )
        return console.pages.redirect(
            request, "/admin/desk", f"Not redeemed (passport {number}): {result.reason}.", "error"
        )

    return router
