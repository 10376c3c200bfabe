"""Reading deploy/: the Dockerfile's instructions, the YAML documents (for the deploy tests)."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import DEPLOY


@dataclass
class Dockerfile:
    """The final stage's instructions that decide how the container runs."""

    env: dict[str, str] = field(default_factory=dict)
    user: str = ""
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    stages: int = 0

    def command(self, python: str = sys.executable) -> list[str]:
        """ENTRYPOINT + CMD as the container runs them, with this interpreter for `python`."""
        return [python if part == "python" else part for part in self.entrypoint + self.cmd]

    def healthcheck_command(self, python: str = sys.executable) -> list[str]:
        return [python if part == "python" else part for part in self.healthcheck]


def read_dockerfile(path: Path = DEPLOY / "Dockerfile") -> Dockerfile:
    """Parse continuation lines and the instructions of the last stage that matter at run time."""
    result = Dockerfile()
    for instruction, argument in _instructions(path.read_text(encoding="utf-8")):
        if instruction == "FROM":
            result = Dockerfile(stages=result.stages + 1)  # a new stage starts afresh
        elif instruction == "ENV":
            result.env.update(part.split("=", 1) for part in shlex.split(argument))  # type: ignore[misc]
        elif instruction == "USER":
            result.user = argument
        elif instruction == "ENTRYPOINT":
            result.entrypoint = json.loads(argument)
        elif instruction == "CMD":
            result.cmd = json.loads(argument)
        elif instruction == "HEALTHCHECK":
            result.healthcheck = json.loads(argument.split(" CMD ", 1)[1])
    return result


def _instructions(text: str) -> list[tuple[str, str]]:
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    pairs = [line.split(None, 1) for line in logical]
    return [(pair[0].upper(), " ".join(pair[1].split())) for pair in pairs]


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    """Every document of a YAML file (a manifest file holds several)."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def find(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    [document] = [doc for doc in documents if doc["kind"] == kind]
    return document
