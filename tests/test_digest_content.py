"""The content builder and templates, on plain data: ranking, caps, escaping, section reuse, snapshots.

Snapshots live in tests/snapshots/emails/; regenerate with DIGEST_UPDATE_SNAPSHOTS=1 after a deliberate
template change and read the diff.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bench.render_baseline import WholeRenderer
from digest.demand.explain import compared_windows
from digest.demand.snapshot import Snapshot
from digest.mail.content import (
    AlertView,
    ItemView,
    RankedWindow,
    build_digest,
    build_section,
    fold_reposts,
    rank,
    snippet,
)
from digest.mail.render import DigestRenderer, Rendered, images_for

SNAPSHOTS = Path(__file__).parent / "snapshots" / "emails"
T = datetime(2026, 3, 2, 7, tzinfo=UTC)
BASE = "https://digest.example.org"


def item(n: int, kind: str = "news", title: str | None = None, alias: str = "python", **kw: object) -> ItemView:
    return ItemView(
        id=n,
        kind=kind,
        title=title or f"{kind} item {n}",
        url=f"https://example.com/{n}",
        published_at=T - timedelta(hours=n),
        alias=alias,
        source=kw.pop("source", "Example News" if kind == "news" else None),  # type: ignore[arg-type]
        snippet=str(kw.pop("snippet", "")),
        company=kw.pop("company", "Acme" if kind == "job" else None),  # type: ignore[arg-type]
        location=kw.pop("location", "Berlin" if kind == "job" else None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


SNAP = Snapshot(
    postings=225,
    recent_4_weeks=70,
    prior_4_weeks=77,
    change_vs_prior_4_weeks=-0.091,
    direction="down",
    significant=False,
    weekly=((date(2026, 2, 16), 12), (date(2026, 2, 23), 9)),
    chart_png=b"\x89PNG-not-really",
)
ALERT = AlertView(id=4, direction="up", change=0.62, opened_on=date(2026, 3, 2), recent=230, prior=142)


def sample_digest(n_items: int = 3) -> object:
    python = build_section(
        skill_id=1,
        slug="python",
        name="Python",
        base_url=BASE,
        items=[
            item(1, title="Python 3.14 & <free-threading>", snippet="The GIL is optional now."),
            item(2, title="Release notes"),
            item(3, kind="job", title="Senior Python Engineer", company="Acme & Co"),
        ][:n_items],
        snapshot=SNAP,
        alerts=[ALERT],
    )
    k8s = build_section(
        skill_id=2, slug="kubernetes", name="Kubernetes", base_url=BASE,
        items=[item(10 + n, alias="k8s") for n in range(12)], snapshot=None, cap=8,
    )  # fmt: skip
    return build_digest(
        to="ann@example.com",
        cadence="daily",
        window_end=T,
        sections=[k8s, python],
        settings_url=f"{BASE}/settings",
        unsubscribe_url=f"{BASE}/unsubscribe?token=tok",
    )


def check_snapshot(name: str, rendered: Rendered) -> None:
    parts = {"subject.txt": rendered.subject + "\n", "body.txt": rendered.text, "body.html": rendered.html or ""}
    for part, value in parts.items():
        path = SNAPSHOTS / name / part
        if os.environ.get("DIGEST_UPDATE_SNAPSHOTS") or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value)
        assert value == path.read_text(), f"{path} changed (DIGEST_UPDATE_SNAPSHOTS=1 to accept)"


def test_digest_snapshot() -> None:
    digest = sample_digest()
    rendered = DigestRenderer().render(digest)  # type: ignore[arg-type]
    check_snapshot("digest", rendered)


def test_alert_snapshot() -> None:
    section = build_section(skill_id=1, slug="python", name="Python", base_url=BASE, items=[], snapshot=SNAP,
                            alerts=[ALERT])  # fmt: skip
    context = {"to": "ann@example.com", "settings_url": f"{BASE}/settings",
               "unsubscribe_url": f"{BASE}/unsubscribe?token=tok", "interval_days": 28,
               "about_url": f"{BASE}/about/alerts", "paired_with": None}  # fmt: skip
    why = (
        "Python postings rose 62% (4 weeks vs the 4 before, as a share of all postings). "
        "Most of the rise: Stripe & Co (+12 postings), Berlin (+9 postings); spread over 31 employers."
    )
    alert = replace(ALERT, why=why, p_value=0.0004, q_value=0.004, compared=compared_windows(ALERT.opened_on))
    rendered = DigestRenderer().render_alert(section, alert, context)
    check_snapshot("alert", rendered)
    text, html = rendered.text, rendered.html or ""
    for words in (
        "The test compared the 4 weeks 2 Feb – 1 Mar 2026 with the 4 weeks before them (5 Jan – 1 Feb 2026)",
        "would happen by chance less than 1 time in 1,000 weeks like these (p < 0.001,",
        "we expect less than 1 in 100 to be a false alarm (q = 0.004)",
    ):
        assert words in text and words.replace("<", "&lt;") in html
    assert "Why am I seeing this? How we decide a shift is real: https://digest.example.org/about/alerts" in text
    assert '<a href="https://digest.example.org/about/alerts"' in html and "Why am I seeing this?</a>" in html
    assert "In the chart: dark bars are the weeks tested" in html  # the legend goes with the chart (HTML only)
    assert "In the chart" not in text
    paired = DigestRenderer().render_alert(section, alert, {**context, "paired_with": "Django"})
    assert "because you follow Django, Python is among the skills most often paired with it" in paired.text
    assert "Unsubscribe (from alerts for paired skills): " in paired.text  # not from Django: that link stops them
    assert why in rendered.text and why.replace("&", "&amp;") in (rendered.html or "")
    assert rendered.subject == "[digest] Python: demand rising (+62%)"


def test_section_reuse_renders_exactly_what_per_subscriber_rendering_does() -> None:
    digest = sample_digest()
    reused, whole = DigestRenderer(), WholeRenderer()
    a, b = reused.render(digest), whole.render(digest)  # type: ignore[arg-type]
    assert (a.subject, a.text) == (b.subject, b.text)
    normalise = lambda html: re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html or ""))  # noqa: E731
    assert normalise(a.html) == normalise(b.html)
    reused.render(digest)  # type: ignore[arg-type]
    assert (reused.misses, reused.hits) == (2, 2)


def test_html_is_escaped_laid_out_in_tables_and_css_inlined() -> None:
    rendered = DigestRenderer().render(sample_digest())  # type: ignore[arg-type]
    html = rendered.html or ""
    assert "Python 3.14 &amp; &lt;free-threading&gt;" in html and "<free-threading>" not in html
    assert "Acme &amp; Co" in html
    assert 'style="' in html  # inlined; only the at-rules (dark mode) stay in a <style>, which holds nothing else
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media (prefers-color-scheme: dark)")
    assert styles[0].count("{") == styles[0].count("}") and ".section {" not in styles[0].split("{", 1)[0]
    assert 'width="600"' in html and "max-width: 600px" in html
    assert "<svg" not in html and 'src="cid:chart-python"' in html
    assert "Python 3.14 & <free-threading>" in rendered.text  # the text part is not HTML-escaped


def test_content_ranks_caps_and_says_why() -> None:
    digest = sample_digest()
    k8s = next(s for s in digest.sections if s.slug == "kubernetes")  # type: ignore[attr-defined]
    assert len(k8s.articles) == 8 and k8s.more_articles == 4
    assert [i.id for i in k8s.articles] == list(range(10, 18))  # newest first
    text = DigestRenderer().render(digest).text  # type: ignore[arg-type]
    assert "+4 more: https://digest.example.org/skills/kubernetes" in text
    assert "matched “k8s”, mentioned in passing" in text
    # sections with alerts first, then by how much is new
    assert [s.slug for s in digest.sections] == ["python", "kubernetes"]  # type: ignore[attr-defined]
    assert digest.subject == "Daily digest: Python, Kubernetes — 15 new · demand shift"  # type: ignore[attr-defined]
    assert [i.cid for i in images_for(digest.sections)] == ["chart-python"]  # type: ignore[attr-defined]
    titled = item(1, title="Why Python won", alias="python", found_in=2)
    untitled = item(0, title="A newer story", alias="python")
    assert rank([untitled, titled]) == [titled, untitled]  # the skill in the title ranks first


def test_empty_digest_and_snippets() -> None:
    empty = build_digest(
        to="a@example.com",
        cadence="weekly",
        window_end=T,
        sections=[build_section(skill_id=1, slug="go", name="Go", base_url=BASE, items=[], snapshot=SNAP)],
        settings_url="s",
        unsubscribe_url="u",
    )
    assert empty.is_empty
    assert snippet("word " * 100, 30) == "word word word word word word…"
    assert snippet("  short \n text ") == "short text"


@pytest.mark.parametrize("name", ["digest", "alert"])
def test_templates_extend_base_with_text_and_html(name: str) -> None:
    folder = Path(__file__).parents[1] / "templates" / "emails" / name
    assert {p.name for p in folder.iterdir()} >= {"subject.txt", "body.txt", "body.html"}
    for p in ("subject.txt", "body.txt", "body.html"):
        assert '{% extends "_base/' in (folder / p).read_text()


def test_base_blocks_still_work_for_transactional_templates() -> None:
    from digest.mail.render import _envs

    text_env, html_env = _envs()
    html = html_env.from_string(
        '{% extends "_base/body.html" %}{% block title %}T{% endblock %}{% block content %}<p>C</p>{% endblock %}'
        "{% block reason %}R{% endblock %}{% block footer %}F{% endblock %}"
    ).render()
    assert "<title>T</title>" in html and "<p>C</p>" in html and "R F" in html
    subject = text_env.from_string('{% extends "_base/subject.txt" %}{% block subject %}S{% endblock %}').render()
    assert subject.strip() == "[digest] S"


def normalise(html: str | None) -> str:
    """Whitespace between tags is not content in a table layout."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html or ""))


