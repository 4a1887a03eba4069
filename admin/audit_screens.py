"""The audit log screen: every staff change, newest first, with before and after."""

# No `from __future__ import annotations` here: FastAPI must resolve the `Staff` dependency
# alias defined inside the router builder.

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from admin.audit import changed_fields, entries
from admin.context import Console
from admin.models import StaffAccount


def build_audit_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin/audit", include_in_schema=False)
    Staff = Annotated[StaffAccount, Depends(console.guard("audit"))]

    @router.get("", response_class=HTMLResponse)
    def audit_log(
        request: Request,
        staff: Staff,
        action: Annotated[str, Query(max_length=60)] = "",
        who: Annotated[str, Query(max_length=320)] = "",
    ) -> HTMLResponse:
        with console.db.session() as session:
            found = entries(session=session, action=action or None, staff_email=who or None)
            rows = [(entry, changed_fields(entry)) for entry in found]
        return console.pages.render(
            request,
            "admin/audit.html",
            staff,
            area="audit",
            title="Audit log",
            rows=rows,
            action=action,
            who=who,
        )

    return router
