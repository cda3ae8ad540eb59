"""The matcher against the hand labels (tests/eval/hand_labels*.txt): the development part meets the targets of
issue #21; every other set is held to its figures so that it cannot silently get worse. The first four held-out
sets have since been used for tuning (the first three for 2026.12.4 and 2026.12.5, the fourth for 2026.12.6), so
they are regression records now, not measures of unseen postings; the fifth was written blind, first scored
with 2026.12.6 and tuned on for 2026.12.7; the sixth was written blind, first scored with 2026.12.6, scored again
with 2026.12.7 and tuned on (with sets 1-5) for 2026.12.8; the seventh was written blind, first scored with
2026.12.7, scored again with 2026.12.8 and never tuned on (docs/taxonomy.md reports each set apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.taxonomy.matcher import get_matcher
from tests.eval import handlabels


@pytest.fixture(scope="module")
def development(shared_data: Path) -> tuple[dict[str, handlabels.Tally], handlabels.Tally]:
    by_kind, total, labelled = handlabels.score(shared_data, "development")
    assert len(labelled) == 80
    return by_kind, total


def test_labels_are_120_postings_with_80_for_development_and_40_held_out() -> None:
    labelled = handlabels.read_labels(get_matcher())
    assert len(labelled) == 120 and len({x.id for x in labelled}) == 120
    assert [x.part for x in labelled].count("held-out") == 40


def test_development_precision_and_recall(development: tuple[dict[str, handlabels.Tally], handlabels.Tally]) -> None:
    _by_kind, total = development
    assert total.tp / (total.tp + total.fp) >= 0.95
    assert total.tp / (total.tp + total.fn) >= 0.90


def test_development_recall_for_practices(shared_data: Path) -> None:
    found, labels = handlabels.recall_tp(shared_data, "development")["practice"]
    assert found / labels >= 0.80


# Each held-out set: its labels file, how it was drawn, how many postings, and the figures it is held to (precision
# and recall at least), with what each measured before.
HELD_OUT = {
    # first measured 0.93 / 0.85; 0.922 / 0.865 with 2026.12.2; tuned on since: 0.953 / 0.946 with 2026.12.5,
    # 0.954 / 0.958 with 2026.12.6
    "held-out": (handlabels.LABELS, None, 40, 0.95, 0.95),
    # first measured 0.921 (280/304) / 0.722 (280/388); tuned on since: 0.962 / 0.843 with 2026.12.5,
    # 0.963 / 0.869 with 2026.12.6, 0.960 / 0.869 with 2026.12.7
    "held-out-2": (handlabels.LABELS_2, handlabels.draw_second_held_out, 45, 0.96, 0.86),
    # first measured (2026.12.4) 0.906 (230/254) / 0.728 (230/316); tuned on since: 0.938 / 0.863 with 2026.12.5,
    # 0.939 / 0.889 with 2026.12.6
    "held-out-3": (handlabels.LABELS_3, handlabels.draw_third_held_out, 40, 0.93, 0.88),
    # first measured (2026.12.5) 0.911 (224/246) / 0.757 (224/296); tuned on since: 0.958 / 0.919 with 2026.12.6,
    # 0.954 / 0.919 with 2026.12.7
    "held-out-4": (handlabels.LABELS_4, handlabels.draw_fourth_held_out, 40, 0.95, 0.91),
    # first measured (2026.12.6, never tuned on) 0.909 (261/287) / 0.761 (261/343); tuned on since: 0.945 / 0.853
    # with 2026.12.7 (340 labels: four name a skill the taxonomy now has under another name)
    "held-out-5": (handlabels.LABELS_5, handlabels.draw_fifth_held_out, 40, 0.94, 0.84),
    # first measured (2026.12.6, never tuned on) 0.909 (210/231) / 0.709 (210/296); 2026.12.7 (still never
    # tuned on) 0.923 (216/234) / 0.730 (216/296); tuned on since: 0.925 (223/241) / 0.753 (223/296) with 2026.12.8
    "held-out-6": (handlabels.LABELS_6, handlabels.draw_sixth_held_out, 40, 0.92, 0.75),
    # first measured (2026.12.7, blind) 0.917 (266/290) / 0.715 (266/372); 2026.12.8 (never tuned on) 0.918
    # (267/291) / 0.718 (267/372); with the Unicode hyphens as separators (found among its misses) 268/292 / 268/372
    "held-out-7": (handlabels.LABELS_7, handlabels.draw_seventh_held_out, 40, 0.91, 0.71),
}


@pytest.mark.parametrize("part", [p for p, row in HELD_OUT.items() if row[1] is not None])
def test_held_out_set_is_the_documented_draw(shared_data: Path, part: str) -> None:
    path, draw, n, _, _ = HELD_OUT[part]
    assert draw is not None
    labelled = handlabels.read_labels(get_matcher(), path)
    assert [x.id for x in labelled] == draw(shared_data)
    assert {x.part for x in labelled} == {part} and len(labelled) == n
    earlier = [row[0] for row in HELD_OUT.values()][: list(HELD_OUT).index(part)]
    taken = {x.id for p in earlier for x in handlabels.read_labels(get_matcher(), p)}
    assert not {x.id for x in labelled} & taken


@pytest.mark.parametrize("part", list(HELD_OUT))
def test_held_out_set_does_not_get_worse(shared_data: Path, part: str) -> None:
    _, _, n, precision, recall = HELD_OUT[part]
    _by_kind, total, labelled = handlabels.score(shared_data, part)
    assert len(labelled) == n
    assert total.tp / (total.tp + total.fp) >= precision
    assert total.tp / (total.tp + total.fn) >= recall


# The recall of practices and of fields, for the sets written blind (at least; what each measured before).
PRACTICES_AND_FIELDS = {
    # 2026.12.6: practices 33/69 = 0.478, fields 55/88 = 0.625; 2026.12.7: 46/68 = 0.676, 61/86 = 0.709
    "held-out-5": (0.67, 0.70),
    # 2026.12.7: practices 39/74 = 0.527, fields 67/107 = 0.626; 2026.12.8: 39/74 = 0.527, 68/107 = 0.636; with the
    # Unicode hyphens: practices 40/74 = 0.541
    "held-out-7": (0.52, 0.63),
}


@pytest.mark.parametrize("part", list(PRACTICES_AND_FIELDS))
def test_held_out_practices_and_fields_do_not_get_worse(shared_data: Path, part: str) -> None:
    practices, fields = PRACTICES_AND_FIELDS[part]
    recall = handlabels.recall_tp(shared_data, part)
    assert recall["practice"][0] / recall["practice"][1] >= practices
    assert recall["domain"][0] / recall["domain"][1] >= fields


def test_wilson_interval() -> None:
    lo, hi = handlabels.wilson(140, 150)
    assert 0.88 <= lo <= 0.89 and 0.96 <= hi <= 0.97  # the 140/150 = 0.93 (0.88-0.96)
    assert handlabels.wilson(0, 0) == (0.0, 1.0)


def test_the_copy_rule_passes_over_a_labelled_postings_copy(shared_data: Path) -> None:
    # the fifth draw let through 46466191 (FetLife), whose text repeats development posting 47219761's
    taken = [handlabels.LABELS, handlabels.LABELS_2, handlabels.LABELS_3, handlabels.LABELS_4]
    assert 46466191 in handlabels._draw(shared_data, taken, 2126, 40)
    assert 46466191 not in handlabels._draw(shared_data, taken, 2126, 40, skip_copies=True)


def test_the_second_reading_of_the_sixth_set_labels_the_same_postings() -> None:
    first = handlabels.read_labels(get_matcher(), handlabels.LABELS_6)
    second = handlabels.read_labels(get_matcher(), handlabels.LABELS_6B)
    assert [x.id for x in second] == [x.id for x in first]
    assert {x.part for x in second} == {"held-out-6b"}


def test_a_skill_the_taxonomy_lacks_compares_by_its_normalised_name(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("## x\n1 | M Multi-omics; X Canary  Tokens\n2 | M multiomics; X canary tokens\n", "utf-8")
    first, second = handlabels.read_labels(get_matcher(), path)
    assert first.labels == second.labels == {"?multiomics": "domain", "?canarytokens": "practice"}


def test_two_readers_of_the_sixth_set_agree(shared_data: Path) -> None:
    results, disagreements = handlabels.agreement(shared_data)

    def p_r(name: str, kind: str = "all") -> tuple[float, float]:
        r = results[name]
        return r.right[kind] / r.given[kind], r.found[kind] / r.labels[kind]

    # reader B (hand_labels_6b.txt, blind) against reader A (hand_labels_6.txt): 263/281 = 0.936 / 263/296 = 0.889;
    # practices 55/68 = 0.809 / 49/60 = 0.817, fields 68/73 = 0.932 / 76/96 = 0.792 (51 labels disagree)
    precision, recall = p_r("B vs A")
    assert precision >= 0.93 and recall >= 0.88
    assert min(p_r("B vs A", "practice")) >= 0.80
    assert len(disagreements) <= 51
    # the matcher (2026.12.7) against A 0.923 / 0.730 (the sixth set's own test), against B 0.897 / 0.747, against
    # the labels both gave 0.897 / 0.798 (practices 27/49 = 0.551), against the labels either gave 0.923 / 0.688;
    # 2026.12.8 (tuned on sets 1-6): against A 0.925 / 0.753, B 0.892 / 0.765, both 0.892 / 0.817 (practices 31/49 =
    # 0.633), either 0.925 / 0.710
    _by_kind, total, _ = handlabels.score(shared_data, "held-out-6")  # the same count as the sixth set's test
    a = results["matcher vs A"]
    assert (a.right["all"], a.given["all"], a.labels["all"]) == (total.tp, total.tp + total.fp, total.tp + total.fn)
    precision, recall = p_r("matcher vs both")
    assert precision >= 0.89 and recall >= 0.79
    assert p_r("matcher vs both", "practice")[1] >= 0.63
    assert p_r("matcher vs either")[0] >= 0.92


def test_sets_one_to_six_together_do_not_get_worse(shared_data: Path) -> None:
    """The six sets that 2026.12.8 was tuned on, pooled (2,437 labels): its rules had to keep their precision."""
    matcher = get_matcher()
    parts = ["development", "held-out", "held-out-2", "held-out-3", "held-out-4", "held-out-5", "held-out-6"]
    tp = fp = 0
    found: dict[str, list[int]] = {}
    for part in parts:
        _by_kind, total, _ = handlabels.score(shared_data, part, matcher)
        tp, fp = tp + total.tp, fp + total.fp
        for kind, (k, n) in handlabels.recall_tp(shared_data, part, matcher).items():
            found.setdefault(kind, [0, 0])
            found[kind][0] += k
            found[kind][1] += n
    labels = sum(n for _, n in found.values())
    # 2026.12.7: 2171/2278 = 0.953 / 2171/2437 = 0.891, practices 310/413 = 0.751, fields 568/686 = 0.828;
    # 2026.12.8: 2187/2294 = 0.953 / 2187/2437 = 0.897, practices 319/413 = 0.772, fields 575/686 = 0.838
    assert labels == 2437
    assert tp / (tp + fp) >= 0.953
    assert tp / labels >= 0.897
    assert found["practice"][0] / found["practice"][1] >= 0.77
    assert found["domain"][0] / found["domain"][1] >= 0.83