def test_reuse_escapes_per_subscriber_values_like_the_template_does() -> None:
    section = build_section(skill_id=9, slug="c", name='C & "C++" <Rust> it\'s', base_url=BASE, items=[item(1)],
                            snapshot=None)  # fmt: skip
    digest = build_digest(to="o'neil&co@example.com", cadence="weekly", window_end=T, sections=[section],
                          settings_url=f"{BASE}/settings?a=1&b=2", unsubscribe_url=f"{BASE}/u?t=a.b-c_d")  # fmt: skip
    a, b = DigestRenderer().render(digest), WholeRenderer().render(digest)
    assert (a.subject, a.text) == (b.subject, b.text)
    assert normalise(a.html) == normalise(b.html)
    assert "<Rust>" not in (a.html or "")


def test_a_skill_without_postings_says_so_without_a_chart() -> None:
    none = Snapshot(postings=0, recent_4_weeks=0, prior_4_weeks=0, change_vs_prior_4_weeks=None)
    section = build_section(skill_id=3, slug="cobol", name="COBOL", base_url=BASE, items=[item(1)], snapshot=none)
    digest = build_digest(to="a@example.com", cadence="daily", window_end=T, sections=[section],
                          settings_url="s", unsubscribe_url="u")  # fmt: skip
    rendered = DigestRenderer().render(digest)
    assert "Demand: no job postings mention COBOL in the last 90 days." in rendered.text
    assert "No job postings mention COBOL" in (rendered.html or "") and "cid:" not in (rendered.html or "")


