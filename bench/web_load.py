"""Helpers for bench/web_load.sh: a scratch PostgreSQL database with the taxonomy and the HN postings,
and the parsing of wrk's report.

    python -m bench.web_load prepare            # prints the database URL
    python -m bench.web_load report NAME target|rate|'' RATE FILE...   # one line from wrk --latency outputs
    python -m bench.web_load drop URL
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from tests import services
from tests.helpers import REPO, digest_env

TARGET_P99_MS = 100.0


def prepare(shared: Path, data_dir: Path) -> str:
    from digest.store.engine import migrate

    url = services.create_database(services.postgres_url())
    migrate(url)
    env = digest_env(DIGEST_DATABASE_URL=url, DIGEST_DATA_DIR=str(data_dir), DIGEST_SECRET_KEY="load")
    subprocess.run([sys.executable, "-m", "digest.cli", "init"], env=env, cwd=REPO, check=True, capture_output=True)
    if os.environ.get("WEB_LOAD_SMOKE"):
        return url  # the smoke run: pages without postings are enough to exercise the script
    subprocess.run(
        [
            sys.executable,
            "-m",
            "digest.cli",
            "import-jobs",
            str(shared / "hn-whoishiring-2026q1"),
            "--format",
            "hn",
            "--json",
        ],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return url


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def figures(text: str) -> tuple[float, float, float, int, int]:
    """requests/s, p50 ms, p99 ms, errors, requests from one wrk --latency output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    pct = dict(re.findall(r"^\s+(50|99)\.000%\s+(\S+)", text, re.M)) or dict(
        re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M)
    )
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    return (float(rps.group(1)) if rps else 0.0, _ms(pct.get("50", "")), _ms(pct.get("99", "")), errors,
            int(total.group(1)) if total else 0)  # fmt: skip


def cpu_ms(text: str) -> tuple[float, float, float]:
    """The web's, the worker's and the database backends' CPU (user+sys) in ms during one run, as
    web_load.sh appends it."""
    m = re.search(r"cpu_ticks web (\d+) worker (\d+) db (\d+) hz (\d+)", text)
    if not m:
        return 0.0, 0.0, 0.0
    hz = int(m.group(4))
    return int(m.group(1)) * 1000 / hz, int(m.group(2)) * 1000 / hz, int(m.group(3)) * 1000 / hz


def report(name: str, texts: list[str], target: str, offered: float) -> str:
    """One line: the median of each figure over the runs, errors and requests summed, CPU per request over
    all runs. `target`: "target" (p99 and errors), "rate" (also served at the offered rate, within 5 %) or ""
    (none)."""
    runs = [figures(t) for t in texts]
    rps, p50, p99 = (statistics.median(r[i] for r in runs) for i in range(3))
    errors, total = sum(r[3] for r in runs), sum(r[4] for r in runs)
    cpu = [cpu_ms(t) for t in texts]
    web_cpu, worker_cpu, db_cpu = (sum(c[i] for c in cpu) / max(total, 1) for i in range(3))
    line = (f"{name:<28} {rps:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  errors {errors} of {total}"
            f"  (p99 of each run: {', '.join(f'{r[2]:.0f}' for r in runs)} ms)"
            f"  CPU/request: web {web_cpu:.2f} ms, worker {worker_cpu:.2f} ms, database {db_cpu:.2f} ms")  # fmt: skip
    if target:
        ok = p99 <= TARGET_P99_MS and errors == 0 and (target != "rate" or rps >= 0.95 * offered)
        rate = f"{offered:.0f} req/s served, " if target == "rate" else ""
        line += f"   target {rate}p99 <= {TARGET_P99_MS:.0f} ms, 0 errors: {'met' if ok else 'NOT met'}"
    return line


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "prepare":
        print(prepare(Path(sys.argv[2]), Path(sys.argv[3])))
    elif cmd == "report":
        texts = [Path(f).read_text() for f in sys.argv[5:]]
        print(report(sys.argv[2], texts, target=sys.argv[3], offered=float(sys.argv[4])))
    elif cmd == "drop":
        services.drop_database(services.postgres_url(), sys.argv[2])


if __name__ == "__main__":
    main()
