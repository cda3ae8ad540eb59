"""An alert's p-value and Benjamini-Hochberg q-value in words (the alert email, the skill page, /about/alerts).

What they are (docs/demand.md, "What an alert email says"): p is the chance, if the skill's share of all
postings had not changed, of a difference between the two windows at least this large, allowing for the
skill's own week-to-week wobble (over-dispersion); q is the false discovery rate of that week's tests at
this skill's p: of the skills whose change was at least as convincing, the share expected to be chance."""

from __future__ import annotations

import math

_POWERS = (1_000_000, 100_000, 10_000, 1_000, 100)


def one_in(x: float) -> str:
    """A probability as "less than 1 in 1,000" (below 1 in 100: the power of ten it is under) or "about 1 in
    40" (from 1 in 100 up), "every time" at 1. Never rounds down to a smaller chance than it is."""
    if math.isnan(x) or x < 0:
        raise ValueError("a probability is between 0 and 1")
    for n in _POWERS:
        if x < 1 / n:
            return f"less than 1 in {n:,}"
    if x >= 1:
        return "every time"
    return f"about 1 in {round(1 / x):,}"


def p_text(x: float) -> str:
    """ "p < 0.001", else p cut (never rounded up or down past a boundary of one_in) to 2 significant digits."""
    if x < 0.001:
        return "p < 0.001"
    digits = 1 - math.floor(math.log10(x))
    return f"p = {math.floor(x * 10**digits + 1e-9) / 10**digits:.{max(digits, 1)}f}".rstrip("0").rstrip(".")


def chance_line(p: float) -> str:
    """ "A change this large would happen by chance less than 1 time in 1,000 weeks like these ..."."""
    words = one_in(p).replace(" in ", " time in ", 1) if p < 1 else "every time"
    if p < 1:
        words += " weeks like these"
    return (
        f"If demand had not really changed, a change this large would happen by chance {words} ({p_text(p)}, "
        "allowing for how much this skill's weekly counts usually wobble)."
    )


def fdr_line(q: float) -> str:
    """What the Benjamini-Hochberg q-value of the alert's week says, and the 1-in-20 bar alerts must pass."""
    return (
        "We test every skill every week, so some large changes are bound to be chance: of the skills whose "
        f"change that week was at least this convincing, we expect {one_in(q)} to be a false alarm "
        f"({p_text(q).replace('p', 'q', 1)}). An alert opens only when that is 1 in 20 or less, and the change "
        "showed two weeks in a row."
    )
