"""Helpers shared by tests: bounded waiting, real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def wait_for(
    condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, message: str = "condition"
) -> Any:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def digest_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: ours, minus test-only settings caches, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(overrides)
    env["PYTHONPATH"] = str(REPO)
    return env


@contextmanager
def celery_worker(
    env: dict[str, str], queues: str, log: Path, pool: str = "solo", app: str = "workers.app"
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process of `app`; stopped (and reaped) on exit."""
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        "-Q",
        queues,
        "-P",
        pool,
        "--loglevel",
        "INFO",
        "-n",
        f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
