"""The rewards area (admins only): rules, manual awards, passports, partners, the ledger.

Each screen calls what `alytus rewards|passport|partners|ledger` call, and writes the audit
line in the same transaction as the change. A small JSON API (rules, awards, ledger status)
is the part of the area that appears in the OpenAPI schema.
"""

# No `from __future__ import annotations`: FastAPI must resolve the routes' local `Staff`
# dependency alias at definition time.
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from community.models import Member
from ledger.chain import ChainRejected, ChainUnreachable
from ledger.models import BatchStatus, LedgerBatch
from ledger.outbox import status, sync
from ledger.verify import VerifyReport, verify
from rewards.journal import AwardResult, award, balance_of, expected_on_chain, standing_of
from rewards.partners import (
    PartnerError,
    add_offer,
    add_partner,
    list_partners,
    redemptions,
    set_offer_active,
)
from rewards.passport import PassportError, issue_passport, passport_of, revoke_passport
from rewards.passport_models import Offer, Passport
from rewards.rules import MANUAL, Rule, UnknownRule, all_rules, get_rule, member_key, set_rule

AREA = "rewards"
LIST_LIMIT = 200
MAX_POINTS = 1_000_000  # a manual award beyond this is a typo, not a reward
MAX_ID = 2**31 - 1  # the database's integer ids

REFUSALS = {
    "reason_required": "A manual award needs a reason.",
    "unknown_member": "There is no member with that id (or the member was erased).",
    "inactive": "The manual rule is switched off; switch it on in the rules first.",
    "cap_day": "The manual rule's daily cap for this member is reached.",
    "cap_total": "The manual rule's total cap for this member is reached.",
    "duplicate": "This award was already recorded.",
}


class FormProblem(ValueError):
    """A field staff filled in wrongly; the message says which and how."""


def whole_number(
    text: str, label: str, *, blank: int | None = None, low: int = 0, high: int = MAX_POINTS
) -> int | None:
    """A whole number typed into a form, `blank` when left empty."""
    text = text.strip()
    if not text:
        return blank
    try:
        value = int(text)
    except ValueError:
        raise FormProblem(f"{label} must be a whole number, not {text[:20]!r}.") from None
    if not low <= value <= high:
        raise FormProblem(f"{label} must be between {low} and {high}.")
    return value


def rule_row(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "points": rule.points,
        "cap_day": rule.cap_day,
        "cap_total": rule.cap_total,
        "active": rule.active,
        "overridden": rule.overridden,
    }


# ---- manual awards (shared by the form and the API) ----------------------------------------


def give_points(
    *,
    session: Session,
    console: Console,
    staff: StaffAccount,
    member_id: int,
    points: int,
    reason: str,
) -> tuple[AwardResult, int]:
    """A manual award (negative corrects a mistake), audited; returns it and the new balance."""
    before = balance_of(session=session, member_id=member_id)
    occasion = f"admin-{uuid.uuid4().hex[:12]}"
    result = award(
        session=session,
        settings=console.settings,
        member_id=member_id,
        rule=MANUAL,
        key=member_key(MANUAL, occasion, member_id),
        points=points,
        reason=reason,
        actor=f"staff:{staff.email}"[:120],
    )
    after = balance_of(session=session, member_id=member_id)
    if result.awarded and result.event is not None:
        record(
            session=session,
            staff=staff,
            action="reward.award",
            target=f"member:{member_id}",
            before={"points": before},
            after={"points": after, "reward": result.event.key, "reason": result.event.reason},
        )
    return result, after


def award_message(result: AwardResult, member_id: int, balance: int, session: Session) -> str:
    if not result.awarded or result.event is None:
        return "Not recorded: " + REFUSALS.get(result.refused or "", str(result.refused))
    level = standing_of(session=session, member_id=member_id).level
    text = (
        f"Recorded {result.event.points:+d} points for member {member_id}: "
        f"balance now {balance}, level {level.number} ({level.name_en})."
    )
    if result.level_up is not None:
        text += f" New level: {result.level_up.number}."
    return text


# ---- the ledger ------------------------------------------------------------------------------


