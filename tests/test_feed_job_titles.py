"""A job feed that carries real "Who is hiring" postings, their heading as the item title (as the walk's feed
did): each posting gets the title, company and location that `import-jobs --format hn` gives the same text,
never the raw heading with its pipes ("Sesame | Full-time | SF/NYC/Bellevue | On-site | https://...")."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from digest.sources.jobfile import hn_record
from digest.sources.parse import parse_feed
from digest.store.models import FeedKind

# headings that name no role, and one written without spaces around its pipes
HEADINGS = ("Sesame |", "yeet |", "Holepuch|")


def _postings(shared_data: Path) -> list[dict[str, object]]:
    jobs = json.loads((shared_data / "hn-whoishiring-2026q1" / "2026-03-15" / "raw.json").read_text())["jobs"]
    found = [j for j in jobs if str(j.get("text") or "").startswith(HEADINGS)]
    assert len(found) == len(HEADINGS)
    return found


def _feed(jobs: list[dict[str, object]]) -> bytes:
    items = []
    for j in jobs:
        text = str(j["text"])
        heading = html.unescape(re.sub(r"<[^>]+>", "", text.split("<p>", 1)[0]))
        items.append(
            f"<item><title>{html.escape(heading)}</title><guid>hn-{j['id']}</guid>"
            f"<link>https://news.ycombinator.com/item?id={j['id']}</link>"
            f"<pubDate>Sat, 05 Dec 2026 20:00:00 +0000</pubDate><description>{html.escape(text)}</description></item>"
        )
    return f'<rss version="2.0"><channel><title>jobs</title>{"".join(items)}</channel></rss>'.encode()


def test_a_feed_of_hn_postings_gets_the_fields_the_importer_gets(shared_data: Path) -> None:
    jobs = _postings(shared_data)
    parsed = parse_feed(_feed(jobs), {}, "http://127.0.0.1/jobs.xml", FeedKind.jobs)
    got = {e.link: (e.title, e.company) for e in parsed.entries}
    want = {r["url"]: (r["title"], r["company"]) for r in map(hn_record, jobs)}
    assert got == want
    assert all("|" not in title for title, _ in got.values()), got
