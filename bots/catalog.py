"""Message catalogues: every text the bots send, in Lithuanian and English (gettext .po).

Message ids are stable keys ("onboarding.ask_relation"); each language's .po file holds the
text. Babel reads the .po files directly, so there is no compile step to forget.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("lt", "en")  # Lithuanian first


class Catalog:
    """Looks up a message by key in a language and fills in its {placeholders}."""

    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self.messages = messages

    def text(self, language: str, key: str, /, **params: object) -> str:
        """The message in `language`, falling back to the other language, then the key."""
        for lang in (language, *LANGUAGES):
            template = self.messages.get(lang, {}).get(key)
            if template:
                return template.format(**params) if params else template
        raise KeyError(f"message {key!r} is in no catalogue")

    def has(self, key: str) -> bool:
        """Whether the message exists (in Lithuanian, which every message has)."""
        return key in self.messages.get(LANGUAGES[0], {})

    def keys(self, language: str) -> set[str]:
        return set(self.messages.get(language, {}))


def catalogue_files(language: str, locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """A language's .po files: messages.po, then one per feature (way_home.po, polls.po...)."""
    folder = locales_dir / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda path: (path.name != "messages.po", path.name))


def read_catalog(locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Read every language's .po files into one Catalog; a key defined twice is an error."""
    messages: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        merged: dict[str, str] = {}
        for path in catalogue_files(language, locales_dir):
            with path.open("rb") as handle:
                po = read_po(handle, locale=language)
            for message in po:
                if not (message.id and message.string):
                    continue
                if str(message.id) in merged:
                    raise ValueError(f"{path}: message {message.id!r} is already defined")
                merged[str(message.id)] = str(message.string)
        messages[language] = merged
    return Catalog(messages)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalogue shipped with the package, read once per process."""
    return read_catalog()
