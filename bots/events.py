"""Events in chat: `/events` (`/renginiai`) lists the events to come with the member's answer
and buttons to answer; `/events yes 12` and `/events no 12` are what the buttons send.

Feed events keep their answers in community.events; the mayor's celebration keeps its own
(rewards.invitations, answered with `/rsvp`), and it is listed here among the events with
its answer too. `queue_reminders` enqueues the reminders the day before for both, each
telling the member that the check-in code at the event earns points.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bots.broadcasting import item_details, item_links
from bots.catalog import Catalog
from bots.features import Handler
from bots.messages import Button, Card, Reply
from bots.turn import Turn
from community import events, notifications
from community.events import EventError, reachable_platform, reminder_day
from community.feed import FeedKind
from community.models import FeedItem, Member, as_utc, utcnow
from rewards.models import MayorInvitation, MayorInvitee

LISTED = 8
MAYOR_REMINDER_KEY = "events.mayor_reminder"


def rsvp_buttons(
    catalog: Catalog,
    item: FeedItem,
    language: str,
    answer: str | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Button, ...]:
    """The answer buttons of an event still to come (the other answer only, once answered);
    none once it has started, as `community.events.rsvp` would refuse them."""
    if item.kind != FeedKind.EVENT or item.starts_at is None or item.id is None:
        return ()
    if as_utc(item.starts_at) < (as_utc(now) if now else utcnow()):
        return ()
    return tuple(
        Button(catalog.text(language, f"events.button_{choice}"), f"/events {choice} {item.id}")
        for choice in ("yes", "no")
        if choice != answer
    )


def _state(turn: Turn, answer: str | None) -> str:
    if answer == "yes":
        return turn.t("events.going")
    if answer == "no":
        return turn.t("events.not_going")
    return turn.t("events.no_answer")


def _event_card(turn: Turn, item: FeedItem, answer: str | None, now: datetime) -> Card:
    """An event as /news shows it (when, where, its link), with the member's answer."""
    english = turn.language == "en"
    lines = [
        *item_details(turn.catalog, item, turn.language, now),
        (item.body_en if english else item.body_lt).strip(),
        _state(turn, answer),
    ]
    return Card(
        title=item.title_en if english else item.title_lt,
        text="\n".join(line for line in lines if line),
        links=item_links(turn.catalog, item, turn.language),
        buttons=rsvp_buttons(turn.catalog, item, turn.language, answer, now=now),
    )


def _mayor_cards(turn: Turn, now: datetime) -> list[Card]:
    """The mayor's invitations this member got, for a day still to come."""
    today = as_utc(now).astimezone(events.CITY_ZONE).date()
    query = (
        select(MayorInvitation, MayorInvitee)
        .join(MayorInvitee, col(MayorInvitee.invitation_id) == col(MayorInvitation.id))
        .where(MayorInvitee.member_id == turn.member_id, col(MayorInvitation.held_on) >= today)
        .order_by(col(MayorInvitation.held_on))
    )
    cards = []
    for invitation, invitee in turn.session.exec(query):
        buttons = tuple(
            Button(turn.t(f"rewards.rsvp_button_{choice}"), f"/rsvp {invitation.id} {choice}")
            for choice in ("yes", "no")
            if choice != invitee.answer
        )
        text = "\n".join(
            (
                turn.t("events.mayor_when", date=invitation.held_on.isoformat()),
                _state(turn, invitee.answer),
            )
        )
        cards.append(
            Card(title=turn.t("events.mayor", event=invitation.event), text=text, buttons=buttons)
        )
    return cards


