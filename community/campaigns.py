"""Campaigns: invite a selection of prospects, each with a personal link, and follow the funnel
(invited, opened the link, joined, finished onboarding).

Selection: filters (school, years of leaving, source, minimum Alytus connection score) over
the prospects who have the channel's address, are not members yet and carry no key on the
do-not-contact list. Each prospect is invited once per campaign (a unique row).

Email goes through SMTP from the bots room (bots/campaign_mail.py), each message at most once:
an invite is claimed here ("sending") in one commit before the SMTP call and settled in
another after it, so a crash in between leaves it "sending", in doubt and never resent.

Telegram and Discord cannot be sent to from a handle alone: a Telegram bot may only write
to people who started it, and a Discord DM needs a user id and a shared server. Invites on
those channels are marked "link_ready": staff share each personal link themselves.

A link `{public_url}/join/{token}` records the first opening and leads into the bot with
`/start <token>`; the onboarding flow then calls `mark_joined` and, on completion,
`mark_onboarded`. `{link}/optout` puts every contact key of the prospect on the
do-not-contact list, so later imports reject them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlmodel import Session

from community.database import Database
from community.models import Campaign, CampaignInvite, DoNotContact, Prospect, utcnow
from community.prospects import KEYS, add_to_do_not_contact, score_prospect
from community.settings import Settings
from nlu.text import fold

CHANNELS = ("email", "telegram", "discord")
LINK_CHANNELS = ("telegram", "discord")  # no bot can start these conversations
PLACEHOLDERS = ("name", "link")
INVITED = ("sent", "link_ready")
STATUSES = ("queued", "sending", "sent", "failed", "skipped", "link_ready")
FUNNEL_STEPS = ("invited", "opened", "joined", "onboarded")
TOKEN_BYTES = 16  # 22 URL-safe characters; referral codes are 8, so the two never collide
BATCH = 200
MAX_PACE_MS = 60_000

_prospects = Prospect.__table__  # type: ignore[attr-defined]
_invites = CampaignInvite.__table__  # type: ignore[attr-defined]
_do_not_contact = DoNotContact.__table__  # type: ignore[attr-defined]
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class CampaignError(ValueError):
    """A campaign that cannot be created or sent as asked; the message says why."""


class CampaignNotFound(LookupError):
    """No campaign with this id."""


# ---------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class ProspectFilter:
    """Who a campaign reaches. Text filters match anywhere, ignoring case and diacritics."""

    channel: str = "email"
    school: str = ""
    source: str = ""
    left_from: int | None = None
    left_to: int | None = None
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise CampaignError(f"Choose a channel: {', '.join(CHANNELS)}.")
        if not 0.0 <= self.min_score <= 1.0:
            raise CampaignError("The minimum connection score is between 0 and 1.")
        if self.left_from and self.left_to and self.left_from > self.left_to:
            raise CampaignError("The first year of leaving is after the last one.")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ProspectFilter:
        known = {key: values[key] for key in cls.__dataclass_fields__ if key in values}
        return cls(**known)


def _blocked() -> Any:
    """True for a prospect row with any contact key on the do-not-contact list."""
    return exists().where(
        or_(
            *(
                and_(_do_not_contact.c.kind == key, _do_not_contact.c.value == _prospects.c[key])
                for key in KEYS
            )
        )
    )


def _query(filters: ProspectFilter) -> Any:
    query = select(_prospects).where(
        _prospects.c[filters.channel].is_not(None),
        _prospects.c.member_id.is_(None),
        ~_blocked(),
    )
    if filters.left_from:
        query = query.where(_prospects.c.left_year >= filters.left_from)
    if filters.left_to:
        query = query.where(_prospects.c.left_year <= filters.left_to)
    return query.order_by(_prospects.c.id)


def _matches(prospect: Mapping[str, Any], filters: ProspectFilter) -> bool:
    for column, wanted in (("school", filters.school), ("source", filters.source)):
        if wanted.strip() and fold(wanted) not in fold(str(prospect[column] or "")):
            return False
    return filters.min_score <= 0 or score_prospect(prospect).score >= filters.min_score


def select_prospects(*, session: Session, filters: ProspectFilter) -> Iterator[dict[str, Any]]:
    """The prospects a campaign with these filters reaches, oldest first, streamed."""
    query = _query(filters).execution_options(yield_per=1000)
    for row in session.execute(query):
        if _matches(row._mapping, filters):
            yield dict(row._mapping)


def count_reach(*, session: Session, filters: ProspectFilter) -> int:
    """How many prospects these filters reach now (the number a new campaign will invite)."""
    if not (filters.school.strip() or filters.source.strip() or filters.min_score > 0):
        count = select(func.count()).select_from(_query(filters).order_by(None).subquery())
        return int(session.execute(count).scalar_one())
    return sum(1 for _ in select_prospects(session=session, filters=filters))


# ---------------------------------------------------------------------------- campaigns


def _check_text(text: str, what: str, *, needs_link: bool) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise CampaignError(f"Write the {what}.")
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise CampaignError(
            f"The {what} uses {', '.join('{' + name + '}' for name in unknown)}: "
            "only {name} and {link} are filled in."
        )
    if needs_link and "{link}" not in text:
        raise CampaignError(f"The {what} must contain {{link}}, the personal invitation link.")
    return text


def create_campaign(
    *,
    session: Session,
    name: str,
    filters: ProspectFilter,
    subject_lt: str = "",
    subject_en: str = "",
    body_lt: str,
    body_en: str,
    created_by: str = "",
    pace_ms: int = 0,
) -> Campaign:
    """A draft campaign; CampaignError says what is missing or wrong."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise CampaignError("Give the campaign a name (up to 200 characters).")
    if not 0 <= pace_ms <= MAX_PACE_MS:
        raise CampaignError(f"The pause between emails is 0 to {MAX_PACE_MS // 1000} seconds.")
    email = filters.channel == "email"
    subjects = {"lt": subject_lt.strip(), "en": subject_en.strip()}
    if email:
        for language, subject in subjects.items():
            _check_text(subject, f"subject ({language})", needs_link=False)
            if len(subject) > 200:
                raise CampaignError("A subject is up to 200 characters.")
    campaign = Campaign(
        name=name,
        channel=filters.channel,
        subject_lt=subjects["lt"] if email else "",
        subject_en=subjects["en"] if email else "",
        body_lt=_check_text(body_lt, "Lithuanian text", needs_link=True),
        body_en=_check_text(body_en, "English text", needs_link=True),
        filters=filters.as_dict(),
        pace_ms=pace_ms,
        created_by=created_by[:320],
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"No campaign {campaign_id}.")
    return campaign


