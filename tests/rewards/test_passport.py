"""The Alytus Passport: issued at the passport level, a signed token that says nothing personal,
and a check that tells valid from forged, altered, expired and revoked."""

from __future__ import annotations

import html
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlmodel import Session

from admin.passport_web import build_passport_router
from bots.catalog import default_catalog
from bots.passport_texts import card_text
from community.database import Database
from community.models import Member, utcnow
from community.settings import Settings
from rewards.card import card_png
from rewards.journal import award
from rewards.levels import passport_level
from rewards.passport import (
    PassportKeyError,
    PassportNotEarned,
    UnknownPassport,
    b64url,
    export_passports,
    forget_member,
    issue_passport,
    passport_of,
    passport_token,
    public_key_raw,
    revoke_passport,
    revoked_numbers,
    unb64url,
    verify_token,
)
from rewards.passport_models import Passport

from .members import make_member


def earn_passport(session: Session, settings: Settings, member: Member) -> None:
    """Give the member enough points for the passport level."""
    result = award(
        session=session,
        settings=settings,
        member_id=member.id or 0,
        rule="manual",
        key=f"passport-test-{member.id}",
        points=passport_level().min_points,
        reason="test: reach the passport level",
    )
    assert result.awarded, result.refused


@pytest.fixture
def holder(db: Database, settings: Settings) -> Iterator[tuple[Session, Passport]]:
    """A session with a member who holds a passport (the session stays open for the test)."""
    with db.session() as session:
        member = make_member(session)
        earn_passport(session, settings, member)
        passport = issue_passport(session=session, settings=settings, member_id=member.id or 0)
        yield session, passport


def test_a_member_at_the_passport_level_gets_a_passport(holder, settings: Settings) -> None:
    session, passport = holder
    assert passport.level == passport_level().number
    assert len(passport.number) == 9 and passport.number[4] == "-"
    assert passport.expires_at > utcnow() + timedelta(days=300)
    verdict = verify_token(
        settings=settings, token=passport_token(settings, passport), session=session
    )
    assert verdict.status == "valid", verdict
    assert verdict.number == passport.number and verdict.level == passport.level


def test_asking_again_returns_the_passport_in_force(holder, settings: Settings) -> None:
    session, passport = holder
    again = issue_passport(session=session, settings=settings, member_id=passport.member_id or 0)
    assert again.id == passport.id
    assert passport_of(session=session, member_id=passport.member_id or 0).id == passport.id


def test_a_member_below_the_level_gets_no_passport(db: Database, settings: Settings) -> None:
    with db.session() as session:
        member = make_member(session)
        with pytest.raises(PassportNotEarned, match="does not carry") as refused:
            issue_passport(session=session, settings=settings, member_id=member.id or 0)
        assert "paso" in refused.value.lt
        assert passport_of(session=session, member_id=member.id or 0) is None


def test_the_token_holds_a_number_a_level_and_an_expiry_and_nothing_else(
    holder, settings: Settings
) -> None:
    _, passport = holder
    token = passport_token(settings, passport)
    payload = json.loads(unb64url(token.split(".")[0]))
    assert set(payload) == {"n", "l", "x", "v"}
    assert payload["n"] == passport.number
    assert payload["l"] == passport.level and payload["v"] == 1
    assert payload["x"] == int(passport.expires_at.timestamp())
    assert len(token) < 200
    assert all(c.isalnum() or c in "-_." for c in token), "the token must be URL-safe"


def test_a_token_signed_by_another_key_is_invalid(holder, settings: Settings) -> None:
    session, passport = holder
    token = passport_token(settings, passport)
    forger = Ed25519PrivateKey.generate()
    encoded = token.split(".")[0]
    forged = f"{encoded}.{b64url(forger.sign(encoded.encode()))}"
    verdict = verify_token(settings=settings, token=forged, session=session)
    assert verdict.status == "invalid"
    assert "signature" in verdict.reason
    assert "parašas" in verdict.reason_lt


def test_a_tampered_payload_is_invalid(holder, settings: Settings) -> None:
    session, passport = holder
    token = passport_token(settings, passport)
    encoded, signature = token.split(".")
    payload = json.loads(unb64url(encoded))
    payload["x"] += 10 * 365 * 24 * 3600  # ten more years
    tampered = b64url(json.dumps(payload, separators=(",", ":")).encode()) + "." + signature
    verdict = verify_token(settings=settings, token=tampered, session=session)
    assert verdict.status == "invalid" and "signature" in verdict.reason


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "x" * 1000, "e30.AAAA"])
def test_garbage_is_invalid_and_never_raises(garbage: str, settings: Settings) -> None:
    verdict = verify_token(settings=settings, token=garbage)
    assert verdict.status == "invalid"
    assert verdict.reason


def test_an_expired_passport_is_expired(holder, settings: Settings) -> None:
    session, passport = holder
    token = passport_token(settings, passport)
    later = passport.expires_at + timedelta(seconds=1)
    verdict = verify_token(settings=settings, token=token, session=session, now=later)
    assert verdict.status == "expired"
    assert "expired" in verdict.reason
    # Without the database too: expiry is in the signed token.
    assert verify_token(settings=settings, token=token, now=later).status == "expired"


def test_a_new_passport_is_issued_once_the_old_one_expired(holder, settings: Settings) -> None:
    session, passport = holder
    later = passport.expires_at + timedelta(days=1)
    renewed = issue_passport(
        session=session, settings=settings, member_id=passport.member_id or 0, now=later
    )
    assert renewed.id != passport.id and renewed.number != passport.number


