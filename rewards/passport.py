"""The Alytus Passport (Alytiškio pasas): issued at a level, shown as a signed QR token.

The token is `base64url(payload) + "." + base64url(signature)`, where the payload is the
JSON `{"n": number, "l": level, "x": expiry (unix seconds), "v": 1}` and the Ed25519
signature covers the encoded payload text exactly as it appears in the token (as JWS does),
so a verifier never has to re-serialise JSON. Nothing else about the member is in it: a
merchant's phone learns a number, a level and a date, and checks them offline with the
public key. Revocation needs the server (or the list the verify page cached).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets as random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, col, select

from community.models import Member, as_utc, utcnow
from community.secrets import _write_private
from community.settings import Settings
from rewards.journal import standing_of
from rewards.passport_models import Offer, Partner, Passport, Redemption

TOKEN_VERSION = 1
VALID_FOR = timedelta(days=365)
KEY_FILE = "passport.pem"
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a till
NUMBER_CHARS = 8
MAX_TOKEN_CHARS = 400

Status = Literal["valid", "expired", "revoked", "invalid"]


class PassportError(Exception):
    """A passport request that cannot be met; the message says why (English, then `lt`)."""

    def __init__(self, message: str, lt: str) -> None:
        super().__init__(message)
        self.lt = lt


class PassportNotEarned(PassportError):
    """The member's level does not carry the passport yet."""


class UnknownPassport(PassportError, LookupError):
    """No passport has that number."""


class PassportKeyError(PassportError):
    """ALYTUS_PASSPORT_PRIVATE_KEY is not an Ed25519 private key in PEM."""


@dataclass(frozen=True)
class Verdict:
    """What a check of a token found: the status, why, and what the token says."""

    status: Status
    reason: str
    reason_lt: str
    number: str | None = None
    level: int | None = None
    expires: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "reason_lt": self.reason_lt,
            "number": self.number,
            "level": self.level,
            "expires": self.expires.isoformat() if self.expires else None,
        }


# ---- the signing key ----------------------------------------------------------------------


