"""Events: feed items of kind "event", members' answers (RSVP), and reminders the day before.

An event is a FeedItem with kind "event" and a start time. A member answers "yes" or "no"
in chat (a later answer replaces the earlier one); the day before the event, in Alytus time,
everyone who said yes gets one reminder through the outbox (held back while it is night where
the member lives, by their country's time zone and the quiet hours), which also tells them that the
check-in code given out at the event earns points. The check-in code of a feed event is made
for the event name `checkin_event_name(item)` ("feed:12"): `alytus rewards checkin-code
--event feed:12`, so one member is paid once per event however many codes are handed out.

The mayor's celebration keeps its own invitees and answers (rewards/, MayorInvitee); the
bots room lists and reminds those too (bots/events.py), as this room cannot read rewards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from community import notifications
from community.feed import FeedKind, fits_audience
from community.members import identities_of
from community.models import EventRsvp, FeedItem, Member, Notification, as_utc, utcnow
from community.timezones import quiet_until, zone_for_country

Answer = Literal["yes", "no"]
ANSWERS: tuple[Answer, ...] = ("yes", "no")
CITY_ZONE = ZoneInfo("Europe/Vilnius")
REMINDER_HOUR = 10  # the day before an event, reminders go out from 10:00 Alytus time
REMINDER_KEY = "events.reminder"


class EventError(ValueError):
    """Not an event a member can answer: unknown, not an event, or over."""


@dataclass(frozen=True)
class Reminded:
    """What one run of queue_event_reminders enqueued."""

    queued: int
    already: int  # told before (the dedupe key)
    unreachable: int  # said yes, but no channel to be told on
    waiting: int = 0  # asleep now (quiet hours where they live): a later round tells them


def reminder_key(item_id: int, member_id: int) -> str:
    return f"event_reminder:{item_id}:{member_id}"


def checkin_event_name(item: FeedItem) -> str:
    """The event name its check-in codes are made for (`alytus rewards checkin-code`)."""
    return f"feed:{item.id}"


def local_time(moment: datetime) -> str:
    """An event's start as people in Alytus read it."""
    return as_utc(moment).astimezone(CITY_ZONE).strftime("%Y-%m-%d %H:%M")


def upcoming_events(
    session: Session, *, now: datetime | None = None, limit: int = 10
) -> list[FeedItem]:
    """Events still to come, soonest first."""
    moment = as_utc(now) if now else utcnow()
    query = (
        select(FeedItem)
        .where(
            FeedItem.kind == FeedKind.EVENT.value,
            col(FeedItem.starts_at) >= moment,
            col(FeedItem.published_at) <= moment,
        )
        .order_by(col(FeedItem.starts_at), col(FeedItem.id))
        .limit(limit)
    )
    return list(session.exec(query))


def upcoming_for(
    session: Session, member: Member, *, now: datetime | None = None, limit: int = 10
) -> list[FeedItem]:
    """Events still to come that are meant for the member, or that they answered, soonest
    first. A member asking for events sees them even with event news muted."""
    answered = set(
        session.exec(select(EventRsvp.item_id).where(EventRsvp.member_id == (member.id or 0)))
    )
    found = [
        item
        for item in upcoming_events(session, now=now, limit=limit * 5)
        if item.id in answered or fits_audience(member, item.audience or {})
    ]
    return found[:limit]


def rsvp(
    session: Session, *, item_id: int, member_id: int, answer: str, now: datetime | None = None
) -> EventRsvp:
    """Record a member's answer to an event still to come (a later one replaces it)."""
    if answer not in ANSWERS:
        raise EventError("the answer is yes or no")
    moment = as_utc(now) if now else utcnow()
    item = session.get(FeedItem, item_id)
    if item is None or item.kind != FeedKind.EVENT.value or item.starts_at is None:
        raise EventError(f"no event {item_id}")
    if as_utc(item.starts_at) < moment:
        raise EventError(f"event {item_id} is over")
    found = session.get(EventRsvp, (item_id, member_id))
    if found is None:
        found = EventRsvp(item_id=item_id, member_id=member_id, answer=answer, answered_at=moment)
        try:
            with session.begin_nested():
                session.add(found)
                session.flush()
            return found
        except IntegrityError:  # answered at the same moment in another process
            found = session.get(EventRsvp, (item_id, member_id))
            assert found is not None
    found.answer = answer
    found.answered_at = moment
    session.add(found)
    if answer == "no":  # a reminder not sent yet is no longer wanted
        session.execute(
            delete(Notification).where(
                col(Notification.dedupe_key) == reminder_key(item_id, member_id),
                col(Notification.status) == notifications.PENDING,
            )
        )
    session.flush()
    return found


