"""What the embedded default keeps on disk is its owner's alone, whatever the umask: the outbox (every sign-in
link) is 0700 and each message 0600, the SQLite database (addresses, sessions) 0600 in a 0700 folder, the
secret keys 0600. Under umask 022 each of these was readable by every account on the machine."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digest.cli import app
from digest.config import Settings, get_settings, record_base_url
from digest.mail.backends.file import FileBackend
from digest.mail.message import OutgoingEmail
from digest.store.engine import migrate

NOW = datetime(2026, 3, 20, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outbox_and_its_messages_are_the_owners_alone(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "outbox"
    name = FileBackend(outbox, secret="s").send(
        OutgoingEmail(key="login-1-1", to="ann@example.com", subject="Sign in", text="a link"), NOW
    )
    assert (_mode(outbox), _mode(outbox / name)) == (0o700, 0o600)


def test_an_outbox_made_open_is_narrowed(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o755)
    FileBackend(outbox, secret="s").send(OutgoingEmail(key="k", to="ann@example.com", subject="s", text="t"), NOW)
    assert _mode(outbox) == 0o700


def test_sqlite_database_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "digest.db"
    migrate(f"sqlite:///{path}")
    assert (_mode(path.parent), _mode(path)) == (0o700, 0o600)
    path.chmod(0o644)  # as an older release left it
    migrate(f"sqlite:///{path}")
    assert _mode(path) == 0o600


def test_generated_keys_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    assert settings.outbox_key and settings.secret  # made on first use
    assert _mode(settings.data_dir) == 0o700
    assert {p.name: _mode(p) for p in settings.data_dir.iterdir()} == {"outbox_key": 0o600, "secret_key": 0o600}


def test_data_dir_made_by_any_path_is_private(tmp_path: Path) -> None:
    """The first process to touch DATA_DIR may be a worker making its broker folders or `digest run` noting its
    address: whichever it is, the folder is made 0700 (a fresh clone's var/ was 0755)."""
    from workers.app import ensure_broker_dirs

    ensure_broker_dirs(Settings(data_dir=tmp_path / "a"))
    record_base_url(Settings(data_dir=tmp_path / "b"))
    assert (_mode(tmp_path / "a"), _mode(tmp_path / "a" / "broker"), _mode(tmp_path / "b")) == (0o700, 0o755, 0o700)


def test_init_narrows_an_open_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    monkeypatch.setenv("DIGEST_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DIGEST_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["init"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert _mode(data_dir) == 0o700
