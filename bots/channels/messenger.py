"""The Messenger Platform channel: webhook events in, Send API messages out.

Converts and nothing else: Meta's `entry[].messaging[]` events become `Incoming`s, a `Reply`
becomes Send API messages (text split at 2,000 characters, buttons as quick replies, the
image as an attachment). `MessengerPush` writes first (notifications, broadcasts).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import replace
from typing import Any

import httpx

from bots.channels.base import (
    OutputChannel,
    RateLimit,
    SendOutcome,
    all_buttons,
    reply_as_text,
)
from bots.messages import Incoming, Reply
from community.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "messenger"
MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20
MAX_PAYLOAD = 1000
DEFAULT_RETRY_AFTER = 60.0
RATE_LIMITED_CODES = frozenset({613})
UNREACHABLE_CODES = frozenset({551, 10})  # "This person isn't available right now"; permission

SendMessage = dict[str, Any]  # the Send API's `message` object


class MalformedWebhook(ValueError):
    """The body is not a Messenger webhook; answered with 400."""


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>` is the HMAC-SHA256 of the raw body under the app
    secret; compared in constant time so the signature cannot be guessed byte by byte."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


# ---- in: webhook events -> Incoming -----------------------------------------------------------


def incomings_from_webhook(body: object) -> list[Incoming]:
    """Every member message and postback in a webhook body, in order; echoes of our own
    messages and delivery/read receipts are skipped."""
    if not isinstance(body, dict) or not isinstance(body.get("entry", []), list):
        raise MalformedWebhook("not a webhook body")
    if body.get("object") != "page":
        return []
    incomings = []
    for entry in body.get("entry", []):
        events = entry.get("messaging", []) if isinstance(entry, dict) else None
        if not isinstance(events, list):
            raise MalformedWebhook("entry without a messaging list")
        for event in events:
            incoming = incoming_from_event(event)
            if incoming is not None:
                incomings.append(incoming)
    return incomings


def incoming_from_event(event: object) -> Incoming | None:
    """One `messaging` event as an Incoming; the message id (mid) is the update id, so a
    redelivered event is answered once."""
    if not isinstance(event, dict):
        raise MalformedWebhook("a messaging event is not an object")
    sender = event.get("sender")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), str | int):
        raise MalformedWebhook("event without sender.id")
    user_id = str(sender["id"])
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        quick_reply = message.get("quick_reply")
        payload = quick_reply.get("payload") if isinstance(quick_reply, dict) else None
        return Incoming(
            platform=PLATFORM,
            user_id=user_id,
            text=None if payload else _string(message.get("text")),
            payload=_string(payload),
            update_id=_string(message.get("mid")),
        )
    if isinstance(postback, dict):
        mid = postback.get("mid") or f"postback:{user_id}:{event.get('timestamp', '')}"
        return Incoming(
            platform=PLATFORM,
            user_id=user_id,
            payload=_string(postback.get("payload")),
            update_id=str(mid),
        )
    return None  # delivery, read, reaction, referral...: nothing to answer


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


# ---- out: Reply -> Send API messages ----------------------------------------------------------


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Text in pieces of at most `limit` characters, cut at a line break or space if any."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    if text:
        pieces.append(text)
    return pieces


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quick_replies(reply: Reply) -> list[dict[str, str]]:
    """The reply's buttons as quick replies (Messenger shows at most 13)."""
    if len(reply.buttons) > MAX_QUICK_REPLIES:
        log.warning("%d buttons, Messenger shows %d", len(reply.buttons), MAX_QUICK_REPLIES)
    return [
        {
            "content_type": "text",
            "title": _clip(button.label or button.payload, MAX_TITLE),
            "payload": button.payload[:MAX_PAYLOAD],
        }
        for button in reply.buttons[:MAX_QUICK_REPLIES]
    ]


def messages_from_reply(reply: Reply) -> list[SendMessage]:
    """Send API `message` objects for one reply: its text (cards, links and a file as text
    lines), then its image; the quick replies (the cards' buttons too) ride on the last one."""
    text = reply_as_text(replace(reply, buttons=(), image=None))
    reply = replace(reply, buttons=all_buttons(reply))  # a card's buttons as quick replies
    messages: list[SendMessage] = [{"text": piece} for piece in split_text(text)]
    if reply.image and reply.image.startswith(("https://", "http://")):
        image = {"type": "image", "payload": {"url": reply.image, "is_reusable": True}}
        messages.append({"attachment": image})
    if reply.buttons:
        if not messages:
            messages.append({"text": "…"})  # quick replies need a message to hang on
        messages[-1]["quick_replies"] = quick_replies(reply)
    return messages


