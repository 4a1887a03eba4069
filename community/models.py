"""Community tables: members, their channel identities, consent, conversation state.

A member row holds the profile; everything that ties it to a person on a platform lives in
ChannelIdentity, so erasure can cut that link and leave a tombstone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


class Member(SQLModel, table=True):
    """One person in the community, whatever platforms they use."""

    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(default="lt", max_length=8)
    relation: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=120)
    interests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    return_intention: str | None = Field(default=None, max_length=20)
    referral_code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    referred_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    onboarded_at: datetime | None = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)
    erased_at: datetime | None = _when(default=None)


class ChannelIdentity(SQLModel, table=True):
    """A member's account on one platform; several per member, unique per platform."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform: str = Field(max_length=20)
    platform_user_id: str = Field(max_length=255)
    reachable: bool = Field(default=True)
    created_at: datetime = _when(default_factory=utcnow)
    last_seen_at: datetime = _when(default_factory=utcnow)


class Consent(SQLModel, table=True):
    """One grant or withdrawal of consent for one purpose; the latest per purpose counts."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    purpose: str = Field(max_length=40)
    granted: bool
    notice_version: str = Field(max_length=40)
    source: str = Field(default="", max_length=20)
    at: datetime = _when(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    """A platform update already handled; platforms redeliver, we answer once."""

    platform: str = Field(primary_key=True, max_length=20)
    update_id: str = Field(primary_key=True, max_length=255)
    processed_at: datetime = _when(default_factory=utcnow)


class RateWindow(SQLModel, table=True):
    """How many messages one sender (a chat, a web session, an address) sent in the current
    minute; in SQL, so every process counts the same (community/rate_limits.py)."""

    __tablename__ = "rate_window"

    key: str = Field(primary_key=True, max_length=200)
    window: int = Field(default=0)  # minutes since the epoch
    hits: int = Field(default=0)


class Conversation(SQLModel, table=True):
    """Where a member is in a conversation, so any process can take the next message."""

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    slots: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _when(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """Something a member must be told later, on a channel; bots/ renders and delivers it.

    Rows hold a catalogue key and its parameters, not text, so the message is rendered in
    the member's language when it is sent. `dedupe_key` makes enqueueing idempotent.
    """

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform: str = Field(max_length=20)
    message_key: str = Field(max_length=80)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="pending", max_length=12, index=True)
    attempts: int = Field(default=0)
    created_at: datetime = _when(default_factory=utcnow)
    sent_at: datetime | None = _when(default=None)


class LinkCode(SQLModel, table=True):
    """A one-time code (`/link`) that joins a second platform's account to a member."""

    __tablename__ = "link_code"

    code: str = Field(primary_key=True, max_length=12)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: datetime = _when()
    used_at: datetime | None = _when(default=None)


class FeedItem(SQLModel, table=True):
    """Something the city tells members (an event, a job, a chance...), in both languages.

    `audience` narrows who hears of it: lists of relations, countries, interests, languages
    and return intentions; an empty or missing list means everyone.
    """

    __tablename__ = "feed_item"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    title_lt: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_lt: str = Field(default="", max_length=3000)
    body_en: str = Field(default="", max_length=3000)
    url: str | None = Field(default=None, max_length=500)
    starts_at: datetime | None = _when(default=None)
    place: str | None = Field(default=None, max_length=200)  # where an event is, as written
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_at: datetime = _when(default_factory=utcnow, index=True)


class NewsOptOut(SQLModel, table=True):
    """A member who no longer wants news of one kind (`/optout job`)."""

    __tablename__ = "news_opt_out"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(primary_key=True, max_length=20)
    at: datetime = _when(default_factory=utcnow)


