"""Hacker News "Who is hiring" headings parsed into job fields: company, title, location, remote, salary.

A heading is the posting's first line, in a handful of common shapes:

    Company | Title | Location | REMOTE | $120k-$150k | https://...        (fields in any order, "|")
    Qualcomm (San Diego, CA, USA) -- Staff Engineer -- $116,800 - $175,200 -- onsite   ("--", "–", "·")
    Parabola Labs (NYC / SF) | Enterprise Account Exec | On-site          (a place in parentheses)
    Cleric | Staff SWE, AI | Staff SWE, Product | SF Onsite               (several roles: the first is the title)
    Ubicloud (YC W24): Software Engineer – $95-$250K in Turkey, Netherlands, CA
    Stardex (YC S21) is hiring customer success engineers

Each field is classified by what it looks like: a URL, a work mode (remote, onsite, hybrid), pay,
employment terms (full-time, contract, visa), a place, or a role; the first field is the company unless
it reads as a role. Evaluated against 150 hand-labelled headings (tests/eval/hn_headings.json; the table in
docs/digests.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from digest.sources.salary import Salary, parse_salary
from digest.taxonomy.metros import resolve_metro

FIELD_MAX = 200

_URL = re.compile(r"\(?\s*(?:https?://|www\.)\S+\s*\)?", re.I)
_DOMAIN_ONLY = re.compile(
    r"^[\w-]+(\.[\w-]+)*\.(com|io|ai|co|dev|net|org|app|tech|so|sh|xyz|fun|gg|run|cloud)(/\S*)?$", re.I
)
_MODE = r"(?:(?:fully|100%)\s+)?(?:remote|on-?site|on site|hybrid|in[- ]person|in[- ]office|wfh|work from home)"
_MODE_WORD = re.compile(rf"\b{_MODE}\b", re.I)
_REMOTE = re.compile(r"\b(remote|anywhere|work from home|wfh|distributed)\b", re.I)
_NOT_REMOTE = re.compile(r"\b(no|not|non)[- ]remote\b|\bremote:? no\b", re.I)
_ONSITE = re.compile(r"\b(on-?site|on site|in[- ]office|hybrid|in[- ]person)\b", re.I)
_MODE_NOTE = re.compile(
    rf"\(\s*{_MODE}[^()]*\)|\b{_MODE}\b(?:\s+(?:only|preferred|possible|available|ok|friendly|first|optional))?"
    r"(?:\s*\d\+?\s*(?:days?|x)\b[^|,;()]*)?|\b\d\+?\s*(?:office\s+)?days?\s*(?:/|a|per|in)\s*(?:week|office)\b[^|,;()]*|"
    r"\bin[- ]office\b|\binterns?\b|^\s*locations?\s*:",
    re.I,
)
_EMPLOYMENT = re.compile(
    r"^(?:full[- ]?time|part[- ]?time|contract(?:or)?|freelance|permanent|co-?ops?|"
    r"visa|h-?1b|relocation|sponsorship|equity|salary|benefits|series [a-z]|funded|funding|\d+m funding|"
    r"competitive|yc [a-z]\d+|commission|rev(?:enue)? share|profit sharing|u\.?s\.? citizenship|clearance)\b",
    re.I,
)
_ROLE = re.compile(
    r"\b(engineers?|engineering|developers?|devs?|devops|sre|swe|scientists?|designers?|managers?|leads?|"
    r"architects?|head of|founding|cto|vp|director|analysts?|researchers?|programmers?|administrators?|"
    r"consultants?|specialists?|advocates?|writers?|interns?|internship|roles|positions|recruiters?|"
    r"technicians?|officers?|marketers?|exec(?:utive)?s?|operators?|builders?|auditors?|"
    r"generalists?|hackers?|co-?founders?|various|full[- ]?stack|front[- ]?end|back[- ]?end|"
    r"business development|sales|growth|"
    r"product|infra(?:structure)?|platform|support|account)\b",
    re.I,
)
# a place named outright (a country, region, city, time zone) or by a metro the taxonomy knows: strong; a
# bare code like "NY" or ", CA": weak (skills and role abbreviations look the same: "SWE, AI", "GCP, AWS")
_STRONG_PLACE = re.compile(
    r"\b(usa|u\.s|uk|eu|europe|emea|apac|latam|americas?|canada|germany|france|india|spain|netherlands|"
    r"switzerland|china|greece|sweden|poland|portugal|italy|ireland|israel|japan|singapore|australia|brazil|"
    r"mexico|turkey|worldwide|global|anywhere|multiple locations|bay area|greater \w+|area|city|"
    r"time ?zones?|timezone|est|pst|cet|gmt|utc|us)\b",
    re.I,
)
_WEAK_PLACE = re.compile(r",\s*[A-Z]{2}\b|\b[A-Z]{2,3}\b(?=\s*(?:/|,|$|\)|or\b))")
_PLACE = re.compile(f"{_STRONG_PLACE.pattern}|{_WEAK_PLACE.pattern}", re.I)


# A heading's fields repeat across postings ("Remote", "Full-time", "San Francisco, CA") and, within one,
# each is classified, then asked again how strongly it names a place and which: the answers are pure
# functions of the field, kept per process (a poll of 2,000 HN postings asked ~10,000 times)
_FIELDS_KEPT = 8192


@lru_cache(maxsize=_FIELDS_KEPT)
def _place_strength(field: str) -> int:
    """2: names a place outright; 1: only a two- or three-letter code; 0: none."""
    if _STRONG_PLACE.search(field) or resolve_metro(_MODE_WORD.sub(" ", field)) not in (None, ("remote", "Remote")):
        return 2
    return 1 if _WEAK_PLACE.search(field) else 0


_HIRING = re.compile(
    r"^(?P<company>.{1,80}?)\s+(?:is|are)\s+hiring\b[:\s]*(?:an?\s+)?(?P<role>.*)$|"
    r"^(?P<company2>.{1,80}?)\s+needs\s+an?\s+(?P<role2>.*)$",
    re.I,
)
_FOUNDER = re.compile(r"\bfounder\s+(?:of|at)\s+([A-Za-z][\w.-]+)")
_COMPANY_LABEL = re.compile(r"^\s*company\s*:\s*(.+)$", re.I)
_LOCATION_LABEL = re.compile(r"\blocation\s*:\s*([A-Z][\w .,-]{1,60}?)(?=\s+[A-Z][a-z]+\s*:|$)")
_PAREN = re.compile(r"^(?P<head>[^()]+?)\s*\((?P<paren>[^()]*)\)\s*(?P<tail>.*)$")
_YC = re.compile(r"\b(yc|y combinator)\b|\b[swf]\d{2}\b", re.I)
_SEPARATORS = (re.compile(r"\s*\|\s*"), re.compile(r"\s+(?:--|–|—|·|-)\s+"), re.compile(r"\s*·\s*"))


@dataclass(frozen=True)
class Heading:
    company: str | None
    title: str | None
    location: str | None
    remote: bool | None
    salary: Salary | None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip(" \t|,;:-–—/[]")
    return value[:FIELD_MAX] if value else None


def remote_flag(text: str) -> bool | None:
    """True when the text offers remote work, False when it names only on-site or hybrid, else None."""
    if not text:
        return None
    if _REMOTE.search(text) and not _NOT_REMOTE.search(text):
        return True
    if _ONSITE.search(text) or _NOT_REMOTE.search(text):
        return False
    return None


@lru_cache(maxsize=_FIELDS_KEPT)
def place(field: str) -> str | None:
    """The place a location field names, without its work mode: "Remote (US)" -> "US",
    "SF, Hybrid 3+ days a week" -> "SF", "Hybrid in Seattle, WA" -> "Seattle, WA"."""
    text = re.sub(rf"\b{_MODE}\s*\(([^()]*)\)", r" \1 ", field, flags=re.I)  # "Remote (US)" -> "US"
    text = _MODE_NOTE.sub(" ", text)
    text = re.sub(r"^\s*(?:in|at|based in)\b", " ", text, flags=re.I)
    text = re.sub(r"\(\s*\)", " ", text)
    text = re.sub(r"(?:\s*[,/]\s*){2,}", ", ", text)
    text = re.sub(r"^\W*(?:or|and|&)\b|\b(?:or|and|&)\W*$", " ", text.strip(" ,;/|-–"), flags=re.I)
    text = _clean(text.replace("( ", "(").replace(" )", ")")) or ""
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    return text or None


@lru_cache(maxsize=_FIELDS_KEPT)
def _kind(field: str) -> str:
    """What a heading field is: url, pay, terms, mode, role, place, or other (prose, a tech list)."""
    if not field:
        return "empty"
    if _DOMAIN_ONLY.match(field):
        return "url"
    if re.match(r"^locations?\s*:", field, re.I):
        return "place"
    if len(field) > 80 and re.search(r"[.!?] [A-Z]", field):
        return "other"  # a sentence
    if parse_salary(field, bare=True) and not _ROLE.search(field):
        return "pay"
    strength = _place_strength(field)
    nouns = re.search(r"\b(engineers?|developers?|designers?|scientists?)\b", field, re.I)
    if _EMPLOYMENT.match(field) and not nouns and not (strength and place(_strip_employment(field))):
        return "terms"
    if not place(field):
        return "mode"
    plural_role = re.search(r"\b(engineers?|developers?|roles|positions)\b", field, re.I)
    if _ROLE.search(field) and (strength < 2 or plural_role):
        return "role"
    if strength or _MODE_WORD.search(field):
        return "place"
    return "other"


def _strip_employment(field: str) -> str:
    return re.sub(r"^(?:full[- ]?time|part[- ]?time|contract|permanent)\s*(?:in\b)?", " ", field, flags=re.I)


def _split(line: str) -> list[str]:
    for sep in _SEPARATORS:
        parts = [p for p in sep.split(line) if p.strip()]
        if len(parts) >= 3 or (len(parts) == 2 and sep.pattern.startswith(r"\s*\|")):
            return [p.strip() for p in parts]
    return [line.strip()]


def _company(field: str) -> tuple[str | None, str | None]:
    """(company, a place it carried in parentheses): "Parabola Labs (NYC / SF)" -> ("Parabola Labs", "NYC / SF")."""
    field = _URL.sub(" ", field)
    field = re.split(r"\s+[-–—]\s+", field, maxsplit=1)[0]  # "Clutch - building the future of padel"
    field = field.strip(" []")
    paren_place = None
    m = _PAREN.match(field)
    if m:
        inner = m["paren"]
        if not _YC.search(inner) and not _DOMAIN_ONLY.match(inner.strip()) and _place_strength(inner):
            paren_place = inner
        field = f"{m['head']} {m['tail']}".strip()
    return _clean(field), _clean(paren_place)


def _domain_company(line: str) -> str | None:
    """A heading that names no company but links to its site: "fetlife.com/jobs/..." -> "fetlife"."""
    m = re.search(r"https?://(?:www\.|jobs\.|careers\.)?([^/\s]+)", line)
    if not m:
        return None
    host = urlsplit("//" + m[1]).hostname or ""
    parts = host.split(".")
    return parts[-2] if len(parts) >= 2 and parts[-2] not in ("greenhouse", "lever", "ashbyhq", "workable") else None


def parse_hn_heading(line: str) -> Heading:
    line = re.sub(r"\s+", " ", line or "").strip()
    line = re.sub(
        r"^hey hn\s*[-—–,:!]\s*(?=\S+ (?:is|are) hiring\b)", "", line, flags=re.I
    )  # "Hey HN — Adobe is hiring"
    salary = parse_salary(line, bare=True)
    remote_text = _URL.sub(" ", line)
    if (m := _COMPANY_LABEL.match(line)) is not None:
        return Heading(_clean(m[1]), None, None, remote_flag(remote_text), salary)
    fields = _split(line)
    if len(fields) == 1 and (cm := re.match(r"^([^:|]{2,80}):\s+(.+)$", line)) and _ROLE.search(cm[2]):
        fields = [cm[1], *_split(cm[2])]  # "Ubicloud (YC W24): Software Engineer – $95-$250K in Turkey"
        if len(fields) == 2:
            fields = [cm[1], *re.split(r"\s+[-–—]\s+", cm[2])]
    if len(fields) == 1 or _FOUNDER.search(line) or re.match(r"^hey hn\b", line, re.I):
        return _prose(line, salary)
    company, title, location, loose_place = None, None, None, None
    first = fields[0]
    hm = _HIRING.match(first)
    if hm:
        company, _ = _company(hm["company"] or hm["company2"])
        title, loose_place = _role_in(hm["role"] or hm["role2"] or "")
    elif (
        ":" in (bare := _URL.sub(" ", first))
        and _ROLE.search(bare.split(":", 1)[1])
        and not _ROLE.search(bare.split(":", 1)[0])
    ):
        head, tail = bare.split(":", 1)  # "Ubicloud (YC W24): Software Engineer"
        company, loose_place = _company(head)
        fields = [first, tail, *fields[1:]]
    elif (am := re.match(r"^(.{3,80}?)\s+at\s+([^,;]{2,60})(?:[,;].*)?$", _URL.sub(" ", first))) and _ROLE.search(
        am[1]
    ):
        title, (company, loose_place) = am[1], _company(am[2])  # "Senior Data Analyst at P2P.org, the largest ..."
    elif _kind(first) == "role" and re.search(r"\b(engineers?|developers?|head of|manager)\b", first, re.I):
        title = _clean(first)  # "Head of Engineering | Full-Time | Remote | https://fetlife.com/...": no company
        company = _domain_company(line)
    elif re.fullmatch(r"(?:we'?re\s+)?hiring!?", first, re.I):
        company = None  # "Hiring – REMOTE LATAM - We build ..."
    else:
        company, loose_place = _company(first)
    weak_location = None
    for raw in fields[1:]:
        hiring = re.match(r"^(?:we'?re\s+)?hiring:?\s+(.*)$", raw, re.I)
        field = _clean(_URL.sub(" ", hiring[1] if hiring else raw)) or ""
        if len(field) > FIELD_MAX:
            continue
        # "$95-$250K in Turkey, Netherlands, CA": pay, then a place
        if (pm := re.match(r"^(.*?\d\s*[kK]?)\s+in\s+(.+)$", field)) and parse_salary(pm[1], bare=True):
            location = location or place(pm[2])
            continue
        if (lm := re.search(r"\blocations?\s*:\s*([^;|]{2,80}?)(?:\s+-\s+|;|$)", field, re.I)) is not None:
            field = lm[1]  # "... engineering team: Location: BOSTON or NYC - hybrid in both; ..."
        kind = "role" if hiring else _kind(field)
        if kind == "place" and len(field) > 100:
            kind = "other"
        if kind == "role" and title is None:
            title = field
        elif kind in ("place", "terms") and location is None and _place_strength(field):
            if _place_strength(field) == 2 or (kind == "place" and _MODE_WORD.search(field)):
                location = place(_strip_employment(field))
            elif weak_location is None:
                weak_location = place(_strip_employment(field))
    location = location or loose_place or weak_location
    return Heading(company, _clean(title), location, remote_flag(" | ".join(fields[1:]) or remote_text), salary)


def _role_in(text: str) -> tuple[str | None, str | None]:
    """(role, place) of "Interns in AI for Summer 2026 in Austria"."""
    text = text.strip(" .!")
    m = re.match(r"^(.+)\s+in\s+([A-Z][\w ,.-]{1,60})$", text)
    if m and _place_strength(m[2]) == 2:
        return _clean(m[1]), _clean(m[2])
    return _clean(text), None


def _prose(line: str, salary: Salary | None) -> Heading:
    """A heading that is a sentence: "X is hiring Y", "I'm George, founder of xFigura", "Docker Inc, Remote"."""
    hm = _HIRING.match(line)
    if hm:
        company, where = _company(hm["company"] or hm["company2"])
        role, place_named = _role_in(hm["role"] or hm["role2"] or "")
        return Heading(company, role, where or place_named, remote_flag(line), salary)
    location = None
    if (lm := _LOCATION_LABEL.search(line)) is not None:
        location = _clean(lm[1])
    founder = _FOUNDER.search(line)
    company = _clean(founder[1].rstrip(".")) if founder else None
    if company is None and (cm := re.match(r"^([A-Z][\w.&' -]{1,40}?),\s*(?:remote|onsite|hybrid)\b", line, re.I)):
        company = _clean(cm[1])  # "Docker Inc, Remote (62 positions available)"
    if location is None and (rm := re.search(rf"\b{_MODE}\s+([A-Z]{{2,}})\b", line)):
        location = rm[1]  # "Hiring – REMOTE LATAM - ..."
    return Heading(company, None, location, remote_flag(line[:300]), salary)
