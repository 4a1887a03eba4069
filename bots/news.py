"""News in chat: `/news` (the items ranked for the member, each with its reason),
`/optout KIND`, `/optin KIND`.

The feed and the per-topic opt-outs live in community.feed, the ranking ("for you") in
community.ranking; this module turns them into catalogue text in the member's language. The
engine wires the commands to these functions.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from bots.broadcasting import render_item
from bots.events import rsvp_buttons
from bots.flows.questions import country_name
from bots.messages import Card, Link, Reply
from bots.turn import Turn
from community import events, feed, ranking
from community.events import local_time
from community.feed import FeedKind
from community.members import has_consent
from community.profile import ConsentPurpose
from community.ranking import Reason

LATEST = 5
ALIASES = {  # typed words (folded, lower case) -> kind, besides the kinds' own names
    "events": "event", "renginiai": "event", "renginys": "event",
    "jobs": "job", "darbas": "job", "darbai": "job", "darbo": "job",
    "investment": "business", "verslas": "business", "investicijos": "business",
    "mentorystė": "mentoring", "mentoryste": "mentoring", "mentorius": "mentoring",
    "volunteering": "charity", "labdara": "charity", "savanoryste": "charity",
    "announcements": "announcement", "pranesimai": "announcement", "naujienos": "announcement",
}  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def kind_label(turn: Turn, kind: str) -> str:
    return turn.t(f"news.kind_{kind}")


def parse_kind(turn: Turn, typed: str) -> FeedKind | None:
    """A kind from its code, its label in either language, or a common word for it."""
    word = _fold(typed)
    if not word:
        return None
    for kind in FeedKind:
        labels = {
            _fold(turn.catalog.text(lang, f"news.kind_{kind.value}")) for lang in ("lt", "en")
        }
        if word == kind.value or word in labels:
            return kind
    found = ALIASES.get(word)
    return FeedKind(found) if found else None


def _kinds_list(turn: Turn) -> str:
    return ", ".join(f"{kind.value} ({kind_label(turn, kind.value)})" for kind in FeedKind)


def _not_member(turn: Turn) -> Reply:
    return Reply(text=turn.t("news.not_member"), buttons=(turn.button("menu.join", "/start"),))


def reason_text(turn: Turn, reason: Reason) -> str:
    """Why an item is shown, in a few words of the member's language."""
    if reason.code in ("country", "near"):
        return turn.t(f"foryou.{reason.code}", country=country_name(reason.value, turn.language))
    if reason.code == "soon":
        return turn.t("foryou.soon", when=local_time(datetime.fromisoformat(reason.value)))
    if reason.code in ("interest", "relation", "return"):
        return turn.t(f"foryou.{reason.code}_{reason.value}")
    return turn.t(f"foryou.{reason.code}")


def news(turn: Turn) -> list[Reply]:
    """The items ranked for the member (community.ranking), best first, each as a card with
    the reason it is there, its link, and for an event the buttons to answer."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    ranked = ranking.for_you(turn.session, turn.member, limit=LATEST)
    items = [found.item for found in ranked]
    notes = []
    if not has_consent(session=turn.session, member_id=turn.member_id, purpose=ConsentPurpose.NEWS):
        notes.append(turn.t("news.no_consent"))
    if ranked and ranked[0].reason.code == "latest":
        notes.append(turn.t("foryou.personalise_hint"))
    muted = feed.opted_out_kinds(session=turn.session, member_id=turn.member_id)
    if muted:
        notes.append(turn.t("news.muted", kinds=", ".join(kind_label(turn, k) for k in muted)))
    if not items:
        return [Reply(text="\n".join([turn.t("news.none"), *notes]))]
    answers = events.answers_of(
        turn.session, member_id=turn.member_id, item_ids=[item.id for item in items if item.id]
    )
    cards = []
    for found in ranked:
        item = found.item
        rendered = render_item(turn.catalog, item, turn.language)
        title, _, text = rendered.text.partition("\n")
        answer = rsvp_buttons(turn.catalog, item, turn.language, answers.get(item.id or 0))
        cards.append(
            Card(
                title=f"{kind_label(turn, item.kind)}: {title.removeprefix('📣 ')}",
                text="\n".join(
                    part for part in (f"💡 {reason_text(turn, found.reason)}", text.strip()) if part
                ),
                links=rendered.links,
                buttons=(*answer, *rendered.buttons),
            )
        )
    links = tuple(
        Link(label=item.title_en if turn.language == "en" else item.title_lt, url=item.url)
        for item in items
        if item.url
    )
    text = "\n".join([turn.t("news.latest"), *notes])
    return [Reply(text=text, cards=tuple(cards), links=links)]


def opt_out(turn: Turn, kind: str) -> list[Reply]:
    """`/optout KIND` (also the button under every broadcast): no more news of that kind."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    found = parse_kind(turn, kind)
    if found is None:
        return [Reply(text=turn.t("news.unknown_kind", kinds=_kinds_list(turn)))]
    changed = feed.opt_out(session=turn.session, member_id=turn.member_id, kind=found.value)
    key = "news.opted_out" if changed else "news.already_out"
    label = kind_label(turn, found.value)
    return [Reply(text=turn.t(key, kind=label, code=found.value))]


def opt_in(turn: Turn, kind: str) -> list[Reply]:
    """`/optin KIND`: news of that kind again."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    found = parse_kind(turn, kind)
    if found is None:
        return [Reply(text=turn.t("news.unknown_kind", kinds=_kinds_list(turn)))]
    changed = feed.opt_in(session=turn.session, member_id=turn.member_id, kind=found.value)
    key = "news.opted_in" if changed else "news.already_in"
    return [Reply(text=turn.t(key, kind=kind_label(turn, found.value)))]
