"""The push platforms this installation can write to first, from the settings.

Each platform's module is imported only when its token is set, and a platform whose module
is missing (not built, or its library not installed) is left out rather than failing.
"""

from __future__ import annotations

import importlib
import logging

from bots.channels.base import PushChannel
from community.settings import Settings

log = logging.getLogger(__name__)

# platform -> (the setting that turns it on, class, modules that may hold it, in order)
PUSH_CLASSES = {
    "telegram": (
        "telegram_token",
        "TelegramPush",
        ("bots.channels.telegram", "bots.channels.telegram_push"),
    ),
    "discord": ("discord_token", "DiscordPush", ("bots.channels.discord",)),
    "messenger": ("messenger_page_token", "MessengerPush", ("bots.channels.messenger",)),
}


def push_channels(settings: Settings) -> dict[str, PushChannel]:
    """platform -> PushChannel for every platform whose token is set."""
    channels: dict[str, PushChannel] = {}
    for platform, (token, class_name, modules) in PUSH_CLASSES.items():
        if getattr(settings, token, None) is None:
            continue
        push_class = _find(class_name, modules)
        if push_class is None:
            log.warning("no %s push channel: %s not found in %s", platform, class_name, modules)
            continue
        channels[platform] = push_class(settings)
    return channels


def _find(class_name: str, modules: tuple[str, ...]) -> type | None:
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, class_name, None)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None
