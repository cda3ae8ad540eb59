"""The matcher finds exactly what it found before its speed work, on every one of the 1,046 HN postings.

`matcher_snapshot.json` was written by the matcher as it stood before the speed work (commit feb9ab5):
posting id -> sorted skill slugs, and a SHA-256 over every match (id, slug, alias, start, end, name, hidden) in
order. Any change to what the matcher finds (a skill, a span, a shown alias) fails here; if a change is meant,
regenerate the snapshot with `.venv/bin/python -m tests.eval.test_matcher_snapshot` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from digest.taxonomy.matcher import Match, get_matcher
from tests.eval import hn

SNAPSHOT = Path(__file__).with_name("matcher_snapshot.json")


def _digest(postings: list[hn.Posting], found: dict[int, list[Match]]) -> str:
    h = hashlib.sha256()
    for p in postings:
        for x in found[p.id]:
            h.update(repr((p.id, x.slug, x.alias, x.start, x.end, x.name, x.hidden)).encode())
    return h.hexdigest()


def snapshot(postings: list[hn.Posting]) -> dict[str, object]:
    matcher = get_matcher()
    found = {p.id: matcher.match(p.text) for p in postings}
    skills = {str(p.id): sorted({m.slug for m in found[p.id]}) for p in postings}
    return {"matches_sha256": _digest(postings, found), "skills": skills}


@pytest.fixture(scope="module")
def postings(shared_data: Path) -> list[hn.Posting]:
    return hn.load(shared_data)


def test_same_skills_on_every_posting_as_before(postings: list[hn.Posting]) -> None:
    want = json.loads(SNAPSHOT.read_text())
    got = snapshot(postings)
    assert len(want["skills"]) == len(postings) == 1046
    differ = {i: (want["skills"].get(i), s) for i, s in got["skills"].items() if want["skills"].get(i) != s}  # type: ignore[attr-defined]
    assert not differ, differ
    assert got["matches_sha256"] == want["matches_sha256"], "same skills, but a span or shown alias moved"


if __name__ == "__main__":
    import os

    data = Path(os.environ.get("DIGEST_SHARED_DATA", "/work/shared/data"))
    snap = snapshot(hn.load(data))
    skills: dict[str, list[str]] = snap["skills"]  # type: ignore[assignment]
    body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(skills.items(), key=lambda kv: int(kv[0])))
    head = json.dumps(snap["matches_sha256"])
    SNAPSHOT.write_text(f'{{\n"matches_sha256": {head},\n"skills": {{\n{body}\n}}\n}}\n')
