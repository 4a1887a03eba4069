"""The knowledge base at scale: indexing time, question latency and memory with many articles.

    .venv/bin/python bench/kb_scale.py [--articles 1000] [--chunks 10000] [--seed 7]

Synthetic articles are made offline from the demo articles: each takes a demo article's
headings and recombines sentences from articles of the same language under them, with its
own title and id, so every chunk is new text (nothing comes from the embedding cache). Stage
one indexes `--articles` of them (the time of `KnowledgeIndex.sync`, which embeds in batches)
and times the dev questions; stage two adds articles until the index holds `--chunks` chunks
and times them again. Peak memory is the process's maximum resident set (the model, Chroma
and both indexes loaded: a proxy for `alytus serve`).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import tempfile
import time
from pathlib import Path

from admin.schema import SCHEMAS
from community.database import Database, migrate
from community.settings import Settings
from knowledge.answers import answer_from_index
from knowledge.articles import ArticleDraft, save_article
from knowledge.demo import ARTICLES_DIR, DEV_QUESTIONS
from knowledge.evaluation import percentile, read_questions
from knowledge.importer import import_paths
from knowledge.index import KnowledgeIndex, get_index
from knowledge.loaders import load_markdown
from knowledge.retrieval import search

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZĄČĘĖĮŠŲŪŽ])")
_TOPICS = {
    "lt": "Alytaus seniūnijoje kvartale mikrorajone Dzūkijos regione Nemuno pakrantėje".split(),
    "en": "district neighbourhood quarter region riverside suburb centre".split(),
}


def demo_articles() -> list[dict[str, object]]:
    return [load_markdown(path.read_bytes()) for path in sorted(ARTICLES_DIR.glob("*.md"))]


def sentence_pool(articles: list[dict[str, object]]) -> dict[str, list[str]]:
    """Sentences of the demo articles' paragraphs (not headings or list items), by language."""
    pool: dict[str, list[str]] = {"lt": [], "en": []}
    for article in articles:
        for line in str(article["body"]).splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-", "*", "|")) and len(line) > 40:
                pool[str(article["language"])].extend(_SENTENCE.split(line))
    return pool


def synthetic_article(
    number: int, template: dict[str, object], pool: dict[str, list[str]], rng: random.Random
) -> ArticleDraft:
    """An article shaped like `template` (its headings and paragraph count), written with
    sentences drawn from the pool and a place word that makes each one distinct."""
    language = str(template["language"])
    place = rng.choice(_TOPICS[language])
    lines: list[str] = []
    for line in str(template["body"]).splitlines():
        if line.startswith("#"):
            lines.append(f"{line} ({place} {number})")
        elif line.strip():
            sentences = rng.sample(pool[language], k=rng.randint(2, 4))
            lines.append(f"{' '.join(sentences)} ({place} {number}.)")
        else:
            lines.append("")
    return ArticleDraft(
        id=f"synthetic-{number:05d}",
        title=f"{template['title']} – {place} {number}",
        language=language,
        body="\n".join(lines),
        category=str(template.get("category") or ""),
        source_urls=(f"https://example.invalid/{number}",),
    )


def add_articles(db: Database, drafts: list[ArticleDraft]) -> None:
    with db.session() as session:
        for draft in drafts:
            save_article(session=session, draft=draft, author="kb_scale")
        session.commit()


def index_time(db: Database, index: KnowledgeIndex) -> tuple[float, int, int]:
    started = time.perf_counter()
    with db.session() as session:
        report = index.sync(session)
    assert report is not None
    return time.perf_counter() - started, report.articles, report.chunks


def latencies(index: KnowledgeIndex, settings: Settings) -> dict[str, tuple[float, float]]:
    """p50 / p95 in ms over the dev questions: retrieval alone and the whole answer."""
    questions = read_questions(DEV_QUESTIONS)
    search(index, "šiltas paleidimas", limit=6)  # warm up
    timings: dict[str, list[float]] = {"retrieval": [], "answer": []}
    for question in questions:
        started = time.perf_counter()
        search(index, question.q, limit=6)
        timings["retrieval"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        answer_from_index(index, question.q, question.lang, settings)
        timings["answer"].append((time.perf_counter() - started) * 1000)
    return {
        name: (percentile(values, 0.5), percentile(values, 0.95))
        for name, values in timings.items()
    }


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(label: str, articles: int, chunks: int, figures: dict[str, tuple[float, float]]) -> None:
    print(f"{label}: {articles} articles, {chunks} chunks")
    for name, (p50, p95) in figures.items():
        print(f"  {name:10} latency p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  peak memory (max RSS) so far {peak_memory_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="kb-scale-"))
    settings = Settings(home=home)
    migrate(settings.resolved_database_url, SCHEMAS)
    db = Database.from_settings(settings)
    templates = demo_articles()
    pool = sentence_pool(templates)
    index = get_index(settings)
    index.embedder.embed_query("warm-up")
    print(f"model loaded: peak memory {peak_memory_mb():.0f} MB")

    # stage one: the demo articles plus synthetic ones, `--articles` in all
    import_paths(db=db, paths=[ARTICLES_DIR])
    count = max(0, args.articles - len(templates))
    add_articles(db, [synthetic_article(n, rng.choice(templates), pool, rng) for n in range(count)])
    seconds, articles, chunks = index_time(db, index)
    print(f"indexing {articles} articles ({chunks} chunks): {seconds:.1f} s")
    report("stage 1", articles, chunks, latencies(index, settings))

    # stage two: more articles until the index holds about `--chunks` chunks
    per_article = chunks / max(articles, 1)
    more = max(0, round((args.chunks - chunks) / per_article))
    if more:
        add_articles(
            db,
            [
                synthetic_article(n, rng.choice(templates), pool, rng)
                for n in range(count, count + more)
            ],
        )
        seconds, articles, chunks = index_time(db, index)
        print(f"indexing {more} more articles (now {chunks} chunks): {seconds:.1f} s")
        report("stage 2", articles, chunks, latencies(index, settings))


if __name__ == "__main__":
    main()
