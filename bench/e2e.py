"""The whole pipeline in production shape on this machine, with faults, and a report of what it promised.

PostgreSQL (a scratch database), a Redis of our own (so it can be restarted), two Celery worker processes on
separate queues (polling; delivery + default), the web app under uvicorn, 50 feeds on a local HTTP server
(item text from the corpora in shared/data, new items appearing as simulated time passes), the HN postings
imported when the import is available, N subscribers across skills and cadences, and the sendgrid backend
pointed at the local fake SendGrid. Time is driven with `now`: this script sends, step by step, the tasks
beat would send (poll_due_feeds, dispatch_due, sweep) and waits for the queues to drain. A real `celery beat`
(redbeat, bench/e2e_beat.py) runs beside it on the wall clock and sends heartbeat and sweep.

Faults: SIGKILL of a worker at random moments, one Redis restart (without persistence: queued messages are
lost), fake SendGrid answering 10% 500s and 5% 429s, one PostgreSQL connection terminated, two feeds timing
out and one returning garbage for the first hours.

    .venv/bin/python -m bench.e2e               # 10,000 subscribers
    .venv/bin/python -m bench.e2e 1000 --kills 5
    .venv/bin/python -m bench.e2e --smoke        # seconds: the test suite runs it

Targets: lost = 0, duplicated = 0, every healthy feed's items stored once, failing feeds backed off and
recovered, every page answering.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import redis
from sqlalchemy import func, insert, select, text

from digest.store.engine import make_engine, migrate, session_factory
from digest.store.models import (
    Delivery,
    Feed,
    FeedKind,
    Item,
    ItemSkill,
    ItemSource,
    Skill,
    Subscription,
    Suppression,
    User,
)
from tests import services
from tests.fakes.sendgrid import FakeSendGrid
from tests.feedserver import FeedServer, Request, Response
from tests.helpers import REPO, digest_env

T0 = datetime(2026, 3, 2, 0, tzinfo=UTC)  # a Monday, before DST anywhere we use
SKILL_SLUGS = ["python", "javascript", "rust", "go", "kubernetes", "docker", "postgresql", "react", "java",
               "typescript", "terraform", "linux", "redis", "django", "aws", "kafka", "graphql", "swift",
               "kotlin", "scala", "elixir", "haskell", "ruby", "php", "node-js", "vue-js", "angular",
               "ansible", "mongodb", "mysql"]  # fmt: skip
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


@dataclass
class Faults:
    kills: int = 20
    redis_restart: bool = True
    sendgrid_500: float = 0.10
    sendgrid_429: float = 0.05
    pg_terminate: bool = True
    timeout_feeds: int = 2
    garbage_feeds: int = 1
    bad_until: timedelta = timedelta(hours=3)  # failing feeds recover after this much simulated time


@dataclass
class Report:
    subscribers: int = 0
    feeds: int = 0
    steps: int = 0
    seconds: float = 0.0
    due: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    resent_as_new_message: int = 0  # a re-send with another Message-ID: a duplicate even in the recipient's mailbox
    empty: int = 0
    failed: int = 0
    unaccounted_users: int = 0
    healthy_feeds: int = 0
    healthy_items_expected: int = 0
    healthy_items_stored: int = 0
    healthy_items_duplicated: int = 0
    failing_feeds: int = 0
    failing_backed_off: int = 0
    failing_recovered: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    sendgrid_requests: int = 0
    hn_postings: int = 0
    beat_sent: dict[str, int] = field(default_factory=dict)
    beat_starts: int = 0
    beat_heartbeat_seen: bool = False
    beat_lock_held: int = 0
    beat_lock_checks: int = 0
    metrics_ok: bool = False
    pages_ok: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def promises_kept(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.resent_as_new_message == 0
            and self.unaccounted_users == 0
            and self.healthy_items_stored == self.healthy_items_expected
            and self.healthy_items_duplicated == 0
            and self.failing_backed_off == self.failing_feeds
            and self.failing_recovered == self.failing_feeds
        )

    def lines(self) -> list[str]:
        return [
            f"e2e: {self.subscribers:,} subscribers, {self.feeds} feeds, {self.steps} steps of simulated time, "
            f"{self.seconds:.0f} s",
            f"faults: {json.dumps(self.faults, sort_keys=True)}",
            f"digests due {self.due:,}: delivered {self.delivered:,} (+{self.empty:,} empty, {self.failed} failed), "
            f"lost {self.lost} (target 0), duplicated {self.duplicated} (target 0), "
            f"users with a due window and no delivery {self.unaccounted_users} (target 0)",
            f"sendgrid requests {self.sendgrid_requests:,} for {self.delivered:,} messages; delivery ids accepted "
            f"twice: {self.duplicate_ids} (a fault between the provider's 202 and the commit recording it); "
            f"re-sent with another Message-ID: {self.resent_as_new_message} (target 0: a re-send is the same message "
            "to the recipient's mail system)",
            f"healthy feeds {self.healthy_feeds}: items expected {self.healthy_items_expected:,}, stored "
            f"{self.healthy_items_stored:,}, stored twice {self.healthy_items_duplicated} (target: all, once)",
            f"failing feeds {self.failing_feeds}: backed off {self.failing_backed_off}, recovered "
            f"{self.failing_recovered} (target {self.failing_feeds})",
            f"beat (redbeat): sent {json.dumps(self.beat_sent, sort_keys=True)}, its heartbeat recorded by a "
            f"worker: {self.beat_heartbeat_seen}, lock in Redis at {self.beat_lock_held} of {self.beat_lock_checks} "
            f"steps, started {self.beat_starts} time(s) (a Redis restart loses the lock: beat exits and restarts)",
            f"HN postings imported: {self.hn_postings:,}; /metrics ok: {self.metrics_ok}; pages ok: {self.pages_ok}",
            *self.notes,
            f"PROMISES KEPT: {self.promises_kept}",
        ]


# --- the feeds ------------------------------------------------------------------------------------------


def corpus_titles(shared: Path) -> list[str]:
    """Entry titles from the sample feeds in shared/data: the text the generated feeds carry."""
    import feedparser

    titles: list[str] = []
    for folder in ("feedjira-sample-feeds", "rss-parser-test-feeds"):
        for f in sorted((shared / folder).glob("*.xml"))[:60]:
            for e in feedparser.parse(f.read_bytes()).entries[:20]:
                t = " ".join(str(e.get("title", "")).split())
                if 10 < len(t) < 120:
                    titles.append(t)
    return titles or ["A story about software"]


class FeedWorld:
    """50 RSS feeds whose items appear over simulated time; some time out or return garbage for a while."""

    def __init__(self, server: FeedServer, n: int, titles: list[str], skills: list[str], faults: Faults) -> None:
        self.server, self.n, self.titles, self.skills, self.faults = server, n, titles, skills, faults
        self.now = T0
        self.timeouts = set(range(faults.timeout_feeds))
        self.garbage = set(range(faults.timeout_feeds, faults.timeout_feeds + faults.garbage_feeds))
        for k in range(n):
            server.route(f"/feed/{k}.xml", self._handler(k))

    def url(self, k: int) -> str:
        return self.server.url(f"/feed/{k}.xml")

    def count(self, k: int, at: datetime) -> int:
        """Items feed k has published by `at`: 5 at the start, one more every (2 + k % 3) hours."""
        return 5 + int((at - T0).total_seconds() // (3600 * (2 + k % 3)))

    def item(self, k: int, i: int) -> tuple[str, str, str]:
        rng = random.Random(k * 100_003 + i)
        skill = rng.choice(self.skills)
        title = f"{rng.choice(self.titles)}: what it means for {skill}"
        return f"feed{k}-item{i}", f"https://news{k}.example.com/{i}", title

    def failing(self, k: int) -> bool:
        return k in self.timeouts | self.garbage

    def _handler(self, k: int) -> Callable[[Request], Response]:
        def answer(req: Request) -> Response:
            now = self.now
            bad = now < T0 + self.faults.bad_until
            if bad and k in self.timeouts:
                return Response(200, b"<rss/>", {"Content-Type": "application/rss+xml"}, delay=2.5)
            if bad and k in self.garbage:
                return Response(200, b"\x00\x01<<<not a feed>>> {]", {"Content-Type": "application/rss+xml"})
            n = self.count(k, now)
            entries = []
            for i in range(max(0, n - 30), n):
                guid, link, title = self.item(k, i)
                published = format_datetime(T0 + timedelta(hours=i))
                entries.append(
                    f"<item><guid>{guid}</guid><link>{link}</link><title>{escape(title)}</title>"
                    f"<description>{escape(title)}.</description><pubDate>{published}</pubDate></item>"
                )
            body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {k}</title>'
                    f"<link>https://news{k}.example.com/</link><description>d</description>"
                    f"{''.join(entries)}</channel></rss>").encode()  # fmt: skip
            return Response(200, body, {"Content-Type": "application/rss+xml", "ETag": f'"{k}-{n}"'}, conditional=True)

        return answer


# --- processes ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server of our own, without persistence, that can be restarted on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise SystemExit("bench.e2e needs redis-server (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


class Worker:
    """A Celery worker process (solo pool: SIGKILL takes the whole worker down, as a machine failure would)."""

    def __init__(self, name: str, queues: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.queues, self.env, self.log = name, queues, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "-Q", ",".join(self.queues),
                "-P", "solo", "--loglevel", "INFO", "-n", f"{self.name}-{self.starts}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip

    def start(self) -> None:
        self.starts += 1
        out = self.log.open("ab")
        self.proc = subprocess.Popen(self.command(), env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip
        out.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Beat(Worker):
    """`celery beat` with redbeat (bench/e2e_beat.py): heartbeat and sweep from beat on the wall clock."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__("beat", [], env, log)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "bench.e2e_beat", "beat", "--loglevel", "INFO"]

    def sent(self) -> Counter[str]:
        """Entries beat sent, by name, from its log ("Scheduler: Sending due task heartbeat (...)")."""
        marker = "Sending due task "
        return Counter(
            line.split(marker, 1)[1].split(" ", 1)[0]
            for line in self.log.read_text(errors="replace").splitlines()
            if marker in line
        )


