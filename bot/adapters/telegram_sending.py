"""Sending on Telegram: reply parts in order, retries after network faults, and pacing that
never delays a red-flag reply.

AIORateLimiter keeps sends within Telegram's limits and retries after a 429 (RetryAfter),
except that a red-flag reply never waits in the per-chat queue (SafetyFirstRateLimiter). A
send that fails with a network error or a 5xx is retried a few times: a duplicate message
is better than a lost safety reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3  # retries after a 429 before a send is given up
SEND_RETRY_DELAYS = (1.0, 3.0)  # seconds before each retry of a send that hit a network error


class TelegramSender:
    """Sends reply parts through the application's bot, retrying what is worth retrying."""

    def __init__(self, bot: ExtBot[Any], retry_delays: Sequence[float], scrub: Callable[[str], str]) -> None:
        self._bot = bot
        self._retry_delays = tuple(retry_delays)
        self._scrub = scrub  # error texts can quote the token

    async def send(
        self,
        message: Message,
        parts: Sequence[str],
        keyboard: InlineKeyboardMarkup | None,
        *,
        urgent: bool = False,
    ) -> None:
        """Send the parts in order, in groups as replies to `message`; buttons on the last part.

        `urgent` sends skip the rate limiter's per-chat queue (see SafetyFirstRateLimiter).
        """
        in_group = message.chat.type != ChatType.PRIVATE
        # The asker may have deleted the question meanwhile: send the answer anyway.
        quote = ReplyParameters(message.message_id, allow_sending_without_reply=True) if in_group else None
        for index, part in enumerate(parts):
            send = partial(
                self._bot.send_message,
                chat_id=message.chat_id,
                text=part,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard if index == len(parts) - 1 else None,
                reply_parameters=quote,
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
                rate_limit_args=True if urgent else None,
            )
            await self.with_retries(send)

    async def with_retries(self, call: Callable[[], Awaitable[object]]) -> None:
        """Run a Bot API call, retrying network errors and 5xx (not a refused request)."""
        for delay in (*self._retry_delays, None):
            try:
                await call()
                return
            except BadRequest:
                raise  # Telegram refused the request itself: the same request fails again
            except NetworkError as error:
                if delay is None:
                    raise
                log.warning(
                    "Telegram request failed (%s); retrying in %.1f s", self._scrub(str(error)), delay
                )
                await asyncio.sleep(delay)


async def acknowledge(query: CallbackQuery, text: str | None, *, alert: bool = False) -> None:
    """Answer a button press; failing only leaves a spinner, so it never stops the reply."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.warning("Could not answer a button press: %s", type(error).__name__)


def safety_first_rate_limiter() -> SafetyFirstRateLimiter:
    """The adapter's default: AIORateLimiter's pacing and 429 retries, red flags unqueued."""
    return SafetyFirstRateLimiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))


class SafetyFirstRateLimiter(BaseRateLimiter[bool]):
    """AIORateLimiter's pacing, except that a red-flag reply never waits in its chat's queue.

    Telegram allows about 20 messages a minute in one group and 30 a second overall; the
    inner limiter paces sends to stay under that. A send made with `rate_limit_args=True`
    (a red-flag reply) skips that pacing, because nothing may delay the safety message; it
    still waits out a 429 (RetryAfter) and is retried like every other request.
    """

    def __init__(self, inner: AIORateLimiter) -> None:
        self._inner = inner

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: bool | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args:
            # The inner limiter paces by `chat_id` in `data`; the request itself travels in
            # `args`, so a copy without it skips the pacing and still sends to the chat.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await self._inner.process_request(callback, args, kwargs, endpoint, data, None)
