"""digest against rss2email, whole processes: one feed of N realistic items, served on 127.0.0.1, to one address.

    .venv/bin/python -m bench.peer [--items 200,2000] [--rounds 3] [--smoke]

The feed: an RSS 2.0 document of N items made from the HN "Who is hiring?" postings of 2026 Q1 (shared data:
their first line as the title, the posting's HTML as the description), each with its own link and guid,
served by a local HTTP server. Mail goes to a local SMTP sink (aiosmtpd; STARTTLS offered, which digest
requires). Every round starts from fresh state; the timed part is what a person types, each a new process:

- rss2email 3.14 (PyPI; `pip install rss2email`): `r2e add` then `r2e run`. It mails every item, one
  message and one SMTP connection each (its design: a feed reader that delivers by email).
- digest: `digest feeds add --kind jobs`, `digest poll`, `digest send-due`. It stores every item, matches its
  skills, counts demand, and sends the one subscriber one digest of the items in their five skills.

Both run as installed packages do, their modules byte-compiled (digest's are compiled first: see
bench/startup.py). Not timed: rss2email's `r2e new` and its config (SMTP to the sink); digest's data folder made
once per run of this script (`digest init` without the default feeds, five confirmed subscriptions) and copied
for each round: the database, and the matcher `digest init` built and kept in DATA_DIR/cache, as an
installation has them after `digest init`. Prints the median wall time of the rounds, each side's CPU
(children's user + system), and the ratio beside its target. Targets (issue #17): digest <= 1.0x rss2email at
200 items, <= 0.5x at 2,000. First it prints what one process of each costs before any work (the floor: rss2email
listing its feed; digest importing its CLI, settings, SQLAlchemy and models, as each of its commands does), and
beside each size what three such bare processes of digest's come to against rss2email's whole run.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import shutil
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from bench.startup import byte_compile
from tests.feedserver import FeedServer
from tests.helpers import REPO, digest_env

TARGETS = {200: 1.0, 2000: 0.5}
SKILLS = ("python", "typescript", "react", "go", "postgresql")
ADDRESS = "reader@example.com"
T0 = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)  # subscribed
T1 = T0 + timedelta(hours=20)  # the feed added and polled
T2 = T0 + timedelta(days=1, hours=1)  # the daily digest is due


def hn_items(data: Path, n: int) -> list[dict[str, str]]:
    """n items made from the HN postings (cycled, each with its own link and guid)."""
    from tests.eval.hn import DATASET, clean

    postings = []
    for run in sorted((data / DATASET).iterdir()):
        if run.is_dir():
            postings += [j for j in json.loads((run / "raw.json").read_text())["jobs"] if j.get("text")]
    items = []
    for i in range(n):
        job = postings[i % len(postings)]
        title = clean(job["text"]).split("\n", 1)[0][:200]
        link = f"https://news.ycombinator.com/item?id={job['id']}&round={i // len(postings)}"
        items.append({"title": title, "link": link, "html": job["text"], "date": T1 - timedelta(minutes=i % 1200)})
    return items


def rss(items: list[dict[str, Any]]) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Hiring</title>',
           "<link>https://news.ycombinator.com/</link><description>Who is hiring?</description>"]  # fmt: skip
    for it in items:
        out.append(
            f"<item><title>{html.escape(it['title'])}</title><link>{html.escape(it['link'])}</link>"
            f"<guid>{html.escape(it['link'])}</guid><pubDate>{format_datetime(it['date'])}</pubDate>"
            f"<description>{html.escape(it['html'])}</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode()


class Sink:
    """Counts what reaches the SMTP sink."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


