"""Find canonical skills in text: one regex pass for the whole vocabulary, then the weak-name gate.

The vocabulary is folded into a trie and emitted as one stdlib `re` alternation (shared prefixes factored
out). Token boundaries keep `+ # .` inside tokens (C, C++, C#, .NET, Node.js stay apart); a trailing version
("Python 3", "python3", "Java 17", ".NET 8") is part of the match and resolves to the base skill. Nested
optional groups are greedy, so the longest alias that ends on a token boundary wins, and a shorter alias
still matches when the longer one fails it. The regex is tried only where an Aho-Corasick prefilter
(`digest.taxonomy.starts`) says an alias may start: the same matches as running it over the whole text
(`pattern.finditer`), about three times faster.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from operator import attrgetter
from typing import Any

from digest.taxonomy import context, curated
from digest.taxonomy.normalize import alias_key, case_key
from digest.taxonomy.starts import StartFinder

_PLAIN_WORD = re.compile(r"[A-Z][a-z]+")
_SEPARATOR = r"[\s_\-]+"
_VERSION = r"((?:[ ]?v?\d+(?:\.\d+)*(?:\.x|\+)?)?)"
_BOUNDARY = r"[^\w.#@$\\]"  # what may stand before a token ('+' may: "React+TS")
_AFTER = r"(?![\w#]|\+(?![A-Za-z])|\.\w)"  # 'React+TS' ends at React; 'C++' never ends at C
_START = attrgetter("start")
_LIST_GLUE = re.compile(r"^\s*(?:[,/|;&+]|and|or|\(|\))\s*(?:and\s+|or\s+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Match:
    """One skill found in a text. `alias` is the text as written (or the skill name for a hidden alias)."""

    slug: str
    alias: str
    start: int
    end: int
    name: str = ""
    hidden: bool = False


# Building a Match through its frozen __init__ costs twice as much as setting its slots directly; a posting
# gets a handful, but the matcher runs over every item.
_SLUG, _ALIAS, _START_AT, _END, _NAME, _HIDDEN = (
    getattr(Match, f).__set__ for f in ("slug", "alias", "start", "end", "name", "hidden")
)


def _new_match(slug: str, alias: str, start: int, end: int, name: str, hidden: bool = False) -> Match:
    m = object.__new__(Match)
    _SLUG(m, slug)
    _ALIAS(m, alias)
    _START_AT(m, start)
    _END(m, end)
    _NAME(m, name)
    _HIDDEN(m, hidden)
    return m


@dataclass(frozen=True, slots=True)
class _Alias:
    skill: int  # index into Matcher.skills
    ci: bool  # some case-insensitive form
    hidden_only: bool
    exact_forms: frozenset[str]
    weak: bool
    key: str
    strong: bool  # corroborates weak names: neither weak nor generic
    after: re.Pattern[str] | None  # curated.FALSE_AFTER
    before: re.Pattern[str] | None  # curated.FALSE_BEFORE


_Candidate = tuple[_Alias, int, int, str, bool]  # alias, start, end, surface, lower-case weak name


@dataclass(frozen=True, slots=True)
class SkillInfo:
    slug: str
    name: str
    weak: bool
    generic: bool


class Matcher:
    def __init__(self, skills: Iterable[dict[str, Any]]) -> None:
        self.skills: list[SkillInfo] = []
        forms: dict[str, dict[str, Any]] = {}
        for s in skills:
            idx = len(self.skills)
            self.skills.append(SkillInfo(s["slug"], s["name"], bool(s.get("weak")), bool(s.get("generic"))))
            for a in s["aliases"]:
                key = alias_key(a["alias"])
                if not key:
                    continue
                f = forms.setdefault(key, {"skill": idx, "ci": False, "hidden": True, "exact": set()})
                if f["skill"] != idx:
                    continue  # the bundled file gives one skill per alias; keep the first if not
                if a["kind"] == "exact":
                    f["exact"].add(case_key(a["alias"]))
                else:
                    f["ci"] = True
                f["hidden"] = f["hidden"] and a["kind"] == "hidden"
        self.aliases: dict[str, _Alias] = {}
        after = {k: re.compile(v) for k, v in curated.FALSE_AFTER.items()}
        before = {k: re.compile(v) for k, v in curated.FALSE_BEFORE.items()}
        for key, f in forms.items():
            weak = key in curated.WEAK_ALIASES or (not f["ci"] and any(_PLAIN_WORD.fullmatch(x) for x in f["exact"]))
            strong = not weak and not self.skills[f["skill"]].generic
            exact = frozenset(f["exact"])
            self.aliases[key] = _Alias(
                f["skill"], f["ci"], f["hidden"], exact, weak, key, strong, after.get(key), before.get(key)
            )
        # Case-folding is done on the text (str.lower, in C) so the pattern is case-sensitive, and the pattern
        # starts with the boundary character before a token (the text gets a leading space): sre then only
        # tries a match after spaces and punctuation, skipping the inside of words in C.
        trie = _trie_regex(self.aliases)
        self.pattern = re.compile(_BOUNDARY + "(" + trie + ")" + _VERSION + _AFTER)
        self._starts = StartFinder(self.aliases)
        self._fallback = re.compile(_BOUNDARY + "(" + trie + ")" + _VERSION + _AFTER, re.I)
        self._disambiguators = {k: re.compile(v, re.I) for k, v in curated.DISAMBIGUATORS.items()}
        self._programming = re.compile(curated.PROGRAMMING_CONTEXT, re.I)
        self.by_slug = {s.slug: s for s in self.skills}
        index = {s.slug: i for i, s in enumerate(self.skills)}
        self._implies = {
            k: (index[v[0]], re.compile(v[1])) for k, v in curated.IMPLIES.items() if v[0] in index and k in index
        }

    def candidates(self, text: str) -> list[_Candidate]:
        """Every alias occurrence that passes case and version checks (before the weak-name gate)."""
        found: list[_Candidate] = []
        lowered = " " + text.lower()
        # str.lower keeps offsets except for a few characters ('İ'): scan those texts case-insensitively
        scan = self._scan(lowered) if len(lowered) == len(text) + 1 else self._fallback.finditer(" " + text)
        get = self.aliases.get
        for m in scan:
            folded, version = m.groups()
            alias = get(folded)
            if alias is None:  # 'React-Native', 'machine  learning': separators differ from the key
                alias = get(alias_key(folded))
                if alias is None:
                    continue
            start = m.start()  # the pattern's first character is the one before the alias
            if version:
                if version[0] != " " and len(alias.key) < 3:
                    continue  # 'C3', 'R2': a name, not C or R with a version
                end = m.end() - 1
                surface = text[start : start + len(folded)]
                written = text[start:end]
            else:
                end = start + len(folded)
                surface = written = text[start:end]
            listed_only = False
            if not alias.ci and surface not in alias.exact_forms and case_key(surface) not in alias.exact_forms:
                if alias.key not in curated.LOWERCASE_IN_LISTS or surface != alias.key:
                    continue
                listed_only = True
            found.append((alias, start, end, written, listed_only))
        return found

    def _scan(self, lowered: str) -> list[re.Match[str]]:
        """What `self.pattern.finditer(lowered)` finds, trying the pattern only where the prefilter says."""
        out = []
        end = 0
        match = self.pattern.match
        for at in self._starts.starts(lowered):
            if at >= end:  # finditer goes on from the end of the last match
                m = match(lowered, at)
                if m is not None:
                    out.append(m)
                    end = m.end()
        return out

    def match(self, text: str) -> list[Match]:
        """Canonical skills in `text`, each once (its first accepted mention), in text order."""
        cands = self.candidates(text)
        strong = any(c[0].strong for c in cands)
        out: dict[int, Match] = {}
        skills, implies = self.skills, self._implies
        for i, (alias, start, end, surface, listed_only) in enumerate(cands):
            if alias.skill in out:
                continue
            if listed_only and not self._in_list(text, cands, i):
                continue
            if alias.after is not None and alias.after.search(text[end : end + 40]):
                continue
            if alias.before is not None and alias.before.search(text[max(0, start - 30) : start]):
                continue
            if alias.weak and not self._weak_ok(text, cands, i, strong):
                continue
            info = skills[alias.skill]
            shown = info.name if alias.hidden_only else surface
            out[alias.skill] = _new_match(info.slug, shown, start, end, info.name, alias.hidden_only)
            implied = implies.get(info.slug)
            if implied is not None and implied[1].search(surface) and implied[0] not in out:
                other = skills[implied[0]]
                out[implied[0]] = _new_match(other.slug, surface, start, end, other.name)
        return context.keep(text, sorted(out.values(), key=_START))

    def _weak_ok(self, text: str, cands: list[_Candidate], i: int, strong: bool) -> bool:
        key = cands[i][0].key
        if strong:
            return True
        dis = self._disambiguators.get(key)
        if dis is not None and dis.search(text):
            return True
        if key in curated.PROGRAMMING_LANGUAGES and self._programming.search(text):
            return True
        return self._in_list(text, cands, i)

    def closest(self, text: str, limit: int = 5) -> list[SkillInfo]:
        """Skills whose names or aliases are spelt most like `text` (for an 'unknown skill' answer)."""
        return _closest(self, text, limit)

    @staticmethod
    def _in_list(text: str, cands: list[_Candidate], i: int) -> bool:
        """A list of technologies: "Go, Rust and C", "R/Python", "python / react"."""
        alias, start, end = cands[i][:3]
        for j in (i - 1, i + 1):
            if 0 <= j < len(cands) and cands[j][0].skill != alias.skill:
                a, b = (cands[j][2], start) if j < i else (end, cands[j][1])
                if b - a <= 12 and _LIST_GLUE.match(text[a:b]):
                    return True
        return False


# sre tries the branches of an alternation in order: put the letters words most often start with (and
# contain) first, so that a failing attempt inside ordinary English text gives up after fewer checks.
# Branches start with distinct characters, so their order never changes what matches.
_FIRST_ORDER = "taoswicbphfmdrelngukvyjqxz"
_NEXT_ORDER = " etaoinsrhldcumfpgwybvkxjqz"


def _branch_rank(ch: str, depth: int) -> tuple[int, int, str]:
    order = _FIRST_ORDER if depth == 0 else _NEXT_ORDER
    pos = order.find(ch)
    return (0, pos, ch) if pos >= 0 else (1, 0, ch)


def _closest(matcher: Matcher, text: str, limit: int) -> list[SkillInfo]:
    names: dict[str, SkillInfo] = {}
    for key, alias in matcher.aliases.items():
        if not alias.hidden_only:
            names.setdefault(key, matcher.skills[alias.skill])
    out: list[SkillInfo] = []
    for key in difflib.get_close_matches(alias_key(text), list(names), n=limit * 3, cutoff=0.75):
        if names[key] not in out:
            out.append(names[key])
    return out[:limit]


def _trie_regex(aliases: Iterable[str]) -> str:
    trie: dict[str, Any] = {}
    for key in sorted(aliases):
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie, 0)


def _node_regex(node: dict[str, Any], depth: int) -> str:
    terminal = "" in node
    branches = []
    for ch in sorted((k for k in node if k), key=lambda c: _branch_rank(c, depth)):
        atom = _SEPARATOR if ch == " " else re.escape(ch)
        branches.append(atom + _node_regex(node[ch], depth + 1))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if terminal:
        return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
    return body


def load_bundled() -> dict[str, Any]:
    data = resources.files("digest.taxonomy").joinpath("data/taxonomy.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(data)
    return result


@lru_cache(maxsize=1)
def get_matcher() -> Matcher:
    """The matcher over the bundled taxonomy, built once per process."""
    return Matcher(load_bundled()["skills"])
