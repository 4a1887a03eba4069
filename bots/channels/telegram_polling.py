"""Telegram by long polling, for small installs without a public HTTPS address
(`alytus bots`): getUpdates with an offset, each update answered like a webhook's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bots.channels.telegram import TelegramChannel
from bots.channels.telegram_push import retry_seconds
from bots.engine import Engine
from community.settings import Settings

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 60.0


async def run_polling(
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event,
    *,
    poll_seconds: int = LONG_POLL_SECONDS,
    channel: TelegramChannel | None = None,
) -> None:
    """Answer updates until `stop` is set. A webhook would make getUpdates fail, so it is
    deleted first; errors back off (doubling, up to a minute), a 429 waits as told."""
    channel = channel or TelegramChannel(settings)
    offset = 0
    backoff = 1.0
    try:
        await _prepare(channel, stop)
        while not stop.is_set():
            try:
                updates = await _wait_or_stop(
                    channel.bot.get_updates(
                        offset=offset,
                        timeout=timedelta(seconds=poll_seconds),
                        allowed_updates=["message", "callback_query"],
                    ),
                    stop,
                )
            except (NetworkError, Conflict, RetryAfter) as error:
                pause = retry_seconds(error) if isinstance(error, RetryAfter) else backoff
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", error, pause)
                await _sleep(stop, pause)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 1.0
            for update in updates or ():
                offset = update.update_id + 1  # confirmed even if answering fails: no loops
                try:
                    await channel.answer(engine, update)
                except TelegramError as error:
                    log.warning("telegram: update %s not answered: %s", update.update_id, error)
    finally:
        await channel.close()


async def _prepare(channel: TelegramChannel, stop: asyncio.Event) -> None:
    """getMe, deleteWebhook and the command menu, retried until the API answers."""
    backoff = 1.0
    while not stop.is_set():
        try:
            await channel.start()
            await channel.bot.delete_webhook()
            await channel.set_commands()
            return
        except InvalidToken:
            raise
        except TelegramError as error:
            log.warning("telegram: start failed (%s); again in %.0f s", error, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


async def _wait_or_stop(call, stop: asyncio.Event):  # type: ignore[no-untyped-def]
    """The call's result, or None as soon as `stop` is set (a long poll is abandoned)."""
    task = asyncio.ensure_future(call)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await task
        return None
    return task.result()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
