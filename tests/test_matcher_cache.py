"""The built matcher kept in DATA_DIR/cache (digest.taxonomy.cache): used only under this bundle's and this code's
key, ignored and written again when damaged, never a reason to fail. That what it loads matches as the built
matcher does, span for span, is in tests/test_matcher_engine.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest.taxonomy import cache
from digest.taxonomy.matcher import Matcher, _bundle
from tests.helpers import REPO, digest_env

# a small taxonomy: the cache does not care what it holds, and these tests build it often
BUNDLE = json.dumps(
    {
        "skills": [
            {"slug": "python", "name": "Python", "aliases": [{"alias": "Python", "kind": "ci"}]},
            {"slug": "go", "name": "Go", "weak": True, "aliases": [{"alias": "Go", "kind": "exact"}]},
            {"slug": "cpp", "name": "C++", "aliases": [{"alias": "C++", "kind": "ci"}]},
        ]
    }
).encode()


class Builds:
    """The build function handed to cache.cached, counting its calls."""

    def __init__(self, bundle: bytes = BUNDLE) -> None:
        self.bundle, self.calls = bundle, 0

    def __call__(self) -> Matcher:
        self.calls += 1
        return Matcher(json.loads(self.bundle)["skills"])


def _matches(m: Matcher) -> list[tuple[str, str]]:
    return [(x.slug, x.alias) for x in m.match("Python, Go and C++17 in a Go shop")]


def test_a_second_process_loads_what_the_first_built(tmp_path: Path) -> None:
    first, second = Builds(), Builds()
    built = cache.cached(tmp_path, BUNDLE, first)
    loaded = cache.cached(tmp_path, BUNDLE, second)
    assert (first.calls, second.calls) == (1, 0)
    assert loaded is not built and _matches(loaded) == _matches(built) == [
        ("python", "Python"),
        ("go", "Go"),
        ("cpp", "C++17"),
    ]
    assert [p.name for p in tmp_path.iterdir()] == [cache.FILE]
    assert (tmp_path / cache.FILE).stat().st_mode & 0o777 == 0o600


def test_another_bundle_misses_and_replaces_the_file(tmp_path: Path) -> None:
    cache.cached(tmp_path, BUNDLE, Builds())
    other = BUNDLE.replace(b'"C++"', b'"C#"')
    builds = Builds(other)
    assert [x.slug for x in cache.cached(tmp_path, other, builds).match("C#")] == ["cpp"]
    assert builds.calls == 1
    assert [p.name for p in tmp_path.iterdir()] == [cache.FILE]  # one file: the size of one matcher
    again = Builds()
    cache.cached(tmp_path, BUNDLE, again)
    assert again.calls == 1


def test_a_change_to_the_code_that_builds_the_tables_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(Path(cache.__file__).parent, sources, ignore=shutil.ignore_patterns("data", "__pycache__"))
    monkeypatch.setattr(cache, "_SOURCES", sources)
    key = cache.key(BUNDLE)
    assert key is not None and cache.store(tmp_path, key, Builds()())
    for name in ("matcher.py", "scan.py", "normalize.py", "curated.py", "cache.py"):
        source = sources / name
        text = source.read_bytes()
        source.write_bytes(text + b"\n# changed\n")
        changed = cache.key(BUNDLE)
        assert changed not in (None, key), name
        assert cache.load(tmp_path, changed) is None, name  # type: ignore[arg-type]
        source.write_bytes(text)
    assert cache.key(BUNDLE) == key and cache.load(tmp_path, key) is not None
    (sources / "scan.py").unlink()  # the code cannot be read (a zipped install): no cache, built every time
    assert cache.key(BUNDLE) is None
    builds = Builds()
    cache.cached(tmp_path, BUNDLE, builds)
    assert builds.calls == 1


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "not a pickle", "another class"])
def test_a_damaged_file_is_built_again_and_rewritten(tmp_path: Path, damage: str) -> None:
    import hashlib
    import pickle

    cache.cached(tmp_path, BUNDLE, Builds())
    path = tmp_path / cache.FILE
    raw = path.read_bytes()
    key = cache.key(BUNDLE)
    assert key is not None
    head = raw[: len(cache._MAGIC) + len(key)]
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":
        path.write_bytes(raw[:-40] + bytes([raw[-40] ^ 1]) + raw[-39:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # what passes the checksum but is no matcher: not trusted either
        payload = b"\x80\x05garbage" if damage == "not a pickle" else pickle.dumps({"skills": []})
        path.write_bytes(head + hashlib.blake2b(payload, digest_size=32).digest() + payload)
    assert cache.load(tmp_path, key) is None
    builds = Builds()
    assert _matches(cache.cached(tmp_path, BUNDLE, builds)) == [("python", "Python"), ("go", "Go"), ("cpp", "C++17")]
    assert builds.calls == 1
    assert path.read_bytes() == raw  # written again, whole


def test_a_folder_that_cannot_be_written_or_read_is_no_cache(tmp_path: Path) -> None:
    """A read-only DATA_DIR (here: a file where the folder should be, which fails as a read-only mount does),
    a DATA_DIR not made yet, or a file that cannot be read: the matcher is built, nothing raised."""
    blocked = tmp_path / "file"
    blocked.write_text("")
    for folder in (blocked / "cache", tmp_path / "missing" / "cache"):
        builds = Builds()
        assert _matches(cache.cached(folder, BUNDLE, builds))
        assert builds.calls == 1 and not cache.store(folder, b"k", builds())
    assert not (tmp_path / "missing").exists()  # DATA_DIR is not made as a side effect
    (tmp_path / "dir" / cache.FILE).mkdir(parents=True)  # unreadable as a file
    builds = Builds()
    assert _matches(cache.cached(tmp_path / "dir", BUNDLE, builds)) and builds.calls == 1


def test_leftovers_of_killed_writers_are_swept(tmp_path: Path) -> None:
    old, young = tmp_path / f".{cache.FILE}.x1.tmp", tmp_path / f".{cache.FILE}.x2.tmp"
    for f in (old, young):
        f.write_bytes(b"partial")
    os.utime(old, (0, 0))  # written long ago
    cache.cached(tmp_path, BUNDLE, Builds())
    assert sorted(p.name for p in tmp_path.iterdir()) == [young.name, cache.FILE]  # a live writer's is kept


_RACER = """
import sys
from pathlib import Path
from digest.taxonomy import cache
from tests.test_matcher_cache import BUNDLE, Builds
builds = Builds()
m = cache.cached(Path(sys.argv[1]), BUNDLE, builds)
print(builds.calls, [x.slug for x in m.match("Python and C++")])
"""


def test_processes_racing_to_write_leave_one_whole_file(tmp_path: Path) -> None:
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(tmp_path)], cwd=REPO, env=digest_env(), stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [r.communicate(timeout=120)[0].split(" ", 1) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    assert {o[1].strip() for o in outputs} == {"['python', 'cpp']"}
    assert [p.name for p in tmp_path.iterdir()] == [cache.FILE]
    key = cache.key(BUNDLE)
    assert key is not None and cache.load(tmp_path, key) is not None


def test_get_matcher_keeps_the_bundled_matcher_in_data_dir(tmp_path: Path) -> None:
    """The first process builds and writes DATA_DIR/cache/matcher.pickle; the next loads it. `digest init`
    writes it, so the first command that matches after it loads it."""
    code = (
        "from digest.taxonomy import cache, matcher\n"
        "built = []\n"
        "real = cache.store\n"
        "cache.store = lambda *a: built.append(1) or real(*a)\n"
        "found = [m.slug for m in matcher.get_matcher().match('Python and Kubernetes')]\n"
        "print(len(built), *found)\n"
    )

    def run(data_dir: Path) -> list[str]:
        env = digest_env(DIGEST_DATA_DIR=str(data_dir))
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.split()

    data_dir = tmp_path / "var"
    data_dir.mkdir()
    assert run(data_dir) == ["1", "python", "kubernetes"]  # built and kept
    assert run(data_dir) == ["0", "python", "kubernetes"]  # loaded
    assert cache.load(data_dir / "cache", cache.key(_bundle()) or b"") is not None

    initialised = tmp_path / "init"
    env = digest_env(DIGEST_DATA_DIR=str(initialised), DIGEST_SECRET_KEY="k")
    subprocess.run([sys.executable, "-m", "digest.cli", "init"], cwd=REPO, env=env, capture_output=True, check=True)
    assert run(initialised) == ["0", "python", "kubernetes"]
