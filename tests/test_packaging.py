"""A wheel install answers from any folder: the library ships as package data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers import ROOT


def test_a_wheel_answers_from_a_temporary_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ there
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("bot", "content"):
        shutil.copytree(
            ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(source),
            "--wheel-dir",
            str(tmp_path / "wheel"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "wheel").glob("*.whl")
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CONTENT_DIR", "DATA_DIR")}
    env["PYTHONPATH"] = str(installed)  # ahead of the checkout's editable install

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert run("-c", "import bot; print(bot.__file__)").startswith(str(installed))
    reply = json.loads(run("-m", "bot", "ask", "--json", "why does my lower back hurt after long runs?"))
    assert reply["answered"] and reply["topic"] == "causes"


def test_loading_an_adapter_loads_no_database_or_file_watching_code() -> None:
    # Every module in bot/adapters, so a module split off an adapter later is covered too.
    code = (
        "import importlib, pkgutil, sys, bot.adapters; "
        "names = [m.name for m in pkgutil.iter_modules(bot.adapters.__path__)]; "
        "assert {'telegram', 'discord'} <= set(names), names; "
        "[importlib.import_module(f'bot.adapters.{name}') for name in names]; "
        "print(sorted(m for m in ('sqlalchemy', 'watchfiles', 'aiosqlite', 'asyncpg') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
