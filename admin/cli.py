"""The `alytus` command line: init, serve, chat, members (and each room's own commands)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Annotated

import typer
from sqlmodel import Session

from admin.assembly import build_engine, nlu_parser
from admin.schema import SCHEMAS
from admin.staff_cli import staff_app
from bots.broadcast_cli import broadcast_app
from bots.member_data import erase_everything
from bots.passport_cli import partners_app, passport_app
from community.database import Database, migrate
from community.members import UnknownMember, get_member, member_view
from community.models import Member
from community.prospects_cli import prospects_app
from community.secrets import private_home
from community.settings import get_settings
from knowledge.cli import ask, kb_app
from ledger.cli import build_ledger_cli
from nlu.cli import build_cli
from rewards.cli import rewards_app
from rewards.journal import expected_on_chain

app = typer.Typer(help="Alytus Connect: the city's community assistant.", no_args_is_help=True)
members_app = typer.Typer(help="Members of the community (GDPR: show, export, erase).")
app.add_typer(members_app, name="members")
app.add_typer(staff_app, name="staff")

UserOpt = Annotated[
    str | None, typer.Option("--user", help="The member's user id on the platform.")
]
IdOpt = Annotated[
    int | None, typer.Option("--id", help="The member's number (as `members list` shows).")
]
PlatformOpt = Annotated[str, typer.Option("--platform", help="terminal, web, telegram, ...")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _database() -> Database:
    """The database; the callback below has already brought it to the newest schema."""
    return Database.from_settings(get_settings())


@app.callback()
def main() -> None:
    """Alytus Connect: the city's community assistant."""
    os.umask(0o077)  # what we write (database, its WAL, secrets, indexes) is ours alone
    settings = get_settings()
    private_home(settings)
    Database.from_settings(settings)  # creates ALYTUS_HOME for the SQLite default
    migrate(settings.resolved_database_url, SCHEMAS)


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Also load demo content.")] = False,
) -> None:
    """Create ALYTUS_HOME and the database, or bring it to the newest schema."""
    settings = get_settings()
    db = _database()
    typer.echo(f"database ready: {db.bind.url.render_as_string(hide_password=True)}")
    if demo:
        from admin.demo import load_demo
        from admin.demo_staff import load_demo_staff
        from knowledge.demo import load_demo_articles

        lines = [*load_demo(db, settings), *load_demo_staff(db, settings)]
        for line in [*lines, *load_demo_articles(db, settings)]:
            typer.echo(line)
    parser = nlu_parser(settings)  # trains and caches the model now, not at the first message
    typer.echo(f"language understanding ready: {len(parser.model.intents)} intents")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    ledger: Annotated[
        bool,
        typer.Option(
            help="Also record rewards on the ledger in this process (off when `alytus worker` "
            "does it; the embedded chain must have one writer)."
        ),
    ] = True,
) -> None:
    """Run the web chat and HTTP API (migrations are applied first)."""

    import uvicorn

    from admin.web import create_app
    from ledger.outbox import run_forever

    settings = get_settings()
    if "public_url" not in settings.model_fields_set:  # links must name where we listen
        listening = f"http://{host or settings.host}:{port or settings.port}"
        settings = settings.model_copy(update={"public_url": listening})
    db = _database()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    stop = threading.Event()
    if ledger:
        threading.Thread(
            target=run_forever,
            kwargs={"db": db, "settings": settings, "stop": stop},
            name="ledger",
            daemon=True,
        ).start()
    try:
        uvicorn.run(
            # one Database for the app and the ledger thread: one embedded chain, one writer
            create_app(settings, engine=build_engine(settings, db)),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            # X-Forwarded-For only from the proxies named (uvicorn trusts loopback by default,
            # which let anyone on this machine pick their address for the login limit)
            access_log=False,  # ours (admin/web.py) leaves out addresses and tokens
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=",".join(settings.trusted_proxies) or "",
            server_header=False,
        )
    finally:
        stop.set()


