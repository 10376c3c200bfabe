"""Set-up shared by every test module."""

import os

# Before any test imports telegram: without it, reading RetryAfter.retry_after warns about a
# deprecation, and this suite treats warnings as errors (see PLATFORM-NOTES.md).
os.environ.setdefault("PTB_TIMEDELTA", "1")
