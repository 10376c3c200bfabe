"""Command line: chat, ask, validate, run, report, suggest, doctor, healthcheck.

Only this module exits the process.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.adapters.console import chat
from bot.core.content import Library, load_library
from bot.core.engine import Engine
from bot.core.located_yaml import ContentError
from bot.core.replies import group_form, render_plain
from bot.core.topic_model import keep_trained_models_in
from bot.core.types import IncomingMessage, Reply
from bot.ops.settings import EMERGENCY_NUMBER, EMERGENCY_NUMBER_HELP, Settings, SettingsError, environment

TOPIC_MODEL_FOLDER = "models"  # in DATA_DIR: the topic models trained for an admin's library
_FULL_HELP = "whole answers: every quote and follow-up (default: the group-sized answer a club chat gets)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "doctor":  # reports configuration problems itself, one line each
        from bot.cli.doctor import run_doctor

        return run_doctor(environment(), sys.stdout)
    try:
        settings = Settings.from_environment()
    except SettingsError as exc:
        print(f"Configuration problems (fix them in .env or the environment):\n{exc}", file=sys.stderr)
        return 2
    command = args.command or "run"
    keep_trained_models_in(settings.data_dir / TOPIC_MODEL_FOLDER)
    if command == "healthcheck":
        return _healthcheck(settings)
    content_dir = Path(getattr(args, "content_dir", None) or settings.content_dir)
    if command == "validate":
        return _validate(content_dir, report=args.report, show_all=args.all)
    library = _load_or_report(content_dir)
    if library is None:
        return 1
    emergency_number = args.emergency_number or settings.emergency_number
    if command == "ask":
        return _ask(
            Engine(library, emergency_number),
            args.message,
            as_json=args.json,
            explain=args.explain,
            one_conversation=args.one_conversation,
            full=args.full,
        )
    if command == "chat":
        return chat(Engine(library, emergency_number), sys.stdin, sys.stdout, full=args.full)
    if command in ("report", "suggest"):
        return _improve(command, args, settings, library, content_dir)
    from bot.app import run  # imports the platform libraries only when they are needed

    return run(settings, library, emergency_number)


def _emergency_number(value: str) -> str:
    if not EMERGENCY_NUMBER.fullmatch(value):
        raise argparse.ArgumentTypeError(f"use {EMERGENCY_NUMBER_HELP}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A lower-back-pain advice bot for running clubs (terminal, Telegram, Discord).",
    )
    parser.add_argument(
        "--emergency-number", type=_emergency_number, help="overrides EMERGENCY_NUMBER (2 to 4 digits)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no tokens needed)")
    chat.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    chat.add_argument("--full", action="store_true", help=_FULL_HELP)
    ask = sub.add_parser("ask", help="answer one message, or one per line from standard input")
    ask.add_argument("message", help='the message, or "-" to read one message per line from stdin')
    ask.add_argument("--json", action="store_true", help="print one JSON object per message")
    ask.add_argument("--explain", action="store_true", help="with --json: add why it matched")
    ask.add_argument(
        "--one-conversation",
        action="store_true",
        help='with "-": read all lines as one member\'s messages in order (follow-ups); '
        "by default each line is a separate member",
    )
    ask.add_argument("--full", action="store_true", help=_FULL_HELP)
    ask.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    validate = sub.add_parser("validate", help="check the content library; exit 1 on any problem")
    validate.add_argument("content_dir", nargs="?", help="content folder (default: CONTENT_DIR or ./content)")
    validate.add_argument(
        "--report",
        action="store_true",
        help="also print warnings: confusable phrasings, thin intents, unquoted sources, "
        "long snippets, source coverage",
    )
    validate.add_argument("--all", action="store_true", help="with --report: list every confusable phrasing")
    sub.add_parser("run", help="start every platform whose token is set, else the terminal chat")
    sub.add_parser("doctor", help="check the configuration, content, database and tokens; say what to fix")
    sub.add_parser(
        "healthcheck", help="exit 0 when the running bot's /healthz says ready (Docker's HEALTHCHECK)"
    )
    report = sub.add_parser(
        "report", help="unanswered questions grouped by similarity, each with its closest intent"
    )
    report.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    suggest = sub.add_parser(
        "suggest", help="add unanswered questions as new phrasings of intents (asks before each write)"
    )
    suggest.add_argument("--content-dir", help="content folder (default: CONTENT_DIR or ./content)")
    suggest.add_argument("--question", help="review this question instead of the stored ones")
    return parser


def _improve(
    command: str, args: argparse.Namespace, settings: Settings, library: Library, content_dir: Path
) -> int:
    """`report` and `suggest`: the admin's loop from members' questions to content."""
    from bot.admin.store_schema import StoreError
    from bot.cli.content import print_report, run_suggest  # the database libraries, only when needed

    try:
        if command == "report":
            return print_report(settings, library, sys.stdout)
        return run_suggest(settings, library, content_dir, sys.stdin, sys.stdout, question=args.question)
    except (StoreError, OSError) as exc:
        print(f"Could not open the database: {exc}", file=sys.stderr)
        return 1


def _healthcheck(settings: Settings) -> int:
    """Ask the running bot's health endpoint; 0 when ready."""
    if settings.health_port is None:
        print("HEALTH_PORT is not set: the bot serves no health endpoint to ask", file=sys.stderr)
        return 1
    from bot.ops.health import probe

    ready, said = probe(settings.health_host, settings.health_port)
    print(said, file=sys.stdout if ready else sys.stderr)
    return 0 if ready else 1


def _load_or_report(content_dir: Path) -> Library | None:
    try:
        return load_library(content_dir)
    except ContentError as exc:
        print(f"The content in {content_dir} has problems:\n{exc}", file=sys.stderr)
        return None


def _validate(content_dir: Path, *, report: bool = False, show_all: bool = False) -> int:
    library = _load_or_report(content_dir)
    if library is None:
        return 1
    examples = sum(len(i.examples) for i in library.intents)
    signs = len(library.red_flags.signs)
    print(
        f"OK: {len(library.intents)} intents, {examples} phrasings, "
        f"{len(library.sources)} sources, {signs} red-flag signs in {content_dir}"
    )
    if report:
        from bot.cli.content import print_health_report

        print()
        return print_health_report(library, content_dir, sys.stdout, show_all=show_all)
    return 0


def _ask(
    engine: Engine, message: str, *, as_json: bool, explain: bool, one_conversation: bool, full: bool
) -> int:
    lines = sys.stdin if message == "-" else [message]
    for number, line in enumerate(lines):
        text = line.rstrip("\n")
        # Each line is its own member unless asked otherwise: no line is read as a follow-up
        # of an unrelated one.
        conversation = "ask" if one_conversation else f"ask-{number}"
        reply = engine.handle(IncomingMessage(text=text, conversation_id=conversation))
        if reply is None:  # cannot happen for addressed messages; kept for type safety
            continue
        if not full:
            reply = group_form(reply)
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
            "follow_up": reply.explanation.follow_up,
            "negated_red_flags": list(safety.negated_signs) if safety else [],
        }
    return data


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
