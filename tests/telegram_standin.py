"""A small Telegram Bot API stand-in (aiohttp on 127.0.0.1) for tests and the benchmark.

It answers the calls the adapter makes (getMe, deleteWebhook, setWebhook, getUpdates,
sendMessage, setMyCommands, answerCallbackQuery), hands out queued updates through long
polling the way Telegram does (an update stays until a later getUpdates confirms it with
`offset`), records what the bot sends, and can be told to answer the next sendMessage
calls with a 429 (RetryAfter) or a 500. Like Telegram it refuses HTML it could not parse,
texts over 4096 characters and callback data over 64 bytes, so every test also checks the
rendering. Requests arrive form-encoded; PTB JSON-encodes every value that is not a string.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-stand-in-token-0123456789abcde"  # BotFather-shaped
BOT_ID = 123456
BOT_USERNAME = "BackPainTestBot"
MEMBER_ID = 1001

# Parameters PTB sends JSON-encoded; every other value arrives as the plain string.
_JSON_PARAMS = frozenset(
    {
        "chat_id", "offset", "limit", "timeout", "allowed_updates", "reply_markup",
        "reply_parameters", "commands", "message_id", "entities", "show_alert", "cache_time",
        "drop_pending_updates", "max_connections", "disable_notification", "protect_content",
        "message_thread_id", "link_preview_options", "allow_sending_without_reply", "scope",
    }
)  # fmt: skip
_ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"blockquote", "tg-spoiler", "span", "tg-emoji"}
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z-]*)[^<>]*>")
_BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_TOO_MANY_REQUESTS = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 1",
    "parameters": {"retry_after": 1},
}
_SERVER_ERROR = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the bot sent, as the stand-in accepted it."""

    chat_id: int
    text: str  # the HTML source the bot sent
    reply_to: int | None
    reply_markup: dict[str, Any] | None
    message: dict[str, Any]  # the Message JSON returned to the bot
    at: float  # perf_counter when it arrived

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass(slots=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)