def outcome_from_response(response: httpx.Response) -> SendOutcome:
    """What the Send API said, as a SendOutcome: rate limits wait, a gone member is
    unreachable, anything else is an error."""
    if response.is_success:
        return SendOutcome(delivered=True)
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message") or response.text[:200]) if isinstance(error, dict) else ""
    if response.status_code == 429 or code in RATE_LIMITED_CODES:
        return SendOutcome(delivered=False, retry_after=_retry_after(response), error=message)
    if code in UNREACHABLE_CODES:
        return SendOutcome(delivered=False, unreachable=True, error=message)
    return SendOutcome(delivered=False, error=f"HTTP {response.status_code}: {message}")


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("retry-after", "")), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


class SendApi:
    """`POST {api_base}/me/messages` with the page token; one HTTP client for every call."""

    def __init__(
        self, api_base: str, page_token: str, *, client: httpx.AsyncClient | None = None
    ) -> None:
        self.url = f"{api_base.rstrip('/')}/me/messages"
        self.page_token = page_token
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    @classmethod
    def from_settings(
        cls, settings: Settings, *, client: httpx.AsyncClient | None = None
    ) -> SendApi:
        token = settings.messenger_page_token
        secret = token.get_secret_value() if token else ""
        return cls(settings.messenger_api_base, secret, client=client)

    async def send(
        self, recipient_id: str, reply: Reply, *, messaging_type: str, tag: str | None = None
    ) -> SendOutcome:
        """Every message of the reply in order; stops at the first the platform refuses."""
        outcome = SendOutcome(delivered=True)
        for message in messages_from_reply(reply):
            body: dict[str, Any] = {
                "recipient": {"id": recipient_id},
                "messaging_type": messaging_type,
                "message": message,
            }
            if tag:
                body["tag"] = tag
            try:
                response = await self.client.post(
                    self.url, params={"access_token": self.page_token}, json=body
                )
            except httpx.HTTPError as error:
                return SendOutcome(delivered=False, error=f"{type(error).__name__}: {error}")
            outcome = outcome_from_response(response)
            if not outcome.delivered:
                return outcome
        return outcome

    async def aclose(self) -> None:
        await self.client.aclose()


class MessengerOutput(OutputChannel):
    """Answers inside a conversation (messaging_type RESPONSE)."""

    name = PLATFORM

    def __init__(self, api: SendApi) -> None:
        self.api = api

    async def send_text(self, recipient_id: str, text: str) -> None:
        await self.send_reply(recipient_id, Reply(text=text))

    async def send_reply(self, recipient_id: str, reply: Reply) -> None:
        await self.deliver(recipient_id, reply)

    async def deliver(self, recipient_id: str, reply: Reply) -> SendOutcome:
        """Send, and say what the platform answered (the webhook keeps a refused reply)."""
        outcome = await self.api.send(recipient_id, reply, messaging_type="RESPONSE")
        if not outcome.delivered:
            log.warning("Messenger reply not delivered: %s", outcome.error)
        return outcome


class MessengerPush:
    """Writes first (notifications, broadcasts) as a tagged message.

    We do not track the 24-hour window, so every push is `MESSAGE_TAG` with `ACCOUNT_UPDATE`
    by default, which Meta accepts in and outside the window; `tag=None` sends
    `messaging_type: "UPDATE"` instead (only inside the window)."""

    platform = PLATFORM
    rate = RateLimit(per_second=40, per_chat_per_second=1)

    def __init__(
        self,
        settings: Settings,
        *,
        tag: str | None = "ACCOUNT_UPDATE",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.api = SendApi.from_settings(settings, client=client)
        self.tag = tag

    async def push(self, recipient_id: str, reply: Reply) -> SendOutcome:
        if self.tag:
            return await self.api.send(
                recipient_id, reply, messaging_type="MESSAGE_TAG", tag=self.tag
            )
        return await self.api.send(recipient_id, reply, messaging_type="UPDATE")

    async def aclose(self) -> None:
        await self.api.aclose()
