"""What is done to a member's words and id before either reaches the admin store.

`redact` removes obvious personal data from a question: links, e-mail addresses, phone
numbers, @handles and the name after "my name is" / "I'm". It is a safety net, not a
guarantee: it cannot find every name. `hash_user_id` turns a platform user id into a
keyed hash (HMAC-SHA256 with a secret salt), so one member's questions can be told apart
without anyone being able to go back to the id.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
# A digit, then digits and the usual separators, ending on a digit; counted below.
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().\-/]{4,}\d(?!\w)")
MIN_PHONE_DIGITS = 7  # fewer is a distance, a pace or a date part, not a phone number
# "my name is anna", "call me Anna Smith": the next word is a name whatever its case.
_NAMED = re.compile(
    r"(?P<cue>\b(?i:my\s+name\s+is|my\s+name['\u2019]s|name['\u2019]s|call\s+me|i\s+am\s+called)\s+)"
    r"(?P<name>[\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]*)?)"
)
# "I'm Anna": only a capitalised word counts, or "I'm getting back pain" would lose a word.
_INTRODUCED = re.compile(
    r"(?P<cue>\b(?i:i['\u2019]?m|i\s+am)\s+)(?P<name>(?!I\b)[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)?)"
)


def redact(text: str) -> str:
    """The text with links, e-mails, phone numbers, @handles and introduced names replaced."""
    text = _LINK.sub("[link]", text)
    text = _EMAIL.sub("[email]", text)
    text = _HANDLE.sub("[handle]", text)
    text = _PHONE.sub(_phone_or_keep, text)
    text = _NAMED.sub(r"\g<cue>[name]", text)
    return _INTRODUCED.sub(r"\g<cue>[name]", text)


def _phone_or_keep(found: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in found.group())
    return "[phone]" if digits >= MIN_PHONE_DIGITS else found.group()


def hash_user_id(salt: str, platform: str, user_id: str) -> str | None:
    """A keyed hash of `platform:user_id` (hex), or None when the id is unknown."""
    if not user_id:
        return None
    digest = hmac.new(salt.encode("utf-8"), f"{platform}:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()
