"""Members screen (admins and moderators): find a member, read their profile, channels,
consent history and rewards, export their data (GDPR access) and erase it (GDPR erasure).

Export and erasure go through bots/member_data.py, the same code the chat's /privacy and
the CLI use, so every room's share of a member is included. Erased members are tombstones:
they are never listed or found again.
"""

# No `from __future__ import annotations`: FastAPI must see the local `Staff` dependency
# alias as a real annotation, not a string it cannot resolve.

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from bots.member_data import erase_everything, export_everything
from community.members import consent_history, identities_of, member_view, referrals_count
from community.models import ChannelIdentity, Member, as_utc
from community.profile import Relation
from rewards.journal import standing_of

PAGE_SIZE = 25
MAX_ID = 2**31 - 1  # larger ids cannot exist (and overflow PostgreSQL's integer)
FREE_TEXT = ("city",)  # what a member typed: never copied into the audit log

MemberId = Annotated[int, Path(ge=1, le=MAX_ID)]
SearchText = Annotated[str, Query(max_length=200)]


# ---- finding members ------------------------------------------------------------------------


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_conditions(q: str) -> list[Any]:
    """A member matches by id, referral code, a platform user id, city, country or relation."""
    q = q.strip()
    if not q:
        return []
    conditions: list[Any] = [
        func.upper(col(Member.referral_code)) == q.upper(),
        col(Member.id).in_(
            select(ChannelIdentity.member_id).where(ChannelIdentity.platform_user_id == q)
        ),
        func.lower(col(Member.city)).like(_like(q.lower()), escape="\\"),
    ]
    if q.isdigit() and int(q) <= MAX_ID:
        conditions.append(col(Member.id) == int(q))
    if len(q) == 2 and q.isalpha():
        conditions.append(col(Member.country) == q.upper())
    if q.lower() in set(Relation):
        conditions.append(col(Member.relation) == q.lower())
    return [or_(*conditions)]


def search_members(
    *, session: Session, q: str = "", offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[Member], int]:
    """One page of members not erased that match `q` (all when empty), newest first, and
    how many match in all."""
    conditions = [col(Member.erased_at).is_(None), *_search_conditions(q)]
    total = session.exec(select(func.count()).select_from(Member).where(*conditions)).one()
    query = select(Member).where(*conditions).order_by(col(Member.id).desc())
    return list(session.exec(query.offset(offset).limit(limit))), int(total)


def _platforms(session: Session, member_ids: list[int]) -> dict[int, list[str]]:
    """Each member's channel platforms (never the platform user ids) for a list."""
    found: dict[int, list[str]] = {member_id: [] for member_id in member_ids}
    if member_ids:
        query = select(ChannelIdentity.member_id, ChannelIdentity.platform).where(
            col(ChannelIdentity.member_id).in_(member_ids)
        )
        for member_id, platform in session.exec(query.order_by(col(ChannelIdentity.id))):
            found[member_id].append(platform)
    return found


def _live_member(session: Session, member_id: int) -> Member | None:
    """The member, unless there is none or they were erased."""
    member = session.get(Member, member_id)
    return member if member is not None and member.erased_at is None else None


# ---- the profile -----------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def profile_of(session: Session, member: Member) -> dict[str, Any]:
    """What staff see of a member: the profile, channels, consent history, rewards."""
    assert member.id is not None
    standing = standing_of(session=session, member_id=member.id)
    return member_view(session=session, member=member) | {
        "onboarded_at": _when(member.onboarded_at),
        "referrals": referrals_count(session=session, member_id=member.id),
        "channels": [
            {
                "platform": identity.platform,
                "user_id": identity.platform_user_id,
                "reachable": identity.reachable,
                "since": _when(identity.created_at),
                "last_seen": _when(identity.last_seen_at),
            }
            for identity in identities_of(session=session, member_id=member.id)
        ],
        "consent_history": [
            {
                "purpose": consent.purpose,
                "granted": consent.granted,
                "notice_version": consent.notice_version,
                "source": consent.source,
                "at": _when(consent.at),
            }
            for consent in consent_history(session=session, member_id=member.id)
        ],
        "rewards": {
            "points": standing.points,
            "level": standing.level.number,
            "level_name": standing.level.name_en,
            "points_to_next": standing.points_to_next,
            "badges": [badge.name_en for badge in standing.badges],
            "latest": [
                {"rule": event.rule, "points": event.points, "at": _when(event.at)}
                for event in standing.latest
            ],
        },
    }


# ---- the JSON API (for scripts and Schemathesis) ---------------------------------------------


class MemberSummary(BaseModel):
    """A line of the member list: no platform user ids, only which platforms."""

    id: int
    language: str
    relation: str | None
    country: str | None
    return_intention: str | None
    interests: list[str]
    joined: str
    onboarded: bool
    channels: list[str]


class ChannelOut(BaseModel):
    platform: str
    reachable: bool
    since: str | None


class ConsentOut(BaseModel):
    purpose: str
    granted: bool
    notice_version: str
    source: str
    at: str | None


class RewardsOut(BaseModel):
    points: int
    level: int
    level_name: str
    points_to_next: int | None
    badges: list[str]


class MemberProfile(BaseModel):
    id: int
    language: str
    relation: str | None
    country: str | None
    city: str | None
    interests: list[str]
    return_intention: str | None
    joined: str
    onboarded_at: str | None
    referral_code: str | None
    referrals: int
    consents: dict[str, bool]
    channels: list[ChannelOut]
    consent_history: list[ConsentOut]
    rewards: RewardsOut


class NotFound(BaseModel):
    detail: str


