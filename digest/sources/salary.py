"""The pay a job posting states, as a range with a currency and a period, from free text.

Understands the shapes postings use: "$116,800 - $175,200", "€70-90k", "£60k + equity", "120-150K USD",
"USD 140,000–180,000", "$80/hr", "CHF 120'000", "€60.000 - €80.000", "$150k-$200k OTE". A number needs a
currency next to it (a symbol or a code) to count: "5-10 years" and "3 days a week" are not pay. The first
range found wins. Amounts are as stated, per period; nothing is converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


_DIGIT = re.compile(r"\d")
# where an amount's number can begin: a digit after no word character, dot or comma (_AMOUNT's lookbehind)
_NUMBER_START = re.compile(r"(?<![\w.,])\d")
_LEAD = 5  # the most characters before that digit a match can start with: a currency ("USD" and a space) and a space


def _ranges(text: str) -> Iterator[re.Match[str]]:
    """Exactly `_RANGE.finditer(text)`, several times faster: finditer tries the pattern at every character
    (its optional currency first: most of a posting's ~1,000 characters), where a match can only begin in the
    _LEAD characters before a number. So the next number is found by a plain scan and the pattern tried at those
    few places only, in order; after a match the scan goes on from its end, as finditer does."""
    pos = 0
    while (start := _NUMBER_START.search(text, pos)) is not None:
        digit = start.start()
        for at in range(max(pos, digit - _LEAD), digit + 1):
            if (m := _RANGE.match(text, at)) is not None:
                yield m
                pos = m.end()
                break
        else:
            pos = digit + 1


_SYMBOL = re.compile(r"[$€£¥₹]")
_CODE = re.compile("|".join(_CODES))  # a plain alternation of literals: the scan skips to its first letters
_CODE_WORD = re.compile(r"\b(?:" + "|".join(_CODES) + r")\b")


def _any_currency(text: str) -> bool:
    """Whether a currency symbol, or a currency code as a word, is in `text`: `_CODE_WORD.search(text)`
    tried at every character cost ~20 us a posting; a code's three capitals are found first, then the
    word boundaries checked there."""
    if _SYMBOL.search(text):
        return True
    pos = 0
    while (code := _CODE.search(text, pos)) is not None:
        if _CODE_WORD.match(text, code.start()):
            return True
        pos = code.start() + 1
    return False


def parse_salary(text: str | None, bare: bool = False) -> Salary | None:
    """The first stated pay in `text`, or None. `bare`: a range in thousands without a currency counts too
    ("[180 - 210K]", "50-96k + equity": a heading's pay field), its currency None."""
    if not text or not _DIGIT.search(text):
        return None
    if not bare and not _any_currency(text):  # most texts: one scan, no number parsing
        return None
    for m in _ranges(text[:20_000]):
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
