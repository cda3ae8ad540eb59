"""Settings: every knob of the service, read from DIGEST_* environment variables."""

from __future__ import annotations

import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "static"  # the pages' stylesheet and scripts (script-src 'self': no inline script)


class ConfigError(RuntimeError):
    """Bad configuration; the message is one line naming the variable."""


ENV_PREFIX = "DIGEST_"


def _environment() -> dict[str, str]:
    """The DIGEST_* variables by field name; names in any case, as pydantic-settings read them."""
    prefix = ENV_PREFIX.lower()
    return {k.lower().removeprefix(prefix): v for k, v in os.environ.items() if k.lower().startswith(prefix)}


class Settings(BaseModel):
    """Every field is read from DIGEST_<FIELD NAME> (keyword arguments win over the environment) and validated
    as pydantic-settings did, defaults included. Not pydantic-settings itself: its import (asyncio with it) was
    ~25 ms of every command, which reads nothing it offers beyond this (issue #17)."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment(), **values})

    data_dir: Path = Path("./var")
    database_url: str = ""  # empty: sqlite file in data_dir
    # connections each process keeps open, and more it may open (and close again) at a peak: a web process
    # runs up to its threadpool's requests at once, and a connection opened per request costs the server a
    # backend process
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    broker_url: str = ""  # empty: the embedded, server-less broker in data_dir
    email_backend: Literal["file", "smtp", "sendgrid"] = "file"
    smtp_url: str = ""
    sendgrid_api_key: str = ""
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_webhook_public_key: str = ""
    from_email: str = "digest@localhost"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""  # empty: generated once into data_dir/secret_key

    # feeds
    feeds_allow_private: bool = False
    feed_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    feed_connect_timeout: float = Field(default=10.0, gt=0)
    feed_read_timeout: float = Field(default=30.0, gt=0)
    feed_max_redirects: int = Field(default=5, ge=0)
    feed_poll_interval_news: int = Field(default=1800, gt=0, description="seconds")
    feed_poll_interval_jobs: int = Field(default=3600, gt=0, description="seconds")
    feed_backoff_max: int = Field(default=24 * 3600, gt=0, description="seconds")
    feed_failing_report_after: int = Field(default=3 * 24 * 3600, gt=0, description="seconds")
    feed_batch_size: int = Field(default=20, gt=0)
    feed_total_timeout: float = Field(default=60.0, gt=0, description="seconds for one whole fetch")
    feed_backoff_base: int = Field(default=300, gt=0, description="seconds: the first retry after an error")
    feed_min_interval: int = Field(default=300, gt=0, description="seconds between polls, at least")
    feed_max_interval: int = Field(default=24 * 3600, gt=0, description="seconds between polls, at most")
    feed_claim_lease: int = Field(default=900, gt=0, description="seconds a claimed feed stays claimed")
    feed_summary_max_chars: int = Field(default=1000, gt=50)
    item_retention_days: int = Field(default=90, gt=0, description="days news items are kept after ingestion")
    # at least digest.ingest.retention.JOB_LOOKBACK_DAYS: a rollup rebuild must still see every figure's postings
    job_retention_days: int = Field(default=400, ge=252, description="days job postings are kept")
    import_match_processes: int = Field(
        default=1, ge=0, description="processes matching skills beside `import-jobs` (0: in the importer itself)"
    )

    # demand: which detector opens and closes shift alerts (docs/demand.md, "Sequential detection"): the
    # likelihood-ratio scan over the last 1-4 weeks, or today's test of 4 weeks against the 4 before
    shift_method: Literal["sequential", "windows"] = "sequential"

    # delivery
    dispatch_batch_size: int = Field(default=50, gt=0)
    delivery_stuck_after: int = Field(default=600, gt=0, description="seconds in 'sending' before re-queue")
    digest_items_per_section: int = Field(default=8, gt=0)
    first_digest_days: int = Field(default=7, ge=0, le=90, description="days a first digest reaches back")
    send_attempts: int = Field(default=4, gt=0, description="tries per send before leaving it to the sweeper")
    send_backoff_base: float = Field(default=1.0, ge=0, description="seconds; doubled per try, with jitter")
    send_retry_max_wait: float = Field(default=30.0, ge=0, description="longest in-task wait (429 reset)")
    sendgrid_timeout: float = Field(default=20.0, gt=0, description="seconds per SendGrid request")
    # the account has SendGrid's Email Activity API (a paid add-on): a retry asks it before sending again
    sendgrid_activity_api: bool = False
    smtp_timeout: float = Field(default=20.0, gt=0)
    smtp_ca_file: str = ""  # extra CA bundle for the SMTP server's STARTTLS certificate (self-hosted relays)
    webhook_max_age: int = Field(default=600, gt=0, description="seconds: older signed webhook timestamps are refused")
    alert_email_interval_days: int = Field(default=28, gt=0, description="at most one alert email per skill per this")
    alert_paired_skills: int = Field(
        default=5,
        ge=1,
        le=10,
        description="'paired' alerts: a followed skill's first N paired skills (its page's list)",
    )

    # web
    # reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDR networks, comma
    # separated); empty: none, the peer's own address is the client's
    trusted_proxies: str = ""
    max_body_bytes: int = Field(default=64 * 1024, gt=0, description="request bodies (forms, JSON) above: 413")
    rate_limit_per_address_hour: int = Field(default=5, gt=0)
    rate_limit_per_client_hour: int = Field(default=30, gt=0)
    confirm_link_max_age: int = Field(default=7 * 24 * 3600, gt=0, description="seconds")
    confirm_resend_after: int = Field(default=600, ge=0, description="seconds between confirmation emails")
    login_link_max_age: int = Field(default=30 * 60, gt=0, description="seconds")
    session_max_age: int = Field(default=30 * 24 * 3600, gt=0, description="seconds")
    unsubscribe_link_max_age: int = Field(default=2 * 365 * 24 * 3600, gt=0, description="seconds")
    web_cache_ttl: float = Field(default=60.0, ge=0, description="seconds a web process reuses a skill's figures")
    web_cache_size: int = Field(default=2000, gt=0, description="(skill, day) entries kept per web process")

    queue_prefix: str = Field(default="digest", pattern=r"^[A-Za-z0-9_.-]+$")
    log_json: bool = False

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, v: str) -> str:
        import ipaddress

        entries = [e.strip() for e in v.split(",") if e.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return ",".join(entries)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if v:  # SQLAlchemy's parse (imported here only when the URL is set: every command then opens it anyway)
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                make_url(v)
            except (ArgumentError, ValueError):  # not echoed: it may hold a password
                raise ValueError("must look like postgresql+psycopg://user:pass@host:5432/digest") from None
        return v

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, v: str) -> str:
        if v and not v.startswith(("smtp://", "smtps://")):
            raise ValueError("must look like smtp://user:pass@host:port")
        return v

    # derived -----------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_file}"

    @property
    def sqlite_file(self) -> Path:
        """The embedded database's file (used where DIGEST_DATABASE_URL is empty)."""
        return self.data_dir / "digest.sqlite3"

    @property
    def embedded_broker(self) -> bool:
        return not self.broker_url

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def charts_dir(self) -> Path:
        """Where the weekly charts are kept once drawn (digest.demand.chart)."""
        return self.data_dir / "charts"

    @property
    def cache_dir(self) -> Path:
        """What is built once and kept: the matcher (digest.taxonomy.cache)."""
        return self.data_dir / "cache"

    @property
    def secret(self) -> str:
        """The signing key: DIGEST_SECRET_KEY, or one generated once into the data dir."""
        if self.secret_key:
            return self.secret_key
        key = _generated_once(self.data_dir / "secret_key")
        object.__setattr__(self, "secret_key", key)
        return key

    @property
    def outbox_key(self) -> str:
        """The key that opens /outbox (the file backend's emails hold sign-in links): generated once into
        the data dir, printed by `digest run` in the outbox URL, known to whoever can read DATA_DIR."""
        return _generated_once(self.data_dir / "outbox_key")

    def validate_combination(self) -> None:
        if self.email_backend == "smtp" and not self.smtp_url:
            raise ConfigError("DIGEST_SMTP_URL: required when DIGEST_EMAIL_BACKEND=smtp")
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key:
            raise ConfigError("DIGEST_SENDGRID_API_KEY: required when DIGEST_EMAIL_BACKEND=sendgrid")
        if self.broker_url and not self.broker_url.startswith(("redis://", "rediss://", "amqp://", "memory://")):
            raise ConfigError(f"DIGEST_BROKER_URL: unsupported scheme in {self.broker_url!r}")


