"""Python's cyclic garbage collector, paused where a burst of allocations would only make it re-scan objects
that all live on or that reference counting frees anyway (each caller says why it pays off there)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector runs again after it, as it would have (if it ran
    before): what the block left alive is scanned once, at the next allocation that triggers a collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def resume() -> None:
    """The collector running again after a pause that made many objects that live on (a whole command): they
    go to its oldest generation unscanned, as if they had been scanned (else the first collection after would
    scan them all at once), unless objects were frozen before (by a caller: they stay so)."""
    if not gc.isenabled():
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
