"""The salary and seniority readers find their candidates by a cheap scan first (issue #17: they were a third of
the importer's CPU); what they find must be what the plain regex searches find, on every HN posting of the
shared data and on the shapes that sit at the edges of the scan (a currency before a number, numbers run
together, codes inside words)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from digest.sources import salary
from digest.sources.seniority import _YEARS, seniority

EDGES = [
    "10 - $20k", "$ 100", "USD 100-200k", "USD  100", "5-10 years", "€60.000 - €80.000", "CHF 120'000",
    "  $80/hr", "x1 $2", "a$5k", "AUD120k", "NZ$ 90,000", "1.5 $3", "7,5 €", "EURUSD 100", "USDT 5", "xUSD 5",
    "US$120-150k", "$1 $2 $3", "120-150K USD", "$150k-$200k OTE", "9" * 30 + " $5", "", "$", "12",
    "5+ years of professional Python experience", "3 YEARS EXPERIENCE", "10-12 yrs experience", "Experience: 4 years",
    "5 years of exper\u0130ence", "3 yrs exper\u0131ence", "2 years \u212aubernetes experience",
]  # fmt: skip


def _hn_texts(shared_data: Path) -> list[str]:
    texts = []
    for run in sorted((shared_data / "hn-whoishiring-2026q1").iterdir()):
        if run.is_dir():
            texts += [j["text"] for j in json.loads((run / "raw.json").read_text())["jobs"] if j.get("text")]
    return texts


def _plain_any_currency(text: str) -> bool:
    return re.search(r"[$€£¥₹]|\b(?:" + "|".join(salary._CODES) + r")\b", text) is not None


def test_the_scans_find_what_the_plain_searches_find(shared_data: Path) -> None:
    texts = [*EDGES, *_hn_texts(shared_data)]
    assert len(texts) > 1000
    for text in texts:
        spans = [(m.span(), m.groupdict()) for m in salary._RANGE.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in salary._ranges(text)] == spans, text[:200]
        assert salary._any_currency(text) == _plain_any_currency(text), text[:200]
        plain = _YEARS.search(text)
        years = (
            None if plain is None else ("junior" if int(plain[1]) <= 1 else "mid" if int(plain[1]) <= 4 else "senior")
        )
        assert seniority(None, text) == years, text[:200]
