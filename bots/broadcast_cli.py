"""`alytus broadcast create|send|status`: feed items sent to their audience from a terminal.

`send` plans the deliveries (newcomers since the last run are added) and sends what is due.
The sending runs in a child process that stops gracefully, finishing and recording the
messages in flight, when this command is interrupted or killed (even with SIGKILL: the
child is told by the kernel, or sees its parent gone), so killing `send` never leaves a
message in doubt; running `send` again continues where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
from typing import Annotated, Any

import typer

from bots.broadcasting import BroadcastReport, send_broadcast
from bots.catalog import default_catalog
from bots.channels.registry import push_channels
from community import broadcasts
from community.broadcasts import BroadcastError
from community.database import Database
from community.feed import FeedError, audience_count, create_item
from community.settings import get_settings

broadcast_app = typer.Typer(help="Feed items sent to their audience: create, send, status.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ListOpt = Annotated[list[str] | None, typer.Option()]
PR_SET_PDEATHSIG = 1


def _database() -> Database:
    return Database.from_settings(get_settings())


@broadcast_app.command()
def create(
    kind: Annotated[str, typer.Option("--kind", help="event, job, business, mentoring, ...")],
    title_lt: Annotated[str, typer.Option("--title-lt")],
    title_en: Annotated[str, typer.Option("--title-en")],
    body_lt: Annotated[str, typer.Option("--body-lt")] = "",
    body_en: Annotated[str, typer.Option("--body-en")] = "",
    url: Annotated[str | None, typer.Option("--url")] = None,
    place: Annotated[str | None, typer.Option("--place", help="where an event is")] = None,
    relation: ListOpt = None,
    country: ListOpt = None,
    interest: ListOpt = None,
    language: ListOpt = None,
    return_intention: ListOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a feed item and a broadcast of it; print its id and the audience size."""
    audience = {
        "relations": relation or [],
        "countries": country or [],
        "interests": interest or [],
        "languages": language or [],
        "return_intentions": return_intention or [],
    }
    db = _database()
    try:
        with db.session() as session:
            item = create_item(
                session=session,
                kind=kind,
                title_lt=title_lt,
                title_en=title_en,
                body_lt=body_lt,
                body_en=body_en,
                url=url,
                place=place,
                audience=audience,
            )
            assert item.id is not None
            broadcast = broadcasts.create_broadcast(session=session, item_id=item.id)
            found = {
                "broadcast": broadcast.id,
                "item": item.id,
                "audience": audience_count(session, item),
            }
    except FeedError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(found))
    else:
        typer.echo(
            f"broadcast {found['broadcast']} (item {found['item']}): "
            f"{found['audience']} members in the audience"
        )


@broadcast_app.command()
def status(broadcast_id: int, as_json: JsonOpt = False) -> None:
    """Counts of a broadcast's deliveries by status."""
    try:
        with _database().session() as session:
            found = broadcasts.status(session, broadcast_id)
    except BroadcastError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(found))
        return
    counts = ", ".join(f"{name} {number}" for name, number in found["counts"].items() if number)
    summary = f"broadcast {found['id']}: {found['status']}, {found['planned']} planned"
    typer.echo(f"{summary}; {counts}" if counts else summary)
    if found["next_due_at"]:
        typer.echo(f"waiting (quiet hours or a platform's pause) until {found['next_due_at']}")


@broadcast_app.command()
def send(
    broadcast_id: int,
    as_json: JsonOpt = False,
    in_process: Annotated[
        bool, typer.Option("--in-process", help="Send in this process (no child sender).")
    ] = False,
) -> None:
    """Plan the deliveries and send what is due; run it again to continue after a stop."""
    settings = get_settings()
    channels = push_channels(settings)
    db = _database()
    try:
        with db.session() as session:
            added = broadcasts.plan(
                session=session,
                broadcast_id=broadcast_id,
                quiet_hours=settings.quiet_hours,
            )
    except BroadcastError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if not as_json:
        typer.echo(f"planned {added} new deliveries; platforms: {', '.join(channels) or 'none'}")
        if not channels:
            typer.echo("no push platform token set: push deliveries stay pending", err=True)
    if in_process:
        report = _send_here(broadcast_id, announce=False)
    else:
        report = _supervise(broadcast_id, show_bar=not as_json and sys.stderr.isatty())
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(
        f"sent {report['sent']}, failed {report['failed']}, unreachable "
        f"{report['unreachable']}, deferred {report['deferred']}; "
        f"{report['handled']}/{report['total']} done"
        + (f" ({report['rate']:.1f} msg/s)" if report.get("rate") else "")
    )
    if report.get("next_due_at") and not report["done"]:
        typer.echo(
            f"the rest waits until {report['next_due_at']}: run send again, or `alytus worker`"
        )


def _send_here(broadcast_id: int, *, announce: bool) -> dict[str, Any]:
    """Send in this process; with `announce`, print progress as JSON lines for a parent."""
    settings = get_settings()
    channels = push_channels(settings)
    stop = threading.Event()

    def progress(report: BroadcastReport) -> None:
        if announce:
            _say({"handled": report.handled, "total": report.total, "sent": report.sent})

    async def run() -> BroadcastReport:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        watcher = asyncio.create_task(_watch_parent(stop)) if announce else None
        try:
            return await send_broadcast(
                db=_database(),
                settings=settings,
                broadcast_id=broadcast_id,
                channels=channels,
                catalog=default_catalog(),
                progress=progress,
                stop=stop,
            )
        finally:
            if watcher is not None:
                watcher.cancel()
            for channel in channels.values():
                close = getattr(channel, "close", None)
                if close is not None:
                    await close()

    report = asyncio.run(run())
    return report.as_dict() | {"rate": round(report.rate, 2), "stopped": stop.is_set()}


async def _watch_parent(stop: threading.Event) -> None:
    """Stop when the supervising `send` is gone (where PR_SET_PDEATHSIG is not available)."""
    parent = int(os.environ.get("ALYTUS_BROADCAST_PARENT", "0"))
    while not stop.is_set():
        if parent and os.getppid() != parent:
            stop.set()
        await asyncio.sleep(0.05)


def _say(message: dict[str, Any]) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child when its parent dies, however it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _supervise(broadcast_id: int, *, show_bar: bool) -> dict[str, Any]:
    """Run the sender as a child and show its progress; Ctrl-C stops it gracefully."""
    command = [sys.executable, "-m", "bots.broadcast_cli", "child", str(broadcast_id)]
    env = {**os.environ, "ALYTUS_BROADCAST_PARENT": str(os.getpid())}
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets it and stops
    final: dict[str, Any] = {}
    try:
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        with _Bar(show_bar) as bar:
            for line in child.stdout:
                message = json.loads(line)
                if "report" in message:
                    final = message["report"]
                else:
                    bar.update(message["handled"], message["total"])
        child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if child.returncode != 0 or not final:
        typer.echo(f"error: the sender stopped with code {child.returncode}", err=True)
        raise typer.Exit(1)
    return final


class _Bar:
    """A progress bar on a terminal (rich), nothing otherwise."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        if self.show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("sending", total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


@broadcast_app.command(hidden=True)
def child(broadcast_id: int) -> None:
    """The sender `send` runs: progress and the final report as JSON lines on stdout."""
    _die_with_parent()
    parent = int(os.environ.get("ALYTUS_BROADCAST_PARENT", "0"))
    if parent and os.getppid() != parent:
        return  # the parent died before we could ask to be told
    _say({"report": _send_here(broadcast_id, announce=True)})


if __name__ == "__main__":
    broadcast_app(prog_name="python -m bots.broadcast_cli")
