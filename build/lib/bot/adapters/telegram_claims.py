"""Answer each Telegram update once when several replicas share one webhook URL.

Telegram sends every update to the one webhook URL; behind a Kubernetes Service any replica
may receive it, and when a delivery is not acknowledged in time (a replica stalls, a
connection drops after the update arrived) Telegram delivers it again, possibly to another
replica. So before any handler runs, a handler in group -1 claims the update id in the
shared database (`Store.claim_update`: `INSERT ... ON CONFLICT DO NOTHING`); the replica
that inserted the row answers, every other stops there.

Safety first: when the database does not answer within CLAIM_TIMEOUT, the update is handled
anyway. A rare duplicate reply is better than a lost red-flag warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CLAIM_GROUP = -1  # PTB runs handler groups in ascending order: this one before every other
CLAIM_TIMEOUT = 2.0  # seconds; after that the update is answered unclaimed


class UpdateClaims(Protocol):
    async def claim_update(self, platform: str, update_id: int) -> bool:
        """True for the first caller, in any replica, to claim this update."""


def answer_each_update_once(
    adapters: Iterable[object], claims: UpdateClaims, timeout: float = CLAIM_TIMEOUT
) -> None:
    """Make every Telegram adapter among `adapters` skip updates another replica claimed."""
    for adapter in adapters:
        application = getattr(adapter, "application", None)
        if isinstance(application, Application):
            application.add_handler(TypeHandler(Update, _claimer(claims, timeout)), group=CLAIM_GROUP)


def _claimer(claims: UpdateClaims, timeout: float) -> Any:
    async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop handling this update unless this replica is the first to claim it."""
        try:
            first = await asyncio.wait_for(claims.claim_update(PLATFORM, update.update_id), timeout)
        except Exception as error:  # the database is down or slow: answer rather than risk silence
            log.warning(
                "Could not claim Telegram update %d (%s); answering it anyway",
                update.update_id,
                type(error).__name__,
            )
            return
        if not first:
            log.info("Telegram update %d was already handled; skipping the repeat", update.update_id)
            raise ApplicationHandlerStop

    return claim
