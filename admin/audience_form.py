"""The audience chooser shared by the feed composer and the city-poll form: which boxes it
offers, reading what was ticked (and the country codes typed by hand), and the countries
members live in. Each screen still checks the audience its own way (the feed through its
JSON model, polls by the allowed values), since their messages differ.

The markup is the `audience` macro in templates/admin/_audience.html; both take the same
field names (community/feed.py's `AUDIENCE_KEYS`, plus `countries_other`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from community.feed import AUDIENCE_KEYS
from community.models import Member
from community.profile import Interest, Relation, ReturnIntention

LANGUAGES = ("lt", "en")
# The boxes offered per group; countries come from `known_countries` instead.
AUDIENCE_CHOICES: dict[str, tuple[str, ...]] = {
    "relations": tuple(Relation),
    "interests": tuple(Interest),
    "languages": LANGUAGES,
    "return_intentions": tuple(ReturnIntention),
}


def ticked(form: Any) -> dict[str, list[str]]:
    """Every audience field of a form or query string as ticked, to count it or to tick the
    boxes again when the form comes back with an error."""
    return {key: [str(value) for value in form.getlist(key)] for key in AUDIENCE_KEYS}


def chosen_countries(chosen: Mapping[str, list[str]], form: Mapping[str, Any]) -> list[str]:
    """The ticked countries, then the codes typed in `countries_other` ('NO, GB' or 'NO;GB'),
    unchecked: the caller says what a bad code means."""
    typed = str(form.get("countries_other") or "").replace(";", ",").replace(" ", ",")
    return [*chosen.get("countries", []), *filter(None, typed.split(","))]


def known_countries(session: Session) -> list[str]:
    """The countries members live in, for the chooser's checkboxes."""
    query = (
        select(Member.country)
        .where(col(Member.country).is_not(None), col(Member.erased_at).is_(None))
        .distinct()
    )
    return sorted(str(country) for country in session.exec(query) if country)


def chooser_context(session: Session, chosen: Mapping[str, list[str]] | None) -> dict[str, Any]:
    """What the `audience` macro needs, for a page's render call."""
    return {
        "audience_choices": AUDIENCE_CHOICES,
        "countries": known_countries(session),
        "chosen": chosen or {},
    }
