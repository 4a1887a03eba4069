"""Import files into the knowledge base: one report line per file, and one bad file never
stops the rest. Re-importing an unchanged file changes nothing; a changed one adds a revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from community.database import Database
from knowledge.articles import KnowledgeError, SaveOutcome, save_article
from knowledge.loaders import SUFFIXES, ImportDefaults, LoadProblem, load_file


@dataclass(frozen=True)
class ImportLine:
    """What happened to one file: created, updated, unchanged or failed (with why)."""

    path: Path
    outcome: str
    article_id: str | None = None
    message: str = ""

    def __str__(self) -> str:
        what = f"{self.article_id}" if self.article_id else ""
        detail = f": {self.message}" if self.message else ""
        return f"{self.outcome:<9} {self.path} {what}{detail}".rstrip()


@dataclass
class ImportReport:
    lines: list[ImportLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(line.outcome == outcome for line in self.lines)

    @property
    def failed(self) -> list[ImportLine]:
        return [line for line in self.lines if line.outcome == "failed"]

    def summary(self) -> str:
        parts = [
            f"{self.count(outcome)} {outcome}"
            for outcome in ("created", "updated", "unchanged", "failed")
        ]
        return f"{len(self.lines)} files: " + ", ".join(parts)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the supported files inside folders (sorted, recursive)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in SUFFIXES
            )
        else:
            yield path


def import_file(
    *, db: Database, path: Path, author: str, defaults: ImportDefaults | None = None
) -> ImportLine:
    """Load and save one file in a transaction of its own."""
    if not path.exists():
        return ImportLine(path, "failed", message="no such file")
    try:
        draft = load_file(path, defaults)
        with db.session() as session:
            result = save_article(session=session, draft=draft, author=author)
            message = result.change if result.outcome == SaveOutcome.UPDATED else ""
            return ImportLine(path, result.outcome.value, draft.id, message)
    except (LoadProblem, KnowledgeError) as error:
        return ImportLine(path, "failed", message=str(error))


def import_paths(
    *,
    db: Database,
    paths: Iterable[Path],
    author: str = "import",
    defaults: ImportDefaults | None = None,
    progress: Callable[[ImportLine], None] | None = None,
) -> ImportReport:
    """Import every file; the report names each one and what happened to it."""
    report = ImportReport()
    seen: dict[str, Path] = {}
    for path in expand_paths(paths):
        line = import_file(db=db, path=path, author=author, defaults=defaults)
        if line.article_id and line.article_id in seen and seen[line.article_id] != path:
            line = ImportLine(
                path,
                line.outcome,
                line.article_id,
                f"same id as {seen[line.article_id]}; this file's text replaced it",
            )
        if line.article_id:
            seen[line.article_id] = path
        report.lines.append(line)
        if progress:
            progress(line)
    return report
