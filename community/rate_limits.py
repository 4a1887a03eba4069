"""Rate limits on chat messages: how many a sender may send a minute.

Counted in SQL (one row per sender: the current minute and its count), so several processes
behind a load balancer count together and a restart forgets nothing. A fixed one-minute
window is coarse but cheap: one upsert per message.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from community.models import RateWindow, utcnow

CLEAN_ONE_IN = 50  # about one call in this many clears the rows of past minutes


def minute_of(now: datetime) -> int:
    return int(now.timestamp() // 60)


def allow(*, session: Session, key: str, per_minute: int, now: datetime | None = None) -> bool:
    """Count one message from `key`; False once it has sent more than `per_minute` this
    minute (the count goes on, so a flood stays refused until the minute ends)."""
    minute = minute_of(now or utcnow())
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(RateWindow).values(key=key[:200], window=minute, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[RateWindow.key],
        set_={
            "hits": case((col(RateWindow.window) == minute, col(RateWindow.hits) + 1), else_=1),
            "window": minute,
        },
    ).returning(col(RateWindow.hits))
    hits = int(session.execute(statement).scalar_one())
    if random.randrange(CLEAN_ONE_IN) == 0:  # a past minute counts nothing: and its key
        # names an account or an address, so it is not kept longer than it serves
        session.execute(delete(RateWindow).where(col(RateWindow.window) < minute - 1))
    return hits <= per_minute
