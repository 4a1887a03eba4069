"""Sending a broadcast: claimed rows, each member's language, each platform's pace.

Per platform, a loop claims a batch of delivery rows, passes small groups through the
"sending" gate (committed before the platform call), pushes them at the platform's pace
(a token schedule overall and per chat) and records each outcome right after the platform
answered. A row found "sending" after a crash is in doubt and is never sent again: a
member may miss a message after a hard crash, but never gets two (see `recover`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bots.catalog import Catalog
from bots.channels.base import PushChannel, RateLimit, SendOutcome
from bots.messages import Button, Link, Reply
from community import broadcasts
from community.broadcasts import Claimed
from community.database import Database
from community.events import local_time
from community.models import FeedItem, as_utc, utcnow
from community.ranking import KIND_INTEREST
from community.settings import Settings
from community.timezones import quiet_until

log = logging.getLogger(__name__)

GROUP_SECONDS = 0.05  # a group is this long at the platform's pace: the in-doubt bound
BATCH_SECONDS = 5.0  # rows claimed at once: this long at the platform's pace
POLL_SECONDS = 0.5  # how often to look again while other workers hold rows
WAIT_LIMIT = 120.0  # wait this long for deferred rows (429s); quiet hours end the run


class StopFlag(Protocol):
    """threading.Event or asyncio.Event: set it to stop after the messages in flight."""

    def is_set(self) -> bool: ...


class Pacer:
    """A token schedule (GCRA) for one platform: overall and per chat, with a short burst
    allowance so a stall (a commit, a slow answer) is caught up without exceeding the
    platform's own one-second bucket; `pause` honours a "retry after"."""

    def __init__(self, rate: RateLimit, *, burst_seconds: float = 0.1) -> None:
        self.interval = 1.0 / rate.per_second
        self.chat_interval = 1.0 / rate.per_chat_per_second
        self.burst = burst_seconds
        self.next_at = 0.0
        self.paused_until = 0.0
        self.chat_next: dict[str, float] = {}

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def slot(self, chat: str) -> None:
        """Wait for this message's turn."""
        while True:
            now = time.monotonic()
            start = max(self.next_at, now - self.burst, self.paused_until)
            start = max(start, self.chat_next.get(chat, 0.0))
            self.next_at = start + self.interval
            self.chat_next[chat] = max(start, now) + self.chat_interval
            if start > now:
                await asyncio.sleep(start - now)
            if self.paused_until <= time.monotonic():
                return

    def forget_old_chats(self) -> None:
        now = time.monotonic()
        self.chat_next = {chat: at for chat, at in self.chat_next.items() if at > now}


@dataclass
class BroadcastReport:
    """What one run of `send_broadcast` did."""

    broadcast_id: int
    total: int = 0
    handled: int = 0  # rows no longer open when this run looked last
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    deferred: int = 0
    freed: int = 0  # rows a dead sender had leased, given back
    in_doubt: int = 0  # rows a dead sender was sending: not sent again
    seconds: float = 0.0
    sending_seconds: float = 0.0  # from the first to the last platform call of this run
    done: bool = False
    next_due_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    by_platform: dict[str, int] = field(default_factory=dict)
    first_call: float | None = None
    last_call: float | None = None

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("first_call")
        found.pop("last_call")
        return found

    @property
    def rate(self) -> float:
        return self.sent / self.sending_seconds if self.sending_seconds else 0.0


def item_details(
    catalog: Catalog, item: FeedItem, language: str, now: datetime | None = None
) -> list[str]:
    """When and where an event is, one line each (the time as Alytus reads it). Given `now`,
    a start already past reads as past, so a member is not led to a day that is gone."""
    lines = []
    if item.starts_at is not None:
        when = local_time(item.starts_at)  # stored in UTC; the event happens in Alytus
        past = now is not None and as_utc(item.starts_at) < as_utc(now)
        lines.append(catalog.text(language, "news.when_past" if past else "news.when", when=when))
    if item.place:
        lines.append(catalog.text(language, "news.where", place=item.place))
    return lines


def item_links(catalog: Catalog, item: FeedItem, language: str) -> tuple[Link, ...]:
    return (Link(catalog.text(language, "news.link"), item.url),) if item.url else ()


def item_choices(
    catalog: Catalog, item: FeedItem, language: str, interests: Collection[str] = ()
) -> tuple[Button, ...]:
    """ "More like this" where it would change something (the kind has an interest the
    ranking weighs, not yet among the member's `interests`), and "fewer": no more news of
    this kind, said as such."""
    kind = catalog.text(language, f"news.kind_{item.kind}")
    more = Button(catalog.text(language, "news.more_button"), f"/more {item.kind}")
    fewer = Button(catalog.text(language, "news.fewer_button", kind=kind), f"/optout {item.kind}")
    interest = KIND_INTEREST.get(item.kind)
    return (more, fewer) if interest is not None and interest not in interests else (fewer,)


