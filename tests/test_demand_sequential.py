"""Sequential shift detection (digest.demand.sequential): the calibration holds its false-alarm budget on
simulated null data, a step change is seen within two weeks, BH across skills, and the edges."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from scipy import stats

from digest.demand import sequential as sq
from tests.support.sequential_monitor import monitor


def _series(rates: list[float], weeks: int, seed: int, total: int = 2000, change: tuple[int, float] | None = None):
    """Poisson weekly counts per skill (rows) among `total` postings a week; optionally x factor from week k."""
    rng = np.random.default_rng(seed)
    totals = rng.poisson(total, weeks).astype(float)
    lam = np.array(rates, dtype=float)[:, None] * (totals / total)[None, :]
    if change is not None:
        k, factor = change
        lam[0, k:] *= factor  # the first skill changes
    return rng.poisson(lam).astype(float), totals


@pytest.mark.parametrize(("rate", "phi"), [(5, 1.0), (30, 1.0), (100, 3.0)])
def test_calibration_holds_arl_on_independent_null_data(rate: float, phi: float) -> None:
    totals = np.random.default_rng(1).poisson(2000, 26).astype(float)
    cal = sq.calibrate(rate / 2000, phi, 26, totals, seed=2)
    assert cal.threshold > 0 and cal.arl >= sq.ARL_TARGET
    # fresh null paths (another seed), the full procedure (baseline re-estimated every week): ARL >= 100
    c, n = sq._null_paths(rate / 2000, phi, totals, 30 + 300, 200, np.random.default_rng(99))
    s = sq.scan(c, n, np.arange(30, 330), history=26).stat
    assert sq.arl(s, cal.threshold) >= sq.ARL_TARGET
    # and it is tight: a threshold a third lower alarms more often than once in 100 weeks
    assert sq.arl(s, cal.threshold * 2 / 3) < sq.ARL_TARGET


def test_calibration_is_seeded_and_bounded() -> None:
    totals = np.full(10, 1000.0)
    a = sq.calibrate(0.02, 1.5, 10, totals, seed=[4, 5])
    b = sq.calibrate(0.02, 1.5, 10, totals, seed=[4, 5])
    assert a.threshold == b.threshold and a.arl == b.arl
    assert a.size == sq.SIM_PATHS * sq.SIM_WEEKS and len(a.null) == (a.null > 0).sum() <= a.size


def test_over_dispersion_raises_the_threshold_less_than_it_would_without_phi() -> None:
    """phi deflates the statistic, so an over-dispersed history needs no much larger threshold, while a
    Poisson threshold would alarm far too often on over-dispersed counts."""
    totals = np.full(26, 2000.0)
    cal = sq.calibrate(0.05, 4.0, 26, totals, seed=3)
    assert cal.threshold < 2 * sq.calibrate(0.05, 1.0, 26, totals, seed=3).threshold
    c, n = sq._null_paths(0.05, 4.0, totals, 30 + 200, 100, np.random.default_rng(8))
    s = sq.scan(c, n, np.arange(30, 230), history=26)
    assert float(np.median(s.phi)) == pytest.approx(4.0, rel=0.35)  # phi is estimated from the history


@pytest.mark.parametrize(("factor", "up"), [(1.5, True), (0.5, False), (2.0, True)])
def test_step_change_at_30_a_week_is_detected_within_two_weeks(factor: float, up: bool) -> None:
    """One skill of three changes at week 20 (the others are null, so BH has them to contend with)."""
    delays = []
    for seed in range(12):
        c, n = _series([30, 30, 30], 30, seed, change=(20, factor))
        alerts = monitor(c, n, range(9, 31), seed=seed)
        first = [a for a in alerts if a.row == 0 and a.up == up and a.opened > 20]
        delays.append(min(a.opened for a in first) - 20 if first else None)
    found = [d for d in delays if d is not None]
    assert len(found) >= 10
    assert statistics.median(found) <= 2


def test_shares_not_counts() -> None:
    """Twice the postings from twice the exposure is no change at all."""
    c, n = _series([30, 100], 30, 3)
    c[:, 20:] *= 2
    n[20:] *= 2
    assert monitor(c, n, range(9, 31)) == []


def test_false_alerts_on_null_skills_stay_under_one_per_100_skill_weeks() -> None:
    rates = [5, 10, 30, 100] * 10
    c, n = _series(rates, 40, 12)
    alerts = monitor(c, n, range(9, 41), seed=1)
    skill_weeks = len(rates) * 32
    assert 100 * len(alerts) / skill_weeks <= 1.0


def test_bh_matches_scipy() -> None:
    p = np.random.default_rng(5).uniform(0, 0.1, 50)
    assert sq.bh(p) == pytest.approx(stats.false_discovery_control(p, method="bh"))
    assert list(sq.bh(np.array([]))) == []


def test_multiplicity_across_skills_holds_back_a_lone_borderline_alarm() -> None:
    """A skill whose statistic just passes its own threshold alarms when tested alone, but not among 400
    null skills: its p-value is about 1/ARL, and BH across the week's skills asks for far less."""
    c, n = _series([30], 13, 21)
    base = c[0, :9].sum() / n[:9].sum()
    c[0, 12] = round(base * n[12] * 1.62)  # one week up ~60%: just over the threshold
    alone = sq.evaluate(c, n, 13, seed=0)[0]
    assert alone.stat >= alone.threshold and alone.condition
    assert 1e-4 < alone.p_value < 0.02
    crowd = np.vstack([c, np.random.default_rng(3).poisson(base * n[None, :].repeat(400, axis=0))])
    verdicts = sq.evaluate(crowd, n, 13, seed=0)
    first = next(v for v in verdicts if v.row == 0)
    assert first.stat == pytest.approx(alone.stat) and first.threshold == pytest.approx(alone.threshold)
    assert first.q_value is not None and first.q_value > sq.Q_MAX and not first.condition


