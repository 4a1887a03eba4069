"""Articles staff edit: create, change, publish, archive and roll back, every change a revision.

SQL is the truth; the index follows it by itself (see `knowledge.index`), so these functions
touch only the database and never wait for embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from community.models import utcnow
from community.timezones import DEFAULT_ZONE
from knowledge.chunking import content_hash
from knowledge.models import Article, ArticleRevision, ArticleStatus

LANGUAGES = ("lt", "en")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")


class KnowledgeError(Exception):
    """A problem with knowledge-base content that staff can fix; the message says how."""


class ArticleNotFound(KnowledgeError):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"no article with id {article_id!r}")
        self.article_id = article_id


class InvalidArticle(KnowledgeError):
    """The article cannot be saved as it is (missing title, unknown language, ...)."""


class SaveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def web_link(url: str) -> bool:
    """An http(s) address with a host: what a chat may show as a link (never javascript:,
    data: or a relative path)."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class ArticleDraft:
    """An article as a loader or an editor hands it in, before it is saved."""

    id: str
    title: str
    language: str
    body: str
    category: str = ""
    tags: tuple[str, ...] = ()
    source_urls: tuple[str, ...] = ()
    status: str = ArticleStatus.PUBLISHED
    valid_until: date | None = None
    updated: date | None = None
    source_file: str | None = field(default=None, compare=False)

    def validated(self) -> ArticleDraft:
        """The draft, trimmed; raises InvalidArticle saying what is wrong."""
        draft = replace(
            self,
            id=self.id.strip(),
            title=" ".join(self.title.split()),
            language=self.language.strip().lower(),
            body=self.body.strip(),
        )
        if not _SLUG.match(draft.id):
            raise InvalidArticle(f"id {draft.id!r} must be a slug: a-z, 0-9, '-' or '_'")
        if draft.language not in LANGUAGES:
            raise InvalidArticle(f"unknown language {self.language!r} (use lt or en)")
        if not draft.title:
            raise InvalidArticle("the article has no title")
        if not draft.body:
            raise InvalidArticle("the article has no text")
        if draft.status not in set(ArticleStatus):
            raise InvalidArticle(f"unknown status {draft.status!r} (draft, published, archived)")
        for url in draft.source_urls:
            if not web_link(url):
                raise InvalidArticle(
                    f"source link {url[:80]!r} must be a web address starting with http(s)://"
                )
        return draft


@dataclass(frozen=True)
class SaveResult:
    article: Article
    outcome: SaveOutcome
    change: str


# What members read of an article: a change to one of these, once members see it, makes the
# article's "updated" date today (unless staff set that date themselves in the same change).
_READ_FIELDS = ("title", "body", "source_urls", "valid_until")

_CONTENT_FIELDS = (
    "title",
    "language",
    "category",
    "tags",
    "body",
    "source_urls",
    "status",
    "valid_until",
    "updated",
)


def article_hash(article: Article) -> str:
    """Fingerprint of everything the index and answers show of an article."""
    return content_hash(
        article.title,
        article.language,
        article.body,
        "\n".join(article.source_urls),
        article.category,
        str(article.updated or ""),
    )


def snapshot(article: Article) -> dict[str, Any]:
    """The article's content as JSON (what a revision keeps and a rollback restores)."""
    data: dict[str, Any] = {}
    for name in _CONTENT_FIELDS:
        value = getattr(article, name)
        data[name] = value.isoformat() if isinstance(value, date) else value
    data["tags"] = list(article.tags)
    data["source_urls"] = list(article.source_urls)
    return data


def _apply(article: Article, content: dict[str, Any]) -> list[str]:
    """Set content fields on the article; the names of those that changed."""
    changed = []
    for name in _CONTENT_FIELDS:
        value = content[name]
        if name in ("valid_until", "updated") and isinstance(value, str):
            value = date.fromisoformat(value)
        if name in ("tags", "source_urls"):
            value = list(value)
        if getattr(article, name) != value:
            setattr(article, name, value)
            changed.append(name)
    return changed


