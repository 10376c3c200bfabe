"""The terminal chat: the console adapter.

It shows what a club's group chat shows (the group-sized answer); typing "more" after an
answer shows the whole of it, as the "More" button does on Telegram and Discord.
"""

from __future__ import annotations

from typing import TextIO

from bot.core.engine import Engine
from bot.core.replies import group_form, render_plain
from bot.core.types import IncomingMessage, Reply

_MORE_WORDS = ("more", "/more")
_MORE_HINT = "(Type 'more' for the whole answer.)"


def chat(engine: Engine, stdin: TextIO, stdout: TextIO, *, full: bool = False) -> int:
    """A read-answer loop on text streams: the terminal chat."""
    interactive = stdin.isatty()
    if interactive:
        print(
            "Ask me about lower back pain from running. Type 'quit' or press Ctrl-D to leave.\n",
            file=stdout,
        )
    whole: Reply | None = None  # the last answer in full, while "more" can still show it
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line or line.strip().lower().lstrip("/") in ("quit", "exit"):  # "/quit" too, as in chats
            break
        if not line.strip():
            continue
        if whole is not None and line.strip().lower() in _MORE_WORDS:
            print(f"\nbot> {render_plain(whole)}\n", file=stdout, flush=True)
            whole = None
            continue
        reply = engine.handle(IncomingMessage(text=line.strip(), conversation_id="console"))
        if reply is None:
            continue
        shown = reply if full else group_form(reply)
        whole = reply if shown.more else None
        hint = f"\n{_MORE_HINT}" if shown.more else ""
        print(f"\nbot> {render_plain(shown)}{hint}\n", file=stdout, flush=True)
    return 0
