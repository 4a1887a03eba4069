"""City polls: staff ask the community a question with 2-6 choices; members answer in chat once
each; results by relation and by country.

A poll is a draft until sent, open until staff close it or its closing time passes. Sending
writes one notification per member of its audience (the feed's audience: joined, not erased,
NEWS consent now, not opted out of announcements), with the choices as answer buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from community.feed import AUDIENCE_KEYS, FeedKind, audience_query, make_audience
from community.feed import fits_audience as member_fits  # the audience test of one member
from community.members import identities_of
from community.models import FeedItem, Member, Poll, PollAnswer, as_utc, utcnow
from community.notifications import enqueue

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
MIN_CHOICES, MAX_CHOICES = 2, 6
QUESTION_CHARS, CHOICE_CHARS = 300, 120
UNKNOWN = "unknown"  # relation or country a member did not give
POLL_KIND = FeedKind.ANNOUNCEMENT.value  # members who muted announcements are not asked


class PollError(ValueError):
    """A poll that cannot be made or changed as asked; the message says why (for staff)."""


class UnknownPoll(LookupError):
    """No poll has that id."""


class AnswerRefused(Exception):
    """An answer that is not taken; `code` names why, for the member's message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _clean(text: str, limit: int, what: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise PollError(f"{what} is empty")
    if len(text) > limit:
        raise PollError(f"{what} is longer than {limit} characters")
    return text


def create_poll(
    *,
    session: Session,
    question_lt: str,
    question_en: str,
    choices: Sequence[tuple[str, str]],
    audience: dict[str, Any] | None = None,
    closes_at: datetime | None = None,
    created_by: str = "",
) -> Poll:
    """A draft poll; choices are (Lithuanian, English) pairs, empty pairs left out."""
    pairs = [(lt.strip(), en.strip()) for lt, en in choices if lt.strip() or en.strip()]
    if not MIN_CHOICES <= len(pairs) <= MAX_CHOICES:
        raise PollError(f"a poll needs {MIN_CHOICES} to {MAX_CHOICES} choices")
    cleaned = [
        {
            "lt": _clean(lt, CHOICE_CHARS, f"choice {n} in Lithuanian"),
            "en": _clean(en, CHOICE_CHARS, f"choice {n} in English"),
        }
        for n, (lt, en) in enumerate(pairs, 1)
    ]
    unknown = set(audience or {}) - set(AUDIENCE_KEYS)
    if unknown:
        raise PollError(f"unknown audience keys: {', '.join(sorted(unknown))}")
    if closes_at is not None and as_utc(closes_at) <= utcnow():
        raise PollError("the closing time has already passed")
    poll = Poll(
        question_lt=_clean(question_lt, QUESTION_CHARS, "the question in Lithuanian"),
        question_en=_clean(question_en, QUESTION_CHARS, "the question in English"),
        choices=cleaned,
        audience=make_audience(**(audience or {})),
        closes_at=closes_at,
        created_by=created_by[:320],
    )
    session.add(poll)
    session.flush()
    return poll


def get_poll(session: Session, poll_id: int, *, lock: bool = False) -> Poll:
    poll = session.get(Poll, poll_id, with_for_update=lock) if 0 < poll_id < 2**31 else None
    if poll is None:
        raise UnknownPoll(f"no poll {poll_id}")
    return poll


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    """Sent, not closed, and its closing time (if any) not passed."""
    if poll.status != OPEN:
        return False
    return poll.closes_at is None or as_utc(poll.closes_at) > (now or utcnow())


def state(poll: Poll) -> str:
    """What staff see: draft, open or closed (a passed closing time is closed)."""
    return CLOSED if poll.status == OPEN and not is_open(poll) else poll.status


def _probe(poll: Poll) -> FeedItem:
    """The feed's audience test for a poll's audience."""
    return FeedItem(kind=POLL_KIND, title_lt="", title_en="", audience=poll.audience)


