"""The matcher's engine (an Aho-Corasick scan) finds exactly what the trie regex it replaced found.

The reference (tests/support/regex_matcher.py) is the regex engine under the same candidates and gates, so
whatever the gates (and any post-filter at the end of Matcher.match) do, they do to both. Compared on the
bundled taxonomy, whatever it holds: every HN posting in the shared data (cleaned text and raw HTML), texts
generated from every alias key in upper, title and lower case with separator runs, versions, punctuation
and non-ASCII characters around them, and hand-picked boundaries.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from digest.taxonomy import cache
from digest.taxonomy.matcher import Matcher, _bundle, get_matcher
from digest.taxonomy.scan import AliasScanner
from tests.eval import hn
from tests.support.regex_matcher import RegexScanner, reference_matcher

# what may stand between and around aliases: separators runs, punctuation, versions, non-ASCII letters and spaces
_GLUE = [" ", ", ", "/", " and ", "-", " - ", "  ", "\n\n", "(", ")", ".", ". ", "+", "#", "", "3 ", " 3.1 ", "++",
         ".js", "@", "v2", " v2.x", ":", "&", "é", "—", "\u00a0", "_", "\t", "İ", "x", "9", "$", "\\", "'", " v",
         ".x", "+ ", "\u2009", "·"]  # fmt: skip


def _every_posting(shared_data: Path) -> list[str]:
    texts = []
    for run in sorted((shared_data / hn.DATASET).iterdir()):
        if run.is_dir():
            for job in json.loads((run / "raw.json").read_text())["jobs"]:
                if job.get("text"):
                    texts += [hn.clean(job["text"]), job["text"]]
    return texts


def _generated(matcher: Matcher, n: int, seed: int) -> list[str]:
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
            elif r < 0.7:  # the separators a space in a key stands for
                key = key.replace(" ", rnd.choice(["-", "_", "  ", "\t", " - ", "\n", "\u00a0", " _ "]))
            elif r < 0.75:  # a key cut short or run on
                key = key[: rnd.randint(1, len(key))] if rnd.random() < 0.5 else key + rnd.choice("s9x+.#")
            parts += [key, rnd.choice(_GLUE)]
        texts.append("".join(parts))
    return texts


def _same(texts: list[str], new: Matcher | None = None, old: Matcher | None = None) -> None:
    new, old = new or get_matcher(), old or reference_matcher()
    for text in texts:
        assert new._scanner.scan(text) == old._scanner.scan(text), text[:300]
        assert new.candidates(text) == old.candidates(text), text[:300]
        assert new.match(text) == old.match(text), text[:300]


def test_every_hn_posting_gives_the_same_mentions_span_for_span(shared_data: Path) -> None:
    texts = _every_posting(shared_data)
    assert len(texts) == 2 * 1048
    _same(texts)
    assert sum(len(get_matcher().match(t)) for t in texts[::2]) > 4000  # the corpus exercises the matcher


def test_the_matcher_from_the_cache_is_the_built_one_span_for_span(shared_data: Path, tmp_path: Path) -> None:
    """What digest.taxonomy.cache stores and loads finds what a freshly built matcher finds."""
    bundle = _bundle()
    built = Matcher(json.loads(bundle)["skills"])
    key = cache.key(bundle)
    assert key is not None and cache.store(tmp_path, key, built)
    loaded = cache.load(tmp_path, key)
    assert loaded is not None and loaded is not built
    assert loaded.skills == built.skills and loaded.aliases == built.aliases and loaded.by_slug == built.by_slug
    assert loaded._scanner.__getstate__() == built._scanner.__getstate__()
    _same(_every_posting(shared_data) + _generated(built, 2000, 4), loaded, built)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_texts_over_every_key_give_the_same_mentions(seed: int) -> None:
    _same(_generated(get_matcher(), 2000, seed))


def test_tricky_boundaries() -> None:
    _same(
        [
            "machine  learning, Machine_Learning and machine -\n learning, machine\u00a0\u00a0learning",
            "python3, Python 3.12, pythonv3, python.org, Python., C++/C#, .NET8, node.js+react, Go 1.22+, C3, R2",
            "Résumé: R, Go—Rust, “Kubernetes”, Ruby\u00a0on\u00a0Rails, c++builder, İstanbul Go, GİT, KİBANA",
            "example.com/careers, jobs@acme.ai, $python, \\go, React+TS, react +ts, Vue.js., Next.js's, .NET 8.x",
            "",
            "   ",
            "go",
            "C",
        ]
    )


def test_a_small_vocabulary() -> None:
    keys = ["go", "ruby on rails", "c++", "c", "node.js", "machine learning", "café"]
    new, old = AliasScanner(keys), RegexScanner(keys)
    text = "Go, ruby  on-rails; C++ and goat, c, Node.js. Machine\n\nLearning at a café—c++"
    assert new.scan(text) == old.scan(text)
    assert [k for k, *_ in new.scan(text)] == ["go", "ruby on rails", "c++", "c", "node.js", "machine learning",
                                                "café", "c++"]  # fmt: skip
    assert new.scan("go2 go 2 go v2 go.x") == old.scan("go2 go 2 go v2 go.x")


def test_labels_name_the_occurrences_scan_finds() -> None:
    """`find` reports what `scan` reports, each key replaced by the label given for it (also on the path of a
    text with 'İ', scanned apart)."""
    keys = ["go", "ruby on rails", "c++", "c", "node.js", "machine learning", "café"]
    labelled = AliasScanner(keys, labels={key: key.upper() for key in keys})
    for text in ["Go, ruby  on-rails; C++ and goat, c, Node.js. Machine\n\nLearning at a café—c++", "İstanbul Go, C"]:
        assert labelled.find(text) == [(key.upper(), *place) for key, *place in labelled.scan(text)]
        assert labelled.find(text)
    assert AliasScanner(keys).find("Go and C") == AliasScanner(keys).scan("Go and C")


def test_keys_of_digits_and_punctuation_found_by_the_fine_automaton() -> None:
    """Keys such as "v8", "c++17", "s3" are found by a second automaton (digits and '+' kept, only true
    boundaries as BND); their hits join the main automaton's in order of place, so the longest key at a place
    still wins and a shorter key ("c") still matches when the longer one ("c++17") fails the check after it."""
    matcher = get_matcher()
    fine = sorted(k for k in matcher.aliases if matcher._scanner._keys.index(k) >= matcher._scanner._fine_offset)
    assert {"v8", "c++", "c++17", "s3"} <= set(fine)
    assert "c" not in fine and "node.js" not in fine
    rnd = random.Random(5)
    near = [*fine, "c", "c#", "vue", "vue.js", "v", "s", "d", "go", "node.js", "aws s3", "amazon s3", "v8 engine"]
    texts = [
        "".join(rnd.choice([k, k.upper()]) + rnd.choice(_GLUE) for k in rnd.choices(near, k=rnd.randint(1, 8)))
        for _ in range(3000)
    ]
    texts += ["c++17c++, +c++, x+v8, v8v8, $s3, 5g5g, .c++, _v8, C++\u00a0 c++11  C++-17, s3\n\ns3 -s3"]
    _same(texts)
    assert [k for k, *_ in matcher._scanner.scan("C++17, c++ and AWS S3 on V8; c+")] == ["c++17", "c++", "aws s3", "v8"]
