"""Pay and seniority figures (digest.demand.pay) in words, for the skill page and `digest stats`."""

from __future__ import annotations

from typing import Any

_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(amount: int, currency: str | None) -> str:
    """'$165k' (whole thousands from 100,000), '€62.5k', '£450', '120k CHF', '180k (currency not stated)'."""
    if amount >= 100_000:
        text = f"{amount / 1000:,.0f}k"
    elif amount >= 10_000:
        text = f"{amount / 1000:,.1f}".removesuffix(".0") + "k"
    else:
        text = f"{amount:,}"
    if currency in _SIGNS:
        return _SIGNS[currency] + text
    return f"{text} {currency}" if currency else f"{text} (currency not stated)"


def _per(period: str | None) -> str:
    return "a year" if period == "year" else "(period not stated)"


def _group_words(g: dict[str, Any]) -> str:
    if g["median"] is None:
        n = g["postings"]
        where = g["currency"] or "no stated currency"
        return f"{n} in {where} {_per(g['period'])} (too few for a figure)"
    median, lo, hi = (money(g[k], g["currency"]) for k in ("median", "p25", "p75"))
    return f"median {median} {_per(g['period'])}, middle half {lo}–{hi} ({g['postings']} postings)"


def pay_words(salary: dict[str, Any]) -> dict[str, Any]:
    """The skill page's pay block: a headline ("Stated pay (23 of 140 postings)") and one line per currency."""
    head = (
        f"Stated pay ({salary['stated']:,} of {salary['postings']:,} postings)" if salary["postings"] else "Stated pay"
    )
    return {"head": head, "lines": [_group_words(g) for g in salary["by_currency"]]}


def title_pay_words(median_salary: dict[str, Any] | None) -> str:
    """A top title's median yearly pay ('$170k'), or '' when fewer than 5 postings state one in a currency."""
    if not median_salary:
        return ""
    return f"{money(median_salary['median'], median_salary['currency'])}"


def seniority_words(seniority: dict[str, Any]) -> str:
    """'senior 64%, mid-level 20%, … of the 96 postings that say', only the levels present."""
    parts = [f"{lv['label']} {lv['share'] * 100:.0f}%" for lv in seniority["levels"] if lv["postings"]]
    if not parts:
        return "No posting says its level."
    return f"{', '.join(parts)} of the {seniority['stated']:,} postings that say"