def audience_ids(session: Session, poll: Poll) -> list[int]:
    return [int(member_id) for member_id in session.exec(audience_query(session, _probe(poll)))]


def reachable_platform(session: Session, member_id: int) -> str | None:
    """The reachable platform the member used last (where to ask them)."""
    found = [i for i in identities_of(session=session, member_id=member_id) if i.reachable]
    if not found:
        return None
    return max(found, key=lambda i: (as_utc(i.last_seen_at), i.id or 0)).platform


@dataclass(frozen=True)
class SendReport:
    poll_id: int
    asked: int  # notifications written now
    already: int  # asked before (a second send)
    unreachable: int  # in the audience, but no channel


def notification_params(poll: Poll) -> dict[str, Any]:
    """The question, its numbered choices and the answer buttons, in both languages (the
    delivery renders the member's own)."""
    assert poll.id is not None
    params: dict[str, Any] = {"poll": poll.id}
    for language in ("lt", "en"):
        params[f"question_{language}"] = getattr(poll, f"question_{language}")
        params[f"choices_{language}"] = "\n".join(
            f"{n}. {choice[language]}" for n, choice in enumerate(poll.choices, 1)
        )
    params["buttons"] = [
        {"label_lt": c["lt"], "label_en": c["en"], "payload": f"/poll {poll.id} {n}"}
        for n, c in enumerate(poll.choices, 1)
    ]
    return params


def send_poll(*, session: Session, poll_id: int) -> SendReport:
    """Open the poll and ask each member of its audience once (a second send asks only
    those who joined the audience since)."""
    poll = get_poll(session, poll_id, lock=True)
    if poll.status == CLOSED or (poll.status == OPEN and not is_open(poll)):
        raise PollError("the poll is closed")
    if poll.closes_at is not None and as_utc(poll.closes_at) <= utcnow():
        raise PollError("its closing time has passed")
    if poll.status == DRAFT:
        poll.status, poll.sent_at = OPEN, utcnow()
        session.add(poll)
        session.flush()
    params = notification_params(poll)
    asked = already = unreachable = 0
    for member_id in audience_ids(session, poll):
        platform = reachable_platform(session, member_id)
        if platform is None:
            unreachable += 1
            continue
        made = enqueue(
            session=session,
            member_id=member_id,
            platform=platform,
            message_key="poll.ask",
            params=params,
            dedupe_key=f"poll:{poll_id}:{member_id}",
        )
        asked, already = (asked + 1, already) if made else (asked, already + 1)
    return SendReport(poll_id, asked, already, unreachable)


def close_poll(*, session: Session, poll_id: int) -> Poll:
    poll = get_poll(session, poll_id, lock=True)
    if poll.status == CLOSED:
        raise PollError("the poll is already closed")
    poll.status, poll.closed_at = CLOSED, utcnow()
    session.add(poll)
    session.flush()
    return poll


def open_polls_for(session: Session, member: Member) -> list[Poll]:
    """Open polls whose audience the member is in and that they have not answered."""
    answered = select(PollAnswer.poll_id).where(PollAnswer.member_id == member.id)
    query = (
        select(Poll)
        .where(Poll.status == OPEN, col(Poll.id).not_in(answered))
        .order_by(col(Poll.id).desc())
    )
    return [poll for poll in session.exec(query) if is_open(poll) and in_audience(member, poll)]


def in_audience(member: Member, poll: Poll) -> bool:
    return member_fits(member, poll.audience or {})