@contextmanager
def web_app(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[str]:
    cmd = [sys.executable, "-m", "uvicorn", "digest.web.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the web app did not start; see {log}") from None
                time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- the run --------------------------------------------------------------------------------------------


def _populate(url: str, subscribers: int, skills: dict[str, int], world: FeedWorld, seed: int) -> int:
    """Users across zones, send hours and cadences following 1-3 skills; feeds; 1% suppressed addresses."""
    rng = random.Random(seed)
    engine = make_engine(url)
    start = T0 - timedelta(days=1)
    slugs = list(skills)
    weights = [1 / (i + 1) for i in range(len(slugs))]
    users, subs, suppressed = [], [], []
    for u in range(1, subscribers + 1):
        users.append({"id": u, "email": f"user{u}@example.com", "timezone": rng.choice(ZONES),
                      "send_hour": rng.randrange(24), "weekday": 0, "alert_emails": False,
                      "created_at": start, "confirmed_at": start})  # fmt: skip
        cadence = rng.choices(["daily", "weekly", "hourly"], [80, 18, 2])[0]
        for slug in set(rng.choices(slugs, weights, k=rng.randint(1, 3))):
            subs.append({"user_id": u, "skill_id": skills[slug], "cadence": cadence, "status": "active",
                         "cursor": start, "created_at": start, "confirmed_at": start, "updated_at": start})  # fmt: skip
        if rng.random() < 0.01:
            suppressed.append({"email": f"user{u}@example.com", "reason": "bounce", "created_at": start})
    feeds = [{"url": world.url(k), "kind": FeedKind.news, "active": True, "created_at": start, "next_poll_at": T0}
             for k in range(world.n)]  # fmt: skip
    with session_factory(engine)() as session:
        for table, rows in ((User, users), (Subscription, subs), (Suppression, suppressed), (Feed, feeds)):
            for i in range(0, len(rows), 5000):
                session.execute(insert(table), rows[i : i + 5000])
        session.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"))
        session.commit()
    engine.dispose()
    return len(subs)


def _import_hn(url: str, shared: Path, now: datetime, workdir: Path) -> int:
    """The HN postings, through `digest import-jobs` (the same path an operator's backfill takes)."""
    env = digest_env(DIGEST_DATABASE_URL=url, DIGEST_DATA_DIR=str(workdir / "var"), DIGEST_SECRET_KEY="e2e-secret")
    cmd = [sys.executable, "-m", "digest.cli", "import-jobs", str(shared / "hn-whoishiring-2026q1"), "--format", "hn",
           "--json", "--no-detect", "--now", now.isoformat()]  # fmt: skip
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"import-jobs failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return int(result["added"])


class Driver:
    """Sends the tasks beat would send, with `now`, and waits until the broker holds no work."""

    def __init__(self, app: Any, rds: RedisServer, queues: dict[str, str], workers: list[Worker], beat: Beat) -> None:
        self.app, self.rds, self.queues, self.workers, self.beat = app, rds, queues, workers, beat

    def send(self, task: str, now: datetime) -> None:
        for attempt in range(50):
            try:
                self.app.send_task(f"workers.tasks.{task}", args=[now.isoformat()])
                return
            except Exception:  # the broker is restarting
                if attempt == 49:
                    raise
                time.sleep(0.2)

    def pending(self) -> int:
        try:
            r = redis.Redis.from_url(self.rds.url)
            return sum(int(r.llen(q)) for q in self.queues.values()) + int(r.hlen("unacked"))
        except redis.ConnectionError:
            return 1

    def drain(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 3:  # three quiet looks in a row: a task between dequeue and unacked is not missed
            for w in [*self.workers, self.beat]:  # a machine's supervisor restarts what died
                if not w.alive():
                    w.start()
            quiet = quiet + 1 if self.pending() == 0 else 0
            if time.monotonic() > deadline:
                raise RuntimeError(f"the queues did not drain in {timeout} s")
            time.sleep(0.1)

    def forget_orphans(self, worker: Worker) -> int:
        """A SIGKILLed worker's unacknowledged messages would come back after the visibility timeout (hours);
        drop them instead, as if the broker had lost them: the database's leases and sweepers must recover."""
        r = redis.Redis.from_url(self.rds.url)
        dropped = 0
        for tag, raw in r.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError):
                continue
            if routing_key in worker.queues:
                r.hdel("unacked", tag)
                r.zrem("unacked_index", tag)
                dropped += 1
        return dropped


def run(
    subscribers: int = 10_000,
    faults: Faults | None = None,
    feeds: int = 50,
    hours: int = 26,
    step_minutes: int = 30,
    seed: int = 11,
    import_hn: bool = True,
    workdir: Path | None = None,
    shared: Path | None = None,
    log: Callable[[str], None] = print,
) -> Report:
    faults = faults or Faults()
    rng = random.Random(seed)
    shared = shared or Path(os.environ.get("DIGEST_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not shared.is_dir():
        shared = Path("/work/shared/data")
    workdir = workdir or Path(tempfile.mkdtemp(prefix="digest-e2e-"))
    report = Report(subscribers=subscribers, feeds=feeds)
    started = time.perf_counter()
    admin = services.postgres_url()
    url = services.create_database(admin)
    counted: Counter[str] = Counter()
    with ExitStack() as stack:
        stack.callback(services.drop_database, admin, url)
        migrate(url)
        from digest.taxonomy.load import load_taxonomy

        engine = make_engine(url)
        with session_factory(engine)() as session:
            load_taxonomy(session)
            session.commit()
            skills = dict(session.execute(select(Skill.slug, Skill.id).where(Skill.slug.in_(SKILL_SLUGS))).all())
        engine.dispose()
        names = [s.replace("-", ".") for s in skills]
        server = stack.enter_context(FeedServer())
        world = FeedWorld(server, feeds, corpus_titles(shared), names, faults)
        n_subs = _populate(url, subscribers, skills, world, seed)
        report.hn_postings = _import_hn(url, shared, T0, workdir) if import_hn else 0
        log(f"setup: {subscribers:,} users, {n_subs:,} subscriptions, {len(skills)} skills, {feeds} feeds")

        fake = stack.enter_context(FakeSendGrid(hang=1.0).running())
        rds = RedisServer()
        rds.start()
        stack.callback(rds.stop)
        prefix = f"e2e{rng.randrange(10**6)}"
        env = digest_env(
            DIGEST_DATABASE_URL=url,
            DIGEST_BROKER_URL=rds.url,
            DIGEST_QUEUE_PREFIX=prefix,
            DIGEST_SECRET_KEY="e2e-secret",
            DIGEST_DATA_DIR=str(workdir / "var"),
            DIGEST_EMAIL_BACKEND="sendgrid",
            DIGEST_SENDGRID_API_KEY=fake.api_key,
            DIGEST_SENDGRID_HOST=fake.host,
            DIGEST_SENDGRID_TIMEOUT="5",
            DIGEST_SENDGRID_ACTIVITY_API="1",  # a retry asks the fake's Email Activity API before sending again
            DIGEST_SEND_BACKOFF_BASE="0.05",
            DIGEST_SEND_RETRY_MAX_WAIT="3",
            DIGEST_FEEDS_ALLOW_PRIVATE="1",
            DIGEST_FEED_TOTAL_TIMEOUT="1",
            DIGEST_FEED_READ_TIMEOUT="1",
            DIGEST_FEED_CONNECT_TIMEOUT="1",
            DIGEST_LOG_JSON="1",
        )
        from digest.config import Settings
        from workers.app import make_celery, queue_names

        worker_settings = Settings(**{k.removeprefix("DIGEST_").lower(): v for k, v in env.items()
                                      if k.startswith("DIGEST_")})  # fmt: skip
        queues = queue_names(worker_settings)
        workers = [
            Worker("polling", [queues["polling"]], env, workdir / "polling.log"),
            Worker("delivery", [queues["delivery"], queues["default"]], env, workdir / "delivery.log"),
        ]
        for w in workers:
            w.start()
            stack.callback(w.stop)
        beat = Beat(env, workdir / "beat.log")
        beat.start()
        stack.callback(beat.stop)
        beat_started = datetime.now(UTC)
        lock_key = f"{worker_settings.queue_prefix}:redbeat:lock"
        app = make_celery(worker_settings)
        driver = Driver(app, rds, queues, workers, beat)

        steps = hours * 60 // step_minutes
        report.steps = steps
        kill_steps = Counter(rng.randrange(1, steps) for _ in range(faults.kills))
        redis_step = rng.randrange(steps // 3, 2 * steps // 3) if faults.redis_restart else -1
        pg_step = rng.randrange(1, steps) if faults.pg_terminate else -1
        script_rng = random.Random(seed + 1)
        counted["redis_restarts"] = counted["pg_terminated"] = counted["sigkills"] = 0

        def refill_sendgrid_script() -> None:
            if len(fake.script) < 2000:
                fake.script += script_rng.choices(
                    ["500", "429", ""], [faults.sendgrid_500, faults.sendgrid_429,
                                         1 - faults.sendgrid_500 - faults.sendgrid_429], k=5000)  # fmt: skip

        backed_off: set[int] = set()
        failing_ids = {world.url(k) for k in range(feeds) if world.failing(k)}
        for step in range(steps + 1):
            now = T0 + timedelta(minutes=step * step_minutes)
            world.now = now
            fake.rate_limit_reset = now.timestamp()  # "retry now": the wait is the jitter, up to 1 s
            refill_sendgrid_script()
            for task in ("poll_due_feeds", "dispatch_due", "sweep"):
                driver.send(task, now)
            for _ in range(kill_steps.get(step, 0)):
                time.sleep(rng.uniform(0.05, 1.5))
                victim = rng.choice(workers)
                victim.kill()
                counted["sigkills"] += 1
                counted["orphaned_messages_dropped"] += driver.forget_orphans(victim)
                victim.start()
            if step == redis_step:
                time.sleep(rng.uniform(0.1, 1.0))
                rds.restart()
                counted["redis_restarts"] += 1
            if step == pg_step:
                time.sleep(rng.uniform(0.1, 1.0))
                counted["pg_terminated"] += _terminate_one_backend(admin, url)
            driver.drain()
            report.beat_lock_checks += 1
            report.beat_lock_held += _exists(rds, lock_key)
            backed_off |= _backed_off(url, failing_ids, now)
            if step % 8 == 0:
                log(f"  {now:%a %H:%M}: step {step}/{steps}, {time.perf_counter() - started:.0f} s")
        # settle: sweep past the stuck deadline and dispatch again until nothing is pending or sending
        end = T0 + timedelta(minutes=steps * step_minutes)
        for extra in range(1, 6):
            later = end + timedelta(minutes=15 * extra)
            world.now = later
            for task in ("sweep", "dispatch_due"):
                driver.send(task, later)
            driver.drain()
        report.beat_sent = dict(beat.sent())
        report.beat_starts = beat.starts
        report.beat_heartbeat_seen = _heartbeat_at(url, "beat", beat_started)
        counted.update({f"sendgrid_{k}": v for k, v in fake.faults.items()})
        report.faults = dict(counted)
        report.sendgrid_requests = fake.requests
        _count(report, url, fake, world, failing_ids, backed_off, end)

        with web_app(env, free_port(), 2, workdir / "web.log") as base:
            report.metrics_ok, report.pages_ok = _check_web(base)
    report.seconds = time.perf_counter() - started
    _capacity(workdir, report)
    log(f"logs in {workdir}")
    return report


def _exists(rds: RedisServer, key: str) -> bool:
    try:
        return bool(redis.Redis.from_url(rds.url).exists(key))
    except redis.ConnectionError:
        return False


def _heartbeat_at(url: str, name: str, since: datetime) -> bool:
    """Whether a worker recorded the heartbeat `name` at or after `since` (wall clock: beat's own tasks)."""
    from digest.health import heartbeats

    engine = make_engine(url)
    with session_factory(engine)() as session:
        at = heartbeats(session).get(name)
    engine.dispose()
    return at is not None and at >= since - timedelta(seconds=5)


def _terminate_one_backend(admin: str, url: str) -> int:
    from sqlalchemy.engine import make_url

    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        pid = conn.scalar(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() LIMIT 1"),
            {"db": make_url(url).database},
        )
        killed = bool(pid) and bool(conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}))
    engine.dispose()
    return int(killed)


def _backed_off(url: str, failing_urls: set[str], now: datetime) -> set[int]:
    """Failing feeds whose next poll was pushed beyond their normal interval by consecutive failures."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Feed.id, Feed.consecutive_failures, Feed.next_poll_at).where(Feed.url.in_(failing_urls))
        ).all()
    engine.dispose()
    return {fid for fid, failures, nxt in rows if failures >= 2 and nxt is not None and nxt > now}


def _count(
    report: Report, url: str, fake: FakeSendGrid, world: FeedWorld, failing_urls: set[str], backed_off: set[int],
    end: datetime,
) -> None:  # fmt: skip
    from digest.accounts.slots import Prefs, previous_due
    from digest.store.models import Cadence

    engine = make_engine(url)
    accepted = fake.delivery_ids()
    with session_factory(engine)() as session:
        rows = session.execute(select(Delivery.id, Delivery.status, Delivery.user_id).where(Delivery.kind == "digest"))
        by_status: Counter[str] = Counter()
        due_ids: set[str] = set()
        users_delivered: set[int] = set()
        for did, status, uid in rows:
            by_status[str(status)] += 1
            users_delivered.add(uid)
            if str(status) != "empty":
                due_ids.add(str(did))
        report.due = len(due_ids)
        report.empty = by_status["empty"]
        report.failed = by_status["failed"]
        report.delivered = sum(1 for d in due_ids if accepted[d] >= 1)
        report.lost = report.due - report.delivered - report.failed
        report.duplicated = sum(n - 1 for n in accepted.values() if n > 1)
        report.duplicate_ids = sorted(d for d, n in accepted.items() if n > 1)
        report.resent_as_new_message = sum(1 for ids in fake.message_ids().values() if len(ids) > 1)
        # every user with an active subscription and a due window by the end has at least one ledger row
        suppressed = set(session.scalars(select(Suppression.email)))
        prefs = session.execute(
            select(User.id, User.email, User.timezone, User.send_hour, User.weekday, Subscription.cadence)
            .join(Subscription, Subscription.user_id == User.id)
            .distinct()
        ).all()
        t_start = T0 - timedelta(days=1)
        missing = set()
        for uid, email, tz, hour, weekday, cadence in prefs:
            if email in suppressed or uid in users_delivered:
                continue
            if (
                previous_due(Prefs(cadence=Cadence(cadence), timezone=tz, send_hour=hour, weekday=weekday), end)
                > t_start
            ):
                missing.add(uid)
        report.unaccounted_users = len(missing)

        feeds = {f.url: f for f in session.scalars(select(Feed))}
        identities = Counter(
            session.execute(select(ItemSource.feed_id, Item.url).join(Item, Item.id == ItemSource.item_id)).all()
        )
        for k in range(world.n):
            feed = feeds[world.url(k)]
            stored = {u: n for (fid, u), n in identities.items() if fid == feed.id}
            expected = {world.item(k, i)[1] for i in range(world.count(k, end))}
            if world.url(k) in failing_urls:
                report.failing_feeds += 1
                report.failing_backed_off += feed.id in backed_off
                recovered = feed.consecutive_failures == 0 and feed.last_ok_at is not None
                report.failing_recovered += recovered and expected <= set(stored)
                continue
            report.healthy_feeds += 1
            report.healthy_items_expected += len(expected)
            report.healthy_items_stored += len(expected & set(stored))
            report.healthy_items_duplicated += sum(n - 1 for n in stored.values() if n > 1)
        matched = session.scalar(select(func.count(func.distinct(ItemSkill.item_id))))
        report.notes.append(f"items matched to a skill: {matched:,}")
    engine.dispose()


def busy_seconds(log: Path) -> dict[str, tuple[int, float]]:
    """Per task name: how many succeeded and the seconds they took, from a worker's JSON log."""
    out: dict[str, tuple[int, float]] = {}
    for line in log.read_text(errors="replace").splitlines():
        if "succeeded in" not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        name = str(record.get("task", "?")).rsplit(".", 1)[-1]
        seconds = float(record["message"].split("succeeded in ", 1)[1].split("s:", 1)[0])
        n, total = out.get(name, (0, 0.0))
        out[name] = (n + 1, total + seconds)
    return out


def _capacity(workdir: Path, report: Report) -> None:
    polls = busy_seconds(workdir / "polling.log").get("poll_feed", (0, 0.0))
    batches = busy_seconds(workdir / "delivery.log").get("deliver_batch", (0, 0.0))
    if polls[0]:
        rate = polls[0] / polls[1]
        report.notes.append(f"polling: {polls[0]:,} polls in {polls[1]:.1f} busy s = {rate:.0f} polls per busy "
                            "second of one worker process (local feeds; failing ones time out after 1 s)")  # fmt: skip
    if batches[0]:
        report.notes.append(f"delivery: {batches[0]:,} batches in {batches[1]:.1f} busy s; "
                            f"{(report.delivered + report.empty) / batches[1]:.0f} digests (sent or empty) per busy "
                            "second of one worker process, incl. 429/500 retry waits")  # fmt: skip


def _check_web(base: str) -> tuple[bool, bool]:
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        body = r.read().decode()
    metrics_ok = "digest_deliveries" in body and "digest_digest_lag_seconds_bucket" in body
    pages_ok = True
    for path in ("/healthz", "/"):
        try:
            with urllib.request.urlopen(base + path, timeout=10) as r:
                pages_ok &= r.status == 200
        except OSError:
            pages_ok = False
    return metrics_ok, pages_ok


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("subscribers", nargs="?", type=int, default=10_000)
    p.add_argument("--feeds", type=int, default=50)
    p.add_argument("--hours", type=int, default=26)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--smoke", action="store_true", help="100 subscribers, 6 feeds, 3 hours, 1 kill, no HN import")
    args = p.parse_args()
    if args.smoke:
        faults = Faults(kills=1, redis_restart=False, timeout_feeds=1, garbage_feeds=1, bad_until=timedelta(hours=1))
        report = run(100, faults, feeds=6, hours=3, seed=args.seed, import_hn=False)
    else:
        report = run(args.subscribers, Faults(kills=args.kills), feeds=args.feeds, hours=args.hours, seed=args.seed)
    print("\n".join(report.lines()))
    sys.exit(0 if report.promises_kept else 1)


if __name__ == "__main__":
    main()
