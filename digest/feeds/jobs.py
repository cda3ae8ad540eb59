"""Adapters that turn a job entry into structured fields: title, company, location (raw), remote flag.

Two shapes are understood: generic job RSS titles ("Role at Company", "Company: Role", "Company is hiring Role",
location from category/region fields or the text) and Hacker News "Who is hiring" comments, whose first line is
"Company | Role | Location | REMOTE | ..." with the fields in any order. Metro resolution is the taxonomy's job;
here the location stays raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from digest.feeds.clean import html_to_text, truncate

TITLE_MAX = 300
FIELD_MAX = 200


@dataclass(frozen=True)
class JobFields:
    title: str | None  # the role, when one could be told apart
    company: str | None
    location_raw: str | None
    remote: bool | None
    first_line: str = ""  # the raw heading the fields came from


_ROLE = re.compile(
    r"\b(engineers?|engineering|developers?|dev|devops|sre|scientists?|designers?|managers?|lead|leads|architects?|"
    r"head of|founding|cto|ceo|vp|director|analysts?|researchers?|research|programmers?|administrators?|admin|"
    r"consultants?|specialists?|advocates?|writer|intern|internship|roles?|positions?|staff|principal|"
    r"full[- ]?stack|front[- ]?end|back[- ]?end|ml|ai|data|product|recruiter|technician|operator|officer|"
    r"tester|qa|sdet|mathematician|quant|generalist|hacker|marketer|marketing|sales|support|growth|ops|"
    r"security|platform|infrastructure|mobile|ios|android)\b",
    re.IGNORECASE,
)
_EMPLOYMENT = re.compile(
    r"(full[- ]?time|part[- ]?time|\bcontract(or)?\b|freelance|permanent|\b1099\b|\bw2\b|equity|salary|[$€£]|"
    r"\b\d+\s?k\b|\bvisa\b|relocation|sponsorship|\bseries [a-z]\b|funding|funded|competitive|benefits|"
    r"\bcompensation\b|\bcomp\b|\boffers?\b|\bhours?\b|\bweek\b|\bmeet-?ups?\b)",
    re.IGNORECASE,
)
_URLISH = re.compile(
    r"(https?://|www\.|^[\w-]+(\.[\w-]+)*\.(com|io|ai|co|dev|net|org|app|fun|space|xyz|tech|so|sh|bio|me|us|eu|"
    r"de|uk|fr|nl|health|inc|gg|run|cloud|systems|build|so)(/\S*)?$)",
    re.IGNORECASE,
)
_MODE_WORDS = {
    "remote", "onsite", "on", "site", "hybrid", "only", "ok", "friendly", "first", "or", "and", "in", "office",
    "fully", "100", "possible", "optional", "preferred", "work", "from", "home", "wfh", "in-office", "on-site",
    "remote-first", "remote-friendly", "no",
}  # fmt: skip
_REMOTE = re.compile(r"\b(remote|anywhere|work from home|wfh|distributed)\b", re.IGNORECASE)
_NOT_REMOTE = re.compile(r"\b(no|not|non)[- ]remote\b|\bremote:? no\b", re.IGNORECASE)
_ONSITE = re.compile(r"\b(on-?site|on site|in[- ]office|hybrid|in-person|in person)\b", re.IGNORECASE)
_COMPANY_SUFFIX = re.compile(r"\s*[\(\[][^)\]]*[\)\]]\s*$")
_HIRING = re.compile(r"^(?P<company>.{1,80}?)\s+(?:is|are)\s+hiring\b[:\s]*(?:an?\s+)?(?P<role>.*)$", re.I)
_FIRST_LINE_SPLIT = re.compile(r"<p>|<br\s*/?>|\n", re.IGNORECASE)
_PIPE = re.compile(r"\s*\|\s*")
_DASH = re.compile(r"\s+[–—-]\s+")
_TEXT_LOCATION = re.compile(
    r"\b(?:location|locations|headquarters|based in|office)\s*:\s*([^\n|.;]{2,80})", re.IGNORECASE
)
_TRAILING_PAREN = re.compile(r"^(?P<head>.*\S)\s*\((?P<paren>[^()]{2,80})\)\s*$")


def _clip(value: str | None, limit: int = FIELD_MAX) -> str | None:
    if not value:
        return None
    value = value.strip(" \t|,;:-–—")
    return truncate(value, limit) if value else None


def remote_flag(*texts: str | None) -> bool | None:
    """True when any text offers remote work, False when only on-site/hybrid is mentioned, else None."""
    joined = " | ".join(t for t in texts if t)
    if not joined:
        return None
    if _REMOTE.search(joined) and not _NOT_REMOTE.search(joined):
        return True
    if _ONSITE.search(joined) or _NOT_REMOTE.search(joined):
        return False
    return None


def _is_mode(field: str) -> bool:
    words = re.findall(r"[\w-]+", field.lower())
    return bool(words) and all(w in _MODE_WORDS for w in words)


def _company_name(field: str) -> str:
    name = _COMPANY_SUFFIX.sub("", field).strip()  # "PermitFlow (YC W22)" -> "PermitFlow"
    return name or field.strip()


def _split_fields(line: str) -> list[str]:
    parts = [p for p in _PIPE.split(line) if p.strip()]
    if len(parts) < 2:
        dashed = [p for p in _DASH.split(line) if p.strip()]
        if len(dashed) >= 3:
            parts = dashed
    return [p.strip() for p in parts]


def parse_hn_post(html_text: str) -> JobFields:
    """Fields of a Hacker News "Who is hiring" comment (HN HTML: <p>, entities, <a href>)."""
    head = _FIRST_LINE_SPLIT.split(html_text or "", maxsplit=1)[0]
    line = html_to_text(head)
    if not line:
        line = html_to_text(html_text, limit=TITLE_MAX)
    return parse_heading(line)


def parse_heading(line: str) -> JobFields:
    """Fields of a one-line heading in the HN style ("Company | Role | Location | REMOTE")."""
    fields = _split_fields(line)
    company: str | None
    role: str | None
    location: str | None
    if len(fields) < 2:
        m = _HIRING.match(line)
        if m:
            company = _company_name(m["company"])
            rest = m["role"].strip(" .!")
            paren = re.search(r"\[([^\]]{2,80})\]|\(([^)]{2,80})\)", rest)
            location = (paren[1] or paren[2]) if paren else None
            role = rest if rest and _ROLE.search(rest) and len(rest) < 120 else None
            return JobFields(_clip(role), _clip(company), _clip(location), remote_flag(line), line)
        return JobFields(None, None, None, remote_flag(line), line)

    company = role = location = None
    mode_fields: list[str] = []
    first = fields[0]
    if _HIRING.match(first):
        m = _HIRING.match(first)
        assert m is not None
        company = _company_name(m["company"])
        role = m["role"] or None
    elif _ROLE.search(first) and not _URLISH.search(first) and len(fields) > 1 and _looks_like_title(first):
        role = first  # "Software Engineer (Contract) | Chicago, IL or REMOTE (US)": no company given
    else:
        company = _company_name(first)
    for field in fields[1:]:
        if len(field) > 120:
            continue  # prose, not a field
        if _URLISH.search(field):
            continue
        if _is_mode(field):
            mode_fields.append(field)
            continue
        if _EMPLOYMENT.search(field) and not _REMOTE.search(field):
            continue
        if role is None and _ROLE.search(field) and not _looks_like_place(field):
            role = field
            continue
        if location is None and not _ROLE.search(field):
            location = field
    if location is None and mode_fields:
        location = mode_fields[0]
    remote = remote_flag(*(f for f in fields[1:] if not _URLISH.search(f)), role if company is None else None)
    return JobFields(_clip(role), _clip(company), _clip(location), remote, line)


_PLACE_HINT = re.compile(
    r",\s*[A-Z]{2}\b|\b(usa|us|uk|eu|europe|emea|apac|canada|germany|france|india|remote|nyc|sf|bay area|london|"
    r"berlin|new york|san francisco|area|city|timezones?|est|pst|cet|utc)\b",
    re.IGNORECASE,
)


def _looks_like_place(field: str) -> bool:
    return bool(_PLACE_HINT.search(field)) and not re.search(
        r"\b(engineers?|developers?|scientists?|designers?|managers?)\b", field, re.I
    )


def _looks_like_title(field: str) -> bool:
    return bool(re.search(r"\b(engineers?|developers?|scientists?|designers?|head of|manager|lead)\b", field, re.I))


def parse_job_entry(
    title: str,
    text: str = "",
    categories: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> JobFields:
    """Fields of a generic job-board RSS/Atom entry. `title` and `text` are clean text; `categories` are the
    entry's tags; `extra` holds any location/region/company-like fields the feed carried."""
    title = (title or "").strip()
    extra = extra or {}
    company = next((v for k, v in extra.items() if "company" in k.lower() and v), None)
    location = next((v for k, v in extra.items() if re.search(r"location|region|country|city", k, re.I) and v), None)
    role: str | None = title
    paren_location: str | None = None

    m = _TRAILING_PAREN.match(title)
    if m and _looks_like_place(m["paren"]):
        title, paren_location = m["head"], m["paren"]
        role = title

    if " | " in title and company is None:
        heading = parse_heading(title)
        role, company = heading.title or role, heading.company
        location = location or heading.location_raw
    elif (hm := _HIRING.match(title)) is not None:
        company, role = company or _company_name(hm["company"]), hm["role"] or None
    elif ": " in title and len(title.split(": ", 1)[0]) <= 60:
        head, tail = title.split(": ", 1)
        if company is None or head.strip().lower() == company.lower():
            company, role = head.strip(), tail.strip()
    elif re.search(r"\s+at\s+", title):
        head, _, tail = title.rpartition(" at ")
        if head and tail and len(tail) <= 80:
            role, company = head.strip(), company or tail.strip()
    if location is None:
        tag_location = next((c for c in categories if c and _looks_like_place(c) and not _ROLE.search(c)), None)
        text_location = _TEXT_LOCATION.search(text or "")
        location = paren_location or tag_location or (text_location[1].strip() if text_location else None)
    remote = remote_flag(location, paren_location, title, *[c for c in categories if c])
    if remote is None and text and _REMOTE.search(text[:500]) and not _NOT_REMOTE.search(text[:500]):
        remote = True
    return JobFields(_clip(role, TITLE_MAX), _clip(company), _clip(location), remote, title)
