"""Set-up shared by every test module."""

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.topic_model import keep_trained_models_in
from tests.helpers import shipped_library

# Before any test imports telegram: without it, reading RetryAfter.retry_after warns about a
# deprecation, and this suite treats warnings as errors (see PLATFORM-NOTES.md).
os.environ.setdefault("PTB_TIMEDELTA", "1")
# The command line keeps the topic models it trains in DATA_DIR/models: not in the checkout.
if "DATA_DIR" not in os.environ:
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="backpain-bot-tests-")
    atexit.register(shutil.rmtree, os.environ["DATA_DIR"], ignore_errors=True)

# What no log line may ever contain: the tests' tokens, passwords and secrets, and the member
# messages the tests send most (the bot logs no message text unless LOG_MESSAGE_TEXT is on).
NEVER_LOGGED = (
    "TEST-stand-in-token",
    "test-token-never-logged",
    "WRONG-token",
    "db-password-1",
    "webhook-secret-for-the-test",
    "why does my lower back hurt after long runs",
    "will rest fix my lower back pain",
)


@pytest.fixture(autouse=True)
def no_secret_or_message_text_in_the_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with logging at DEBUG; afterwards its records are searched."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in (*caplog.get_records("setup"), *caplog.get_records("call")):
        line = record.getMessage() + (record.exc_text or "")
        leaked = [secret for secret in NEVER_LOGGED if secret in line]
        assert not leaked, f"{record.name} logged {leaked} at {record.levelname}"


@pytest.fixture(autouse=True)
def models_kept_in_memory_only() -> Iterator[None]:
    """A test that ran the command line (which keeps models on disk) leaves no such setting."""
    yield
    keep_trained_models_in(None)


@pytest.fixture(scope="session")
def library() -> Library:
    """The shipped library, as an admin left it: tests read counts and texts from it."""
    return shipped_library()


@pytest.fixture(scope="module")
def engine(library: Library) -> Engine:
    """An engine over the shipped library; one per module, since it remembers conversations."""
    return Engine(library, emergency_number="911")