def test_verdict_needs_postings_enough_for_the_shift_test() -> None:
    """'No significant change' is a verdict of the shift test, which runs on at least 20 postings in the 8 weeks
    compared; on fewer the digest says there are too few (it said 'no significant change' on 3 postings). A
    significant shift always stands."""

    def snap(recent: int, prior: int, significant: bool = False) -> Snapshot:
        change = round(recent / prior - 1, 3) if prior else None
        return Snapshot(recent + prior, recent, prior, change, "up" if significant else "flat", significant)

    assert snap(0, 0).verdict == "no postings yet"
    assert snap(2, 1).verdict == snap(10, 9).verdict == "too few postings to test for a shift"
    assert snap(10, 10).verdict == "no significant change"
    assert snap(12, 3, significant=True).verdict == "demand is rising"


def test_sections_assembled_from_cached_item_pieces_equal_sections_rendered_whole() -> None:
    """Several searches on the same skills, sharing items, bodies and search lines in one renderer: every
    email equals the one rendered whole from the templates (text exactly, HTML up to the whitespace the
    whole document's inlining adds) and the one a fresh renderer gives (exactly)."""
    pool = [
        item(1, title="Python 3.14 & <free-threading>", snippet="The GIL is optional now. " * 8),
        replace(item(2, source=None, fetched_at=T - timedelta(days=3)), url=None),
        item(3, kind="job", title="Senior Python Engineer", company="Acme & Co", salary="€70k–90k",
             seniority="senior", remote=True, found_in=2),
        replace(item(4, kind="job", company=None, location=None, remote=True, reposted=True), url=None),
        item(5, kind="job", alias="django", found_in=1, fetched_at=T - timedelta(days=2)),
        *[item(10 + n, alias="py", fetched_at=T - timedelta(hours=n)) for n in range(10)],
    ]  # fmt: skip
    zero = replace(SNAP, postings=0)
    searches = [None, "Python · remote only", "Python or Django · Berlin", "Python · senior+ · ≥ €70k", "<b>&</b>"]
    digests = []
    for n, search in enumerate(searches * 2):
        items = [i for k, i in enumerate(pool) if (k + n) % 3 or search is None]
        python = build_section(
            skill_id=1, slug="python", name="Python", base_url=BASE, items=items,
            snapshot=[SNAP, None, zero][n % 3], alerts=[ALERT] if n % 4 == 0 else [], cap=4 if n % 2 else 8,
            subscribed_at=T - timedelta(days=2, hours=12) if n >= len(searches) else None, search=search,
        )  # fmt: skip
        go = build_section(
            skill_id=2, slug="go", name="Go", base_url=BASE, items=pool[:5], snapshot=None, search=searches[-n % 5]
        )
        digests.append(
            build_digest(
                to=f"p{n}@example.com",
                cadence="daily",
                window_end=T,
                sections=[
                    python,
                    go,
                    build_section(
                        skill_id=3,
                        slug="rust",
                        name="Rust",
                        base_url=BASE,
                        items=[],
                        snapshot=[None, zero][n % 2],
                        search=search,
                    ),
                ],
                settings_url=f"{BASE}/settings",
                unsubscribe_url=f"{BASE}/unsubscribe?token={n}",
                web_url=f"{BASE}/d/{n}" if n % 2 else None,
            )
        )
    shared = DigestRenderer()
    normalise = lambda html: re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html or ""))  # noqa: E731
    for digest in digests + digests:
        a, whole, fresh = shared.render(digest), WholeRenderer().render(digest), DigestRenderer().render(digest)
        assert (a.subject, a.text) == (whole.subject, whole.text)
        assert normalise(a.html) == normalise(whole.html)
        assert a == fresh
    assert shared.misses == len(shared._sections) and shared.hits >= 2 * len(digests)  # each section once
    assert len(shared._bodies) < len(shared._sections)  # sections differing by their search line share a body


