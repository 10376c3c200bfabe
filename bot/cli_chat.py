"""The terminal chat: the console adapter."""

from __future__ import annotations

from typing import TextIO

from bot.core.engine import Engine
from bot.core.replies import render_plain
from bot.core.types import IncomingMessage


def chat(engine: Engine, stdin: TextIO, stdout: TextIO) -> int:
    """A read-answer loop on text streams: the terminal chat."""
    interactive = stdin.isatty()
    if interactive:
        print(
            "Ask me about lower back pain from running. Type 'quit' or press Ctrl-D to leave.\n",
            file=stdout,
        )
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line or line.strip().lower().lstrip("/") in ("quit", "exit"):  # "/quit" too, as in chats
            break
        if not line.strip():
            continue
        reply = engine.handle(IncomingMessage(text=line.strip(), conversation_id="console"))
        if reply is not None:
            print(f"\nbot> {render_plain(reply)}\n", file=stdout, flush=True)
    return 0
