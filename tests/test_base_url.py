"""`digest serve --port P` links emails to port P unless DIGEST_BASE_URL is set, says so, and warns once per
host when requests come under another Host. The emails are the worker's (one runs beside the server here, as
`digest run` starts one)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from digest.config import base_url_for
from tests.accounts_data import outbox
from tests.browser.conftest import free_port
from tests.helpers import REPO, celery_worker, digest_env, wait_for


def _serve(tmp_path: Path, port: int, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    data = tmp_path / "var"
    full = digest_env(DIGEST_DATA_DIR=str(data), DIGEST_SECRET_KEY="s", **env)
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", "serve", "--port", str(port)],
        env=full,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc, log


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _account(tmp_path: Path) -> None:
    """An account for ann@example.com in the server's SQLite database."""
    code = (
        "from datetime import UTC, datetime\n"
        "from digest.store.engine import migrate, session_scope\n"
        "from digest.config import get_settings\n"
        "from digest.accounts.people import get_or_create_user\n"
        "migrate(get_settings().db_url)\n"
        "with session_scope() as s:\n"
        "    get_or_create_user(s, 'ann@example.com', datetime.now(UTC))\n"
    )
    env = digest_env(DIGEST_DATA_DIR=str(tmp_path / "var"), DIGEST_SECRET_KEY="s")
    subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, check=True, timeout=60)


@pytest.mark.parametrize("given", [False, True], ids=["derived", "from-DIGEST_BASE_URL"])
def test_email_links_follow_the_port_and_every_one_works(tmp_path: Path, given: bool) -> None:
    _account(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"DIGEST_BASE_URL": f"http://localhost:{port}/"} if given else {}
    proc, log = _serve(tmp_path, port, **env)
    worker_env = digest_env(DIGEST_DATA_DIR=str(tmp_path / "var"), DIGEST_SECRET_KEY="s", **env)
    try:
        wait_for(lambda: _up(base), timeout=30, message="digest serve")
        r = httpx.post(base + "/api/login", json={"email": "ann@example.com"}, timeout=10)
        assert r.status_code == 202
        with celery_worker(worker_env, "digest.delivery", tmp_path / "worker.log"):
            [email] = wait_for(lambda: outbox(tmp_path / "var" / "outbox"), timeout=30, message="the sign-in email")
        expected = f"http://localhost:{port}" if given else base
        parts = [p.get_content() for p in email.walk() if p.get_content_type() in ("text/plain", "text/html")]
        links = {u for part in parts for u in re.findall(r"https?://[^\s\"'<>)]+", part)}
        assert links and all(u.startswith(expected + "/") or u == expected for u in links), links
        for url in links:  # every link in the email works against the running server
            assert httpx.get(url.replace("&amp;", "&"), timeout=10).status_code == 200, url
        out = log.read_text()
        assert f"links in emails point at {expected} (" in out
        assert ("from --host/--port" in out) is not given
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_request_under_another_host_is_logged_once(tmp_path: Path) -> None:
    _account(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, log = _serve(tmp_path, port)
    try:
        wait_for(lambda: _up(base), timeout=30, message="digest serve")
        for host in ("digest.example.org", "digest.example.org", f"localhost:{port}", f"127.0.0.1:{port}"):
            assert httpx.get(base + "/healthz", headers={"Host": host}, timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    warnings = [line for line in log.read_text().splitlines() if line.startswith("a request came for host")]
    assert len(warnings) == 1 and "'digest.example.org'" in warnings[0] and base in warnings[0], warnings


def test_base_url_for_host_and_port() -> None:
    assert base_url_for("127.0.0.1", 8321) == "http://127.0.0.1:8321"
    assert base_url_for("0.0.0.0", 80) == "http://127.0.0.1:80"
    assert base_url_for("::1", 8000) == "http://[::1]:8000"
    assert base_url_for("digest.local", 8000) == "http://digest.local:8000"


def test_commands_run_beside_the_server_link_to_its_port(tmp_path: Path) -> None:
    """`digest run --port P` in one terminal and `digest subscribe`/`send-due`/`preview` in another (no
    DIGEST_BASE_URL in either): the emails those commands send link to port P, where the server answers,
    not to the default port 8000."""
    _account(tmp_path)
    code = (
        "from digest.store.engine import session_scope\n"
        "from digest.store.models import Skill\n"
        "with session_scope() as s:\n"
        "    s.add(Skill(slug='python', name='Python'))\n"
    )
    env = digest_env(DIGEST_DATA_DIR=str(tmp_path / "var"), DIGEST_SECRET_KEY="s")
    subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, check=True, timeout=60)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _ = _serve(tmp_path, port)
    try:
        wait_for(lambda: _up(base), timeout=30, message="digest serve")
        cli = [sys.executable, "-m", "digest.cli", "subscribe", "bob@example.com", "python"]
        done = subprocess.run(cli, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        [email] = [m for m in outbox(tmp_path / "var" / "outbox") if m["To"] == "bob@example.com"]
        text = email.get_body(("plain",)).get_content()
        links = set(re.findall(r"https?://[^\s\"'<>)]+", text))
        assert links and all(u == base or u.startswith(base + "/") for u in links), links
        for url in links:
            assert httpx.get(url, timeout=10).status_code == 200, url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