def test_a_ranked_window_ranks_its_subsets_as_rank_does() -> None:
    """RankedWindow.subset (a search's or a person's part of a skill's window, the window ranked once)
    equals ranking the subset afresh."""
    rng = random.Random(5)
    filtered = 0
    for n in range(300):
        pool = [
            replace(
                item(k, kind=rng.choice(["news", "job"]), found_in=rng.randrange(3), reposted=rng.random() < 0.1,
                     repost_key=f"r{k % 3}" if n % 5 == 0 and rng.random() < 0.3 else None),
                published_at=T - timedelta(hours=rng.choice([0, 1, 1, 5, 30, 200])),
            )
            for k in range(rng.randrange(1, 30))
        ]  # fmt: skip
        window = RankedWindow(pool)
        share = (0.6, 0.05, 1.0)[n % 3]  # most, a few (their places sorted), all (the window as it is)
        keep = {i.id for i in pool if rng.random() < share}
        got = window.subset(keep)
        filtered += not window.folds and all(
            not a or not b.isdisjoint(keep) for a, b in zip(got, window.newest, strict=True)
        )
        kept = [i for i in pool if i.id in keep]
        assert got == (
            rank(i for i in kept if i.kind == "news"),
            rank(fold_reposts(i for i in kept if i.kind == "job")),
        )
    assert filtered > 100  # most without ranking again
