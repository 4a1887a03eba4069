"""Handovers: a member asks for a human coordinator, staff answer.

The bot files the request with the member's note and a snapshot of their way-home progress;
staff read it in the admin and write back. The answer goes into the notification outbox
(once per handover), so the member reads it on the channel they asked on, in their language.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from community.models import Handover, Member, as_utc, utcnow
from community.notifications import enqueue

MAX_NOTE_CHARS = 1000
MAX_ANSWER_CHARS = 2000
REPLY_MESSAGE = "handover.reply"  # the bots' catalogue message the answer is sent in


class HandoverStatus(StrEnum):
    OPEN = "open"  # waiting for staff
    ANSWERED = "answered"  # staff wrote back; may still be closed
    CLOSED = "closed"


class HandoverError(Exception):
    """Something staff can put right; the message says what."""


class HandoverNotFound(HandoverError):
    def __init__(self, handover_id: int) -> None:
        super().__init__(f"No coordinator request #{handover_id}.")
        self.handover_id = handover_id


class HandoverClosed(HandoverError):
    """The request was closed; nothing more is sent on it."""


class AlreadyAnswered(HandoverError):
    """Someone already wrote back on this request (the member was told once)."""


class EmptyAnswer(HandoverError):
    """An answer with no text would tell the member nothing."""


def _clean(text: str, limit: int) -> str:
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())[:limit].strip()


def open_request(*, session: Session, member_id: int, topic: str) -> Handover | None:
    """The member's request on `topic` that staff have not answered or closed yet."""
    return session.exec(
        select(Handover)
        .where(Handover.member_id == member_id)
        .where(Handover.topic == topic)
        .where(Handover.status == HandoverStatus.OPEN)
        .order_by(col(Handover.id).desc())
    ).first()


def request_handover(
    *,
    session: Session,
    member_id: int,
    platform: str,
    topic: str,
    note: str = "",
    progress: dict[str, Any] | None = None,
) -> tuple[Handover, bool]:
    """File a request for a coordinator; (request, True when it is new).

    A member who asks again while their request on the same topic is still open gets that
    request back, with the new note added and the progress brought up to date."""
    note = _clean(note, MAX_NOTE_CHARS)
    existing = open_request(session=session, member_id=member_id, topic=topic)
    if existing is not None:
        if note and note not in existing.note:
            existing.note = _clean(f"{existing.note}\n{note}", MAX_NOTE_CHARS * 2)
        if progress is not None:
            existing.progress = dict(progress)
        existing.platform = platform[:20]
        session.add(existing)
        session.flush()
        return existing, False
    handover = Handover(
        member_id=member_id,
        platform=platform[:20],
        topic=topic[:40],
        note=note,
        progress=dict(progress or {}),
    )
    session.add(handover)
    session.flush()
    return handover, True


def list_handovers(
    *, session: Session, status: str | None = None, limit: int = 200
) -> list[tuple[Handover, Member]]:
    """Requests with their member, newest first; only one status when given."""
    query = (
        select(Handover, Member)
        .join(Member, col(Member.id) == col(Handover.member_id))
        .order_by(col(Handover.created_at).desc(), col(Handover.id).desc())
        .limit(limit)
    )
    if status:
        query = query.where(Handover.status == status)
    return [(handover, member) for handover, member in session.exec(query).all()]


def count_open(*, session: Session) -> int:
    query = select(func.count()).select_from(Handover).where(Handover.status == HandoverStatus.OPEN)
    return int(session.exec(query).one())


def get_handover(*, session: Session, handover_id: int) -> Handover:
    handover = session.get(Handover, handover_id, with_for_update=True)
    if handover is None:
        raise HandoverNotFound(handover_id)
    return handover


def reply_dedupe_key(handover_id: int) -> str:
    return f"handover-{handover_id}-reply"


def answer_handover(
    *, session: Session, handover_id: int, answer: str, staff_email: str
) -> Handover:
    """Staff write back: the answer is kept and put in the outbox for the member, once."""
    handover = get_handover(session=session, handover_id=handover_id)
    text = _clean(answer, MAX_ANSWER_CHARS)
    if not text:
        raise EmptyAnswer("Write the answer first.")
    if handover.status == HandoverStatus.CLOSED:
        raise HandoverClosed(f"Request #{handover_id} is closed; nothing was sent.")
    if handover.status == HandoverStatus.ANSWERED:
        raise AlreadyAnswered(f"Request #{handover_id} was already answered; nothing was sent.")
    assert handover.id is not None
    handover.status = HandoverStatus.ANSWERED
    handover.answer = text
    handover.answered_by = staff_email[:320]
    handover.answered_at = utcnow()
    session.add(handover)
    enqueue(
        session=session,
        member_id=handover.member_id,
        platform=handover.platform,
        message_key=REPLY_MESSAGE,
        params={"reply": text},
        dedupe_key=reply_dedupe_key(handover.id),
    )
    session.flush()
    return handover


def close_handover(*, session: Session, handover_id: int) -> Handover:
    """Staff are done with the request (answered here, by phone, or not needed)."""
    handover = get_handover(session=session, handover_id=handover_id)
    if handover.status == HandoverStatus.CLOSED:
        raise HandoverClosed(f"Request #{handover_id} is already closed.")
    handover.status = HandoverStatus.CLOSED
    handover.closed_at = utcnow()
    session.add(handover)
    session.flush()
    return handover


def _iso(moment: Any) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def export_handovers(*, session: Session, member_id: int) -> list[dict[str, Any]]:
    """A member's requests and the answers they got, for their data export."""
    rows = session.exec(
        select(Handover).where(Handover.member_id == member_id).order_by(col(Handover.id))
    ).all()
    return [
        {
            "topic": row.topic,
            "note": row.note,
            "status": row.status,
            "created_at": _iso(row.created_at),
            "answer": row.answer,
            "answered_at": _iso(row.answered_at),
        }
        for row in rows
    ]


def forget_handovers(*, session: Session, member_id: int) -> int:
    """Erasure: delete the member's requests (their notes are personal data)."""
    rows: Sequence[Handover] = session.exec(
        select(Handover).where(Handover.member_id == member_id)
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
