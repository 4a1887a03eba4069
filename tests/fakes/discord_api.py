"""A local Discord for tests: it speaks the documented HTTP API (v10) and Gateway on
127.0.0.1 and is fed real payloads shaped as in Discord's documentation.

REST: GET /gateway/bot, GET /users/@me, GET /oauth2/applications/@me, POST /users/@me/channels,
POST /channels/{id}/messages, GET /guilds/{g}/members/{u}, PUT/DELETE
/guilds/{g}/members/{u}/roles/{r}, PUT /applications/{app}/commands,
POST /interactions/{id}/{token}/callback, PATCH /webhooks/{app}/{token}/messages/@original,
POST /webhooks/{app}/{token} (followups). Every call is recorded (`calls`, `wait_for`), and
`fail` makes the next matching calls answer as Discord does when it refuses (429 with
retry_after, 403 code 50007...).

Gateway (/gateway): op 10 HELLO, op 2 IDENTIFY answered by a READY dispatch, op 1 heartbeats
answered by op 11, zlib-stream or zstd-stream compression when the client asks for it, and
`dispatch(event, data)` to send events (INTERACTION_CREATE, MESSAGE_CREATE) as Discord would.
The payload builders below (`user`, `dm_message`, `command_interaction`,
`component_interaction`) follow the examples of the documentation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
_sequence = itertools.count(1)


def snowflake() -> str:
    """A fresh id shaped like Discord's (milliseconds since 2015 in the top bits)."""
    milliseconds = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((milliseconds << 22) | (next(_sequence) & 0x3FFFFF))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: str, username: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object (https://discord.com/developers/docs/resources/user#user-object)."""
    return {
        "id": user_id,
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "mfa_enabled": False,
        "banner": None,
        "accent_color": None,
        "locale": "lt",
        "flags": 0,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }


def dm_channel(channel_id: str, recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


def message(
    *,
    channel_id: str,
    author: dict[str, Any],
    content: str,
    components: list[Any] | None = None,
    embeds: list[Any] | None = None,
    attachments: list[Any] | None = None,
    flags: int = 0,
    guild_id: str | None = None,
    mentions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A message object (https://discord.com/developers/docs/resources/message)."""
    data: dict[str, Any] = {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
    return data


def dm_message(author: dict[str, Any], content: str, *, channel_id: str) -> dict[str, Any]:
    """The MESSAGE_CREATE dispatch of a direct message to the bot."""
    return {**message(channel_id=channel_id, author=author, content=content), "channel_type": 1}


def _interaction(
    kind: int,
    data: dict[str, Any],
    *,
    application_id: str,
    author: dict[str, Any],
    locale: str,
    channel_id: str,
    guild_id: str | None,
) -> dict[str, Any]:
    """The shared part of an interaction object
    (https://discord.com/developers/docs/interactions/receiving-and-responding)."""
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": application_id,
        "type": kind,
        "data": data,
        "channel_id": channel_id,
        "token": f"aW50ZXJhY3Rpb246{snowflake()}",
        "version": 1,
        "locale": locale,
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "attachment_size_limit": 10485760,
    }
    if guild_id is None:
        payload["user"] = author
        payload["channel"] = dm_channel(channel_id, author)
        payload["context"] = 1  # BOT_DM
        payload["authorizing_integration_owners"] = {"0": guild_id or "0"}
    else:
        payload["guild_id"] = guild_id
        payload["guild"] = {"id": guild_id, "locale": "lt", "features": []}
        payload["guild_locale"] = "lt"
        payload["context"] = 0  # GUILD
        payload["authorizing_integration_owners"] = {"0": guild_id}
        payload["member"] = {
            "user": author,
            "roles": [],
            "premium_since": None,
            "permissions": "2248473465835073",
            "pending": False,
            "nick": None,
            "mute": False,
            "joined_at": now_iso(),
            "flags": 0,
            "deaf": False,
            "communication_disabled_until": None,
            "avatar": None,
        }
        payload["channel"] = {
            "id": channel_id,
            "type": 0,
            "guild_id": guild_id,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
            "permissions": "2248473465835073",
        }
    return payload


def command_interaction(
    name: str,
    author: dict[str, Any],
    *,
    application_id: str,
    channel_id: str,
    options: dict[str, str] | None = None,
    locale: str = "lt",
    guild_id: str | None = None,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction (type 2) for a chat-input command."""
    data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1}
    if options:
        data["options"] = [
            {"name": key, "type": 3, "value": value} for key, value in options.items()
        ]
    return _interaction(
        2,
        data,
        application_id=application_id,
        author=author,
        locale=locale,
        channel_id=channel_id,
        guild_id=guild_id,
    )


def component_interaction(
    custom_id: str,
    author: dict[str, Any],
    *,
    application_id: str,
    channel_id: str,
    on_message: dict[str, Any],
    locale: str = "lt",
    guild_id: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction (type 3): a button (component_type 2) was pressed."""
    payload = _interaction(
        3,
        {"custom_id": custom_id, "component_type": 2},
        application_id=application_id,
        author=author,
        locale=locale,
        channel_id=channel_id,
        guild_id=guild_id,
    )
    payload["message"] = on_message
    return payload


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with Discord's exact content type (discord.py compares it as a whole string)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


@dataclass
class Call:
    """One REST request the fake received."""

    method: str
    path: str  # without the /api/v10 prefix
    json: Any = None
    query: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


class _Session:
    """One gateway connection, with its compression stream."""

    def __init__(self, socket: web.WebSocketResponse, compress: str | None) -> None:
        self.socket = socket
        self.compress = compress
        self.zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self.zstd = None
        if compress == "zstd-stream":
            import zstandard

            self.zstd = zstandard.ZstdCompressor().compressobj()

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        if self.zlib is not None:
            await self.socket.send_bytes(
                self.zlib.compress(raw) + self.zlib.flush(zlib.Z_SYNC_FLUSH)
            )
        elif self.zstd is not None:
            import zstandard

            chunk = self.zstd.compress(raw) + self.zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            await self.socket.send_bytes(chunk)
        else:
            await self.socket.send_str(raw.decode())


class FakeDiscord:
    """Discord's API and Gateway on 127.0.0.1; use `async with FakeDiscord() as discord:`."""

    def __init__(self, *, heartbeat_interval_ms: int = 41250) -> None:
        self.application_id = snowflake()
        self.bot = user(self.application_id, "AlytusConnect", bot=True)
        self.guild_id = snowflake()
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.guild_members: dict[str, set[str]] = {}  # user id -> role ids in the guild
        self.commands: list[dict[str, Any]] = []
        self.identified = asyncio.Event()
        self.identify: dict[str, Any] | None = None
        self.heartbeats = 0
        self._sessions: list[_Session] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for session in self._sessions:
            await session.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use ----------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls matching method and path (a regex) with an error."""
        self.failures.append(Failure(method, re.compile(path), status, body, headers or {}, times))

    def calls_to(self, method: str, path: str) -> list[Call]:
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    async def wait_for(
        self, method: str, path: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """Wait until `count` calls matching method and path (a regex) have arrived."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found := self.calls_to(method, path)) < count:
            if asyncio.get_running_loop().time() > deadline:
                seen = [(c.method, c.path) for c in self.calls]
                raise AssertionError(f"no {count} x {method} {path} in {seen}")
            await asyncio.sleep(0.01)
        return found

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (op 0) to every connected client."""
        self._seq += 1
        for session in self._sessions:
            await session.send({"op": 0, "t": event, "s": self._seq, "d": data})

    # --- Gateway -----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        session = _Session(socket, request.query.get("compress"))
        self._sessions.append(session)
        await session.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                "s": None,
                "t": None,
            }
        )
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    continue
                await self._gateway_op(session, json.loads(frame.data))
        finally:
            self._sessions.remove(session)
        return socket

    async def _gateway_op(self, session: _Session, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        if op == 1:
            self.heartbeats += 1
            await session.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            self.identify = payload["d"]
            self._seq += 1
            await session.send({"op": 0, "t": "READY", "s": self._seq, "d": self._ready()})
            self.identified.set()
        elif op == 6:  # RESUME: this fake keeps no sessions, so start afresh
            await session.send({"op": 9, "d": False, "s": None, "t": None})

    def _ready(self) -> dict[str, Any]:
        """The READY event (https://discord.com/developers/docs/events/gateway-events#ready)."""
        return {
            "v": 10,
            "user": {**self.bot, "verified": True, "email": None},
            "guilds": [],
            "session_id": snowflake(),
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
            "shard": [0, 1],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "session_type": "normal",
            "auth_session_id_hash": "",
        }

    # --- REST --------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        call = Call(request.method, path, query=dict(request.query), headers=dict(request.headers))
        await self._read_body(request, call)
        self.calls.append(call)
        failure = self._failure(call)
        if failure is not None:
            return json_response(failure.body, status=failure.status, headers=failure.headers)
        # Interaction callbacks and webhooks are authorised by the token in their path.
        by_token = path.startswith(("/interactions/", "/webhooks/"))
        if not by_token and request.headers.get("Authorization", "").split(" ")[0] != "Bot":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return self._answer(call)

    async def _read_body(self, request: web.Request, call: Call) -> None:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    call.json = json.loads(str(value))
                elif hasattr(value, "file"):
                    call.files[name] = value.file.read()
        elif request.can_read_body:
            text = await request.text()
            call.json = json.loads(text) if text else None

    def _failure(self, call: Call) -> Failure | None:
        for failure in self.failures:
            if failure.method == call.method and failure.path.fullmatch(call.path):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def _answer(self, call: Call) -> web.Response:
        method, path, body = call.method, call.path, call.json or {}
        if (method, path) == ("GET", "/gateway/bot"):
            return json_response(
                {
                    "url": f"ws://127.0.0.1:{self.port}/gateway",
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 14400000,
                        "max_concurrency": 1,
                    },
                }
            )
        if (method, path) == ("GET", "/users/@me"):
            return json_response(self.bot)
        if (method, path) == ("GET", "/oauth2/applications/@me"):
            return json_response(self._application())
        if (method, path) == ("POST", "/users/@me/channels"):
            recipient = user(str(body["recipient_id"]), "member")
            return json_response(dm_channel(snowflake(), recipient))
        if match := re.fullmatch(r"/channels/(\d+)/messages", path):
            return json_response(self._message_from(body, channel_id=match[1]))
        if re.fullmatch(r"/applications/\d+/commands", path) and method == "PUT":
            self.commands = [
                {
                    **command,
                    "id": snowflake(),
                    "application_id": self.application_id,
                    "version": snowflake(),
                }
                for command in body
            ]
            return json_response(self.commands)
        if re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
            return self._callback(call)
        if re.fullmatch(r"/webhooks/\d+/[^/]+(/messages/@original)?", path):
            if method == "DELETE":
                return web.Response(status=204)
            return json_response(self._message_from(body, channel_id=snowflake()))
        if match := re.fullmatch(r"/guilds/(\d+)/members/(\d+)", path):
            roles = self.guild_members.get(match[2])
            if match[1] != self.guild_id or roles is None:
                return json_response({"message": "Unknown Member", "code": 10007}, status=404)
            return json_response(self._member(match[2], roles))
        if match := re.fullmatch(r"/guilds/(\d+)/members/(\d+)/roles/(\d+)", path):
            roles = self.guild_members.setdefault(match[2], set())
            if method == "PUT":
                roles.add(match[3])
            else:
                roles.discard(match[3])
            return web.Response(status=204)
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    def _callback(self, call: Call) -> web.Response:
        """An interaction response; with ?with_response it returns the callback object."""
        body = call.json or {}
        interaction_id = call.path.split("/")[2]
        kind = body.get("type")
        if call.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        response: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
            },
        }
        if kind in (4, 5):
            sent = self._message_from(body.get("data") or {}, channel_id=snowflake())
            response["interaction"]["response_message_id"] = sent["id"]
            response["resource"] = {"type": kind, "message": sent}
        return json_response(response)

    def _message_from(self, body: dict[str, Any], *, channel_id: str) -> dict[str, Any]:
        return message(
            channel_id=channel_id,
            author=self.bot,
            content=body.get("content") or "",
            components=body.get("components"),
            embeds=body.get("embeds"),
            flags=int(body.get("flags") or 0),
        )

    def _member(self, user_id: str, roles: set[str]) -> dict[str, Any]:
        """A guild member object (https://discord.com/developers/docs/resources/guild)."""
        return {
            "user": user(user_id, "member"),
            "nick": None,
            "avatar": None,
            "roles": sorted(roles),
            "joined_at": now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def _application(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me (the application object)."""
        return {
            "id": self.application_id,
            "name": "Alytus Connect",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": user(snowflake(), "owner"),
            "team": None,
            "bot": self.bot,
            "rpc_origins": [],
            "interactions_endpoint_url": None,
            "tags": [],
        }