def _record(session: Session, article: Article, *, author: str, change: str) -> None:
    article.revision += 1
    article.content_hash = article_hash(article)
    article.modified_at = utcnow()
    session.add(article)
    session.add(
        ArticleRevision(
            article_id=article.id,
            number=article.revision,
            author=author[:120],
            change=change[:500],
            snapshot=snapshot(article),
        )
    )
    session.flush()


def save_article(*, session: Session, draft: ArticleDraft, author: str) -> SaveResult:
    """Create the article or change it; an identical article is left alone (no revision)."""
    draft = draft.validated()
    content = {f.name: getattr(draft, f.name) for f in fields(draft) if f.name in _CONTENT_FIELDS}
    article = session.get(Article, draft.id)
    if article is None:
        article = Article(id=draft.id, title=draft.title, language=draft.language, body="")
        _apply(article, content)
        article.source_file = draft.source_file
        _record(session, article, author=author, change="created")
        return SaveResult(article, SaveOutcome.CREATED, "created")
    changed = _apply(article, content)
    if not changed:
        return SaveResult(article, SaveOutcome.UNCHANGED, "")
    if article.status == ArticleStatus.PUBLISHED and _newly_read(changed):
        article.updated = city_today()
    article.source_file = draft.source_file or article.source_file
    change = "changed " + ", ".join(changed)
    _record(session, article, author=author, change=change)
    return SaveResult(article, SaveOutcome.UPDATED, change)


def get_article(*, session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


def list_articles(
    *, session: Session, status: str | None = None, language: str | None = None
) -> Sequence[Article]:
    query = select(Article).order_by(Article.language, Article.id)
    if status:
        query = query.where(Article.status == status)
    if language:
        query = query.where(Article.language == language)
    return session.exec(query).all()


def set_status(*, session: Session, article_id: str, status: str, author: str) -> Article:
    """Publish, archive or return an article to draft (a revision like any other change)."""
    article = get_article(session=session, article_id=article_id)
    if status not in set(ArticleStatus):
        raise InvalidArticle(f"unknown status {status!r} (draft, published, archived)")
    if article.status != status:
        if status == ArticleStatus.PUBLISHED and _edited_since_published(session, article):
            article.updated = city_today()
        article.status = status
        _record(session, article, author=author, change=f"status {status}")
    return article


def city_today() -> date:
    """Today's date in Alytus (an edit at 00:30 there is dated that day, not UTC's)."""
    return datetime.now(ZoneInfo(DEFAULT_ZONE)).date()


def _newly_read(changed: list[str]) -> bool:
    return "updated" not in changed and any(name in _READ_FIELDS for name in changed)


def _edited_since_published(session: Session, article: Article) -> bool:
    """Whether members will read something new when the article is published: what they read
    differs from its last published revision (or it was never published and has no date)."""
    published = [
        revision.snapshot
        for revision in article_revisions(session=session, article_id=article.id)
        if revision.snapshot.get("status") == ArticleStatus.PUBLISHED
    ]
    if not published:
        return article.updated is None
    last, now = published[-1], snapshot(article)
    if last.get("updated") != now.get("updated"):
        return False  # staff dated this edit themselves
    return any(last.get(name) != now.get(name) for name in _READ_FIELDS)


def publish_article(*, session: Session, article_id: str, author: str) -> Article:
    return set_status(
        session=session, article_id=article_id, status=ArticleStatus.PUBLISHED, author=author
    )


def archive_article(*, session: Session, article_id: str, author: str) -> Article:
    return set_status(
        session=session, article_id=article_id, status=ArticleStatus.ARCHIVED, author=author
    )


def article_revisions(*, session: Session, article_id: str) -> Sequence[ArticleRevision]:
    return session.exec(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .order_by(col(ArticleRevision.number))
    ).all()


def rollback_article(*, session: Session, article_id: str, revision: int, author: str) -> Article:
    """Restore the article as it was at `revision`; the rollback is itself a new revision."""
    article = get_article(session=session, article_id=article_id)
    old = session.exec(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article_id, ArticleRevision.number == revision
        )
    ).first()
    if old is None:
        raise KnowledgeError(f"article {article_id!r} has no revision {revision}")
    if _apply(article, old.snapshot):
        _record(session, article, author=author, change=f"rollback to revision {revision}")
    return article
