"""docker-compose.yml is the production shape: checked by `docker compose config` where docker exists,
and structurally everywhere."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.helpers import REPO


def test_compose_has_the_production_services() -> None:
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = doc["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["command"] == ["digest", "init"]
    env = doc["x-digest"]["environment"]
    assert env["DIGEST_BROKER_URL"].startswith("redis://")
    assert env["DIGEST_DATABASE_URL"].startswith("postgresql")
    assert (REPO / "Dockerfile").exists()


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file() -> None:
    compose = _compose_command()
    if compose is None:
        # no compose on this machine: the structural test above is the check
        return
    proc = subprocess.run(
        [*compose, "config", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"DIGEST_SECRET_KEY": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert proc.returncode == 0, proc.stderr
