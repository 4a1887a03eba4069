"""Every message the bots send exists in Lithuanian and in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from admin.web import UI_KEYS
from bots import intents
from bots.catalog import LANGUAGES, catalogue_files, read_catalog
from bots.engine import COMMAND_INTENTS, INTERRUPTING
from community.profile import ConsentPurpose, Interest, Relation, ReturnIntention

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(r"""(?:\.t|\.button|\.text\([^,()]+,)\(\s*["']([a-z_]+\.[a-z_]+)["']""")


def keys_used_in_code() -> set[str]:
    keys: set[str] = set()
    for path in (ROOT / "bots").rglob("*.py"):
        keys |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    keys |= {f"chat.{key}" for key in UI_KEYS}
    keys |= {"privacy_page.title", "privacy_page.body"}
    keys |= {f"relation.{r.value}" for r in Relation}
    keys |= {f"interest.{i.value}" for i in Interest}
    keys |= {f"return.{r.value}" for r in ReturnIntention}
    keys |= {f"consent.purpose_{p.value}" for p in ConsentPurpose}
    keys |= {f"language.{language}" for language in LANGUAGES}
    keys |= {f"intent.reply_{name}" for name in intents.SIMPLE_REPLIES}
    acted_on = {*COMMAND_INTENTS, *INTERRUPTING, *intents.QUESTIONS}
    keys |= {f"intent.label_{name}" for name in acted_on - {"inform"}}
    return keys


def test_every_message_has_both_languages():
    catalog = read_catalog()
    lithuanian, english = catalog.keys("lt"), catalog.keys("en")
    assert lithuanian == english, {
        "only in lt": sorted(lithuanian - english),
        "only in en": sorted(english - lithuanian),
    }


def test_every_message_the_code_uses_is_in_the_catalogues():
    known = read_catalog().keys("lt") & read_catalog().keys("en")
    used = keys_used_in_code()
    assert len(used) > 50
    assert used <= known, sorted(used - known)


def test_placeholders_match_between_languages():
    catalogs: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for language in LANGUAGES:
        for path in catalogue_files(language):
            with path.open("rb") as handle:
                catalogs[language].update({m.id: m.string for m in read_po(handle) if m.id})
    for key, lithuanian in catalogs["lt"].items():
        fields = set(re.findall(r"{(\w+)}", lithuanian))
        assert fields == set(re.findall(r"{(\w+)}", catalogs["en"][key])), key


def test_a_message_defined_in_two_files_is_refused(tmp_path: Path):
    for language in LANGUAGES:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        entry = 'msgid "poll.ask"\nmsgstr "Klausimas"\n'
        (folder / "messages.po").write_text(entry, encoding="utf-8")
        (folder / "polls.po").write_text(entry, encoding="utf-8")
    with pytest.raises(ValueError, match="polls.po: message 'poll.ask' is already defined"):
        read_catalog(tmp_path)


def test_lithuanian_texts_are_really_lithuanian():
    catalog = read_catalog()
    assert "Kokia kalba" in catalog.text("lt", "onboarding.welcome")
    assert catalog.text("lt", "interest.jobs") == "Darbas"
    assert catalog.text("en", "interest.jobs") == "Jobs"
