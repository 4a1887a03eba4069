"""Writing to a Discord member first (notifications, broadcasts) over plain REST, no gateway.

Opens the member's DM channel, then posts the message. Discord's refusals come back as a
SendOutcome: 429 says how long to wait; a member who blocked the bot, left every shared
server or closed their DMs (codes 50007, 50278, unknown user) is unreachable there.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bots.channels.base import RateLimit, SendOutcome
from bots.channels.discord_render import DiscordMessage, render
from bots.messages import Reply
from community.settings import Settings

DISCORD_API = "https://discord.com/api/v10"
UNREACHABLE_CODES = {
    50007,  # Cannot send messages to this user
    50278,  # Cannot send messages to this user due to having no mutual guilds
    10013,  # Unknown User
}


class DiscordRefused(Exception):
    """Discord answered a request with an error; carries what the outcome needs."""

    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


class DiscordPush:
    """The Discord side of the delivery worker and broadcasts (a PushChannel)."""

    platform = "discord"
    # Discord's documented global limit is 50 requests a second; keep a margin for the
    # gateway process sharing the token. One DM a second to one member.
    rate = RateLimit(per_second=45, per_chat_per_second=1)

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        if settings.discord_token is None:
            raise ValueError("ALYTUS_DISCORD_TOKEN is not set")
        self.client = client or httpx.AsyncClient(
            base_url=(settings.discord_api_base or DISCORD_API).rstrip("/"),
            headers={"Authorization": f"Bot {settings.discord_token.get_secret_value()}"},
            timeout=httpx.Timeout(10.0),
        )
        # Opening a DM channel returns the same channel every time; remembering it halves
        # the requests a broadcast makes. Losing this cache costs one request, nothing else.
        self.dm_channels: dict[str, str] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def push(self, recipient_id: str, reply: Reply) -> SendOutcome:
        """Send one reply to a Discord user's DMs; never raises for Discord's refusals."""
        try:
            channel_id = await self._dm_channel(recipient_id)
            for message in render(reply):
                await self._post(f"/channels/{channel_id}/messages", message)
        except DiscordRefused as refused:
            if refused.outcome.unreachable:
                self.dm_channels.pop(recipient_id, None)
            return refused.outcome
        except httpx.HTTPError as error:
            return SendOutcome(delivered=False, error=f"discord: {error!r}")
        return SendOutcome(delivered=True)

    async def _dm_channel(self, recipient_id: str) -> str:
        known = self.dm_channels.get(recipient_id)
        if known is not None:
            return known
        response = await self.client.post(
            "/users/@me/channels", json={"recipient_id": recipient_id}
        )
        channel_id = str(_checked(response)["id"])
        self.dm_channels[recipient_id] = channel_id
        return channel_id

    async def _post(self, path: str, message: DiscordMessage) -> None:
        body = message.to_json()
        if message.file is None:
            response = await self.client.post(path, json=body)
        else:
            files = {
                "files[0]": (message.file.name, message.file.content.encode(), message.file.mime)
            }
            response = await self.client.post(
                path, data={"payload_json": json.dumps(body)}, files=files
            )
        _checked(response)


def _checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a success; a DiscordRefused with the right outcome otherwise."""
    body = _json(response)
    if response.is_success:
        return body
    if response.status_code == 429:
        retry_after = body.get("retry_after", response.headers.get("Retry-After"))
        wait = float(retry_after) if retry_after is not None else 1.0
        raise DiscordRefused(SendOutcome(delivered=False, retry_after=wait, error="discord 429"))
    code = body.get("code")
    error = f"discord {response.status_code} {code}: {body.get('message', response.text[:200])}"
    unreachable = code in UNREACHABLE_CODES
    raise DiscordRefused(SendOutcome(delivered=False, unreachable=unreachable, error=error))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
