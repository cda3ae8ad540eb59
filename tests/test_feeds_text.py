"""Clean text, identity, job adapters and poll scheduling: pure functions."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.sources.backoff import hint_seconds, next_poll_error, next_poll_ok, retry_after_seconds
from digest.sources.clean import html_to_text, safe_url
from digest.sources.identity import IdentityInput, canonical_url, identities, job_dedupe_key
from digest.sources.jobs import parse_hn_post, parse_job_entry

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "html,text",
    [
        ("<p>Hello <b>world</b></p><p>again</p>", "Hello world again"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Escaped", "Escaped"),
        ('<a href="javascript:alert(1)">click</a> here', "click here"),
        ("<style>p{}</style>A&amp;B &eacute;t&#233; &#x2F;", "A&B été /"),
        ("line\n\n  one\t two", "line one two"),
        ('<img src=x onerror="alert(1)">pic', "pic"),
        ("<!-- hidden -->shown", "shown"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_no_markup_survives_hostile_input() -> None:
    hostile = "<div><scr<script>ipt>alert(1)</script>&amp;lt;iframe src=x&amp;gt;<svg onload=alert(1)></div>"
    out = html_to_text(hostile)
    assert "<" not in out.replace("< ", "") or "script" not in out.lower()
    assert "<script" not in out.lower() and "<iframe" not in out.lower() and "<svg" not in out.lower()


def test_length_cap_cuts_at_a_word() -> None:
    out = html_to_text("word " * 100, limit=50)
    assert len(out) <= 50 and out.endswith("…") and "wor…" not in out


def test_safe_url() -> None:
    assert safe_url("https://example.com/a") == "https://example.com/a"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None
    assert safe_url("data:text/html,<b>") is None
    assert safe_url("/relative") is None


def test_canonical_url() -> None:
    assert canonical_url("HTTP://WWW.Example.com:80/a/?utm_source=x&b=2&a=1#frag") == "https://example.com/a?a=1&b=2"
    assert canonical_url("https://example.com") == "https://example.com/"
    assert canonical_url("mailto:x@example.com") is None


def test_identity_rules() -> None:
    e = [
        IdentityInput("g1", "http://x/1", "A", "a"),
        IdentityInput("g1", "http://x/2", "B", "b"),  # guid reused: guid+link
        IdentityInput("g1", "http://x/2", "C", "c"),  # guid and link reused: guid+position
        IdentityInput(None, "http://x/3", "D", "d"),  # no guid: link
        IdentityInput(None, None, "E", "e"),  # no link: title+content
    ]
    ids, repeats = identities(e)
    assert repeats and len(set(ids)) == 5
    # the first occurrence keeps the plain guid hash, so rows stored before the repeat still match
    alone, repeats_alone = identities([e[0]])
    assert alone[0] == ids[0] and not repeats_alone
    # the title is not part of a guid identity
    assert identities([IdentityInput("g1", "http://x/1", "A (updated)", "a2")])[0][0] == ids[0]


def test_job_dedupe_key_normalises() -> None:
    a = job_dedupe_key("Senior Python Engineer", "Acme, Inc.", "Berlin")
    assert a == job_dedupe_key("senior  python engineer", "ACME Inc", "berlin")
    assert a != job_dedupe_key("Senior Python Engineer", "Acme, Inc.", "Paris")
    assert job_dedupe_key("Engineer", None, "Berlin") is None


@pytest.mark.parametrize(
    "title,company,role,location,remote",
    [
        ("Senior Backend Engineer at Acme", "Acme", "Senior Backend Engineer", None, None),
        ("Acme: Staff SRE", "Acme", "Staff SRE", None, None),
        ("Hightouch (YC S19) Is Hiring a Senior Data Engineer", "Hightouch", "Senior Data Engineer", None, None),
        ("Platform Engineer at Initech (Remote)", "Initech", "Platform Engineer", "Remote", True),
    ],
)
def test_generic_job_titles(title: str, company: str, role: str, location: str | None, remote: bool | None) -> None:
    f = parse_job_entry(title)
    assert (f.company, f.title, f.location_raw, f.remote) == (company, role, location, remote)


def test_job_location_from_tags_fields_and_text() -> None:
    assert parse_job_entry("Dev at A", categories=["python", "Berlin, Germany"]).location_raw == "Berlin, Germany"
    assert parse_job_entry("Dev at A", extra={"region": "Anywhere in the World"}).remote is True
    assert parse_job_entry("Dev at A", "About us. Location: Austin, TX. Apply").location_raw == "Austin, TX"


@pytest.mark.parametrize(
    "text,company,role,location,remote",
    [
        (
            "Hatchet | Founding Engineer | NYC or REMOTE (US and EU) | "
            '<a href="https:&#x2F;&#x2F;hatchet.run">https:&#x2F;&#x2F;hatchet.run</a><p>Hey HN!',
            "Hatchet",
            "Founding Engineer",
            "NYC or US and EU",
            True,
        ),
        ("PermitFlow (YC W22) | Staff Engineers | New York, NY | ONSITE | Full-time<p>x", "PermitFlow",
         "Staff Engineers", "New York, NY", False),
        ("Big Cartel | DevOps Engineer | Remote | Full time", "Big Cartel", "DevOps Engineer", None, True),
        ("MiLaboratories | Bilbao, Spain | ONSITE | VISA SPONSORSHIP<p>We are", "MiLaboratories", None,
         "Bilbao, Spain", False),
    ],
)  # fmt: skip
def test_hn_posts(text: str, company: str, role: str | None, location: str, remote: bool) -> None:
    f = parse_hn_post(text)
    assert (f.company, f.title, f.location_raw, f.remote) == (company, role, location, remote)


def test_hn_quarter_through_the_adapter(shared_data: Path) -> None:
    total = with_company = with_location = with_remote = 0
    for run in sorted((shared_data / "hn-whoishiring-2026q1").glob("*/raw.json")):
        for job in json.loads(run.read_text())["jobs"]:
            f = parse_hn_post(job["text"])
            total += 1
            with_company += f.company is not None
            with_location += f.location_raw is not None
            with_remote += f.remote is not None
            assert "<" not in (f.company or "") + (f.title or "") + (f.location_raw or "")
    assert total == 1048
    assert with_company / total > 0.85 and with_location / total > 0.75 and with_remote / total > 0.75


def test_hn_remote_flag_agrees_with_the_silver_labels(shared_data: Path) -> None:
    # classified.json: LLM labels (silver, not gold); fully_remote -> True, onsite/hybrid -> False, else None
    expected = {"fully_remote": True, "onsite_only": False, "hybrid": False, "not_mentioned": None}
    agree = total = 0
    for run in sorted((shared_data / "hn-whoishiring-2026q1").glob("*/raw.json")):
        texts = {j["id"]: j["text"] for j in json.loads(run.read_text())["jobs"]}
        for label in json.loads((run.parent / "classified.json").read_text())["jobs"]:
            if label["id"] in texts and label["remote"] in expected:
                total += 1
                agree += parse_hn_post(texts[label["id"]]).remote is expected[label["remote"]]
    print(f"remote flag agreement with silver labels: {agree}/{total} = {agree / total:.1%}")
    assert total > 1000 and agree / total > 0.85


def test_hints_and_next_poll() -> None:
    assert hint_seconds({"cache-control": "public, max-age=7200"}, NOW) == 7200
    assert hint_seconds({"expires": "Mon, 16 Mar 2026 15:00:00 GMT"}, NOW) == 3 * 3600
    assert hint_seconds({}, NOW, ttl_minutes=90) == 5400
    assert retry_after_seconds("Mon, 16 Mar 2026 13:00:00 GMT", NOW) == 3600
    base = next_poll_ok(NOW, 1800, {}, None, 300, 86400)
    assert base == NOW + timedelta(seconds=1800)
    assert next_poll_ok(NOW, 1800, {"cache-control": "max-age=999999"}, None, 300, 86400) == NOW + timedelta(days=1)
    assert next_poll_ok(NOW, 60, {}, None, 300, 86400) == NOW + timedelta(minutes=5)


def test_backoff_grows_with_jitter_up_to_the_ceiling() -> None:
    rng = random.Random(7)
    delays = [next_poll_error(NOW, n, 300, 86400, rand=rng.random) - NOW for n in range(1, 12)]
    assert all(b > a for a, b in itertools.pairwise(delays[:8]))
    assert max(delays) <= timedelta(days=1) and delays[-1] >= timedelta(days=0.8)
    spread = {next_poll_error(NOW, 3, 300, 86400) for _ in range(10)}
    assert len(spread) > 1  # jitter: feeds failing together do not retry together
    assert next_poll_error(NOW, 1, 300, 86400, retry_after=7200) >= NOW + timedelta(seconds=7200)