def test_a_revoked_passport_is_revoked(holder, settings: Settings) -> None:
    session, passport = holder
    token = passport_token(settings, passport)
    revoke_passport(session=session, number=passport.number, reason="lost phone")
    verdict = verify_token(settings=settings, token=token, session=session)
    assert verdict.status == "revoked"
    assert "lost phone" in verdict.reason
    assert passport.number in revoked_numbers(session)
    # The member can be given a new one.
    fresh = issue_passport(session=session, settings=settings, member_id=passport.member_id or 0)
    assert fresh.number != passport.number


def test_revoking_an_unknown_number_says_so(db: Database) -> None:
    with db.session() as session, pytest.raises(UnknownPassport):
        revoke_passport(session=session, number="ZZZZ-ZZZZ", reason="x")


def test_a_valid_signature_on_an_unknown_number_is_invalid_with_the_database(
    holder, settings: Settings
) -> None:
    session, passport = holder
    token = passport_token(settings, passport)
    session.delete(passport)
    session.flush()
    verdict = verify_token(settings=settings, token=token, session=session)
    assert verdict.status == "invalid" and "number" in verdict.reason


def test_the_key_is_generated_once_and_kept_private(settings: Settings) -> None:
    first = public_key_raw(settings)
    assert public_key_raw(settings) == first and len(first) == 32
    path = settings.home_dir / "secrets" / "passport.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_key_from_the_environment_wins(tmp_path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings = Settings(home=tmp_path, passport_private_key=SecretStr(pem))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public_key_raw(settings) == raw
    assert not (tmp_path / "secrets" / "passport.pem").exists()
    with pytest.raises(PassportKeyError):
        public_key_raw(Settings(home=tmp_path, passport_private_key=SecretStr("not a key")))


def test_the_card_shows_a_qr_code_that_points_at_the_verify_page(
    holder, settings: Settings
) -> None:
    _, passport = holder
    token = passport_token(settings, passport)
    png = card_png(
        settings=settings,
        passport=passport,
        token=token,
        language="lt",
        text=card_text(default_catalog(), "lt"),
    )
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 800
    zxingcpp = pytest.importorskip("zxingcpp")
    found = [code.text for code in zxingcpp.read_barcodes(image)]
    assert found == [f"{settings.public_url}/passport/verify#t={token}"]


def test_export_and_erasure(holder, settings: Settings) -> None:
    session, passport = holder
    member_id = passport.member_id or 0
    exported = export_passports(session, member_id)
    assert [entry["number"] for entry in exported] == [passport.number]
    token = passport_token(settings, passport)

    assert forget_member(session, member_id) == 1
    assert export_passports(session, member_id) == []
    assert passport.member_id is None
    assert verify_token(settings=settings, token=token, session=session).status == "revoked"


# ---- the HTTP side (the page itself is tested in tests/e2e/test_passport_verify.py) ------------


@pytest.fixture
def client(db: Database, settings: Settings) -> TestClient:
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(build_passport_router(settings, db))
    return TestClient(app)


def test_the_public_key_and_the_revocation_list_are_published(
    client: TestClient, holder, settings: Settings
) -> None:
    session, passport = holder
    key = client.get("/passport/public-key").json()
    assert unb64url(key["raw"]) == public_key_raw(settings)
    assert "BEGIN PUBLIC KEY" in key["pem"]
    revoke_passport(session=session, number=passport.number, reason="lost phone")
    session.flush()
    listed = client.get("/passport/revoked.json").json()
    assert listed["revoked"] == [passport.number]
    assert "lost phone" not in json.dumps(listed), "only numbers go out"


def test_the_card_image_needs_a_good_token(client: TestClient, holder, settings: Settings) -> None:
    _, passport = holder
    token = passport_token(settings, passport)
    good = client.get("/passport/card.png", params={"t": token})
    assert good.status_code == 200 and good.headers["content-type"] == "image/png"
    assert client.get("/passport/card.png", params={"t": token[:-4] + "AAAA"}).status_code == 400
    assert client.get("/passport/card.png").status_code == 400


def test_the_card_speaks_the_members_language(client: TestClient, holder, settings: Settings):
    _, passport = holder
    token = passport_token(settings, passport)
    lt, en, unknown = (
        client.get("/passport/card.png", params={"t": token, "lang": lang}).content
        for lang in ("lt", "en", "xx")
    )
    assert lt != en, "the English card has English labels"
    assert unknown == lt, "a language we do not have falls back to Lithuanian"
    assert card_text(default_catalog(), "en").valid == "Valid until"


def test_the_verify_page_embeds_the_key_and_no_inline_script(
    client: TestClient, settings: Settings
) -> None:
    page = client.get("/passport/verify")
    assert page.status_code == 200
    assert b64url(public_key_raw(settings)) in page.text
    assert "<script>" not in page.text and "<script src=" in page.text
    assert page.text.index("Alytiškio paso patikra") < page.text.index("Alytus Passport check")
    found = re.search(r'data-texts="([^"]+)"', page.text)
    assert found, "the script's texts travel with the page (and work offline with it)"
    texts = json.loads(html.unescape(found.group(1)))
    assert texts["status_revoked"] == ["ATŠAUKTAS", "REVOKED"]
    assert "{date}" in texts["valid_until"][0]
    worker = client.get("/passport/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
