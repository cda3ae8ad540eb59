"""Every benchmark still runs: each one's --smoke mode (tiny sizes, seconds), as a user would start it.

A new module under bench/ must join BENCHES (or HELPERS, when it is imported by benchmarks and not run), so
no benchmark can rot unnoticed; speed itself is printed by the benchmarks, never asserted here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, digest_env

PY = sys.executable
BENCHES = {
    "backtest_shifts": [PY, "-m", "bench.backtest_shifts", "--smoke"],
    "demand": [PY, "-m", "bench.demand", "--smoke"],
    "digests": [PY, "-m", "bench.digests", "--smoke"],
    "e2e": [PY, "-m", "bench.e2e", "--smoke"],
    "ingest": [PY, "-m", "bench.ingest", "--smoke"],
    "ingest --with-indexing": [PY, "-m", "bench.ingest", "--smoke", "--with-indexing"],
    "match": [PY, "-m", "bench.match", "--smoke"],
    "peer": [PY, "-m", "bench.peer", "--smoke"],
    "shift_cost": [PY, "-m", "bench.shift_cost", "--smoke"],
    "startup": [PY, "-m", "bench.startup", "--smoke"],
    "web_load": ["bash", "bench/web_load.sh", "--smoke"],
}
HELPERS = {"__init__", "databases", "e2e_beat", "render_baseline", "web_load"}  # web_load.py serves web_load.sh


def test_every_benchmark_has_a_smoke_run() -> None:
    modules = {p.stem for p in (REPO / "bench").glob("*.py")}
    assert modules - HELPERS <= {name.split()[0] for name in BENCHES}, "a benchmark without a smoke run"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BENCHES))
def test_benchmark_smoke_run(name: str, shared_data: Path) -> None:
    env = digest_env(DIGEST_SHARED_DATA=str(shared_data))
    done = subprocess.run(BENCHES[name], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "target" in done.stdout, done.stdout[-2000:]  # each prints its figures beside their targets