def answers_of(session: Session, *, member_id: int, item_ids: list[int]) -> dict[int, str]:
    """The member's answers to these events, by event id."""
    if not item_ids:
        return {}
    query = select(EventRsvp).where(
        EventRsvp.member_id == member_id, col(EventRsvp.item_id).in_(item_ids)
    )
    return {row.item_id: row.answer for row in session.exec(query)}


def counts(session: Session, item_id: int) -> dict[str, int]:
    """How many said yes and no (for staff)."""
    answers = list(session.exec(select(EventRsvp.answer).where(EventRsvp.item_id == item_id)))
    return {"yes": answers.count("yes"), "no": answers.count("no")}


def reminder_day(now: datetime) -> date | None:
    """The day whose events are reminded of now: tomorrow in Alytus, once it is past
    REMINDER_HOUR there today (None before that)."""
    local = as_utc(now).astimezone(CITY_ZONE)
    if local.hour < REMINDER_HOUR:
        return None
    return local.date() + timedelta(days=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A day in Alytus as a UTC range [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=CITY_ZONE)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=CITY_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def asleep(member: Member, moment: datetime, quiet_hours: str) -> bool:
    """Whether it is within the quiet hours where the member lives (their country's zone)."""
    return quiet_until(moment, zone_for_country(member.country), quiet_hours) is not None


def reachable_platform(session: Session, member_id: int) -> str | None:
    """The reachable platform the member used last (where a reminder should go)."""
    identities = [i for i in identities_of(session=session, member_id=member_id) if i.reachable]
    if not identities:
        return None
    return max(identities, key=lambda i: (as_utc(i.last_seen_at), i.id or 0)).platform


def queue_event_reminders(
    session: Session, now: datetime | None = None, *, quiet_hours: str = "21-9"
) -> Reminded:
    """One reminder per member who said yes, per event starting tomorrow (Alytus time),
    enqueued from REMINDER_HOUR today once it is not night where the member lives; safe to
    call every worker round (dedupe key)."""
    moment = as_utc(now) if now else utcnow()
    day = reminder_day(moment)
    if day is None:
        return Reminded(0, 0, 0)
    start, end = day_bounds(day)
    query = (
        select(FeedItem, EventRsvp, Member)
        .join(EventRsvp, col(EventRsvp.item_id) == col(FeedItem.id))
        .join(Member, col(Member.id) == col(EventRsvp.member_id))
        .where(
            FeedItem.kind == FeedKind.EVENT.value,
            col(FeedItem.starts_at) >= max(start, moment),
            col(FeedItem.starts_at) < end,
            EventRsvp.answer == "yes",
            col(Member.erased_at).is_(None),
        )
        .order_by(col(FeedItem.id), col(EventRsvp.member_id))
    )
    queued = already = unreachable = waiting = 0
    for item, answer, member in session.exec(query):
        assert item.starts_at is not None
        if asleep(member, moment, quiet_hours):
            waiting += 1
            continue
        platform = reachable_platform(session, answer.member_id)
        if platform is None:
            unreachable += 1
            continue
        added = notifications.enqueue(
            session=session,
            member_id=answer.member_id,
            platform=platform,
            message_key=REMINDER_KEY,
            params={
                "title_lt": item.title_lt,
                "title_en": item.title_en,
                "when": local_time(item.starts_at),
                "item_id": item.id,
            },
            dedupe_key=reminder_key(answer.item_id, answer.member_id),
        )
        if added is None:
            already += 1
        else:
            queued += 1
    return Reminded(queued, already, unreachable, waiting)