def answer_poll(*, session: Session, poll_id: int, member: Member, choice: int) -> PollAnswer:
    """Record a member's answer (choice numbered from 1), once per poll."""
    assert member.id is not None
    try:
        poll = get_poll(session, poll_id)
    except UnknownPoll:
        raise AnswerRefused("unknown") from None
    if not is_open(poll):
        raise AnswerRefused("closed")
    if not in_audience(member, poll):
        raise AnswerRefused("not_for_you")
    if not 1 <= choice <= len(poll.choices):
        raise AnswerRefused("bad_choice")
    answered = select(PollAnswer.id).where(
        PollAnswer.poll_id == poll_id, PollAnswer.member_id == member.id
    )
    if session.exec(answered).first() is not None:
        raise AnswerRefused("already")
    row = PollAnswer(
        poll_id=poll_id,
        member_id=member.id,
        choice=choice - 1,
        relation=member.relation,
        country=member.country,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same member answering twice at the same moment
        raise AnswerRefused("already") from None
    return row


@dataclass
class PollResults:
    """Answers per choice overall, by relation and by country (rows: choice counts)."""

    poll_id: int
    choices: list[dict[str, str]]
    total: int = 0
    counts: list[int] = field(default_factory=list)
    by_relation: dict[str, list[int]] = field(default_factory=dict)
    by_country: dict[str, list[int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "poll_id": self.poll_id,
            "choices": self.choices,
            "total": self.total,
            "counts": self.counts,
            "by_relation": self.by_relation,
            "by_country": self.by_country,
        }

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(dimension, group, choice in English, answers): the CSV's rows."""
        found: list[tuple[str, str, str, int]] = []
        for dimension, groups in (("relation", self.by_relation), ("country", self.by_country)):
            for group, counts in groups.items():
                for choice, count in zip(self.choices, counts, strict=True):
                    found.append((dimension, group, choice["en"], count))
        return found


def results(session: Session, poll_id: int) -> PollResults:
    """Counts of answers, overall and grouped; groups in order of answers, most first."""
    poll = get_poll(session, poll_id)
    found = PollResults(poll_id, list(poll.choices), counts=[0] * len(poll.choices))
    query = (
        select(PollAnswer.choice, PollAnswer.relation, PollAnswer.country, func.count())
        .where(PollAnswer.poll_id == poll_id)
        .group_by(col(PollAnswer.choice), col(PollAnswer.relation), col(PollAnswer.country))
    )
    for choice, relation, country, count in session.exec(query):
        if not 0 <= choice < len(poll.choices):
            continue
        found.total += count
        found.counts[choice] += count
        for groups, key in ((found.by_relation, relation), (found.by_country, country)):
            groups.setdefault(key or UNKNOWN, [0] * len(poll.choices))[choice] += count
    found.by_relation = _most_first(found.by_relation)
    found.by_country = _most_first(found.by_country)
    return found


def _most_first(groups: dict[str, list[int]]) -> dict[str, list[int]]:
    return dict(sorted(groups.items(), key=lambda item: (-sum(item[1]), item[0])))


def polls_list(session: Session, limit: int = 100) -> list[Poll]:
    return list(session.exec(select(Poll).order_by(col(Poll.id).desc()).limit(limit)))


def answer_counts(session: Session, poll_ids: Sequence[int]) -> dict[int, int]:
    if not poll_ids:
        return {}
    query = (
        select(PollAnswer.poll_id, func.count())
        .where(col(PollAnswer.poll_id).in_(poll_ids))
        .group_by(col(PollAnswer.poll_id))
    )
    return {int(poll_id): int(count) for poll_id, count in session.exec(query)}


def forget_member(*, session: Session, member_id: int) -> bool:
    """Erasure: the member's answers stay counted but point to nobody."""
    rows = list(session.exec(select(PollAnswer).where(PollAnswer.member_id == member_id)))
    for row in rows:
        row.member_id = None
        session.add(row)
    session.flush()
    return bool(rows)


def export_member(*, session: Session, member_id: int) -> list[dict[str, Any]]:
    query = select(PollAnswer).where(PollAnswer.member_id == member_id)
    return [
        {"poll": row.poll_id, "choice": row.choice + 1, "at": as_utc(row.at).isoformat()}
        for row in session.exec(query.order_by(col(PollAnswer.id)))
    ]
