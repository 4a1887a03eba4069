"""Suggestions from group chats: messages that suggest an Alytus connection, for staff.

In Telegram groups and Discord servers where the bot is a member and allowed to read, each
message is scored (nlu.connection); one scoring at least THRESHOLD becomes a suggestion with
its evidence. A suggestion is never a contact: nothing is sent to the author, and only staff
decide to dismiss it or add the person as a prospect (legitimate interest, with the group as
the source). Privacy: messages below the threshold are not kept at all, authors who are
already members or on the do-not-contact list are skipped, the excerpt is at most
EXCERPT_CHARS, and suggestions are deleted after KEEP_DAYS (`purge_old_suggestions`).

THRESHOLD is a module constant (not a setting): 0.6 lets one strong sign through (an Alytus
school, "alytiškis", "grew up in Alytus") but not a district or a trip to the city alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from community.members import find_identity
from community.models import DoNotContact, GroupSuggestion, Prospect, as_utc, utcnow
from community.prospects import RowError, normalise_discord, normalise_telegram
from nlu.connection import Connection, connection_score

THRESHOLD = 0.6
EXCERPT_CHARS = 280
KEEP_DAYS = 90
LAWFUL_BASIS = "legitimate_interest"
NEW, DISMISSED, INVITED = "new", "dismissed", "invited"  # invited: added as a prospect
STATUSES = (NEW, DISMISSED, INVITED)
PLATFORM_GROUP = {"telegram": "telegram group", "discord": "discord server"}

Status = Literal["new", "dismissed", "invited"]


class SuggestionError(ValueError):
    """A decision that cannot be made: no such suggestion, or it was decided already."""


class SuggestionNotFound(SuggestionError):
    pass


@dataclass(frozen=True)
class GroupMessage:
    """One message in a group chat, as the channel adapters hand it over."""

    platform: str
    chat_id: str
    chat_title: str
    message_id: str
    author_id: str
    text: str
    author_name: str = ""
    author_handle: str | None = None


def excerpt(text: str, connection: Connection, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of the message, around the first piece of evidence."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    found = [text.find(item.value) for item in connection.evidence if item.value in text]
    first = min((at for at in found if at >= 0), default=0)
    start = max(0, min(first - limit // 3, len(text) - (limit - 2)))
    piece = text[start : start + limit - 2].strip()
    return f"{'…' if start else ''}{piece}{'…' if start + limit - 2 < len(text) else ''}"[:limit]


def note_group_message(session: Session, message: GroupMessage) -> GroupSuggestion | None:
    """Keep the message as a suggestion when it scores at least THRESHOLD; None otherwise
    (below the threshold, an author who is a member or on the do-not-contact list, a
    message seen before)."""
    text = (message.text or "").strip()
    if not text:
        return None
    connection = connection_score(text)
    if connection.score < THRESHOLD:
        return None
    if find_identity(session=session, platform=message.platform, user_id=message.author_id):
        return None
    handle = _handle(message.platform, message.author_handle)
    if handle and _blocked(session, message.platform, handle):
        return None
    suggestion = GroupSuggestion(
        platform=message.platform,
        chat_id=message.chat_id[:64],
        chat_title=message.chat_title[:200],
        message_id=message.message_id[:64],
        author_id=message.author_id[:255],
        author_name=message.author_name[:200],
        author_handle=handle,
        excerpt=excerpt(text, connection),
        score=connection.score,
        evidence=[
            {"kind": item.kind, "value": item.value, "weight": item.weight}
            for item in connection.evidence
        ],
    )
    try:
        with session.begin_nested():
            session.add(suggestion)
            session.flush()
    except IntegrityError:  # the platform delivered the message again
        return None
    return suggestion


def _handle(platform: str, raw: str | None) -> str | None:
    normalise = {"telegram": normalise_telegram, "discord": normalise_discord}.get(platform)
    if not raw or normalise is None:
        return None
    try:
        return normalise(raw)
    except RowError:
        return None


def _blocked(session: Session, kind: str, value: str) -> bool:
    query = select(DoNotContact.id).where(DoNotContact.kind == kind, DoNotContact.value == value)
    return session.exec(query).first() is not None


def list_suggestions(
    session: Session, *, status: str | None = NEW, limit: int = 200
) -> list[GroupSuggestion]:
    """Suggestions, strongest and newest first; status None: all."""
    query = select(GroupSuggestion)
    if status is not None:
        if status not in STATUSES:
            raise SuggestionError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        query = query.where(GroupSuggestion.status == status)
    query = query.order_by(
        col(GroupSuggestion.created_at).desc(), col(GroupSuggestion.id).desc()
    ).limit(limit)
    return list(session.exec(query))


def count_by_status(session: Session) -> dict[str, int]:
    query = select(GroupSuggestion.status, func.count()).group_by(col(GroupSuggestion.status))
    found = dict.fromkeys(STATUSES, 0)
    found.update({status: int(count) for status, count in session.exec(query)})
    return found


def _open(session: Session, suggestion_id: int) -> GroupSuggestion:
    suggestion = session.get(GroupSuggestion, suggestion_id, with_for_update=True)
    if suggestion is None:
        raise SuggestionNotFound(f"no suggestion {suggestion_id}")
    if suggestion.status != NEW:
        raise SuggestionError(f"suggestion {suggestion_id} is already {suggestion.status}")
    return suggestion


def dismiss(
    session: Session, suggestion_id: int, *, now: datetime | None = None
) -> GroupSuggestion:
    """Staff decided it is nothing for the city: it stays dismissed until it is purged."""
    suggestion = _open(session, suggestion_id)
    suggestion.status = DISMISSED
    suggestion.decided_at = as_utc(now) if now else utcnow()
    session.add(suggestion)
    session.flush()
    return suggestion


def source_of(suggestion: GroupSuggestion) -> str:
    """The prospect's source: "telegram group <title>"."""
    where = PLATFORM_GROUP.get(suggestion.platform, f"{suggestion.platform} group")
    return f"{where} {suggestion.chat_title or suggestion.chat_id}"[:500]


