"""The employer of a posting: its company name folded to a key, so "Stripe", "Stripe, Inc.", "stripe.com" and
"STRIPE" are one employer (docs/demand.md, "Employers"). Pure: text in, key out.

The steps, in order: Unicode compatibility form without accents, case-folded; bracketed asides dropped
("Acme (YC W21)"); a URL reduced to its host ("https://www.acme.com/jobs"); a domain reduced to its name
("acme.com", "jobs.acme.co.uk", "acme.ai" -> "acme"); dots and apostrophes removed ("S.A." -> "sa",
"Macy's" -> "macys"), every other run of non-word characters a space; a Y Combinator batch ("YC S24")
dropped; then legal-form words dropped from the end ("Inc", "LLC", "Ltd", "GmbH", "Corp", "S.A.", "AG",
"B.V.", "PLC", ...) and a leading "the", as long as a word is left. A name that names no employer
("Stealth", "Confidential") has no key. Nothing else is folded: "Baseten" and "Baseten Labs" stay two
employers, as do distinct companies that share a word ("Scale AI", "Scale Computing").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

KEY_MAX = 200

# endings of a domain name that are dropped ("acme.io" -> "acme"); a country code may follow a generic one
_TLDS = (
    "com|io|ai|co|net|org|dev|app|xyz|tech|so|sh|fun|bio|gg|me|us|uk|de|fr|eu|nl|ch|se|no|dk|fi|es|it|ca|au|in|"
    "jp|cloud|tv|fm|ly|to|health|finance|money|studio|works|systems|build|design|energy|games|run|inc|care|"
    "page|site|one|network|security|software|ventures|capital|vc|team|llc|ltd|gmbh"
)
_DOMAIN = re.compile(rf"^(?:[a-z0-9-]+\.)*?([a-z0-9][a-z0-9-]*)\.(?:{_TLDS})(?:\.[a-z]{{2}})?$")
_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:www\.)?([^/?#\s]+)[^\s]*")
_DOTS = re.compile(r"[.'\u2019]")
_NON_WORD = re.compile(r"[\W_]+")
_YC_BATCH = re.compile(r"\byc\s*(?:[swfx]\s*\d{2}(?:\d{2})?|(?:summer|winter|spring|fall)\s*\d{2,4})\b")
# legal forms, as words after the dots are gone ("S.A." is "sa", "B.V." is "bv", "L.L.C." is "llc")
_LEGAL = frozenset(
    {"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "mbh", "corp", "corporation", "co"}
    | {"sa", "sas", "sarl", "srl", "spa", "sl", "bv", "nv", "ag", "kg", "ug", "plc", "pty", "pte", "pvt"}
    | {"oy", "oyj", "ab", "aps", "as", "asa", "se", "kk"}
)
LEGAL_FORMS = _LEGAL  # "inc", "gmbh": a form's comma-separated list keeps them with the name before
_LEGAL_PAIRS = frozenset({("private", "limited"), ("pvt", "ltd"), ("pty", "ltd"), ("pte", "ltd"), ("gmbh", "co")})
# names that name no employer: many unrelated companies post as "Stealth"
ANONYMOUS = frozenset({"stealth", "stealth startup", "stealth mode", "stealth company", "confidential", "undisclosed"})


@lru_cache(maxsize=65536)  # a company posts many times: an import asks for the same name again and again
def employer_key(company: str | None) -> str | None:
    """The folded employer key of a company name; None when nothing is left (no company, or only punctuation
    and legal forms)."""
    if not company:
        return None
    text = unicodedata.normalize("NFKD", company)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    text = _BRACKETS.sub(" ", text)
    text = _URL.sub(r"\1", text.strip())
    words = [_domain_name(w) for w in text.split()]
    text = _DOTS.sub("", " ".join(words))
    text = _NON_WORD.sub(" ", text)
    text = _YC_BATCH.sub(" ", text)
    tokens = text.split()
    while len(tokens) > 2 and (tokens[-2], tokens[-1]) in _LEGAL_PAIRS:
        del tokens[-2:]
    while len(tokens) > 1 and tokens[-1] in _LEGAL:
        tokens.pop()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    key = " ".join(tokens)[:KEY_MAX].strip()
    return key if key and key not in ANONYMOUS else None


def _domain_name(word: str) -> str:
    """ "acme.com", "www.acme.io", "careers.acme.co.uk" -> "acme"; any other word unchanged."""
    m = _DOMAIN.match(word.removeprefix("www.").rstrip("/,;:"))
    return m.group(1) if m else word