def _summary(member: Member, platforms: list[str]) -> MemberSummary:
    assert member.id is not None
    return MemberSummary(
        id=member.id,
        language=member.language,
        relation=member.relation,
        country=member.country,
        return_intention=member.return_intention,
        interests=list(member.interests),
        joined=as_utc(member.created_at).isoformat(),
        onboarded=member.onboarded_at is not None,
        channels=platforms,
    )


def _profile_out(profile: dict[str, Any]) -> MemberProfile:
    return MemberProfile.model_validate(profile | {"joined": profile["created_at"]})


def build_member_api(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/api/members", tags=["members"])
    Staff = Annotated[StaffAccount, Depends(console.guard("members"))]

    @router.get("", response_model=list[MemberSummary])
    def list_members(
        staff: Staff, q: SearchText = "", limit: Annotated[int, Query(ge=1, le=100)] = 25
    ) -> list[MemberSummary]:
        """Members not erased matching `q` (id, referral code, platform user id, city,
        country or relation), newest first."""
        with console.db.session() as session:
            found, _ = search_members(session=session, q=q, limit=limit)
            platforms = _platforms(session, [m.id for m in found if m.id is not None])
            return [_summary(member, platforms[member.id or 0]) for member in found]

    @router.get("/{member_id}", response_model=MemberProfile, responses={404: {"model": NotFound}})
    def show_member(staff: Staff, member_id: MemberId) -> MemberProfile:
        """One member's profile, channels, consent history and rewards (404 once erased)."""
        with console.db.session() as session:
            member = _live_member(session, member_id)
            if member is None:
                raise HTTPException(404, "No such member (or the member was erased).")
            return _profile_out(profile_of(session, member))

    return router


# ---- the staff pages -------------------------------------------------------------------------


def build_member_pages(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/members", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("members"))]

    def missing(request: Request, staff: StaffAccount, member_id: int) -> HTMLResponse:
        return console.pages.render(
            request,
            "admin/member-missing.html",
            staff,
            area="members",
            title="No such member",
            member_id=member_id,
            status_code=404,
        )

    @router.get("", response_class=HTMLResponse)
    def member_list(
        request: Request,
        staff: Staff,
        q: SearchText = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> HTMLResponse:
        with console.db.session() as session:
            found, total = search_members(session=session, q=q, offset=(page - 1) * PAGE_SIZE)
            platforms = _platforms(session, [m.id for m in found if m.id is not None])
            rows = [_summary(member, platforms[member.id or 0]) for member in found]
        pages = max(1, -(-total // PAGE_SIZE))
        return console.pages.render(
            request,
            "admin/members.html",
            staff,
            area="members",
            title="Members",
            rows=rows,
            q=q,
            page=page,
            pages=pages,
            total=total,
        )

    @router.get("/{member_id}", response_class=HTMLResponse)
    def member_page(request: Request, staff: Staff, member_id: MemberId) -> HTMLResponse:
        with console.db.session() as session:
            member = _live_member(session, member_id)
            if member is None:
                return missing(request, staff, member_id)
            profile = profile_of(session, member)
        return console.pages.render(
            request,
            "admin/member.html",
            staff,
            area="members",
            title=f"Member {member_id}",
            member=profile,
        )

    @router.post("/{member_id}/export")
    def member_export(request: Request, staff: Staff, member_id: MemberId) -> Response:
        """Everything held about the member as a JSON file (GDPR access and portability)."""
        with console.db.session() as session:
            member = _live_member(session, member_id)
            if member is None:
                return missing(request, staff, member_id)
            data = export_everything(session=session, member=member)
            record(
                session=session,
                staff=staff,
                action="member.export",
                target=str(member_id),
                after={"sections": sorted(data)},
            )
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        return Response(
            body,
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="alytus-member-{member_id}.json"',
                "Cache-Control": "no-store",
            },
        )

    def erase_page(
        request: Request, staff: StaffAccount, profile: dict[str, Any], error: str | None = None
    ) -> HTMLResponse:
        return console.pages.render(
            request,
            "admin/member-erase.html",
            staff,
            area="members",
            title=f"Erase member {profile['id']}",
            member=profile,
            error=error,
            status_code=400 if error else 200,
        )

    @router.get("/{member_id}/erase", response_class=HTMLResponse)
    def member_erase_form(request: Request, staff: Staff, member_id: MemberId) -> HTMLResponse:
        with console.db.session() as session:
            member = _live_member(session, member_id)
            if member is None:
                return missing(request, staff, member_id)
            profile = profile_of(session, member)
        return erase_page(request, staff, profile)

    @router.post("/{member_id}/erase")
    def member_erase(
        request: Request,
        staff: Staff,
        member_id: MemberId,
        confirm: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        """Erase the member in every room once staff typed the member's id to confirm."""
        with console.db.session() as session:
            member = _live_member(session, member_id)
            if member is None:
                return missing(request, staff, member_id)
            if confirm.strip() != str(member_id):
                profile = profile_of(session, member)
                return erase_page(
                    request, staff, profile, f"Type {member_id} to confirm; nothing was erased."
                )
            removed = erase_everything(
                session=session,
                member=member,
                notice_version=console.settings.privacy_notice_version,
            )
            record(
                session=session,
                staff=staff,
                action="member.erase",
                target=str(member_id),
                # who erased whom and when, and which kinds of data went: never their values,
                # or the audit log would keep what the member asked to have erased
                after={"removed": removed},
            )
        console.db.forget_erased()
        return console.pages.redirect(request, "/admin/members", f"Member {member_id} erased.")

    return router


def build_member_router(console: Console) -> APIRouter:
    """The members pages and their JSON API."""
    router = APIRouter()
    router.include_router(build_member_pages(console))
    router.include_router(build_member_api(console))
    return router
