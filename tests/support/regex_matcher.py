"""The matcher's engine as it was before the Aho-Corasick scan (a trie regex): the reference it must equal.

The alias keys fold into a trie emitted as one stdlib `re` alternation, run with `finditer` over
" " + text.lower() (case-insensitively over " " + text when lower-casing changes the length). Nested optional
groups are greedy, so the longest alias that ends on a token boundary wins and a shorter one still matches
when the longer fails it. Building it costs 1.5-2.5 s of CPU for the bundled taxonomy, which is why the
library no longer does; tests build it once per session (`reference_matcher`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from digest.taxonomy.matcher import Matcher, load_bundled
from digest.taxonomy.normalize import alias_key
from digest.taxonomy.scan import Occurrence

SEPARATOR = r"[\s_\-\u2010\u2011]+"
VERSION = r"((?:[ ]?v?\d+(?:\.\d+)*(?:\.x|\+)?)?)"
BOUNDARY = r"[^\w.#@$\\]"  # what may stand before a token ('+' may: "React+TS")
AFTER = r"(?![\w#]|\+(?![A-Za-z])|\.\w)"  # 'React+TS' ends at React; 'C++' never ends at C


class RegexScanner:
    """Same interface as digest.taxonomy.scan.AliasScanner."""

    def __init__(self, keys: Iterable[str], labels: Mapping[str, Any] | None = None) -> None:
        self.keys = set(keys)
        self.labels = labels
        trie = _trie_regex(self.keys)
        self.pattern = re.compile(BOUNDARY + "(" + trie + ")" + VERSION + AFTER)
        self._source = BOUNDARY + "(" + trie + ")" + VERSION + AFTER

    @property
    def fallback(self) -> re.Pattern[str]:
        return _compile_ignorecase(self._source)

    def scan(self, text: str) -> list[Occurrence]:
        lowered = " " + text.lower()
        found = self.pattern.finditer(lowered) if len(lowered) == len(text) + 1 else self.fallback.finditer(" " + text)
        out = []
        for m in found:
            folded = m.group(1)
            key = folded if folded in self.keys else alias_key(folded)
            if key not in self.keys:  # 'React-Native', 'machine  learning': separators differ from the key
                continue
            start = m.start()  # the pattern's first character is the one before the alias
            out.append((key, start, start + len(folded), m.end() - 1))
        return out

    def find(self, text: str) -> list[tuple[Any, int, int, int]]:
        labels = self.labels
        return [(key if labels is None else labels[key], *place) for key, *place in self.scan(text)]


@lru_cache(maxsize=2)
def _compile_ignorecase(source: str) -> re.Pattern[str]:
    return re.compile(source, re.I)


def regex_matcher(skills: Iterable[dict[str, Any]]) -> Matcher:
    """A Matcher over `skills` whose engine is the trie regex: same candidates and gates, other scan."""
    matcher = Matcher(skills)
    matcher._scanner = RegexScanner(matcher.aliases, labels=matcher.aliases)  # type: ignore[assignment]
    return matcher


@lru_cache(maxsize=1)
def reference_matcher() -> Matcher:
    """The regex-engine matcher over the bundled taxonomy, built once per test session."""
    return regex_matcher(load_bundled()["skills"])


def _trie_regex(keys: Iterable[str]) -> str:
    trie: dict[str, Any] = {}
    for key in sorted(keys):
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, Any]) -> str:
    terminal = "" in node
    branches = [(SEPARATOR if ch == " " else re.escape(ch)) + _node_regex(node[ch]) for ch in sorted(node) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if terminal:
        return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
    return body
