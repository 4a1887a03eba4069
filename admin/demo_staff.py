"""Demo staff accounts for `alytus init --demo`: one per role, with passwords made here.

No password is fixed in the code or the docs (a demo left on a public server would otherwise
open to anyone): each is random, printed once and kept in ALYTUS_HOME/demo-staff.txt
(readable by the owner only) so the person who ran `init` can log in.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

from admin.accounts import create_staff, find_staff
from admin.models import StaffRole
from community.database import Database
from community.settings import Settings
from rewards.partners import list_partners

DEMO_DOMAIN = "demo.alytus.lt"
CREDENTIALS_FILE = "demo-staff.txt"


def load_demo_staff(db: Database, settings: Settings) -> Iterator[str]:
    """Create admin@, editor@, moderator@ and partner@demo.alytus.lt once; yield report lines."""
    lines: list[str] = []
    with db.session() as session:
        partners = list_partners(session=session)
        for role in StaffRole:
            email = f"{role.value}@{DEMO_DOMAIN}"
            if find_staff(session=session, email=email) is not None:
                continue
            partner_id = partners[0].id if role == StaffRole.PARTNER and partners else None
            if role == StaffRole.PARTNER and partner_id is None:
                continue
            password = secrets.token_urlsafe(12)
            create_staff(
                session=session, email=email, role=role, password=password, partner_id=partner_id
            )
            lines.append(f"{email}  {password}")
    if not lines:
        yield "demo staff: already there (passwords in ALYTUS_HOME/demo-staff.txt)"
        return
    path = settings.home_dir / CREDENTIALS_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in lines))
    yield f"demo staff (log in at {settings.public_url.rstrip('/')}/admin/; kept in {path}):"
    yield from (f"  {line}" for line in lines)
