"""Knowledge tables: articles (the truth the index is built from), their revisions, and the
questions the bot could not answer.

Table names carry a `kb_` prefix so they never meet another room's tables.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from community.models import utcnow


class ArticleStatus(StrEnum):
    """Only published articles are indexed and answered from."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class QuestionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


class Article(SQLModel, table=True):
    """One article as staff see it now; every change is also kept as an ArticleRevision."""

    __tablename__ = "kb_article"

    id: str = Field(primary_key=True, max_length=120)
    title: str = Field(max_length=300)
    language: str = Field(max_length=8, index=True)
    category: str = Field(default="", max_length=60)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    source_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=ArticleStatus.DRAFT, max_length=12, index=True)
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    updated: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    source_file: str | None = Field(default=None, max_length=500)
    content_hash: str = Field(default="", max_length=64)
    revision: int = Field(default=0)
    created_at: datetime = _when(default_factory=utcnow)
    modified_at: datetime = _when(default_factory=utcnow)


class ArticleRevision(SQLModel, table=True):
    """Who changed an article, when, what changed, and the whole article after the change."""

    __tablename__ = "kb_article_revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(
        sa_column=Column(
            String(120),
            ForeignKey("kb_article.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    number: int
    author: str = Field(max_length=120)
    at: datetime = _when(default_factory=utcnow)
    change: str = Field(default="", max_length=500)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class UnansweredQuestion(SQLModel, table=True):
    """A question the bot could not answer, waiting for staff (the unanswered inbox)."""

    __tablename__ = "kb_unanswered_question"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(max_length=8)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    platform: str = Field(max_length=20)
    asked_at: datetime = _when(default_factory=utcnow)
    confidence: float = Field(default=0.0)
    status: str = Field(default=QuestionStatus.OPEN, max_length=12, index=True)
    article_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(120), ForeignKey("kb_article.id", ondelete="SET NULL"), nullable=True
        ),
    )
    resolved_at: datetime | None = _when(default=None)
