"""The Aho-Corasick prefilter loses no match: the matcher's scan equals the trie regex run over the whole text."""

from __future__ import annotations

import random

import pytest

from digest.taxonomy.matcher import Matcher, get_matcher
from digest.taxonomy.starts import StartFinder, coarse

# what may stand between and around aliases: separators runs, punctuation, versions, non-ASCII letters and spaces
_GLUE = [" ", ", ", "/", " and ", "-", " - ", "  ", "\n\n", "(", ")", ".", ". ", "+", "#", "", "3 ", " 3.1 ", "++",
         ".js", "@", "v2", " v2.x", ":", "&", "é", "—", "\u00a0", "_", "\t", "İ"]  # fmt: skip


def _full_scan(matcher: Matcher, lowered: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in matcher.pattern.finditer(lowered)]


def _scan(matcher: Matcher, lowered: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in matcher._scan(lowered)]


def _texts(matcher: Matcher, n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    keys = sorted(matcher.aliases)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 6)):
            key = rnd.choice(keys)
            r = rnd.random()
            if r < 0.3:
                key = key.upper()
            elif r < 0.5:
                key = key.title()
            elif r < 0.7:  # the separators the regex allows inside a multi-word alias
                key = key.replace(" ", rnd.choice(["-", "_", "  ", "\t", " - ", "\n"]))
            parts += [key, rnd.choice(_GLUE)]
        texts.append("".join(parts))
    return texts


@pytest.mark.parametrize("seed", [1, 2])
def test_prefiltered_scan_equals_the_full_regex_scan(seed: int) -> None:
    matcher = get_matcher()
    for text in _texts(matcher, 2000, seed):
        lowered = " " + text.lower()
        assert _scan(matcher, lowered) == _full_scan(matcher, lowered), text


def test_tricky_boundaries() -> None:
    matcher = get_matcher()
    for text in [
        "machine  learning, Machine_Learning and machine -\n learning",
        "python3, Python 3.12, pythonv3, python.org, Python., C++/C#, .NET8, node.js+react",
        "Résumé: R, Go—Rust, “Kubernetes”, Ruby\u00a0on\u00a0Rails, c++builder",
        "",
        "   ",
    ]:
        lowered = " " + text.lower()
        assert _scan(matcher, lowered) == _full_scan(matcher, lowered), text


def test_start_finder_on_a_small_vocabulary() -> None:
    finder = StartFinder(["go", "ruby on rails", "c++"])
    text = " go, ruby  on rails; c++ and goat, rubyx on"
    starts = finder.starts(text)
    assert {0, 4, 20} <= set(starts)  # before go, ruby (two spaces), c++
    assert 28 not in starts  # 'goat' is not 'go'
    assert len(coarse("é—x")) == 3  # one byte a character: offsets stay
