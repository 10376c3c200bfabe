"""What an adapter raises when it cannot start, in words an operator can act on.

The composition root (bot/app.py) retries an unreachable platform with backoff and stops
with one clear line, and the configuration exit status, on a rejected token.
"""

from __future__ import annotations


class TokenRejected(Exception):
    """The platform refused the token: a configuration mistake that retrying cannot fix."""


class PlatformUnreachable(Exception):
    """The platform could not be reached (no network, DNS, a timeout): worth trying again."""
