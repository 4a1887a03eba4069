"""The engine's capabilities as Rasa custom actions (rasa-sdk), for a city that runs Rasa as
its dialogue manager: Rasa calls our action server, we answer through the same engine.

A channel like the others: the action call becomes an Incoming (sender id, latest text),
and the engine's Replies become Rasa responses (text and buttons).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from bots.channels.base import reply_as_text
from bots.engine import Engine
from bots.messages import Incoming, Reply

PLATFORM = "rasa"


def _send(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        text = reply_as_text(Reply(text=reply.text, links=reply.links, cards=reply.cards))
        buttons = [{"title": b.label, "payload": b.payload} for b in reply.buttons]
        if reply.file is not None:
            dispatcher.utter_message(
                text=text, json_message={"file": reply.file.name, "content": reply.file.content}
            )
        else:
            dispatcher.utter_message(text=text, buttons=buttons)


class EngineAction(Action):
    """One capability: what the engine does with the member's latest message."""

    action_name = "action_alytus_reply"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def name(self) -> str:
        return self.action_name

    def incoming(self, tracker: Tracker) -> Incoming:
        message = tracker.latest_message or {}
        return Incoming(platform=PLATFORM, user_id=tracker.sender_id, text=message.get("text"))

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        _send(dispatcher, await self.engine.handle(self.incoming(tracker)))
        return []


class AnswerAction(EngineAction):
    """Answer the latest message from the knowledge base (Rasa's service_question)."""

    action_name = "action_alytus_answer"

    def incoming(self, tracker: Tracker) -> Incoming:
        message = tracker.latest_message or {}
        return Incoming(
            platform=PLATFORM,
            user_id=tracker.sender_id,
            text=message.get("text"),
            payload="intent:service_question",
        )


class InviteAction(EngineAction):
    """The member's personal invitation link and how many joined through it."""

    action_name = "action_alytus_invite"

    def incoming(self, tracker: Tracker) -> Incoming:
        return Incoming(
            platform=PLATFORM, user_id=tracker.sender_id, payload="intent:invite_friend"
        )


ACTIONS = (EngineAction, AnswerAction, InviteAction)


def build_executor(engine: Engine) -> ActionExecutor:
    """The rasa-sdk executor with every capability registered."""
    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action(engine))
    return executor
