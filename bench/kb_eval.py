"""Knowledge-base answers on the dev questions, side by side with two baselines.

    .venv/bin/python bench/kb_eval.py [QUESTIONS.jsonl]
    .venv/bin/python bench/kb_eval.py --split tune|held_out

Without arguments it reads the dev questions; --split reads the lines of
calibration-questions.jsonl marked with that split (the tune lines chose the features and
weights; only the held-out lines measure them, so run it on held_out once, for the report).

ours: hybrid retrieval + calibrated "don't know" + extractive answer (knowledge.answers).
dense: a plain LangChain + Chroma retriever with the same e5 embeddings, top-3 articles; it
always answers with its best chunk. bm25: our BM25 alone, top-3 articles, best chunk.
Everything runs in a scratch ALYTUS_HOME with the demo articles; prints cited@1, cited@3,
MRR, answer-fact recall, out-of-scope declined and latency p50/p95 for each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from admin.schema import SCHEMAS
from community.database import Database, migrate
from community.settings import Settings
from knowledge.answers import answer_from_index
from knowledge.demo import ARTICLES_DIR, CALIBRATION_QUESTIONS, DEV_QUESTIONS
from knowledge.evaluation import (
    EvalReport,
    LabelledQuestion,
    Prediction,
    evaluate,
    read_questions,
)
from knowledge.importer import import_paths
from knowledge.index import KnowledgeIndex, embedded_text, get_index


class E5LangChainEmbeddings(Embeddings):
    """The same e5 model behind LangChain's Embeddings interface."""

    def __init__(self, index: KnowledgeIndex) -> None:
        self.embedder = index.embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


def demo_index(prefix: str) -> tuple[Settings, KnowledgeIndex]:
    """The demo articles in a scratch ALYTUS_HOME, indexed (what every knowledge bench reads)."""
    settings = Settings(home=Path(tempfile.mkdtemp(prefix=prefix)))
    migrate(settings.resolved_database_url, SCHEMAS)
    db = Database.from_settings(settings)
    import_paths(db=db, paths=[ARTICLES_DIR])
    index = get_index(settings)
    with db.session() as session:
        index.sync(session)
    return settings, index


def top_articles(chunk_ids: list[str], index: KnowledgeIndex, k: int = 3) -> list[str]:
    articles: list[str] = []
    for chunk_id in chunk_ids:
        article_id = index.state.chunks[chunk_id].article_id
        if article_id not in articles:
            articles.append(article_id)
    return articles[:k]


def split_questions(split: str) -> list[LabelledQuestion]:
    """The calibration questions of one split ("tune" or "held_out"), no other line."""
    questions = []
    for line in CALIBRATION_QUESTIONS.read_text(encoding="utf-8").splitlines():
        data = json.loads(line) if line.strip() else None
        if not data or data.get("split") != split:
            continue
        questions.append(
            LabelledQuestion(
                q=str(data["q"]),
                lang=str(data.get("lang", "lt")),
                expected_article_ids=tuple(data.get("expected_article_ids", ())),
                answer_facts=tuple(data.get("answer_facts", ())),
            )
        )
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, help="a labelled questions file")
    parser.add_argument("--split", choices=("tune", "held_out"), help="calibration split")
    args = parser.parse_args()
    if args.split and args.questions:
        parser.error("give a questions file or --split, not both")
    if args.split:
        questions = split_questions(args.split)
        print(f"calibration-questions.jsonl, split {args.split}")
    else:
        questions = read_questions(args.questions or DEV_QUESTIONS)
    settings, index = demo_index("kb-eval-")
    home = settings.home
    state = index.state

    store = Chroma(
        collection_name="plain-dense",
        embedding_function=E5LangChainEmbeddings(index),
        persist_directory=str(home / "plain-chroma"),
        collection_metadata={"hnsw:space": "cosine"},
    )
    documents = [
        Document(
            page_content=embedded_text(state.articles[c.article_id], c),
            metadata={"chunk": c.id},
            id=c.id,
        )
        for c in state.chunks.values()
    ]
    store.add_documents(documents, ids=[d.id for d in documents])
    retriever = store.as_retriever(search_kwargs={"k": 12})
    index.embedder.embed_query("warm-up")

    def ours(question: str, language: str) -> Prediction:
        answer = answer_from_index(index, question, language, settings)
        return Prediction(answer.answered, answer.text, [s.id for s in answer.sources])

    def dense(question: str, language: str) -> Prediction:
        found = retriever.invoke(question)
        ids = [doc.metadata["chunk"] for doc in found]
        return Prediction(True, state.chunks[ids[0]].text, top_articles(ids, index))

    def bm25(question: str, language: str) -> Prediction:
        ranked = state.lexical.search(question, 30)
        if not ranked:
            return Prediction(False, "", [])
        ids = [chunk_id for chunk_id, _ in ranked]
        return Prediction(True, state.chunks[ids[0]].text, top_articles(ids, index))

    reports: dict[str, EvalReport] = {
        "ours (hybrid)": evaluate(ours, questions),
        "LangChain+Chroma dense": evaluate(dense, questions),
        "BM25 only": evaluate(bm25, questions),
    }
    rows = [
        ("cited@1", "cited_at_1"),
        ("cited@3", "cited_at_3"),
        ("MRR", "mrr"),
        ("answer-fact recall", "answer_fact_recall"),
        ("answered in scope", "answered_in_scope"),
        ("out-of-scope declined", "out_of_scope_declined"),
        ("latency p50 ms", "latency_p50_ms"),
        ("latency p95 ms", "latency_p95_ms"),
    ]
    first = next(iter(reports.values()))
    print(f"{first.questions} questions ({first.in_scope} in scope, {first.out_of_scope} out)")
    print(f"{'':24}" + "".join(f"{name:>26}" for name in reports))
    for label, key in rows:
        print(f"{label:24}" + "".join(f"{getattr(r, key):>26.3f}" for r in reports.values()))
    misses = [r.q for r in first.results if r.in_scope and not (r.rank and r.rank <= 3)]
    print("ours, in scope not cited in the top 3:", misses or "none")


if __name__ == "__main__":
    main()