def ledger_state(session: Session) -> dict[str, Any]:
    """`alytus ledger status`, plus the last batch and the batches that keep failing."""
    state = status(session=session)
    last = session.exec(select(LedgerBatch).order_by(col(LedgerBatch.id).desc())).first()
    failing = session.exec(
        select(LedgerBatch)
        .where(LedgerBatch.status == BatchStatus.PREPARED, col(LedgerBatch.last_error).is_not(None))
        .order_by(col(LedgerBatch.id).desc())
        .limit(5)
    ).all()
    state["last_batch"] = None if last is None else _batch_row(last)
    state["errors"] = [f"batch {b.id} ({b.attempts} attempts): {b.last_error}" for b in failing]
    return state


def _batch_row(batch: LedgerBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "status": batch.status,
        "size": batch.size,
        "tx_hash": batch.tx_hash,
        "at": (batch.recorded_at or batch.created_at).isoformat(),
    }


def verify_ledger(console: Console) -> tuple[VerifyReport | None, str | None]:
    """`alytus ledger verify`: the journal against the chain, or why the chain did not answer."""
    with console.db.session() as session:
        expected = expected_on_chain(session, console.settings)
    try:
        return verify(db=console.db, settings=console.settings, expected=expected), None
    except ChainUnreachable as error:
        return None, f"The chain cannot be reached, so nothing was checked ({error})."
    except ChainRejected as error:
        return None, f"The chain refused the check: {error}"


# ---- the JSON API ------------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    """Text that any database stores: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


class RuleOut(BaseModel):
    code: str
    points: int | None
    cap_day: int | None
    cap_total: int | None
    active: bool
    overridden: bool


class AwardIn(BaseModel):
    member_id: int = Field(ge=1, le=MAX_ID)
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Negative corrects a mistake.")
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("points")
    @classmethod
    def not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value

    @field_validator("reason")
    @classmethod
    def has_words(cls, value: str) -> str:
        value = _plain_text(value).strip()
        if not value:
            raise ValueError("a manual award needs a reason")
        return value


class AwardOut(BaseModel):
    awarded: bool
    refused: str | None = None
    message: str
    member_id: int
    points: int | None = None
    balance: int
    reward_key: str | None = None


class Problem(BaseModel):
    detail: str


class LastBatch(BaseModel):
    id: int | None
    status: str
    size: int
    tx_hash: str | None
    at: str


class LedgerStatusOut(BaseModel):
    pending: int
    recorded: int
    batches: int
    last_sync_at: str | None
    contract: str | None
    chain_id: int | None
    last_batch: LastBatch | None
    errors: list[str]


REFUSED_BY_GUARD: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not logged in."},
    403: {"model": Problem, "description": "Not an admin, or no CSRF token."},
}


def build_reward_api(console: Console) -> APIRouter:
    api = APIRouter(prefix="/admin/api", tags=["rewards"], responses=REFUSED_BY_GUARD)
    Staff = Annotated[StaffAccount, Depends(console.guard(AREA))]

    @api.get("/rewards/rules", response_model=list[RuleOut])
    def rules_api(staff: Staff) -> list[RuleOut]:
        """The reward rules as they hold now (defaults, or staff's overrides)."""
        with console.db.session() as session:
            return [RuleOut(**rule_row(rule)) for rule in all_rules(session=session)]

    @api.post(
        "/rewards/awards",
        response_model=AwardOut,
        status_code=201,
        responses={
            404: {"model": Problem, "description": "No such member."},
            409: {"model": AwardOut, "description": "Refused by the manual rule."},
        },
    )
    def award_api(given: AwardIn, staff: Staff) -> Response:
        """A manual award (or, with negative points, a correction), with its reason."""
        with console.db.session() as session:
            member = session.get(Member, given.member_id)
            if member is None or member.erased_at is not None:
                raise HTTPException(404, f"No member {given.member_id}.")
            result, balance = give_points(
                session=session,
                console=console,
                staff=staff,
                member_id=given.member_id,
                points=given.points,
                reason=given.reason,
            )
            body = AwardOut(
                awarded=result.awarded,
                refused=result.refused,
                message=award_message(result, given.member_id, balance, session),
                member_id=given.member_id,
                points=result.event.points if result.event else None,
                balance=balance,
                reward_key=result.event.key if result.event else None,
            )
        return JSONResponse(body.model_dump(), status_code=201 if result.awarded else 409)

    @api.get("/ledger/status", response_model=LedgerStatusOut)
    def ledger_status_api(staff: Staff) -> LedgerStatusOut:
        """Pending and recorded rewards, batches, the last batch, errors, the contract."""
        with console.db.session() as session:
            return LedgerStatusOut(**ledger_state(session))

    return api


