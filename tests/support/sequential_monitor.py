"""The sequential detector run week after week over arrays, opening and closing alerts by the product's rules
(`sequential.closes`, `COOLDOWN_WEEKS`): what `digest.demand.sequential_run.run` does against the database,
for tests that judge detection delays and false-alert rates on simulated series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digest.demand import sequential as sq


@dataclass
class Alert:
    row: int
    opened: int  # position (week index of the evaluation Monday)
    up: bool
    ratio: float
    closed: int | None = None


def monitor(counts: np.ndarray, totals: np.ndarray, positions: Sequence[int], seed: int = 0) -> list[Alert]:
    """Run the detector at each position in turn, opening and closing alerts (cooldown, hysteresis)."""
    alerts: list[Alert] = []
    for t in positions:
        verdicts = {v.row: v for v in sq.evaluate(counts, totals, t, seed)}
        for a in alerts:
            if a.closed is None:
                v = verdicts.get(a.row)
                if sq.closes(a.up, v.change4 if v is not None else 0.0):
                    a.closed = t
        for v in verdicts.values():
            if not v.condition:
                continue
            busy = any(
                a.row == v.row and a.up == v.up and (a.closed is None or a.opened > t - sq.COOLDOWN_WEEKS)
                for a in alerts
            )
            if not busy:
                alerts.append(Alert(v.row, t, v.up, v.ratio))
    return alerts
