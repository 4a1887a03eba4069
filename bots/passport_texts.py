"""The Alytus Passport's words from the message catalogue: the card image's labels and the
merchant's verify page (its template and the texts its script shows, offline too)."""

from __future__ import annotations

from bots.catalog import LANGUAGES, Catalog
from rewards.card import CardText

PAGE = "passport_page."
# the texts passport-verify.js shows; {when} and {date} are filled in the browser
SCRIPT_KEYS = (
    "status_valid",
    "status_expired",
    "status_revoked",
    "status_invalid",
    "status_error",
    "not_a_code",
    "no_ed25519",
    "bad_signature",
    "unknown_format",
    "revoked",
    "expired",
    "valid_until",
    "no_list_note",
    "list_missing",
    "list_fresh",
    "list_offline",
    "works_offline",
)
PAGE_KEYS = ("title", "prompt", "code_label", "check_button", "scan_button", "needs_js")
CARD_LABELS = ("number", "level", "valid")  # the page names a passport's facts as the card does


def card_text(catalog: Catalog, language: str) -> CardText:
    """The card's title in both languages and its labels in `language`."""

    def say(key: str, lang: str = language) -> str:
        return catalog.text(lang, f"passport_card.{key}")

    return CardText(
        title_lt=say("title", "lt"),
        title_en=say("title", "en"),
        level=say("level"),
        number=say("number"),
        valid=say("valid"),
        check=say("check"),
    )


def _both(catalog: Catalog, key: str, prefix: str = PAGE) -> dict[str, str]:
    return {language: catalog.text(language, prefix + key) for language in LANGUAGES}


def page_texts(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The page's own texts, each in Lithuanian and English (the page shows both)."""
    texts = {key: _both(catalog, key) for key in PAGE_KEYS}
    return texts | {key: _both(catalog, key, "passport_card.") for key in CARD_LABELS}


def script_texts(catalog: Catalog) -> dict[str, list[str]]:
    """The script's texts as [Lithuanian, English], for the page's data-texts attribute."""
    return {key: [_both(catalog, key)[lang] for lang in LANGUAGES] for key in SCRIPT_KEYS}
