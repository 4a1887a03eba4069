"""`alytus rewards ...`: staff award, import, inspect and tune rewards from the command line.

The top-level CLI (admin) mounts `rewards_app` as `alytus rewards` and has migrated the
database before any of these run.
"""

from __future__ import annotations

import getpass
import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from community.database import Database
from community.models import Member, as_utc, utcnow
from community.settings import get_settings
from ledger.outbox import proof_of
from rewards.checkins import create_checkin_code
from rewards.imports import ImportFileError, import_file
from rewards.invitations import invitation_counts, send_mayor_invitation
from rewards.journal import award, standing_of
from rewards.rules import MANUAL, Rule, UnknownRule, all_rules, member_key, set_rule

rewards_app = typer.Typer(
    help="Rewards: rules, awards, CSV import, check-in codes, the mayor's invitation."
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
UserOpt = Annotated[int, typer.Option("--user", help="The member's id.")]


def _database() -> Database:
    return Database.from_settings(get_settings())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@rewards_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV: member,rule,key[,points][,reason].")],
    as_json: JsonOpt = False,
) -> None:
    """Import rewards from CSV; importing a file again adds nothing. Exit 1 if rows failed."""
    settings = get_settings()
    if not file.is_file():
        raise _fail(f"no file {file}")
    try:
        with Database.from_settings(settings).session() as session:
            report = import_file(session=session, settings=settings, path=file)
    except ImportFileError as error:
        if as_json:
            typer.echo(json.dumps({"error": str(error)}, ensure_ascii=False))
        raise _fail(f"{file}: {error}") from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"{report.imported} imported, {report.duplicates} already there, "
            f"{len(report.rejected)} rejected"
        )
        for row in report.rejected:
            typer.echo(f"line {row['line']}: {row['reason']}")
    if report.rejected:
        raise typer.Exit(1)


@rewards_app.command("award")
def award_command(
    user: UserOpt,
    points: Annotated[int | None, typer.Option(help="Points (required for manual).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required for manual).")] = None,
    rule: Annotated[str, typer.Option(help="The rule's code.")] = MANUAL,
    key: Annotated[
        str | None, typer.Option(help="The occasion; the same key never pays one member twice.")
    ] = None,
) -> None:
    """Award points to a member (staff)."""
    if rule == MANUAL and points is None:
        raise _fail("a manual award needs --points")
    occasion = key or f"cli-{uuid.uuid4().hex[:12]}"
    with _database().session() as session:
        result = award(
            session=session,
            settings=get_settings(),
            member_id=user,
            rule=rule,
            key=member_key(rule, occasion, user),
            points=points,
            reason=reason,
            actor=_actor(),
        )
    if not result.awarded or result.event is None:
        raise _fail(f"not awarded: {result.refused}")
    typer.echo(f"awarded {result.event.points} points to member {user} ({result.event.key})")
    if result.level_up is not None:
        typer.echo(f"level up: {result.level_up.number} {result.level_up.name_en}")


@rewards_app.command("show")
def show_command(user: UserOpt, as_json: JsonOpt = False) -> None:
    """A member's points, level, next level, badges and latest rewards with ledger status."""
    with _database().session() as session:
        if session.get(Member, user) is None:
            raise _fail(f"no member {user}")
        standing = standing_of(session=session, member_id=user)
        latest = []
        for event in standing.latest:
            proof = proof_of(session=session, reward_key=event.key)
            latest.append(
                {
                    "key": event.key,
                    "rule": event.rule,
                    "points": event.points,
                    "reason": event.reason,
                    "at": as_utc(event.at).isoformat(),
                    "ledger": proof.status if proof else "not recorded",
                    "tx_hash": getattr(proof, "tx_hash", None),
                }
            )
    level, following = standing.level, standing.next_level
    data: dict[str, Any] = {
        "member": user,
        "points": standing.points,
        "level": {"number": level.number, "name_lt": level.name_lt, "name_en": level.name_en},
        "passport": level.passport,
        "next_level": None
        if following is None
        else {"number": following.number, "name_en": following.name_en},
        "points_to_next": standing.points_to_next,
        "badges": [badge.code for badge in standing.badges],
        "latest": latest,
    }
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"member {user}: {standing.points} points, level {level.number} {level.name_en}")
    if following is not None:
        typer.echo(f"next: level {following.number} in {standing.points_to_next} points")
    typer.echo(f"badges: {', '.join(data['badges']) or '-'}")
    for row in latest:
        tx = f" {row['tx_hash']}" if row["tx_hash"] else ""
        typer.echo(f"{row['at'][:19]}  {row['points']:>+5}  {row['key']}  [{row['ledger']}{tx}]")


