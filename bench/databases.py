"""A scratch database for one benchmark run: a SQLite file in a temporary folder, or a new PostgreSQL
database on the test server (tests/services.py), dropped afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """The URL of an empty database of `kind` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='digest-bench-')) / 'bench.sqlite3'}"
        return
    from tests import services

    admin = services.postgres_url()
    url = services.create_database(admin)
    try:
        yield url
    finally:
        services.drop_database(admin, url)


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these PostgreSQL backends (0 where /proc does not show them: a remote
    server, another user)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
