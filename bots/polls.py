"""City polls in chat: `/poll` shows the open polls meant for the member, with a button per
choice; `/poll ID N` (the button's payload, or typed) answers, once per poll, and earns the
`poll.answered` points.

Polls, their audience and the answers live in community.polls; staff make and send them in
the admin (admin/poll_screens.py).
"""

from __future__ import annotations

from bots.features import Handler
from bots.messages import Button, Reply
from bots.turn import Turn
from community import polls
from community.models import Poll
from rewards.journal import award
from rewards.rules import POLL, member_key


def _not_member(turn: Turn) -> Reply:
    return Reply(text=turn.t("poll.not_member"), buttons=(turn.button("menu.join", "/start"),))


def _text_of(turn: Turn, poll: Poll) -> tuple[str, list[str]]:
    language = "en" if turn.language == "en" else "lt"
    question = poll.question_en if language == "en" else poll.question_lt
    return question, [choice.get(language) or choice["lt"] for choice in poll.choices]


def ask(turn: Turn, poll: Poll) -> Reply:
    """One poll as a question with its numbered choices and a button for each."""
    question, choices = _text_of(turn, poll)
    numbered = "\n".join(f"{n}. {choice}" for n, choice in enumerate(choices, 1))
    buttons = tuple(
        Button(label=choice, payload=f"/poll {poll.id} {n}") for n, choice in enumerate(choices, 1)
    )
    return Reply(
        text=turn.t("poll.question", question=question, choices=numbered, poll=poll.id),
        buttons=buttons,
    )


def open_polls(turn: Turn) -> list[Reply]:
    found = polls.open_polls_for(turn.session, turn.member)
    if not found:
        return [Reply(text=turn.t("poll.none"))]
    return [Reply(text=turn.t("poll.open", count=len(found))), *(ask(turn, p) for p in found)]


def answer(turn: Turn, poll_id: int, choice: int) -> list[Reply]:
    """Record the answer once and award the poll's points once (per member and poll)."""
    try:
        polls.answer_poll(session=turn.session, poll_id=poll_id, member=turn.member, choice=choice)
    except polls.AnswerRefused as refused:
        count = 0
        if refused.code == "bad_choice":
            count = len(polls.get_poll(turn.session, poll_id).choices)
        return [Reply(text=turn.t(f"poll.refused_{refused.code}", count=count))]
    result = award(
        session=turn.session,
        settings=turn.settings,
        member_id=turn.member_id,
        rule=POLL,
        key=member_key(POLL, str(poll_id), turn.member_id),
    )
    points = result.event.points if result.awarded and result.event else 0
    if points:
        return [Reply(text=turn.t("poll.thanks_points", points=points))]
    return [Reply(text=turn.t("poll.thanks"))]


def poll_command(turn: Turn, argument: str) -> list[Reply]:
    """'/poll' lists the open polls, '/poll 3' shows one, '/poll 3 2' answers it."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    words = argument.split()
    if not words:
        return open_polls(turn)
    if not all(word.isdigit() and len(word) < 10 for word in words[:2]):
        return [Reply(text=turn.t("poll.how"))]
    poll_id = int(words[0])
    if len(words) == 1:
        try:
            poll = polls.get_poll(turn.session, poll_id)
        except polls.UnknownPoll:
            return [Reply(text=turn.t("poll.refused_unknown", count=0))]
        if not polls.is_open(poll):
            return [Reply(text=turn.t("poll.refused_closed", count=0))]
        return [ask(turn, poll)]
    return answer(turn, poll_id, int(words[1]))


COMMANDS: dict[str, Handler] = {"poll": poll_command, "apklausa": poll_command}
