"""Keeping secrets out of text that leaves the process: log lines and error messages.

A module of its own, light to import: adapters scrub platform error texts with it without
loading the log set-up (which reads database addresses with SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Iterable

HIDDEN = "[hidden]"
MIN_SECRET_LENGTH = 6  # shorter values (a test password "pw") would blank ordinary words


class Scrubber:
    """Replaces each secret (and its URL-encoded form) with `[hidden]`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants = {v for s in secrets if len(s) >= MIN_SECRET_LENGTH for v in (s, s.replace(":", "%3A"))}
        self._secrets = sorted(variants, key=len, reverse=True)  # longest first: no partial leftovers

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, HIDDEN)
        return text