class TelegramStandIn:
    """The Bot API on a random free port of 127.0.0.1; use `async with TelegramStandIn() as api`."""

    def __init__(self, *, can_read_all_group_messages: bool = True, max_hold: float = 0.5) -> None:
        self.can_read_all_group_messages = can_read_all_group_messages
        self.max_hold = max_hold  # longest a getUpdates waits for a new update
        self.calls: list[ApiCall] = []
        self.sent: list[Sent] = []
        self.handed_out_at: dict[int, float] = {}
        self._updates: list[dict[str, Any]] = []
        self._failures: deque[dict[str, Any]] = deque()
        self._chats: dict[int, dict[str, Any]] = {}
        self._arrived = asyncio.Event()
        self._changed = asyncio.Condition()
        self._closing = False
        self._next_update_id = 1
        self._next_message_id = 1
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL would be: the library appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> TelegramStandIn:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        form = await request.post()
        params = {k: json.loads(v) if k in _JSON_PARAMS else v for k, v in form.items() if isinstance(v, str)}
        call = ApiCall(method, params)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        response: web.Response = await handler(params)
        return response

    # -- Bot API methods -----------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        me = {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
        }
        return _ok(me)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones go
        hold = min(float(params.get("timeout") or 0), self.max_hold)
        if not self._updates and hold > 0 and not self._closing:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), hold)
        batch = self._updates[: int(params.get("limit") or 100)]
        now = time.perf_counter()
        for update in batch:
            self.handed_out_at.setdefault(update["update_id"], now)
        return _ok(batch)

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        if self._failures:
            failure = self._failures.popleft()
            return web.json_response(failure, status=failure["error_code"])
        text = str(params.get("text", ""))
        problem = html_problem(text) if params.get("parse_mode") == "HTML" else None
        problem = problem or _markup_problem(params.get("reply_markup"))
        if problem:
            return _error(400, f"Bad Request: {problem}")
        chat_id = int(params["chat_id"])
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        message = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": self._chats.get(chat_id, private_chat(chat_id)),
            "from": self.bot_user(),
            "text": html.unescape(_TAG.sub("", text)),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        sent = Sent(chat_id, text, reply_to, params.get("reply_markup"), message, time.perf_counter())
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()
        return _ok(message)

    # -- what tests do -------------------------------------------------------------------

    def fail_next_sends(self, status: int, times: int = 1) -> None:
        """Answer the next `times` sendMessage calls with a 429 (retry after 1 s) or a 500."""
        payload = _TOO_MANY_REQUESTS if status == 429 else _SERVER_ERROR
        self._failures.extend([payload] * times)

    async def wait_sent(self, count: int, timeout: float = 2.0) -> list[Sent]:
        """Wait until at least `count` messages were sent; TimeoutError otherwise."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
        return list(self.sent)

    async def wait_calls(self, method: str, count: int = 1, timeout: float = 2.0) -> list[ApiCall]:
        """Wait until `method` was called at least `count` times."""

        def matching() -> list[ApiCall]:
            return [c for c in self.calls if c.method == method]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(matching()) >= count)
        return matching()

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue one update (`kind` is "message", "edited_message", ...); returns its id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if chat:
            self._chats[chat["id"]] = chat
        self._updates.append({"update_id": update_id, kind: payload})
        self._arrived.set()
        return update_id

    def push_message(
        self,
        chat: dict[str, Any],
        text: str | None = None,
        *,
        sender: dict[str, Any] | None = None,
        kind: str = "message",
        **fields: Any,
    ) -> dict[str, Any]:
        """Queue a message update built by `message`; returns the message JSON."""
        message = self.message(chat, text, sender=sender, **fields)
        self.push(kind, message)
        return message

    def push_press(self, sent: Sent, data: str, sender: dict[str, Any] | None = None) -> str:
        """Queue a button press on a message the bot sent; returns the callback query id."""
        query_id = f"query-{self._next_update_id}"
        query = {
            "id": query_id,
            "from": sender or member(),
            "chat_instance": "instance-1",
            "message": sent.message,
            "data": data,
        }
        self.push("callback_query", query)
        return query_id

    def message(
        self,
        chat: dict[str, Any],
        text: str | None = None,
        *,
        sender: dict[str, Any] | None = None,
        entities: Sequence[dict[str, Any]] = (),
        reply_to: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A real-looking Message JSON; `fields` adds any other field (caption, photo...)."""
        message: dict[str, Any] = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": chat,
            **fields,
        }
        if chat["type"] != "channel":
            message["from"] = sender or member()
        if text is not None:
            message["text"] = text
        if entities:
            message["entities"] = list(entities)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Back Pain Bot", "username": BOT_USERNAME}

    def _message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id


def member(user_id: int = MEMBER_ID, *, is_bot: bool = False, name: str = "Ann") -> dict[str, Any]:
    return {"id": user_id, "is_bot": is_bot, "first_name": name}


def private_chat(user_id: int = MEMBER_ID) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Ann"}


def group_chat(chat_id: int = -1001234, kind: str = "supergroup") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "Riverside Running Club"}


def entity(kind: str, text: str, part: str, **fields: Any) -> dict[str, Any]:
    """A MessageEntity for the first `part` in `text` (offsets in UTF-16 units, as Telegram)."""
    start = text.index(part)
    return {
        "type": kind,
        "offset": _utf16_len(text[:start]),
        "length": _utf16_len(part),
        **fields,
    }


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` in HTML parse mode, or None."""
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match[1], match[2].lower()
        if name not in _ALLOWED_TAGS:
            return f"can't parse entities: unsupported start tag {name!r}"
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return f"can't parse entities: unexpected end tag {name!r}"
    if stack:
        return f"can't parse entities: unclosed tag {stack[-1]!r}"
    plain = _TAG.sub("", text)
    if "<" in plain or ">" in plain or _BARE_AMPERSAND.search(plain):
        return "can't parse entities: unescaped <, > or &"
    visible = html.unescape(plain)
    if not visible.strip():
        return "message text is empty"
    if _utf16_len(visible) > 4096:
        return "message is too long"
    return None


def _markup_problem(markup: dict[str, Any] | None) -> str | None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode()) > 64:
                return "BUTTON_DATA_INVALID"
    return None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