@app.command()
def chat(
    user: UserOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Talk to the bot in the terminal as terminal user USER."""
    from bots.channels.terminal import run_interactive, run_json

    settings = get_settings()
    engine = build_engine(settings, _database())
    if as_json:
        run_json(engine, user, sys.stdin, sys.stdout)
    else:
        run_interactive(engine, user)


def _member(session: Session, user: str | None, platform: str, member_id: int | None) -> Member:
    """The member named by number or by platform account (not erased either way)."""
    if (user is None) == (member_id is None):
        typer.echo("error: name the member with --id N or with --user ID [--platform P]", err=True)
        raise typer.Exit(2)
    if user is not None:
        return get_member(session=session, platform=platform, user_id=user)
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise UnknownMember(f"no member number {member_id}")
    return member


@members_app.command("list")
def members_list(as_json: JsonOpt = False) -> None:
    """Every member who has not been erased."""
    db = _database()
    with db.session() as session:
        members = session.query(Member).filter(Member.erased_at.is_(None)).order_by(Member.id)
        views = [member_view(session=session, member=member) for member in members]
    if as_json:
        typer.echo(json.dumps(views, ensure_ascii=False, indent=2))
        return
    for view in views:
        typer.echo(
            f"{view['id']:>6}  {view['language']}  {view['relation'] or '-':<9} "
            f"{view['country'] or '-':<2}  {', '.join(view['interests']) or '-'}"
        )
    typer.echo(f"{len(views)} members")


@members_app.command("show")
def members_show(
    user: UserOpt = None,
    platform: PlatformOpt = "terminal",
    member_id: IdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One member's profile and consents, by number (--id) or platform account (--user)."""
    db = _database()
    try:
        with db.session() as session:
            view = member_view(session=session, member=_member(session, user, platform, member_id))
    except UnknownMember as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    for key, value in view.items():
        typer.echo(f"{key:>17}: {value}")


@members_app.command("erase")
def members_erase(
    user: UserOpt = None, platform: PlatformOpt = "terminal", member_id: IdOpt = None
) -> None:
    """Erase a member's personal data and unlink their accounts (GDPR right to erasure)."""
    settings = get_settings()
    db = _database()
    try:
        with db.session() as session:
            member = _member(session, user, platform, member_id)
            removed = erase_everything(
                session=session, member=member, notice_version=settings.privacy_notice_version
            )
            member_id = member.id
    except UnknownMember as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    db.forget_erased()
    typer.echo(f"member {member_id} erased; removed: {', '.join(removed) or 'nothing was held'}")


@app.command()
def bots() -> None:
    """Run the bots that connect out: Telegram polling and the Discord gateway (each when
    its token is set); Ctrl-C stops them."""
    import asyncio
    import signal

    settings = get_settings()
    runners = []
    if settings.telegram_token:
        from bots.channels.telegram_polling import run_polling

        runners.append(("Telegram polling", run_polling))
    if settings.discord_token:
        from bots.channels.discord import run_gateway

        runners.append(("Discord gateway", run_gateway))
    if not runners:
        typer.echo("error: set ALYTUS_TELEGRAM_TOKEN and/or ALYTUS_DISCORD_TOKEN", err=True)
        raise typer.Exit(1)
    engine = build_engine(settings, _database())

    async def run_all() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await asyncio.gather(*(runner(engine, settings, stop) for _, runner in runners))

    typer.echo("bots: " + ", ".join(name for name, _ in runners) + "; Ctrl-C stops")
    asyncio.run(run_all())


@app.command("rasa-actions")
def rasa_actions(
    port: Annotated[int, typer.Option(help="Port of the action server.")] = 5055,
) -> None:
    """Serve the engine's capabilities as Rasa custom actions (rasa-sdk action server)."""
    try:
        from rasa_sdk.endpoint import create_app
    except ImportError:
        typer.echo("error: rasa-sdk is not installed: pip install 'alytus-connect[rasa]'", err=True)
        raise typer.Exit(1) from None
    from bots.channels.rasa_actions import build_executor

    executor = build_executor(build_engine(get_settings(), _database()))
    # One process: the engine (database pool, models) cannot be pickled into Sanic workers.
    create_app(executor).run(host="127.0.0.1", port=port, single_process=True, access_log=False)


# Rooms that bring their own commands are mounted here, on top.
app.add_typer(build_cli(lambda: get_settings().nlu_cache_dir), name="nlu")
app.add_typer(kb_app, name="kb")
app.command("ask")(ask)
app.add_typer(rewards_app, name="rewards")
app.add_typer(passport_app, name="passport")
app.add_typer(partners_app, name="partners")
app.add_typer(build_ledger_cli(expected_on_chain), name="ledger")
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(prospects_app, name="prospects")


def _housekeeping(
    db: Database, stop: threading.Event, quiet_hours: str, every: float = 60.0
) -> None:
    """Once a minute: tomorrow's event reminders; group suggestions past 90 days and visitors
    who began joining a day ago and left nothing purged."""
    from bots.events import queue_reminders
    from community.members import purge_abandoned_visitors
    from community.models import utcnow
    from community.suggestions import purge_old_suggestions

    while True:
        try:
            with db.session() as session:
                queue_reminders(session, utcnow(), quiet_hours=quiet_hours)
                purge_old_suggestions(session)
                purge_abandoned_visitors(session=session)
        except Exception:  # the loop must outlive one bad round
            logging.getLogger("alytus.worker").exception("reminders or purge failed")
        if stop.wait(every):
            return


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between rounds when idle.")] = 5.0,
) -> None:
    """Record pending rewards on the ledger and deliver notifications and broadcasts on the
    push platforms, continuously (stop with Ctrl-C)."""

    from bots.push_delivery import run_forever as deliver_forever
    from ledger.outbox import run_forever as record_forever

    db, settings = _database(), get_settings()
    stop = threading.Event()
    delivery = threading.Thread(
        target=deliver_forever,
        kwargs={"db": db, "settings": settings, "stop": stop},
        name="delivery",
        daemon=True,
    )
    delivery.start()
    threading.Thread(
        target=_housekeeping,
        kwargs={"db": db, "stop": stop, "quiet_hours": settings.quiet_hours},
        name="housekeeping",
        daemon=True,
    ).start()
    typer.echo(
        "worker: recording rewards on the ledger, delivering notifications and broadcasts "
        "on Telegram, Discord and Messenger; Ctrl-C stops"
    )
    try:
        record_forever(db=db, settings=settings, interval=interval, stop=stop)
    except KeyboardInterrupt:
        typer.echo("worker stopped")
    finally:
        stop.set()
        delivery.join(timeout=10)
