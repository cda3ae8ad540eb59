"""The README's commands set up a fresh machine: scripts/debian-packages installs Debian's chromium and wrk when
they are missing and it can (root with apt-get), or stops with one line saying how. Run against paths this test
controls (DIGEST_CHROMIUM, DIGEST_WRK) and a stand-in apt-get on PATH, so the machine's own are never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import REPO

SCRIPT = REPO / "scripts" / "debian-packages"


def _bin(tmp_path: Path, uid: int, apt: bool) -> Path:
    """A PATH folder holding only `id` (answering `uid`) and, with `apt`, an apt-get that logs its arguments
    and, on `install`, puts an executable at DIGEST_CHROMIUM (and DIGEST_WRK when it installs wrk)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    if apt:
        (folder / "apt-get").write_text(
            '#!/bin/sh\necho "$*" >> "$APT_LOG"\n'
            'case "$*" in *install*) printf "#!/bin/sh\\n" > "$DIGEST_CHROMIUM"; '
            f'{shutil.which("chmod")} +x "$DIGEST_CHROMIUM";; esac\n'
            'case "$*" in *install*wrk*) printf "#!/bin/sh\\n" > "$DIGEST_WRK"; '
            f'{shutil.which("chmod")} +x "$DIGEST_WRK";; esac\n'
        )
    for name in os.listdir(folder):
        (folder / name).chmod(0o755)
    return folder


def _run(tmp_path: Path, uid: int, apt: bool, wrk: bool = True) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Run the script with chromium missing unless the test made it; wrk present unless `wrk` is False."""
    chromium, log, wrk_path = tmp_path / "chromium", tmp_path / "apt.log", tmp_path / "wrk"
    if wrk:
        wrk_path.write_text("#!/bin/sh\n")
        wrk_path.chmod(0o755)
    env = {"PATH": str(_bin(tmp_path, uid, apt)), "DIGEST_CHROMIUM": str(chromium), "DIGEST_WRK": str(wrk_path),
           "APT_LOG": str(log)}  # fmt: skip
    proc = subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    return proc, chromium, log


def test_installs_chromium_as_root_with_apt(tmp_path: Path) -> None:
    proc, chromium, log = _run(tmp_path, uid=0, apt=True)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert os.access(chromium, os.X_OK)


def test_installs_every_missing_package_at_once(tmp_path: Path) -> None:
    proc, chromium, log = _run(tmp_path, uid=0, apt=True, wrk=False)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium wrk"]
    assert os.access(chromium, os.X_OK) and os.access(tmp_path / "wrk", os.X_OK)


def test_without_root_stops_with_one_line_saying_how(tmp_path: Path) -> None:
    proc, chromium, log = _run(tmp_path, uid=1000, apt=True)
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert "apt-get install -y chromium" in line and str(chromium) in line
    assert not log.exists() and not chromium.exists()


def test_without_apt_stops_with_one_line_saying_how(tmp_path: Path) -> None:
    proc, _, _ = _run(tmp_path, uid=0, apt=False)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and "install it as root" in proc.stderr


def test_present_chromium_needs_nothing(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    proc, _, log = _run(tmp_path, uid=0, apt=True)
    assert proc.returncode == 0 and proc.stderr == "" and not log.exists()


def test_the_test_command_checks_the_browser_and_ci_runs_only_it() -> None:
    lines = (REPO / "scripts" / "test").read_text().splitlines()
    pytest_line = next(i for i, line in enumerate(lines) if line.startswith(".venv/bin/pytest"))
    assert lines.index("scripts/debian-packages") < pytest_line
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "exec ./scripts/test"