def test_p_values_extend_beyond_the_simulation() -> None:
    cal = sq.calibrate(0.015, 1.0, 26, np.full(26, 2000.0), seed=1)
    p = cal.p_value(np.array([0.0, cal.threshold, 2 * cal.threshold, 4 * cal.threshold]))
    assert p[0] == 1.0 and 0 < p[3] < p[2] < p[1] < 0.05
    assert p[3] < 1 / len(cal.null)  # the tail goes below the simulation's resolution


def test_zero_counts_and_short_history() -> None:
    weeks = 20
    n = np.full(weeks, 1000.0)
    c = np.zeros((3, weeks))
    c[1] = 30.0
    c[1, 16:] = 0.0  # a skill that vanishes: a fall, detected
    c[2] = 1.0  # 1 a week: too few in its baseline to be tested
    alerts = monitor(c, n, range(0, weeks + 1))
    assert [(a.row, a.up, a.opened) for a in alerts] == [(1, False, 17)]
    # fewer than LAG_WEEKS + MIN_HISTORY_WEEKS completed weeks: nothing is tested
    assert sq.evaluate(c, n, sq.LAG_WEEKS + sq.MIN_HISTORY_WEEKS - 1) == []
    assert [v.row for v in sq.evaluate(c, n, sq.LAG_WEEKS + sq.MIN_HISTORY_WEEKS)] == [1]
    # weeks without any posting at all (a feed outage) are neither a rise nor a fall
    c2, n2 = _series([30], 24, 4)
    c2[:, 18:20], n2[18:20] = 0, 0
    assert monitor(c2, n2, range(9, 25)) == []
    # a calibration with no postings to draw from has nothing to alarm on
    empty = sq.calibrate(0.0, 1.0, 4, np.array([]), seed=0)
    assert empty.arl == np.inf


def test_cooldown_and_hysteresis() -> None:
    c, n = _series([100], 40, 9, change=(20, 1.5))
    c[0, 28:] = np.random.default_rng(2).poisson(100, 12)  # back to normal after 8 weeks
    alerts = monitor(c, n, range(9, 41))
    ups = [a for a in alerts if a.up]
    assert len(ups) == 1 and 20 < ups[0].opened <= 22
    assert ups[0].closed is not None and ups[0].closed > 28


@pytest.mark.parametrize(("rate", "phi"), [(3, 1.0), (10, 2.5), (30, 2.5), (100, 1.0)])
@pytest.mark.parametrize("off", [-0.5, 0.49])
def test_a_shared_calibration_holds_arl_halfway_between_grid_points(rate: float, phi: float, off: float) -> None:
    """A skill is calibrated at its expected postings and phi rounded to the GRID: at the worst offset (half
    a grid step either way) the shared threshold still keeps fresh null paths of the skill's own share and
    phi to an ARL >= 100 weeks."""
    totals = np.random.default_rng(1).poisson(2000, 26).astype(float)
    step = float(np.log(sq.GRID))
    share = float(np.exp((round(np.log(rate) / step) + off) * step)) / totals.mean()
    phi = phi * float(np.exp(off * step)) if phi > 1 else 1.0
    cal = sq.shared_calibration(share, phi, 26, totals, 0, {})
    c, n = sq._null_paths(share, phi, totals, 30 + 300, 200, np.random.default_rng(99))
    assert sq.arl(sq.scan(c, n, np.arange(30, 330), history=26).stat, cal.threshold) >= sq.ARL_TARGET


def test_shared_calibrations_are_shared_and_pure() -> None:
    """Skills that round alike share one simulation; the result is the same from an empty cache."""
    totals = np.full(26, 2000.0)
    cache: sq.Calibrations = {}
    a = sq.shared_calibration(30 / 2000, 1.3, 26, totals, 0, cache)
    b = sq.shared_calibration(31 / 2000, 1.31, 26, totals, 0, cache)
    assert a is b and len(cache) == 1
    fresh = sq.shared_calibration(31 / 2000, 1.31, 26, totals, 0, {})
    assert fresh.threshold == a.threshold and fresh.arl == a.arl
