"""The matcher against hand labels: micro precision and recall by kind, with 95% Wilson intervals.

    .venv/bin/python -m tests.eval.handlabels [--data DIR] [--part PART] [--show]
    .venv/bin/python -m tests.eval.handlabels --agreement [--show]

PART: development, held-out, held-out-2, held-out-3, held-out-4, held-out-5, held-out-6, held-out-7 or all.

`hand_labels.txt` lists, for 120 HN postings, every technology skill a careful reader finds (see its header);
`hand_labels_2.txt` a second held-out set of 45 more postings, labelled later by another reader (part
`held-out-2`), `hand_labels_3.txt` a third of 40, labelled for taxonomy 2026.12.4 after the first two had been
used for tuning (part `held-out-3`; "all" means the first file's 120), `hand_labels_4.txt` a fourth of 40
(part `held-out-4`), `hand_labels_5.txt` a fifth of 40 (part `held-out-5`) and `hand_labels_6.txt` a sixth of 40
(part `held-out-6`), and `hand_labels_7.txt` a seventh of 40 (part `held-out-7`, labelled for taxonomy 2026.12.8 and
never tuned on), each labelled from the text alone before the matcher was run on it. `hand_labels_6b.txt` is
the sixth set read again by a second reader, blind to the first's labels; `--agreement` scores the two readers
against each other and the matcher against each, against the labels both gave and against those either gave.
A label is a skill name as a reader writes it; it resolves to a slug through the taxonomy's own aliases or,
where the reader's name is not one of them, through LABEL_SLUGS below. A label that resolves to nothing is a
skill the taxonomy lacks: a miss, never dropped (it compares by its name without case or separators). A match
is right when its skill is among the posting's labels; recall is counted by the label's kind, precision by the
matched skill's kind in the taxonomy.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from digest.taxonomy.matcher import Matcher, get_matcher, load_bundled
from digest.taxonomy.normalize import alias_key
from tests.eval import hn

LABELS = Path(__file__).with_name("hand_labels.txt")
LABELS_2 = Path(__file__).with_name("hand_labels_2.txt")
LABELS_3 = Path(__file__).with_name("hand_labels_3.txt")
LABELS_4 = Path(__file__).with_name("hand_labels_4.txt")
LABELS_5 = Path(__file__).with_name("hand_labels_5.txt")
LABELS_6 = Path(__file__).with_name("hand_labels_6.txt")
LABELS_7 = Path(__file__).with_name("hand_labels_7.txt")
LABELS_6B = Path(__file__).with_name("hand_labels_6b.txt")  # set 6 read again by a second reader, blind
KINDS = {
    "L": "language",
    "F": "framework/library",
    "D": "database",
    "P": "platform/service",
    "T": "tool",
    "X": "practice",
    "M": "domain",
}

TAXONOMY_KINDS = {"framework": "framework/library", "platform": "platform/service"}

# A reader's name -> slug, where the name is not itself an alias (a reader writes "Apache Airflow" and
# "OpenAI GPT"; the taxonomy's names are "Apache Airflow" and "OpenAI API"). Keep it to naming, never to
# judgement: a skill the taxonomy lacks must stay a miss.
LABEL_SLUGS: dict[str, str] = {
    "OpenAI GPT": "openai-api",
    "Claude": "claude",
    "data warehouse": "data-warehousing",
    "post-training": "fine-tuning",
    "Jazz": "jazz-tools",
    "Substrate": "substrate",
    "Phoenix": "phoenix",  # a bare "Phoenix" is the city; the reader means the Elixir framework
    "search": "search-engines",  # the skill named "Search" (a bare "search" is no alias: "job search")
    "VPN": "virtual-private-network",  # the skill named VPN (a bare "VPN" is no alias: "VPN detection", industries)
}


@dataclass
class Labelled:
    id: int
    part: str
    labels: dict[str, str]  # slug (or "?name" when the taxonomy lacks it) -> kind


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def resolve(matcher: Matcher, name: str) -> str | None:
    if name in LABEL_SLUGS and LABEL_SLUGS[name] in matcher.by_slug:
        return LABEL_SLUGS[name]
    alias = matcher.aliases.get(alias_key(name))
    return matcher.skills[alias.skill].slug if alias else None


def read_labels(matcher: Matcher, path: Path = LABELS) -> list[Labelled]:
    out = []
    part = ""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("## "):
            part = line[3:].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        ident, _, rest = line.partition("|")
        labels: dict[str, str] = {}
        for item in filter(None, (x.strip() for x in rest.split(";"))):
            kind, _, name = item.partition(" ")
            slug = resolve(matcher, name) or "?" + alias_key(name).replace(" ", "")  # "Multi-omics" is "multiomics"
            labels.setdefault(slug, KINDS[kind])
        out.append(Labelled(int(ident), part, labels))
    return out


LATER_PARTS = {
    "held-out-2": LABELS_2,
    "held-out-3": LABELS_3,
    "held-out-4": LABELS_4,
    "held-out-5": LABELS_5,
    "held-out-6": LABELS_6,
    "held-out-7": LABELS_7,
}  # part -> its own file; the development and held-out parts are hand_labels.txt's


def label_file(part: str) -> Path:
    return LATER_PARTS.get(part, LABELS)


def draw_second_held_out(data: Path, n: int = 45) -> list[int]:
    """The postings of hand_labels_2.txt: random.Random(2112) over the ids of the postings not in
    hand_labels.txt, at least 200 characters long, one posting a company (the first field of the first line)
    and no company of hand_labels.txt."""
    return _draw(data, [LABELS], 2112, n)


def draw_third_held_out(data: Path, n: int = 40) -> list[int]:
    """The postings of hand_labels_3.txt: the same rule over the postings in neither earlier file and from
    none of their companies, with random.Random(2124)."""
    return _draw(data, [LABELS, LABELS_2], 2124, n)


def draw_fourth_held_out(data: Path, n: int = 40) -> list[int]:
    """The postings of hand_labels_4.txt: the same rule over the postings in none of the three earlier files and
    from none of their companies, with random.Random(2125)."""
    return _draw(data, [LABELS, LABELS_2, LABELS_3], 2125, n)


def draw_fifth_held_out(data: Path, n: int = 40) -> list[int]:
    """The postings of hand_labels_5.txt: the same rule over the postings in none of the four earlier files and
    from none of their companies, with random.Random(2126)."""
    return _draw(data, [LABELS, LABELS_2, LABELS_3, LABELS_4], 2126, n)


def draw_sixth_held_out(data: Path, n: int = 40) -> list[int]:
    """The postings of hand_labels_6.txt: the same rule over the postings in none of the five earlier files and
    from none of their companies, with random.Random(2127), and also none whose text repeats an earlier-labelled
    posting's (the fifth set let through 46466191, FetLife, a copy of 47219761 that opens with a role title)."""
    return _draw(data, [LABELS, LABELS_2, LABELS_3, LABELS_4, LABELS_5], 2127, n, skip_copies=True)


