"""The `digest` command (Typer). Errors go to stderr: exit 1 for bad input, 2 for usage."""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from digest import clock

if TYPE_CHECKING:
    from digest.config import Settings

# Library modules are imported inside the commands that use them, never here: `digest --help` and a command
# that has nothing to do load no more than they need (tests/test_imports.py holds it).


@atexit.register
def _exit() -> None:
    """Python ends with a full collection over every object still alive, some 300,000 after a command's imports,
    that frees nothing the exit does not: 0.1-0.17 s of CPU, a fifth of a command with nothing to do. They are
    frozen out of its sight. That collection also closed the database connections (held in reference cycles),
    so they are closed here first: SQLite then folds its WAL into the database file, as before."""
    engine = sys.modules.get("digest.store.engine")  # not imported for a command that had no database to open
    if engine is not None:
        engine.close_engines()
    gc.freeze()


class _Digest(typer.Typer):
    """The `digest` command (the console script calls this object): a database that is missing or unreachable
    ends it with one line, not a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            database_failure(exc)
            raise


app = _Digest(help="Skill digests and alerts from job and news feeds.", no_args_is_help=True, add_completion=False)
feeds_app = typer.Typer(help="Manage the polled feeds (admin).", no_args_is_help=True)
skills_app = typer.Typer(help="The skill taxonomy.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
app.add_typer(skills_app, name="skills")


@app.callback()
def _command(ctx: typer.Context) -> None:
    # A command is a short process whose imports and work leave ~300,000 objects alive until its exit and
    # almost no garbage in reference cycles (under 1,000 objects in each of feeds add, poll and send-due, ~80 a
    # polled feed); the cyclic collector, triggered by those allocations, scanned them again and again for
    # nothing: 0.04-0.13 s of CPU a command, a tenth of it. It is paused for the command and resumed after it
    # (for an in-process caller); a command that runs long or whose work grows with the data resumes it itself.
    # Not with collector.paused: after it the next collection scans all the block made, here everything
    # (~0.09 s of the peer bench's three commands); collector.resume moves it out of that scan.
    if gc.isenabled():
        from digest.collector import resume

        gc.disable()
        ctx.call_on_close(resume)


def _collect_as_usual() -> None:
    """For a command that runs long (the web server) or whose work grows with the data (an import, a relink)."""
    from digest.collector import resume

    resume()


NowOption = typer.Option(None, "--now", help="ISO 8601 instant to act at, naive means UTC (default: the real clock)")
NOW_RANGE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC))  # the calendar's ends overflow
JsonOption = typer.Option(False, "--json", help="print JSON for machines")


def settings_or_exit() -> Settings:
    """The settings, or a clear message and exit 2 (digest.config imports pydantic: 0.1 s, so on demand)."""
    from digest.config import settings_or_exit as load

    return load()


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"digest: {message}", err=True)
    raise typer.Exit(code)


def parse_now(value: str | None) -> datetime:
    try:
        moment = clock.parse_now(value)
    except (ValueError, OverflowError):  # overflow: an offset that moves 0001-01-01 or 9999-12-31 off the calendar
        fail(f"--now: not an ISO 8601 date-time: {value!r}", 2)
    if not NOW_RANGE[0] <= moment < NOW_RANGE[1]:
        fail(f"--now: {value!r} is out of range (years {NOW_RANGE[0].year} to {NOW_RANGE[1].year - 1})", 2)
    return moment


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=_json_value, ensure_ascii=False))


def _json_value(value: Any) -> str:
    """Dates and times in ISO 8601 ('2026-12-08T00:30:00+00:00', as --now takes them); anything else as text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# --- foundation -----------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Migrate the database to head and load the bundled taxonomy and default feeds (idempotent)."""
    settings = settings_or_exit()
    from digest.config import private_dir
    from digest.store.engine import migrate

    try:
        private_dir(settings.data_dir, narrow=True)  # keys, database, outbox: see docs/security.md
    except OSError as exc:
        fail(f"DIGEST_DATA_DIR: cannot make the folder {settings.data_dir}: {exc.strerror or exc}")
    migrate(settings.db_url)
    typer.echo(f"database ready: {_safe_url(settings.db_url)}")
    for step in INIT_STEPS:
        typer.echo(step(settings))


