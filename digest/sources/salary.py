"""The pay a job posting states, as a range with a currency and a period, from free text.

Understands the shapes postings use: "$116,800 - $175,200", "€70-90k", "£60k + equity", "120-150K USD",
"USD 140,000–180,000", "$80/hr", "CHF 120'000", "€60.000 - €80.000", "$150k-$200k OTE". A number needs a
currency next to it (a symbol or a code) to count: "5-10 years" and "3 days a week" are not pay. The first
range found wins. Amounts are as stated, per period; nothing is converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "INR", "JPY", "SGD", "NZD", "BRL")
_PREFIXED = {"US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "S$": "SGD", "NZ$": "NZD"}

_CUR = r"(?:US\$|CA?\$|AU?\$|S\$|NZ\$|[$€£¥₹]|\b(?:" + "|".join(_CODES) + r")\b\s?)"
# 116,800 | 116.800 | 116'800 | 116 800 | 116800 | 116.5 | 90 ; optional k/K (an amount in millions is funding, not pay)
_NUM = r"\d{1,3}(?:[,.' ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MILLIONS = r"(?!\s?(?:[mMbB]|mn|bn|million|billion)\b)"
_AMOUNT = (
    rf"(?P<@cur>{_CUR})?\s?(?<![\w.,])(?P<@num>{_NUM})(?![\d.,]\d|\d){_MILLIONS}"
    r"\s?(?P<@k>[kK](?![a-zA-Z]))?(?P<@cur2>\s?[€£])?"
)
_RANGE = re.compile(
    _AMOUNT.replace("@", "a")
    + r"(?:\s?(?:-|–|—|~|to|until)\s?"
    + _AMOUNT.replace("@", "b")
    + r")?(?P<after>\s?(?:"
    + "|".join(_CODES)
    + r")\b)?",
)
_PERIODS = (
    ("hour", re.compile(r"^\s*(?:/\s?h(?:ou)?r\b|/\s?h\b|per\s+hour|an\s+hour|hourly|p/?h\b|ph\b)", re.I)),
    ("day", re.compile(r"^\s*(?:/\s?day\b|per\s+day|a\s+day|daily|p/?d\b|/\s?d\b)", re.I)),
    ("week", re.compile(r"^\s*(?:/\s?w(?:ee)?k\b|per\s+week|weekly)", re.I)),
    ("month", re.compile(r"^\s*(?:/\s?mo(?:nth)?\b|per\s+month|a\s+month|monthly|p/?m\b)", re.I)),
    ("year", re.compile(r"^\s*(?:/\s?y(?:ea)?r\b|per\s+(?:year|annum)|a\s+year|annual(?:ly)?|p/?a\b|/\s?a\b)", re.I)),
)


@dataclass(frozen=True)
class Salary:
    low: float
    high: float
    currency: str | None  # ISO 4217
    period: str | None  # year, month, week, day, hour

    def text(self) -> str:
        """'$116,800–175,200 a year', '€70k–90k', '£60k'."""
        sign = {v: k for k, v in _SYMBOLS.items()}.get(self.currency or "", "")
        code = "" if sign or not self.currency else f" {self.currency}"

        def amount(v: float) -> str:
            if v >= 10_000 and v % 1000 == 0:
                return f"{v / 1000:,.0f}k"
            return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"

        span = amount(self.low) if self.low == self.high else f"{amount(self.low)}–{amount(self.high)}"
        period = f" per {self.period}" if self.period and self.period != "year" else ""
        return f"{sign}{span}{code}{period}"


def _number(raw: str) -> float:
    digits = raw.replace(" ", "").replace("'", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits):  # 116,800 or 60.000: thousands separators
        return float(re.sub(r"[.,]", "", digits))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d+", digits):
        return float(digits.replace(",", ""))
    return float(digits.replace(",", "."))


def _scale(value: float, k: str | None) -> float:
    return value * 1000 if k else value


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    token = token.strip()
    return _PREFIXED.get(token) or _SYMBOLS.get(token) or (token.upper() if token.upper() in _CODES else None)


_ANY_CURRENCY = re.compile(r"[$€£¥₹]|\b(?:" + "|".join(_CODES) + r")\b")


def parse_salary(text: str | None, bare: bool = False) -> Salary | None:
    """The first stated pay in `text`, or None. `bare`: a range in thousands without a currency counts too
    ("[180 - 210K]", "50-96k + equity": a heading's pay field), its currency None."""
    if not text or not re.search(r"\d", text):
        return None
    if not bare and not _ANY_CURRENCY.search(text):  # most texts: one scan, no number parsing
        return None
    for m in _RANGE.finditer(text[:20_000]):
        currency = next(filter(None, map(_currency, (m["acur"], m["acur2"], m["bcur"], m["bcur2"], m["after"]))), None)
        if currency is None and not (bare and m["bnum"] is not None and (m["ak"] or m["bk"])):
            continue
        k_a, k_b = m["ak"], m["bk"]
        if m["bnum"] is None:
            low = high = _scale(_number(m["anum"]), k_a)
        else:
            low = _scale(_number(m["anum"]), k_a or k_b)  # "70-90k": the k applies to both
            high = _scale(_number(m["bnum"]), k_b or k_a)
        if low > high:
            low, high = high, low
        if high <= 0 or high > 2_000_000:
            continue
        period = next((name for name, p in _PERIODS if p.match(text[m.end() : m.end() + 20])), None)
        if period is None:
            if high >= 10_000:
                period = "year"
            elif high <= 500:
                period = "hour"
            else:
                continue  # "$2,500" alone: a bonus, a budget, a monthly figure? not said
        if period == "year" and high < 1000:
            continue  # "$150 a year" is not a salary; "$150" in a k-less range misread
        return Salary(low, high, currency, period)
    return None
