"""Engine and sessions. SQLite opens with WAL, foreign keys on and a busy timeout."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, any_, bindparam, create_engine, event, func, text
from sqlalchemy.orm import Session, sessionmaker

from digest.config import get_settings, private_dir

SQLITE_BUSY_TIMEOUT_MS = 30_000
_sqlite_immediate = False


def use_immediate_transactions() -> None:
    """Worker processes, whose transactions almost all write, take SQLite's write lock when they begin.
    A deferred transaction that reads and then writes fails at once with "database is locked" when another
    process committed in between (WAL cannot upgrade a stale snapshot); waiting at BEGIN avoids that.
    No effect on PostgreSQL."""
    global _sqlite_immediate
    _sqlite_immediate = True


# Per request (the web app): a contextvar, so it follows a request into the thread that runs its handler.
_immediate_here: ContextVar[bool] = ContextVar("digest_sqlite_immediate", default=False)


@contextmanager
def immediate_transactions() -> Iterator[None]:
    """SQLite transactions begun inside this block (this task or thread, and what it starts) take the write
    lock at BEGIN, waiting up to the busy timeout: for web requests that write, which would otherwise fail
    at once with "database is locked" when a worker commits between their first read and their first write.
    No effect on PostgreSQL."""
    token = _immediate_here.set(True)
    try:
        yield
    finally:
        _immediate_here.reset(token)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take control so that
            # BEGIN IMMEDIATE can be issued for writers and SAVEPOINTs work.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _sqlite_immediate or _immediate_here.get() else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


_opened: set[str] = set()


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    settings = get_settings()
    engine = make_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    _opened.add(url)  # after: an URL no engine was made for is not made again at exit, to fail again
    return engine


def get_engine() -> Engine:
    return _engine_for(get_settings().db_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _factory_for(engine or get_engine())


@lru_cache(maxsize=8)
def _factory_for(engine: Engine) -> sessionmaker[Session]:
    # one per engine: each sessionmaker makes its own Session class, whose events SQLAlchemy sets up anew
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_SEP = "\x1f"  # the ASCII unit separator: no key, URL or identity holds it


def any_of(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`. On PostgreSQL one array parameter (= ANY): a list of thousands of ids is one
    bind, not thousands for SQLAlchemy to render and the driver to parse; strings go as one string split by
    the server (psycopg adapts a list item by item, ~3 us each)."""
    if session.get_bind().dialect.name == "postgresql":
        if values and all(isinstance(v, str) and _SEP not in v for v in values):
            return column == any_(func.string_to_array(bindparam(None, _SEP.join(values)), _SEP))
        from sqlalchemy.dialects.postgresql import ARRAY  # loaded on PostgreSQL only

        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def join_in_order(session: Session) -> str:
    """The join keyword that keeps a statement's tables in the order written, the first the outer loop. For
    a fold's postings joined to their mentions: SQLite's planner otherwise scans every mention in an index
    and probes the postings at random (a 950,000-posting fold's window sums took 4x longer); PostgreSQL
    plans the join itself (and takes no ON after CROSS JOIN)."""
    return "JOIN" if session.get_bind().dialect.name == "postgresql" else "CROSS JOIN"


def ping(engine: Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def dispose_engines() -> None:
    """After fork (Celery prefork), children must not share the parent's pooled connections."""
    for url in list(_opened):
        _engine_for(url).dispose(close=False)


def close_engines() -> None:
    """Close every pooled connection (at exit: SQLite checkpoints its WAL into the database file on the last close)."""
    for url in list(_opened):
        _engine_for(url).dispose()


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    from digest.config import REPO_ROOT

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (the schema is created only through migrations)."""
    from alembic import command

    url = url or get_settings().db_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(url.removeprefix("sqlite:///"))
        private_dir(path.parent)
        path.touch(mode=0o600)  # before SQLite makes it under the umask: it holds addresses and sessions
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # made by an older release; SQLite gives its -wal and -shm files the same mode
    command.upgrade(alembic_config(url), revision)