class Broadcast(SQLModel, table=True):
    """One feed item sent to its audience; its deliveries say who got it."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("feed_item.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    status: str = Field(default="draft", max_length=12, index=True)
    planned: int = Field(default=0)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _when(default_factory=utcnow)
    # a broadcast staff scheduled: `alytus worker` starts it once this moment has passed
    scheduled_for: datetime | None = _when(default=None)
    started_at: datetime | None = _when(default=None)
    finished_at: datetime | None = _when(default=None)


class BroadcastDelivery(SQLModel, table=True):
    """One member's copy of one broadcast: at most one row, so a resumed send skips it.

    `claimed_by` / `claimed_at` lease the row to one sender; `status` "sending" is written
    just before the platform call, so a row found "sending" after a crash is in doubt.
    """

    __tablename__ = "broadcast_delivery"
    __table_args__ = (UniqueConstraint("broadcast_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("broadcast.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform: str = Field(max_length=20)
    recipient_id: str = Field(default="", max_length=255)
    language: str = Field(default="lt", max_length=8)
    time_zone: str = Field(default="Europe/Vilnius", max_length=64)
    status: str = Field(default="pending", max_length=12, index=True)
    attempts: int = Field(default=0)
    not_before: datetime | None = _when(default=None)
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_at: datetime | None = _when(default=None)
    sent_at: datetime | None = _when(default=None)
    error: str | None = Field(default=None, max_length=500)


class Activity(SQLModel, table=True):
    """One message a member sent, counted for staff analytics: when, where, and for a question
    whether the bot answered it. No text is kept; erasure unlinks the member."""

    __tablename__ = "activity"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=utcnow, index=True)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    platform: str = Field(max_length=20)
    kind: str = Field(max_length=12, index=True)  # "message" or "question"
    answered: bool | None = Field(default=None)


class Prospect(SQLModel, table=True):
    """Someone the city may invite (a former resident), known from a lawful source.

    Contact keys are stored normalised (email lower case, phone E.164, handles lower case
    without "@") and are unique, so an import merges a person instead of adding them twice.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=20, unique=True, index=True)
    telegram: str | None = Field(default=None, max_length=64, unique=True, index=True)
    discord: str | None = Field(default=None, max_length=64, unique=True, index=True)
    school: str | None = Field(default=None, max_length=200)
    left_year: int | None = Field(default=None)
    source: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    lawful_basis: str = Field(max_length=30)
    notes: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class DoNotContact(SQLModel, table=True):
    """A contact key (kind: email, phone, telegram, discord; normalised value) the city must
    never contact: imports reject rows carrying it, campaigns add to it on opt-out."""

    __tablename__ = "do_not_contact"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    value: str = Field(max_length=320)
    reason: str = Field(default="", max_length=200)
    at: datetime = _when(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    """An invitation to a selection of prospects on one channel, with its texts in both
    languages ({name} and {link} filled in per prospect) and the filters that chose them."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    channel: str = Field(max_length=10)  # "email", "telegram" or "discord"
    subject_lt: str = Field(default="", max_length=200)
    subject_en: str = Field(default="", max_length=200)
    body_lt: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    body_en: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pace_ms: int = Field(default=0)  # pause between two emails
    status: str = Field(default="draft", max_length=12, index=True)  # draft, sending, done
    created_by: str = Field(default="", max_length=320)
    created_at: datetime = _when(default_factory=utcnow)
    started_at: datetime | None = _when(default=None)
    finished_at: datetime | None = _when(default=None)


class CampaignInvite(SQLModel, table=True):
    """One prospect invited by one campaign (once: unique per campaign and prospect), with
    the personal token of their link and each step of the funnel as a time."""

    __tablename__ = "campaign_invite"
    __table_args__ = (UniqueConstraint("campaign_id", "prospect_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    prospect_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("prospect.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    token: str = Field(max_length=64, unique=True, index=True)
    channel: str = Field(max_length=10)
    # queued, sending (claimed; found later it is "in doubt"), sent, failed, skipped, link_ready
    status: str = Field(default="queued", max_length=12, index=True)
    sent_at: datetime | None = _when(default=None)
    opened_at: datetime | None = _when(default=None)
    joined_member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    joined_at: datetime | None = _when(default=None)
    onboarded_at: datetime | None = _when(default=None)
    opted_out_at: datetime | None = _when(default=None)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(default_factory=utcnow)


# ---- mentoring and helping hands (issue 8, part 7; bots/mentoring.py, community/mentoring.py)


class HelpOffer(SQLModel, table=True):
    """A member offering or seeking mentoring, volunteering or charity help.

    `words` are the folded topic words and field codes matching compares; `topic` is what the
    member typed and is never shown to anyone else."""

    __tablename__ = "help_offer"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(max_length=20, index=True)  # mentoring | volunteering | charity
    role: str = Field(max_length=10)  # offer | seek
    topic: str = Field(default="", max_length=300)
    words: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=False)  # a draft until its languages are known
    created_at: datetime = _when(default_factory=utcnow)


class HelpMatch(SQLModel, table=True):
    """Two offers the bot proposed to each other; introduced only when both sides said yes."""

    __tablename__ = "help_match"
    __table_args__ = (UniqueConstraint("offer_a_id", "offer_b_id"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_a_id: int = Field(
        sa_column=Column(Integer, ForeignKey("help_offer.id", ondelete="CASCADE"), nullable=False)
    )
    offer_b_id: int = Field(
        sa_column=Column(Integer, ForeignKey("help_offer.id", ondelete="CASCADE"), nullable=False)
    )
    member_a_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    member_b_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(max_length=20)
    reason: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # proposed | accepted_a | accepted_b | introduced | declined | stopped
    status: str = Field(default="proposed", max_length=12, index=True)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


# ---- city polls (issue 8, part 8; community/polls.py, bots/polls.py, admin/poll_screens.py)


class Poll(SQLModel, table=True):
    """A question staff ask the community, with 2-6 choices, each in Lithuanian and English.

    A draft until sent; open until closed by staff or its closing time."""

    id: int | None = Field(default=None, primary_key=True)
    question_lt: str = Field(max_length=300)
    question_en: str = Field(max_length=300)
    choices: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # [{"lt": ..., "en": ...}]
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", max_length=10, index=True)  # draft | open | closed
    closes_at: datetime | None = _when(default=None)
    created_by: str = Field(default="", max_length=320)
    created_at: datetime = _when(default_factory=utcnow)
    sent_at: datetime | None = _when(default=None)
    closed_at: datetime | None = _when(default=None)


class PollAnswer(SQLModel, table=True):
    """One member's answer, once per poll. Relation and country are kept as they were when
    answering, so results stay the same after erasure unlinks the member."""

    __tablename__ = "poll_answer"
    __table_args__ = (UniqueConstraint("poll_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("poll.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    member_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    choice: int  # 0-based index into Poll.choices
    relation: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    at: datetime = _when(default_factory=utcnow)


class WayHomeStep(SQLModel, table=True):
    """A step of the way-home checklist a member marked done (bots/way_home.yml names the
    steps); undoing it deletes the row, erasure deletes them all."""

    __tablename__ = "way_home_step"
    __table_args__ = (UniqueConstraint("member_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    step: str = Field(max_length=40)
    done_at: datetime = _when(default_factory=utcnow)


class Handover(SQLModel, table=True):
    """A member asked for a human coordinator: their note and checklist progress for staff,
    and staff's answer, which reaches the member through the notification outbox."""

    __tablename__ = "handover"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform: str = Field(max_length=20)  # where the member asked, and is answered
    topic: str = Field(default="way_home", max_length=40)
    note: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=12, index=True)
    created_at: datetime = _when(default_factory=utcnow, index=True)
    answered_at: datetime | None = _when(default=None)
    answered_by: str | None = Field(default=None, max_length=320)
    answer: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    closed_at: datetime | None = _when(default=None)


# ---- events and group suggestions (issue 8, parts 2 and 5; migration ev0001) ----------------


class EventRsvp(SQLModel, table=True):
    """A member's answer to a feed event ("yes" or "no"); a later answer replaces it.

    Personal: deleted with the member (cascade)."""

    __tablename__ = "event_rsvp"

    item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("feed_item.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    answer: str = Field(max_length=3)
    answered_at: datetime = _when(default_factory=utcnow)


class GroupSuggestion(SQLModel, table=True):
    """A group-chat message that suggests an Alytus connection, for staff to look at.

    Never a contact: nothing is sent to the author. Only messages above the threshold are
    kept, and only for 90 days (community.suggestions.purge_old_suggestions)."""

    __tablename__ = "group_suggestion"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=64)
    chat_title: str = Field(default="", max_length=200)
    message_id: str = Field(max_length=64)
    author_id: str = Field(max_length=255)
    author_name: str = Field(default="", max_length=200)
    author_handle: str | None = Field(default=None, max_length=64)
    excerpt: str = Field(sa_type=Text)  # type: ignore[call-overload]
    score: float
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default="new", max_length=12, index=True)
    prospect_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("prospect.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = _when(default_factory=utcnow, index=True)
    decided_at: datetime | None = _when(default=None)
