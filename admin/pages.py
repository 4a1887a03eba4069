"""Rendering staff pages: the shared layout (menu by role, CSRF token, flash messages).

Every screen renders through `Pages.render`, so the menu, the token HTMX sends with each
change and the one-line notices ("Published") look and work the same everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from admin.guard import csrf_token
from admin.models import StaffAccount
from admin.roles import areas_for

TEMPLATES = Path(__file__).parent / "templates"


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A notice shown once on the next page ("Saved", "Erased", an error)."""
    # assigned, not appended: Starlette saves the session only when an item is set
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "text": message}]


class Pages:
    """The admin's Jinja templates with the layout's context filled in."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=TEMPLATES)

    def render(
        self,
        request: Request,
        template: str,
        staff: StaffAccount | None,
        *,
        area: str = "",
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A full page (or, for an HTMX request to a fragment template, just the fragment)."""
        notices = request.session.pop("flash", []) if staff else []
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "staff": staff,
                "menu": areas_for(staff.role) if staff else [],
                "area": area,
                "csrf": csrf_token(request),
                "notices": notices,
                **context,
            },
            status_code=status_code,
        )

    def redirect(
        self, request: Request, url: str, message: str | None = None, kind: str = "ok"
    ) -> RedirectResponse:
        """After a change: back to a page (303, so a reload does not repeat the change)."""
        if message:
            flash(request, message, kind)
        return RedirectResponse(url, status_code=303)