@contextmanager
def smtp_sink(folder: Path) -> Iterator[tuple[Sink, int, Path]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    from tests.test_smtp_backend import _self_signed

    class LenientSMTP(SMTP):
        line_length_limit = 1 << 20  # as a relay does: rss2email sends HTML-less text in lines of any length

    class LenientController(Controller):
        def factory(self) -> SMTP:
            return LenientSMTP(self.handler, **self.SMTP_kwargs)

    cert, key = _self_signed(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    with socket.socket() as probe:  # aiosmtpd needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = LenientController(sink, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=False)
    controller.start()
    try:
        yield sink, port, cert
    finally:
        controller.stop()


def timed(commands: list[list[str]], env: dict[str, str]) -> tuple[float, float]:
    """Run the commands one after another: wall seconds, and the CPU seconds of the processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in commands:
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd[:3])} failed: {done.stderr[-1500:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def r2e_round(work: Path, url: str, port: int) -> tuple[float, float]:
    r2e = str(Path(sys.executable).with_name("r2e"))
    cfg, data = work / "r2e.cfg", work / "r2e.json"
    base = [r2e, "-c", str(cfg), "-d", str(data)]
    subprocess.run([*base, "new", ADDRESS], check=True, capture_output=True)
    text = cfg.read_text()
    for key, value in [("email-protocol", "smtp"), ("smtp-server", "127.0.0.1"), ("smtp-port", str(port)),
                       ("smtp-ssl", "False"), ("smtp-auth", "False"), ("from", "r2e@example.org")]:  # fmt: skip
        text = text.replace(f"\n{key} = ", f"\n{key} = {value}\n#{key} = ", 1)
    cfg.write_text(text)
    return timed([[*base, "add", "hiring", url], [*base, "run"]], dict(os.environ))


def floors(work: Path, env: dict[str, str], rounds: int) -> tuple[float, float]:
    """What one process of each costs before it does any work (CPU s, median): rss2email listing its one feed;
    digest importing what every one of its three commands imports (the CLI, the settings, the ORM and models)."""
    r2e = str(Path(sys.executable).with_name("r2e"))
    base = [r2e, "-c", str(work / "floor.cfg"), "-d", str(work / "floor.json")]
    subprocess.run([*base, "new", ADDRESS], check=True, capture_output=True)
    subprocess.run([*base, "add", "hiring", "http://127.0.0.1:9/feed.xml"], check=True, capture_output=True)
    ours = [sys.executable, "-c", "import digest.cli, digest.config, digest.store.engine, digest.store.models"]
    peer, digest = [], []
    for _ in range(rounds):
        peer.append(timed([[*base, "list"]], dict(os.environ))[1])
        digest.append(timed([ours], env)[1])
    return statistics.median(peer), statistics.median(digest)


def digest_template(work: Path, env: dict[str, str]) -> Path:
    """A data folder with the taxonomy, no feeds, and one reader subscribed to five skills."""
    folder = work / "template"
    env = {**env, "DIGEST_DATA_DIR": str(folder)}
    cli = [sys.executable, "-m", "digest.cli"]
    subprocess.run([*cli, "init"], env=env, cwd=REPO, check=True, capture_output=True)
    with sqlite3.connect(folder / "digest.sqlite3") as db:  # the default feeds would go to the Internet
        db.execute("DELETE FROM feeds")
    for slug in SKILLS:
        subprocess.run(
            [*cli, "subscribe", ADDRESS, slug, "--confirmed", "--now", T0.isoformat()],
            env=env, cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
    return folder


def digest_round(template: Path, work: Path, url: str, env: dict[str, str]) -> tuple[float, float]:
    folder = work / "digest"
    shutil.copytree(template, folder)
    env = {**env, "DIGEST_DATA_DIR": str(folder)}
    cli = [sys.executable, "-m", "digest.cli"]
    return timed(
        [
            [*cli, "feeds", "add", url, "--kind", "jobs", "--now", T1.isoformat()],
            [*cli, "poll", "--now", T1.isoformat()],
            [*cli, "send-due", "--now", T2.isoformat()],
        ],
        env,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("DIGEST_SHARED_DATA", "/work/shared/data")))
    parser.add_argument("--items", default="200,2000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20 items, one round: seconds")
    args = parser.parse_args()
    sizes = [20] if args.smoke else [int(x) for x in args.items.split(",")]
    rounds = 1 if args.smoke else args.rounds
    if not Path(sys.executable).with_name("r2e").exists():
        raise SystemExit("bench.peer needs rss2email: .venv/bin/pip install -c constraints.txt rss2email")
    byte_compile()

    with (
        tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp,
        FeedServer() as server,
        smtp_sink(Path(tmp)) as (
            sink,
            port,
            cert,
        ),
    ):
        work = Path(tmp)
        env = digest_env(
            DIGEST_EMAIL_BACKEND="smtp",
            DIGEST_SMTP_URL=f"smtp://127.0.0.1:{port}",
            DIGEST_SMTP_CA_FILE=str(cert),
            DIGEST_FEEDS_ALLOW_PRIVATE="1",
            DIGEST_SECRET_KEY="peer",
        )
        template = digest_template(work, env)
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores shared by five engineers' work)")
        peer_floor, floor = floors(work, env, 3 if args.smoke else 7)
        print(
            f"one process before any work, CPU: rss2email {peer_floor:.3f} s; digest {floor:.3f} s (its imports: "
            f"the CLI, settings, SQLAlchemy and the models), three of them {3 * floor:.2f} s"
        )
        for n in sizes:
            url = server.route(f"/feed-{n}.xml", body=rss(hn_items(args.data, n)),
                               headers={"Content-Type": "application/rss+xml"})  # fmt: skip
            results: dict[str, list[tuple[float, float]]] = {"rss2email": [], "digest": []}
            for r in range(rounds):  # alternate, so that the machine's load falls on both alike
                for side in ("rss2email", "digest"):
                    folder = work / f"{side}-{n}-{r}"
                    folder.mkdir()
                    sent = sink.messages
                    if side == "rss2email":
                        results[side].append(r2e_round(folder, url, port))
                        assert sink.messages - sent == n, f"rss2email sent {sink.messages - sent} of {n}"
                    else:
                        results[side].append(digest_round(template, folder, url, env))
                        assert sink.messages - sent == 1, f"digest sent {sink.messages - sent} emails, not one"
                    shutil.rmtree(folder)
            peer = statistics.median(w for w, _ in results["rss2email"])
            ours = statistics.median(w for w, _ in results["digest"])
            cpu = {s: statistics.median(c for _, c in v) for s, v in results.items()}
            target = TARGETS.get(n)
            aim = f"target <= {target}x" if target else "no target at this size"
            print(
                f"{n:>5} items: rss2email {peer:.2f} s ({n} emails; CPU {cpu['rss2email']:.2f} s), "
                f"digest {ours:.2f} s (1 digest; CPU {cpu['digest']:.2f} s): {ours / peer:.2f}x ({aim}); "
                f"median of {rounds}; digest's three bare processes (CPU) alone {3 * floor / peer:.2f}x it"
            )


if __name__ == "__main__":
    main()
