"""Company names folded to one employer key (digest.sources.employer), on the real company names of the HN
"Who is hiring" 2026 Q1 dump: spellings of one company fold together, distinct companies that share a word
stay apart, and across the whole dump exactly the expected spellings merge."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from digest.sources.employer import employer_key
from digest.sources.jobfile import read_hn

# spellings found in the dump (each group one company): they must fold together
SAME = [
    ("FetLife", "fetlife"),
    ("CLUTCH", "Clutch"),
    ("AllSpice", "AllSpice.io"),
    # a legal form or domain ending next to the plain name (the dump has the first spelling of each)
    ("Docker Inc", "Docker"),
    ("Caspian Trade, Inc.", "Caspian Trade"),
    ("Upvest GmbH", "Upvest"),
    ("Prophet Town LLC", "Prophet Town"),
    ("Cenovus Energy Inc.", "Cenovus Energy"),
    ("IPinfo.io", "IPinfo"),
    ("Avantos.ai", "Avantos"),
    ("GetDynasty.com", "getdynasty"),
    ("CLASSIC.COM", "Classic"),
]
# spellings found in the dump that are different companies sharing a word: they must stay apart
APART = [
    ("Corgi Insurance", "Corgi Labs"),
    ("Root Insurance", "Root Sustainability"),
    ("Deep Core Technology", "Deep Systems"),
    ("Sage", "Sage Bionetworks"),
    ("Verge", "Verge Genomics"),
    ("Proton", "Proton VPN"),
    ("9 Mothers", "9 Mothers Defense"),
    ("Microsoft", "Microsoft Research"),  # a division is not folded into its parent
    ("Meticulous", "Meticulous AI"),
]


@pytest.fixture(scope="module")
def hn_companies(shared_data: Path) -> list[str]:
    return [p.company for _, p in read_hn(shared_data / "hn-whoishiring-2026q1") if p.company]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_spellings_of_one_company_fold_together(a: str, b: str, hn_companies: list[str]) -> None:
    assert a in hn_companies
    assert employer_key(a) == employer_key(b) is not None


@pytest.mark.parametrize(("a", "b"), APART)
def test_distinct_companies_sharing_a_word_stay_apart(a: str, b: str, hn_companies: list[str]) -> None:
    assert a in hn_companies and b in hn_companies
    assert None is not employer_key(a) != employer_key(b) is not None


def test_across_the_dump_exactly_the_expected_spellings_merge(hn_companies: list[str]) -> None:
    spellings: dict[str | None, set[str]] = defaultdict(set)
    for company in hn_companies:
        spellings[employer_key(company)].add(company)
    merged = {key: names for key, names in spellings.items() if len(names) > 1}
    assert merged == {
        None: {"Stealth", "STEALTH"},  # names no employer
        "fetlife": {"FetLife", "fetlife"},
        "clutch": {"CLUTCH", "Clutch"},
        "allspice": {"AllSpice", "AllSpice.io"},
    }
    assert len(spellings) > 700


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Stripe", "stripe"),
        ("Stripe, Inc.", "stripe"),
        ("stripe.com", "stripe"),
        ("STRIPE", "stripe"),
        ("https://www.stripe.com/jobs", "stripe"),
        ("Stripe (YC S09)", "stripe"),
        ("Thunder Compute, YC S24", "thunder compute"),  # in the dump
        ("Acme S.A.", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme AG", "acme"),
        ("Acme PLC", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("careers.acme.co.uk", "acme"),
        ("Zürich Insurance AG", "zurich insurance"),
        ("The Museum of Modern Art", "museum of modern art"),  # in the dump
        ("Inc.", "inc"),  # a legal form alone is a name
        ("Stealth", None),
        ("  ", None),
        (None, None),
        ("Scale AI", "scale ai"),
        ("Scale Computing", "scale computing"),
    ],
)
def test_folding_steps(raw: str | None, key: str | None) -> None:
    assert employer_key(raw) == key
