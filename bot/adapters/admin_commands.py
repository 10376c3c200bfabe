"""The admin chat commands as both adapters run them: who may use them, where, and the answer.

`/reload`, `/stats` and `/unanswered` answer with the plain text of an `AdminAnswers`
(bot/admin/desk.py in the running bot); each adapter only renders that text (escaped for
Telegram's HTML, cut to Discord's limits) and sends it. The rules, the same on every platform:

- Only the users ADMIN_IDS lists for this platform may use them. Anyone else gets one
  polite refusal and nothing else: no data, and no reload.
- Without a desk (tests, a bare adapter) they answer that they are not available.
- /stats and /unanswered are answered only where nobody else can read the answer (a direct
  message on Telegram; every Discord answer is ephemeral): /unanswered quotes members'
  questions, and the club's numbers are the admins' business. In a group an admin is asked
  to send the command in a direct message instead. /reload works anywhere: its answer
  names content files and fields, nothing a member wrote.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.ops.settings import Settings

log = logging.getLogger(__name__)

# name -> description (Discord shows it in the command picker)
ADMIN_COMMANDS: dict[str, str] = {
    "reload": "Admins: reload the content now and show the result or the errors",
    "stats": "Admins: questions, share answered, top intents, urgent replies, feedback",
    "unanswered": "Admins: the latest questions I could not answer",
}
PRIVATE_COMMANDS = frozenset({"stats", "unanswered"})
REFUSAL = "Sorry, /{command} is only for the club's bot admins."
NOT_AVAILABLE = "Admin commands are not available here."
DIRECT_ONLY = (
    "Please send me /{command} in a direct message: its answer is for admins only, not the whole group."
)
FAILED = "Sorry, /{command} failed ({error}). The bot's log has the details."


class AdminAnswers(Protocol):
    """What the adapters need from the admin side: a command's answer as plain text.

    A Protocol, so that loading an adapter loads no database or file-watching code."""

    async def answer(self, command: str) -> str: ...


class AdminCommands:
    """Checks who asks and where, then runs an admin command on the desk (None: unavailable)."""

    def __init__(self, settings: Settings, desk: AdminAnswers | None, platform: str) -> None:
        self._settings = settings
        self._desk = desk
        self._platform = platform

    def refusal(self, command: str, user_id: str, *, private: bool) -> str | None:
        """Why `user_id` may not run `command` here (the text to send), or None when they may."""
        if not self._settings.is_admin(self._platform, user_id):
            log.info("Refused /%s on %s: the sender is not an admin", command, self._platform)
            return REFUSAL.format(command=command)
        if self._desk is None:
            return NOT_AVAILABLE
        if command in PRIVATE_COMMANDS and not private:
            return DIRECT_ONLY.format(command=command)
        return None

    async def run(self, command: str) -> str:
        """The answer to an admin command; call it only after `refusal` returned None."""
        if self._desk is None:
            return NOT_AVAILABLE
        log.info("Admin command /%s on %s", command, self._platform)
        try:
            return await self._desk.answer(command)
        except Exception as error:  # a database that is down, say: the admin must hear of it
            log.exception("Admin command /%s failed", command)
            return FAILED.format(command=command, error=type(error).__name__)

    async def answer(self, command: str, user_id: str, *, private: bool) -> str:
        """The refusal, or the command's answer: what to send back to `user_id`."""
        refused = self.refusal(command, user_id, private=private)
        return refused if refused is not None else await self.run(command)
