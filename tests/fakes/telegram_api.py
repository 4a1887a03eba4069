"""A local Telegram Bot API server for tests and benchmarks.

It speaks the documented Bot API (https://core.telegram.org/bots/api): `POST /bot<token>/<method>`
with a JSON, urlencoded or multipart body, answered `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ...}` with the same HTTP status. It is fed
real update payloads shaped as in Telegram's documentation (see the `*_update` builders below),
records every call, and can refuse like the real server: a chat that blocked the bot (403),
"Too Many Requests: retry after N" (429), and, when asked, the real rate limits, so a sender
that ignores them is caught.

    fake = FakeTelegram.start(token="123:abc", bot_username="alytus_bot")
    settings = Settings(telegram_token="123:abc", telegram_api_base=fake.base_url)
    ...
    assert fake.sent("sendMessage", chat_id=42)
    fake.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

# Parameters the Bot API takes as JSON-serialized objects inside form bodies.
JSON_PARAMS = {
    "reply_markup",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "media",
}
INT_PARAMS = {"offset", "limit", "timeout", "message_id", "cache_time", "max_connections"}
# Methods that put a message in a chat: the ones Telegram's rate limits count.
SENDING = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendAnimation",
    "sendVideo",
    "sendAudio",
    "sendVoice",
    "sendMediaGroup",
    "sendLocation",
    "sendContact",
    "copyMessage",
    "forwardMessage",
}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


@dataclass(frozen=True)
class Call:
    """One request the fake received (also the refused ones; see `status`)."""

    method: str
    chat_id: str | None
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived
    status: int = 200


class ApiError(Exception):
    """A documented Bot API refusal: error_code, description, optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class _Fault:
    code: int
    description: str
    retry_after: int | None
    remaining: int
    method: str | None


@dataclass
class _Limits:
    per_second: float
    per_chat_per_second: float
    slack: float  # seconds of timing jitter forgiven between two messages to one chat
    tokens: float = 0.0
    refilled: float = field(default_factory=time.monotonic)
    last_to_chat: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tokens = self.per_second

    def admit(self, chat_id: str | None, now: float) -> int | None:
        """None when the message may go; else the seconds to wait (as Telegram says it)."""
        self.tokens = min(self.per_second, self.tokens + (now - self.refilled) * self.per_second)
        self.refilled = now
        if chat_id is not None:
            last = self.last_to_chat.get(chat_id)
            if last is not None and now - last < 1 / self.per_chat_per_second - self.slack:
                return 1
        if self.tokens < 1 - 1e-6:  # the bucket (a second's worth) absorbs pacing jitter
            return 1
        self.tokens -= 1
        if chat_id is not None:
            self.last_to_chat[chat_id] = now
        return None


