"""Find canonical skills in text: an alias scan for the whole vocabulary, then case checks, then the gates.

Three layers: the engine (`digest.taxonomy.scan`: every occurrence of an alias key on token boundaries, one
Aho-Corasick pass), the candidates (`Matcher.candidates`: the case checks of exact-case aliases and of
versions glued to short names) and the gates (`Matcher.match`: false contexts, the weak-name gate, one
mention a skill). Token boundaries keep `+ # .` inside tokens (C, C++, C#, .NET, Node.js stay apart); a
trailing version ("Python 3", "python3", "Java 17", ".NET 8") is part of the match and resolves to the base
skill; at one place the longest alias that ends on a token boundary wins.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from digest.taxonomy import context, curated
from digest.taxonomy.normalize import alias_key, case_key
from digest.taxonomy.scan import AliasScanner

_PLAIN_WORD = re.compile(r"[A-Z][a-z]+")
_NONE: frozenset[str] = frozenset()
# case_key (NFKC and a regex) costs a microsecond; the surfaces of exact-case aliases repeat across texts
_case_key = lru_cache(maxsize=4096)(case_key)
_LIST_GLUE = re.compile(r"^\s*(?:[,/|;&+]|and|or|\(|\))\s*(?:and\s+|or\s+)?$", re.IGNORECASE)


class Match(NamedTuple):
    """One skill found in a text. `alias` is the text as written (or the skill name for a hidden alias)."""

    slug: str
    alias: str
    start: int
    end: int
    name: str = ""
    hidden: bool = False


# A posting gets a handful of matches, but the matcher runs over every item: a match is a tuple, built
# without the keyword handling of Match(...) (a third of the cost of a frozen dataclass's __init__).
_tuple_new = tuple.__new__


def _new_match(slug: str, alias: str, start: int, end: int, name: str, hidden: bool = False) -> Match:
    return _tuple_new(Match, (slug, alias, start, end, name, hidden))


class _Alias(NamedTuple):  # a tuple: the matcher builds 12,600 of them at start, three times faster than a dataclass
    skill: int  # index into Matcher.skills
    ci: bool  # some case-insensitive form
    hidden_only: bool
    exact_forms: frozenset[str]
    weak: bool
    key: str
    strong: bool  # corroborates weak names: neither weak nor generic
    after: re.Pattern[str] | None  # curated.FALSE_AFTER
    before: re.Pattern[str] | None  # curated.FALSE_BEFORE
    gated: bool  # a false context or the weak-name gate may reject it (most aliases: neither)


_Candidate = tuple[_Alias, int, int, str, bool]  # alias, start, end, surface, lower-case weak name


class SkillInfo(NamedTuple):
    slug: str
    name: str
    weak: bool
    generic: bool


class Matcher:
    def __init__(self, skills: Iterable[dict[str, Any]]) -> None:
        # built once a process, so kept cheap: lists, not a dict and a set an alias (12,600 aliases)
        self.skills: list[SkillInfo] = []
        forms: dict[str, list[Any]] = {}  # key -> [skill, some ci form, hidden only, exact forms]
        for s in skills:
            idx = len(self.skills)
            self.skills.append(SkillInfo(s["slug"], s["name"], bool(s.get("weak")), bool(s.get("generic"))))
            for a in s["aliases"]:
                key = alias_key(a["alias"])
                if not key:
                    continue
                kind = a["kind"]
                f = forms.get(key)
                if f is None:
                    f = forms[key] = [idx, False, True, _NONE]
                elif f[0] != idx:
                    continue  # the bundled file gives one skill per alias; keep the first if not
                if kind == "exact":
                    f[3] = f[3] | {case_key(a["alias"])}
                else:
                    f[1] = True
                if kind != "hidden":
                    f[2] = False
        self.aliases: dict[str, _Alias] = {}
        after = {k: re.compile(v) for k, v in curated.FALSE_AFTER.items()}
        before = {k: re.compile(v) for k, v in curated.FALSE_BEFORE.items()}
        weak_aliases, plain_word = curated.WEAK_ALIASES, _PLAIN_WORD.fullmatch
        for key, (idx, ci, hidden, exact) in forms.items():
            weak = key in weak_aliases or (not ci and any(plain_word(x) for x in exact))
            strong = not weak and not self.skills[idx].generic
            a, b = after.get(key), before.get(key)
            gated = weak or a is not None or b is not None
            self.aliases[key] = _Alias(idx, ci, hidden, exact, weak, key, strong, a, b, gated)
        self._scanner = AliasScanner(self.aliases, labels=self.aliases)
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
        for alias, start, key_end, end in self._scanner.find(text):
            surface = text[start:key_end]
            if end != key_end:  # a version
                if text[key_end] != " " and len(alias.key) < 3:
                    continue  # 'C3', 'R2': a name, not C or R with a version
                written = text[start:end]
            else:
                written = surface
            listed_only = False
            if not alias.ci and surface not in alias.exact_forms and _case_key(surface) not in alias.exact_forms:
                if alias.key not in curated.LOWERCASE_IN_LISTS or surface != alias.key:
                    continue
                listed_only = True
            found.append((alias, start, end, written, listed_only))
        return found

    def match(self, text: str) -> list[Match]:
        """Canonical skills in `text`, each once (its first accepted mention), in text order."""
        cands = self.candidates(text)
        if not cands:
            return []
        out: dict[int, Match] = {}
        skills, implies, new = self.skills, self._implies, _tuple_new
        strong: bool | None = None  # whether any candidate corroborates weak names: found when one needs it
        text_wide: dict[str, bool] = {}  # a weak key's disambiguating context in the whole text, found once
        for i, (alias, start, end, surface, listed_only) in enumerate(cands):
            idx = alias.skill
            if idx in out:
                continue
            if alias.gated or listed_only:
                if listed_only and not self._in_list(text, cands, i):
                    continue
                if alias.after is not None and alias.after.search(text[end : end + 40]):
                    continue
                if alias.before is not None and alias.before.search(text[max(0, start - 30) : start]):
                    continue
                if alias.weak:
                    if strong is None:
                        strong = any(c[0].strong for c in cands)
                    if not strong and not self._weak_ok(text, cands, i, text_wide):
                        continue
            info = skills[idx]
            if alias.hidden_only:
                out[idx] = new(Match, (info.slug, info.name, start, end, info.name, True))
            else:
                out[idx] = new(Match, (info.slug, surface, start, end, info.name, False))
            if info.slug in implies:
                implied, written = implies[info.slug]
                if written.search(surface) and implied not in out:
                    other = skills[implied]
                    out[implied] = new(Match, (other.slug, surface, start, end, other.name, False))
        # in text order already: candidates come in order of place, an implied skill right after its alias
        return context.keep(text, list(out.values()))

    def _weak_ok(self, text: str, cands: list[_Candidate], i: int, text_wide: dict[str, bool]) -> bool:
        """A weak name with no strong mention in the text: kept with a disambiguating or programming context,
        or in a list of technologies. `text_wide`: the answers for the whole text so far, by key (each is a
        case-insensitive search of the whole text: asked once a text)."""
        key = cands[i][0].key
        found = text_wide.get(key)
        if found is None:
            dis = self._disambiguators.get(key)
            found = text_wide[key] = bool(
                (dis is not None and dis.search(text))
                or (key in curated.PROGRAMMING_LANGUAGES and self._programming.search(text))
            )
        return found or self._in_list(text, cands, i)

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


def _bundle() -> bytes:
    return resources.files("digest.taxonomy").joinpath("data/taxonomy.json").read_bytes()


def load_bundled() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_bundle())
    return result


@lru_cache(maxsize=1)
def get_matcher() -> Matcher:
    """The matcher over the bundled taxonomy, once per process: loaded from DATA_DIR/cache if built there
    before by this code from this bundle, else built (and stored there: digest.taxonomy.cache)."""
    from digest.config import ConfigError, get_settings
    from digest.taxonomy import cache

    bundle = _bundle()
    try:
        folder: Path | None = get_settings().cache_dir
    except ConfigError:  # the command reports it; the matcher is built without a cache
        folder = None
    return cache.cached(folder, bundle, lambda: Matcher(json.loads(bundle)["skills"]))
