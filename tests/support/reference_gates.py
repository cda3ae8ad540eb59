"""The matcher's candidates and gates as they were before they were made cheaper (issue #21's follow-up): the
reference the faster ones must equal, match for match, over the same engine (`Matcher._scanner`).

Kept as written then: every candidate built and gated in one loop, `strong` computed for every text, each
alias's false contexts and weak gate tested whether it has them or not, the matches sorted by place.
"""

from __future__ import annotations

from operator import attrgetter

from digest.taxonomy import context, curated
from digest.taxonomy.matcher import _LIST_GLUE, Match, Matcher, _Candidate, _new_match
from digest.taxonomy.normalize import case_key


def candidates(matcher: Matcher, text: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    aliases = matcher.aliases
    for key, start, key_end, end in matcher._scanner.scan(text):
        alias = aliases[key]
        surface = text[start:key_end]
        if end != key_end:
            if text[key_end] != " " and len(key) < 3:
                continue
            written = text[start:end]
        else:
            written = surface
        listed_only = False
        if not alias.ci and surface not in alias.exact_forms and case_key(surface) not in alias.exact_forms:
            if alias.key not in curated.LOWERCASE_IN_LISTS or surface != alias.key:
                continue
            listed_only = True
        found.append((alias, start, end, written, listed_only))
    return found


def match(matcher: Matcher, text: str) -> list[Match]:
    cands = candidates(matcher, text)
    strong = any(c[0].strong for c in cands)
    out: dict[int, Match] = {}
    skills, implies = matcher.skills, matcher._implies
    for i, (alias, start, end, surface, listed_only) in enumerate(cands):
        if alias.skill in out:
            continue
        if listed_only and not _in_list(text, cands, i):
            continue
        if alias.after is not None and alias.after.search(text[end : end + 40]):
            continue
        if alias.before is not None and alias.before.search(text[max(0, start - 30) : start]):
            continue
        if alias.weak and not _weak_ok(matcher, text, cands, i, strong):
            continue
        info = skills[alias.skill]
        shown = info.name if alias.hidden_only else surface
        out[alias.skill] = _new_match(info.slug, shown, start, end, info.name, alias.hidden_only)
        implied = implies.get(info.slug)
        if implied is not None and implied[1].search(surface) and implied[0] not in out:
            other = skills[implied[0]]
            out[implied[0]] = _new_match(other.slug, surface, start, end, other.name)
    return context.keep(text, sorted(out.values(), key=attrgetter("start")))


def _weak_ok(matcher: Matcher, text: str, cands: list[_Candidate], i: int, strong: bool) -> bool:
    key = cands[i][0].key
    if strong:
        return True
    dis = matcher._disambiguators.get(key)
    if dis is not None and dis.search(text):
        return True
    if key in curated.PROGRAMMING_LANGUAGES and matcher._programming.search(text):
        return True
    return _in_list(text, cands, i)


def _in_list(text: str, cands: list[_Candidate], i: int) -> bool:
    alias, start, end = cands[i][:3]
    for j in (i - 1, i + 1):
        if 0 <= j < len(cands) and cands[j][0].skill != alias.skill:
            a, b = (cands[j][2], start) if j < i else (end, cands[j][1])
            if b - a <= 12 and _LIST_GLUE.match(text[a:b]):
                return True
    return False