def list_events(turn: Turn, now: datetime | None = None) -> list[Reply]:
    """The events to come for this member, soonest first, with their answers."""
    if turn.member.onboarded_at is None:
        return [
            Reply(text=turn.t("events.not_member"), buttons=(turn.button("menu.join", "/start"),))
        ]
    moment = as_utc(now) if now else utcnow()
    found = events.upcoming_for(turn.session, turn.member, now=moment, limit=LISTED)
    answers = events.answers_of(
        turn.session, member_id=turn.member_id, item_ids=[item.id for item in found if item.id]
    )
    cards = [*_mayor_cards(turn, moment)]
    cards += [_event_card(turn, item, answers.get(item.id or 0), moment) for item in found]
    if not cards:
        return [Reply(text=turn.t("events.none"))]
    return [Reply(text=turn.t("events.list"), cards=tuple(cards))]


def answer_event(turn: Turn, answer: str, item_id: str) -> list[Reply]:
    """`/events yes 12`: the member's answer to an event."""
    if turn.member.onboarded_at is None or not item_id.isdigit() or len(item_id) > 9:
        return [Reply(text=turn.t("common.stale_button"))]
    try:
        events.rsvp(turn.session, item_id=int(item_id), member_id=turn.member_id, answer=answer)
    except EventError as error:
        over = "over" in str(error)
        return [Reply(text=turn.t("events.over" if over else "common.stale_button"))]
    return [Reply(text=turn.t(f"events.rsvp_{answer}"))]


def events_command(turn: Turn, argument: str) -> list[Reply]:
    """`/events` lists; `/events yes|no ID` answers (the buttons); anything else: how."""
    words = argument.split()
    if not words:
        return list_events(turn)
    if len(words) == 2 and words[0].lower() in events.ANSWERS:
        return answer_event(turn, words[0].lower(), words[1])
    return [Reply(text=turn.t("events.how"))]


def queue_mayor_reminders(
    session: Session, now: datetime | None = None, *, quiet_hours: str = "21-9"
) -> events.Reminded:
    """The day before the mayor's celebration, a reminder to every invitee who said yes
    (once it is not night where they live)."""
    moment = as_utc(now) if now else utcnow()
    day = reminder_day(moment)
    if day is None:
        return events.Reminded(0, 0, 0)
    query = (
        select(MayorInvitation, MayorInvitee, Member)
        .join(MayorInvitee, col(MayorInvitee.invitation_id) == col(MayorInvitation.id))
        .join(Member, col(Member.id) == col(MayorInvitee.member_id))
        .where(
            MayorInvitation.held_on == day,
            MayorInvitee.answer == "yes",
            col(Member.erased_at).is_(None),
        )
        .order_by(col(MayorInvitation.id), col(MayorInvitee.member_id))
    )
    queued = already = unreachable = waiting = 0
    for invitation, invitee, member in session.exec(query):
        if events.asleep(member, moment, quiet_hours):
            waiting += 1
            continue
        platform = reachable_platform(session, invitee.member_id)
        if platform is None:
            unreachable += 1
            continue
        added = notifications.enqueue(
            session=session,
            member_id=invitee.member_id,
            platform=platform,
            message_key=MAYOR_REMINDER_KEY,
            params={"event": invitation.event, "date": invitation.held_on.isoformat()},
            dedupe_key=f"mayor_reminder:{invitation.id}:{invitee.member_id}",
        )
        queued, already = (queued + 1, already) if added else (queued, already + 1)
    return events.Reminded(queued, already, unreachable, waiting)


def queue_reminders(
    session: Session, now: datetime | None = None, *, quiet_hours: str = "21-9"
) -> dict[str, int]:
    """Reminders the day before, for feed events and the mayor's celebration (what the
    worker calls each round; enqueueing twice adds nothing)."""
    feed = events.queue_event_reminders(session, now, quiet_hours=quiet_hours)
    mayor = queue_mayor_reminders(session, now, quiet_hours=quiet_hours)
    return {
        "queued": feed.queued + mayor.queued,
        "already": feed.already + mayor.already,
        "unreachable": feed.unreachable + mayor.unreachable,
        "waiting": feed.waiting + mayor.waiting,
    }


COMMANDS: dict[str, Handler] = {"events": events_command, "renginiai": events_command}