# Each area appends a loader (settings) -> one-line summary, run by `digest init` after migrating.
INIT_STEPS: list[Any] = []


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port")) -> None:
    """Run the web app alone (uvicorn).

    Links in emails point at --host/--port unless DIGEST_BASE_URL is set.
    Sign-up and sign-in emails are sent by a Celery worker (`digest run` starts one beside the web)."""
    from digest.config import derive_base_url, record_base_url

    base_url, derived = derive_base_url(host, port)
    _say_base_url(base_url, derived, host)
    record_base_url(settings_or_exit())
    _collect_as_usual()
    import uvicorn

    # proxy headers are the app's business (DIGEST_TRUSTED_PROXIES): uvicorn's own default trusts loopback
    uvicorn.run("digest.web.app:create_app", factory=True, host=host, port=port, log_level="info", proxy_headers=False)


@app.command()
def run(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port")) -> None:
    """The main job on the embedded default: web app, one worker and beat; Ctrl-C stops them all.

    Links in emails point at --host/--port unless DIGEST_BASE_URL is set."""
    from digest.config import derive_base_url, record_base_url

    base_url, derived = derive_base_url(host, port)
    settings = settings_or_exit()
    record_base_url(settings)
    from digest.store.engine import migrate

    migrate(settings.db_url)
    children = _start_children(settings, host, port)
    typer.echo(f"digest is running: {base_url}/")
    _say_base_url(base_url, derived, host)
    if settings.email_backend == "file":
        outbox = f"{base_url}/outbox?key={settings.outbox_key}"
        typer.echo(f"emails are written to {settings.outbox_dir} (and shown, to you only, at {outbox})")
    typer.echo("press Ctrl-C to stop")
    _supervise(children)


def _say_base_url(base_url: str, derived: bool, host: str) -> None:
    how = "from --host/--port; set DIGEST_BASE_URL to change it" if derived else "DIGEST_BASE_URL"
    typer.echo(f"links in emails point at {base_url} ({how})")
    if derived and host in ("0.0.0.0", "::", "[::]"):
        typer.echo("listening on every interface: set DIGEST_BASE_URL to the address people reach", err=True)


def _start_children(settings: Settings, host: str, port: int) -> dict[str, subprocess.Popen[bytes]]:
    from workers.app import ensure_broker_dirs, queue_names

    ensure_broker_dirs(settings)
    settings.secret  # noqa: B018 - generate the key once, before children race for it
    queues = ",".join(queue_names(settings).values())
    celery = [sys.executable, "-m", "celery", "-A", "workers.app"]
    cmds = {
        # uvicorn itself: `run` has derived the base URL into the environment and said so already
        "web": [
            sys.executable,
            "-m",
            "uvicorn",
            "digest.web.app:create_app",
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "info",
        ],
        "worker": [
            *celery,
            "worker",
            "-Q",
            queues,
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "-n",
            f"digest-{os.getpid()}@%h",
        ],
        "beat": [*celery, "beat", "--loglevel", "INFO"],
    }
    env = {**os.environ, "DIGEST_DATA_DIR": str(settings.data_dir)}
    # own process groups: Ctrl-C reaches us only, and we stop the children in order
    return {name: subprocess.Popen(cmd, env=env, start_new_session=True) for name, cmd in cmds.items()}


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> None:
    stopping = False

    def _stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                typer.echo(f"digest: {name} exited with status {proc.returncode}; stopping", err=True)
                stopping, exit_code = True, 1
                break
        time.sleep(0.5)
    typer.echo("stopping web, worker and beat ...")
    _stop_children(children)
    raise typer.Exit(exit_code)


def _stop_children(children: dict[str, subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    # TERM the leaders only (celery's warm shutdown stops its own pool), then KILL what is left
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # stray grandchildren of a crashed leader


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- feeds (feed ingestion) -----------------------------------------------------------------------


@feeds_app.command("add")
def feeds_add(
    url: str = typer.Argument(..., help="the feed's http(s) URL"),
    kind: str = typer.Option("news", "--kind", help="news or jobs"),
    now: str | None = NowOption,
) -> None:
    """Add a feed; it is polled at the next `digest poll` (or by the worker)."""
    settings = settings_or_exit()
    from digest.sources.manage import FeedInputError, add_feed
    from digest.store.engine import session_scope
    from digest.store.models import FeedKind

    if kind not in ("news", "jobs"):
        fail(f"--kind: must be news or jobs, not {kind!r}", 2)
    moment = parse_now(now)
    try:
        with session_scope() as session:
            feed, created = add_feed(session, url, FeedKind(kind), moment, allow_private=settings.feeds_allow_private)
            fid, furl = feed.id, feed.url
    except FeedInputError as exc:
        fail(str(exc))
    typer.echo(f"{'added' if created else 'already present'}: feed {fid} {furl}")


@feeds_app.command("list")
def feeds_list(as_json: bool = JsonOption, now: str | None = NowOption) -> None:
    """Every feed with its health, last error and next poll."""
    settings = settings_or_exit()
    from digest.ingest.poll import health
    from digest.sources.manage import list_feeds
    from digest.store.engine import session_scope

    moment = parse_now(now)
    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": f.id,
                "kind": f.kind.value,
                "url": f.url,
                "title": f.title,
                "health": health(f, moment, settings),
                "consecutive_failures": f.consecutive_failures,
                "failing_since": f.failing_since,
                "last_ok_at": f.last_ok_at,
                "last_status": f.last_status,
                "last_error": f.last_error,
                "bozo_reason": f.bozo_reason,
                "next_poll_at": f.next_poll_at,
                "deactivated_reason": f.deactivated_reason,
            }
            for f in list_feeds(session)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no feeds; add one with `digest feeds add URL --kind news|jobs` or run `digest init`")
        return
    for r in rows:
        nxt = r["next_poll_at"].isoformat(timespec="minutes") if r["next_poll_at"] else "-"
        typer.echo(f"{r['id']:>4}  {r['kind']:<4}  {r['health']:<8}  next {nxt}  {r['url']}")
        if r["last_error"] and r["health"] != "ok":
            typer.echo(f"      last error: {r['last_error'][:200]}")
        if r["deactivated_reason"]:
            typer.echo(f"      inactive: {r['deactivated_reason']}")


@feeds_app.command("remove")
def feeds_remove(ref: str = typer.Argument(..., help="the feed's id or URL")) -> None:
    """Remove a feed (its items stay)."""
    settings_or_exit()
    from digest.sources.manage import find_feed, remove_feed
    from digest.store.engine import session_scope

    with session_scope() as session:
        feed = find_feed(session, ref)
        if feed is None:
            fail(f"no such feed: {ref}")
        url = feed.url
        remove_feed(session, feed)
    typer.echo(f"removed: {url}")


@app.command()
def poll(now: str | None = NowOption, as_json: bool = JsonOption) -> None:
    """Poll every due feed once, synchronously, and print a summary."""
    settings = settings_or_exit()
    from digest.ingest.poll import poll_due
    from digest.store.engine import session_factory

    summary = poll_due(session_factory(), parse_now(now), settings)
    if as_json:
        print_json({**summary.as_dict(), "feeds_detail": [o.__dict__ for o in summary.outcomes]})
        return
    for o in summary.outcomes:
        if o.status in ("failed", "gone"):
            typer.echo(f"  {o.status}: feed {o.feed_id} {o.url}: {o.error}", err=True)
    c = summary.as_dict()
    typer.echo(
        f"polled {c['feeds']} feeds: {c['ok']} ok, {c['not_modified']} not modified, "
        f"{c['failed']} failed, {c['new_items']} new items"
    )


def _load_default_feeds(settings: Settings) -> str:
    from digest.sources.manage import load_default_feeds
    from digest.store.engine import session_scope

    with session_scope() as session:
        added, total = load_default_feeds(session, clock.utcnow())
    return f"default feeds: {added} added, {total - added} already present"


INIT_STEPS.append(_load_default_feeds)


# --- taxonomy -------------------------------------------------------------------------------------


def _load_taxonomy_step(settings: Settings) -> str:
    from digest.store.engine import session_scope
    from digest.taxonomy.load import load_taxonomy

    with session_scope() as session:
        return load_taxonomy(session)


INIT_STEPS.append(_load_taxonomy_step)


def _matcher_step(settings: Settings) -> str:
    """The matcher built once here and kept in DATA_DIR, so that the commands after load it (~0.1 s less each)."""
    from digest.taxonomy.matcher import get_matcher

    return f"matcher: {len(get_matcher().aliases):,} aliases, kept in {settings.cache_dir}"


INIT_STEPS.append(_matcher_step)


def _count_pending_step(settings: Settings) -> str:
    """Postings a migration or a crash left pending are counted into the demand figures."""
    from digest.demand.rollups import fold
    from digest.store.engine import session_scope

    with session_scope() as session:
        folded = fold(session)
    return f"demand figures: {folded.postings:,} pending postings counted"


INIT_STEPS.append(_count_pending_step)


@skills_app.command("resolve")
def skills_resolve(
    text: str = typer.Argument(..., help="text to find skills in (a posting, a headline, or one skill name)"),
    as_json: bool = JsonOption,
) -> None:
    """Canonical skills found in TEXT, each with the words that matched (with your own skills, once imported)."""
    from digest.taxonomy.local import matcher_for

    matcher = matcher_for(_operator_skills())
    matches = matcher.match(text)
    if as_json:
        print_json(
            [{"skill": m.slug, "name": m.name, "alias": m.alias, "start": m.start, "end": m.end} for m in matches]
        )
        return
    if not matches:
        close = matcher.closest(text)
        hint = "; did you mean: " + ", ".join(f"{s.name} ({s.slug})" for s in close) + "?" if close else ""
        shown = text if len(text) <= 60 else text[:59] + "…"
        fail(f"no known skill in {shown!r}{hint}")
    for m in matches:
        typer.echo(f"{m.slug}\t{m.name}\t{m.alias!r} at {m.start}-{m.end}")


def _operator_skills() -> Any:
    """The operator's own skills and aliases (`digest skills import`) where a database holds them, as the poll
    and the import match with; none before `digest init` or without settings (the bundled taxonomy alone)."""
    from sqlalchemy.exc import SQLAlchemyError

    from digest.config import ConfigError, get_settings

    try:
        settings = get_settings()
    except ConfigError:
        return ()
    if not settings.database_url and not settings.sqlite_file.exists():
        return ()  # not made yet: resolving needs no database (and opening one would create the file)
    from digest.store.engine import session_scope
    from digest.taxonomy.local import local_rows

    try:
        with session_scope() as session:
            return local_rows(session)
    except SQLAlchemyError:  # no tables yet, or no server: the bundled taxonomy still answers
        return ()


@skills_app.command("list")
def skills_list(
    as_json: bool = JsonOption,
    hot: bool = typer.Option(False, "--hot", help="only O*NET Hot Technologies"),
    category: str | None = typer.Option(None, "--category", help="only skills of this category"),
) -> None:
    """All skills in the database (loaded by `digest init`): slug, name and the aliases that are shown."""
    settings_or_exit()
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from digest.store.engine import session_scope
    from digest.store.models import AliasKind, Skill

    with session_scope() as session:
        query = select(Skill).options(selectinload(Skill.aliases)).order_by(Skill.slug)
        if hot:
            query = query.where(Skill.hot.is_(True))
        if category:
            query = query.where(func.lower(Skill.category) == category.lower())
        rows: list[dict[str, Any]] = [
            {
                "skill": s.slug,
                "name": s.name,
                "category": s.category,
                "hot": s.hot,
                "weak": s.weak,
                "kind": s.kind,
                "aliases": sorted({a.alias for a in s.aliases if a.kind != AliasKind.hidden}),
            }
            for s in session.scalars(query)
        ]
    if not rows and not hot and not category:
        fail("no skills loaded: run `digest init`")
    if not rows and category:  # a category no skill has (misspelt, or its case): say so, and the nearest
        with session_scope() as session:
            names = {c.lower(): c for c in session.scalars(select(Skill.category).distinct()) if c}
        import difflib

        close = difflib.get_close_matches(category.lower(), list(names), n=3, cutoff=0.5)
        hint = "; did you mean: " + ", ".join(repr(names[c]) for c in close) + "?" if close else ""
        fail(f"no{' hot' if hot else ''} skill has the category {category[:60]!r}{hint}")
    if as_json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['skill']}\t{r['name']}\t{', '.join(r['aliases'])}")


@skills_app.command("relink")
def skills_relink(
    since: str | None = typer.Option(None, "--since", help="only items ingested on or after this date (YYYY-MM-DD)"),
    now: str | None = NowOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-resolve stored items after a taxonomy or matcher change; the demand figures follow exactly."""
    settings_or_exit()
    moment = parse_now(now)
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since: not an ISO date (YYYY-MM-DD): {since!r}", 2)
    _relink(moment, day, as_json)


def _relink(moment: datetime, day: date | None, as_json: bool) -> None:
    """Run `digest skills relink` with its progress bar and print what it did."""
    _collect_as_usual()
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from digest.ingest.relink import RelinkResult, relink
    from digest.store.engine import session_scope

    columns = (
        TextColumn("[bold]relinking[/bold]"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_stderr_console(), transient=as_json) as bar:
        task = bar.add_task("relink", total=None, counts="")

        def report(done: int, total: int, r: RelinkResult) -> None:
            counts = f"{done:,} of {total:,} items, {r.skills_changed:,} with other skills"
            bar.update(task, completed=done, total=total, counts=counts)

        with session_scope() as session:
            result = relink(session, moment, day, progress=report)
    if as_json:
        print_json(result.__dict__)
        return
    typer.echo(
        f"{result.items:,} items re-resolved: {result.skills_changed:,} with other skills, {result.changed:,} "
        f"rewritten, {result.postings_changed:,} postings re-counted, {result.details:,} job details filled in"
    )


@skills_app.command("import")
def skills_import(
    file: Path = typer.Argument(..., help="a JSON file of your own skills and aliases"),
    then_relink: bool = typer.Option(
        False, "--relink", help="then re-resolve stored items with them (what `digest skills relink` does)"
    ),
    now: str | None = NowOption,
) -> None:
    """Add your own skills and aliases (validated; an alias that names another skill is an error naming both).

    Stored items follow with --relink (or a later `digest skills relink`). Format: docs/taxonomy.md."""
    settings_or_exit()
    from digest.store.engine import session_scope
    from digest.taxonomy.local import RELINK_HINT, ImportError_, import_file

    moment = parse_now(now)
    try:
        with session_scope() as session:
            summary = import_file(session, file)
    except ImportError_ as exc:
        fail(f"not imported: {exc}")
    if not then_relink:
        typer.echo(summary)
        return
    typer.echo(summary.replace(RELINK_HINT, "relinking stored items"))
    _relink(moment, None, as_json=False)


# --- jobs index and demand ------------------------------------------------------------------------
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402


def _as_of(value: str | None, now: datetime) -> date:
    if value is None:
        return now.date()
    from digest.demand.dates import BadAsOf, check_as_of

    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of: not an ISO date (YYYY-MM-DD): {value!r}", 2)
    try:
        return check_as_of(day, now.date())
    except BadAsOf as exc:
        fail(f"--as-of: {exc}")


@app.command("import-jobs")
def import_jobs(
    file: Path = typer.Argument(..., help="postings file: CSV with a header, JSON Lines, or an HN dump"),
    fmt: str | None = typer.Option(None, "--format", help="csv, jsonl or hn (default: from the file name)"),
    now: str | None = NowOption,
    as_json: bool = JsonOption,
    detect: bool = typer.Option(True, "--detect/--no-detect", help="run shift detection after the import"),
) -> None:
    """Bulk-load job postings (backfill) with a progress bar; the same file twice adds nothing."""
    _collect_as_usual()
    settings = settings_or_exit()
    from digest.demand.freshness import freshness_words
    from digest.ingest.imports import source_key_for
    from digest.ingest.jobs_import import import_jobs as run_import
    from digest.sources import jobfile

    moment = parse_now(now)
    fmt = fmt or jobfile.guess_format(file)
    if fmt not in jobfile.FORMATS:
        fail(f"--format: {fmt!r} is not one of {', '.join(jobfile.FORMATS)}", 2)
    if not file.exists():
        fail(f"{file}: no such file")
    size = max(1, sum(f.stat().st_size for f in file.rglob("raw.json")) if file.is_dir() else file.stat().st_size)
    try:
        rows, bytes_read = jobfile.open_rows(file, fmt)
        bar = _ImportBar(file.name, size, bytes_read, transient=as_json)
        with bar:
            done = run_import(
                rows,
                source_key_for(file),
                moment,
                match_processes=settings.import_match_processes,
                detect=detect,
                progress=bar.report,
                counting=bar.counting,
                stored=bar.stored,
            )
    except jobfile.ImportFormatError as exc:
        fail(f"{file}: {exc}")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text ({exc.reason})")
    except json.JSONDecodeError as exc:
        fail(f"{file}: not JSON: {exc.msg}")
    result, fresh, elapsed = done.result, done.freshness, bar.elapsed
    if as_json:
        print_json(_import_summary(file, fmt, done, elapsed))
    else:
        typer.echo(
            f"{result.read:,} rows read: {result.added:,} new postings, {result.duplicates:,} already known, "
            f"{len(result.errors):,} bad rows skipped ({result.read / max(elapsed, 1e-6):,.0f} rows/s)"
        )
        typer.echo(freshness_words(fresh))
        if fresh.empty and fresh.newest_day:
            day = fresh.newest_day.isoformat()
            typer.echo(f"  a skill's figures as of that day: {settings.base_url}/skills/<skill>?as_of={day}")
    if result.errors and len(result.errors) == result.read:  # bad input, not an import that worked
        fail(
            f"{file}: every one of its {result.read:,} rows is bad; is it {fmt}? (--format {'|'.join(jobfile.FORMATS)})"
        )


SKIPPED_SHOWN = 100  # bad rows import-jobs names one by one on stderr


class _ImportBar:
    """import-jobs' progress bar on stderr: bytes read, counts and bad rows as they come; it and the import's
    clock stop when the rows are stored, before the window moves and shifts are detected."""

    def __init__(self, name: str, size: int, bytes_read: Any, transient: bool) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn("[bold]importing[/bold]"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
        )
        self.name, self.size, self.bytes_read = name, size, bytes_read
        self.started, self.shown, self.elapsed = time.monotonic(), 0, 0.0
        self.bar = Progress(*columns, console=_stderr_console(), transient=transient)
        self.task = self.bar.add_task("import", total=size, counts="")

    def __enter__(self) -> _ImportBar:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.elapsed:  # the import failed: stopped here, and the bar goes, leaving the error its one line
            self.bar.live.transient = True
            self.bar.live.stop()  # not Progress.stop: it ends with an empty line where stderr is no terminal

    def report(self, r: Any) -> None:
        for err in r.errors[self.shown : SKIPPED_SHOWN]:
            # soft_wrap: one line each, however narrow the terminal or a log file's 80 columns
            self.bar.console.print(f"[yellow]skipped[/yellow] {self.name} {err}", highlight=False, soft_wrap=True)
        if self.shown <= SKIPPED_SHOWN < len(r.errors):  # a wrong format makes every row bad: a screen is enough
            more = "more bad rows are counted, not shown here (--json lists every one)"
            self.bar.console.print(f"[yellow]skipped[/yellow] {self.name}: {more}", highlight=False, soft_wrap=True)
        self.shown = len(r.errors)
        rate = r.read / max(time.monotonic() - self.started, 1e-6)
        counts = f"{r.read:,} read, {r.added:,} new, {r.duplicates:,} already known, {len(r.errors):,} bad"
        self.bar.update(self.task, completed=self.bytes_read(), counts=f"{counts} ({rate:,.0f}/s)")

    def counting(self, pending: int) -> None:
        self.bar.update(self.task, completed=self.size)
        self.bar.console.print(f"counting {pending:,} new postings into the demand figures ...", highlight=False)

    def stored(self, _: Any) -> None:
        self.bar.update(self.task, completed=self.size)
        self.bar.stop()
        self.elapsed = time.monotonic() - self.started


def _import_summary(file: Path, fmt: str, done: Any, elapsed: float) -> dict[str, Any]:
    """import-jobs --json: what was read, added and skipped, the shift detection run, the window."""
    result, fresh = done.result, done.freshness
    summary: dict[str, Any] = {
        "file": str(file),
        "format": fmt,
        "read": result.read,
        "added": result.added,
        "duplicates": result.duplicates,
        "bad_rows": [{"line": e.line, "error": e.message} for e in result.errors],
        "seconds": round(elapsed, 2),
    }
    if done.shifts is not None:
        summary["shift_detection"] = {
            "week_start": done.shifts.week_start.isoformat(),
            "opened": len(done.shifts.opened),
        }
    summary["window"] = {
        "as_of": fresh.as_of.isoformat(),
        "days": fresh.window_days,
        "postings": fresh.window_postings,
        "newest_day": fresh.newest_day.isoformat() if fresh.newest_day else None,
    }
    return summary


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _resolve_skill_or_fail(session: Any, query: str) -> Any:
    from digest.taxonomy.resolve import UnknownSkill, resolve_skill

    try:
        return resolve_skill(session, query)
    except UnknownSkill as exc:
        fail(str(exc))


@app.command()
def stats(
    skill: str = typer.Argument(..., help="a slug, a name or any alias"),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date (default: today, UTC)"),
    now: str | None = NowOption,
    as_json: bool = JsonOption,
) -> None:
    """The skill's demand figures: postings in 90 days, change vs the prior 4 weeks, titles, metros."""
    settings_or_exit()
    from digest.demand.figures import demand_figures
    from digest.demand.text import figures_text
    from digest.store.engine import session_scope

    day = _as_of(as_of, parse_now(now))
    with session_scope() as session:
        found = _resolve_skill_or_fail(session, skill)
        figures = demand_figures(session, found, day)
    if as_json:
        print_json(figures)
    else:
        typer.echo(figures_text(figures))


@app.command()
def shifts(
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date (default: today, UTC)"),
    now: str | None = NowOption,
    as_json: bool = JsonOption,
) -> None:
    """Detected demand shifts: open alerts and skills whose change passed every gate this week."""
    settings_or_exit()
    from sqlalchemy import func, select

    from digest.demand.shifts import evaluation_week, list_shifts, run_detection
    from digest.demand.text import shifts_text
    from digest.store.engine import session_scope
    from digest.store.models import ShiftEvaluation

    moment = parse_now(now)
    day = _as_of(as_of, moment)
    with session_scope() as session:
        week = evaluation_week(day)
        if not session.scalar(select(func.count()).where(ShiftEvaluation.week_start == week)):
            run_detection(session, moment, day)  # never evaluated (e.g. right after a backfill)
        rows = list_shifts(session, day)
    if as_json:
        print_json({"as_of": day.isoformat(), "week_start": week.isoformat(), "shifts": rows})
    else:
        typer.echo(shifts_text(day, week, rows))


# --- subscriptions --------------------------------------------------------------------------------


@app.command("subscribe")
def subscribe_command(
    email: str = typer.Argument(..., help="the subscriber's address"),
    skill: str = typer.Argument(..., help="a skill slug, name or alias"),
    cadence: str = typer.Option("daily", "--cadence", help="hourly, daily or weekly"),
    confirmed: bool = typer.Option(False, "--confirmed", help="skip double opt-in (admin: consent obtained elsewhere)"),
    more_skills: list[str] = typer.Option([], "--skill", help="another skill the search follows (repeatable)"),
    all_skills: bool = typer.Option(False, "--all-skills", help="items must mention all the skills, not any"),
    kind: str = typer.Option("both", "--kind", help="news, jobs or both"),
    remote: str = typer.Option("any", "--remote", help="only (remote postings) or exclude (on-site/hybrid)"),
    metros: list[str] = typer.Option([], "--metro", help="postings in this metro (repeatable: any of them)"),
    or_remote: bool = typer.Option(False, "--or-remote", help="with --metro: remote postings from anywhere too"),
    seniority: list[str] = typer.Option([], "--seniority", help="intern, junior, mid, senior, staff or lead"),
    min_salary: int | None = typer.Option(None, "--min-salary", help="a year, in --currency"),
    currency: str | None = typer.Option(None, "--currency", help="the minimum salary's currency (EUR, USD, ...)"),
    drop_unsalaried: bool = typer.Option(
        False, "--drop-unsalaried", help="with --min-salary: drop postings stating no salary in that currency"
    ),
    exclude_companies: list[str] = typer.Option([], "--exclude-company", help="never this employer (repeatable)"),
    exclude_words: list[str] = typer.Option([], "--exclude-word", help="never items with this word (repeatable)"),
    now_opt: str | None = NowOption,
    as_json: bool = JsonOption,
) -> None:
    """Admin path to a subscription, following SKILL and the search's filters.

    Job filters apply to postings; news ignores them. Without --confirmed a confirmation email is sent, as on
    the web. An active subscription with --confirmed takes the new search: its window carries on, nothing sent
    is sent again."""
    settings = settings_or_exit()
    now = parse_now(now_opt)
    from digest.accounts import subscriptions as subs
    from digest.accounts.inputs import BadInput
    from digest.accounts.people import is_blocked
    from digest.accounts.search_input import SearchInput, description
    from digest.store.engine import session_scope
    from digest.store.models import Subscription, SubscriptionStatus
    from digest.taxonomy.resolve import UnknownSkill

    search = SearchInput(
        skills=more_skills,
        all_skills=all_skills,
        kind=kind,
        remote=remote,
        metros=metros,
        or_remote=or_remote,
        seniority=seniority,
        min_salary=min_salary,
        currency=currency,
        drop_unsalaried=drop_unsalaried,
        exclude_companies=exclude_companies,
        exclude_words=exclude_words,
    )
    try:
        with session_scope() as session:
            outcome = subs.subscribe(session, settings, email, skill, cadence, now, confirmed=confirmed, search=search)
            row = session.get(Subscription, outcome.subscription_id)
            assert row is not None
            result = {
                "email": row.user.email,
                "skill": outcome.skill.slug,
                "search": description(session, row.skill_id, row.search),
                "search_json": row.search,
                "cadence": row.cadence.value,
                "status": row.status.value,
                "confirmation_sent": False,
                "subscription_id": row.id,
            }
            suppressed = is_blocked(session, row.user)
            filtered = row.search is not None
    except (BadInput, UnknownSkill) as exc:
        fail(str(exc))
    if outcome.email_id is not None:  # this process is the worker here: the email goes out before we answer
        from digest.delivery.context import Context
        from digest.delivery.signups import SIGNUP_SENT, deliver_signups

        with session_scope() as session:
            sent = deliver_signups(session, Context.for_settings(settings), [outcome.email_id], now)
        result["confirmation_sent"] = sent[SIGNUP_SENT] > 0
    if as_json:
        print_json(result)
        return
    what = f"{result['email']}: {result['cadence']} digest of {result['skill']} is {result['status']}"
    if result["status"] == SubscriptionStatus.pending.value:
        what += " (confirmation email sent)" if result["confirmation_sent"] else " (awaiting confirmation)"
    if filtered:
        what += f"\n  search: {result['search']}"
    typer.echo(what)
    if suppressed:
        typer.echo(
            "warning: this address is suppressed (unsubscribed, bounced or complained); nothing will be sent", err=True
        )


# --- digests and delivery -------------------------------------------------------------------------


@app.command("send-due")
def send_due_command(now: str | None = NowOption, as_json: bool = JsonOption) -> None:
    """Send every due digest and alert email once, synchronously (the path the workers take)."""
    settings = settings_or_exit()
    moment = parse_now(now)
    from digest.delivery.context import Context
    from digest.delivery.deliver import send_due
    from digest.store.engine import session_scope

    with session_scope() as session:
        summary = send_due(session, Context.for_settings(settings), moment)
    if as_json:
        print_json(dict(summary))
        return
    if not summary:
        typer.echo(f"nothing due at {moment.isoformat()}")
        return
    parts = ", ".join(f"{n} {k}" for k, n in sorted(summary.items()))
    typer.echo(f"digests at {moment.isoformat()}: {parts}")


@app.command("preview")
def preview_command(
    email: str = typer.Argument(..., help="the subscriber's address"),
    now: str | None = NowOption,
    html: str | None = typer.Option(None, "--html", help="also write the HTML part to this file"),
) -> None:
    """Show the digest EMAIL would get next. Sends nothing and moves no cursor."""
    settings = settings_or_exit()
    moment = parse_now(now)
    from pathlib import Path

    from digest.delivery.preview import preview as build_preview
    from digest.mail.inline import with_data_uris
    from digest.mail.render import DigestRenderer, images_for
    from digest.store.engine import session_scope

    with session_scope() as session:
        try:
            results = build_preview(session, settings, email, moment)
        except LookupError as exc:
            fail(str(exc))
    if not results:
        fail(f"{email} has no active subscriptions")
    renderer = DigestRenderer()
    pages = []
    for r in results:
        rendered = renderer.render(r.digest)
        state = "(nothing new yet: no email would be sent)" if r.digest.is_empty else ""
        typer.echo(f"=== {r.digest.cadence} digest due {r.due_at.isoformat()} {state}".rstrip())
        typer.echo(f"Subject: {rendered.subject}\n")
        typer.echo(rendered.text)
        pages.append(with_data_uris(rendered.html or "", images_for(r.digest.sections)))
    if html:
        try:
            Path(html).write_text("\n".join(pages), encoding="utf-8")
        except OSError as exc:
            fail(f"--html: cannot write {html}: {exc.strerror or exc}")
        typer.echo(f"HTML written to {html}")


def main() -> None:
    app()


def database_failure(exc: Exception) -> None:
    """A database that is not there yet or cannot be reached is one line and exit 1, not a traceback: what
    an operator meets first on a new install (no `digest init`) or with a database server down."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
    if "no such table" in detail or getattr(exc.orig, "sqlstate", None) == "42P01":  # SQLite, PostgreSQL
        typer.echo("digest: the database has no tables yet: run `digest init`", err=True)
    elif isinstance(exc, OperationalError):
        hint = " (run `digest init` to make it)" if "unable to open database file" in detail else ""  # SQLite
        url = _safe_url(settings_or_exit().db_url)
        typer.echo(f"digest: cannot use the database at {url}: {detail}{hint}", err=True)
    else:
        return
    raise SystemExit(1)


if __name__ == "__main__":
    main()
