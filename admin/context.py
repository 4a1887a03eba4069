"""What every admin screen is built with: settings, the bot engine and its database, pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from admin.guard import require
from admin.models import StaffAccount
from admin.pages import Pages
from bots.engine import Engine
from community.database import Database
from community.settings import Settings


@dataclass
class Console:
    """Handed to each area's `build_*_router(console)`."""

    settings: Settings
    engine: Engine
    pages: Pages = field(default_factory=Pages)

    @property
    def db(self) -> Database:
        return self.engine.db

    def guard(self, area: str) -> Callable[[Request], Coroutine[Any, Any, StaffAccount]]:
        """Dependency for a route of `area`: `staff: Annotated[StaffAccount, Depends(...)]`.

        It answers 401/redirect without a session, 403 for a role outside `area` (see
        admin/roles.py) and 403 for a change without the session's CSRF token."""
        return require(self.db, self.settings, area)
