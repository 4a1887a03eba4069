"""/language: switch between Lithuanian and English at any time."""

from __future__ import annotations

from bots.flows.base import Answered
from bots.flows.questions import QUESTIONS, ask_again
from bots.messages import Reply
from bots.turn import Turn


class LanguageFlow:
    name = "language"

    def start(self, turn: Turn) -> list[Reply]:
        turn.go(self.name, "language")
        return [Reply(text=turn.t("language.ask"), buttons=QUESTIONS["language"].ask(turn).buttons)]

    def handle(self, turn: Turn) -> list[Reply]:
        outcome = QUESTIONS["language"].answer(turn)
        if not isinstance(outcome, Answered):
            return ask_again(turn, "language")
        QUESTIONS["language"].store(turn, outcome.value)
        turn.finish()
        return [Reply(text=turn.t("language.changed"))]
