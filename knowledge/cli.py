"""`alytus kb ...` and `alytus ask`: staff manage the knowledge base and try its answers.

The top-level CLI (admin) mounts `kb_app` as `alytus kb` and `ask` as `alytus ask`, and has
migrated the database before any of these run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from community.database import Database
from community.settings import get_settings
from knowledge.answers import Answer, answer_from_index
from knowledge.articles import (
    KnowledgeError,
    article_revisions,
    get_article,
    list_articles,
    rollback_article,
    set_status,
)
from knowledge.inbox import tell_askers
from knowledge.index import get_index

kb_app = typer.Typer(help="The knowledge base: articles, import, index, evaluation.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="lt or en (default: ALYTUS_DEFAULT_LANGUAGE).")
]
AuthorOpt = Annotated[str, typer.Option("--author", help="Who makes the change (revisions).")]


def _database() -> Database:
    return Database.from_settings(get_settings())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _progress(label: str):  # type: ignore[no-untyped-def]
    """A progress callback that draws a bar on stderr (only on a terminal)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = typer.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state.get("done", 0))
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return update


@kb_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="draft, published or archived.")] = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Articles: id, language, status, updated date, title."""
    with _database().session() as session:
        articles = list_articles(session=session, status=status, language=lang)
        rows = [
            {
                "id": a.id,
                "language": a.language,
                "status": a.status,
                "category": a.category,
                "updated": a.updated.isoformat() if a.updated else None,
                "revision": a.revision,
                "title": a.title,
            }
            for a in articles
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(
            f"{row['id']:<40} {row['language']}  {row['status']:<9} "
            f"{row['updated'] or '-':<10}  {row['title']}"
        )
    typer.echo(f"{len(rows)} articles")


@kb_app.command("show")
def show_command(article_id: str, as_json: JsonOpt = False) -> None:
    """One article: its fields, text and revisions."""
    try:
        with _database().session() as session:
            article = get_article(session=session, article_id=article_id)
            revisions = [
                {"number": r.number, "author": r.author, "at": r.at.isoformat(), "change": r.change}
                for r in article_revisions(session=session, article_id=article_id)
            ]
            data = {
                "id": article.id,
                "title": article.title,
                "language": article.language,
                "category": article.category,
                "tags": article.tags,
                "status": article.status,
                "source_urls": article.source_urls,
                "updated": article.updated.isoformat() if article.updated else None,
                "valid_until": article.valid_until.isoformat() if article.valid_until else None,
                "body": article.body,
                "revisions": revisions,
            }
    except KnowledgeError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key in ("id", "title", "language", "category", "status", "updated", "valid_until"):
        typer.echo(f"{key + ':':<13}{data[key] or '-'}")
    typer.echo(f"{'tags:':<13}{', '.join(data['tags']) or '-'}")
    for url in data["source_urls"]:
        typer.echo(f"{'source:':<13}{url}")
    typer.echo("")
    typer.echo(data["body"])
    typer.echo("")
    for r in revisions:
        typer.echo(f"revision {r['number']}  {r['at'][:19]}  {r['author']}  {r['change']}")


@kb_app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.md .html .pdf .docx).")],
    lang: LangOpt = None,
    category: Annotated[str, typer.Option(help="Category for files that name none.")] = "",
    draft: Annotated[bool, typer.Option("--draft", help="Import as drafts.")] = False,
    author: AuthorOpt = "import",
) -> None:
    """Import articles; one report line per file. Exit 1 if any file failed (the rest are in)."""
    from knowledge.importer import expand_paths, import_paths
    from knowledge.loaders import ImportDefaults

    settings = get_settings()
    db = Database.from_settings(settings)
    files = list(expand_paths(paths))
    defaults = ImportDefaults(
        language=lang, category=category, status="draft" if draft else "published"
    )
    with typer.progressbar(
        length=len(files), label="importing", file=sys.stderr, show_pos=True
    ) as bar:
        report = import_paths(
            db=db,
            paths=files,
            author=author,
            defaults=defaults,
            progress=lambda _line: bar.update(1),
        )
    for line in report.lines:
        typer.echo(str(line))
    with db.session() as session:
        sync = get_index(settings).sync(session, progress=_progress("indexing"))
    typer.echo(report.summary())
    if sync:
        typer.echo(f"index: {sync.articles} articles, {sync.chunks} chunks")
    if report.failed:
        raise typer.Exit(1)


@kb_app.command("reindex")
def reindex_command() -> None:
    """Rebuild the vector and lexical index from the published articles in SQL."""
    settings = get_settings()
    with _database().session() as session:
        report = get_index(settings).reindex(session, progress=_progress("embedding"))
    typer.echo(
        f"reindexed {report.articles} published articles, {report.chunks} chunks "
        f"(embedded {report.embedded_articles})"
    )


@kb_app.command("publish")
def publish_command(article_id: str, author: AuthorOpt = "cli") -> None:
    """Publish an article: it is answered from as soon as the next question comes, and the
    members whose open questions it answers are told."""
    _set_status(article_id, "published", author)
    with _database().session() as session:
        told = tell_askers(session=session, settings=get_settings(), article_id=article_id)
    typer.echo(f"members told their question is answered: {told}")


@kb_app.command("archive")
def archive_command(article_id: str, author: AuthorOpt = "cli") -> None:
    """Archive an article: it is no longer answered from."""
    _set_status(article_id, "archived", author)


def _set_status(article_id: str, status: str, author: str) -> None:
    try:
        with _database().session() as session:
            article = set_status(
                session=session, article_id=article_id, status=status, author=author
            )
            typer.echo(f"{article.id}: {article.status} (revision {article.revision})")
    except KnowledgeError as error:
        raise _fail(str(error)) from None


@kb_app.command("rollback")
def rollback_command(article_id: str, revision: int, author: AuthorOpt = "cli") -> None:
    """Restore an article as it was at REVISION (recorded as a new revision)."""
    try:
        with _database().session() as session:
            article = rollback_article(
                session=session, article_id=article_id, revision=revision, author=author
            )
            typer.echo(f"{article.id}: now revision {article.revision}")
    except KnowledgeError as error:
        raise _fail(str(error)) from None


@kb_app.command("unanswered")
def unanswered_command(as_json: JsonOpt = False) -> None:
    """Open questions the bot could not answer, newest first."""
    from knowledge.inbox import list_unanswered

    with _database().session() as session:
        rows = [
            {
                "id": row.id,
                "asked_at": row.asked_at.isoformat(),
                "language": row.language,
                "platform": row.platform,
                "member_id": row.member_id,
                "question": row.question,
            }
            for row in list_unanswered(session=session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>5}  {row['asked_at'][:16]}  {row['language']}  {row['question']}")
    typer.echo(f"{len(rows)} open questions")


@kb_app.command("eval")
def eval_command(
    questions_file: Annotated[Path, typer.Argument(help="JSONL: q, lang, expected_article_ids.")],
    as_json: JsonOpt = False,
) -> None:
    """cited@1, cited@3, MRR, answer-fact recall, out-of-scope declined, latency p50/p95."""
    from knowledge.evaluation import BadQuestionsFile, Prediction, evaluate, read_questions

    settings = get_settings()
    try:
        questions = read_questions(questions_file)
    except (OSError, BadQuestionsFile) as error:
        raise _fail(str(error)) from None
    index = get_index(settings)
    with _database().session() as session:
        index.sync(session, progress=_progress("indexing"))
    index.embedder.embed_query("warm-up")

    def predict(question: str, language: str) -> Prediction:
        answer = answer_from_index(index, question, language, settings)
        return Prediction(answer.answered, answer.text, [s.id for s in answer.sources])

    report = evaluate(predict, questions)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    for line in report.lines():
        typer.echo(line)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The `alytus ask --json` shape, best source first."""
    return {
        "answered": answer.answered,
        "answer": answer.text,
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in answer.sources],
        "confidence": answer.confidence,
        "language": answer.language,
    }


