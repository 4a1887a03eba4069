"""The reward journal: append-only, one row per reward, written once (unique key).

Balances, levels and badges are derived from it, never stored apart, so the journal is the
one truth the ledger is checked against. Each reward is handed to the ledger outbox in the
same transaction, so a reward is never recorded on chain without being in the journal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from community import notifications
from community.members import has_consent, identities_of
from community.models import Member, as_utc, utcnow
from community.profile import ConsentPurpose
from community.settings import Settings
from ledger import outbox
from ledger.addresses import member_address
from ledger.verify import ExpectedReward
from rewards.badges import Badge, badges_for
from rewards.levels import Level, level_for, next_level
from rewards.models import LeaderboardEntry, MayorInvitation, MayorInvitee, RewardEvent
from rewards.rules import MANUAL, REFERRAL, Rule, get_rule

CITY_TIME = ZoneInfo("Europe/Vilnius")  # "per day" is the day as Alytus counts it
LATEST = 5

Refusal = Literal[
    "duplicate",
    "inactive",
    "cap_day",
    "cap_total",
    "self_referral",
    "not_onboarded",
    "reason_required",
    "unknown_rule",
    "unknown_member",
]


@dataclass(frozen=True)
class AwardResult:
    awarded: bool
    event: RewardEvent | None = None
    refused: Refusal | None = None
    level_up: Level | None = None


@dataclass(frozen=True)
class Standing:
    points: int
    level: Level
    next_level: Level | None
    points_to_next: int | None
    badges: list[Badge] = field(default_factory=list)
    latest: list[RewardEvent] = field(default_factory=list)


def reward_key(rule: str, key: str) -> str:
    """The journal's idempotency key, which is also the reward's id on chain."""
    return f"{rule}:{key}"


def _refused(reason: Refusal) -> AwardResult:
    return AwardResult(awarded=False, refused=reason)


def award(
    *,
    session: Session,
    settings: Settings,
    member_id: int,
    rule: str,
    key: str,
    points: int | None = None,
    reason: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> AwardResult:
    """Reward a member once for `key` under `rule`; a repeat changes nothing ("duplicate").

    For `referral.joined`, `member_id` is the referrer and `key` the invitee's member id.
    `points` overrides the rule's points (required for `manual`, which may be negative to
    correct a mistake). `now` is for tests and back-dated imports.
    """
    found = get_rule(session=session, code=rule)
    if found is None:
        return _refused("unknown_rule")
    idempotency_key = reward_key(rule, key)
    member = _lock_member(session, member_id)  # first: a racing twin has committed by now
    if _event_by_key(session, idempotency_key) is not None:
        return _refused("duplicate")
    if member is None or member.erased_at is not None:
        return _refused("unknown_member")
    refusal = _check(session, found, member_id, key, reason, _utc(now))
    if refusal is not None:
        return _refused(refusal)
    amount = found.points if points is None else points
    if amount is None:
        raise ValueError(f"rule {rule!r} has no points of its own: give points")
    before = balance_of(session=session, member_id=member_id)
    on_chain = amount > 0 and has_consent(
        session=session, member_id=member_id, purpose=ConsentPurpose.ONCHAIN_REWARDS
    )
    event = RewardEvent(
        key=idempotency_key,
        member_id=member_id,
        account=member_address(settings, member_id),
        rule=rule,
        points=amount,
        reason=reason.strip() if reason else None,
        actor=actor,
        at=_utc(now),
        on_chain=on_chain,
    )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        # Another transaction wrote the same reward a moment ago.
        return _refused("duplicate")
    if on_chain:
        outbox.enqueue(
            session=session,
            settings=settings,
            reward_key=idempotency_key,
            account=event.account,
            points=amount,
        )
    level_up = _level_up(session, event, before)
    return AwardResult(awarded=True, event=event, level_up=level_up)


def _utc(moment: datetime | None) -> datetime:
    # SQLite keeps no zone: every stored and compared time is UTC.
    return utcnow() if moment is None else as_utc(moment).astimezone(UTC)


def _event_by_key(session: Session, key: str) -> RewardEvent | None:
    return session.exec(select(RewardEvent).where(RewardEvent.key == key)).first()


def _lock_member(session: Session, member_id: int) -> Member | None:
    """The member, locked until commit (PostgreSQL), so two awards cannot both pass a cap."""
    statement = select(Member).where(Member.id == member_id).with_for_update()
    return session.exec(statement).first()


def _check(
    session: Session, rule: Rule, member_id: int, key: str, reason: str | None, now: datetime
) -> Refusal | None:
    if not rule.active:
        return "inactive"
    if rule.code == MANUAL and not (reason or "").strip():
        return "reason_required"
    if rule.code == REFERRAL:
        refusal = _referral_refusal(session, member_id, key)
        if refusal is not None:
            return refusal
    if rule.cap_total is not None and _count(session, member_id, rule.code) >= rule.cap_total:
        return "cap_total"
    if rule.cap_day is not None:
        if _count(session, member_id, rule.code, day=_day_of(now)) >= rule.cap_day:
            return "cap_day"
    return None


def _referral_refusal(session: Session, referrer_id: int, key: str) -> Refusal | None:
    """A friend earns the referrer points once they have joined for real (onboarded)."""
    if not key.isdigit():
        return "unknown_member"
    if int(key) == referrer_id:
        return "self_referral"
    invitee = session.get(Member, int(key))
    if invitee is None or invitee.referred_by_id != referrer_id:
        return "unknown_member"
    if invitee.onboarded_at is None:
        return "not_onboarded"
    return None


def _day_of(now: datetime) -> tuple[datetime, datetime]:
    """The Alytus calendar day around `now`, as UTC bounds (23 or 25 hours on DST days)."""
    local = now.astimezone(CITY_TIME).date()
    start = datetime(local.year, local.month, local.day, tzinfo=CITY_TIME)
    following = local + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=CITY_TIME)
    return start.astimezone(UTC), end.astimezone(UTC)


def _count(
    session: Session, member_id: int, rule: str, day: tuple[datetime, datetime] | None = None
) -> int:
    statement = select(func.count()).where(
        RewardEvent.member_id == member_id, RewardEvent.rule == rule
    )
    if day is not None:
        statement = statement.where(RewardEvent.at >= day[0], RewardEvent.at < day[1])
    return int(session.exec(statement).one())


def balance_of(*, session: Session, member_id: int) -> int:
    statement = select(func.coalesce(func.sum(RewardEvent.points), 0)).where(
        RewardEvent.member_id == member_id
    )
    return int(session.exec(statement).one())


def _level_up(session: Session, event: RewardEvent, before: int) -> Level | None:
    """The level newly reached, announced in chat once (dedupe key per member and level),
    saying what earned it: the reward's rule (named by the catalogue's `why_key`, or staff's
    own reason for a manual award), its points, the new total; and the passport when this
    level is the one that brings it."""
    member_id = event.member_id
    assert member_id is not None
    after = before + event.points
    old, new = level_for(before), level_for(after)
    if new.number <= old.number:
        return None
    platform = latest_platform(session=session, member_id=member_id)
    if platform is not None:
        why: dict[str, str] = {"why_key": f"rewards.rule_{event.rule.replace('.', '_')}"}
        if event.rule == MANUAL and event.reason:
            why = {"why": event.reason}
        brings_passport = new.passport and not old.passport
        notifications.enqueue(
            session=session,
            member_id=member_id,
            platform=platform,
            message_key="rewards.level_up_passport" if brings_passport else "rewards.level_up_why",
            params={
                "level": new.number,
                "name_lt": new.name_lt,
                "name_en": new.name_en,
                "points": event.points,
                "total": after,
                **why,
            },
            dedupe_key=f"level_up:{member_id}:{new.number}",
        )
    return new


def latest_platform(*, session: Session, member_id: int) -> str | None:
    """Where to tell the member something: the reachable platform they used last."""
    identities = [i for i in identities_of(session=session, member_id=member_id) if i.reachable]
    if not identities:
        return None
    return max(identities, key=lambda i: (as_utc(i.last_seen_at), i.id or 0)).platform


def events_of(*, session: Session, member_id: int, limit: int | None = None) -> list[RewardEvent]:
    """The member's rewards, newest first."""
    statement = (
        select(RewardEvent)
        .where(RewardEvent.member_id == member_id)
        .order_by(col(RewardEvent.at).desc(), col(RewardEvent.id).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def standing_of(*, session: Session, member_id: int) -> Standing:
    """Points, level, what the next level needs, badges and the latest rewards."""
    points = balance_of(session=session, member_id=member_id)
    level = level_for(points)
    following = next_level(level)
    counts = session.exec(
        select(RewardEvent.rule, func.count())
        .where(RewardEvent.member_id == member_id, RewardEvent.points > 0)
        .group_by(RewardEvent.rule)
    )
    return Standing(
        points=points,
        level=level,
        next_level=following,
        points_to_next=following.min_points - points if following else None,
        badges=badges_for(Counter(dict(counts.all()))),
        latest=events_of(session=session, member_id=member_id, limit=LATEST),
    )


def points_by_member(*, session: Session) -> dict[int, int]:
    """Every linked member's balance (leaderboard, the mayor's invitation)."""
    statement = (
        select(RewardEvent.member_id, func.sum(RewardEvent.points))
        .where(col(RewardEvent.member_id).is_not(None))
        .group_by(RewardEvent.member_id)
    )
    return {int(member_id): int(total) for member_id, total in session.exec(statement)}


def expected_on_chain(session: Session, settings: Settings) -> list[ExpectedReward]:
    """What the ledger must hold (`alytus ledger verify`): every reward with positive points
    given while the member consented to on-chain rewards."""
    statement = (
        select(RewardEvent)
        .where(RewardEvent.points > 0, col(RewardEvent.on_chain).is_(True))
        .order_by(col(RewardEvent.id))
    )
    return [
        ExpectedReward(reward_key=event.key, account=event.account, points=event.points)
        for event in session.exec(statement)
    ]


def forget_member(*, session: Session, member_id: int) -> list[str]:
    """Erasure: the rewards stay (they are on chain) but point to nobody; the chosen
    leaderboard name and the answers to invitations go. Says what was removed."""
    removed = []
    unlinked = session.exec(
        update(RewardEvent).where(col(RewardEvent.member_id) == member_id).values(member_id=None)
    )
    if unlinked.rowcount:
        removed.append("reward_link")
    for table, name in ((LeaderboardEntry, "leaderboard"), (MayorInvitee, "invitations")):
        deleted = session.exec(delete(table).where(col(table.member_id) == member_id))
        if deleted.rowcount:
            removed.append(name)
    return removed


def export_member(*, session: Session, member_id: int) -> dict[str, Any]:
    """The member's rewards, JSON-ready (GDPR access and portability)."""
    standing = standing_of(session=session, member_id=member_id)
    entry = session.get(LeaderboardEntry, member_id)
    invitations = session.exec(
        select(MayorInvitation, MayorInvitee)
        .join(MayorInvitee, col(MayorInvitee.invitation_id) == MayorInvitation.id)
        .where(MayorInvitee.member_id == member_id)
        .order_by(col(MayorInvitation.held_on))
    )
    return {
        "points": standing.points,
        "level": {
            "number": standing.level.number,
            "name_lt": standing.level.name_lt,
            "name_en": standing.level.name_en,
        },
        "badges": [badge.code for badge in standing.badges],
        "events": [
            {
                "key": event.key,
                "rule": event.rule,
                "points": event.points,
                "reason": event.reason,
                "at": as_utc(event.at).isoformat(),
                "account": event.account,
            }
            for event in reversed(events_of(session=session, member_id=member_id))
        ],
        "leaderboard_name": entry.display_name if entry else None,
        "mayor_invitations": [
            {
                "event": invitation.event,
                "date": invitation.held_on.isoformat(),
                "answer": invitee.answer,
            }
            for invitation, invitee in invitations
        ],
    }
