"""The unanswered inbox: the questions the bot declined, alike ones grouped, for staff to
answer by linking an article (every asker is told), to write a new article from, or to
dismiss; plus the groups as JSON.

An action names the questions the staff member saw (hidden fields), not a group id, so a
question asked after the page was loaded is never answered by accident.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from admin.roles import allowed
from knowledge.articles import ArticleNotFound, KnowledgeError
from knowledge.grouping import QuestionGroup
from knowledge.inbox import answer_with_article, dismiss_questions, open_groups, suggest_articles

CHOSEN_ARTICLE = r"^([a-z0-9][a-z0-9_-]{0,119})?$"
MAX_GROUP = 500
QuestionId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # an SQL integer
QuestionIds = Annotated[
    list[QuestionId], Form(alias="question_id", min_length=1, max_length=MAX_GROUP)
]


class Problem(BaseModel):
    detail: str


class AskedQuestion(BaseModel):
    id: int
    question: str
    language: str
    platform: str
    asked_at: datetime


class GroupOut(BaseModel):
    """A group of alike open questions, and the words they share."""

    key: str
    count: int
    shared_words: list[str]
    languages: list[str]
    platforms: list[str]
    first_asked: datetime
    last_asked: datetime
    questions: list[AskedQuestion]


def group_out(group: QuestionGroup) -> GroupOut:
    return GroupOut(
        key=group.key,
        count=group.count,
        shared_words=group.shared_words,
        languages=group.languages,
        platforms=group.platforms,
        first_asked=group.first_asked,
        last_asked=group.last_asked,
        questions=[
            AskedQuestion.model_validate(question, from_attributes=True)
            for question in group.questions
        ],
    )


def _snapshot(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {"id": row.id, "question": row.question[:200], "member_id": row.member_id} for row in rows
    ]


def build_inbox_router(console: Console) -> APIRouter:
    router = APIRouter()
    pages = APIRouter(prefix="/admin/inbox", include_in_schema=False)
    api = APIRouter(
        prefix="/admin/api/inbox",
        tags=["unanswered inbox"],
        responses={
            401: {"model": Problem, "description": "Not logged in"},
            403: {"model": Problem, "description": "This role cannot open the inbox"},
        },
    )
    Staff = Annotated[StaffAccount, Depends(console.guard("inbox"))]

    @pages.get("", response_class=HTMLResponse)
    def inbox(request: Request, staff: Staff) -> HTMLResponse:
        with console.db.session() as session:
            groups = open_groups(session=session)
            suggestions = {
                group.key: suggest_articles(
                    session=session, text=group.text, language=group.languages[0]
                )
                for group in groups
            }
        return console.pages.render(
            request,
            "admin/inbox.html",
            staff,
            area="inbox",
            title="Unanswered questions",
            groups=groups,
            suggestions=suggestions,
            questions_waiting=sum(group.count for group in groups),
            can_write=allowed(staff.role, "kb"),
        )

    @pages.get("/articles", response_class=HTMLResponse)
    def find_article(
        request: Request,
        staff: Staff,
        q: Annotated[str, Query(max_length=200)] = "",
        group: Annotated[str, Query(max_length=40, pattern=r"^[a-z0-9]*$")] = "",
    ) -> HTMLResponse:
        """The search box of a group: published articles to choose from (an HTMX fragment)."""
        with console.db.session() as session:
            found = suggest_articles(session=session, text=q, limit=8) if q.strip() else []
        return console.pages.render(
            request,
            "admin/inbox_articles.html",
            staff,
            articles=found,
            group=group,
            searched=q,
        )

    @pages.post("/answer")
    def answer(
        request: Request,
        staff: Staff,
        question_ids: QuestionIds,
        article_id: Annotated[str, Form(pattern=CHOSEN_ARTICLE)] = "",
    ) -> Response:
        if not article_id:
            return console.pages.redirect(
                request, "/admin/inbox", "Choose the article that answers them.", "error"
            )
        with console.db.session() as session:
            try:
                done = answer_with_article(
                    session=session, question_ids=question_ids, article_id=article_id
                )
            except ArticleNotFound:
                return console.pages.redirect(
                    request, "/admin/inbox", f"No article with id {article_id!r}.", "error"
                )
            except KnowledgeError as problem:
                return console.pages.redirect(request, "/admin/inbox", str(problem), "error")
            if done.questions:
                record(
                    session=session,
                    staff=staff,
                    action="inbox.answer",
                    target=article_id,
                    before={"status": "open", "questions": _snapshot(done.questions)},
                    after={"status": "answered", "article_id": article_id, "told": done.told},
                )
        count = len(done.questions)
        if not count:
            return console.pages.redirect(
                request, "/admin/inbox", "Those questions were already closed.", "error"
            )
        members = "member" if done.told == 1 else "members"
        return console.pages.redirect(
            request,
            "/admin/inbox",
            f"{count} question{'s' if count != 1 else ''} answered with “{done.article.title}”; "
            f"{done.told} {members} will be told.",
        )

    @pages.post("/dismiss")
    def dismiss(request: Request, staff: Staff, question_ids: QuestionIds) -> Response:
        with console.db.session() as session:
            rows = dismiss_questions(session=session, question_ids=question_ids)
            if rows:
                record(
                    session=session,
                    staff=staff,
                    action="inbox.dismiss",
                    target=", ".join(str(row.id) for row in rows),
                    before={"status": "open", "questions": _snapshot(rows)},
                    after={"status": "dismissed"},
                )
        count = len(rows)
        return console.pages.redirect(
            request, "/admin/inbox", f"{count} question{'s' if count != 1 else ''} dismissed."
        )

    @api.get("/groups", response_model=list[GroupOut])
    def api_groups(staff: Staff) -> list[GroupOut]:
        """The open questions, alike ones grouped; the biggest groups first."""
        with console.db.session() as session:
            return [group_out(group) for group in open_groups(session=session)]

    router.include_router(pages)
    router.include_router(api)
    return router