def _print_answer(answer: Answer) -> None:
    if not answer.answered:
        typer.echo(f"No confident answer (confidence {answer.confidence:.2f}).")
        for source in answer.suggestions:
            typer.echo(f"  closest topic: {source.title} [{source.id}]")
        return
    typer.echo(answer.text)
    typer.echo("")
    for source in answer.sources:
        updated = f", updated {source.updated.isoformat()}" if source.updated else ""
        typer.echo(f"  source: {source.title} [{source.id}] {source.url or ''}{updated}")
    note = " (from the other language's article)" if answer.other_language else ""
    typer.echo(f"  confidence {answer.confidence:.2f}{note}")


def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; none: one question a line on stdin.")
    ] = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the knowledge base; with no QUESTION, answer stdin line by line as JSON lines."""
    settings = get_settings()
    language = lang or settings.default_language
    if language not in ("lt", "en"):
        raise _fail(f"unknown language {language!r} (use lt or en)")
    index = get_index(settings)
    db = _database()
    with db.session() as session:
        index.sync(session)
    if question is not None:
        answer = answer_from_index(index, question, language, settings)
        if as_json:
            typer.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            _print_answer(answer)
        return
    for line in sys.stdin:
        with db.session() as session:
            index.sync(session)
        answer = answer_from_index(index, line.strip(), language, settings)
        sys.stdout.write(json.dumps(answer_json(answer), ensure_ascii=False) + "\n")
        sys.stdout.flush()
