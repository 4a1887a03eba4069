"""The knowledge-base screens: find, write, preview, publish, archive, compare and roll back
articles, and import files; plus the small JSON API over the articles.

Every change is a revision (knowledge/articles.py) and an audit line in the same
transaction. The index follows SQL by itself (knowledge/index.py compares a fingerprint of the
published articles before each search); a change that reaches published text also asks
`tell_askers`, which brings the index up to date at once and tells members whose open
question the article now answers.
"""

import difflib
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

import nh3
from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from knowledge.articles import (
    LANGUAGES,
    ArticleDraft,
    ArticleNotFound,
    KnowledgeError,
    SaveOutcome,
    archive_article,
    article_revisions,
    get_article,
    list_articles,
    publish_article,
    rollback_article,
    save_article,
    snapshot,
)
from knowledge.inbox import open_questions, tell_askers
from knowledge.loaders import ImportDefaults, LoadProblem, load_file, slugify
from knowledge.models import Article, ArticleStatus
from knowledge.text import fold

ARTICLE_ID = r"^[a-z0-9][a-z0-9_-]{0,119}$"
STATUS_FILTER = r"^(draft|published|archived)?$"
LANGUAGE_FILTER = r"^(lt|en)?$"
MAX_BODY_CHARS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_FILES = 50
LIST_PAGE = 100  # articles a list page shows; the pager reaches the rest
MAX_ID = 2**31 - 1  # an SQL integer
ArticleId = Annotated[str, Path(pattern=ARTICLE_ID, max_length=120)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    """An article body as safe HTML: Markdown without raw HTML, then cleaned by nh3."""
    return nh3.clean(_markdown.render(text), link_rel="noopener noreferrer")


# ---- finding articles -------------------------------------------------------------------------


def find_articles(
    *,
    session: Session,
    text: str = "",
    status: str = "",
    language: str = "",
    category: str = "",
) -> list[Article]:
    """Articles whose title or text holds `text` (diacritics and case ignored)."""
    wanted = fold(" ".join(text.split()))
    found = []
    for article in list_articles(session=session, status=status or None, language=language or None):
        if category and article.category != category:
            continue
        if wanted and wanted not in fold(f"{article.id} {article.title}\n{article.body}"):
            continue
        found.append(article)
    return found


def categories(session: Session) -> list[str]:
    return sorted({c for c in session.exec(select(Article.category)).all() if c})


# ---- comparing revisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk" or "" (unchanged context)
    text: str


def snapshot_lines(content: dict[str, Any]) -> list[str]:
    """An article version as lines a person reads: the fields, a blank line, the text."""
    fields = [
        f"Title: {content.get('title', '')}",
        f"Language: {content.get('language', '')}",
        f"Category: {content.get('category', '')}",
        f"Tags: {', '.join(content.get('tags') or [])}",
        f"Sources: {' '.join(content.get('source_urls') or [])}",
        f"Status: {content.get('status', '')}",
        f"Valid until: {content.get('valid_until') or ''}",
        f"Updated: {content.get('updated') or ''}",
        "",
    ]
    return fields + str(content.get("body", "")).splitlines()


def diff_lines(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffLine]:
    """A unified diff of two versions (all added when there is no older one)."""
    before = snapshot_lines(old) if old else []
    lines = []
    for line in difflib.unified_diff(before, snapshot_lines(new), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("", line[1:]))
    return lines


# ---- the editor's form ------------------------------------------------------------------------


class FormProblem(Exception):
    """The editor's form cannot be saved as filled in; the message says why."""


@dataclass
class EditorForm:
    """What the editor shows and posts, as text, so a refused form comes back as typed."""

    article_id: str = ""
    title: str = ""
    language: str = "lt"
    category: str = ""
    tags: str = ""
    source_urls: str = ""
    valid_until: str = ""
    updated: str = ""
    body: str = ""
    revision: int = 0

    @classmethod
    def of(cls, article: Article) -> "EditorForm":
        return cls(
            article_id=article.id,
            title=article.title,
            language=article.language,
            category=article.category,
            tags=", ".join(article.tags),
            source_urls="\n".join(article.source_urls),
            valid_until=article.valid_until.isoformat() if article.valid_until else "",
            updated=article.updated.isoformat() if article.updated else "",
            body=article.body,
            revision=article.revision,
        )

    def draft(self, *, status: str, source_file: str | None = None) -> ArticleDraft:
        article_id = self.article_id.strip() or f"{self.language}-{slugify(self.title)[:80]}"
        return ArticleDraft(
            id=article_id,
            title=self.title,
            language=self.language,
            body=self.body,
            category=self.category.strip()[:60],
            tags=tuple(tag.strip() for tag in self.tags.split(",") if tag.strip()),
            source_urls=tuple(url.strip() for url in self.source_urls.split() if url.strip()),
            status=status,
            valid_until=_date(self.valid_until, "Valid until"),
            updated=_date(self.updated, "Updated"),
            source_file=source_file,
        )


def _date(text: str, label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise FormProblem(f"{label}: {text!r} is not a date (YYYY-MM-DD)") from error


def prefilled_from_questions(questions: list[str], languages: list[str]) -> EditorForm:
    """A new draft answering questions members asked (from the unanswered inbox)."""
    language = Counter(languages).most_common(1)[0][0] if languages else "lt"
    asked = "\n".join(f"- {question}" for question in questions)
    first = questions[0] if questions else ""
    title = (first[:1].upper() + first[1:]).rstrip("?!. ")[:300]
    return EditorForm(
        title=title,
        language=language if language in LANGUAGES else "lt",
        body=f"# {title}\n\n(Write the answer here.)\n\nMembers asked:\n\n{asked}\n",
    )


class EditorFields(BaseModel):
    """The editor's posted fields (FastAPI reads them as one form model)."""

    article_id: str = ""
    title: str = ""
    language: str = "lt"
    category: str = ""
    tags: str = ""
    source_urls: str = ""
    valid_until: str = ""
    updated: str = ""
    body: str = ""
    revision: int = 0

    model_config = {"str_max_length": MAX_BODY_CHARS}

    def editor_form(self, article_id: str | None = None) -> EditorForm:
        return EditorForm(
            article_id=article_id if article_id is not None else self.article_id[:120],
            title=self.title[:300],
            language=self.language[:8],
            category=self.category[:60],
            tags=self.tags[:2000],
            source_urls=self.source_urls[:5000],
            valid_until=self.valid_until[:20],
            updated=self.updated[:20],
            body=self.body,
            revision=self.revision,
        )


# ---- publishing -------------------------------------------------------------------------------


def told_notice(told: int) -> str:
    if not told:
        return ""
    members = "member" if told == 1 else "members"
    return f" {told} {members} told their question is now answered."


def audit_article(
    session: Session,
    staff: StaffAccount,
    action: str,
    article: Article,
    before: dict[str, Any] | None = None,
) -> None:
    """The audit line of an article change: the whole article before and after, so the log
    shows every field that changed."""
    record(
        session=session,
        staff=staff,
        action=action,
        target=article.id,
        before=before,
        after=snapshot(article),
    )


def after_published(console: Console, session: Session, article: Article) -> int:
    """A change reached published text: bring the index up to date and tell the members whose
    open questions it now answers (tell_askers asks the index, which syncs first)."""
    if article.status != ArticleStatus.PUBLISHED:
        return 0
    return tell_askers(session=session, settings=console.settings, article_id=article.id)


# ---- the JSON API -----------------------------------------------------------------------------


class Problem(BaseModel):
    detail: str


class ArticleSummary(BaseModel):
    id: str
    title: str
    language: str
    category: str
    status: str
    revision: int
    modified_at: datetime


class ArticleDetail(ArticleSummary):
    tags: list[str]
    source_urls: list[str]
    valid_until: date | None
    updated: date | None
    created_at: datetime
    body: str


API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not logged in"},
    403: {"model": Problem, "description": "This role cannot open the knowledge base"},
}


def summary_of(article: Article) -> ArticleSummary:
    return ArticleSummary.model_validate(article, from_attributes=True)


def build_api_router(console: Console) -> APIRouter:
    api = APIRouter(prefix="/admin/api/kb", tags=["knowledge base"], responses=API_ERRORS)
    Staff = Annotated[StaffAccount, Depends(console.guard("kb"))]

    @api.get("/articles", response_model=list[ArticleSummary])
    def api_articles(
        staff: Staff,
        q: Annotated[str, Query(max_length=200)] = "",
        status: Annotated[str, Query(pattern=STATUS_FILTER)] = "",
        language: Annotated[str, Query(pattern=LANGUAGE_FILTER)] = "",
    ) -> list[ArticleSummary]:
        """Articles whose title or text holds `q`, by status and language."""
        with console.db.session() as session:
            found = find_articles(session=session, text=q, status=status, language=language)
            return [summary_of(article) for article in found]

    @api.get(
        "/articles/{article_id}",
        response_model=ArticleDetail,
        responses={404: {"model": Problem, "description": "No such article"}},
    )
    def api_article(staff: Staff, article_id: ArticleId) -> ArticleDetail:
        with console.db.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise HTTPException(404, f"No article with id {article_id!r}.")
            return ArticleDetail.model_validate(article, from_attributes=True)

    return api


# ---- the screens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One uploaded file in the import report."""

    name: str
    outcome: str  # created, updated, unchanged or failed
    article_id: str = ""
    message: str = ""


def _safe_name(filename: str | None) -> str:
    name = FilePath((filename or "").replace("\\", "/")).name
    return re.sub(r"[^\w.-]+", "-", name).strip(".-")[:120] or "upload"


def build_pages_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/kb", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("kb"))]

    def back_to_article(request: Request, article_id: str, message: str) -> Response:
        """After a change to an article: its editor, with the notice of what happened."""
        return console.pages.redirect(request, f"/admin/kb/article/{article_id}", message)

    def editor(
        request: Request,
        staff: StaffAccount,
        form: EditorForm,
        *,
        article: Article | None = None,
        error: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        return console.pages.render(
            request,
            "admin/kb_editor.html",
            staff,
            area="kb",
            title=f"Edit: {article.title}" if article else "New article",
            form=form,
            article=article,
            preview=render_markdown(form.body),
            languages=LANGUAGES,
            error=error,
            status_code=status_code,
        )

    @router.get("", response_class=HTMLResponse)
    def article_list(
        request: Request,
        staff: Staff,
        q: Annotated[str, Query(max_length=200)] = "",
        status: Annotated[str, Query(pattern=STATUS_FILTER)] = "",
        language: Annotated[str, Query(pattern=LANGUAGE_FILTER)] = "",
        category: Annotated[str, Query(max_length=60)] = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> HTMLResponse:
        with console.db.session() as session:
            found = find_articles(
                session=session, text=q, status=status, language=language, category=category
            )
            known_categories = categories(session)
        pages = max(1, -(-len(found) // LIST_PAGE))
        chosen = {"q": q, "status": status, "language": language, "category": category}
        return console.pages.render(
            request,
            "admin/kb_list.html",
            staff,
            area="kb",
            title="Knowledge base",
            articles=found[(page - 1) * LIST_PAGE : page * LIST_PAGE],
            total=len(found),
            page=page,
            pages=pages,
            filters={name: value for name, value in chosen.items() if value},  # for the pager
            q=q,
            status=status,
            language=language,
            category=category,
            statuses=list(ArticleStatus),
            languages=LANGUAGES,
            categories=known_categories,
        )

    @router.get("/new", response_class=HTMLResponse)
    def new_article(
        request: Request,
        staff: Staff,
        questions: Annotated[list[RowId], Query(max_length=200)] = [],  # noqa: B006 - FastAPI copies
    ) -> HTMLResponse:
        form = EditorForm()
        if questions:
            with console.db.session() as session:
                asked = open_questions(session=session, question_ids=questions)
                form = prefilled_from_questions(
                    [row.question for row in asked], [row.language for row in asked]
                )
        return editor(request, staff, form)

    @router.post("/preview", response_class=HTMLResponse)
    def preview(
        staff: Staff, body: Annotated[str, Form(max_length=MAX_BODY_CHARS)] = ""
    ) -> HTMLResponse:
        """The body as members' links and headings will look (HTMX swaps it in)."""
        return HTMLResponse(render_markdown(body) or '<p class="muted">Nothing to show yet.</p>')

    @router.post("/new", response_class=HTMLResponse)
    def create_article(
        request: Request,
        staff: Staff,
        form: Annotated[EditorFields, Form()],
        action: Annotated[str, Form(pattern="^(save|publish)$")] = "save",
    ) -> Response:
        typed = form.editor_form()
        with console.db.session() as session:
            try:
                draft = typed.draft(status=ArticleStatus.DRAFT)
                if session.get(Article, draft.id.strip()) is not None:
                    raise FormProblem(f"An article with id {draft.id!r} exists; choose another.")
                result = save_article(session=session, draft=draft, author=staff.email)
            except (FormProblem, KnowledgeError) as problem:
                return editor(request, staff, typed, error=str(problem), status_code=422)
            article = result.article
            audit_article(session, staff, "kb.save", article)
            told = _publish(console, session, staff, article) if action == "publish" else 0
            message = "Published." if action == "publish" else "Saved as a draft."
        return back_to_article(request, article.id, message + told_notice(told))

    @router.get("/article/{article_id}", response_class=HTMLResponse)
    def edit_article(request: Request, staff: Staff, article_id: ArticleId) -> HTMLResponse:
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
        return editor(request, staff, EditorForm.of(article), article=article)

    @router.post("/article/{article_id}", response_class=HTMLResponse)
    def save_existing(
        request: Request,
        staff: Staff,
        article_id: ArticleId,
        form: Annotated[EditorFields, Form()],
        action: Annotated[str, Form(pattern="^(save|publish)$")] = "save",
    ) -> Response:
        typed = form.editor_form(article_id)
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
            before = snapshot(article)
            try:
                if typed.revision != article.revision:
                    raise FormProblem(
                        f"Someone saved this article meanwhile (now revision {article.revision}"
                        f", you started from {typed.revision}). Your text is below: copy it, "
                        "then reload the page to see theirs."
                    )
                draft = typed.draft(status=article.status, source_file=article.source_file)
                result = save_article(session=session, draft=draft, author=staff.email)
            except (FormProblem, KnowledgeError) as problem:
                return editor(
                    request, staff, typed, article=article, error=str(problem), status_code=422
                )
            if result.outcome != SaveOutcome.UNCHANGED:
                audit_article(session, staff, "kb.save", article, before)
            if action == "publish":
                told = _publish(console, session, staff, article)
                message = "Published."
            else:
                told = after_published(console, session, article) if result.change else 0
                message = "Saved." if result.change else "No changes to save."
                if result.change and article.status == ArticleStatus.PUBLISHED:
                    message = "Saved; members see the new text now."
        return back_to_article(request, article_id, message + told_notice(told))

    @router.post("/article/{article_id}/publish")
    def publish(request: Request, staff: Staff, article_id: ArticleId) -> Response:
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
            told = _publish(console, session, staff, article)
        return back_to_article(request, article_id, "Published." + told_notice(told))

    @router.post("/article/{article_id}/archive")
    def archive(request: Request, staff: Staff, article_id: ArticleId) -> Response:
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
            before = snapshot(article)
            if article.status != ArticleStatus.ARCHIVED:
                archive_article(session=session, article_id=article_id, author=staff.email)
                audit_article(session, staff, "kb.archive", article, before)
        return back_to_article(request, article_id, "Archived: the bot no longer answers from it.")

    @router.get("/article/{article_id}/revisions", response_class=HTMLResponse)
    def revisions(
        request: Request,
        staff: Staff,
        article_id: ArticleId,
        show: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        against: Annotated[str, Query(pattern="^(previous|current)$")] = "previous",
    ) -> HTMLResponse:
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
            history = list(article_revisions(session=session, article_id=article_id))
        by_number = {revision.number: revision for revision in history}
        shown = by_number.get(show or article.revision) or (history[-1] if history else None)
        diff: list[DiffLine] = []
        if shown is not None:
            if against == "current":
                diff = diff_lines(shown.snapshot, snapshot(article))
            else:
                previous = by_number.get(shown.number - 1)
                diff = diff_lines(previous.snapshot if previous else None, shown.snapshot)
        return console.pages.render(
            request,
            "admin/kb_revisions.html",
            staff,
            area="kb",
            title=f"Revisions: {article.title}",
            article=article,
            history=list(reversed(history)),
            shown=shown,
            against=against,
            diff=diff,
        )

    @router.post("/article/{article_id}/rollback")
    def rollback(
        request: Request,
        staff: Staff,
        article_id: ArticleId,
        revision: Annotated[int, Form(ge=1, le=MAX_ID)],
    ) -> Response:
        with console.db.session() as session:
            article = _article_or_404(session, article_id)
            before = snapshot(article)
            try:
                rollback_article(
                    session=session, article_id=article_id, revision=revision, author=staff.email
                )
            except KnowledgeError as problem:
                raise HTTPException(404, str(problem)) from problem
            changed = before != snapshot(article)
            if changed:
                audit_article(session, staff, "kb.rollback", article, before)
            told = after_published(console, session, article) if changed else 0
        message = f"Rolled back to revision {revision}." if changed else "Already that text."
        return back_to_article(request, article_id, message + told_notice(told))

    @router.get("/import", response_class=HTMLResponse)
    def import_page(request: Request, staff: Staff) -> HTMLResponse:
        return console.pages.render(
            request, "admin/kb_import.html", staff, area="kb", title="Import files", rows=None
        )

    @router.post("/import", response_class=HTMLResponse)
    async def import_files(
        request: Request,
        staff: Staff,
        files: Annotated[list[UploadFile], File()],
        language: Annotated[str, Form(pattern=LANGUAGE_FILTER)] = "",
        category: Annotated[str, Form(max_length=60)] = "",
        status: Annotated[str, Form(pattern="^(draft|published)$")] = "draft",
    ) -> HTMLResponse:
        defaults = ImportDefaults(language=language or None, category=category, status=status)
        uploads: list[tuple[str, bytes]] = []
        for upload in files[:MAX_UPLOAD_FILES]:
            uploads.append((upload.filename or "upload", await upload.read(MAX_UPLOAD_BYTES + 1)))
        rows = [
            await run_in_threadpool(import_one, console, staff, name, raw, defaults)
            for name, raw in uploads
        ]
        if len(files) > MAX_UPLOAD_FILES:
            rows.append(
                ImportRow(f"{len(files) - MAX_UPLOAD_FILES} more files", "failed", "", "too many")
            )
        counts = Counter(row.outcome for row in rows)
        return console.pages.render(
            request,
            "admin/kb_import.html",
            staff,
            area="kb",
            title="Import report",
            rows=rows,
            counts=counts,
        )

    return router


def _article_or_404(session: Session, article_id: str) -> Article:
    try:
        return get_article(session=session, article_id=article_id)
    except ArticleNotFound as missing:
        raise HTTPException(404, f"No article with id {article_id!r}.") from missing


def _publish(console: Console, session: Session, staff: StaffAccount, article: Article) -> int:
    """Publish (a revision and an audit line when it was not published yet), then tell."""
    if article.status != ArticleStatus.PUBLISHED:
        before = snapshot(article)
        publish_article(session=session, article_id=article.id, author=staff.email)
        audit_article(session, staff, "kb.publish", article, before)
    return after_published(console, session, article)


def import_one(
    console: Console, staff: StaffAccount, name: str, raw: bytes, defaults: ImportDefaults
) -> ImportRow:
    """Load one uploaded file and save it with its audit line in a transaction of its own, so a
    bad file is named in the report and never stops or undoes the others."""
    if len(raw) > MAX_UPLOAD_BYTES:
        return ImportRow(name, "failed", message=f"larger than {MAX_UPLOAD_BYTES // 2**20} MB")
    with tempfile.TemporaryDirectory(prefix="kb-import-") as folder:
        path = FilePath(folder) / _safe_name(name)
        path.write_bytes(raw)
        try:
            draft = load_file(path, defaults)
        except LoadProblem as problem:
            return ImportRow(name, "failed", message=str(problem))
    draft = replace(draft, source_file=name[:500])
    try:
        with console.db.session() as session:
            existing = session.get(Article, draft.id)
            before = snapshot(existing) if existing else None
            result = save_article(session=session, draft=draft, author=staff.email)
            if result.outcome != SaveOutcome.UNCHANGED:
                audit_article(session, staff, "kb.import", result.article, before)
                after_published(console, session, result.article)
            return ImportRow(name, result.outcome.value, draft.id, result.change)
    except KnowledgeError as problem:
        return ImportRow(name, "failed", draft.id, str(problem))


def build_kb_router(console: Console) -> APIRouter:
    """The knowledge-base screens under /admin/kb and the JSON API under /admin/api/kb."""
    router = APIRouter()
    router.include_router(build_pages_router(console))
    router.include_router(build_api_router(console))
    return router
