"""`digest run` brings up web, worker and beat on the embedded default and stops them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from tests.helpers import REPO, digest_env, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except OSError:
        return 0, {}


def _add_skill(data_dir: Path) -> None:
    from digest.config import Settings
    from digest.store.engine import make_engine, session_factory
    from digest.store.models import Skill

    engine = make_engine(Settings(data_dir=data_dir).db_url)
    with session_factory(engine)() as session:
        session.add(Skill(slug="python", name="Python", category="Programming languages"))
        session.commit()
    engine.dispose()


def _status(url: str) -> int:
    """The final status of a GET that keeps cookies across redirects, as a browser does."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    try:
        with opener.open(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_digest_run_serves_executes_tasks_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = digest_env(DIGEST_DATA_DIR=str(tmp_path / "var"))
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", "run", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        status, body = wait_for(lambda: (r := _get(f"{base}/healthz"))[0] and r, timeout=60, message="/healthz")
        assert status == 200 and body["database"] == "ok"
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len(descendants) >= 3  # web, worker (+ pool), beat

        # a task sent through the server-less broker is executed by the worker
        send = "from workers.tasks import heartbeat; heartbeat.delay('from-test', '2026-05-17T08:00:00Z')"
        subprocess.run([sys.executable, "-c", send], env=env, cwd=REPO, check=True, timeout=60)
        wait_for(
            lambda: "from-test" in _get(f"{base}/healthz")[1].get("heartbeats", {}),  # type: ignore[operator]
            timeout=60,
            message="the worker to run the task",
        )
        # a subscribe answers at once; the worker beside the web renders and sends its confirmation
        _add_skill(tmp_path / "var")
        body = json.dumps({"email": "ann@example.com", "skill": "python", "cadence": "daily"}).encode()
        req = urllib.request.Request(f"{base}/api/subscriptions", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 202
        outbox = tmp_path / "var" / "outbox"
        wait_for(lambda: list(outbox.glob("confirm-*.eml")), timeout=60, message="the confirmation email")
        out = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{port}/" in out and str(tmp_path / "var" / "outbox") in out
        # the outbox answers only with the key `digest run` printed
        key = (tmp_path / "var" / "outbox_key").read_text().strip()
        assert f"http://127.0.0.1:{port}/outbox?key={key}" in out
        assert _status(f"{base}/outbox") == 404 and _status(f"{base}/outbox?key={key}") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        log.close()
    assert proc.returncode == 0, (tmp_path / "run.log").read_text()
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"left behind: {alive}"
    assert not any(
        p.info["cmdline"] and str(tmp_path) in " ".join(p.info["cmdline"])
        for p in psutil.process_iter(["cmdline"])
        if p.pid != os.getpid()
    )
