"""The layout keeps the design visible: small modules and functions, dependencies pointing
one way (core <- adapters, admin, ops <- app, cli)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
MAX_MODULE_LINES = 350  # outside bot/core, whose matcher and parsers are read as a whole
MAX_FUNCTION_LINES = 50
PLATFORM_LIBRARIES = ("telegram", "discord", "sqlalchemy", "watchfiles", "aiohttp", "prometheus_client")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module name `path` imports, relative imports made absolute."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
            names.add(base.strip("."))
    return names


def part(path: Path) -> str:
    """The top-level part of bot/ a module belongs to: core, adapters, admin, ops, cli or app."""
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else path.stem


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    if part(path) != "core":
        assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path.name}:{node.lineno} {node.name}: {length} lines"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_point_one_way(path: Path) -> None:
    names = imported(path)
    top = {name.split(".")[0] for name in names}
    if part(path) == "core":
        assert not {n for n in names if n.startswith(("bot.adapters", "bot.admin", "bot.ops"))}
        assert not top & set(PLATFORM_LIBRARIES)
    if part(path) not in ("app", "cli", "__main__"):
        assert not {n for n in names if n == "bot.app" or n.startswith("bot.cli")}


def test_the_check_sees_imports() -> None:
    """The import reader finds what the composition root pulls in (so the checks above can fail)."""
    names = imported(PACKAGE / "app.py")
    assert any(n.startswith("bot.adapters") for n in names) and any(n.startswith("bot.core") for n in names)
