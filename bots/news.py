"""News in chat: `/news` (the items ranked for the member, each with its reason),
`/optout KIND`, `/optin KIND`, and `/more KIND` (the "more like this" under an item whose
kind is not yet among the member's interests).

The feed and the per-topic opt-outs live in community.feed, the ranking ("for you") in
community.ranking; this module turns them into catalogue text in the member's language. The
engine wires `/news`, `/optout` and `/optin` to these functions; `/more` is a feature command.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bots.broadcasting import item_choices, item_details, item_links
from bots.events import rsvp_buttons
from bots.features import Handler
from bots.flows.questions import country_name
from bots.messages import Card, Reply
from bots.rewarding import profile_completed
from bots.turn import Turn
from community import events, feed, ranking
from community.events import local_time
from community.feed import FeedKind
from community.members import has_consent
from community.models import FeedItem, as_utc, utcnow
from community.profile import ConsentPurpose, Interest
from community.ranking import KIND_INTEREST, Reason

LATEST = 5
CARD_CHARS = 280  # an item's text in a /news card is cut to about this, at a word
SENTENCE_END = re.compile(r"[.!?…](?=\s)")
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


def shorten(text: str, limit: int = CARD_CHARS) -> str:
    """The text cut to about `limit` characters: after the last sentence that fits when it
    keeps most of it, else at the last whole word, with "…"."""
    text = re.sub(r"\s*\n\s*", "\n", text.strip())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [match.end() for match in SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit * 0.6:
        return head[: ends[-1]] + " …"
    cut = head.rfind(" ", 0, limit)
    cut = head.rfind("\n", 0, limit) if cut <= 0 else cut
    words = head[:cut] if cut > 0 else text[: limit - 1]
    return words.rstrip(" ,;:–—-(\n") + "…"


def item_card(
    turn: Turn, item: FeedItem, reason: Reason, answer: str | None, now: datetime
) -> Card:
    """One item as a /news card: why it is shown, when and where (a start already past
    reads as past), its text cut short, its link; the buttons to answer an event still to
    come, "more like this" where it would change something, and "fewer like this"."""
    english = turn.language == "en"
    title = item.title_en if english else item.title_lt
    body = shorten(item.body_en if english else item.body_lt)
    details = item_details(turn.catalog, item, turn.language, now)
    lines = [f"💡 {reason_text(turn, reason)}", *details]
    interests = turn.member.interests or []
    return Card(
        title=f"{kind_label(turn, item.kind)}: {title}",
        text="\n".join([*lines, body] if body else lines),
        links=item_links(turn.catalog, item, turn.language),
        buttons=(
            *rsvp_buttons(turn.catalog, item, turn.language, answer, now=now),
            *item_choices(turn.catalog, item, turn.language, interests),
        ),
    )


def news(turn: Turn, now: datetime | None = None) -> list[Reply]:
    """The items ranked for the member (community.ranking), best first, each as a card with
    the reason it is there, its text, date and place, link, and buttons. Each link is on
    its card only: a channel shows a reply's own links besides its cards' links."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    moment = as_utc(now) if now else utcnow()
    ranked = ranking.for_you(turn.session, turn.member, limit=LATEST, now=moment)
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
    cards = tuple(
        item_card(turn, found.item, found.reason, answers.get(found.item.id or 0), moment)
        for found in ranked
    )
    return [Reply(text="\n".join([turn.t("news.latest"), *notes]), cards=cards)]


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


def more_like(turn: Turn, kind: str) -> list[Reply]:
    """`/more KIND` ("more like this", also typed): the kind's interest is added to
    the member's profile, which the ranking weighs, so such items come higher in /news; only
    with their consent to personalisation (without it the ranking reads no profile). A kind
    they had turned off is turned on again."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    found = parse_kind(turn, kind)
    if found is None:
        return [Reply(text=turn.t("news.unknown_kind", kinds=_kinds_list(turn)))]
    label = kind_label(turn, found.value)
    lines = []
    if feed.opt_in(session=turn.session, member_id=turn.member_id, kind=found.value):
        lines.append(turn.t("news.opted_in", kind=label))
    interest = KIND_INTEREST.get(found.value)
    if interest is None:
        return [Reply(text="\n".join([*lines, turn.t("news.more_everyone", kind=label)]))]
    personalised = has_consent(
        session=turn.session, member_id=turn.member_id, purpose=ConsentPurpose.PERSONALISATION
    )
    if not personalised:
        lines.append(turn.t("news.more_needs_consent"))
        return [Reply(text="\n".join(lines), buttons=(turn.button("menu.privacy", "/privacy"),))]
    chosen = set(turn.member.interests or [])
    name = turn.t(f"interest.{interest}")
    if interest in chosen:
        lines.append(turn.t("news.more_already", interest=name))
    else:
        turn.member.interests = [i.value for i in Interest if i.value in chosen | {interest}]
        profile_completed(turn, turn.member)
        lines.append(turn.t("news.more_added", interest=name, kind=label))
    return [Reply(text="\n".join(lines), buttons=(turn.button("news.open_button", "/news"),))]


COMMANDS: dict[str, Handler] = {"more": more_like, "daugiau": more_like}
