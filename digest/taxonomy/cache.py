"""The bundled matcher, built once per installation: pickled into DATA_DIR/cache/matcher.pickle (issue #17).

A process that matches anything needs the matcher; building it (parsing the 2.7 MB bundle, normalising 15,000
aliases, mapping their patterns) costs ~0.1 s of CPU, loading the built one ~0.03 s. The Aho-Corasick automata
are not stored (ahocorasick-rs has no serialised form): they are built again from the stored patterns.

The file is used only when its key is this installation's: a hash of the bundle's bytes, of the source of
every module whose code builds the tables (so an edit to the normaliser or the curated lists misses, with no
version number to remember to bump) and of the Python version. A payload checksum guards against a truncated
or corrupted file. Whatever goes wrong (no such file, another key, a bad checksum, a pickle that will not
load, a DATA_DIR that cannot be written) the matcher is built as if there were no cache: slower, never wrong.
The file is written aside and renamed into place, so processes racing to write it leave one whole file; there
is one file, replaced when the key changes, so it stays the size of one matcher (~1.5 MB).

Unpickling runs code named in the file: it is read from DATA_DIR only, the installation's own private folder
(0700; it holds the secret keys and the database), never from a place another user can write.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from digest import collector

if TYPE_CHECKING:
    from digest.taxonomy.matcher import Matcher

FILE = "matcher.pickle"
_MAGIC = b"digest matcher\n"
# the modules whose code decides what the stored tables hold (matcher.py also names the pickled classes)
_BUILDERS = ("matcher.py", "scan.py", "normalize.py", "curated.py", "cache.py")
_SOURCES = Path(__file__).parent
_LEFTOVER_AGE = 3600  # seconds: a temporary file this old was left by a process killed while writing


def key(bundle: bytes) -> bytes | None:
    """The cache key for `bundle` and this code; None if the code cannot be read (no cache then)."""
    h = hashlib.blake2b(bundle, digest_size=20)
    h.update(sys.version.encode())
    for name in _BUILDERS:
        try:
            h.update((_SOURCES / name).read_bytes())
        except OSError:
            return None
    return h.digest()


def load(folder: Path, key: bytes) -> Matcher | None:
    """The matcher stored in `folder` under `key`, or None (missing, another key, damaged, unreadable)."""
    from digest.taxonomy.matcher import Matcher

    try:
        raw = (folder / FILE).read_bytes()
    except OSError:
        return None
    head = _MAGIC + key
    checksum, payload = raw[len(head) : len(head) + 32], raw[len(head) + 32 :]
    if not raw.startswith(head) or hashlib.blake2b(payload, digest_size=32).digest() != checksum:
        return None
    try:
        matcher = pickle.loads(payload)
    except Exception:  # a file that passed the checksum but not unpickling: built again, not trusted
        return None
    return matcher if isinstance(matcher, Matcher) else None


def store(folder: Path, key: bytes, matcher: Matcher) -> bool:
    """Write `matcher` into `folder` (made if missing, not its parents) under `key`; False if it cannot be."""
    payload = pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL)
    checksum = hashlib.blake2b(payload, digest_size=32).digest()
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        _sweep(folder)
        fd, aside = tempfile.mkstemp(dir=folder, prefix=f".{FILE}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + key + checksum)
                fh.write(payload)
            os.replace(aside, folder / FILE)
        except BaseException:
            Path(aside).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def cached(folder: Path | None, bundle: bytes, build: Callable[[], Matcher]) -> Matcher:
    """The matcher for `bundle`: loaded from `folder` if stored there under this key, else built and stored."""
    k = key(bundle) if folder is not None else None
    # building or loading makes ~50,000 tuples that all live on: collections run as they are made would find
    # nothing to free (half the cost of loading)
    with collector.paused():
        if folder is None or k is None:
            return build()
        matcher = load(folder, k)
        if matcher is None:
            matcher = build()
            store(folder, k, matcher)
    return matcher


def _sweep(folder: Path) -> None:
    """Remove temporary files left by processes killed while writing (another writer's own is younger)."""
    old = time.time() - _LEFTOVER_AGE
    for leftover in folder.glob(f".{FILE}.*.tmp"):
        try:
            if leftover.stat().st_mtime < old:
                leftover.unlink()
        except OSError:
            pass
