"""Context guards: a name that is a skill in a stack is not a skill mention everywhere it appears.

`keep(text, matches)` runs after the matcher (one call at the end of `Matcher.match`) and drops a match that
stands
- inside a URL or an e-mail address ("https://github.com/acme", "jobs@acme.ai"; a bare domain that is the
  skill's own name, such as "Fly.io" or "Temporal.io", stays),
- in a list of customers, investors or partners ("used by Google, Stripe, Anthropic", "backed by NVIDIA"),
- in a list of former employers ("ex-Google, GitHub", "backgrounds include Elastic"),
- in application instructions ("email me your LinkedIn / GitHub", "include your GitHub profile"),
- as a salary currency ("$140-170K CAD") or a degree ("BS CS"),
- in the company-name field of a posting's first line ("Espresso AI | Staff Engineers"),
- as an analogy ("a Cursor-like experience", "Figma for the built world", "think Cursor for radiologists"),
- negated or set against ("No Jira.", "No GPS.", "differs from LLMs", "Pulumi instead of Terraform").
Everything here looks only at the text around the match; it never adds a match. It costs little: most
matches are sorted out in whole lists (comprehensions and set tests); a match is looked at more closely only
when it is a company's product, a short acronym, in a URL or in the first field, and only a company's product
in a list position is searched for a cue before it (Aho-Corasick over at most 200 characters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from operator import attrgetter
from typing import TYPE_CHECKING

import ahocorasick_rs

if TYPE_CHECKING:
    from digest.taxonomy.matcher import Match

_CURRENCIES = frozenset(
    [
        "CAD",
        "AUD",
        "USD",
        "EUR",
        "GBP",
        "INR",
        "SGD",
        "CHF",
        "NZD",
        "SEK",
        "DKK",
        "NOK",
        "PLN",
        "JPY",
        "BRL",
        "MXN",
        "HKD",
        "ZAR",
        "CZK",
        "ILS",
        "AED",
    ]
)
_MONEY_BEFORE = re.compile(r"(?:[$€£¥]\s?\d|\d\s?[kKmM]?)[^\n]{0,12}$")
_MONEY_AFTER = re.compile(r"\s?[$€£]?\d")
_DEGREE_SUBJECTS = frozenset(
    ["CS", "EE", "CE", "ME", "IT", "IS", "ECE", "CSE", "EECS", "MIS", "BME", "ChemE", "CompSci"]
)
_DEGREE_BEFORE = re.compile(
    r"\b(?:BS|B\.S\.|BSc|MS|M\.S\.|MSc|BA|MA|MEng|BEng|PhD|Ph\.D\.?|degree|[Bb]achelor'?s?|[Mm]aster'?s?)"
    r"(?:\s*/\s*(?:BS|MS|MSc|PhD|BA|MA))*\s*(?:in\s+|of\s+)?$"
)
# Phrases that open a list of customers, investors, partners or former employers ("used by Google, Stripe").
_CUES = [
    *(
        f"{w} by"
        for w in [
            "used",
            "trusted",
            "loved",
            "backed",
            "funded",
            "founded",
            "built",
            "started",
            "acquired",
            "incubated",
        ]
    ),
    *(
        f"{who} {how}"
        for who in [
            "customers",
            "clients",
            "users",
            "partners",
            "investors",
            "brands",
            "companies",
            "teams",
            "organizations",
            "enterprises",
            "backers",
            "firms",
            "leaders",
            "institutions",
            "logos",
            "platforms",
        ]
        for how in ("such as", "like", "including", "include", "includes", "from", "at")
    ),
    *(f"{who}, including" for who in ("customers", "clients", "users", "teams", "companies", "organizations")),
    *(
        f"{who} {how}"
        for who in ["backgrounds", "background", "engineers", "team", "founders", "people", "folks", "alumni"]
        for how in ("include", "includes", "from", "at", "of")
    ),
    *("partner with", "partnering with", "partnered with", "partners with", "powering", "serving", "serves"),
    *("the likes of", "rely on us", "ex-", "former", "formerly", "previously at", "previously", "alumni"),
    *("experience at", "comes from", "come from", "came from", "spun out of", "worked at", "hails from"),
    *("companies like", "companies such as", "brands like", "customers like", "the scale of"),
    # competitors the product replaces ("replacing tools like Notion, ClickUp, Asana and Hootsuite")
    *("replacing", "replaces", "replace", "alternative to", "alternatives to", "take on", "compete with"),
    *("replacing tools like", "replacing tools such as", "replaces tools like", "replace tools like"),
    # a list after an adverb ("organizations globally like Block, Vercel"), a product being left ("move off
    # GitHub"), the company joining another ("Graphite is joining Cursor"), a close partner
    *("globally like", "globally including", "worldwide like", "worldwide including", "around the world like"),
    *("move off", "moving off", "migrate off", "migrating off", "moving away from", "migrating away from"),
    *("is joining", "are joining", "has joined", "partnering closely with", "working closely with"),
    *("outperforms", "outperform", "beats"),
    *("participation from", "support from", "investment from"),
]
_CUE_AUTOMATON = ahocorasick_rs.AhoCorasick(
    sorted({c for cue in _CUES for c in (cue, cue[0].upper() + cue[1:])}),
    matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_LONGEST,
    implementation=ahocorasick_rs.Implementation.DFA,  # measured 3x faster than the NFAs here (354 phrases)
)
_CUE_LAST_WORDS = frozenset(
    {c.rsplit(None, 1)[-1].casefold() for c in _CUES if " " in c}
    | {c.casefold() for c in _CUES if " " not in c}
    | {"and", "or", "&"}
)
_NAME = r"(?:[A-Z0-9][\w.&'’+-]*(?:\s+[A-Z0-9][\w.&'’+-]*){0,3}|[a-z][\w.]*[A-Z][\w.]*|a16z)"
# What may stand between a cue and the match for the match to be one of the list's names.
_NAMES_GAP = re.compile(
    r"\s*:?\s*(?:" + _NAME + r"(?:\s*\([^)]{0,40}\))?\s*(?:,|/|&|\(|\band\b|\bor\b)\s*(?:and\s+|&\s+)?)*"
)
_APPLY = re.compile(  # on lower-cased text
    r"\b(?:apply|applying|application|email|e-mail|send|sending|reach out|resume|résumé|cv|portfolio|profile|"
    r"include|attach|links?|share|mention|dm|contact)\b"
)
_APPLICATION_SLUGS = frozenset({"github", "gitlab", "linkedin", "bitbucket", "stack-overflow", "kaggle", "youtube"})
# Practices that are also job titles: "DevOps Engineer", "Software Engineers / DevOps | Greece" name a role.
_ROLE_PRACTICES = frozenset({"devops", "devsecops", "quality-assurance", "site-reliability-engineering", "ux-research"})
_ROLE_AFTER = re.compile(
    r"\s*(?:/\s*\w+\s*)?(?:engineers?|eng|engineering manager|roles?|leads?|team|developers?)\b|:\s*https?://", re.I
)  # "devops eng", "- DevOps: https://..." (a list of openings)
_ROLE_WORDS = re.compile(
    r"\b(?:engineers?|developers?|scientists?|designers?|managers?|leads?|architects?|analysts?|interns?|head|"
    r"director|cto|founding|staff|senior|hiring|roles?|remote|onsite|full[- ]?time)\b",
    re.IGNORECASE,
)
# A negation or a contrast right before the match: "No Jira.", "No GPS. No RF link.", "differs from LLMs".
# endswith() with a tuple finds the candidates (a C loop); the pattern confirms a whole word.
# Also a negated use a few words before: "not shelling out to OpenAI", "not relying on", "moving away from".
_NEG_ENDINGS = (
    *("No ", "no ", "Not ", "not ", "unlike ", "Unlike ", "from ", "instead of ", "rather than "),
    *("out to ", "relying on ", "using ", "depending on "),
)
_NEGATED = re.compile(
    r"(?:^|[^\w'’-])(?:[Nn]o|[Nn]ot|[Uu]nlike|differs?\s+from|instead\s+of|rather\s+than|(?:mov|migrat)(?:e|es|ed|ing)\s+"
    r"away\s+from|[Nn]ot\s+(?:\w+ing\s+out\s+to|relying\s+on|using|depending\s+on)) $"
)
# The names that continue a negated one ("No Jira/Confluence", "not shelling out to OpenAI/Gemini/...").
_NEGATED_LIST = re.compile(r"\s*(?:/|&|,?\s*\bor\b|,?\s*\bnor\b)\s*")
_URL_BEFORE = frozenset("/.@:=?&#-_")  # a word inside a URL or an address has one of these before it
# An analogy: "Figma for the built world", "think Cursor for radiologists", "what Figma did to design" (a dash
# counts only inside a line, not as a bullet: "- Figma for prototyping" is a stack).
_ANALOGY_BEFORE = re.compile(
    r"(?:\b(?:[Tt]hink(?:\s+of)?|[Ll]ike|the|an?|what|building|build|builds)|[^\s][ \t]*[—–]|[^\s][ \t]+-)\s*$"
)
_ANALOGY_AFTER = re.compile(
    r"\s+(?:(?:but\s+)?for\s+(?:the\s+|an?\s+)?[a-z\d]|did\s+(?:to|for)\b)|\s*\+\s*\w+\s+for\s"
)  # "think of github but for hardware design"
# The company's own product or an era named after a product, right before the match: "Lightning AI (the
# creators of PyTorch Lightning)", "the team behind Temporal", "the post-SEO era".
_OWN_ENDINGS = (
    *("creators of ", "makers of ", "maker of ", "creator of ", "team behind ", "company behind "),
    *("authors of ", "maintainers of ", "post-", "Post-", "pre-", "Pre-"),
)
# The last three characters of every ending above (each is three or more long): a match without one of them
# right before it has none of the endings, found with one slice and one set test (most matches).
_ENDINGS = _NEG_ENDINGS + _OWN_ENDINGS
_ENDING_TAILS = frozenset(ending[-3:] for ending in _ENDINGS)


def _load_brands() -> frozenset[str]:
    """Skills that are also the names of companies or products people list as customers or employers
    (written by scripts/build_taxonomy.py beside the taxonomy)."""
    data = resources.files("digest.taxonomy").joinpath("data/context.json").read_text("utf-8")
    return frozenset(json.loads(data)["brands"])


_BRANDS = _load_brands()
# slug -> which slug-specific guard applies: a role title, application instructions, or lists (a brand)
_SLUG_GUARDS: dict[str, str] = {
    **{slug: "brand" for slug in _BRANDS},
    **{slug: "application" for slug in _APPLICATION_SLUGS},
    **{slug: "role" for slug in _ROLE_PRACTICES},
}
_SHORT_GUARDED = _CURRENCIES | _DEGREE_SUBJECTS


def keep(text: str, matches: Sequence[Match]) -> list[Match]:
    """The matches that are skill mentions in their context, in text order.

    The matcher reports a skill's first mention only: when a guard drops it, the next occurrence of the same
    words that passes the guards stands in for it ("Espresso AI | ..." then "we use AI to ...")."""
    if not matches:
        return []
    suspects = _suspects(text, matches)
    if not suspects:
        return matches if isinstance(matches, list) else list(matches)
    facts = _Facts(text)
    out: list[Match] = []
    moved = False
    dropped = -2  # the index of the last match a guard dropped
    negated_end = -1  # where the last negated match ended, while a list of names may continue it
    for i, m in enumerate(matches):
        if i == dropped + 1 and m[2] == matches[dropped][2] and m[3] == matches[dropped][3]:
            continue  # the skill a dropped alias implies (right after it: "Cursor" names AI-assisted development)
        if negated_end >= 0:
            if _NEGATED_LIST.fullmatch(text, negated_end, m[2]):
                negated_end = m[3]  # "not shelling out to OpenAI/Gemini"
                continue
            negated_end = -1
        if i not in suspects or facts.mention(m):
            out.append(m)
            continue
        dropped = i
        negated_end = m[3] if facts.negated else -1
        later = facts.later_mention(m)
        if later is not None:
            out.append(later)
            moved = True
    if moved:
        out.sort(key=attrgetter("start"))
    return out


def _suspects(text: str, matches: Sequence[Match]) -> list[int]:
    """Indexes of the matches a guard may apply to. Most matches have none: one pass of set and dict tests
    (the first line's first field, a company's product, a short acronym, a URL character, "-like" or the end of
    a negation next to the match) and nothing else."""
    line_end = text.find("\n", 0, 400)
    bar = text.find("|", 0, line_end if line_end >= 0 else 400)
    field = text[:bar].strip() if bar > 0 else "\0"
    guards, short, url_before, tails = _SLUG_GUARDS, _SHORT_GUARDED, _URL_BEFORE, _ENDING_TAILS
    endswith, startswith = text.endswith, text.startswith
    return [  # each match unpacked once (a NamedTuple's fields are properties: slower to read one by one)
        i
        for i, (slug, alias, start, end, _name, _hidden) in enumerate(matches)
        if start < bar
        or slug in guards
        or alias in short
        or alias == field
        or (start and text[start - 1] in url_before and _in_url(text, start))
        or startswith("-like", end)
        or (text[start - 3 : start] in tails and endswith(_ENDINGS, 0, start))  # start < 3: never 3 characters
    ]


class _Facts:
    """What the guards need to know about one text, found once."""

    __slots__ = ("_company_end", "bar", "field", "first_line_end", "negated", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        line_end = text.find("\n")
        self.first_line_end = len(text) if line_end < 0 else line_end
        # the first field of a first line "Company | Role | Place", if it is one (checked when it matters)
        self.bar = max(text.find("|", 0, self.first_line_end), 0)
        self.field = text[: self.bar].strip() or "\0"
        self._company_end: int | None = None
        self.negated = False  # whether the last match `mention` refused was negated

    @property
    def company_end(self) -> int:
        """End of the company name in the first line, 0 when the first field names no company."""
        if self._company_end is None:
            self._company_end = _company_field_end(self.text[: self.first_line_end])
        return self._company_end

    @property
    def company(self) -> str:
        return self.field.casefold() if self.company_end else "\0"

    def later_mention(self, m: Match, tries: int = 8) -> Match | None:
        """The next occurrence of m's words (same case, whole words) that passes the guards, as a match."""
        text, alias = self.text, m.alias
        at = text.find(alias, m.end)
        while at >= 0 and tries:
            end = at + len(alias)
            if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
                later = m._replace(start=at, end=end)
                if self.mention(later):
                    return later
            tries -= 1
            at = text.find(alias, end)
        return None

    def listed(self, start: int) -> bool:
        """Whether the match at `start` follows a list separator or a word that may end a cue."""
        before = self.text[max(0, start - 14) : start].rstrip()
        if not before:
            return False
        if before[-1] in ",/&(:":
            return True
        word = before.rsplit(None, 1)[-1].casefold()
        return word in _CUE_LAST_WORDS or word.endswith("ex-") or (word[-1] == "-" and word.startswith("(ex"))

    def mention(self, m: Match) -> bool:
        text, start, end, alias = self.text, m.start, m.end, m.alias
        self.negated = False
        if (
            (start < self.bar or len(alias) == len(self.field))
            and self.company_end
            and (end <= self.company_end or alias.casefold() == self.company)
        ):
            return False  # the company's own name ("Espresso AI | Staff Engineers", "Metabase is ...")
        if start >= self.bar and self.company_end:
            at = self.field.find(alias)
            if at >= 0 and text.startswith(self.field, start - at):
                return False  # the company's name again ("Gambit Robotics | ..." then "cofounder of Gambit Robotics")
        if start and text[start - 1] in _URL_BEFORE and _in_url(text, start):
            return False  # "https://github.com/acme", "mark@acme.ai"
        if text.startswith("-like", end):
            return False  # "a Cursor-like experience"
        if text.endswith(_OWN_ENDINGS, 0, start) and (text[start - 1] == " " or alias.isupper()):
            return False  # "the creators of PyTorch Lightning", "the post-SEO era" (not "pre-trained")
        if text.endswith(_NEG_ENDINGS, 0, start) and _NEGATED.search(text, max(0, start - 36), start):
            self.negated = True
            return False  # "No Jira.", "differs from LLMs", "not shelling out to OpenAI"
        if alias in _SHORT_GUARDED:
            before = text[max(0, start - 24) : start]
            if alias in _CURRENCIES and (_MONEY_BEFORE.search(before) or _MONEY_AFTER.match(text, end)):
                return False  # "$140-170K CAD"
            if alias in _DEGREE_SUBJECTS and _DEGREE_BEFORE.search(before):
                return False  # "BS CS"
        guard = _SLUG_GUARDS.get(m.slug)
        if guard is None:
            return True
        if guard == "role":
            return not (end <= self.first_line_end or _ROLE_AFTER.match(text, end))  # "DevOps Engineer"
        if guard == "application" and _application(text, start, end):
            return False  # "send us your GitHub"
        if (
            guard != "role"  # a brand, or GitHub and the like (their guard is the application one)
            and _ANALOGY_AFTER.match(text, end)
            and _ANALOGY_BEFORE.search(text, max(0, start - 16), start)
        ):
            return False  # "Figma for the built world", "think Cursor for radiologists"
        if self.listed(start):
            lo = max(0, start - 200)
            cue_end = _last_cue_end(text, lo, start)
            if cue_end >= 0:
                gap = _NAMES_GAP.match(text, cue_end, start)
                if gap is not None and gap.end() == start:
                    return False  # "used by Google, Stripe, Anthropic", "ex-Google, GitHub"
        return True