def _rule_row(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "points": rule.points,
        "cap_day": rule.cap_day,
        "cap_total": rule.cap_total,
        "active": rule.active,
        "overridden": rule.overridden,
    }


@rewards_app.command("rules")
def rules_command(as_json: JsonOpt = False) -> None:
    """The reward rules as they hold now (defaults, or staff's overrides)."""
    with _database().session() as session:
        rows = [_rule_row(rule) for rule in all_rules(session=session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        points = row["points"] if row["points"] is not None else "staff"
        state = "active" if row["active"] else "inactive"
        changed = "  (changed)" if row["overridden"] else ""
        typer.echo(
            f"{row['code']:<22} points={points}  per day={row['cap_day'] or '-'}  "
            f"total={row['cap_total'] or '-'}  {state}{changed}"
        )


@rewards_app.command("rule-set")
def rule_set_command(
    code: Annotated[str, typer.Argument(help="The rule, e.g. event.checkin.")],
    points: Annotated[int | None, typer.Option(help="Points per award.")] = None,
    cap_day: Annotated[
        int | None, typer.Option(help="Awards per member a day (0: no cap).")
    ] = None,
    cap_total: Annotated[int | None, typer.Option(help="Awards per member (0: no cap).")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
) -> None:
    """Change a rule; what is not given stays as it is."""
    try:
        with _database().session() as session:
            rule = set_rule(
                session=session,
                code=code,
                points=points,
                cap_day=cap_day,
                cap_total=cap_total,
                active=active,
            )
    except (UnknownRule, ValueError) as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(_rule_row(rule)))


@rewards_app.command("checkin-code")
def checkin_code_command(
    event: Annotated[str, typer.Option(help="The event's name (one check-in per member).")],
    minutes: Annotated[int, typer.Option(help="How long the code is valid, from now.")] = 180,
    points: Annotated[int | None, typer.Option(help="Points (default: the rule's).")] = None,
) -> None:
    """A short code to give out at an event; members type /checkin CODE."""
    now = utcnow()
    until = now + timedelta(minutes=minutes)
    try:
        with _database().session() as session:
            code = create_checkin_code(
                session, event=event, points=points, valid_from=now, valid_until=until
            )
    except ValueError as error:
        raise _fail(str(error)) from None
    typer.echo(code)
    typer.echo(f"valid until {until.isoformat(timespec='minutes')} for {event!r}", err=True)


@rewards_app.command("invite-mayor")
def invite_mayor_command(
    event: Annotated[str, typer.Option(help="The celebration, as members will read it.")],
    held_on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    min_level: Annotated[int | None, typer.Option(help="Invite from this level up.")] = None,
    min_points: Annotated[int | None, typer.Option(help="Invite from these points up.")] = None,
) -> None:
    """Send the mayor's invitation in chat to the most active members (each once)."""
    if (min_level is None) == (min_points is None):
        raise _fail("give exactly one of --min-level and --min-points")
    try:
        day = date.fromisoformat(held_on)
    except ValueError:
        raise _fail(f"--date must be YYYY-MM-DD, not {held_on!r}") from None
    try:
        with _database().session() as session:
            report = send_mayor_invitation(
                session=session,
                event=event,
                held_on=day,
                min_level=min_level,
                min_points=min_points,
            )
            counts = invitation_counts(session, report.invitation_id)
    except ValueError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"invitation {report.invitation_id}: {report.invited} invited now, "
        f"{report.already} before, {report.unreachable} with no channel; "
        f"answers: {counts['yes']} yes, {counts['no']} no, {counts['no_answer']} not yet"
    )
