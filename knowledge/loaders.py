"""Turn files into article drafts: Markdown with YAML front matter, HTML pages (main text by
trafilatura), PDF (pypdf) and DOCX (python-docx), as council decisions arrive in both.

Each loader raises `LoadProblem` with a message staff can act on ("broken PDF", "bad front
matter", "unknown language"), so an import can name the file and carry on with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.articles import LANGUAGES, ArticleDraft, InvalidArticle
from knowledge.text import detect_language, fold

SUFFIXES = (".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


class LoadProblem(Exception):
    """A file that cannot become an article; the message names what is wrong."""


@dataclass(frozen=True)
class ImportDefaults:
    """What the person importing says of files that do not say it themselves."""

    language: str | None = None
    category: str = ""
    status: str = "published"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:120] or "article"


def load_file(path: Path, defaults: ImportDefaults | None = None) -> ArticleDraft:
    """The draft a file holds; LoadProblem when it holds none."""
    defaults = defaults or ImportDefaults()
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadProblem(f"unsupported file type {path.suffix or '(none)'}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LoadProblem(f"cannot read the file: {error.strerror or error}") from error
    if not raw.strip():
        raise LoadProblem("empty file")
    fields = loader(raw)
    body = str(fields.pop("body", "")).strip()
    if not body:
        raise LoadProblem("no text found in the file")
    language = fields.pop("language", None) or defaults.language or detect_language(body)
    if language is None:
        raise LoadProblem("unknown language: cannot tell lt from en; pass --lang")
    language = str(language).strip().lower()
    if language not in LANGUAGES:
        raise LoadProblem(f"unknown language {language!r} (use lt or en)")
    title = str(fields.pop("title", "") or _first_heading(body) or path.stem).strip()
    try:
        return ArticleDraft(
            id=str(fields.pop("id", "") or slugify(path.stem)),
            title=title,
            language=language,
            body=body,
            category=str(fields.pop("category", "") or defaults.category),
            tags=tuple(_strings(fields.pop("tags", ()))),
            source_urls=tuple(_strings(fields.pop("source_urls", ()))),
            status=str(fields.pop("status", "") or defaults.status),
            valid_until=_date(fields.pop("valid_until", None), "valid_until"),
            updated=_date(fields.pop("updated", None), "updated"),
            source_file=str(path),
        ).validated()
    except InvalidArticle as error:
        raise LoadProblem(str(error)) from error


def _first_heading(body: str) -> str | None:
    match = re.search(r"^#{1,3}\s+(.+)$", body, re.MULTILINE)
    return match.group(1).strip() if match else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    raise LoadProblem(f"expected a list, got {value!r}")


def _date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", str(value))
    if not match:
        raise LoadProblem(f"bad front matter: {name} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as error:
        raise LoadProblem(f"bad front matter: {name} {value!r}: {error}") from error


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1257", errors="replace")  # Baltic Windows pages


def load_markdown(raw: bytes) -> dict[str, Any]:
    import frontmatter
    import yaml

    text = _decode(raw)
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as error:
        problem = str(error).splitlines()[0]
        raise LoadProblem(f"bad front matter: {problem}") from error
    if text.lstrip().startswith("---") and not post.metadata:
        raise LoadProblem("bad front matter: the block between --- lines is not YAML fields")
    if not isinstance(post.metadata, dict):
        raise LoadProblem("bad front matter: expected key: value fields")
    return {**post.metadata, "body": post.content}


def load_html(raw: bytes) -> dict[str, Any]:
    import trafilatura

    html = _decode(raw)
    body = trafilatura.extract(
        html, output_format="markdown", include_links=False, include_tables=True, favor_recall=True
    )
    meta = trafilatura.extract_metadata(html)
    fields: dict[str, Any] = {"body": body or ""}
    if meta is not None:
        if meta.title:
            fields["title"] = meta.title
        if meta.url and meta.url.startswith("http"):
            fields["source_urls"] = [meta.url]
        if meta.date:
            fields["updated"] = meta.date
    match = re.search(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})", html[:2000])
    if match and match.group(1).lower() in LANGUAGES:
        fields["language"] = match.group(1).lower()
    return fields


def _paragraphs(lines: list[str]) -> str:
    """Join hard-wrapped PDF lines into paragraphs."""
    out: list[str] = []
    current = ""
    for line in (line.strip() for line in lines):
        if not line:
            if current:
                out.append(current)
                current = ""
            continue
        if current and (current.endswith((".", ":", "!", "?")) or re.match(r"^[-•\d]", line)):
            out.append(current)
            current = line
        elif current:
            current = current[:-1] + line if current.endswith("-") else f"{current} {line}"
        else:
            current = line
    if current:
        out.append(current)
    return "\n\n".join(out)


def load_pdf(raw: bytes) -> dict[str, Any]:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(BytesIO(raw), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadProblem("the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except LoadProblem:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise LoadProblem(f"broken PDF: {error}") from error
    body = _paragraphs("\n".join(pages).splitlines())
    if not body:
        raise LoadProblem("no text in the PDF (a scan? it needs OCR first)")
    fields: dict[str, Any] = {"body": body}
    if title.strip():
        fields["title"] = title.strip()
    else:
        fields["title"] = body.split("\n\n", 1)[0][:200]
    return fields


def load_docx(raw: bytes) -> dict[str, Any]:
    from io import BytesIO
    from zipfile import BadZipFile

    import docx

    try:
        document = docx.Document(BytesIO(raw))
    except (BadZipFile, KeyError, ValueError) as error:
        raise LoadProblem(f"broken DOCX: {error}") from error
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if style == "Title" or level:
            lines.append(f"{'#' * (int(level.group(1)) if level else 1)} {text}")
        elif style.startswith("List"):
            lines.append(f"- {text}")
        else:
            lines.append(text)
        lines.append("")
    fields: dict[str, Any] = {"body": "\n".join(lines)}
    if document.core_properties.title:
        fields["title"] = document.core_properties.title
    return fields


_LOADERS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