def add_as_prospect(
    session: Session, suggestion_id: int, *, now: datetime | None = None
) -> tuple[GroupSuggestion, Prospect]:
    """Staff chose to invite the author: a prospect (legitimate interest, the group as the
    source, the handle when known), or the prospect with that handle already, with this
    source added. SuggestionError when the handle is on the do-not-contact list."""
    suggestion = _open(session, suggestion_id)
    moment = as_utc(now) if now else utcnow()
    handle, platform = suggestion.author_handle, suggestion.platform
    if handle and _blocked(session, platform, handle):
        raise SuggestionError("the author is on the do-not-contact list")
    source = source_of(suggestion)
    evidence = "; ".join(f"{item['kind']}: {item['value']}" for item in suggestion.evidence)
    note = f"group message {suggestion.created_at:%Y-%m-%d}: {evidence}"
    if not handle:
        note += f" ({platform} user id {suggestion.author_id})"
    prospect = _prospect_with(session, platform, handle)
    if prospect is None:
        prospect = Prospect(
            name=(suggestion.author_name or handle or f"{platform} user {suggestion.author_id}")[
                :200
            ],
            source=source,
            lawful_basis=LAWFUL_BASIS,
            notes=note,
            created_at=moment,
            updated_at=moment,
            **({platform: handle} if handle else {}),
        )
    else:
        sources = [part for part in prospect.source.split("; ") if part]
        if source not in sources:
            prospect.source = "; ".join([*sources, source])
        if note not in prospect.notes:
            prospect.notes = f"{prospect.notes}\n{note}".strip()
        prospect.updated_at = moment
    session.add(prospect)
    session.flush()
    suggestion.status = INVITED
    suggestion.prospect_id = prospect.id
    suggestion.decided_at = moment
    session.add(suggestion)
    session.flush()
    return suggestion, prospect


def _prospect_with(session: Session, platform: str, handle: str | None) -> Prospect | None:
    if not handle or platform not in ("telegram", "discord"):
        return None
    column = col(Prospect.telegram) if platform == "telegram" else col(Prospect.discord)
    return session.exec(select(Prospect).where(column == handle)).first()


def purge_old_suggestions(
    session: Session, *, now: datetime | None = None, days: int = KEEP_DAYS
) -> int:
    """Delete suggestions (their excerpts, authors, evidence) older than `days`; how many."""
    moment = as_utc(now) if now else utcnow()
    statement = delete(GroupSuggestion).where(
        col(GroupSuggestion.created_at) < moment - timedelta(days=days)
    )
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def suggestion_view(suggestion: GroupSuggestion) -> dict[str, Any]:
    """What staff see of a suggestion (the admin page and the JSON API)."""
    return {
        "id": suggestion.id,
        "platform": suggestion.platform,
        "chat_id": suggestion.chat_id,
        "chat_title": suggestion.chat_title,
        "author_id": suggestion.author_id,
        "author_name": suggestion.author_name,
        "author_handle": suggestion.author_handle,
        "excerpt": suggestion.excerpt,
        "score": suggestion.score,
        "evidence": suggestion.evidence,
        "status": suggestion.status,
        "prospect_id": suggestion.prospect_id,
        "created_at": as_utc(suggestion.created_at),
        "decided_at": as_utc(suggestion.decided_at) if suggestion.decided_at else None,
    }
