"""`POST /webhooks/telegram`: Telegram's updates for `alytus serve`.

Only requests carrying ALYTUS_TELEGRAM_WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token are
read (403 otherwise, and always when no secret is configured); a body that is not an Update
gets 400. The update is answered before the 200, so a failure makes Telegram redeliver, and
the engine answers a redelivered update_id once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI, Request, Response
from telegram.error import TelegramError

from bots.channels.telegram import NotYetKnown, TelegramChannel, is_loopback
from bots.engine import Engine
from community.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/webhooks/telegram"
MAX_BODY_BYTES = 1_000_000
RETRY_AFTER = "30"  # seconds: a group message that could not be told apart yet

_USER = {
    "type": "object",
    "required": ["id", "is_bot", "first_name"],
    "properties": {
        "id": {"type": "integer"},
        "is_bot": {"type": "boolean"},
        "first_name": {"type": "string"},
        "language_code": {"type": "string"},
    },
}
_MESSAGE = {
    "type": "object",
    "required": ["message_id", "date", "chat"],
    "properties": {
        "message_id": {"type": "integer"},
        "date": {"type": "integer"},
        "chat": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"type": "integer"},
                "type": {"enum": ["private", "group", "supergroup", "channel"]},
            },
        },
        "from": _USER,
        "text": {"type": "string"},
    },
}
# What the webhook reads of Telegram's Update (https://core.telegram.org/bots/api#update), for
# the API description and the fuzz tests; the channel parses it with python-telegram-bot.
UPDATE_SCHEMA = {
    "type": "object",
    "required": ["update_id"],
    "properties": {
        "update_id": {"type": "integer"},
        "message": _MESSAGE,
        "callback_query": {
            "type": "object",
            "required": ["id", "from", "chat_instance"],
            "properties": {
                "id": {"type": "string"},
                "from": _USER,
                "chat_instance": {"type": "string"},
                "data": {"type": "string"},
                "message": _MESSAGE,
            },
        },
    },
}


def _header(name: str) -> dict[str, object]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}


def secret_ok(settings: Settings, given: str | None) -> bool:
    expected = settings.telegram_webhook_secret
    if expected is None or not expected.get_secret_value() or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


async def announce(channel: TelegramChannel, settings: Settings) -> None:
    """On start: the command menu, and the webhook itself when we have a public HTTPS
    address (Telegram delivers only to HTTPS)."""
    try:
        await channel.start()
        await channel.set_commands()
        url = f"{settings.public_url.rstrip('/')}{PATH}"
        if url.startswith("https://") and not is_loopback(url) and settings.telegram_webhook_secret:
            await channel.bot.set_webhook(
                url,
                secret_token=settings.telegram_webhook_secret.get_secret_value(),
                allowed_updates=["message", "callback_query"],
            )
    except TelegramError as error:
        log.warning("telegram: could not set commands or webhook: %s", error.message)


def build_telegram_router(settings: Settings, engine: Engine) -> APIRouter:
    """The webhook, with one Telegram bot for the app's life."""
    channel = TelegramChannel(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(announce(channel, settings))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await channel.close()

    router = APIRouter(lifespan=lifespan)

    @router.post(
        PATH,
        openapi_extra={
            "requestBody": {"content": {"application/json": {"schema": UPDATE_SCHEMA}}},
            "parameters": [
                {
                    "name": SECRET_HEADER,
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
        },
        responses={
            400: {"description": "not an Update"},
            403: {"description": "wrong secret"},
            503: {"description": "a group message while the Bot API is unreachable: again later"},
        },
    )
    async def webhook(request: Request) -> Response:
        """An update from Telegram; answered before the 200 (see the module's docstring)."""
        if not secret_ok(settings, request.headers.get(SECRET_HEADER)):
            return Response(status_code=403)
        body = await request.body()
        try:
            if len(body) > MAX_BODY_BYTES:
                raise ValueError("too large")
            update = channel.parse(json.loads(body))
        except (ValueError, RecursionError):
            return Response(status_code=400)
        try:
            await channel.answer(engine, update)
        except NotYetKnown:
            # Telegram delivers it again later
            return Response(status_code=503, headers={"Retry-After": RETRY_AFTER})
        except TelegramError as error:
            # Telegram refused our answer (e.g. the member blocked the bot): nothing to retry.
            log.warning("telegram: update %s answer refused: %s", update.update_id, error.message)
        return Response(status_code=200)

    return router
