"""`alytus ledger ...`: staff sync the outbox, check the chain against the journal, see status.

The top-level CLI (admin) mounts what `build_ledger_cli` returns as `alytus ledger`, passing
the rewards room's journal as `expected_rewards`, and has migrated the database first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Annotated

import typer
from sqlmodel import Session

from community.database import Database
from community.settings import Settings, get_settings
from ledger.chain import ChainRejected, ChainUnreachable
from ledger.outbox import status, sync
from ledger.verify import ExpectedReward, verify

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ExpectedRewards = Callable[[Session, Settings], Iterable[ExpectedReward]]


def _database() -> Database:
    return Database.from_settings(get_settings())


def build_ledger_cli(expected_rewards: ExpectedRewards) -> typer.Typer:
    """The `ledger` command group, reading the journal through `expected_rewards`."""
    app = typer.Typer(help="The reward ledger: sync to the chain, verify, status.")

    @app.command("sync")
    def sync_command(
        limit: Annotated[int | None, typer.Option(help="Record at most this many.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record pending rewards on chain, then exit (a chain that is down is reported)."""
        report = sync(db=_database(), settings=get_settings(), limit=limit)
        typer.echo(json.dumps(report.as_dict()) if as_json else report.summary())

    @app.command("verify")
    def verify_command(as_json: JsonOpt = False) -> None:
        """Compare the reward journal with the chain; exit 1 on any difference."""
        settings = get_settings()
        db = _database()
        with db.session() as session:
            expected = list(expected_rewards(session, settings))
        try:
            report = verify(db=db, settings=settings, expected=expected)
        except (ChainUnreachable, ChainRejected) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(report.as_dict()))
        else:
            typer.echo(
                f"journal {report.journal}, recorded {report.recorded}, "
                f"missing {len(report.missing)}, unexpected {len(report.unexpected)}, "
                f"mismatched {len(report.mismatched)}"
            )
            for label in ("missing", "unexpected", "mismatched"):
                for item in getattr(report, label):
                    typer.echo(f"{label}: {item}")
        if not report.ok:
            raise typer.Exit(1)

    @app.command("status")
    def status_command(as_json: JsonOpt = False) -> None:
        """Pending and recorded rewards, batches, last sync, the contract and chain."""
        with _database().session() as session:
            counts = status(session=session)
        if as_json:
            typer.echo(json.dumps(counts))
            return
        for name, value in counts.items():
            typer.echo(f"{name}: {value}")

    return app
