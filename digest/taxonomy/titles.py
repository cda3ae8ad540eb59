"""Raw job titles to canonical titles: the curated overlay first, then O*NET alternate titles."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from digest.taxonomy.normalize import normalise_title_text

# "Senior Engineer - Remote", "Backend Engineer, Payments", "ML Engineer @ Acme": the role is the first part
_TAIL = re.compile(r"\s+(?:-|–|—|@|\bat\b|,|:)\s+.*$")


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, tuple[str, str]], list[tuple[str, tuple[str, str]]]]:
    data = json.loads(resources.files("digest.taxonomy").joinpath("data/titles.json").read_text("utf-8"))
    exact: dict[str, tuple[str, str]] = {}
    curated: list[tuple[str, tuple[str, str]]] = []
    for t in data["titles"]:
        for alias in t["aliases"]:
            exact.setdefault(alias, (t["slug"], t["name"]))
            if "onet" not in t:
                curated.append((alias, (t["slug"], t["name"])))
    curated.sort(key=lambda x: -len(x[0]))  # longest phrase first
    return exact, curated


def titles() -> list[tuple[str, str]]:
    """Every canonical title (slug, name) in the bundled file."""
    data = json.loads(resources.files("digest.taxonomy").joinpath("data/titles.json").read_text("utf-8"))
    return [(t["slug"], t["name"]) for t in data["titles"]]


def normalize_title(raw: str | None) -> tuple[str, str] | None:
    """("machine-learning-engineer", "Machine Learning Engineer") for "Sr. ML Engineer II (Remote)"; None if unknown."""
    if not raw or not raw.strip():
        return None
    exact, curated = _index()
    candidates = [raw]
    head = _TAIL.sub("", raw)
    if head != raw:
        candidates.append(head)
    for cand in candidates:
        text = normalise_title_text(cand)
        if text in exact:
            return exact[text]
    text = normalise_title_text(head)
    padded = f" {text} "
    for alias, found in curated:  # a known title phrase inside a longer one: "Senior Backend Engineer, Payments"
        if len(alias) > 3 and f" {alias} " in padded:
            return found
    return None
