"""The HN 'Who is hiring?' postings of 2026 Q1 and their silver skill labels, for the taxonomy evaluation.

    .venv/bin/python -m tests.eval.hn [--data DIR] [--disagreements N]

prints per-skill precision, recall and F1 of our matcher against the classified.json labels, over the
labels' vocabulary that the taxonomy shares.
"""

from __future__ import annotations

import argparse
import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from digest.taxonomy.matcher import Matcher, get_matcher
from digest.taxonomy.normalize import alias_key

DATASET = "hn-whoishiring-2026q1"
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<p>|<br\s*/?>", re.IGNORECASE)

# label -> slug where the label's own name is not an alias of the skill it means
LABEL_SLUGS = {
    "Rails": "ruby-on-rails",
    "Vue": "vue",
    "Tailwind": "tailwind-css",
    "TailwindCSS": "tailwind-css",
    "OpenAI API": "openai-api",
    "iOS": "ios",
    "Android": "android",
    "Spring": "spring-framework",
}


@dataclass
class Posting:
    id: int
    text: str  # tags stripped, entities unescaped, paragraphs as newlines
    first_line: str
    labels: set[str]  # skill slugs of the silver labels we share


def clean(raw_html: str) -> str:
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", raw_html))).strip()


def label_slug(matcher: Matcher, label: str) -> str | None:
    if label in LABEL_SLUGS:
        return LABEL_SLUGS[label]
    alias = matcher.aliases.get(alias_key(label))
    return matcher.skills[alias.skill].slug if alias else None


def load(data: Path, matcher: Matcher | None = None) -> list[Posting]:
    matcher = matcher or get_matcher()
    postings = []
    for run in sorted((data / DATASET).iterdir()):
        if not run.is_dir():
            continue
        labels = {j["id"]: j["technologies"] for j in json.loads((run / "classified.json").read_text())["jobs"]}
        for job in json.loads((run / "raw.json").read_text())["jobs"]:
            if job["id"] not in labels or not job.get("text"):
                continue
            text = clean(job["text"])
            slugs = {s for s in (label_slug(matcher, x) for x in labels[job["id"]]) if s}
            postings.append(Posting(job["id"], text, text.split("\n", 1)[0], slugs))
    return postings


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(postings: list[Posting], matcher: Matcher | None = None) -> tuple[dict[str, Score], list[tuple]]:
    """Per shared skill: our matches vs the silver labels. Also every disagreement (id, slug, side, context)."""
    matcher = matcher or get_matcher()
    vocab = set().union(*(p.labels for p in postings))
    scores: dict[str, Score] = {s: Score() for s in vocab}
    disagreements = []
    for p in postings:
        found = {m.slug: m for m in matcher.match(p.text) if m.slug in vocab}
        for slug in vocab:
            ours, theirs = slug in found, slug in p.labels
            if ours and theirs:
                scores[slug].tp += 1
            elif ours:
                scores[slug].fp += 1
                m = found[slug]
                disagreements.append((p.id, slug, "ours-only", p.text[max(0, m.start - 60) : m.end + 60]))
            elif theirs:
                scores[slug].fn += 1
                disagreements.append((p.id, slug, "labels-only", p.text[:160]))
    return scores, disagreements


def frequency(postings: list[Posting]) -> Counter[str]:
    return Counter(s for p in postings for s in p.labels)


def micro(scores: dict[str, Score], slugs: list[str]) -> Score:
    total = Score()
    for s in slugs:
        total.tp += scores[s].tp
        total.fp += scores[s].fp
        total.fn += scores[s].fn
    return total


def table(scores: dict[str, Score], freq: Counter[str]) -> str:
    lines = [
        "| skill | labelled | TP | FP | FN | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for slug in sorted(scores, key=lambda s: (-freq[s], s)):
        sc = scores[slug]
        lines.append(
            f"| {slug} | {freq[slug]} | {sc.tp} | {sc.fp} | {sc.fn} "
            f"| {sc.precision:.3f} | {sc.recall:.3f} | {sc.f1:.3f} |"
        )
    return "\n".join(lines)


WEAK = {"go": "Go", "r": "R", "c": "C", "rust": "Rust", "swift": "Swift", "react": "React", "apache-spark": "Spark"}


def load_verdicts() -> dict[str, str]:
    data = json.loads((Path(__file__).with_name("adjudicated.json")).read_text("utf-8"))
    return {k: v["right"] for k, v in data["verdicts"].items()}


def weak_precision(postings: list[Posting], matcher: Matcher | None = None) -> dict[str, tuple[int, int, int]]:
    """Per weak name: (our matches, judged correct, not yet hand-checked). A match is correct when the
    silver label agrees or a hand-check (adjudicated.json) says we were right; unchecked ones count as wrong."""
    matcher = matcher or get_matcher()
    verdicts = load_verdicts()
    out = {slug: [0, 0, 0] for slug in WEAK}
    for p in postings:
        for m in matcher.match(p.text):
            if m.slug not in WEAK:
                continue
            row = out[m.slug]
            row[0] += 1
            verdict = "ours" if m.slug in p.labels else verdicts.get(f"{p.id}:{m.slug}")
            row[1] += verdict == "ours"
            row[2] += verdict is None
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--disagreements", type=int, default=0)
    parser.add_argument("--skill")
    args = parser.parse_args()
    postings = load(args.data)
    scores, dis = evaluate(postings)
    freq = frequency(postings)
    top = [s for s, _ in freq.most_common(20)]
    print(f"{len(postings)} postings, {len(scores)} shared skills")
    print(table(scores, freq))
    m = micro(scores, top)
    print(f"\nmicro over the 20 most frequent: precision {m.precision:.3f} recall {m.recall:.3f} F1 {m.f1:.3f}")
    print("\n| weak name | our matches | correct (labels or hand-check) | unchecked | precision |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for slug, (n, ok, unchecked) in weak_precision(postings).items():
        print(f"| {WEAK[slug]} | {n} | {ok} | {unchecked} | {ok / n if n else 1:.3f} |")
    verdicts = load_verdicts()
    print(
        f"\nhand-checked disagreements: {len(verdicts)}; ours right {sum(v == 'ours' for v in verdicts.values())}, "
        f"labels right {sum(v == 'labels' for v in verdicts.values())}"
    )
    for d in [d for d in dis if not args.skill or d[1] == args.skill][: args.disagreements]:
        print(d[0], d[1], d[2], repr(d[3]))


if __name__ == "__main__":
    main()
