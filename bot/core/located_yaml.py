"""Safe YAML loading that remembers the line of every value, for precise error messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]
# libyaml's C parser when PyYAML has it (ten times faster on a large library), same rules.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass(frozen=True, slots=True)
class ContentProblem:
    """One thing wrong with the content, pointing at a file, a line and a field."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ContentError(Exception):
    """The content has problems; `problems` lists every one found."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """Plain Python data plus the 1-based line of each value, keyed by its path."""

    file: str
    data: Any
    lines: dict[Path, int]
    folded: frozenset[Path] = frozenset()  # plain texts that ran over several lines

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: Path, message: str) -> ContentProblem:
        return ContentProblem(self.file, self.line(path), field_name(path), message)


def field_name(path: Path) -> str:
    """Render ("intents", 3, "examples") as intents[3].examples."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def load_located(text: str, file: str) -> LocatedDocument:
    """Parse `text` with the safe loader (no object construction) and keep line numbers.

    Raises ContentError naming the file and line when the text is not valid YAML.
    """
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        walk = _Walk(loader)
        data = walk.convert(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ContentError([ContentProblem(file, line, "", f"not valid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([ContentProblem(file, 1, "", f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    return LocatedDocument(file, data, walk.lines, frozenset(walk.folded))


MAX_VALUES = 200_000  # values after aliases are expanded: a few kilobytes can expand to billions


class _Walk:
    """Converts a composed YAML node tree to plain data, keeping each value's line."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self.lines: dict[Path, int] = {}
        self.folded: set[Path] = set()
        self._values = 0

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self._values += 1
        if self._values > MAX_VALUES:
            raise yaml.constructor.ConstructorError(
                None, None, f"more than {MAX_VALUES:,} values (aliases expanding?)", node.start_mark
            )
        self.lines[path] = node.start_mark.line + 1
        tag_allowed = node.tag in _PLAIN_COLLECTION_TAGS
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not tag_allowed:
            # The safe loader would refuse this tag; walking the node ourselves must too.
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed", node.start_mark
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]
        style = node.style if isinstance(node, yaml.ScalarNode) else None
        if not style and node.end_mark.line > node.start_mark.line:  # plain: "" (libyaml) or None
            self.folded.add(path)
        return self._loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self._loader.flatten_mapping(node)  # resolves merge keys (<<) the way safe_load does
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text, not a list or a mapping", key_node.start_mark
                )
            key = self._loader.construct_object(key_node, deep=True)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = self.convert(value_node, (*path, str(key)))
        return result
