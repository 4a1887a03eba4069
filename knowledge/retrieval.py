"""Hybrid retrieval: dense (e5 in Chroma) and lexical (BM25) chunk rankings fused by
reciprocal rank, then gathered per article.

Both rankings cover both languages; preferring the member's language is the answer's
business (`knowledge.answers`), since it must know how good the other language's article is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from knowledge.chunking import Chunk
from knowledge.index import IndexedArticle, IndexState, KnowledgeIndex, is_current
from knowledge.text import query_terms, terms

RRF_K = 20
CHUNK_RRF_K = 2
CANDIDATES = 40
LEXICAL_WEIGHT = 1.5  # members type short, diacritic-less questions; e5 reads them less well
DENSE_WEIGHT = 1.0
SURE_ARTICLES = 2  # the best articles of each ranking, kept as candidates whatever the fusion


@dataclass
class ArticleHit:
    """One article and its chunks that matched, best first, with the signals behind it."""

    article: IndexedArticle
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    bm25: float = 0.0
    chunks: list[tuple[Chunk, float]] = field(default_factory=list)
    similarity: dict[str, float] = field(default_factory=dict)  # chunk id -> cosine

    @property
    def best_chunk(self) -> Chunk:
        return self.chunks[0][0]


def _fuse(
    index: KnowledgeIndex, dense: list[tuple[str, float]], lexical: list[tuple[str, float]]
) -> dict[str, float]:
    fused: dict[str, float] = {}
    for weight, ranking in ((DENSE_WEIGHT, dense), (LEXICAL_WEIGHT, lexical)):
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
    return fused


def search(index: KnowledgeIndex, question: str, limit: int = 5) -> list[ArticleHit]:
    """Articles for a question, best first (only current, published ones); each hit's chunks
    are ranked for quoting: by dense similarity and BM25 within the article."""
    state = index.state
    if not state.chunks:
        return []
    vector = index.embedder.embed_query(question)
    dense = index.dense_search_vector(vector, CANDIDATES)
    lexical_scores = state.lexical.scores(question)
    lexical = state.lexical.top(lexical_scores, CANDIDATES)
    dense_by_chunk = dict(dense)
    top_lexical = lexical[0][1] if lexical else 1.0
    raw_by_chunk = dict(lexical)
    hits: dict[str, ArticleHit] = {}
    for chunk_id, score in sorted(
        _fuse(index, dense, lexical).items(), key=lambda item: item[1], reverse=True
    ):
        chunk = state.chunks[chunk_id]
        article = state.articles[chunk.article_id]
        if not is_current(article):
            continue
        hit = hits.setdefault(article.id, ArticleHit(article))
        hit.chunks.append((chunk, score))
        hit.dense = max(hit.dense, dense_by_chunk.get(chunk_id, 0.0))
        hit.bm25 = max(hit.bm25, raw_by_chunk.get(chunk_id, 0.0))
        hit.lexical = hit.bm25 / top_lexical
    for hit in hits.values():
        scores = [score for _, score in hit.chunks]
        hit.score = scores[0] + 0.1 * sum(scores[1:2])
    ranked = sorted(hits.values(), key=lambda hit: hit.score, reverse=True)[:limit]
    # Rank fusion can bury an article only one ranking finds, however far ahead it is there
    # (BM25 alone finds "Trečiojo amžiaus universitetas" for "university of the third age"):
    # each ranking's best articles stay candidates, for the answer's evidence to weigh.
    for ranking in (lexical, dense):
        for article_id in _best_articles(state, ranking, SURE_ARTICLES):
            hit = hits.get(article_id)
            if hit is not None and hit not in ranked:
                ranked.append(hit)
    for hit in ranked:
        _rank_chunks(state, hit, vector, question)
    return ranked


def _best_articles(state: IndexState, ranking: list[tuple[str, float]], count: int) -> list[str]:
    found: list[str] = []
    for chunk_id, _ in ranking:
        article_id = state.chunks[chunk_id].article_id
        if article_id not in found:
            found.append(article_id)
            if len(found) == count:
                break
    return found


def _rank_chunks(state: IndexState, hit: ArticleHit, vector: np.ndarray, question: str) -> None:
    """Order all of an article's chunks by how well each answers: rank fusion of dense
    similarity and the weight of question terms in the chunk's own text (not the title,
    which every chunk of the article shares)."""
    chunks = state.by_article[hit.article.id]
    similarities = state.similarities(vector, chunks)
    wanted = set(query_terms(question, state.lexical.known))
    overlap = [
        sum(
            state.lexical.term_idf(term)
            for term in wanted & set(terms(f"{chunk.heading} {chunk.text}", hit.article.language))
        )
        for chunk in chunks
    ]
    hit.dense = max(similarities)
    hit.similarity = {chunk.id: value for chunk, value in zip(chunks, similarities, strict=True)}
    fused = [0.0] * len(chunks)
    for values in (similarities, overlap):
        order = sorted(range(len(chunks)), key=lambda i: values[i], reverse=True)
        for rank, i in enumerate(order):
            fused[i] += 1.0 / (CHUNK_RRF_K + rank + 1)
    hit.chunks = sorted(
        ((chunk, fused[i]) for i, chunk in enumerate(chunks)), key=lambda item: -item[1]
    )
