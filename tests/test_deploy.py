"""deploy/: what can be checked without Docker or a cluster, with offline validators.

- Dockerfile: hadolint's lint, and the facts that matter (two stages, non-root numeric
  user, settings, health check). The entry point and the health check command themselves
  run in tests/test_operations.py.
- compose.yaml: the Compose specification's JSON schema (vendored in check-jsonschema).
- Kubernetes: every manifest against the API schemas bundled in kubernetes-validate, for
  the oldest and the newest version it knows; the shard arithmetic of the StatefulSet's
  start command, run by /bin/sh as the pod runs it.
- systemd: `systemd-analyze verify` on the unit, with its paths pointed at this checkout.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.settings import Settings
from tests.deploy_files import DEPLOY, find, read_dockerfile, yaml_documents
from tests.helpers import ROOT

BIN = Path(sys.executable).parent  # the validators are console scripts of the dev extra
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))

DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"  # shaped like a real one


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60)


# --- Dockerfile -------------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), "deploy/Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_the_bot_as_a_numeric_non_root_user_with_a_health_check() -> None:
    image = read_dockerfile()
    assert image.stages == 2  # build tools stay in the first stage
    uid = image.user.split(":")[0]
    assert uid.isdigit() and uid != "0"
    assert image.entrypoint == ["python", "-m", "bot"] and image.cmd == ["run"]
    assert image.healthcheck == ["python", "-m", "bot", "healthcheck"]
    settings = Settings.from_mapping(image.env)
    assert (
        settings.health_port == 8080 and settings.health_host == "0.0.0.0" and settings.log_format == "json"
    )
    assert settings.content_dir == Path("/app/content") and settings.data_dir == Path("/app/data")


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignored[ignored.index("*") :][:6] == [
        "*",
        "!pyproject.toml",
        "!README.md",
        "!bot/",
        "!content/",
        "**/__pycache__",
    ]


# --- compose ----------------------------------------------------------------------------------


def test_compose_follows_the_compose_specification() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "deploy/compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_the_bot_beside_postgresql_with_the_content_mounted() -> None:
    [compose] = yaml_documents(DEPLOY / "compose.yaml")
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert "../content:/app/content:ro" in bot["volumes"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in db
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://backpain:${POSTGRES_PASSWORD")
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])  # nothing public by default
    assert bot["init"] is True and "ports" not in db


# --- Kubernetes -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.27.0", "1.37.0"])
def test_the_manifests_validate_against_the_kubernetes_schemas(version: str) -> None:
    result = run(tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, *map(str, MANIFESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_telegram_replicas_run_the_webhook_behind_a_service_and_gate_on_healthz() -> None:
    documents = yaml_documents(DEPLOY / "kubernetes" / "telegram.yaml")
    deployment, service = find(documents, "Deployment"), find(documents, "Service")
    assert deployment["spec"]["replicas"] >= 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "PLATFORMS", "value": "telegram"} in container["env"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "webhook"
    config = find(yaml_documents(DEPLOY / "kubernetes" / "config.yaml"), "ConfigMap")["data"]
    port = int(config["TELEGRAM_WEBHOOK_PORT"])
    assert {"name": "webhook", "containerPort": port} in container["ports"]
    token = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"  # shaped like BotFather's
    settings = Settings.from_mapping({**config, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_WEBHOOK_SECRET": "s"})
    assert settings.telegram_webhook_url.startswith("https://") and settings.health_port == 8080


def test_discord_replicas_split_every_shard_between_them(tmp_path: Path) -> None:
    statefulset = find(yaml_documents(DEPLOY / "kubernetes" / "discord.yaml"), "StatefulSet")
    [container] = statefulset["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    replicas, count = statefulset["spec"]["replicas"], int(env["DISCORD_SHARD_COUNT"])
    assert replicas * int(env["SHARDS_PER_REPLICA"]) == count and env["PLATFORMS"] == "discord"

    fake_python = tmp_path / "python"  # stands in for the bot: prints the shards it was given
    fake_python.write_text('#!/bin/sh\necho "$DISCORD_SHARD_IDS"\n')
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    shards: list[int] = []
    for ordinal in range(replicas):
        pod_env = {
            **env,
            "HOSTNAME": f"backpain-discord-{ordinal}",
            "PATH": f"{tmp_path}:{os.environ['PATH']}",
        }
        result = subprocess.run(
            [*container["command"], *container["args"]],
            capture_output=True,
            text=True,
            env=pod_env,
            timeout=10,
        )
        given = {
            **env,
            "DISCORD_SHARD_IDS": result.stdout.strip(),
            "DISCORD_BOT_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345",
        }
        ids = Settings.from_mapping(given).discord_shard_ids
        shards += ids
    assert sorted(shards) == list(range(count))  # every shard once, none twice


# --- systemd ----------------------------------------------------------------------------------


def test_the_systemd_unit_verifies_and_runs_the_same_entry_point(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "backpain-bot.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/backpain-bot/.venv/bin/python -m bot run" in unit
    local = tmp_path / "backpain-bot.service"  # verify checks that ExecStart exists: point it here
    local.write_text(
        unit.replace("/opt/backpain-bot/.venv/bin/python", sys.executable).replace(
            "/opt/backpain-bot", str(ROOT)
        )
    )
    result = run(analyze, "verify", str(local))
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
