"""How an answer reads: its source line quotes the article's title once, whatever quotation
marks the title already carries (quotes inside it become the inner kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bots.answering import render_answer
from bots.catalog import Catalog, default_catalog
from knowledge.answers import Answer, Source


@dataclass
class _Turn:
    """What rendering an answer reads of a turn: the member's language and the catalogue."""

    language: str
    catalog: Catalog

    def t(self, key: str, /, **params: object) -> str:
        return self.catalog.text(self.language, key, **params)


def _rendered(title: str, language: str) -> str:
    source = Source("lt-x", title, "https://example.lt", date(2025, 2, 1))
    answer = Answer(True, "Tekstas.", [source], 0.9, language)
    return render_answer(_Turn(language, default_catalog()), answer).text  # type: ignore[arg-type]


def test_a_title_already_in_quotes_is_not_quoted_again():
    for title in ("„Ugdau alytiškį“", '"Ugdau alytiškį"', "“Ugdau alytiškį”", "Ugdau alytiškį"):
        lithuanian = _rendered(title, "lt")
        assert "„Ugdau alytiškį“" in lithuanian, lithuanian
        assert "„„" not in lithuanian and '„"' not in lithuanian and "““" not in lithuanian
        english = _rendered(title, "en")
        assert "“Ugdau alytiškį”" in english and "““" not in english, english


def test_quotes_inside_a_title_become_inner_quotes_never_doubled():
    text = _rendered("Programa „Ugdau alytiškį“", "lt")
    assert "„Programa ‚Ugdau alytiškį‘“" in text, text
    text = _rendered("„Grįžtu LT“ – vieno langelio konsultacijos", "lt")
    assert "„‚Grįžtu LT‘ – vieno langelio konsultacijos“" in text and "„„" not in text, text
    text = _rendered("“Renkuosi Lietuvą” and Grįžtu LT", "lt")
    assert "„‘Renkuosi Lietuvą’ and Grįžtu LT“" in text, text
