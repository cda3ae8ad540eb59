"""What a command costs before it does anything: `digest --help`, `digest poll` and `digest send-due` with
nothing due, each in a fresh process, and the matcher built cold.

    .venv/bin/python -m bench.startup [--runs 7] [--smoke]

The application's modules are byte-compiled first, as an installed package's are (this matters where
PYTHONDONTWRITEBYTECODE is set, as in the Dockerfile: without .pyc files every process compiles ~70 modules,
~0.1 s). A scratch data folder with a migrated SQLite database and nothing in it (no feed due, no digest due).
Prints the median wall time of --runs fresh processes and their CPU time (user + system, which a busy machine
does not stretch) beside the targets of issue #17: `digest --help` <= 0.3 s, poll and send-due <= 0.6 s; and
the CPU time of the matcher's build in a fresh process against 0.1 s (with, apart, reading the bundled
taxonomy and importing the module before it), and of importing it and loading it from DATA_DIR/cache, where
`digest init` or the first process that matched kept it (digest.taxonomy.cache).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers import REPO, digest_env

TARGETS = {"digest --help": 0.3, "digest poll (nothing due)": 0.6, "digest send-due (nothing due)": 0.6}
MATCHER_TARGET = 0.1
_MATCHER = (
    "import time; t = time.process_time(); from digest.taxonomy import matcher; t1 = time.process_time(); "
    "skills = matcher.load_bundled()['skills']; t2 = time.process_time(); matcher.Matcher(skills); "
    "print(time.process_time() - t2, t2 - t1, t1 - t)"
)
# what a command that matches pays: the import and get_matcher(), which loads the matcher kept in DATA_DIR/cache
_CACHED = (
    "import time, digest.config; t = time.process_time(); from digest.taxonomy import matcher; "
    "matcher.get_matcher(); print(time.process_time() - t)"
)


def byte_compile() -> None:
    """Write the .pyc files of digest and workers, as installing the package does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "digest", "workers"], cwd=REPO, check=True)


def fresh(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one run each: seconds")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        env = digest_env(DIGEST_DATA_DIR=folder, DIGEST_SECRET_KEY="startup")
        subprocess.run([sys.executable, "-c", "from digest.store.engine import migrate;"
                        " from digest.config import get_settings; migrate(get_settings().db_url)"],
                       env=env, cwd=REPO, check=True)  # fmt: skip
        digest = str(Path(sys.executable).with_name("digest"))
        commands = {
            "digest --help": [digest, "--help"],
            "digest poll (nothing due)": [digest, "poll"],
            "digest send-due (nothing due)": [digest, "send-due"],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(runs):  # interleaved, so that the machine's load falls on all alike
            for name, cmd in commands.items():
                results[name].append(fresh(cmd, env))
        matcher = [sys.executable, "-c", _MATCHER]
        builds = [
            subprocess.run(matcher, env=env, cwd=REPO, check=True, capture_output=True, text=True).stdout.split()
            for _ in range(runs)
        ]
        cached = [sys.executable, "-c", _CACHED]
        subprocess.run(cached, env=env, cwd=REPO, check=True, capture_output=True)  # builds and keeps it
        loads = [
            float(subprocess.run(cached, env=env, cwd=REPO, check=True, capture_output=True, text=True).stdout)
            for _ in range(runs)
        ]
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores shared by five engineers' work)")
    print(f"fresh processes, median of {runs}:")
    for name, rs in results.items():
        wall, cpu = statistics.median(w for w, _ in rs), statistics.median(c for _, c in rs)
        print(f"  {name:31s} {wall:.2f} s wall, {cpu:.2f} s CPU (target <= {TARGETS[name]} s)")
    build, read, imported = (statistics.median(float(b[i]) for b in builds) for i in range(3))
    print(
        f"  the matcher, cold               build {build:.3f} s CPU (target <= {MATCHER_TARGET} s); before it, reading"
        f" the bundle {read:.3f} s and importing the module {imported:.3f} s"
    )
    print(
        f"  the matcher, kept in DATA_DIR   import and get_matcher() {statistics.median(loads):.3f} s CPU"
        f" (target <= {MATCHER_TARGET} s)"
    )


if __name__ == "__main__":
    main()