def render_item(catalog: Catalog, item: FeedItem, language: str) -> Reply:
    """The item as a member reads it: title, body, date and place, link, and buttons for
    more or fewer news like it."""
    english = language == "en"
    title = item.title_en if english else item.title_lt
    body = item.body_en if english else item.body_lt
    text = catalog.text(language, "news.item", title=title, body=body).strip()
    text = "\n".join([text, *item_details(catalog, item, language)])
    return Reply(
        text=text,
        links=item_links(catalog, item, language),
        buttons=item_choices(catalog, item, language),
    )


class _Sender:
    """One run over one broadcast; a loop per platform shares the report."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        broadcast_id: int,
        channels: dict[str, PushChannel],
        catalog: Catalog,
        progress: Callable[[BroadcastReport], None] | None,
        stop: StopFlag | None,
        batch_size: int | None = None,
    ) -> None:
        self.db, self.settings, self.catalog = db, settings, catalog
        self.batch_size = batch_size
        self.broadcast_id, self.channels = broadcast_id, channels
        self.progress, self.stop = progress, stop
        self.worker = broadcasts.worker_name()
        self.report = BroadcastReport(broadcast_id=broadcast_id)
        self.replies: dict[str, Reply] = {}
        self.item: FeedItem | None = None

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def reply_in(self, language: str) -> Reply:
        if language not in self.replies:
            assert self.item is not None
            self.replies[language] = render_item(self.catalog, self.item, language)
        return self.replies[language]

    async def run(self) -> BroadcastReport:
        started = time.monotonic()
        with self.db.session() as session:
            broadcast = broadcasts.get_broadcast(session, self.broadcast_id)
            self.item = session.get(FeedItem, broadcast.item_id)
            recovered = broadcasts.recover(session, self.broadcast_id)
        self.report.freed, self.report.in_doubt = recovered["freed"], recovered["in_doubt"]
        self._refresh()
        await asyncio.gather(*(self.platform_loop(name) for name in self.channels))
        with self.db.session() as session:
            self.report.done = broadcasts.finish_if_done(session, self.broadcast_id)
            due = broadcasts.next_due(session, self.broadcast_id)
        self.report.next_due_at = due.isoformat() if due else None
        self._refresh()
        self.report.seconds = time.monotonic() - started
        if self.report.first_call is not None and self.report.last_call is not None:
            self.report.sending_seconds = self.report.last_call - self.report.first_call
        return self.report

    def _refresh(self) -> None:
        with self.db.session() as session:
            found = broadcasts.counts(session, self.broadcast_id)
        self.report.counts = found
        self.report.total = sum(found.values())
        self.report.handled = self.report.total - sum(found[s] for s in broadcasts.OPEN_STATUSES)
        if self.progress is not None:
            self.progress(self.report)

    async def platform_loop(self, platform: str) -> None:
        channel = self.channels[platform]
        pacer = Pacer(channel.rate)
        group = max(1, math.ceil(channel.rate.per_second * GROUP_SECONDS))
        batch = self.batch_size or min(1000, math.ceil(channel.rate.per_second * BATCH_SECONDS))
        batch = max(group, batch)
        while not self.stopping():
            with self.db.session() as session:
                rows = broadcasts.claim(
                    session,
                    self.broadcast_id,
                    batch,
                    utcnow(),
                    worker=self.worker,
                    platforms=[platform],
                )
            if not rows:
                if not await self._wait_for_work(platform):
                    return
                continue
            queue = deque(rows)
            answered: list[tuple[Claimed, SendOutcome]] = []
            while queue and not self.stopping():
                chunk = [queue.popleft() for _ in range(min(group, len(queue)))]
                answered = await self._send_group(channel, pacer, chunk, answered)
            with self.db.session() as session:
                self._record(session, pacer, answered)
                if queue:  # stopping: give back what was claimed and not sent
                    broadcasts.release(session, [row.id for row in queue], worker=self.worker)
            pacer.forget_old_chats()
            self._refresh()

    async def _wait_for_work(self, platform: str) -> bool:
        """Nothing claimable now: wait for rows other workers hold or a short "retry after";
        False when the rest waits for quiet hours (or nothing is left)."""
        with self.db.session() as session:
            broadcasts.recover(session, self.broadcast_id)
            work = broadcasts.open_work(session, self.broadcast_id, utcnow(), platform)
        if work["held"]:
            delay = POLL_SECONDS
        elif work["later"] is not None:
            delay = (work["later"] - utcnow()).total_seconds()
            if delay > WAIT_LIMIT:
                return False
        else:
            return False
        deadline = time.monotonic() + max(delay, 0.05)
        while time.monotonic() < deadline and not self.stopping():
            await asyncio.sleep(min(0.1, max(deadline - time.monotonic(), 0)))
        return not self.stopping()

    async def _send_group(
        self,
        channel: PushChannel,
        pacer: Pacer,
        rows: Sequence[Claimed],
        answered: list[tuple[Claimed, SendOutcome]],
    ) -> list[tuple[Claimed, SendOutcome]]:
        """One transaction records the previous group's answers, defers rows now in their
        quiet hours and passes this group through the "sending" gate; then its calls."""
        now = utcnow()
        quiet = {row.id: quiet_until(now, row.time_zone, self.settings.quiet_hours) for row in rows}
        due = [row for row in rows if quiet[row.id] is None]
        with self.db.session() as session:
            self._record(session, pacer, answered)
            for row in rows:
                until = quiet[row.id]
                if until is not None:
                    broadcasts.defer(session, row.id, until, error="quiet hours")
                    self.report.deferred += 1
            allowed = broadcasts.start_sending(
                session, [row.id for row in due], worker=self.worker, now=now
            )
        # Committed: from here a crash leaves these rows "sending", never sent twice.
        go = [row for row in due if row.id in allowed]
        # One at a time: concurrent calls were slower against a local server (1 call: about
        # 500/s, 6 at once: 300/s, 20: 130/s on 2 cores), and the pace is the limit anyway.
        return [(row, await self._push(channel, pacer, row)) for row in go]

    async def _push(self, channel: PushChannel, pacer: Pacer, row: Claimed) -> SendOutcome:
        await pacer.slot(row.recipient_id)
        moment = time.monotonic()
        if self.report.first_call is None:
            self.report.first_call = moment
        try:
            outcome = await channel.push(row.recipient_id, self.reply_in(row.language))
        except Exception as error:  # a bug or a network fault must not stop the broadcast
            log.exception("push to %s failed", row.platform)
            outcome = SendOutcome(delivered=False, error=f"{type(error).__name__}: {error}")
        self.report.last_call = time.monotonic()
        if outcome.retry_after:
            pacer.pause(outcome.retry_after)
        return outcome

    def _record(
        self, session: Any, pacer: Pacer, answered: list[tuple[Claimed, SendOutcome]]
    ) -> None:
        """Write what the platform answered for each row of a group."""
        report = self.report
        delivered = [row for row, outcome in answered if outcome.delivered]
        broadcasts.mark_sent(session, [row.id for row in delivered])
        report.sent += len(delivered)
        for row in delivered:
            report.by_platform[row.platform] = report.by_platform.get(row.platform, 0) + 1
        for row, outcome in answered:
            if outcome.delivered:
                continue
            if outcome.retry_after:
                until = utcnow() + timedelta(seconds=outcome.retry_after)
                broadcasts.defer(session, row.id, until, error=outcome.error, undo_attempt=True)
                report.deferred += 1
            elif outcome.unreachable:
                broadcasts.mark_unreachable(
                    session,
                    row.id,
                    platform=row.platform,
                    recipient_id=row.recipient_id,
                    error=outcome.error or "",
                )
                report.unreachable += 1
            else:
                broadcasts.mark_failed(
                    session, row.id, outcome.error or "refused", attempts=row.attempts + 1
                )
                report.failed += 1


async def send_broadcast(
    *,
    db: Database,
    settings: Settings,
    broadcast_id: int,
    channels: dict[str, PushChannel],
    catalog: Catalog,
    progress: Callable[[BroadcastReport], None] | None = None,
    stop: StopFlag | None = None,
    batch_size: int | None = None,
) -> BroadcastReport:
    """Send what is due of one broadcast on the given platforms; return when nothing more
    is due (rows waiting for quiet hours to end stay pending for a later run or the worker).
    Several processes may run this on one broadcast at once: each row goes out once.
    `batch_size` is how many rows one claim takes (default: five seconds' worth)."""
    sender = _Sender(
        db=db,
        settings=settings,
        broadcast_id=broadcast_id,
        channels=channels,
        catalog=catalog,
        progress=progress,
        stop=stop,
        batch_size=batch_size,
    )
    return await sender.run()


def start_scheduled_broadcasts(
    *, db: Database, settings: Settings, now: datetime | None = None
) -> list[int]:
    """Plan the scheduled broadcasts whose time has come, the way `alytus broadcast send`
    plans one (the settings' quiet hours); the worker's rounds then send them. Returns
    the ids started."""
    with db.session() as session:
        started = broadcasts.start_due(session=session, now=now, quiet_hours=settings.quiet_hours)
    for broadcast_id in started:
        log.info("broadcast %s: scheduled time reached, started", broadcast_id)
    return started