def draw_seventh_held_out(data: Path, n: int = 40) -> list[int]:
    """The postings of hand_labels_7.txt: the sixth draw's rule (copies skipped) over the postings in none of the
    six earlier files and from none of their companies, with random.Random(2128)."""
    return _draw(data, [LABELS, LABELS_2, LABELS_3, LABELS_4, LABELS_5, LABELS_6], 2128, n, skip_copies=True)


COPY_PASSAGE = 200  # characters: a posting sharing a passage this long with a labelled one repeats it
COPY_OPENING = 300  # characters after the first line: the same opening under another first line


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _passages(text: str) -> set[int]:
    flat = _flat(text)
    return {hash(flat[i : i + COPY_PASSAGE]) for i in range(len(flat) - COPY_PASSAGE + 1)}


def _opening(text: str) -> str:
    return _flat(text.split("\n", 1)[1] if "\n" in text else "")[:COPY_OPENING]


def _draw(data: Path, taken: list[Path], seed: int, n: int, skip_copies: bool = False) -> list[int]:
    """`skip_copies` (the sixth draw on) also passes over a posting whose text repeats a labelled or drawn one's;
    the earlier draws are made without it, so their postings stay those of their files."""
    postings = hn.load(data)
    first = {
        int(line.split("|")[0]) for path in taken for line in path.read_text("utf-8").splitlines() if line[:1].isdigit()
    }

    def company(p: hn.Posting) -> str:
        return re.sub(r"\W+", " ", p.text.split("\n", 1)[0].split("|")[0]).strip().casefold()[:40]

    labelled = [p for p in postings if p.id in first]
    seen = {company(p) for p in labelled}
    passages = set().union(*(_passages(p.text) for p in labelled)) if skip_copies else set()
    openings = {_opening(p.text) for p in labelled} if skip_copies else set()

    def copies(p: hn.Posting) -> bool:
        opening = _opening(p.text)
        return skip_copies and (
            (len(opening) == COPY_OPENING and opening in openings) or not passages.isdisjoint(_passages(p.text))
        )

    rest = sorted((p for p in postings if p.id not in first), key=lambda p: p.id)
    random.Random(seed).shuffle(rest)
    out: list[int] = []
    for p in rest:
        if company(p) not in seen and len(p.text) >= 200 and len(out) < n and not copies(p):
            seen.add(company(p))
            out.append(p.id)
            if skip_copies:  # nor a copy of one drawn here
                passages |= _passages(p.text)
                openings.add(_opening(p.text))
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def score(
    data: Path, part: str = "all", matcher: Matcher | None = None
) -> tuple[dict[str, Tally], Tally, list[Labelled]]:
    """Per-kind tallies and the overall one, for the labelled postings of `part`."""
    matcher = matcher or get_matcher()
    texts = {p.id: p.text for p in hn.load(data, matcher)}
    labelled = [x for x in read_labels(matcher, label_file(part)) if part == "all" or x.part == part]
    kind_of = {s["slug"]: TAXONOMY_KINDS.get(s.get("kind") or "", s.get("kind")) for s in load_bundled()["skills"]}
    by_kind: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    for x in labelled:
        found = {m.slug for m in matcher.match(texts[x.id])}
        for slug in found:
            t = by_kind[kind_of.get(slug) or "domain"]
            if slug in x.labels:
                t.tp += 1
                total.tp += 1
            else:
                t.fp += 1
                total.fp += 1
                t.wrong.append(f"{x.id}:{slug}")
        for slug, kind in x.labels.items():
            if slug not in found:
                by_kind[kind].fn += 1
                total.fn += 1
                by_kind[kind].misses.append(f"{x.id}:{slug}")
    return dict(by_kind), total, labelled