def _last_cue_end(text: str, lo: int, hi: int) -> int:
    """Where the last list cue in text[lo:hi] ends (a cue is a phrase of its own, not the tail of a longer
    word such as "complex-"), or -1."""
    window = text[lo:hi]
    best = -1
    for _, s, e in _CUE_AUTOMATON.find_matches_as_indexes(window):
        if (s == 0 and lo > 0 and text[lo - 1].isalnum()) or (s > 0 and window[s - 1].isalnum()):
            continue
        best = max(best, lo + e)
    return best


def _in_url(text: str, at: int) -> bool:
    """Whether the token (between spaces) that position `at` is in is a URL or an e-mail address up to `at`."""
    lo = max(0, at - 300)
    token_start = max(text.rfind(" ", lo, at), text.rfind("\n", lo, at), lo - 1) + 1
    return (
        text.find("://", token_start, at) >= 0
        or text.find("@", token_start, at) >= 0
        or text.startswith("www.", token_start)
    )


def _company_field_end(first_line: str) -> int:
    """End of the company name in a first line "Company | Role | Place"; 0 when the first field is not one."""
    bar = first_line.find("|")
    if bar <= 0:
        return 0
    field = first_line[:bar]
    if len(field.split()) > 6 or _ROLE_WORDS.search(field):
        return 0
    return bar


def _application(text: str, start: int, end: int) -> bool:
    """Whether the sentence around a match (at most 160 characters before, 80 after) asks for an application."""
    lo = max(0, start - 160)
    cut = max(text.rfind("\n", lo, start), text.rfind(". ", lo, start), lo - 1)
    stop = text.find("\n", end, end + 80)
    sentence = text[cut + 1 : start] + " " + text[end : stop if stop >= 0 else end + 80]
    return _APPLY.search(sentence.lower()) is not None