# ---- the screens ---------------------------------------------------------------------------------


def build_reward_router(console: Console) -> APIRouter:
    router = APIRouter()
    router.include_router(build_reward_screens(console))
    router.include_router(build_reward_api(console))
    return router


def build_reward_screens(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/rewards", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard(AREA))]
    pages = console.pages

    def tab_page(
        template: str, title: str, tab: str, load: Callable[[Session], dict[str, Any]]
    ) -> Callable[..., HTMLResponse]:
        """A tab of the area as `page(request, staff, status_code=200, **context)`: what `load`
        reads in one session, plus what a route adds (a refused change's error, the form)."""

        def page(
            request: Request, staff: StaffAccount, status_code: int = 200, **context: Any
        ) -> HTMLResponse:
            with console.db.session() as session:
                loaded = load(session)
            return pages.render(
                request,
                f"admin/{template}",
                staff,
                area=AREA,
                status_code=status_code,
                title=title,
                tab=tab,
                **(loaded | context),
            )

        return page

    # -- rules and manual awards

    def load_rules(session: Session) -> dict[str, Any]:
        return {"rules": all_rules(session=session), "manual": MANUAL, "form": {}}

    rules_page = tab_page("rewards.html", "Rewards", "rules", load_rules)

    @router.get("", response_class=HTMLResponse)
    def overview(request: Request, staff: Staff) -> HTMLResponse:
        return rules_page(request, staff)

    @router.post("/rules/{code}", response_class=HTMLResponse)
    def change_rule(
        request: Request,
        staff: Staff,
        code: str,
        points: Annotated[str, Form(max_length=20)] = "",
        cap_day: Annotated[str, Form(max_length=20)] = "",
        cap_total: Annotated[str, Form(max_length=20)] = "",
        active: Annotated[str, Form(max_length=10)] = "",
    ) -> Response:
        try:
            with console.db.session() as session:
                before = get_rule(session=session, code=code)
                if before is None:
                    raise UnknownRule(f"There is no reward rule {code!r}.")
                after = set_rule(
                    session=session,
                    code=code,
                    points=None
                    if before.points is None
                    else whole_number(points, "Points", blank=before.points),
                    cap_day=whole_number(cap_day, "Per day", blank=0),
                    cap_total=whole_number(cap_total, "In total", blank=0),
                    active=bool(active),
                )
                if rule_row(before) | {"overridden": True} == rule_row(after):
                    return pages.redirect(request, "/admin/rewards", f"{code}: nothing changed.")
                record(
                    session=session,
                    staff=staff,
                    action="reward.rule",
                    target=code,
                    before=rule_row(before),
                    after=rule_row(after),
                )
        except (FormProblem, UnknownRule, ValueError) as problem:
            return rules_page(request, staff, 422, error=f"{code}: {problem}")
        return pages.redirect(request, "/admin/rewards", f"Rule {code} saved.")

    @router.post("/awards", response_class=HTMLResponse)
    def manual_award(
        request: Request,
        staff: Staff,
        member_id: Annotated[str, Form(max_length=20)] = "",
        points: Annotated[str, Form(max_length=20)] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        form = {"member_id": member_id, "points": points, "reason": reason}
        try:
            member = whole_number(member_id, "Member id", low=1, high=MAX_ID)
            amount = whole_number(points, "Points", low=-MAX_POINTS)
            if member is None or amount is None:
                raise FormProblem("Give the member's id and the points.")
            if amount == 0:
                raise FormProblem("Points must not be 0.")
            _plain_text(reason)
        except ValueError as problem:
            return rules_page(request, staff, 422, error=str(problem), form=form)
        with console.db.session() as session:
            result, balance = give_points(
                session=session,
                console=console,
                staff=staff,
                member_id=member,
                points=amount,
                reason=reason,
            )
            message = award_message(result, member, balance, session)
        if not result.awarded:
            code = 404 if result.refused == "unknown_member" else 422
            return rules_page(request, staff, code, error=message, form=form)
        return pages.redirect(request, "/admin/rewards", message)

    # -- passports

    def load_passports(session: Session) -> dict[str, Any]:
        passports = session.exec(
            select(Passport).order_by(col(Passport.issued_at).desc()).limit(LIST_LIMIT)
        ).all()
        session.expunge_all()
        return {"passports": passports}

    passports_page = tab_page("reward_passports.html", "Passports", "passports", load_passports)

    @router.get("/passports", response_class=HTMLResponse)
    def passports(request: Request, staff: Staff) -> HTMLResponse:
        return passports_page(request, staff)

    @router.post("/passports", response_class=HTMLResponse)
    def issue(
        request: Request, staff: Staff, member_id: Annotated[str, Form(max_length=20)] = ""
    ) -> Response:
        try:
            member = whole_number(member_id, "Member id", low=1, high=MAX_ID)
            if member is None:
                raise FormProblem("Give the member's id.")
            with console.db.session() as session:
                held = passport_of(session=session, member_id=member)
                passport = issue_passport(
                    session=session, settings=console.settings, member_id=member
                )
                if held is None:
                    record(
                        session=session,
                        staff=staff,
                        action="passport.issue",
                        target=f"passport:{passport.number}",
                        after={
                            "member_id": member,
                            "level": passport.level,
                            "expires_at": passport.expires_at,
                        },
                    )
                number, until = passport.number, passport.expires_at.date().isoformat()
        except (FormProblem, PassportError) as problem:
            return passports_page(
                request, staff, 422, error=f"Not issued: {problem}", member_id=member_id
            )
        if held is not None:
            message = f"Member {member} already holds passport {number} (valid until {until})."
        else:
            message = f"Passport {number} issued to member {member}, valid until {until}."
        return pages.redirect(request, "/admin/rewards/passports", message)

    @router.post("/passports/{number}/revoke", response_class=HTMLResponse)
    def revoke(
        request: Request,
        staff: Staff,
        number: str,
        reason: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        if not reason.strip():
            return passports_page(request, staff, 422, error="Say why the passport is revoked.")
        try:
            with console.db.session() as session:
                found = session.exec(select(Passport).where(Passport.number == number)).first()
                already = found is not None and found.revoked_at is not None
                passport = revoke_passport(session=session, number=number, reason=reason)
                if not already:
                    record(
                        session=session,
                        staff=staff,
                        action="passport.revoke",
                        target=f"passport:{passport.number}",
                        before={"revoked_at": None},
                        after={"revoked_at": passport.revoked_at, "reason": passport.revoke_reason},
                    )
        except PassportError as problem:
            return passports_page(request, staff, 404, error=str(problem))
        text = "was already revoked" if already else "revoked"
        return pages.redirect(request, "/admin/rewards/passports", f"Passport {number} {text}.")

    # -- partners, offers, redemptions

    def load_partners(session: Session) -> dict[str, Any]:
        partners = list_partners(session=session)
        offers = session.exec(select(Offer).order_by(col(Offer.id))).all()
        recent = redemptions(session)[:50]
        session.expunge_all()
        by_partner: dict[int, list[Offer]] = {}
        for offer in offers:
            by_partner.setdefault(offer.partner_id, []).append(offer)
        return {"partners": partners, "offers": by_partner, "redemptions": recent}

    partners_page = tab_page("reward_partners.html", "Partners", "partners", load_partners)

    @router.get("/partners", response_class=HTMLResponse)
    def partners(request: Request, staff: Staff) -> HTMLResponse:
        return partners_page(request, staff)

    @router.post("/partners", response_class=HTMLResponse)
    def new_partner(
        request: Request,
        staff: Staff,
        name: Annotated[str, Form(max_length=200)] = "",
        address: Annotated[str, Form(max_length=300)] = "",
        contact: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        try:
            with console.db.session() as session:
                partner = add_partner(
                    session=session, name=name, address=address.strip(), contact=contact.strip()
                )
                record(
                    session=session,
                    staff=staff,
                    action="partner.add",
                    target=f"partner:{partner.id}",
                    after={
                        "name": partner.name,
                        "address": partner.address,
                        "contact": partner.contact,
                    },
                )
                text = f"Partner {partner.name} added (id {partner.id})."
        except PartnerError as problem:
            return partners_page(request, staff, 422, error=str(problem))
        return pages.redirect(request, "/admin/rewards/partners", text)

    @router.post("/partners/{partner_id}/offers", response_class=HTMLResponse)
    def new_offer(
        request: Request,
        staff: Staff,
        partner_id: int,
        title_lt: Annotated[str, Form(max_length=300)] = "",
        title_en: Annotated[str, Form(max_length=300)] = "",
        min_level: Annotated[str, Form(max_length=20)] = "",
        limit: Annotated[str, Form(max_length=20)] = "",
    ) -> Response:
        try:
            with console.db.session() as session:
                offer = add_offer(
                    session=session,
                    partner_id=partner_id,
                    title_lt=title_lt,
                    title_en=title_en,
                    min_level=whole_number(min_level, "Lowest level", blank=0, high=100) or 0,
                    limit_per_member=whole_number(limit, "Uses per member", low=1),
                )
                record(
                    session=session,
                    staff=staff,
                    action="offer.add",
                    target=f"offer:{offer.id}",
                    after=offer.model_dump(exclude={"id", "created_at"}),
                )
                text = f"Offer {offer.title_en} added."
        except (PartnerError, FormProblem) as problem:
            return partners_page(request, staff, 422, error=str(problem))
        return pages.redirect(request, "/admin/rewards/partners", text)

    @router.post("/offers/{offer_id}/active", response_class=HTMLResponse)
    def switch_offer(
        request: Request,
        staff: Staff,
        offer_id: int,
        active: Annotated[str, Form(max_length=10)] = "",
    ) -> Response:
        wanted = active == "yes"
        try:
            with console.db.session() as session:
                current = session.get(Offer, offer_id)
                before = current.active if current is not None else None
                offer = set_offer_active(session=session, offer_id=offer_id, active=wanted)
                if before != wanted:
                    record(
                        session=session,
                        staff=staff,
                        action="offer.active",
                        target=f"offer:{offer_id}",
                        before={"active": before},
                        after={"active": wanted},
                    )
                title = offer.title_en
        except PartnerError as problem:
            return partners_page(request, staff, 404, error=str(problem))
        state = "active" if wanted else "paused"
        return pages.redirect(request, "/admin/rewards/partners", f"Offer {title} is {state}.")

    # -- the ledger

    def load_ledger(session: Session) -> dict[str, Any]:
        return {"ledger": ledger_state(session), "embedded": not console.settings.chain_url}

    ledger_page = tab_page("reward_ledger.html", "Ledger", "ledger", load_ledger)

    @router.get("/ledger", response_class=HTMLResponse)
    def ledger(request: Request, staff: Staff) -> HTMLResponse:
        return ledger_page(request, staff)

    @router.post("/ledger/verify", response_class=HTMLResponse)
    def verify_now(request: Request, staff: Staff) -> HTMLResponse:
        report, error = verify_ledger(console)
        return ledger_page(request, staff, report=report, chain_error=error)

    @router.post("/ledger/sync", response_class=HTMLResponse)
    def sync_now(request: Request, staff: Staff) -> Response:
        report = sync(db=console.db, settings=console.settings)
        with console.db.session() as session:
            record(
                session=session,
                staff=staff,
                action="ledger.sync",
                target=f"chain:{report.chain_id}",
                after=asdict(report),
            )
        kind = "ok" if report.reachable and not report.error else "error"
        return pages.redirect(request, "/admin/rewards/ledger", report.summary(), kind)

    return router