def recall_tp(data: Path, part: str, matcher: Matcher | None = None) -> dict[str, tuple[int, int]]:
    """kind -> (labels found, labels) by the label's kind (recall's denominator is the reader's)."""
    matcher = matcher or get_matcher()
    texts = {p.id: p.text for p in hn.load(data, matcher)}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x in read_labels(matcher, label_file(part)):
        if part != "all" and x.part != part:
            continue
        found = {m.slug for m in matcher.match(texts[x.id])}
        for slug, kind in x.labels.items():
            out[kind][1] += 1
            out[kind][0] += slug in found
    return {k: (v[0], v[1]) for k, v in out.items()}


def report(data: Path, part: str, show: bool = False) -> str:
    matcher = get_matcher()
    by_kind, total, labelled = score(data, part, matcher)
    rec = recall_tp(data, part, matcher)
    lines = [
        f"{part}: {len(labelled)} postings, {sum(len(x.labels) for x in labelled)} labels",
        "| kind | precision | 95% interval | recall | 95% interval |",
        "| --- | ---: | --- | ---: | --- |",
    ]

    def row(name: str, tp: int, fp: int, found: int, n: int) -> str:
        p_lo, p_hi = wilson(tp, tp + fp)
        r_lo, r_hi = wilson(found, n)
        prec = f"{tp}/{tp + fp} = {tp / (tp + fp):.3f}" if tp + fp else "-"
        recall = f"{found}/{n} = {found / n:.3f}" if n else "-"
        return f"| {name} | {prec} | {p_lo:.2f}-{p_hi:.2f} | {recall} | {r_lo:.2f}-{r_hi:.2f} |"

    for kind in KINDS.values():
        t = by_kind.get(kind, Tally())
        found, n = rec.get(kind, (0, 0))
        lines.append(row(kind, t.tp, t.fp, found, n))
    found_all = sum(v[0] for v in rec.values())
    n_all = sum(v[1] for v in rec.values())
    lines.append(row("**all**", total.tp, total.fp, found_all, n_all))
    if show:
        lines.append("misses: " + " ".join(m for t in by_kind.values() for m in t.misses))
        lines.append("false: " + " ".join(w for t in by_kind.values() for w in t.wrong))
    return "\n".join(lines)


