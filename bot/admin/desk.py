"""What the admin chat commands show, platform-neutral: /reload, /stats, /unanswered.

An adapter checks `settings.is_admin(platform, user_id)` first, then calls one method of
`AdminDesk` and sends `result.render()` (plain text, short enough for one chat message):

    result = await admin.reload()        # /reload      -> ReloadResult
    stats = await admin.stats()          # /stats       -> Stats
    latest = await admin.unanswered()    # /unanswered  -> UnansweredList
    await send(result.render())

Every method returns plain frozen data, so a platform can also build its own layout.
`bot.app.serve_platforms` owns the store and the reloader; an adapter gets
`AdminDesk(store, reloader)` through its constructor. To tell admins about a reload nobody
asked for (a file saved with a mistake), register `reloader.add_listener(callback)`: it
receives every ReloadResult, including the watcher's and SIGHUP's.

A reload that failed with nobody asking (the file watcher's, SIGHUP's) is logged by the
reloader and, for as long as the bot still serves the older library because of it, shown
at the top of /stats (`Stats.failed_reload`) and noted under the next /reload's result
(`render_reload`). The reloader's `last_result` is that memory: any later successful reload
clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.admin.store import Store
from bot.admin.store_schema import Activity, UnansweredQuestion, utc_now
from bot.ops.reloader import ContentReloader, ReloadResult

STATS_WINDOWS = (7, 30)  # days
TOP_INTENTS = 5
UNANSWERED_SHOWN = 10
FEEDBACK_SHOWN = 15  # intents listed in /stats, to keep it one message
FLUSH_TIMEOUT = 2.0  # seconds to wait for queued records before reading (never longer)
MAX_QUESTION_CHARS = 200  # per question in /unanswered, to keep the reply one message


@dataclass(frozen=True, slots=True)
class IntentFeedback:
    intent_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class Stats:
    """The numbers behind /stats: activity per window (7 and 30 days) and all-time feedback."""

    windows: tuple[Activity, ...]  # one per STATS_WINDOWS entry, same order
    window_days: tuple[int, ...]
    feedback: tuple[IntentFeedback, ...]  # most votes first
    dropped_records: int  # records this process could not write (queue full)
    failed_reload: ReloadResult | None = None  # the latest reload, when it failed

    def render(self) -> str:
        """Plain text for a chat message."""
        lines = ["Bot statistics"]
        if self.failed_reload is not None:
            lines += [describe_failed_reload(self.failed_reload), ""]
        for days, activity in zip(self.window_days, self.windows, strict=True):
            lines.append(
                f"Last {days} days: {activity.questions} questions, "
                f"{activity.share_answered:.0%} answered, {activity.urgent_replies} urgent replies, "
                f"{activity.soon_replies} see-a-doctor-soon replies"
            )
        longest = self.windows[-1] if self.windows else None
        if longest and longest.top_intents:
            lines.append(f"Top intents (last {self.window_days[-1]} days):")
            lines += [f"  {intent_id}: {n}" for intent_id, n in longest.top_intents]
        if self.feedback:
            lines.append("Feedback per intent (👍 / 👎), most votes first:")
            lines += [
                f"  {f.intent_id}: {f.helpful} / {f.not_helpful}" for f in self.feedback[:FEEDBACK_SHOWN]
            ]
            if len(self.feedback) > FEEDBACK_SHOWN:
                lines.append(f"  ...and {len(self.feedback) - FEEDBACK_SHOWN} more intents")
        else:
            lines.append("No feedback yet.")
        if self.dropped_records:
            lines.append(f"Warning: {self.dropped_records} records could not be stored (database too slow).")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class UnansweredList:
    """The latest questions the bot could not answer (empty when none are stored)."""

    questions: tuple[UnansweredQuestion, ...]
    stored: bool  # False: STORE_UNANSWERED is off, so nothing is kept

    def render(self) -> str:
        """Plain text for a chat message: newest first, each with its date."""
        if not self.stored:
            return (
                "Unanswered questions are not stored. To collect them, set STORE_UNANSWERED=true "
                "and USER_ID_SALT in the bot's .env (see the README's Privacy section)."
            )
        if not self.questions:
            return "No unanswered questions stored. 🎉"
        lines = [f"Latest {len(self.questions)} unanswered questions (newest first):"]
        for q in self.questions:
            text = q.text if len(q.text) <= MAX_QUESTION_CHARS else q.text[: MAX_QUESTION_CHARS - 1] + "…"
            lines.append(f"{q.at:%Y-%m-%d} ({q.platform}): {text}")
        lines.append("Turn them into content with: python -m bot report, then python -m bot suggest")
        return "\n".join(lines)


_TRIGGERS = {"watch": "after a file change", "signal": "on SIGHUP", "admin": "by /reload"}


def describe_failed_reload(result: ReloadResult) -> str:
    """A failed reload for an admin who did not ask for it: when, why, and every problem."""
    trigger = _TRIGGERS.get(result.trigger, f"({result.trigger})")
    when = f"{result.finished_at:%Y-%m-%d %H:%M} UTC"
    return (
        f"Warning: the content reload {trigger} at {when} failed. Fix the file, then save it "
        f"again or send /reload.\n{result.render()}"
    )


def render_reload(result: ReloadResult, earlier: ReloadResult | None) -> str:
    """/reload's reply: its result, and a note when an automatic reload had failed before it."""
    text = result.render()
    if earlier is None or earlier.trigger == "admin":
        return text  # an admin asked for that one and was told
    trigger = _TRIGGERS.get(earlier.trigger, f"({earlier.trigger})")
    when = f"the automatic reload {trigger} at {earlier.finished_at:%Y-%m-%d %H:%M} UTC"
    note = f"This replaces {when}, which had failed." if result.ok else f"Before this, {when} had failed too."
    return f"{text}\n({note})"


