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

from digest.sources.clean import html_to_text, truncate
from digest.sources.headings import parse_hn_heading
from digest.sources.headings import remote_flag as heading_remote_flag

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
_COMPANY_SUFFIX = re.compile(r"\s*[\(\[][^)\]]*[\)\]]\s*$")
_HIRING = re.compile(r"^(?P<company>.{1,80}?)\s+(?:is|are)\s+hiring\b[:\s]*(?:an?\s+)?(?P<role>.*)$", re.I)
_FIRST_LINE_SPLIT = re.compile(r"<p>|<br\s*/?>|\n", re.IGNORECASE)
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
    return heading_remote_flag(" | ".join(t for t in texts if t))


def display_title(fields: JobFields) -> str:
    """The title to show for a posting whose heading names no role: "Open roles at Company", else the
    heading itself (cut short)."""
    if fields.title:
        return fields.title
    if fields.company:
        return f"Open roles at {fields.company}"
    return truncate(fields.first_line, 200)


def _company_name(field: str) -> str:
    name = _COMPANY_SUFFIX.sub("", field).strip()  # "PermitFlow (YC W22)" -> "PermitFlow"
    return name or field.strip()


def parse_hn_post(html_text: str) -> JobFields:
    """Fields of a Hacker News "Who is hiring" comment (HN HTML: <p>, entities, <a href>)."""
    head = _FIRST_LINE_SPLIT.split(html_text or "", maxsplit=1)[0]
    line = html_to_text(head)
    if not line:
        line = html_to_text(html_text, limit=TITLE_MAX)
    fields = parse_heading(line)
    if fields.remote is None:  # the heading says nothing about it: the first paragraphs often do
        body = html_to_text(html_text[:4000])[:1500]
        fields = JobFields(fields.title, fields.company, fields.location_raw, remote_flag(body), fields.first_line)
    return fields


def parse_heading(line: str) -> JobFields:
    """Fields of a one-line heading in the HN style ("Company | Role | Location | REMOTE"): see
    digest.sources.headings."""
    h = parse_hn_heading(line)
    return JobFields(_clip(h.title, TITLE_MAX), _clip(h.company), _clip(h.location), h.remote, line)


_PLACE_HINT = re.compile(
    r",\s*[A-Z]{2}\b|\b(usa|us|uk|eu|europe|emea|apac|canada|germany|france|india|remote|nyc|sf|bay area|london|"
    r"berlin|new york|san francisco|area|city|timezones?|est|pst|cet|utc)\b",
    re.IGNORECASE,
)


def _looks_like_place(field: str) -> bool:
    return bool(_PLACE_HINT.search(field)) and not re.search(
        r"\b(engineers?|developers?|scientists?|designers?|managers?)\b", field, re.I
    )


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

    if "|" in title and company is None:  # an HN-style heading: no role in it is no role, not the whole line
        heading = parse_heading(title)
        role, company = heading.title, heading.company
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
    if remote is None and text and heading_remote_flag(text[:500]):
        remote = True
    return JobFields(_clip(role, TITLE_MAX), _clip(company), _clip(location), remote, title)