@dataclass
class Agreed:
    """A candidate's labels against a reference's: precision by the candidate's kind, recall by the reference's."""

    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    given: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    labels: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, candidate: dict[str, str], reference: dict[str, str]) -> None:
        for slug, kind in candidate.items():
            for k in (kind, "all"):
                self.given[k] += 1
                self.right[k] += slug in reference
        for slug, kind in reference.items():
            for k in (kind, "all"):
                self.labels[k] += 1
                self.found[k] += slug in candidate


COMPARISONS = ["B vs A", "matcher vs A", "matcher vs B", "matcher vs both", "matcher vs either"]


def agreement(
    data: Path, a_path: Path = LABELS_6, b_path: Path = LABELS_6B, matcher: Matcher | None = None
) -> tuple[dict[str, Agreed], list[tuple[int, str, str, str]]]:
    """Two readers of the same postings: reader B scored against reader A, and the matcher against A, against B,
    against the labels both gave and against the labels either gave (a label's kind is A's where A gave it).
    Also every disagreement: (id, slug, the reader who gave it, that reader's kind)."""
    matcher = matcher or get_matcher()
    texts = {p.id: p.text for p in hn.load(data, matcher)}
    kind_of = {s["slug"]: TAXONOMY_KINDS.get(s.get("kind") or "", s.get("kind")) for s in load_bundled()["skills"]}
    a = {x.id: x.labels for x in read_labels(matcher, a_path)}
    b = {x.id: x.labels for x in read_labels(matcher, b_path)}
    if a.keys() != b.keys():
        raise ValueError(f"{a_path.name} and {b_path.name} label different postings: {sorted(a.keys() ^ b.keys())}")
    out = {name: Agreed() for name in COMPARISONS}
    disagreements = []
    for ident, la in a.items():
        lb = b[ident]
        found = {m.slug: kind_of.get(m.slug) or "domain" for m in matcher.match(texts[ident])}
        both = {s: k for s, k in la.items() if s in lb}
        either = lb | la
        out["B vs A"].add(lb, la)
        for name, reference in (("A", la), ("B", lb), ("both", both), ("either", either)):
            out["matcher vs " + name].add(found, reference)
        disagreements += [(ident, s, "A", k) for s, k in la.items() if s not in lb]
        disagreements += [(ident, s, "B", k) for s, k in lb.items() if s not in la]
    return out, disagreements


def agreement_report(data: Path, show: bool = False) -> str:
    results, disagreements = agreement(data)
    lines = [
        "set 6 read twice (A: hand_labels_6.txt, B: hand_labels_6b.txt); precision by the candidate's kind,"
        " recall by the reference's",
        "| comparison | kind | precision | 95% interval | recall | 95% interval |",
        "| --- | --- | ---: | --- | ---: | --- |",
    ]
    for name in COMPARISONS:
        r = results[name]
        for kind in [*KINDS.values(), "all"]:
            if not r.given[kind] and not r.labels[kind]:
                continue
            p_lo, p_hi = wilson(r.right[kind], r.given[kind])
            r_lo, r_hi = wilson(r.found[kind], r.labels[kind])
            prec = f"{r.right[kind]}/{r.given[kind]} = {r.right[kind] / r.given[kind]:.3f}" if r.given[kind] else "-"
            rec = f"{r.found[kind]}/{r.labels[kind]} = {r.found[kind] / r.labels[kind]:.3f}" if r.labels[kind] else "-"
            label = f"**{kind}**" if kind == "all" else kind
            lines.append(f"| {name} | {label} | {prec} | {p_lo:.2f}-{p_hi:.2f} | {rec} | {r_lo:.2f}-{r_hi:.2f} |")
    if show:
        for ident, slug, reader, kind in disagreements:
            lines.append(f"{ident} {reader} only: {slug} ({kind})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("DIGEST_SHARED_DATA", "/work/shared/data")))
    parser.add_argument(
        "--part",
        default="all",
        choices=["development", "held-out", *LATER_PARTS, "all"],
    )
    parser.add_argument("--show", action="store_true", help="list every miss and false match (or disagreement)")
    parser.add_argument("--agreement", action="store_true", help="set 6's two readers against each other")
    args = parser.parse_args()
    print(agreement_report(args.data, args.show) if args.agreement else report(args.data, args.part, args.show))


if __name__ == "__main__":
    main()
