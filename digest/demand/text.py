"""Demand figures and shifts in words, for the terminal, pages and emails."""

from __future__ import annotations

from datetime import date
from typing import Any

from digest.demand.employers import employer_lines
from digest.demand.pay_words import pay_words, seniority_words


def change_words(change: float | None) -> str:
    if change is None:
        return "no postings in the prior 4 weeks to compare with"
    if abs(change) < 0.0005:
        return "unchanged vs the prior 4 weeks"
    return f"{'up' if change > 0 else 'down'} {abs(change) * 100:.0f}% vs the prior 4 weeks"


def verdict_words(shift: dict[str, Any]) -> str:
    """'a real rise' / 'a real fall' when every gate passed, otherwise 'within normal variation'."""
    if shift.get("significant"):
        return "a real rise" if shift.get("direction") == "up" else "a real fall"
    return "within normal variation"


def figures_text(f: dict[str, Any]) -> str:
    lines = [
        f"{f['name']} ({f['skill']}), as of {f['as_of']}",
        f"  postings mentioning it in the last {f['window_days']} days: {f['postings']:,}",
        f"  last 4 weeks: {f['recent_4_weeks']:,} ({change_words(f['change_vs_prior_4_weeks'])};"
        f" prior 4 weeks: {f['prior_4_weeks']:,})",
        f"  shift over the last 4 completed weeks (share of all postings): {verdict_words(f['shift'])}"
        f" (direction {f['shift']['direction']}, p = {f['shift']['p_value']}"
        f"{', alert open' if f['shift']['alert_open'] else ''})",
    ]
    if f["top_titles"]:
        lines.append("  job titles most likely to require it:")
        lines += [
            f"    {t['title']}: {_postings(t['postings'])}, {t['share_of_title'] * 100:.0f}% of that title"
            for t in f["top_titles"]
        ]
    if f["top_metros"]:
        lines.append("  top metros:")
        lines += [f"    {m['metro']}: {m['postings']:,} ({m['share'] * 100:.0f}%)" for m in f["top_metros"]]
    if f["paired_skills"]:
        lines.append(
            "  skills paired with it: " + ", ".join(f"{p['name']} ({p['postings']:,})" for p in f["paired_skills"])
        )
    lines += employer_lines(f)
    lines.append("  weekly postings: " + " ".join(str(w["postings"]) for w in f["weekly"]))
    lines += pay_lines(f)
    return "\n".join(lines)


def pay_lines(f: dict[str, Any]) -> list[str]:
    """Stated pay and seniority for figures_text (absent from figures made before they existed)."""
    if "salary" not in f:
        return []
    pay = pay_words(f["salary"])
    head = f"  {pay['head'][0].lower()}{pay['head'][1:]}:"
    return [head, *(f"    {line}" for line in pay["lines"]), f"  seniority: {seniority_words(f['seniority'])}"]


def shifts_text(as_of: date, week: date, rows: list[dict[str, Any]]) -> str:
    head = (
        f"demand shifts as of {as_of.isoformat()}"
        f" (the 4 weeks before {week.isoformat()} vs the 4 before those, as shares of all postings)"
    )
    if not rows:
        return head + "\n  none: every change is within normal variation"
    out = [head]
    for r in rows:
        change = "n/a" if r["change"] is None else f"{r['change'] * 100:+.0f}%"
        waits = "needs 2 weeks" if r.get("method") == "windows" else "cooldown: an alert was opened in the last 4 weeks"
        state = f"alert open since {r['alert_opened_on']}" if r["alert_open"] else f"condition met ({waits})"
        if r.get("scan_weeks"):
            state += f"; last {r['scan_weeks']} week(s) {r['scan_change'] * 100:+.0f}% against its baseline"
        out.append(
            f"  {r['name']} ({r['skill']}): {r['direction']} {change}, {r['recent']} vs {r['prior']} postings,"
            f" q = {r['q_value']}; {state}"
        )
    return "\n".join(out)


def _postings(n: int) -> str:
    return f"{n:,} posting" if n == 1 else f"{n:,} postings"
