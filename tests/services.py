"""Find PostgreSQL and Redis for the tests, or start local ones, or fail with one line saying how.

DIGEST_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) and
DIGEST_TEST_REDIS_URL (default redis://127.0.0.1:6379/0). Never skipped.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

HOW = "start them with `docker compose up -d postgres redis` (or your distribution's packages)"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


class ServiceUnavailable(RuntimeError):
    pass


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(host, port, 0.5):
            return True
        time.sleep(0.1)
    return False


def postgres_url() -> str:
    url = os.environ.get("DIGEST_TEST_POSTGRES_URL", PG_DEFAULT)
    u = urlparse(url.replace("+psycopg", ""))
    host, port = u.hostname or "127.0.0.1", u.port or 5432
    if _port_open(host, port):
        return url
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not (initdb and pg_ctl) or host not in ("127.0.0.1", "localhost"):
        raise ServiceUnavailable(f"PostgreSQL does not answer at {host}:{port}; {HOW}")
    datadir = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(datadir, "postgres")
    subprocess.run(
        [*as_user, initdb, "-D", str(datadir), "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(datadir),
            "-l",
            str(datadir / "log"),
            "-w",
            "-o",
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    atexit.register(
        lambda: subprocess.run([*as_user, pg_ctl, "-D", str(datadir), "-m", "fast", "stop"], capture_output=True)
    )
    if not _wait_port(host, port, 30):
        raise ServiceUnavailable(f"started PostgreSQL in {datadir} but it does not answer; {HOW}")
    subprocess.run(
        ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE test"], capture_output=True
    )
    return url


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def redis_url() -> str:
    url = os.environ.get("DIGEST_TEST_REDIS_URL", REDIS_DEFAULT)
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or 6379
    if _port_open(host, port):
        return url
    server = shutil.which("redis-server")
    if not server or host not in ("127.0.0.1", "localhost"):
        raise ServiceUnavailable(f"Redis does not answer at {host}:{port}; {HOW}")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    if not _wait_port(host, port, 15):
        raise ServiceUnavailable(f"started redis-server but it does not answer on {port}; {HOW}")
    return url


def create_database(admin_url: str) -> str:
    """A fresh PostgreSQL database for this test run; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"digest_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
