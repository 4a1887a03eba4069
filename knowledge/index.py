"""The search index, derived from the published articles in SQL and rebuilt from it at will.

Two halves: dense vectors in Chroma (a persistent folder in ALYTUS_HOME, or a Chroma server
when ALYTUS_CHROMA_URL is set) and BM25 in memory. Before every search the index compares a
cheap fingerprint of the published articles with the one it was built from and brings
itself up to date incrementally: only articles whose content changed are re-chunked and
re-embedded, so a published change is searchable within seconds, by every process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, select

from community.settings import Settings
from knowledge.articles import article_hash
from knowledge.chunking import Chunk, chunk_article
from knowledge.embeddings import Embedder, default_embedder
from knowledge.lexical import BM25Index, LexicalDocument
from knowledge.models import Article, ArticleStatus
from knowledge.passages import Passage, article_passages

EMBED_BATCH = 32
# Part of the collection name: changing how chunks are embedded starts a new collection.
EMBEDDING_RECIPE = "v3"


@dataclass(frozen=True)
class IndexedArticle:
    """What retrieval and answers need to know of a published article."""

    id: str
    title: str
    language: str
    category: str
    source_urls: tuple[str, ...]
    updated: date | None
    valid_until: date | None
    content_hash: str


@dataclass(frozen=True)
class IndexState:
    """One immutable snapshot: searches read it while a sync builds the next one."""

    fingerprint: tuple[Any, ...] = ()
    articles: dict[str, IndexedArticle] = field(default_factory=dict)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    by_article: dict[str, list[Chunk]] = field(default_factory=dict)
    lexical: BM25Index = field(default_factory=lambda: BM25Index([]))
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    passages: dict[str, list[Passage]] = field(default_factory=dict)

    def similarities(self, vector: np.ndarray, chunks: list[Chunk]) -> list[float]:
        """Cosine similarity of a query vector to chunks (vectors are unit length)."""
        return [float(self.vectors[chunk.id] @ vector) for chunk in chunks]


@dataclass(frozen=True)
class SyncReport:
    articles: int
    chunks: int
    embedded_articles: int
    removed_articles: int


def indexed_text(article: IndexedArticle, chunk: Chunk) -> str:
    """The text BM25 matches for a chunk: title and heading give it context."""
    return "\n".join(part for part in (article.title, chunk.heading, chunk.text) if part)


def embedded_text(article: IndexedArticle, chunk: Chunk) -> str:
    """The text embedded for a chunk: its heading and text, and the title for the first one
    (a title on every chunk would make an article's chunks all alike to the model)."""
    title = article.title if chunk.index == 0 else ""
    return "\n".join(part for part in (title, chunk.heading, chunk.text) if part)


def _indexed(article: Article) -> IndexedArticle:
    return IndexedArticle(
        id=article.id,
        title=article.title,
        language=article.language,
        category=article.category,
        source_urls=tuple(article.source_urls),
        updated=article.updated,
        valid_until=article.valid_until,
        content_hash=article.content_hash or article_hash(article),
    )


def published_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever a published article is added, changed, archived or deleted."""
    count, latest, revisions = session.exec(
        select(func.count(), func.max(Article.modified_at), func.sum(Article.revision)).where(
            Article.status == ArticleStatus.PUBLISHED
        )
    ).one()
    return (int(count or 0), str(latest or ""), int(revisions or 0))


class KnowledgeIndex:
    """Dense (Chroma) plus lexical (BM25) index over the chunks of published articles."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._collection: Any = None
        self._state = IndexState()
        self._lock = threading.RLock()
        self._chroma_hashes: dict[str, str] | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    @property
    def state(self) -> IndexState:
        return self._state

    # -- Chroma ---------------------------------------------------------------------------

    @property
    def collection(self) -> Any:
        if self._collection is None:
            from knowledge.chroma import ChromaEmbeddingFunction, chroma_client

            self._collection = chroma_client(self.settings).get_or_create_collection(
                name=f"kb-{self.embedder.name}-{EMBEDDING_RECIPE}",
                embedding_function=ChromaEmbeddingFunction(self.embedder),
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collection

    def _load_chroma_hashes(self) -> dict[str, str]:
        if self._chroma_hashes is None:
            stored = self.collection.get(include=["metadatas"])
            self._chroma_hashes = {
                str(meta["article_id"]): str(meta["content_hash"])
                for meta in stored["metadatas"] or []
                if meta
            }
        return self._chroma_hashes

    def _delete_from_chroma(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        if ids:
            self.collection.delete(where={"article_id": {"$in": ids}})
            for article_id in ids:
                self._load_chroma_hashes().pop(article_id, None)

    def _write_to_chroma(
        self, articles: list[IndexedArticle], chunks: dict[str, list[Chunk]]
    ) -> dict[str, np.ndarray]:
        self._delete_from_chroma(article.id for article in articles)
        rows = [(article, chunk) for article in articles for chunk in chunks[article.id]]
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(rows), EMBED_BATCH * 8):
            batch = rows[start : start + EMBED_BATCH * 8]
            texts = [embedded_text(article, chunk) for article, chunk in batch]
            embeddings = self.embedder.embed_passages(texts)
            vectors.update(zip((chunk.id for _, chunk in batch), embeddings, strict=True))
            self.collection.add(
                ids=[chunk.id for _, chunk in batch],
                documents=texts,
                embeddings=embeddings,
                metadatas=[
                    {
                        "article_id": article.id,
                        "language": article.language,
                        "chunk": chunk.index,
                        "content_hash": article.content_hash,
                    }
                    for article, chunk in batch
                ],
            )
        hashes = self._load_chroma_hashes()
        for article in articles:
            hashes[article.id] = article.content_hash
        return vectors

    def _read_vectors(self, article_ids: list[str]) -> dict[str, np.ndarray]:
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(article_ids), 200):
            stored = self.collection.get(
                where={"article_id": {"$in": article_ids[start : start + 200]}},
                include=["embeddings"],
            )
            for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True):
                vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        return vectors

    # -- keeping up with SQL --------------------------------------------------------------

    def sync(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> SyncReport | None:
        """Bring the index up to date with the published articles; None when it already was."""
        fingerprint = published_fingerprint(session)
        if fingerprint == self._state.fingerprint:
            return None
        with self._lock:
            if fingerprint == self._state.fingerprint:
                return None
            return self._rebuild(session, fingerprint, progress)

    def _rebuild(
        self,
        session: Session,
        fingerprint: tuple[Any, ...],
        progress: Callable[[int, int], None] | None,
    ) -> SyncReport:
        old = self._state
        published = session.exec(
            select(Article).where(Article.status == ArticleStatus.PUBLISHED)
        ).all()
        articles = {article.id: _indexed(article) for article in published}
        bodies = {article.id: article.body for article in published}
        chunks_by_article: dict[str, list[Chunk]] = {}
        passages: dict[str, list[Passage]] = {}
        for article_id, article in articles.items():
            previous = old.articles.get(article_id)
            if previous and previous.content_hash == article.content_hash:
                chunks_by_article[article_id] = old.by_article[article_id]
                passages[article_id] = old.passages[article_id]
            else:
                body = bodies[article_id]
                chunks_by_article[article_id] = chunk_article(article_id, article.title, body)
                passages[article_id] = article_passages(article_id, article.title, body)
        self._chroma_hashes = None  # another process may have written to Chroma
        in_chroma = self._load_chroma_hashes()
        stale = [
            article
            for article in articles.values()
            if in_chroma.get(article.id) != article.content_hash
        ]
        removed = [article_id for article_id in in_chroma if article_id not in articles]
        self._delete_from_chroma(removed)
        stale_ids = {article.id for article in stale}
        vectors = {
            chunk.id: old.vectors[chunk.id]
            for article_id, article_chunks in chunks_by_article.items()
            if article_id not in stale_ids
            for chunk in article_chunks
            if chunk.id in old.vectors
        }
        unread = [
            article_id
            for article_id, article_chunks in chunks_by_article.items()
            if article_id not in stale_ids and any(c.id not in vectors for c in article_chunks)
        ]
        vectors.update(self._read_vectors(unread))
        for done, start in enumerate(range(0, len(stale), EMBED_BATCH), start=1):
            batch = stale[start : start + EMBED_BATCH]
            vectors.update(self._write_to_chroma(batch, chunks_by_article))
            if progress:
                progress(min(done * EMBED_BATCH, len(stale)), len(stale))
        chunks = {
            chunk.id: chunk
            for article_chunks in chunks_by_article.values()
            for chunk in article_chunks
        }
        lexical = BM25Index(
            [
                LexicalDocument(
                    chunk_id,
                    indexed_text(articles[chunk.article_id], chunk),
                    articles[chunk.article_id].language,
                )
                for chunk_id, chunk in chunks.items()
            ]
        )
        self._state = IndexState(
            fingerprint, articles, chunks, chunks_by_article, lexical, vectors, passages
        )
        return SyncReport(len(articles), len(chunks), len(stale), len(removed))

    def reindex(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> SyncReport:
        """Drop the vector collection and rebuild everything from SQL."""
        with self._lock:
            try:
                self.collection.delete(where={"chunk": {"$gte": 0}})
            except Exception:  # noqa: BLE001 - an empty collection may refuse a filter
                pass
            self._chroma_hashes = {}
            self._state = IndexState()
            return self._rebuild(session, published_fingerprint(session), progress)

    # -- searching ------------------------------------------------------------------------

    def dense_search(self, question: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first, from Chroma."""
        state = self._state
        if not state.chunks:
            return []
        vector = self.embedder.embed_query(question)
        return self.dense_search_vector(vector, k)

    def dense_search_vector(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        state = self._state
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=max(1, min(k, len(state.chunks))),
            include=["distances"],
        )
        hits = zip(result["ids"][0], result["distances"][0], strict=True)
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in hits if chunk_id in state.chunks]


def chroma_path(settings: Settings) -> Path:
    return settings.home_dir / "chroma"


_indexes: dict[tuple[str, str], KnowledgeIndex] = {}
_indexes_lock = threading.Lock()


def get_index(settings: Settings) -> KnowledgeIndex:
    """The process-wide index for these settings' Chroma and database (one per pair)."""
    key = (
        settings.chroma_url or str(chroma_path(settings)),
        settings.resolved_database_url,
    )
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = KnowledgeIndex(settings)
        return index


def is_current(article: IndexedArticle, today: date | None = None) -> bool:
    """An article past its valid-until date is not answered from until staff review it."""
    today = today or datetime.now().date()
    return article.valid_until is None or article.valid_until >= today
