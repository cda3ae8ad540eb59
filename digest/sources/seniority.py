"""The seniority a job posting asks for: intern, junior, mid, senior, staff (staff/principal) or lead
(lead/manager), from its title first, then from the years of experience its text asks for."""

from __future__ import annotations

import re
from functools import lru_cache

LABELS = {
    "intern": "intern",
    "junior": "junior",
    "mid": "mid-level",
    "senior": "senior",
    "staff": "staff/principal",
    "lead": "lead/manager",
}

# in the title, the first rule that matches wins: "Senior Engineering Manager" is a manager, "Staff" outranks
# "Senior" ("Senior Staff Engineer"), an intern is an intern whatever else the title says
_TITLE = (
    ("intern", re.compile(r"\b(intern|internship|co-?op|working student|werkstudent)\b", re.I)),
    ("staff", re.compile(r"\b(staff|principal|distinguished|fellow)\b", re.I)),
    ("lead", re.compile(r"\b(lead|leads|manager|managers|head of|director|vp|vice president|cto|chief)\b", re.I)),
    ("senior", re.compile(r"\b(senior|sr\.?|snr)(?=\W|$)|\b(iii|iv|l5|e5)\b", re.I)),
    (
        "junior",
        re.compile(
            r"\b(junior|jr\.?|entry[- ]level|graduate|new grad|associate|apprentice)(?=\W|$)|\b(i|l3|e3)\b$", re.I
        ),
    ),
    ("mid", re.compile(r"\b(mid|mid-level|intermediate|ii|l4|e4)\b", re.I)),
)
_YEARS = re.compile(r"\b(\d{1,2})\+?\s*(?:-\s*\d{1,2}\s*)?(?:years|yrs)\b(?:\s+of)?(?:\s+\w+){0,4}?\s+experience", re.I)

# every _YEARS match ends in this word: most postings (60% of the HN ones) lack it
_EXPERIENCE = re.compile("experience", re.I)


def seniority(title: str | None, text: str | None = None) -> str | None:
    """The seniority key (see LABELS), or None when neither the title nor the text says."""
    if title and (key := _from_title(title)) is not None:
        return key
    text = (text or "")[:20_000]
    m = _YEARS.search(text) if _says_experience(text) else None
    if m:
        years = int(m[1])
        return "junior" if years <= 1 else "mid" if years <= 4 else "senior"
    return None


def _says_experience(text: str) -> bool:
    """`_EXPERIENCE.search(text)`, cheaper: lower() then a substring test. Ignoring case, 'İ' and 'ı' match
    'i' too, and lower() makes neither of them an 'i' (no other character lowers to one of the word's letters)."""
    if "\u0130" in text or "\u0131" in text:
        return _EXPERIENCE.search(text) is not None
    return "experience" in text.lower()


@lru_cache(maxsize=16384)  # titles repeat: an import asks ~twice a posting, mostly for titles seen before
def _from_title(title: str) -> str | None:
    return next((key for key, pattern in _TITLE if pattern.search(title)), None)
