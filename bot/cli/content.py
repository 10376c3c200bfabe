"""The admin's terminal commands for the content: validate --report, report, suggest.

The improvement loop: `report` shows what members asked that the bot could not answer,
grouped, each group with the intent it came closest to; `suggest` offers each question as
a new phrasing of an intent and, on the admin's yes, writes it into the right YAML file
and checks the library. A running bot picks the change up by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.admin.content_editing import EditError, add_phrasing, find_intent_file
from bot.admin.content_health import check_health
from bot.admin.review import QuestionReview, render_groups
from bot.admin.store import Store
from bot.admin.store_schema import UnansweredQuestion, utc_now
from bot.core.content import Library
from bot.ops.settings import Settings

MAX_CONFUSIONS_SHOWN = 30
SUGGEST_HELP = (
    "For each question: y = add it as a phrasing of the intent shown, n = skip it for now, "
    "x = discard it (it was not worth an answer), an intent id = add it to that intent instead, "
    "q = quit."
)
_NOT_COLLECTING = (
    "Note: STORE_UNANSWERED is off, so no new unanswered questions are being collected. "
    "Set STORE_UNANSWERED=true and USER_ID_SALT in .env to collect them (see the README's Privacy section)."
)


def print_health_report(library: Library, content_dir: Path, out: TextIO, *, show_all: bool = False) -> int:
    """`validate --report`: the warnings for a valid library (never a failing exit code)."""
    report = check_health(library, content_dir)
    print(report.render(max_confusions=None if show_all else MAX_CONFUSIONS_SHOWN), file=out)
    return 0


def print_report(settings: Settings, library: Library, out: TextIO) -> int:
    """`report`: the stored unanswered questions, grouped, each group with its closest intent."""
    questions = asyncio.run(_stored_questions(settings))
    if not settings.store_unanswered:
        print(_NOT_COLLECTING, file=out)
    if not questions:
        print("No unanswered questions stored.", file=out)
        return 0
    review = QuestionReview(library)
    print(render_groups(review.group(questions), review), file=out)
    return 0


def run_suggest(
    settings: Settings,
    library: Library,
    content_dir: Path,
    stdin: TextIO,
    stdout: TextIO,
    *,
    question: str | None = None,
) -> int:
    """`suggest`: offer each unanswered question (or `question`) as a phrasing; write on yes."""
    if question is not None:
        questions = [UnansweredQuestion(0, utc_now(), "terminal", question, None)]
    else:
        questions = _in_group_order(library, asyncio.run(_stored_questions(settings)))
        if not questions:
            print("No unanswered questions stored.", file=stdout)
            if not settings.store_unanswered:
                print(_NOT_COLLECTING, file=stdout)
            return 0
    stored = None if question is not None else settings  # a typed question is not in the store
    session = _SuggestSession(library, content_dir, stdin, stdout, stored)
    print(f"{len(questions)} question(s) to review. {SUGGEST_HELP}\n", file=stdout)
    for q in questions:
        if not session.review(q):
            break
    print(f"Done: {session.added} phrasing(s) added, {session.resolved} question(s) cleared.", file=stdout)
    return 0


class _SuggestSession:
    """One run of `suggest`: asks about each question, remembers what was dealt with."""

    def __init__(
        self, library: Library, content_dir: Path, stdin: TextIO, stdout: TextIO, settings: Settings | None
    ) -> None:
        self._review = QuestionReview(library)
        self._settings = settings
        self._library = library
        self._content_dir = content_dir
        self._in = stdin
        self._out = stdout
        self.added = 0
        self.resolved = 0

    def review(self, question: UnansweredQuestion) -> bool:
        """Ask about one question until it is dealt with; False when the admin quits."""
        closest = self._review.closest(question.text)
        target = closest.intent.id if closest else None
        print(
            f"Question #{question.id} ({question.at:%Y-%m-%d}): \u201c{question.text}\u201d", file=self._out
        )
        if closest is None:
            print("Closest intent: none. Type an intent id to add it there.", file=self._out)
        else:
            where = find_intent_file(self._content_dir, closest.intent.id)
            print(
                f"Closest intent: {closest.intent.id} \u2014 \u201c{closest.intent.question}\u201d "
                f"(score {closest.score:.0f}) in {where}",
                file=self._out,
            )
        now = self._review.answered_now(question.text)
        if now:
            print(f"The bot answers this now (with {now}): x discards it from the list.", file=self._out)
        while True:
            answer = self._ask(f"Add as a new phrasing of {target or '...'}? [y/n/x/q or an intent id]: ")
            if answer in ("q", "quit"):
                return False
            if answer in ("n", "no"):
                print(file=self._out)
                return True
            if answer in ("x", "discard"):
                self._resolve(question)
                print("Discarded.\n", file=self._out)
                return True
            intent_id = target if answer in ("y", "yes") else answer
            if intent_id is None or answer == "?":
                print(SUGGEST_HELP, file=self._out)
            elif self._add(question, intent_id):
                return True

    def _add(self, question: UnansweredQuestion, intent_id: str) -> bool:
        """Write the phrasing; False (ask again) when the intent id is unknown."""
        if intent_id not in self._library.intents_by_id:
            print(f"No intent '{intent_id}'. Type y, n, x, q or an existing intent id.", file=self._out)
            return False
        try:
            added = add_phrasing(self._content_dir, intent_id, question.text)
        except EditError as exc:
            print(f"Not added: {exc}\n", file=self._out)
            return True
        self.added += 1
        self._resolve(question)
        print(
            f"Added \u201c{added.phrasing}\u201d to {added.intent_id} in {added.file}:{added.line}. "
            "The library still validates; a running bot reloads it within seconds.\n",
            file=self._out,
        )
        return True

    def _resolve(self, question: UnansweredQuestion) -> None:
        """Forget a stored question once dealt with (at once: the admin may quit any time)."""
        self.resolved += 1
        if self._settings is not None:
            asyncio.run(_delete_questions(self._settings, [question.id]))

    def _ask(self, prompt: str) -> str:
        print(prompt, end="", file=self._out, flush=True)
        line = self._in.readline()
        if not line:  # end of input: stop as if the admin typed q
            print(file=self._out)
            return "q"
        return line.strip().lower() or "?"


def _in_group_order(library: Library, questions: Sequence[UnansweredQuestion]) -> list[UnansweredQuestion]:
    """Questions in the report's order: the largest group first, so related ones come together."""
    return [q for group in QuestionReview(library).group(questions) for q in group.questions]


async def _stored_questions(settings: Settings) -> list[UnansweredQuestion]:
    async with Store.from_settings(settings, cleanup_interval=None) as store:
        return await store.unanswered()


async def _delete_questions(settings: Settings, ids: Sequence[int]) -> None:
    async with Store.from_settings(settings, cleanup_interval=None) as store:
        await store.delete_unanswered(ids)