def private_dir(path: Path, *, narrow: bool = False) -> Path:
    """Make `path` (and its parents) if missing, the folder its owner's alone (0700) whatever the umask: DATA_DIR
    holds the secret keys, the database and the outbox. `narrow`: also take an existing folder to 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if narrow and path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _generated_once(path: Path) -> str:
    """A random key kept in `path` (mode 0600), made by the first process that asks. Written aside and
    hard-linked into place, so a racing process sees no file or the whole key, and every racer reads the
    winner's."""
    if not path.exists():
        private_dir(path.parent)
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


def load_settings() -> Settings:
    """Read the environment; raise ConfigError with one line naming the bad variable."""
    try:
        s = Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "DIGEST_" + str(err["loc"][0]).upper() if err["loc"] else "DIGEST_*"
        raise ConfigError(f"{name}: {err['msg'].removeprefix('Value error, ')}") from None  # pydantic's prefix
    s.validate_combination()
    if "base_url" not in s.model_fields_set:  # not in the environment: where this instance's server listens
        recorded = recorded_base_url(s.data_dir)
        if recorded:
            s.base_url = recorded
    return s


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def base_url_for(host: str, port: int) -> str:
    """The address that `digest run`/`serve --host H --port P` answer at, for links in emails. A wildcard
    host (all interfaces) has no one address: loopback is the one this machine surely reaches."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def derive_base_url(host: str, port: int) -> tuple[str, bool]:
    """Set DIGEST_BASE_URL from --host/--port unless it is set already (then it wins), before the settings
    are read, so this process and every child it starts link to where the server listens.
    Returns (base URL, whether it was derived)."""
    given = os.environ.get("DIGEST_BASE_URL", "").strip()
    if given:
        return given.rstrip("/"), False
    os.environ["DIGEST_BASE_URL"] = base_url_for(host, port)
    get_settings.cache_clear()
    return os.environ["DIGEST_BASE_URL"], True


BASE_URL_FILE = "base_url"


def record_base_url(settings: Settings) -> None:
    """`digest run`/`serve` note in DATA_DIR the address they answer at, so a command run beside them
    (`send-due`, `subscribe`, `preview` in another terminal, without DIGEST_BASE_URL) links emails there."""
    path = private_dir(settings.data_dir) / BASE_URL_FILE
    aside = path.with_name(f".{BASE_URL_FILE}.{os.getpid()}")
    aside.write_text(settings.base_url + "\n")
    os.replace(aside, path)


def recorded_base_url(data_dir: Path) -> str | None:
    try:
        url = (data_dir / BASE_URL_FILE).read_text().strip()[:2048]
    except OSError:
        return None
    return url.rstrip("/") if url.startswith(("http://", "https://")) else None


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        print(f"digest: bad configuration: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
