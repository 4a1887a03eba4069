"""`alytus prospects ...`: import former residents from spreadsheets, list them, forget one.

The top-level CLI (admin) mounts `prospects_app` and has migrated the database before any of
these run. A file that cannot be read is exit code 2 with a message; rejected rows are not an
error (exit 0), they are listed with their line and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import IntegrityError

from community.database import Database
from community.prospects import (
    ProspectFileError,
    RowError,
    forget_prospect,
    import_prospect_file,
    list_prospects,
)
from community.settings import get_settings

prospects_app = typer.Typer(
    help="Prospects: former residents the city may invite (import, list, forget)."
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _database() -> Database:
    return Database.from_settings(get_settings())


def _fail(message: str, as_json: bool = False) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps({"error": message}, ensure_ascii=False))
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@prospects_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8, ',' or ';') or XLSX with the columns name, email, phone, "
            "telegram, discord, school, left_year, source, lawful_basis, notes."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Import prospects; a known email, phone or handle merges into that prospect."""
    try:
        with _database().session() as session:
            report = import_prospect_file(session=session, path=file)
    except ProspectFileError as error:
        raise _fail(f"{file}: {error}", as_json) from None
    except IntegrityError:
        # another import added one of these contacts meanwhile; this one was rolled back
        raise _fail("another import changed the same prospects; import again", as_json) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"{report.imported} imported, {report.merged} merged into known prospects, "
        f"{len(report.rejected)} rejected"
    )
    for rejected in report.rejected:
        typer.echo(f"line {rejected['line']}: {rejected['reason']}")


@prospects_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """Every prospect with their Alytus connection score."""
    with _database().session() as session:
        prospects = list(list_prospects(session=session))
    if as_json:
        typer.echo(json.dumps(prospects, ensure_ascii=False, indent=2))
        return
    for prospect in prospects:
        contact = prospect["email"] or prospect["phone"] or prospect["telegram"] or "-"
        typer.echo(
            f"{prospect['id']:>6}  {prospect['name'][:30]:<30}  {contact[:32]:<32}  "
            f"{prospect['school'] or '-'}  ({prospect['connection']:.2f})"
        )
    typer.echo(f"{len(prospects)} prospects")


@prospects_app.command("forget")
def forget_command(
    email: Annotated[str | None, typer.Option(help="The prospect's email.")] = None,
    phone: Annotated[str | None, typer.Option(help="The prospect's phone.")] = None,
    telegram: Annotated[str | None, typer.Option(help="The prospect's Telegram handle.")] = None,
    discord: Annotated[str | None, typer.Option(help="The prospect's Discord handle.")] = None,
) -> None:
    """Erase a prospect (GDPR) and put their contacts on the do-not-contact list."""
    given = {"email": email, "phone": phone, "telegram": telegram, "discord": discord}
    keys = [(kind, value) for kind, value in given.items() if value]
    if len(keys) != 1:
        raise _fail("give exactly one of --email, --phone, --telegram, --discord")
    kind, value = keys[0]
    try:
        with _database().session() as session:
            forgotten = forget_prospect(session=session, kind=kind, value=value)
    except RowError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{forgotten.erased} prospect(s) erased")
    for blocked_kind, blocked_value in forgotten.blocked:
        typer.echo(f"do not contact: {blocked_kind} {blocked_value}")
    if not forgotten.blocked:
        typer.echo(f"{kind} {value} was already on the do-not-contact list")