class AdminDesk:
    """The admin commands' data, from the store and the reloader the bot runs with."""

    def __init__(
        self, store: Store, reloader: ContentReloader, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._reloader = reloader
        self._now = clock

    @property
    def failed_reload(self) -> ReloadResult | None:
        """The latest reload if it failed (the bot still serves an older library), else None."""
        last = self._reloader.last_result
        return last if last is not None and not last.ok else None

    async def reload(self) -> ReloadResult:
        """/reload: reload the content now; the result says what loaded or every problem."""
        return await self._reloader.reload("admin")

    async def stats(self) -> Stats:
        """/stats: questions in the last 7 and 30 days, share answered, top intents,
        urgent replies sent, feedback per intent."""
        await self._store.flush(FLUSH_TIMEOUT)  # include the replies sent a moment ago
        now = self._now()
        windows = [
            await self._store.activity(now - timedelta(days=d), top=TOP_INTENTS) for d in STATS_WINDOWS
        ]
        counts = await self._store.feedback_counts()
        feedback = sorted(
            (IntentFeedback(i, up, down) for i, (up, down) in counts.items()),
            key=lambda f: (-(f.helpful + f.not_helpful), f.intent_id),
        )
        return Stats(tuple(windows), STATS_WINDOWS, tuple(feedback), self._store.dropped, self.failed_reload)

    async def answer(self, command: str) -> str:
        """An admin command's answer as plain text (what the adapters send)."""
        if command == "reload":
            earlier = self.failed_reload
            return render_reload(await self.reload(), earlier)
        if command == "stats":
            return (await self.stats()).render()
        if command == "unanswered":
            return (await self.unanswered()).render()
        raise ValueError(f"not an admin command: {command!r}")

    async def unanswered(self, limit: int = UNANSWERED_SHOWN) -> UnansweredList:
        """/unanswered: the latest questions the bot could not answer, newest first."""
        if not self._store.stores_unanswered:
            return UnansweredList((), stored=False)
        await self._store.flush(FLUSH_TIMEOUT)
        return UnansweredList(tuple(await self._store.unanswered(limit)), stored=True)
