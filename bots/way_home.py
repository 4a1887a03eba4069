"""The way home: `/home`, a checklist for members who plan to come back to Alytus.

Each step (bots/way_home.yml) is explained from the catalogue and answered from the
knowledge base with its source; members mark steps done (kept per member, so progress
survives restarts) and may ask for a human coordinator, whose request staff answer in the
admin (community.handovers). Buttons carry `/home ...` payloads; the same words can be typed,
with or without diacritics ("/home atlikta deklaravimas").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bots.answering import render_answer
from bots.features import Handler
from bots.messages import Button, Reply
from bots.turn import Turn
from community.handovers import (
    export_handovers,
    forget_handovers,
    request_handover,
)
from community.models import WayHomeStep, as_utc
from knowledge.answers import Answer, Source
from knowledge.articles import ArticleNotFound, get_article
from knowledge.chunking import plain, split_units
from knowledge.models import Article, ArticleStatus
from knowledge.text import fold

CHECKLIST_FILE = Path(__file__).with_name("way_home.yml")
FLOW = "way_home"  # the conversation's flow while a step is open or a note is awaited
TOPIC = "way_home"  # a coordinator request from the checklist
HUMAN_TOPIC = "talk_to_human"  # "I want to talk to a person", typed anywhere
TOPICS = (TOPIC, HUMAN_TOPIC)
PLANNING = ("maybe", "within_year")  # return intentions the checklist is offered to
EXCERPT_CHARS = 600
MAX_LABEL = 60

# Typed words (folded) for what the buttons do; step names are in way_home.yml.
VERBS = {
    "step": "open", "zingsnis": "open", "open": "open", "atidaryti": "open",
    "done": "done", "atlikta": "done", "atlikau": "done", "padaryta": "done",
    "padariau": "done", "baigta": "done",
    "undo": "undo", "neatlikta": "undo", "atzymeti": "undo",
    "read": "read", "skaityti": "read",
    "intro": "intro", "pradzia": "intro", "start": "intro",
    "coordinator": "coordinator", "koordinatorius": "coordinator",
    "koordinatoriu": "coordinator", "koordinatoriumi": "coordinator", "human": "coordinator",
    "zmogus": "coordinator", "zmogumi": "coordinator",
    "send": "send", "siusti": "send",
    "note": "note", "zinute": "note", "pastaba": "note",
    "list": "list", "sarasas": "list", "back": "list", "atgal": "list",
    "cancel": "cancel", "atsaukti": "cancel", "nereikia": "cancel", "nebereikia": "cancel",
}  # fmt: skip
CANCEL_WORDS = {word for word, verb in VERBS.items() if verb == "cancel"}


@dataclass(frozen=True)
class ArticleRef:
    """An article that answers a step; `find`: show it from the paragraph starting so."""

    id: str
    find: str = ""
    chars: int = EXCERPT_CHARS


@dataclass(frozen=True)
class Step:
    id: str
    label: str  # message keys
    button: str
    explain: str
    articles: dict[str, tuple[ArticleRef, ...]]
    words: frozenset[str]


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]
    overview: dict[str, tuple[ArticleRef, ...]]
    overview_label: str

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def number(self, step: Step) -> int:
        return self.steps.index(step) + 1

    def find(self, typed: str) -> Step | None:
        """A step from its id, its number, or a word for it typed in either language."""
        words = re.findall(r"\w+", fold(typed))
        if not words:
            return None
        if len(words) == 1 and words[0].isdigit():
            index = int(words[0]) - 1
            return self.steps[index] if 0 <= index < len(self.steps) else None
        exact = self.step("_".join(words))
        if exact is not None:
            return exact
        scores = [(len(step.words.intersection(words)), step) for step in self.steps]
        best, step = max(scores, key=lambda pair: pair[0])
        return step if best else None

    def refs(self) -> dict[str, ArticleRef]:
        """Every article the checklist points to, by id."""
        found: dict[str, ArticleRef] = {}
        for articles in (self.overview, *(step.articles for step in self.steps)):
            for refs in articles.values():
                found.update({ref.id: ref for ref in refs})
        return found


def _ref(raw: Any) -> ArticleRef:
    if isinstance(raw, str):
        return ArticleRef(raw)
    return ArticleRef(
        str(raw["id"]), str(raw.get("find", "")), int(raw.get("chars", EXCERPT_CHARS))
    )


def _articles(raw: dict[str, Any]) -> dict[str, tuple[ArticleRef, ...]]:
    return {language: tuple(_ref(item) for item in refs or ()) for language, refs in raw.items()}


@lru_cache(maxsize=4)
def load_checklist(path: Path = CHECKLIST_FILE) -> Checklist:
    """The checklist as way_home.yml describes it (read once per process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = tuple(
        Step(
            id=str(raw["id"]),
            label=str(raw["label"]),
            button=str(raw["button"]),
            explain=str(raw["explain"]),
            articles=_articles(raw.get("articles") or {}),
            words=frozenset(fold(str(word)) for word in raw.get("words") or ()),
        )
        for raw in data["steps"]
    )
    if len({step.id for step in steps}) != len(steps):
        raise ValueError(f"{path}: two steps share an id")
    overview = data.get("overview") or {}
    return Checklist(
        steps=steps,
        overview=_articles(overview.get("articles") or {}),
        overview_label=str(overview.get("label", "")),
    )


# --- progress: one row per step a member marked done ---------------------------------------


def done_steps(*, session: Session, member_id: int) -> dict[str, datetime]:
    rows = session.exec(select(WayHomeStep).where(WayHomeStep.member_id == member_id))
    return {row.step: as_utc(row.done_at) for row in rows}


def mark_done(*, session: Session, member_id: int, step: str) -> bool:
    """Remember the step as done; False when it already was."""
    if step in done_steps(session=session, member_id=member_id):
        return False
    try:
        with session.begin_nested():
            session.add(WayHomeStep(member_id=member_id, step=step))
            session.flush()
    except IntegrityError:
        return False  # the same member pressed twice at once
    return True


def mark_undone(*, session: Session, member_id: int, step: str) -> bool:
    """Forget that the step was done; False when it was not."""
    rows = session.exec(
        select(WayHomeStep).where(WayHomeStep.member_id == member_id, WayHomeStep.step == step)
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return bool(rows)


def progress_snapshot(*, session: Session, member_id: int) -> dict[str, Any]:
    """What staff see with a coordinator request: the steps done, in checklist order."""
    steps = load_checklist().steps
    done = done_steps(session=session, member_id=member_id)
    return {"done": [step.id for step in steps if step.id in done], "total": len(steps)}


def export_member(*, session: Session, member_id: int) -> dict[str, Any]:
    """The member's way home for their data export: steps done and coordinator requests."""
    done = done_steps(session=session, member_id=member_id)
    return {
        "steps_done": [
            {"step": step, "done_at": when.isoformat()} for step, when in sorted(done.items())
        ],
        "coordinator_requests": export_handovers(session=session, member_id=member_id),
    }


def forget_member(*, session: Session, member_id: int) -> list[str]:
    """Erasure: the member's progress and coordinator requests; says what went."""
    removed = []
    rows = session.exec(select(WayHomeStep).where(WayHomeStep.member_id == member_id)).all()
    for row in rows:
        session.delete(row)
    if rows:
        removed.append("way_home_progress")
    if forget_handovers(session=session, member_id=member_id):
        removed.append("coordinator_requests")
    session.flush()
    return removed


# --- knowledge-base answers for a step -----------------------------------------------------


def excerpt(body: str, *, find: str = "", chars: int = EXCERPT_CHARS) -> str:
    """The first paragraphs of an article (from the one starting with `find`), plain text,
    about `chars` long: whole paragraphs, and whole sentences of an over-long one."""
    paragraphs = [
        part.strip()
        for part in re.split(r"\n\s*\n", body)
        if part.strip() and not part.lstrip().startswith("#")
    ]
    if find:
        wanted = fold(find)
        start = next((i for i, p in enumerate(paragraphs) if fold(plain(p)).startswith(wanted)), 0)
        paragraphs = paragraphs[start:]
    taken: list[str] = []
    length = 0
    for paragraph in paragraphs:
        text = plain(paragraph)
        if taken and length + len(text) > chars:
            break
        if len(text) > chars * 1.5:
            text = _sentences(text, chars)
        taken.append(text)
        length += len(text)
    return "\n\n".join(taken)


def _sentences(text: str, chars: int) -> str:
    kept: list[str] = []
    for unit in split_units(text):
        if kept and sum(len(k) + 1 for k in kept) + len(unit) > chars:
            return " ".join(kept) + " …"
        kept.append(unit)
    return " ".join(kept)


def _published(session: Session, refs: tuple[ArticleRef, ...]) -> list[tuple[ArticleRef, Article]]:
    found = []
    for ref in refs:
        try:
            article = get_article(session=session, article_id=ref.id)
        except ArticleNotFound:
            continue
        if article.status == ArticleStatus.PUBLISHED:
            found.append((ref, article))
    return found


def _articles_for(
    turn: Turn, articles: dict[str, tuple[ArticleRef, ...]]
) -> list[tuple[ArticleRef, Article]]:
    """Published articles in the member's language, else in the other language."""
    other = next((language for language in articles if language != turn.language), None)
    for language in (turn.language, other):
        if language is None:
            continue
        found = _published(turn.session, articles.get(language, ()))
        if found:
            return found
    return []


def render_article(turn: Turn, ref: ArticleRef, article: Article) -> Reply:
    """The article's beginning (or the part `ref` names) with its source, as answers are."""
    url = article.source_urls[0] if article.source_urls else None
    answer = Answer(
        answered=True,
        text=excerpt(article.body, find=ref.find, chars=ref.chars),
        sources=[Source(article.id, article.title, url, article.updated)],
        confidence=1.0,
        language=article.language,
        other_language=article.language != turn.language,
    )
    return render_answer(turn, answer)


def _short(title: str) -> str:
    return title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1].rstrip() + "…"


# --- what the member sees ------------------------------------------------------------------


def _joined(turn: Turn) -> bool:
    return turn.member.onboarded_at is not None


def _progress(turn: Turn) -> dict[str, datetime]:
    return done_steps(session=turn.session, member_id=turn.member_id) if _joined(turn) else {}


def _not_member(turn: Turn) -> list[Reply]:
    return [
        Reply(text=turn.t("way_home.not_member"), buttons=(turn.button("menu.join", "/start"),))
    ]


def _coordinator_button(turn: Turn) -> Button:
    return turn.button("way_home.button_coordinator", "/home coordinator")


def checklist(turn: Turn, *, before: str = "") -> list[Reply]:
    """The steps with their state, "3 of 6 done", and a button for each step."""
    steps = load_checklist().steps
    done = _progress(turn)
    lines = [
        turn.t(
            "way_home.line_done" if step.id in done else "way_home.line_todo",
            number=number,
            label=turn.t(step.label),
        )
        for number, step in enumerate(steps, start=1)
    ]
    count = sum(step.id in done for step in steps)
    parts = [before] if before else []
    parts.append(turn.t("way_home.checklist", done=count, total=len(steps), steps="\n".join(lines)))
    if count == len(steps):
        parts.append(turn.t("way_home.all_done"))
    buttons = [
        Button(
            turn.t("way_home.button_state_done", label=turn.t(step.button))
            if step.id in done
            else turn.t(step.button),
            f"/home step {step.id}",
        )
        for step in steps
    ]
    buttons.append(turn.button(load_checklist().overview_label, "/home intro"))
    if _joined(turn):
        buttons.append(_coordinator_button(turn))
    else:
        parts.append(turn.t("way_home.join_to_save"))
        buttons.append(turn.button("menu.join", "/start"))
    return [Reply(text="\n\n".join(parts), buttons=tuple(buttons))]


def _with_buttons(replies: list[Reply], buttons: list[Button]) -> list[Reply]:
    """Buttons go under the last message, where the member reads last."""
    return [*replies[:-1], replace(replies[-1], buttons=(*replies[-1].buttons, *buttons))]


def open_step(turn: Turn, step: Step) -> list[Reply]:
    """The step explained, its knowledge-base answer with the source, and what to do next."""
    plan = load_checklist()
    number = plan.number(step)
    done = _progress(turn)
    text = [
        turn.t(
            "way_home.step_title", number=number, total=len(plan.steps), label=turn.t(step.label)
        ),
        turn.t(step.explain),
    ]
    if step.id in done:
        text.append(turn.t("way_home.step_done_on", date=done[step.id].date().isoformat()))
    replies = [Reply(text="\n\n".join(text))]
    articles = _articles_for(turn, step.articles)
    if articles:
        replies.append(render_article(turn, *articles[0]))
    buttons = [
        Button(_short(article.title), f"/home read {article.id}") for _, article in articles[1:]
    ]
    if _joined(turn):
        buttons.insert(
            0,
            turn.button("way_home.button_undo", f"/home undo {step.id}")
            if step.id in done
            else turn.button("way_home.button_done", f"/home done {step.id}"),
        )
    if number < len(plan.steps):
        buttons.append(turn.button("way_home.button_next", f"/home step {plan.steps[number].id}"))
    buttons.append(turn.button("way_home.button_checklist", "/home"))
    if _joined(turn):
        buttons.append(_coordinator_button(turn))
    if _joined(turn) and turn.conversation.flow in (None, FLOW):
        turn.finish()
        turn.go(FLOW, "open", open_step=step.id)  # so that a typed "atlikta" marks this step
    return _with_buttons(replies, buttons)


def read(turn: Turn, article_id: str) -> list[Reply]:
    """One more article of a step ("read more"); only the checklist's own articles."""
    ref = load_checklist().refs().get(article_id.strip())
    found = _published(turn.session, (ref,)) if ref else []
    if not found:
        return checklist(turn, before=turn.t("way_home.no_article"))
    return _with_buttons(
        [render_article(turn, *found[0])], [turn.button("way_home.button_checklist", "/home")]
    )


def intro(turn: Turn) -> list[Reply]:
    """Where to start: the overview article, then the checklist button."""
    articles = _articles_for(turn, load_checklist().overview)
    if not articles:
        return checklist(turn, before=turn.t("way_home.no_article"))
    return _with_buttons(
        [render_article(turn, *articles[0])], [turn.button("way_home.button_checklist", "/home")]
    )


def set_done(turn: Turn, step: Step, done: bool) -> list[Reply]:
    if not _joined(turn):
        return _not_member(turn)
    if done:
        mark_done(session=turn.session, member_id=turn.member_id, step=step.id)
    else:
        mark_undone(session=turn.session, member_id=turn.member_id, step=step.id)
    if turn.conversation.flow == FLOW:
        turn.finish()
    key = "way_home.marked_done" if done else "way_home.marked_undone"
    return checklist(turn, before=turn.t(key, label=turn.t(step.label)))


def ask_coordinator(turn: Turn, topic: str = TOPIC) -> list[Reply]:
    """Ask for an optional note; the request is filed with the note or without one."""
    if not _joined(turn):
        return _not_member(turn)
    turn.finish()
    turn.go(FLOW, "note", topic=topic)
    key = "way_home.ask_note_human" if topic == HUMAN_TOPIC else "way_home.ask_note"
    return [
        Reply(
            text=turn.t(key),
            buttons=(
                turn.button("way_home.button_send", "/home send"),
                turn.button("way_home.button_cancel", "/home cancel"),
            ),
        )
    ]


def file_request(turn: Turn, note: str) -> list[Reply]:
    """File the request for staff with the note and the checklist progress."""
    if not _joined(turn):
        return _not_member(turn)
    topic = turn.slots.get("topic") if turn.conversation.flow == FLOW else None
    if turn.conversation.flow == FLOW:
        turn.finish()
    _, created = request_handover(
        session=turn.session,
        member_id=turn.member_id,
        platform=turn.incoming.platform,
        topic=topic if topic in TOPICS else TOPIC,
        note=note,
        progress=progress_snapshot(session=turn.session, member_id=turn.member_id),
    )
    key = "way_home.handover_filed" if created else "way_home.handover_updated"
    return [Reply(text=turn.t(key), buttons=(turn.button("way_home.button_checklist", "/home"),))]


def handoff(turn: Turn) -> list[Reply]:
    """What asking for a person does: the city's contacts, and for members a request to a
    coordinator (bots/intents.py may call this instead of only replying the contacts)."""
    contacts = Reply(text=turn.t("intent.handoff"))
    if not _joined(turn):
        return [contacts]
    return [contacts, *ask_coordinator(turn, HUMAN_TOPIC)]


def offer(turn: Turn, *, always: bool = False) -> Reply | None:
    """A button to the checklist for members who plan or consider coming back (for anyone
    with `always`, e.g. under the answer to "I want to move back")."""
    if not always and turn.member.return_intention not in PLANNING:
        return None
    return Reply(
        text=turn.t("way_home.offer"), buttons=(turn.button("way_home.button_open", "/home"),)
    )


def _cancel(turn: Turn) -> list[Reply]:
    if turn.conversation.flow == FLOW:
        turn.finish()
    return [
        Reply(
            text=turn.t("way_home.request_cancelled"),
            buttons=(turn.button("way_home.button_checklist", "/home"),),
        )
    ]


def _is_cancel(turn: Turn) -> bool:
    """Typed "nebereikia", "never mind" (the button's label), "atsaukti"..."""
    words = re.findall(r"\w+", fold(turn.text))
    labels = {
        " ".join(re.findall(r"\w+", fold(turn.catalog.text(language, "way_home.button_cancel"))))
        for language in ("lt", "en")
    }
    return bool(words) and (set(words) <= CANCEL_WORDS or " ".join(words) in labels)


def _open_step_id(turn: Turn) -> str | None:
    if turn.conversation.flow == FLOW and turn.conversation.step == "open":
        return turn.slots.get("open_step")
    return None


def home(turn: Turn, argument: str) -> list[Reply]:
    """`/home [what]`: the checklist, or a step, done/undo, read, intro, coordinator."""
    plan = load_checklist()
    head, _, rest = argument.strip().partition(" ")
    word = re.findall(r"\w+", fold(head))
    verb = VERBS.get(word[0] if word else "") if head else "list"
    if verb is None:  # "/home deklaravimas", "/home 2"
        verb, rest = "open", argument
    if verb == "note":
        return file_request(turn, rest)
    if verb == "send":
        return file_request(turn, "")
    if verb == "coordinator":
        return ask_coordinator(turn)
    if verb == "intro":
        return intro(turn)
    if verb == "read":
        return read(turn, rest)
    if verb == "cancel":
        return _cancel(turn)
    step = plan.find(rest) if rest.strip() else None
    if step is None and verb in ("done", "undo"):
        step = plan.step(_open_step_id(turn) or "")
    if verb == "list" or (step is None and not rest.strip()):
        if turn.conversation.flow == FLOW:
            turn.finish()
        return checklist(turn)
    if step is None:
        return checklist(turn, before=turn.t("way_home.unknown_step"))
    if verb in ("done", "undo"):
        return set_done(turn, step, verb == "done")
    return open_step(turn, step)


class WayHomeFlow:
    """Typed text while a step is open ("atlikta") or a note for the coordinator is awaited;
    anything else leaves the step, so the member is never stuck in it.

    The engine routes a member's next message here while their conversation's flow is
    "way_home" (register it with the other flows in bots/engine.py)."""

    name = FLOW

    def start(self, turn: Turn) -> list[Reply]:
        return checklist(turn)

    def handle(self, turn: Turn) -> list[Reply]:
        if turn.conversation.step == "note":
            return self._note(turn)
        step = load_checklist().step(_open_step_id(turn) or "")
        words = set(re.findall(r"\w+", fold(turn.text)))
        if step is not None and not turn.payload:
            verbs = {VERBS.get(word) for word in words}
            if "done" in verbs or "undo" in verbs:
                return set_done(turn, step, "done" in verbs)
            if "list" in verbs:
                turn.finish()
                return checklist(turn)
        # Not for us: leave the step, so the next message is read afresh.
        turn.finish()
        turn.not_understood = True
        buttons = [turn.button("way_home.button_checklist", "/home")]
        if step is not None and _joined(turn):
            buttons.insert(0, turn.button("way_home.button_done", f"/home done {step.id}"))
        return [Reply(text=turn.t("way_home.typed_hint"), buttons=tuple(buttons))]

    def _note(self, turn: Turn) -> list[Reply]:
        if turn.payload or not turn.text:
            turn.not_understood = True
            return ask_coordinator(turn, turn.slots.get("topic") or TOPIC)
        if _is_cancel(turn):
            return _cancel(turn)
        if _asks_for_something_else(turn):
            turn.not_understood = True  # the engine does that instead ("delete my data")
            return ask_coordinator(turn, turn.slots.get("topic") or TOPIC)
        return file_request(turn, turn.text)


COMMANDS: dict[str, Handler] = {"home": home, "namo": home}


def _asks_for_something_else(turn: Turn) -> bool:
    """A command in words ("delete my data", "change the language") rather than a note."""
    from bots.engine import INTERRUPTING
    from bots.intents import ACT_ABOVE, top_intent

    intent, confidence = top_intent(turn.understand())
    return intent in INTERRUPTING and intent != "talk_to_human" and confidence >= ACT_ABOVE
