"""`alytus passport ...` and `alytus partners ...`: staff issue, check and revoke passports,
and keep the partners, their offers and redemptions.

The top-level CLI (admin) mounts `passport_app` and `partners_app` and has migrated the
database before any of these run. It lives in bots because the card's words come from the
message catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bots.catalog import default_catalog
from bots.passport_texts import card_text
from community.database import Database
from community.settings import get_settings
from rewards.card import card_png, verify_url
from rewards.partners import (
    PartnerError,
    add_offer,
    add_partner,
    list_partners,
    offers_for,
    redeem,
    redemptions,
)
from rewards.passport import (
    PassportError,
    issue_passport,
    passport_token,
    revoke_passport,
    verify_token,
)

passport_app = typer.Typer(help="The Alytus Passport: issue, verify, revoke.")
partners_app = typer.Typer(help="Partners, their offers to passport holders, redemptions.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ALL_LEVELS = 10_000


def _database() -> Database:
    return Database.from_settings(get_settings())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@passport_app.command("issue")
def issue_command(
    user: Annotated[int, typer.Option("--user", help="The member's id (members list).")],
    png: Annotated[Path | None, typer.Option("--png", help="Also write the card here.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Card language: lt or en.")] = "lt",
) -> None:
    """Issue the member's passport (or show the one in force): number, token, verify URL."""
    settings = get_settings()
    try:
        with _database().session() as session:
            passport = issue_passport(session=session, settings=settings, member_id=user)
            token = passport_token(settings, passport)
            if png is not None:
                png.write_bytes(
                    card_png(
                        settings=settings,
                        passport=passport,
                        token=token,
                        language=lang,
                        text=card_text(default_catalog(), lang),
                    )
                )
    except PassportError as error:
        raise _fail(str(error)) from None
    typer.echo(f"number: {passport.number}")
    typer.echo(f"level: {passport.level}")
    typer.echo(f"valid until: {passport.expires_at.date().isoformat()}")
    typer.echo(f"token: {token}")
    typer.echo(f"verify: {verify_url(settings, token)}")
    if png is not None:
        typer.echo(f"card: {png}")


@passport_app.command("verify")
def verify_command(
    token: Annotated[str, typer.Argument(help="The token, or the whole verify URL.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a passport token; exit 0 only when it is valid."""
    with _database().session() as session:
        verdict = verify_token(settings=get_settings(), token=token, session=session)
    if as_json:
        typer.echo(json.dumps(verdict.as_dict(), ensure_ascii=False))
    else:
        typer.echo(f"{verdict.status}: {verdict.reason}")
        if verdict.number:
            typer.echo(f"number: {verdict.number}  level: {verdict.level}")
    raise typer.Exit(0 if verdict.valid else 1)


@passport_app.command("revoke")
def revoke_command(
    number: Annotated[str, typer.Argument(help="The passport number, e.g. 7K3M-9QX2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (lost phone, misuse, ...).")],
) -> None:
    """Revoke a passport: merchants' pages refuse it once they fetch the revocation list."""
    try:
        with _database().session() as session:
            passport = revoke_passport(session=session, number=number, reason=reason)
            typer.echo(f"revoked {passport.number}: {passport.revoke_reason}")
    except PassportError as error:
        raise _fail(str(error)) from None


@partners_app.command("add")
def add_command(
    name: Annotated[str, typer.Option("--name", help="The business's name.")],
    address: Annotated[str | None, typer.Option("--address")] = None,
    contact: Annotated[str | None, typer.Option("--contact")] = None,
) -> None:
    """Add a partner business."""
    try:
        with _database().session() as session:
            partner = add_partner(session=session, name=name, address=address, contact=contact)
            typer.echo(f"partner {partner.id}: {partner.name}")
    except PartnerError as error:
        raise _fail(str(error)) from None


@partners_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """Partners and their active offers."""
    with _database().session() as session:
        offers: dict[int, list[dict]] = {}
        for offer, partner in offers_for(session=session, level=ALL_LEVELS):
            offers.setdefault(partner.id or 0, []).append(
                {
                    "id": offer.id,
                    "title_lt": offer.title_lt,
                    "title_en": offer.title_en,
                    "min_level": offer.min_level,
                    "limit_per_member": offer.limit_per_member,
                }
            )
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "address": p.address,
                "contact": p.contact,
                "offers": offers.get(p.id or 0, []),
            }
            for p in list_partners(session=session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>4}  {row['name']}  {row['address'] or ''}")
        for offer in row["offers"]:
            limit = offer["limit_per_member"] or "-"
            typer.echo(
                f"      offer {offer['id']}: {offer['title_lt']} / {offer['title_en']} "
                f"(level {offer['min_level']}+, limit {limit})"
            )
    typer.echo(f"{len(rows)} partners")


@partners_app.command("offer-add")
def offer_add_command(
    partner: Annotated[int, typer.Option("--partner", help="The partner's id.")],
    title_lt: Annotated[str, typer.Option("--title-lt")],
    title_en: Annotated[str, typer.Option("--title-en")],
    min_level: Annotated[int, typer.Option("--min-level", help="Lowest passport level.")] = 0,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Uses per member (default: no limit).")
    ] = None,
) -> None:
    """Add an offer to a partner."""
    try:
        with _database().session() as session:
            offer = add_offer(
                session=session,
                partner_id=partner,
                title_lt=title_lt,
                title_en=title_en,
                min_level=min_level,
                limit_per_member=limit,
            )
            typer.echo(f"offer {offer.id}: {offer.title_lt} / {offer.title_en}")
    except PartnerError as error:
        raise _fail(str(error)) from None


@partners_app.command("redeem")
def redeem_command(
    offer: Annotated[int, typer.Option("--offer", help="The offer's id.")],
    token: Annotated[str, typer.Option("--token", help="The passport token or verify URL.")],
    by: Annotated[str, typer.Option("--by", help="Who at the partner took it.")],
    as_json: JsonOpt = False,
) -> None:
    """Redeem an offer with a passport; exit 1 with the reason when refused."""
    with _database().session() as session:
        result = redeem(
            session=session, settings=get_settings(), offer_id=offer, token=token, by=by
        )
        redemption = result.redemption
        row = {
            "ok": result.ok,
            "refused": result.refused,
            "reason": result.reason,
            "reason_lt": result.reason_lt,
            "redemption_id": redemption.id if redemption else None,
            "passport": result.verdict.number if result.verdict else None,
        }
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        typer.echo(("ok: " if result.ok else "refused: ") + result.reason)
    raise typer.Exit(0 if result.ok else 1)


@partners_app.command("redemptions")
def redemptions_command(
    offer: Annotated[int | None, typer.Option("--offer", help="Only this offer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Redemptions, newest first: offer, passport number, time, who took it (no member)."""
    with _database().session() as session:
        rows = [
            {
                "id": r.id,
                "offer_id": r.offer_id,
                "partner": r.partner,
                "offer": r.offer_title_lt,
                "passport": r.passport_number,
                "redeemed_at": r.redeemed_at.isoformat(),
                "by": r.redeemed_by,
            }
            for r in redemptions(session, offer_id=offer)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(
            f"{row['redeemed_at'][:16]}  {row['partner']}: {row['offer']}  "
            f"{row['passport']}  ({row['by']})"
        )
    typer.echo(f"{len(rows)} redemptions")
