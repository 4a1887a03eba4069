"""Proactive Telegram messages (notifications, broadcasts) for the delivery worker.

The caller paces (RateLimit) and waits (SendOutcome.retry_after); push only sends and says
what Telegram answered. One bot and its connection pool serve every call.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bots.channels.base import RateLimit, SendOutcome
from bots.channels.telegram import PLATFORM, TelegramChannel
from bots.messages import Reply
from community.settings import Settings

# Refusals that mean the member cannot be reached on Telegram any more.
GONE = ("blocked", "deactivated", "chat not found", "user not found", "kicked", "not a member")


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds (PTB 22 gives int or timedelta, depending on a flag)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramPush:
    """bots.channels.base.PushChannel for Telegram."""

    platform = PLATFORM

    def __init__(self, settings: Settings, *, pool: int = 256) -> None:
        self.rate = RateLimit(
            settings.telegram_rate_per_second, settings.telegram_chat_rate_per_second
        )
        # No PTB rate limiter here: the delivery worker paces, and must see each 429 itself.
        self.channel = TelegramChannel(settings, rate_limited=False, pool=pool)
        self._started = asyncio.Lock()

    async def push(self, recipient_id: str, reply: Reply) -> SendOutcome:
        """Send one reply to a Telegram user id; refusals come back in the outcome."""
        try:
            await self.channel.send_reply(recipient_id, reply)
        except RetryAfter as error:
            return SendOutcome(
                delivered=False, retry_after=retry_seconds(error), error=error.message
            )
        except Forbidden as error:
            return SendOutcome(delivered=False, unreachable=True, error=error.message)
        except BadRequest as error:
            gone = any(reason in error.message.lower() for reason in GONE)
            return SendOutcome(delivered=False, unreachable=gone, error=error.message)
        except TelegramError as error:  # NetworkError, TimedOut, InvalidToken ...
            return SendOutcome(delivered=False, error=f"{type(error).__name__}: {error.message}")
        return SendOutcome(delivered=True)

    async def close(self) -> None:
        await self.channel.close()
