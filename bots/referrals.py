"""Personal referral links: a Telegram deep link where the bot is on Telegram, else web."""

from __future__ import annotations

from community.settings import Settings


def referral_link(settings: Settings, platform: str, code: str) -> str:
    """The link a member shares; it opens the bot with `/start CODE`."""
    if platform == "telegram" and settings.telegram_bot_username:
        return f"https://t.me/{settings.telegram_bot_username}?start={code}"
    return f"{settings.public_url.rstrip('/')}/?ref={code}"
