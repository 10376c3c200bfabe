"""Command line: chat, ask, validate, run. Only this module exits the process."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.cli_chat import chat
from bot.core.content import Library, load_library
from bot.core.engine import Engine
from bot.core.located_yaml import ContentError
from bot.core.replies import render_plain
from bot.core.types import IncomingMessage, Reply
from bot.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environment()
    except SettingsError as exc:
        print(f"Configuration problems (fix them in .env or the environment):\n{exc}", file=sys.stderr)
        return 2
    command = args.command or "run"
    if command == "validate":
        return _validate(Path(args.content_dir or settings.content_dir))
    library = _load_or_report(Path(getattr(args, "content_dir", None) or settings.content_dir))
    if library is None:
        return 1
    engine = Engine(library, emergency_number=args.emergency_number or settings.emergency_number)
    if command == "ask":
        return _ask(engine, args.message, as_json=args.json, explain=args.explain)
    if command == "chat":
        return chat(engine, sys.stdin, sys.stdout)
    from bot.app import run  # imports the platform libraries only when they are needed

    return run(settings, engine)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A lower-back-pain advice bot for running clubs (terminal, Telegram, Discord).",
    )
    parser.add_argument(
        "--emergency-number", choices=("999", "911", "112"), help="overrides EMERGENCY_NUMBER"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no tokens needed)")
    chat.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    ask = sub.add_parser("ask", help="answer one message, or one per line from standard input")
    ask.add_argument("message", help='the message, or "-" to read one message per line from stdin')
    ask.add_argument("--json", action="store_true", help="print one JSON object per message")
    ask.add_argument("--explain", action="store_true", help="with --json: add why it matched")
    ask.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    validate = sub.add_parser("validate", help="check the content library; exit 1 on any problem")
    validate.add_argument("content_dir", nargs="?", help="content folder (default: CONTENT_DIR or ./content)")
    sub.add_parser("run", help="start every platform whose token is set, else the terminal chat")
    return parser


def _load_or_report(content_dir: Path) -> Library | None:
    try:
        return load_library(content_dir)
    except ContentError as exc:
        print(f"The content in {content_dir} has problems:\n{exc}", file=sys.stderr)
        return None


def _validate(content_dir: Path) -> int:
    library = _load_or_report(content_dir)
    if library is None:
        return 1
    examples = sum(len(i.examples) for i in library.intents)
    signs = len(library.red_flags.signs)
    print(
        f"OK: {len(library.intents)} intents, {examples} phrasings, "
        f"{len(library.sources)} sources, {signs} red-flag signs in {content_dir}"
    )
    return 0


def _ask(engine: Engine, message: str, *, as_json: bool, explain: bool) -> int:
    lines = sys.stdin if message == "-" else [message]
    for line in lines:
        text = line.rstrip("\n")
        reply = engine.handle(IncomingMessage(text=text))
        if reply is None:  # cannot happen for addressed messages; kept for type safety
            continue
        if as_json:
            print(json.dumps(reply_to_json(reply, explain=explain), ensure_ascii=False), flush=True)
        else:
            print(render_plain(reply), end="\n\n" if message == "-" else "\n", flush=True)
    return 0


def reply_to_json(reply: Reply, *, explain: bool = False) -> dict[str, Any]:
    """The stable machine-readable contract of PRODUCT.md."""
    safety = reply.safety
    level = safety.level if safety else None
    data: dict[str, Any] = {
        "answered": reply.answered,
        "intent": reply.intent_id,
        "topic": reply.topic,
        "score": reply.score,
        "urgent": bool(safety and safety.is_urgent),
        "urgency": level.value if level else None,
        "red_flags": list(safety.signs) if safety else [],
        "text": render_plain(reply),
        "sources": [{"id": s.id, "title": s.title} for s in reply.sources],
    }
    if explain:
        data["explain"] = {
            "best_phrasing": reply.explanation.best_phrasing,
            "runner_up_intent": reply.explanation.runner_up_intent,
            "runner_up_score": reply.explanation.runner_up_score,
            "negated_red_flags": list(safety.negated_signs) if safety else [],
        }
    return data


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
