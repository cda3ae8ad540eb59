"""A skill's figures in sentences: the one-line summary atop its page (also its description for search
engines and link previews) and the FAQ built from the same figures. Every sentence names the window's end."""

from __future__ import annotations

from typing import Any

from digest.demand.freshness import Freshness, day_words
from digest.demand.text import change_words, verdict_words


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def has_verdict(f: dict[str, Any]) -> bool:
    """A shift verdict stands only on enough postings: the test runs on at least MIN_TOTAL in the 8 weeks
    compared, and below that 'within normal variation' would be a verdict on nothing (2 postings, none
    before: 'p = 1.0'). A significant shift always stands."""
    from digest.demand.totals import MIN_TOTAL

    return bool(f["shift"]["significant"]) or f["recent_4_weeks"] + f["prior_4_weeks"] >= MIN_TOTAL


def summary_sentence(f: dict[str, Any], fresh: Freshness) -> str:
    name, window = f["name"], f"the {f['window_days']} days to {day_words(fresh.as_of)}"
    if fresh.empty:
        newest = f"; the newest postings are from {day_words(fresh.newest_day)}" if fresh.newest_day else ""
        return f"No job postings at all fall in {window}{newest}, so there are no figures for {name} yet."
    if not f["postings"]:
        return f"{name} appears in none of the {_n(fresh.window_postings, 'job posting', 'job postings')} in {window}."
    parts = [f"{name} appears in {_n(f['postings'], 'job posting', 'job postings')} in {window}"]
    if f["top_titles"]:
        parts.append(f"most often for {f['top_titles'][0]['title']} roles")
    if f["change_vs_prior_4_weeks"] is not None:
        parts.append(change_words(f["change_vs_prior_4_weeks"]))
    if has_verdict(f):
        parts.append(verdict_words(f["shift"]))
    return ", ".join(parts) + "."


def faq(f: dict[str, Any], fresh: Freshness) -> list[tuple[str, str]]:
    """(question, answer) pairs, each answered from the figures; a question without data is left out."""
    name, to = f["name"], f"to {day_words(fresh.as_of)}"
    if fresh.empty:
        return []
    out = [
        (
            f"How many job postings mention {name}?",
            f"{_n(f['postings'], 'posting', 'postings')} in the {f['window_days']} days {to}: "
            f"{f['recent_4_weeks']:,} in the last 4 weeks and {f['prior_4_weeks']:,} in the 4 weeks before.",
        )
    ]
    if has_verdict(f):
        out.append(
            (
                f"Is demand for {name} rising or falling?",
                f"{_trend(f, to)} As a share of all "
                f"postings over the last 4 complete weeks against the 4 before, the change is "
                f"{verdict_words(f['shift'])}.",
            )
        )
    if f["top_titles"]:
        titles = "; ".join(
            f"{t['title']} ({_n(t['postings'], 'posting', 'postings')}, {_pct(t['share_of_title'])} of that title)"
            for t in f["top_titles"][:3]
        )
        out.append((f"Which jobs ask for {name}?", f"Most often, in the {f['window_days']} days {to}: {titles}."))
    if f["top_metros"]:
        metros = "; ".join(f"{m['metro']} ({_pct(m['share'])})" for m in f["top_metros"][:3])
        where = f"Of the {name} postings in the {f['window_days']} days {to} that name a known metro: {metros}."
        out.append((f"Where are the {name} jobs?", where))
    if f["paired_skills"]:
        paired = ", ".join(p["name"] for p in f["paired_skills"][:5])
        with_it = f"The skills its postings in the {f['window_days']} days {to} mention most often: {paired}."
        out.append((f"Which skills go with {name}?", with_it))
    return out


def _trend(f: dict[str, Any], to: str) -> str:
    if f["change_vs_prior_4_weeks"] is None:  # nothing before to compare with: say what there is
        recent = _n(f["recent_4_weeks"], "posting", "postings")
        return f"{recent} in the 4 weeks {to}, and none in the 4 weeks before to compare with."
    return f"In the 4 weeks {to} it is {change_words(f['change_vs_prior_4_weeks'])}."


def json_ld(f: dict[str, Any], fresh: Freshness, page_url: str, base_url: str, summary: str) -> list[dict[str, Any]]:
    """schema.org Dataset (the figures, with their JSON as a download) and FAQPage, for search engines."""
    dataset: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": f"{f['name']}: demand in job postings",
        "description": summary,
        "url": page_url,
        "keywords": [f["name"], "job postings", "skill demand"],
        "temporalCoverage": f"{fresh.window_start.isoformat()}/{fresh.as_of.isoformat()}",
        "dateModified": fresh.as_of.isoformat(),
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": "digest", "url": base_url + "/"},
        "variableMeasured": [
            "job postings mentioning the skill",
            "change vs the prior 4 weeks",
            "share of job title",
            "share by metro",
        ],
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": "application/json",
                "contentUrl": f"{base_url}/api/skills/{f['skill']}/demand",
            },
            {
                "@type": "DataDownload",
                "encodingFormat": "image/png",
                "contentUrl": f"{base_url}/skills/{f['skill']}/chart.png",
            },
        ],
    }
    blocks = [dataset]
    questions = faq(f, fresh)
    if questions:
        blocks.append(
            {
                "@context": "https://schema.org",
                "@type": "FAQPage",
                "mainEntity": [
                    {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}}
                    for q, a in questions
                ],
            }
        )
    return blocks
