"""Writing into the content YAML without disturbing it: adding a phrasing to an intent.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and layout, so the only
change in the file is the new line. The whole library is validated after the write; a
write that would break it is undone.
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tokens import CommentToken

from bot.core.content import load_library
from bot.core.located_yaml import ContentError, ContentProblem


class EditError(ValueError):
    """The edit was not made; the message says why."""


@dataclass(frozen=True, slots=True)
class PhrasingAdded:
    intent_id: str
    phrasing: str
    file: Path
    line: int  # 1-based line of the new phrasing


def round_trip_yaml() -> YAML:
    """A YAML reader/writer matching the content files' style (2-space maps, indented lists)."""
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def clean_phrasing(text: str) -> str:
    """A member's question as a phrasing: one line, single spaces, lower case like the files."""
    return " ".join(text.split()).lower()


def find_intent_file(content_dir: Path, intent_id: str) -> Path:
    """The intents/*.yaml file that defines `intent_id`; EditError when none does."""
    yaml = round_trip_yaml()
    for path in sorted((content_dir / "intents").glob("*.yaml")):
        if _find_intent(yaml.load(path.read_text(encoding="utf-8")), intent_id) is not None:
            return path
    raise EditError(f"no intent with id '{intent_id}' in {content_dir / 'intents'}")


def add_phrasing(content_dir: Path, intent_id: str, phrasing: str) -> PhrasingAdded:
    """Append `phrasing` to the intent's examples, then validate the library.

    Raises EditError when the intent is unknown, the phrasing is already there, or the
    library would not validate (the file is then restored byte for byte).
    """
    phrasing = clean_phrasing(phrasing)
    if not phrasing:
        raise EditError("the phrasing is empty")
    try:
        load_library(content_dir)
    except ContentError as exc:
        raise EditError(f"the library has problems already; fix them first:\n{exc}") from exc
    path = find_intent_file(content_dir, intent_id)
    original = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml()
    data = yaml.load(original)
    examples = _examples_of(data, intent_id)
    if not isinstance(examples, CommentedSeq):
        raise EditError(f"{path}: intent '{intent_id}' has no list of examples to add to")
    if phrasing in (clean_phrasing(str(e)) for e in examples):
        raise EditError(f"'{phrasing}' is already a phrasing of '{intent_id}'")
    _append_keeping_comments(examples, phrasing)
    out = io.StringIO()
    yaml.dump(data, out)
    write_atomically(path, out.getvalue())
    try:
        load_library(content_dir)
    except ContentError as exc:
        write_atomically(path, original)
        raise EditError(_describe_refusal(exc.problems)) from exc
    return PhrasingAdded(intent_id, phrasing, path, _line_of_last_example(path, intent_id))


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step, so a running bot never reloads a half-written file."""
    temporary = path.with_name(f".{path.name}.tmp")  # a dot file: the content watcher ignores it
    temporary.write_text(text, encoding="utf-8")
    shutil.copymode(path, temporary)
    os.replace(temporary, path)


def _find_intent(data: Any, intent_id: str) -> CommentedMap | None:
    intents = data.get("intents") if isinstance(data, CommentedMap) else None
    for intent in intents or ():
        if isinstance(intent, CommentedMap) and intent.get("id") == intent_id:
            return intent
    return None


def _examples_of(data: Any, intent_id: str) -> Any:
    intent = _find_intent(data, intent_id)
    return intent.get("examples") if intent is not None else None


def _append_keeping_comments(seq: CommentedSeq, value: str) -> None:
    """Append to a block list so that comments and blank lines stay where they were.

    ruamel keeps everything after the last item (an inline note, then blank lines and
    comment lines before the next key) as one comment on that item; appending naively
    would put the new item below those lines. The inline note stays with its item; the
    rest moves to the new last item.
    """
    last = len(seq) - 1
    seq.append(value)
    entry = seq.ca.items.get(last)
    token = entry[0] if entry else None
    if token is None:
        return
    inline, _, after = token.value.partition("\n")
    if inline.strip():
        if not after:
            return
        token.value = inline + "\n"
        moved = "\n" + after
    else:
        del seq.ca.items[last]
        moved = token.value
    seq.ca.items[last + 1] = [CommentToken(moved, token.start_mark, None), None, None, None]


def _line_of_last_example(path: Path, intent_id: str) -> int:
    """The 1-based line of the intent's last example, as written."""
    examples = _examples_of(round_trip_yaml().load(path.read_text(encoding="utf-8")), intent_id)
    return int(examples.lc.item(len(examples) - 1)[0]) + 1


def _describe_refusal(problems: list[ContentProblem]) -> str:
    listing = "\n".join(f"  {p}" for p in problems)
    return f"not added: the library would not validate, so the file was left as it was:\n{listing}"
