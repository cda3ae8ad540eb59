"""Sequential shift detection over weekly shares: a likelihood-ratio scan over the last 1-4 weeks against
the skill's own baseline, with its threshold calibrated by simulation on the skill's own history.

Pure functions of weekly counts (no database, no clock; every random draw from a seeded generator). The
product runs it through `digest.demand.sequential_run` (the default `shift_method`); today's 4+4-week test
(`digest.demand.shifts`) stays beside it, and `bench/backtest_shifts.py` compares the two; docs/demand.md
("Sequential detection") says which runs and why.

The method, for a skill evaluated on the Monday that ends week t (weeks are indexed 0..t-1, completed):

1. **Baseline.** The skill's share of all postings over up to `HISTORY_WEEKS` weeks ending `LAG_WEEKS`
   before t (so the weeks under test never enter their own baseline), and the over-dispersion phi of its
   weekly counts against that constant share (Pearson chi2 / df, at least 1; the estimator of
   `digest.demand.shifts.dispersion`). Expected postings in a week = share x all postings that week.
2. **Scan.** For each of the last k = 1..4 weeks together: C observed, E expected; the quasi-Poisson
   log-likelihood ratio of the best-fitting rate ratio C/E against 1, `(C log(C/E) - (C - E)) / phi`,
   signed by direction. The statistic is the largest over k and both directions, counted only when that
   window's ratio moved by at least `MIN_CHANGE` (a practical floor, like today's 20% gate).
3. **Threshold by simulation on the skill's own history.** Null paths are drawn with the skill's baseline
   share and phi (gamma-Poisson counts, weekly totals resampled from the history), each with a history
   as long as the skill's; the whole procedure (baseline re-estimated every week, scan, gate) runs on
   them, and h is the smallest threshold whose average run length to a false alarm (censored paths,
   exponential MLE) is at least `ARL_TARGET` x `ARL_MARGIN` weeks.
4. **Multiplicity across skills.** The same simulated null statistics give each week's p-value
   (exponential tail beyond the simulated range); Benjamini-Hochberg across the skills tested that week,
   q <= `Q_MAX`. The condition is statistic >= h **and** q <= `Q_MAX`: the first bounds false alarms per
   skill-week (1 per ARL), the second the share of false ones among a week's alarms across skills. It also
   asks that the share of the last 4 weeks against the 4 before moved the same way (the change an alert
   states and explains; a rise against the baseline after a higher month is not "postings rose").
   Calibrations are shared within a run: a skill is calibrated at its expected weekly postings and phi
   rounded to a 25% grid (with the week's totals and baseline length), so 5,000 skills need a few hundred
   simulations, not 5,000.
5. **Alerts.** An alert opens on the first week the condition holds (the ARL calibration replaces the
   two-week persistence); cooldown and hysteresis as today's: none while one is open or was opened in the
   last 4 weeks in that direction; it closes when the 4-week ratio in its direction falls below 10%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

SCAN_WEEKS = 4  # the scan looks at the last 1..SCAN_WEEKS completed weeks
LAG_WEEKS = 4  # the baseline ends this many weeks before the evaluation
HISTORY_WEEKS = 26  # the longest baseline
MIN_HISTORY_WEEKS = 4  # shorter than this: not tested
MIN_BASELINE = 20  # postings in the baseline: fewer and the skill is not tested
MIN_CHANGE = 0.20  # the best window's |ratio - 1| must reach this for the statistic to count
CLOSE_BELOW = 0.10  # an open alert closes when the 4-week change in its direction falls below this
COOLDOWN_WEEKS = 4
Q_MAX = 0.05
ARL_TARGET = 100.0  # weeks to a false alarm, per skill
ARL_MARGIN = 1.25  # calibrate above the target: the simulated ARL is itself an estimate
SIM_PATHS = 200
SIM_WEEKS = 150  # evaluated weeks per simulated path
TAIL = 20  # beyond the 20th-largest simulated statistic, p-values follow a fitted exponential tail


@dataclass
class Scan:
    """Statistics for each evaluation position (arrays over paths/skills x evaluations)."""

    stat: np.ndarray  # gated statistic (0 when untested or the best window moved < MIN_CHANGE)
    up: np.ndarray  # bool: the statistic's direction is up
    ratio: np.ndarray  # the best window's C/E
    change4: np.ndarray  # the 4-week window's C/E - 1 (for hysteresis)
    tested: np.ndarray  # bool: enough history and baseline postings
    share: np.ndarray
    phi: np.ndarray
    history: np.ndarray  # baseline weeks used
    weeks: np.ndarray  # the best window's length (1..SCAN_WEEKS; 0 when the statistic is 0)


def _cum(a: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((*a.shape[:-1], 1)), np.cumsum(a, axis=-1)], axis=-1)


def scan(counts: np.ndarray, totals: np.ndarray, at: Sequence[int] | np.ndarray, history: int = HISTORY_WEEKS) -> Scan:
    """The scan statistic of every row of `counts` (rows x weeks) with weekly `totals` (weeks, or rows x
    weeks), evaluated at each position in `at` (position t = the Monday after week t-1: weeks < t are used),
    with baselines of at most `history` weeks."""
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    n = np.broadcast_to(np.asarray(totals, dtype=float), c.shape)
    t = np.asarray(at, dtype=int)
    cc, cn = _cum(c), _cum(n)
    pos = n > 0
    cq, cp = _cum(np.where(pos, c * c / np.where(pos, n, 1.0), 0.0)), _cum(pos.astype(float))
    be = t - LAG_WEEKS
    bs = np.maximum(0, be - history)
    valid = be >= MIN_HISTORY_WEEKS
    be, bs = np.maximum(be, 0), np.minimum(bs, np.maximum(be, 0))
    base_c = cc[:, be] - cc[:, bs]
    base_n = cn[:, be] - cn[:, bs]
    weeks = cp[:, be] - cp[:, bs]
    tested = valid[None, :] & (base_c >= MIN_BASELINE) & (base_n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(tested, base_c / np.where(base_n > 0, base_n, 1.0), 0.0)
        chi2 = np.where(tested, (cq[:, be] - cq[:, bs]) / np.where(share > 0, share, 1.0) - base_c, 0.0)
        phi = np.where(tested & (weeks >= 4), np.maximum(1.0, chi2 / np.maximum(weeks - 1, 1)), 1.0)
    best = np.zeros(base_c.shape)
    up = np.zeros(base_c.shape, dtype=bool)
    ratio = np.ones(base_c.shape)
    change4 = np.zeros(base_c.shape)
    span = np.zeros(base_c.shape, dtype=int)
    for k in range(1, SCAN_WEEKS + 1):
        lo = np.maximum(t - k, 0)
        obs = cc[:, t] - cc[:, lo]
        exp = share * (cn[:, t] - cn[:, lo])
        ok = tested & (exp > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(ok, obs / np.where(ok, exp, 1.0), 1.0)
            llr = np.where(ok, (np.where(obs > 0, obs * np.log(np.where(r > 0, r, 1.0)), 0.0) - (obs - exp)) / phi, 0.0)
        llr = np.where(np.abs(r - 1.0) >= MIN_CHANGE, llr, 0.0)
        better = llr > best
        best = np.where(better, llr, best)
        up = np.where(better, r > 1.0, up)
        ratio = np.where(better, r, ratio)
        span = np.where(better, k, span)
        if k == SCAN_WEEKS:
            change4 = np.where(ok, r - 1.0, 0.0)
    return Scan(best, up, ratio, change4, tested, share, phi, weeks, span)


@dataclass
class Calibration:
    threshold: float  # h: alarm when the statistic reaches it
    arl: float  # the simulated average run length at h (weeks)
    null: np.ndarray = field(repr=False)  # the simulated null statistics above 0, sorted (for p-values)
    size: int = 0  # how many null statistics were simulated (the rest are 0)

    def p_value(self, stat: np.ndarray | float) -> np.ndarray:
        """P(null statistic >= stat): empirical, with an exponential tail beyond the TAIL-th largest."""
        s = np.atleast_1d(np.asarray(stat, dtype=float))
        m = max(self.size, len(self.null))
        above = len(self.null) - np.searchsorted(self.null, s, side="left")
        p = (1.0 + above) / (1.0 + m)
        if m > TAIL:
            top = np.concatenate([np.zeros(max(0, TAIL - len(self.null))), self.null[-TAIL:]])
            u = top[0]
            beta = max(float(np.mean(top - u)), 1e-9)
            tail = (TAIL / (1.0 + m)) * np.exp(-(s - u) / beta)
            p = np.where(s > u, np.minimum(p, tail), p)
        return np.where(s <= 0, 1.0, np.clip(p, 0.0, 1.0))


def _null_paths(
    share: float, phi: float, totals: np.ndarray, weeks: int, paths: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = rng.choice(totals, size=(paths, weeks)) if len(totals) else np.zeros((paths, weeks))
    mu = share * n
    lam = mu
    if phi > 1.0:  # gamma-Poisson: variance phi x mean
        lam = np.where(mu > 0, rng.gamma(np.where(mu > 0, mu / (phi - 1.0), 1.0), phi - 1.0), 0.0)
    return rng.poisson(lam).astype(float), n


def run_lengths(stat: np.ndarray, h: float) -> np.ndarray:
    """Per path, the 1-based week of the first statistic >= h (0 when none)."""
    hit = stat >= h
    first = hit.argmax(axis=1) + 1
    return np.where(hit.any(axis=1), first, 0)


def arl(stat: np.ndarray, h: float) -> float:
    """Average run length to the first alarm over paths (rows), censored at the path's end: total weeks
    watched until an alarm or the end, divided by the alarms (the exponential MLE); inf with none."""
    rl = run_lengths(stat, h)
    alarms = int((rl > 0).sum())
    watched = float(np.where(rl > 0, rl, stat.shape[1]).sum())
    return np.inf if alarms == 0 else watched / alarms


def calibrate(
    share: float,
    phi: float,
    history_weeks: int,
    totals: np.ndarray,
    seed: int | Sequence[int],
    target: float = ARL_TARGET * ARL_MARGIN,
    paths: int = SIM_PATHS,
    weeks: int = SIM_WEEKS,
) -> Calibration:
    """The smallest threshold whose simulated ARL is >= target, for a skill with this baseline share and
    over-dispersion, a baseline of `history_weeks` weeks, and weekly totals drawn from `totals`."""
    rng = np.random.default_rng(seed)
    lead = int(history_weeks) + LAG_WEEKS
    c, n = _null_paths(share, phi, np.asarray(totals, dtype=float), lead + weeks, paths, rng)
    # the baseline of every simulated evaluation is as long as the skill's own
    s = scan(c, n, np.arange(lead, lead + weeks), history=int(history_weeks)).stat
    null = np.sort(s[s > 0])
    cand = np.unique(null)
    if len(cand) == 0:
        return Calibration(0.0, np.inf, null, s.size)
    lo, hi = 0, len(cand) - 1
    if arl(s, float(cand[hi])) < target:  # even the largest simulated value alarms too often
        return Calibration(float(cand[hi]) * (1 + 1e-9), arl(s, float(cand[hi]) * (1 + 1e-9)), null, s.size)
    while lo < hi:
        mid = (lo + hi) // 2
        if arl(s, float(cand[mid])) >= target:
            hi = mid
        else:
            lo = mid + 1
    h = float(cand[lo])
    return Calibration(h, arl(s, h), null, s.size)


GRID = 1.25  # calibrations are shared at expected weekly postings and phi rounded to this ratio
Calibrations = dict[tuple[int, int, int, int, bytes], Calibration]


def shared_calibration(
    share: float, phi: float, history_weeks: int, totals: np.ndarray, seed: int, cache: Calibrations
) -> Calibration:
    """`calibrate` at the skill's expected weekly postings (share x mean weekly total) and phi rounded to
    the GRID, seeded by those rounded values: a pure function of them, the totals and the baseline length,
    so every skill of a run that rounds alike shares one simulation, kept in `cache`."""
    tot = np.asarray(totals, dtype=float)
    mean = float(tot.mean()) if len(tot) else 0.0
    if share <= 0 or mean <= 0:
        return calibrate(0.0, 1.0, history_weeks, tot, seed=[seed, 0, 0, history_weeks])
    m = round(float(np.log(share * mean) / np.log(GRID)))
    f = round(float(np.log(max(phi, 1.0)) / np.log(GRID)))
    key = (m, f, int(history_weeks), seed, tot.tobytes())
    if key not in cache:
        cache[key] = calibrate(GRID**m / mean, GRID**f, history_weeks, tot, seed=[seed, m + 1000, f, history_weeks])
    return cache[key]


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    q = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


@dataclass
class Verdict:
    row: int
    stat: float
    threshold: float
    p_value: float
    q_value: float | None
    up: bool
    ratio: float  # the best window's postings / expected
    weeks: int  # the best window's length in weeks
    change4: float  # the last 4 weeks' postings / expected - 1 (hysteresis)
    condition: bool


def four_weeks(counts: np.ndarray, totals: np.ndarray, t: int) -> tuple[np.ndarray, ...]:
    """Per row at position t: postings in the last 4 weeks and the 4 before, all postings in each, and the
    change in share `(c1/n1)/(c0/n0) - 1` (inf when c0 is 0 and c1 is not, 0 when both are; nan when a
    window has no postings at all): the change an alert states and `digest.demand.explain` splits."""
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    n = np.broadcast_to(np.asarray(totals, dtype=float), c.shape)
    mid, lo = max(t - SCAN_WEEKS, 0), max(t - 2 * SCAN_WEEKS, 0)
    c1, c0 = c[:, mid:t].sum(axis=1), c[:, lo:mid].sum(axis=1)
    n1, n0 = n[:, mid:t].sum(axis=1), n[:, lo:mid].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(c0 > 0, (c1 / n1) / (c0 / n0) - 1.0, np.where(c1 > 0, np.inf, 0.0))
    change = np.where((n1 > 0) & (n0 > 0), change, np.nan)
    return c1, c0, n1, n0, change


def evaluate(counts: np.ndarray, totals: np.ndarray, t: int, seed: int = 0) -> list[Verdict]:
    """Every row (skill) at position t: its scan statistic, its calibrated threshold (`shared_calibration`),
    BH across the rows tested, and the condition (which also asks the 4-week change to agree in direction).
    Seeded by the calibration's rounded inputs, so a verdict is reproducible."""
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    n = np.asarray(totals, dtype=float)
    sc = scan(c, n, [t])
    change = four_weeks(c, n, t)[4]
    rows = np.flatnonzero(sc.tested[:, 0])
    be = t - LAG_WEEKS
    out: list[Verdict] = []
    pvals, hs = [], []
    cache: Calibrations = {}
    for i in rows:
        hist = int(sc.history[i, 0])
        tot = n[max(0, be - hist) : t] if n.ndim == 1 else n[i, max(0, be - hist) : t]
        cal = shared_calibration(float(sc.share[i, 0]), float(sc.phi[i, 0]), hist, tot[tot > 0], seed, cache)
        hs.append(cal.threshold)
        pvals.append(float(cal.p_value(sc.stat[i, 0])[0]))
    q = bh(np.array(pvals))
    for j, i in enumerate(rows):
        stat, up = float(sc.stat[i, 0]), bool(sc.up[i, 0])
        agrees = bool(change[i] > 0) if up else bool(change[i] < 0)
        out.append(
            Verdict(
                row=int(i),
                stat=stat,
                threshold=hs[j],
                p_value=pvals[j],
                q_value=float(q[j]),
                up=up,
                ratio=float(sc.ratio[i, 0]),
                weeks=int(sc.weeks[i, 0]),
                change4=float(sc.change4[i, 0]),
                condition=bool(stat > 0 and stat >= hs[j] and q[j] <= Q_MAX and agrees),
            )
        )
    return out


def closes(up: bool, change4: float) -> bool:
    """Whether an open alert closes (hysteresis): its 4-week change in its direction fell below CLOSE_BELOW."""
    return (change4 if up else -change4) < CLOSE_BELOW