def private_key(settings: Settings) -> Ed25519PrivateKey:
    """The signing key: ALYTUS_PASSPORT_PRIVATE_KEY, or one generated once into ALYTUS_HOME."""
    given = settings.passport_private_key
    if given is not None and given.get_secret_value().strip():
        pem = given.get_secret_value().encode("utf-8")
    else:
        path = settings.home_dir / "secrets" / KEY_FILE
        if not path.exists():
            fresh = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                _write_private(path, fresh)
            except FileExistsError:
                pass  # another process wrote it first: use theirs
        pem = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise PassportKeyError(
            f"the passport key is not a readable PEM private key: {error}",
            lt="paso raktas nėra tinkamas PEM privatusis raktas",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise PassportKeyError(
            "the passport key must be an Ed25519 key", lt="paso raktas turi būti Ed25519"
        )
    return key


def public_key_raw(settings: Settings) -> bytes:
    """The 32-byte public key a verifier (the merchant's page) checks tokens with."""
    return (
        private_key(settings)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_pem(settings: Settings) -> str:
    return (
        private_key(settings)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


# ---- tokens -------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Strict base64url without padding (what `b64url` writes); ValueError otherwise."""
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def passport_token(settings: Settings, passport: Passport) -> str:
    """The signed token the QR code carries: number, level and expiry, nothing personal."""
    payload = {
        "n": passport.number,
        "l": passport.level,
        "x": int(as_utc(passport.expires_at).timestamp()),
        "v": TOKEN_VERSION,
    }
    encoded = b64url(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    signature = private_key(settings).sign(encoded.encode("ascii"))
    return f"{encoded}.{b64url(signature)}"


def token_from(text: str) -> str:
    """The token in what was typed or pasted: the token itself, or a whole verify URL."""
    text = text.strip()
    return text.split("#t=", 1)[1].strip() if "#t=" in text else text


def _invalid(reason: str, lt: str) -> Verdict:
    return Verdict(status="invalid", reason=reason, reason_lt=lt)


def verify_token(
    *, settings: Settings, token: str, session: Session | None = None, now: datetime | None = None
) -> Verdict:
    """Check a token's signature and expiry, and with a session also revocation."""
    token = token_from(token)
    parts = token.split(".")
    if len(token) > MAX_TOKEN_CHARS or len(parts) != 2:
        return _invalid("not a passport token", "tai ne paso kodas")
    try:
        encoded, signature = parts[0], unb64url(parts[1])
        raw = unb64url(encoded)
    except (ValueError, binascii.Error):
        return _invalid("not a passport token", "tai ne paso kodas")
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(settings))
    try:
        public.verify(signature, encoded.encode("ascii"))
    except InvalidSignature:
        return _invalid(
            "the signature does not match: forged or altered",
            "parašas netinka: padirbtas arba pakeistas",
        )
    try:
        payload = json.loads(raw)
        number, level, expiry = str(payload["n"]), int(payload["l"]), int(payload["x"])
        version = payload["v"]
    except (ValueError, KeyError, TypeError):
        return _invalid(
            "the signed content is unreadable", "pasirašyto turinio neįmanoma perskaityti"
        )
    if version != TOKEN_VERSION:
        return _invalid(f"unknown token version {version}", f"nežinoma kodo versija {version}")
    expires = datetime.fromtimestamp(expiry, UTC)
    found: dict[str, Any] = {"number": number, "level": level, "expires": expires}
    if session is not None:
        stored = find_passport(session, number)
        if stored is None:
            return Verdict(
                status="invalid",
                reason="no passport has this number",
                reason_lt="paso su tokiu numeriu nėra",
                **found,
            )
        if stored.revoked_at is not None:
            why = stored.revoke_reason or "-"
            return Verdict(
                status="revoked",
                reason=f"revoked on {as_utc(stored.revoked_at).date().isoformat()}: {why}",
                reason_lt=f"atšauktas {as_utc(stored.revoked_at).date().isoformat()}: {why}",
                **found,
            )
    if (now or utcnow()) >= expires:
        return Verdict(
            status="expired",
            reason=f"expired on {expires.date().isoformat()}",
            reason_lt=f"galiojo iki {expires.date().isoformat()}",
            **found,
        )
    return Verdict(
        status="valid",
        reason=f"valid until {expires.date().isoformat()}",
        reason_lt=f"galioja iki {expires.date().isoformat()}",
        **found,
    )


# ---- passports ----------------------------------------------------------------------------


def find_passport(session: Session, number: str) -> Passport | None:
    return session.exec(select(Passport).where(Passport.number == number)).first()


def _new_number(session: Session) -> str:
    while True:
        number = "".join(random.choice(NUMBER_ALPHABET) for _ in range(NUMBER_CHARS))
        number = f"{number[:4]}-{number[4:]}"
        if find_passport(session, number) is None:
            return number


def _current(passport: Passport, now: datetime) -> bool:
    return passport.revoked_at is None and as_utc(passport.expires_at) > now


def passport_of(
    *, session: Session, member_id: int, now: datetime | None = None
) -> Passport | None:
    """The member's passport in force (not revoked, not expired), or None."""
    now = now or utcnow()
    statement = (
        select(Passport)
        .where(Passport.member_id == member_id, col(Passport.revoked_at).is_(None))
        .order_by(col(Passport.expires_at).desc())
    )
    return next((p for p in session.exec(statement) if _current(p, now)), None)


def issue_passport(
    *, session: Session, settings: Settings, member_id: int, now: datetime | None = None
) -> Passport:
    """The member's passport: the one in force, or a new one when their level earns it."""
    now = now or utcnow()
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise PassportNotEarned(f"no member {member_id}", lt=f"nario {member_id} nėra")
    held = passport_of(session=session, member_id=member_id, now=now)
    if held is not None:
        return held
    standing = standing_of(session=session, member_id=member_id)
    if not standing.level.passport:
        raise PassportNotEarned(
            f"level {standing.level.number} ({standing.level.name_en}) does not carry the "
            "Alytus Passport yet",
            lt=f"{standing.level.number} lygis ({standing.level.name_lt}) Alytiškio paso "
            "dar nesuteikia",
        )
    passport = Passport(
        number=_new_number(session),
        member_id=member_id,
        level=standing.level.number,
        issued_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(passport)
    session.flush()
    private_key(settings)  # make sure a key exists before anyone is handed a token
    return passport


def revoke_passport(*, session: Session, number: str, reason: str) -> Passport:
    """Withdraw a passport (lost phone, misuse, erasure); the first revocation stands."""
    passport = find_passport(session, number.strip().upper())
    if passport is None:
        raise UnknownPassport(f"no passport {number!r}", lt=f"paso {number!r} nėra")
    if passport.revoked_at is None:
        passport.revoked_at = utcnow()
        passport.revoke_reason = reason.strip()[:200] or "revoked"
        session.add(passport)
        session.flush()
    return passport


def revoked_numbers(session: Session) -> list[str]:
    """Numbers of revoked passports: all the verify page needs to refuse them offline."""
    statement = (
        select(Passport.number)
        .where(col(Passport.revoked_at).is_not(None))
        .order_by(col(Passport.number))
    )
    return list(session.exec(statement))


# ---- GDPR ---------------------------------------------------------------------------------


def export_passports(session: Session, member_id: int) -> list[dict[str, Any]]:
    """The member's passports and where they used them, for their data export."""
    statement = (
        select(Passport).where(Passport.member_id == member_id).order_by(col(Passport.issued_at))
    )
    exported = []
    for passport in session.exec(statement):
        used = session.exec(
            select(Redemption, Offer, Partner)
            .join(Offer, col(Offer.id) == Redemption.offer_id)
            .join(Partner, col(Partner.id) == Offer.partner_id)
            .where(Redemption.passport_id == passport.id)
            .order_by(col(Redemption.redeemed_at))
        )
        exported.append(
            {
                "number": passport.number,
                "level": passport.level,
                "issued_at": as_utc(passport.issued_at).isoformat(),
                "expires_at": as_utc(passport.expires_at).isoformat(),
                "revoked_at": as_utc(passport.revoked_at).isoformat()
                if passport.revoked_at
                else None,
                "revoke_reason": passport.revoke_reason,
                "redemptions": [
                    {
                        "partner": partner.name,
                        "offer": offer.title_en,
                        "redeemed_at": as_utc(redemption.redeemed_at).isoformat(),
                    }
                    for redemption, offer, partner in used
                ],
            }
        )
    return exported


def forget_member(session: Session, member_id: int) -> int:
    """Erasure: revoke the member's passports and cut them and their redemptions loose.

    The rows stay (partners keep their counts) but no longer lead to a person. Returns how
    many passports were unlinked.
    """
    passports = list(session.exec(select(Passport).where(Passport.member_id == member_id)))
    now = utcnow()
    for passport in passports:
        if passport.revoked_at is None:
            passport.revoked_at = now
            passport.revoke_reason = "member erased"
        passport.member_id = None
        session.add(passport)
    for redemption in session.exec(select(Redemption).where(Redemption.member_id == member_id)):
        redemption.member_id = None
        session.add(redemption)
    session.flush()
    return len(passports)
