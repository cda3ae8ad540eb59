"""Field accuracy of the HN heading parser against 150 hand-labelled headings (hn_headings.json): every
7th posting of the 2026 Q1 threads in ../shared/data, and 50 more labelled after the parser was tuned
(hn_headings_holdout.json: every 21st from the 4th). Each heading was labelled by reading it: company,
title, location (the first field naming a place, without its work mode), remote (as the heading states
it), salary (as stated). `python -m tests.eval.headings` prints the tables and every miss."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from digest.sources.headings import Heading, parse_hn_heading

LABELS = Path(__file__).parent / "hn_headings.json"  # the parser was tuned on these
HOLDOUT = Path(__file__).parent / "hn_headings_holdout.json"  # labelled after tuning, never tuned on
FIELDS = ("company", "title", "location", "remote", "salary")
_MODE = re.compile(r"\b(fully remote|remote|on-?site|on site|hybrid|in[- ]person|in[- ]office)\b", re.I)


def norm(value: Any) -> Any:
    """Case, punctuation and work-mode words aside."""
    if value is None or isinstance(value, bool):
        return value
    text = _MODE.sub(" ", str(value).lower())
    text = re.sub(r"[^\w+#]+", " ", text)
    return " ".join(text.split()) or None


def salary_text(h: Heading) -> str | None:
    s = h.salary
    if s is None:
        return None
    return f"{s.low:.0f}-{s.high:.0f}" + (f" {s.currency}" if s.currency else "")


def got(h: Heading) -> dict[str, Any]:
    return {
        "company": h.company,
        "title": h.title,
        "location": h.location,
        "remote": h.remote,
        "salary": salary_text(h),
    }


def evaluate(path: Path = LABELS) -> tuple[Counter[str], list[tuple[int, str, Any, Any, str]]]:
    labels = json.loads(path.read_text())
    right: Counter[str] = Counter()
    misses = []
    for lab in labels:
        out = got(parse_hn_heading(lab["heading"]))
        for f in FIELDS:
            want, have = lab[f], out[f]
            ok = want == have if f == "salary" else norm(want) == norm(have)
            if f == "salary" and want and have and " " not in want:  # a label with no currency: the range counts
                ok = have.split(" ")[0] == want
            right[f] += ok
            if not ok:
                misses.append((lab["id"], f, want, have, lab["heading"][:100]))
    right["n"] = len(labels)
    return right, misses


def table(right: Counter[str]) -> str:
    n = right["n"]
    rows = [f"| {f} | {right[f]} / {n} | {right[f] / n:.1%} |" for f in FIELDS]
    total = sum(right[f] for f in FIELDS)
    rows.append(f"| all fields | {total} / {n * len(FIELDS)} | {total / (n * len(FIELDS)):.1%} |")
    return "\n".join(["| field | right | accuracy |", "| --- | --- | --- |", *rows])


if __name__ == "__main__":
    for path in (LABELS, HOLDOUT):
        r, m = evaluate(path)
        for miss in m:
            print(miss)
        print(path.name)
        print(table(r))
