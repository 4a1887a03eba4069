"""The type of a feature command handler: `/home`, `/mentor`, `/poll`, `/events`... take the
turn and the text after the command, and return the replies."""

from __future__ import annotations

from collections.abc import Callable

from bots.messages import Reply
from bots.turn import Turn

Handler = Callable[[Turn, str], list[Reply]]


def feature_commands() -> dict[str, Handler]:
    """Every feature module's commands by name (imported here, so the engine needs one line)."""
    from bots import events, mentoring, news, polls, way_home

    merged: dict[str, Handler] = {}
    for module in (way_home, mentoring, polls, events, news):
        clash = set(merged) & set(module.COMMANDS)
        if clash:
            raise ValueError(f"{module.__name__} redefines commands {sorted(clash)}")
        merged.update(module.COMMANDS)
    return merged
