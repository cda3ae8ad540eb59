"""What a job alert shows beyond title, company and location: the stated pay and the seniority, read
from the posting's heading first, then its whole text. Every path that stores a posting calls this, and
`digest skills relink` fills them in for postings stored before they existed."""

from __future__ import annotations

from typing import Any

from digest.sources.entry import Entry
from digest.sources.identity import repost_key
from digest.sources.salary import parse_salary
from digest.sources.seniority import seniority

DETAIL_COLUMNS = ("salary_min", "salary_max", "salary_currency", "salary_period", "seniority", "repost_key")


def detail_values(title: str, title_raw: str | None, text: str | None, company: str | None) -> dict[str, Any]:
    """The job posting's salary columns, seniority and re-post key."""
    return {**_pay_and_level(title, title_raw, text), "repost_key": repost_key(company, title)}


def _pay_and_level(title: str, title_raw: str | None, text: str | None) -> dict[str, Any]:
    heading = title_raw or title
    pay = parse_salary(heading) or parse_salary(text)
    return {
        "salary_min": pay.low if pay else None,
        "salary_max": pay.high if pay else None,
        "salary_currency": pay.currency if pay else None,
        "salary_period": pay.period if pay else None,
        "seniority": seniority(title, None) or seniority(heading, text),
    }


def job_details(entry: Entry) -> None:
    """Set the entry's salary and seniority fields where the source gave none."""
    values = _pay_and_level(entry.title, entry.title_raw, entry.text or entry.summary)
    if entry.salary_min is None:
        entry.salary_min, entry.salary_max = values["salary_min"], values["salary_max"]
        entry.salary_currency, entry.salary_period = values["salary_currency"], values["salary_period"]
    if entry.seniority is None:
        entry.seniority = values["seniority"]