def plan_invites(*, session: Session, campaign_id: int) -> int:
    """Write the invites of a draft campaign (once; later calls add nothing). Email invites
    wait "queued" for `deliver`; Telegram and Discord ones are "link_ready" at once."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "draft":
        return 0
    filters = ProspectFilter.from_dict(campaign.filters)
    invited = set(
        session.execute(
            select(_invites.c.prospect_id).where(_invites.c.campaign_id == campaign_id)
        ).scalars()
    )
    now = utcnow()
    link_only = campaign.channel in LINK_CHANNELS
    rows = [
        {
            "campaign_id": campaign_id,
            "prospect_id": prospect["id"],
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "channel": campaign.channel,
            "status": "link_ready" if link_only else "queued",
            "sent_at": now if link_only else None,
            "created_at": now,
        }
        for prospect in select_prospects(session=session, filters=filters)
        if prospect["id"] not in invited
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(_invites), rows[start : start + 1000])
    campaign.status = "done" if link_only else "sending"
    campaign.started_at = now
    campaign.finished_at = now if link_only else None
    session.add(campaign)
    session.flush()
    return len(rows)


# ---------------------------------------------------------------------------- links


def invite_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/join/{token}"


def optout_link(public_url: str, token: str) -> str:
    return f"{invite_link(public_url, token)}/optout"


def way_in(settings: Settings, token: str) -> str:
    """Where an opened link leads: the Telegram bot when it is configured, else the web chat
    (which sends `/start <token>` for `?ref=<token>`)."""
    if settings.telegram_token and settings.telegram_bot_username:
        return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start={token}"
    return f"{settings.public_url.rstrip('/')}/?ref={token}"


def fill(template: str, *, name: str, link: str) -> str:
    """A campaign text with {name} and {link} filled in (nothing else is a placeholder)."""
    values = {"name": name, "link": link}
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), template)


def find_invite(session: Session, token: str) -> CampaignInvite | None:
    if not _TOKEN.fullmatch(token):
        return None
    query = select(CampaignInvite).where(CampaignInvite.token == token)  # type: ignore[arg-type]
    return session.execute(query).scalars().first()


def open_link(*, session: Session, token: str, count: bool = True) -> CampaignInvite | None:
    """The invite of a personal link, its first opening recorded (unless `count` is False: a
    link preview, not a person); None for an unknown token."""
    invite = find_invite(session, token)
    if count and invite is not None and invite.opened_at is None:
        invite.opened_at = utcnow()
        session.add(invite)
        session.flush()
    return invite


def opt_out(*, session: Session, token: str) -> CampaignInvite | None:
    """Put every contact key of the link's prospect on the do-not-contact list and skip their
    invites still waiting; None for an unknown token. Doing it twice changes nothing."""
    invite = find_invite(session, token)
    if invite is None:
        return None
    invite.opted_out_at = invite.opted_out_at or utcnow()
    session.add(invite)
    prospect = session.get(Prospect, invite.prospect_id) if invite.prospect_id else None
    if prospect is not None:
        reason = f"opted out (campaign {invite.campaign_id})"
        for key in KEYS:
            value = getattr(prospect, key)
            if value:
                add_to_do_not_contact(session=session, kind=key, value=value, reason=reason)
        session.execute(
            update(_invites)
            .where(_invites.c.prospect_id == prospect.id, _invites.c.status == "queued")
            .values(status="skipped", error="opted out")
        )
    session.flush()
    return invite


def mark_joined(*, session: Session, token: str, member_id: int) -> bool:
    """A member started the bot with a campaign token: record who joined through it. False
    when the token is no campaign's (it may be a member's referral code)."""
    invite = find_invite(session, token)
    if invite is None:
        return False
    if invite.joined_member_id is None:
        now = utcnow()
        invite.joined_member_id = member_id
        invite.joined_at = now
        invite.opened_at = invite.opened_at or now  # a link forwarded straight into the bot
        session.add(invite)
        prospect = session.get(Prospect, invite.prospect_id) if invite.prospect_id else None
        if prospect is not None and prospect.member_id is None:
            prospect.member_id = member_id
            session.add(prospect)
        session.flush()
    return True


def mark_onboarded(*, session: Session, member_id: int) -> int:
    """The member finished onboarding: the invites they joined through count as onboarded."""
    result = session.execute(
        update(_invites)
        .where(_invites.c.joined_member_id == member_id, _invites.c.onboarded_at.is_(None))
        .values(onboarded_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- sending bookkeeping
# (the bots room sends: bots/campaign_mail.py; these claim and settle one invite at a time)


def queued_invites(db: Database, campaign_id: int) -> list[int]:
    with db.session() as session:
        query = (
            select(_invites.c.id)
            .where(_invites.c.campaign_id == campaign_id, _invites.c.status == "queued")
            .order_by(_invites.c.id)
            .limit(BATCH)
        )
        return list(session.execute(query).scalars())


def claim_invite(db: Database, invite_id: int) -> tuple[str, str, str] | str | None:
    """Mark one queued invite "sending" and commit: (name, email, token) to send it; a reason
    when it was skipped instead (prospect erased, or their key now on the do-not-contact
    list); None when another run took it first."""
    with db.session() as session:
        claimed = session.execute(
            update(_invites)
            .where(_invites.c.id == invite_id, _invites.c.status == "queued")
            .values(status="sending")
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return None
        invite = session.execute(
            select(_invites.c.token, _prospects)
            .select_from(_invites.outerjoin(_prospects, _prospects.c.id == _invites.c.prospect_id))
            .where(_invites.c.id == invite_id)
        ).one()
        found = invite._mapping
        reason = None
        if found["id"] is None or not found["email"]:
            reason = "the prospect was erased"
        elif session.execute(
            select(_prospects.c.id).where(_prospects.c.id == found["id"], _blocked())
        ).first():
            reason = "on the do-not-contact list"
        if reason:
            session.execute(
                update(_invites)
                .where(_invites.c.id == invite_id)
                .values(status="skipped", error=reason)
            )
            return reason
        return found["name"], found["email"], found["token"]


def finish_invite(db: Database, invite_id: int, status: str, error: str | None = None) -> None:
    with db.session() as session:
        values: dict[str, Any] = {"status": status, "error": error[:500] if error else None}
        if status == "sent":
            values["sent_at"] = utcnow()
        session.execute(update(_invites).where(_invites.c.id == invite_id).values(values))


SETTLE_OUTCOMES = ("sent", "queued")
SHOWN_IN_DOUBT = 50


def in_doubt(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """The invites in doubt (claimed, then the run broke off), with the address to look up in
    the mail server's log; the first SHOWN_IN_DOUBT."""
    query = (
        select(_invites.c.id, _prospects.c.name, _prospects.c.email, _invites.c.error)
        .select_from(_invites.outerjoin(_prospects, _prospects.c.id == _invites.c.prospect_id))
        .where(_invites.c.campaign_id == campaign_id, _invites.c.status == "sending")
        .order_by(_invites.c.id)
        .limit(SHOWN_IN_DOUBT)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def settle_in_doubt(*, session: Session, campaign_id: int, outcome: str) -> int:
    """Staff's word on the invites in doubt, after checking the mail server's log: "sent"
    counts them as invited, "queued" lets the next run send them again. Returns how many."""
    if outcome not in SETTLE_OUTCOMES:
        raise CampaignError(f"outcome must be one of {', '.join(SETTLE_OUTCOMES)}")
    campaign = get_campaign(session, campaign_id)
    values: dict[str, Any] = {"status": outcome, "error": None}
    if outcome == "sent":
        values["sent_at"] = utcnow()
    result = session.execute(
        update(_invites)
        .where(_invites.c.campaign_id == campaign_id, _invites.c.status == "sending")
        .values(values)
    )
    settled = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if settled and outcome == "queued" and campaign.status == "done":
        campaign.status, campaign.finished_at = "sending", None  # "Send the rest" again
        session.add(campaign)
    return settled


def count_invites(session: Session, campaign_id: int, status: str) -> int:
    query = select(func.count()).where(
        _invites.c.campaign_id == campaign_id, _invites.c.status == status
    )
    return int(session.execute(query).scalar_one())


def close_if_done(session: Session, campaign_id: int) -> None:
    campaign = get_campaign(session, campaign_id)
    if campaign.status == "sending" and count_invites(session, campaign_id, "queued") == 0:
        campaign.status = "done"
        campaign.finished_at = utcnow()
        session.add(campaign)


# ---------------------------------------------------------------------------- the funnel


@dataclass(frozen=True)
class Funnel:
    """One campaign's funnel, and its invites counted by status."""

    campaign_id: int
    invited: int
    opened: int
    joined: int
    onboarded: int
    opted_out: int
    statuses: dict[str, int]

    def steps(self) -> list[tuple[str, int]]:
        return [(step, getattr(self, step)) for step in FUNNEL_STEPS]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def funnel(*, session: Session, campaign_id: int) -> Funnel:
    get_campaign(session, campaign_id)
    mine = _invites.c.campaign_id == campaign_id
    statuses = dict.fromkeys(STATUSES, 0)
    for status, count in session.execute(
        select(_invites.c.status, func.count()).where(mine).group_by(_invites.c.status)
    ):
        statuses[status] = int(count)

    def counted(*conditions: Any) -> int:
        return int(session.execute(select(func.count()).where(mine, *conditions)).scalar_one())

    return Funnel(
        campaign_id=campaign_id,
        invited=sum(statuses[status] for status in INVITED),
        opened=counted(_invites.c.opened_at.is_not(None)),
        joined=counted(_invites.c.joined_member_id.is_not(None)),
        onboarded=counted(_invites.c.onboarded_at.is_not(None)),
        opted_out=counted(_invites.c.opted_out_at.is_not(None)),
        statuses=statuses,
    )


def funnel_csv(found: Funnel) -> str:
    """step,prospects,% of invited (one line per step)."""
    lines = ["step,prospects,% of invited"]
    for step, count in found.steps():
        share = f"{100 * count / found.invited:.1f}" if found.invited else ""
        lines.append(f"{step},{count},{share}")
    return "\n".join(lines) + "\n"


def invite_links(*, session: Session, campaign_id: int, public_url: str) -> list[dict[str, Any]]:
    """Each invite's prospect, handle and personal link, for staff to share by hand
    (Telegram and Discord campaigns)."""
    campaign = get_campaign(session, campaign_id)
    query = (
        select(_invites.c.token, _invites.c.status, _invites.c.opened_at, _prospects)
        .select_from(_invites.outerjoin(_prospects, _prospects.c.id == _invites.c.prospect_id))
        .where(_invites.c.campaign_id == campaign_id)
        .order_by(_invites.c.id)
    )
    return [
        {
            "name": row._mapping["name"] or "(erased)",
            "address": row._mapping[campaign.channel] if row._mapping["id"] else "",
            "status": row._mapping["status"],
            "opened": row._mapping["opened_at"] is not None,
            "link": invite_link(public_url, row._mapping["token"]),
        }
        for row in session.execute(query)
    ]
