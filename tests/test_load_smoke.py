"""A tiny run of bench/load_test.py: two webhook processes, one PostgreSQL, nothing lost or doubled."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tests.postgres import postgres_reachable


@pytest.mark.skipif(not postgres_reachable(), reason="PostgreSQL is not reachable on 127.0.0.1:5432")
def test_two_processes_answer_every_update_exactly_once() -> None:
    command = [sys.executable, "bench/load_test.py", "--processes", "2", "--updates", "80", "--window", "8"]
    command += ["--duplicate-every", "4", "--timeout", "60"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("2 process(es): 80 updates (+20 delivered twice)")
    assert line.endswith("every update answered exactly once, feedback counts exact")
