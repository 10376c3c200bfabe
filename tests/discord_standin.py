"""A local stand-in for Discord's REST API and gateway, for tests that run the real discord.py.

An aiohttp app on 127.0.0.1 and a free port. It serves what the bot uses: login
(GET /users/@me, application info), the gateway address (GET /gateway, /gateway/bot), the
slash-command bulk overwrite (PUT, global and guild), channel messages, interaction
callbacks and webhook follow-ups, and a JSON websocket: HELLO, IDENTIFY → READY then
GUILD_CREATE, RESUME → RESUMED, HEARTBEAT → HEARTBEAT_ACK. Tests push gateway events with
`dispatch` and read what the bot sent from `next_sent`.

Point discord.py at it through `discord.http.Route.BASE = standin.rest_base` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)`.
REST replies carry Content-Type exactly "application/json": discord.py parses nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_ID = 1_000_001
APPLICATION_ID = BOT_ID  # Discord gives a bot user its application's id
OWNER_ID = 1_000_002
MEMBER_ID = 1_000_003
OTHER_BOT_ID = 1_000_004
GUILD_ID = 2_000_001
CHANNEL_ID = 3_000_001
LOCKED_CHANNEL_ID = 3_000_002  # the bot may read but not post here: sends get 403
DM_CHANNEL_ID = 4_000_001
TIMESTAMP = "2026-01-01T12:00:00.000000+00:00"
REST_PREFIX = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15

Json = dict[str, Any]


def user_payload(user_id: int, name: str, *, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_payload(BOT_ID, "backpain-bot", bot=True)
MEMBER = user_payload(MEMBER_ID, "runner")
OTHER_BOT = user_payload(OTHER_BOT_ID, "another-bot", bot=True)


def member_payload(user: Json | None = None) -> Json:
    """A guild member object; with `user` for GUILD_CREATE and interactions, without for messages."""
    member: Json = {
        "roles": [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "communication_disabled_until": None,
    }
    if user is not None:
        member["user"] = user
    return member


def text_channel(channel_id: int, name: str, position: int) -> Json:
    return {
        "id": str(channel_id),
        "guild_id": str(GUILD_ID),
        "type": 0,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild_create() -> Json:
    """The GUILD_CREATE of a running club's server: two text channels, the bot and a member."""
    return {
        "id": str(GUILD_ID),
        "name": "Running club",
        "icon": None,
        "owner_id": str(OWNER_ID),
        "unavailable": False,
        "large": False,
        "member_count": 3,
        "joined_at": TIMESTAMP,
        "preferred_locale": "en-GB",
        "features": [],
        "roles": [
            {
                "id": str(GUILD_ID),  # @everyone has the guild's id
                "name": "@everyone",
                "permissions": "68608",  # view channels, send messages, read history
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [
            text_channel(CHANNEL_ID, "general", 0),
            text_channel(LOCKED_CHANNEL_ID, "announcements", 1),
        ],
        "members": [member_payload(BOT_USER), member_payload(MEMBER)],
        "threads": [],
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    }


@dataclass(frozen=True)
class Sent:
    """One message the bot sent: `kind` is "channel", "callback" or "followup"."""

    kind: str
    target: int | str  # the channel id, or the interaction id for a callback
    body: Json
    message: Json  # the message object the stand-in answered with

    @property
    def data(self) -> Json:
        """The message fields (a callback wraps them in {"type": ..., "data": ...})."""
        return (self.body.get("data") or {}) if self.kind == "callback" else self.body

    @property
    def embeds(self) -> list[Json]:
        return list(self.data.get("embeds") or [])

    @property
    def text(self) -> str:
        """Everything a member reads: content, then each embed's title, description,
        fields and footer, in order."""
        parts = [self.data.get("content") or ""]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for embed_field in embed.get("fields", []):
                parts += [embed_field["name"], embed_field["value"]]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(part for part in parts if part)

    @property
    def custom_ids(self) -> list[str]:
        return [
            component["custom_id"]
            for row in self.data.get("components") or []
            for component in row.get("components", [])
            if "custom_id" in component
        ]

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)


@dataclass
class DiscordStandIn:
    """Discord's REST API and gateway, just enough of them, on 127.0.0.1."""

    sent: asyncio.Queue[Sent] = field(default_factory=asyncio.Queue)
    command_syncs: list[tuple[str, list[Json]]] = field(default_factory=list)
    identifies: list[Json] = field(default_factory=list)
    resumes: list[Json] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    sessions: int = 0  # READY or RESUMED sent so far
    port: int = 0
    token: str = ""  # when set, any other token gets 401 at login, as Discord does
    message_content_enabled: bool = True  # the portal switch; when off, asking for it gets 4014
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9_000_000_001))
    _sequence: int = 0
    _socket: web.WebSocketResponse | None = None
    _session_changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    # Lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.get("/gateway-ws", self._gateway),
                web.get(f"{REST_PREFIX}/gateway", self._get_gateway),
                web.get(f"{REST_PREFIX}/gateway/bot", self._get_gateway),
                web.get(f"{REST_PREFIX}/users/@me", self._get_me),
                web.get(f"{REST_PREFIX}/oauth2/applications/@me", self._get_application),
                web.put(f"{REST_PREFIX}/applications/{{app}}/commands", self._put_commands),
                web.put(f"{REST_PREFIX}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands),
                web.post(f"{REST_PREFIX}/channels/{{channel}}/messages", self._post_message),
                web.post(f"{REST_PREFIX}/interactions/{{id}}/{{token}}/callback", self._post_callback),
                web.post(f"{REST_PREFIX}/webhooks/{{app}}/{{token}}", self._post_followup),
                web.route("*", "/{tail:.*}", self._unexpected),
            ]
        )
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{REST_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-ws"

    # What tests use

    async def dispatch(self, event: str, data: Json) -> None:
        """Send one gateway event (op 0) on the current connection."""
        assert self._socket is not None, "no gateway connection"
        await self._send_event(self._socket, event, data)

    async def next_sent(self, timeout: float = 3.0) -> Sent:
        """The next message the bot sends; fails the test after `timeout` seconds."""
        return await asyncio.wait_for(self.sent.get(), timeout)

    async def drop_connection(self) -> None:
        """Close the gateway socket as a network drop would (4000: resumable)."""
        assert self._socket is not None
        await self._socket.close(code=4000, message=b"stand-in drop")

    async def wait_for_sessions(self, count: int, timeout: float = 5.0) -> None:
        """Wait until the bot has been sent READY or RESUMED `count` times in all."""
        async with self._session_changed:
            await asyncio.wait_for(self._session_changed.wait_for(lambda: self.sessions >= count), timeout)

    def message_create(
        self,
        content: str,
        *,
        channel_id: int = CHANNEL_ID,
        author: Json = MEMBER,
        mentions: tuple[Json, ...] = (),
        mention_everyone: bool = False,
        reply_to: Json | None = None,
    ) -> Json:
        """A MESSAGE_CREATE payload: in the club's server, or a DM when `channel_id` is the DM's."""
        data: Json = {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "type": 19 if reply_to else 0,
            "content": content,
            "author": author,
            "attachments": [],
            "embeds": [],
            "components": [],
            "mentions": [{**user, "member": member_payload()} for user in mentions],
            "mention_roles": [],
            "mention_everyone": mention_everyone,
            "pinned": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "flags": 0,
        }
        if channel_id != DM_CHANNEL_ID:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = member_payload()
        if reply_to is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(GUILD_ID),
            }
            data["referenced_message"] = reply_to
        return data

    def command_interaction(self, name: str, options: dict[str, str] | None = None) -> Json:
        """An INTERACTION_CREATE for a slash command used by the member in #general."""
        interaction = self._interaction(2)
        interaction["data"] = {
            "id": str(next(self._ids)),
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()],
        }
        return interaction

    def button_interaction(self, custom_id: str, message: Json) -> Json:
        """An INTERACTION_CREATE for a press on a button of `message` (one the bot sent)."""
        interaction = self._interaction(3)
        interaction["data"] = {"custom_id": custom_id, "component_type": 2}
        interaction["message"] = message
        return interaction

    def _interaction(self, kind: int) -> Json:
        interaction_id = next(self._ids)
        return {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": f"interaction-token-{interaction_id}",
            "version": 1,
            "guild_id": str(GUILD_ID),
            "guild": {"id": str(GUILD_ID), "locale": "en-GB", "features": []},
            "guild_locale": "en-GB",
            "channel_id": str(CHANNEL_ID),
            "channel": text_channel(CHANNEL_ID, "general", 0),
            "member": {**member_payload(MEMBER), "permissions": "68608"},
            "app_permissions": "68608",
            "locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10_485_760,
        }

    # Gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                await self._on_gateway_message(socket, json.loads(message.data))
        return socket

    async def _on_gateway_message(self, socket: web.WebSocketResponse, message: Json) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == 1:  # HEARTBEAT
            await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            self.identifies.append(data)
            if data.get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content_enabled:
                await socket.close(code=4014, message=b"Disallowed intent(s).")
                return
            await self._send_event(socket, "READY", self._ready(data))
            await self._send_event(socket, "GUILD_CREATE", guild_create())
            await self._count_session()
        elif op == 6:  # RESUME
            self.resumes.append(data)
            await self._send_event(socket, "RESUMED", {})
            await self._count_session()

    def _ready(self, identify: Json) -> Json:
        ready: Json = {
            "v": 10,
            "user": {**BOT_USER, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": f"session-{len(self.identifies)}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APPLICATION_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        return ready

    async def _send_event(self, socket: web.WebSocketResponse, event: str, data: Json) -> None:
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _count_session(self) -> None:
        async with self._session_changed:
            self.sessions += 1
            self._session_changed.notify_all()

    # REST

    async def _get_gateway(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_me(self, request: web.Request) -> web.Response:
        if self.token and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(BOT_USER)

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APPLICATION_ID),
                "name": "backpain-bot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_payload(OWNER_ID, "club-admin"),
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
            }
        )

    async def _put_commands(self, request: web.Request) -> web.Response:
        commands: list[Json] = await request.json()
        self.command_syncs.append((request.path, commands))
        guild = request.match_info.get("guild")
        return _json(
            [
                {
                    **command,
                    "id": str(next(self._ids)),
                    "application_id": str(APPLICATION_ID),
                    "version": "1",
                    **({"guild_id": guild} if guild else {}),
                }
                for command in commands
            ]
        )

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        body: Json = await request.json()
        if channel_id == LOCKED_CHANNEL_ID:
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        message = self._bot_message(channel_id, body)
        await self.sent.put(Sent("channel", channel_id, body, message))
        return _json(message)

    async def _post_callback(self, request: web.Request) -> web.Response:
        body: Json = await request.json()
        message = self._bot_message(CHANNEL_ID, body.get("data") or {})
        await self.sent.put(Sent("callback", int(request.match_info["id"]), body, message))
        flags = int((body.get("data") or {}).get("flags") or 0)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["id"],
                    "type": 2,
                    "response_message_id": message["id"],
                    "response_message_loading": False,
                    "response_message_ephemeral": bool(flags & 64),
                },
                "resource": {"type": body["type"], "message": message},
            }
        )

    async def _post_followup(self, request: web.Request) -> web.Response:
        body: Json = await request.json()
        message = self._bot_message(CHANNEL_ID, body)
        await self.sent.put(Sent("followup", request.match_info["token"], body, message))
        return _json(message)

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _bot_message(self, channel_id: int, body: Json) -> Json:
        """The message object Discord answers a send with: the body, now by the bot."""
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "type": 19 if body.get("message_reference") else 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
        }


def _json(data: Json | list[Json], status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py leaves a body with a charset unparsed.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")
