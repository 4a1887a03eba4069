"""Group suggestions: messages in Telegram groups and Discord servers that suggest an Alytus
connection, with their evidence, for staff to dismiss or to add as a prospect (legitimate
interest, the group as the source); plus the list as JSON. Nothing here contacts anyone:
inviting a prospect is a campaign, a separate and deliberate step.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from admin.audit import record
from admin.context import Console
from admin.models import StaffAccount
from community.suggestions import (
    NEW,
    STATUSES,
    SuggestionError,
    add_as_prospect,
    count_by_status,
    dismiss,
    list_suggestions,
    suggestion_view,
)

MAX_ID = 2**31 - 1  # an SQL integer
SuggestionId = Annotated[int, Path(ge=1, le=MAX_ID)]
StatusFilter = Literal["new", "dismissed", "invited", "all"]


class Problem(BaseModel):
    detail: str


class EvidenceOut(BaseModel):
    kind: str
    value: str
    weight: float


class SuggestionOut(BaseModel):
    """A group message that suggests an Alytus connection, and what staff decided."""

    id: int
    platform: str
    chat_id: str
    chat_title: str
    author_id: str
    author_name: str
    author_handle: str | None
    excerpt: str
    score: float
    evidence: list[EvidenceOut]
    status: str
    prospect_id: int | None
    created_at: datetime
    decided_at: datetime | None


def _snapshot(view: dict[str, Any]) -> dict[str, Any]:
    keys = ("platform", "chat_title", "author_id", "author_handle", "score", "status")
    return {key: view[key] for key in keys} | {"prospect_id": view["prospect_id"]}


def build_suggestion_router(console: Console) -> APIRouter:
    router = APIRouter()
    pages = APIRouter(prefix="/admin/suggestions", include_in_schema=False)
    api = APIRouter(
        prefix="/admin/api/suggestions",
        tags=["group suggestions"],
        responses={
            401: {"model": Problem, "description": "Not logged in"},
            403: {"model": Problem, "description": "This role cannot open group suggestions"},
        },
    )
    Staff = Annotated[StaffAccount, Depends(console.guard("suggestions"))]

    @pages.get("", response_class=HTMLResponse)
    def suggestions_page(
        request: Request, staff: Staff, status: Annotated[StatusFilter, Query()] = "new"
    ) -> HTMLResponse:
        with console.db.session() as session:
            found = list_suggestions(session=session, status=None if status == "all" else status)
            rows = [suggestion_view(suggestion) for suggestion in found]
            counts = count_by_status(session)
        return console.pages.render(
            request,
            "admin/suggestions.html",
            staff,
            area="suggestions",
            title="Group suggestions",
            rows=rows,
            counts=counts,
            status=status,
            statuses=(*STATUSES, "all"),
        )

    def _decide(request: Request, staff: Staff, suggestion_id: int, action: str) -> Response:
        back = "/admin/suggestions"
        with console.db.session() as session:
            try:
                if action == "dismiss":
                    suggestion = dismiss(session, suggestion_id)
                    prospect = None
                else:
                    suggestion, prospect = add_as_prospect(session, suggestion_id)
            except SuggestionError as problem:
                return console.pages.redirect(request, back, str(problem), "error")
            after = suggestion_view(suggestion)
            record(
                session=session,
                staff=staff,
                action=f"suggestion.{action}",
                target=f"suggestion {suggestion_id}",
                before=_snapshot(after) | {"status": NEW, "prospect_id": None},
                after=_snapshot(after),
            )
            name = prospect.name if prospect is not None else ""
            prospect_id = prospect.id if prospect is not None else None
        if action == "dismiss":
            return console.pages.redirect(request, back, f"Suggestion {suggestion_id} dismissed.")
        return console.pages.redirect(
            request, back, f"{name} is prospect #{prospect_id}; nobody was contacted."
        )

    @pages.post("/{suggestion_id}/dismiss")
    def dismiss_suggestion(request: Request, staff: Staff, suggestion_id: SuggestionId) -> Response:
        return _decide(request, staff, suggestion_id, "dismiss")

    @pages.post("/{suggestion_id}/prospect")
    def prospect_from_suggestion(
        request: Request, staff: Staff, suggestion_id: SuggestionId
    ) -> Response:
        return _decide(request, staff, suggestion_id, "prospect")

    @api.get("", response_model=list[SuggestionOut])
    def api_suggestions(
        staff: Staff,
        status: Annotated[
            StatusFilter, Query(description="new (the default), dismissed, invited or all")
        ] = "new",
        limit: Annotated[int, Query(ge=1, le=500)] = 200,
    ) -> list[SuggestionOut]:
        """Group messages that suggest an Alytus connection, newest first, with evidence."""
        with console.db.session() as session:
            found = list_suggestions(
                session=session, status=None if status == "all" else status, limit=limit
            )
            return [SuggestionOut.model_validate(suggestion_view(row)) for row in found]

    router.include_router(pages)
    router.include_router(api)
    return router
