"""`alytus staff`: create staff accounts and list them (the first admin is made here)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from admin.accounts import StaffError, create_staff, set_password
from admin.models import StaffAccount, StaffRole
from community.database import Database
from community.settings import get_settings

staff_app = typer.Typer(help="Staff accounts for the web admin (/admin).", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@staff_app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="The staff member's email (login).")],
    role: Annotated[str, typer.Option("--role", help=" | ".join(StaffRole))],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    partner: Annotated[
        int | None, typer.Option("--partner", help="For the partner role: the partner's id.")
    ] = None,
) -> None:
    """Create a staff account (the password is never taken from the command line)."""
    password = _read_password(password_stdin)
    db = Database.from_settings(get_settings())
    try:
        with db.session() as session:
            account = create_staff(
                session=session, email=email, role=role, password=password, partner_id=partner
            )
            typer.echo(f"staff {account.id} created: {account.email} ({account.role})")
    except StaffError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@staff_app.command("password")
def password(
    email: Annotated[str, typer.Option("--email")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Set a new password (logs that account out everywhere)."""
    from admin.accounts import find_staff

    new = _read_password(password_stdin)
    db = Database.from_settings(get_settings())
    try:
        with db.session() as session:
            account = find_staff(session=session, email=email)
            if account is None:
                raise StaffError(f"No staff account for {email}.")
            set_password(session=session, account=account, password=new)
    except StaffError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo("password changed")


@staff_app.command("list")
def list_staff() -> None:
    """Every staff account with its role."""
    db = Database.from_settings(get_settings())
    with db.session() as session:
        for account in session.query(StaffAccount).order_by(StaffAccount.id):
            state = "" if account.active else "  (disabled)"
            typer.echo(f"{account.id:>4}  {account.role:<9}  {account.email}{state}")
