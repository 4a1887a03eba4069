"""The passport card as a PNG: what a member shows at a till, readable from across the counter.

The QR code holds the verify URL with the token in the fragment (`#t=...`): a merchant's
phone that opens it checks the passport itself, and the token never reaches a server log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from community.models import as_utc
from community.settings import Settings
from rewards.levels import get_level
from rewards.passport_models import Passport

FONTS = Path("/usr/share/fonts/truetype/dejavu")
WIDTH, HEIGHT = 1012, 638  # ID-1 card proportions
BRAND = (11, 110, 79)
INK = (20, 24, 28)
MUTED = (95, 107, 115)
PAPER = (255, 255, 255)


@dataclass(frozen=True)
class CardText:
    """The card's words, from the message catalogue (bots/passport_texts.py fills it in):
    the title in Lithuanian and English, the labels in the member's language."""

    title_lt: str
    title_en: str
    level: str
    number: str
    valid: str
    check: str


def verify_url(settings: Settings, token: str) -> str:
    """Where the QR code points: the verify page, with the token where servers never see it."""
    return f"{settings.public_url.rstrip('/')}/passport/verify#t={token}"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def qr_image(content: str, size: int) -> Image.Image:
    """A QR code at most `size` pixels wide, every module the same whole number of pixels."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(content)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    scale = max(1, size // image.width)
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def _level_name(number: int, language: str) -> str:
    try:
        level = get_level(number)
    except ValueError:  # levels.yml changed since the passport was issued
        return ""
    return level.name_en if language == "en" else level.name_lt


def card_png(
    *, settings: Settings, passport: Passport, token: str, language: str, text: CardText
) -> bytes:
    """The card in the member's language (the title is always Lithuanian and English)."""
    card = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, WIDTH, 120), fill=BRAND)
    draw.text((40, 22), text.title_lt, font=_font(44, bold=True), fill=PAPER)
    draw.text((42, 76), text.title_en, font=_font(26), fill=(220, 240, 232))

    rows = (
        (text.level, str(passport.level)),
        (text.number, passport.number),
        (text.valid, as_utc(passport.expires_at).date().isoformat()),
    )
    top = 160
    for label, value in rows:
        draw.text((40, top), label, font=_font(24), fill=MUTED)
        draw.text((40, top + 30), value, font=_font(44, bold=True), fill=INK)
        top += 120
    level_width = draw.textlength(str(passport.level), font=_font(44, bold=True))
    draw.text(
        (40 + level_width + 16, 160 + 44),
        _level_name(passport.level, language),
        font=_font(22),
        fill=MUTED,
    )

    space = HEIGHT - 120 - 40
    code = qr_image(verify_url(settings, token), space)
    card.paste(code, (WIDTH - code.width - 30, 120 + (space - code.height) // 2 + 20))
    draw.text((40, HEIGHT - 50), text.check + ": /passport/verify", font=_font(20), fill=MUTED)

    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True)
    return out.getvalue()
