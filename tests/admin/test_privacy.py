"""Redaction and hashing: what is done to a question before the store keeps it."""

from __future__ import annotations

import pytest

from bot.admin.privacy import hash_user_id, redact

CASES = [
    ("email me at jo.runner+club@example.co.uk please", "email me at [email] please"),
    ("call 07700 900123 or +1 (555) 123-4567", "call [phone] or [phone]"),
    ("ask @coach_bob about it", "ask [handle] about it"),
    ("see https://www.strava.com/athletes/123 pls", "see [link] pls"),
    ("my name is anna and my back hurts", "my name is [name] and my back hurts"),
    ("My name is Anna Smith, back pain after runs", "My name is [name], back pain after runs"),
    ("I'm Sarah and my back hurts", "I'm [name] and my back hurts"),
    ("i\u2019m Tom, 42, back hurts", "i\u2019m [name], 42, back hurts"),
    ("call me Jo, my lower back aches", "call me [name], my lower back aches"),
    # Kept: ordinary words after "I'm", and numbers that are not phone numbers.
    ("i'm getting back pain after runs", "i'm getting back pain after runs"),
    ("I'm sore after 10 km in 55:30", "I'm sore after 10 km in 55:30"),
    ("ran 5 10 15 km this week", "ran 5 10 15 km this week"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_hash_is_keyed_stable_and_hides_the_id() -> None:
    one = hash_user_id("salt-one-long-enough", "telegram", "12345")
    assert one == hash_user_id("salt-one-long-enough", "telegram", "12345")
    assert one != hash_user_id("salt-two-long-enough", "telegram", "12345")
    assert one != hash_user_id("salt-one-long-enough", "discord", "12345")
    assert one is not None and "12345" not in one and len(one) == 64
    assert hash_user_id("salt-one-long-enough", "telegram", "") is None