class FakeTelegram:
    """The Bot API on 127.0.0.1, in a background thread with its own event loop."""

    def __init__(self, *, token: str | None = None, bot_username: str = "alytus_test_bot") -> None:
        self.token = token  # None: any token is accepted
        self.bot_id = 7000000001
        self.bot_username = bot_username
        self.calls: list[Call] = []
        self.webhook_url = ""
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope type, language) -> list
        self._blocked: dict[str, str] = {}
        self._faults: list[_Fault] = []
        self._limits: _Limits | None = None
        self._updates: deque[dict] = deque()
        self._next_update_id = 100000001
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def start(cls, **kwargs: Any) -> FakeTelegram:
        """A running fake on a free port; `base_url` is what ALYTUS_TELEGRAM_API_BASE takes."""
        fake = cls(**kwargs)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            fake.port = probe.getsockname()[1]
        ready = threading.Event()
        fake._thread = threading.Thread(target=fake._serve, args=(ready,), daemon=True)
        fake._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return fake

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._loop is None:
            return
        self._stopping = True  # a long poll in flight returns now, so shutdown need not wait
        if self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)  # type: ignore[union-attr]
        future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=1024)
        loop.run_until_complete(site.start())
        ready.set()
        loop.run_forever()
        loop.close()

    # ---- what tests tell it ------------------------------------------------------------------

    def block(self, chat_id: int | str, description: str = "bot was blocked by the user") -> None:
        """Refuse every message to this chat with 403 Forbidden (e.g. "user is deactivated")."""
        self._blocked[str(chat_id)] = f"Forbidden: {description}"

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.pop(str(chat_id), None)

    def throttle(self, retry_after: int = 3, times: int = 1, method: str | None = None) -> None:
        """Answer the next `times` sending calls (or calls of `method`) with 429 retry_after."""
        self.fail(429, f"Too Many Requests: retry after {retry_after}", retry_after, times, method)

    def fail(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next `times` matching calls with this error."""
        self._faults.append(_Fault(code, description, retry_after, times, method))

    def enforce_limits(
        self, per_second: float = 30, per_chat_per_second: float = 1, slack: float = 0.02
    ) -> None:
        """Answer 429 like the real server when messages go faster than these rates."""
        self._limits = _Limits(per_second, per_chat_per_second, slack)

    def push_update(self, update: dict) -> dict:
        """Queue an update for getUpdates; an update without update_id gets the next one."""
        with self._lock:
            update = dict(update)
            update.setdefault("update_id", self._next_update_id)
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            self._updates.append(update)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    def reset(self) -> None:
        """Forget calls, faults, blocks and limits (one fake shared by several tests)."""
        self.calls.clear()
        self._faults.clear()
        self._blocked.clear()
        self._limits = None

    # ---- what tests read ---------------------------------------------------------------------

    def sent(
        self, method: str | None = None, chat_id: int | str | None = None, ok_only: bool = True
    ) -> list[Call]:
        """Calls of `method` (default: any sending method) to `chat_id`, accepted ones only."""
        return [
            call
            for call in list(self.calls)
            if (call.method == method if method else call.method in SENDING)
            and (chat_id is None or call.chat_id == str(chat_id))
            and (call.status == 200 or not ok_only)
        ]

    def wait_for(
        self,
        method: str | None = None,
        count: int = 1,
        chat_id: int | str | None = None,
        timeout: float = 10,
    ) -> list[Call]:
        """Block until `count` such calls arrived (for servers running in another process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method, chat_id)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"{count} x {method or 'send'} not received: {self.calls!r}")

    # ---- the API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        chat_id = params.get("chat_id")
        chat = str(chat_id) if chat_id is not None else None
        now = time.monotonic()
        try:
            if self.token is not None and request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            result = await self._answer(method, params, chat, now)
        except ApiError as refusal:
            self.calls.append(Call(method, chat, params, now, refusal.code))
            body: dict[str, Any] = {
                "ok": False,
                "error_code": refusal.code,
                "description": refusal.description,
            }
            if refusal.parameters:
                body["parameters"] = refusal.parameters
            return web.json_response(body, status=refusal.code)
        self.calls.append(Call(method, chat, params, now))
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict, chat: str | None, now: float) -> Any:
        handler = self._methods().get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        self._fault_for(method)
        if method in SENDING:
            if chat is None:
                raise ApiError(400, "Bad Request: chat_id is empty")
            if chat in self._blocked:
                raise ApiError(403, self._blocked[chat])
            _check_markup(params.get("reply_markup"))
            if self._limits is not None:
                wait = self._limits.admit(chat, now)
                if wait is not None:
                    raise _too_many(wait)
        return await handler(params, chat)

    def _fault_for(self, method: str) -> None:
        for fault in self._faults:
            applies = fault.method == method if fault.method else method in SENDING
            if applies and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                raise ApiError(fault.code, fault.description, extra)

    def _methods(self) -> dict[str, Callable[[dict, str | None], Any]]:
        return {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageReplyMarkup": self._edit_markup,
            "editMessageText": self._edit_markup,
            "answerCallbackQuery": self._true,
            "sendChatAction": self._true,
            "setMyCommands": self._set_commands,
            "getMyCommands": self._get_commands,
            "deleteMyCommands": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "getUpdates": self._get_updates,
            "logOut": self._true,
            "close": self._true,
        }

    async def _true(self, params: dict, chat: str | None) -> bool:
        return True

    async def _get_me(self, params: dict, chat: str | None) -> dict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _bot_user(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Alytus Connect",
            "username": self.bot_username,
        }

    def _message(self, chat: str | None, **content: Any) -> dict:
        chat_id = int(chat) if chat and chat.lstrip("-").isdigit() else chat
        kind = "private" if isinstance(chat_id, int) and chat_id > 0 else "group"
        return {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "chat": {"id": chat_id, "type": kind},
            "date": int(time.time()),
            **content,
        }

    async def _send_message(self, params: dict, chat: str | None) -> dict:
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        if params.get("parse_mode") == "HTML" and text.count("<") != text.count(">"):
            raise ApiError(400, "Bad Request: can't parse entities: unclosed tag")
        extra = {"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}
        return self._message(chat, text=text, **extra)

    async def _send_photo(self, params: dict, chat: str | None) -> dict:
        photo = params.get("photo")
        if isinstance(photo, str) and urlsplit(photo).hostname in LOOPBACK_HOSTS:
            # Telegram's servers fetch photo URLs themselves; they cannot reach our loopback.
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        if not photo:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        size = {"file_id": "AgAD-photo", "file_unique_id": "photo1", "width": 800, "height": 600}
        caption = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(chat, photo=[size], **caption)

    async def _send_document(self, params: dict, chat: str | None) -> dict:
        document = params.get("document")
        if not document:
            raise ApiError(400, "Bad Request: there is no document in the request")
        name = document.get("filename") if isinstance(document, dict) else "file"
        return self._message(
            chat,
            document={"file_id": "BQAD-doc", "file_unique_id": "doc1", "file_name": name},
        )

    async def _edit_markup(self, params: dict, chat: str | None) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        return self._message(chat, text="", reply_markup=params.get("reply_markup"))

    async def _set_commands(self, params: dict, chat: str | None) -> bool:
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code") or "")] = list(
            params.get("commands") or []
        )
        return True

    async def _get_commands(self, params: dict, chat: str | None) -> list[dict]:
        scope = (params.get("scope") or {}).get("type", "default")
        return self.commands.get((scope, params.get("language_code") or ""), [])

    async def _set_webhook(self, params: dict, chat: str | None) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook_url = url
        return True

    async def _delete_webhook(self, params: dict, chat: str | None) -> bool:
        self.webhook_url = ""
        if str(params.get("drop_pending_updates")).lower() == "true":
            with self._lock:
                self._updates.clear()
        return True

    async def _webhook_info(self, params: dict, chat: str | None) -> dict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: dict, chat: str | None) -> list[dict]:
        """Updates from `offset` on; those below it are confirmed and forgotten. With nothing
        to give, waits up to `timeout` seconds for one (long polling)."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                while offset and self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
            left = deadline - time.monotonic()
            if ready or left <= 0 or self._stopping:
                return ready
            assert self._new_update is not None
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), left)
            except TimeoutError:
                pass


def _too_many(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def _check_markup(markup: Any) -> None:
    """Refuse what Telegram refuses in inline keyboards (callback_data is 1-64 bytes)."""
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: inline keyboard button text is empty")


async def _read_params(request: web.Request) -> dict[str, Any]:
    """JSON, urlencoded or multipart parameters; files come back as {filename, content}."""
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params: dict[str, Any] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": content,
                }
            else:
                params[name] = _decode(name, value)
        # A file sent as attach://name stands where it is referenced.
        for name, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[name] = params.get(value.removeprefix("attach://"), value)
        return params
    return dict(request.query)


def _decode(name: str, value: str) -> Any:
    if name in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in INT_PARAMS and value.lstrip("-").isdigit():
        return int(value)
    return value


# ---- update payloads, shaped as in Telegram's documentation -------------------------------------

_update_ids = itertools.count(10000)
_message_ids = itertools.count(1)


def _user(user_id: int, language_code: str | None, first_name: str = "Rūta") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": first_name, "username": f"u{user_id}"}
    if language_code:
        user["language_code"] = language_code
    return user


def private_text_update(
    user_id: int, text: str, *, language_code: str | None = "lt", update_id: int | None = None
) -> dict:
    """A private chat text message (the Bot API's Update with `message`); commands carry a
    bot_command entity as Telegram adds one."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": _user(user_id, language_code),
        "chat": {"id": user_id, "first_name": "Rūta", "username": f"u{user_id}", "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def callback_query_update(
    user_id: int,
    data: str,
    *,
    bot_id: int = 7000000001,
    language_code: str | None = "lt",
    update_id: int | None = None,
) -> dict:
    """An inline keyboard button press (Update with `callback_query`) on a bot message."""
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": str(438200000000 + next(_message_ids)),
            "from": _user(user_id, language_code),
            "message": {
                "message_id": next(_message_ids),
                "from": {"id": bot_id, "is_bot": True, "first_name": "Alytus Connect"},
                "chat": {"id": user_id, "type": "private", "first_name": "Rūta"},
                "date": int(time.time()),
                "text": "…",
            },
            "chat_instance": "-5417712345678901234",
            "data": data,
        },
    }


def group_text_update(
    user_id: int,
    text: str,
    *,
    chat_id: int = -1001234567890,
    language_code: str | None = "en",
    reply_to_bot: dict | None = None,
    update_id: int | None = None,
) -> dict:
    """A message in a supergroup; an "@bot" mention or a /command@bot gets its entity, and
    `reply_to_bot` (the bot's user) makes it a reply to one of the bot's messages."""
    entities = []
    for word in text.split():
        start = text.index(word)
        if word.startswith("/") and start == 0:
            entities.append({"offset": 0, "length": len(word), "type": "bot_command"})
        elif word.startswith("@"):
            entities.append({"offset": start, "length": len(word), "type": "mention"})
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": _user(user_id, language_code, "Jonas"),
        "chat": {"id": chat_id, "title": "Alytiškiai pasaulyje", "type": "supergroup"},
        "date": int(time.time()),
        "text": text,
    }
    if entities:
        message["entities"] = entities
    if reply_to_bot:
        message["reply_to_message"] = {
            "message_id": next(_message_ids),
            "from": reply_to_bot,
            "chat": message["chat"],
            "date": int(time.time()) - 60,
            "text": "…",
        }
    return {"update_id": update_id or next(_update_ids), "message": message}
