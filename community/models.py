"""Community tables: members, their channel identities, consent, conversation state.

A member row holds the profile; everything that ties it to a person on a platform lives in
ChannelIdentity, so erasure can cut that link and leave a tombstone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, UniqueConstraint
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
