from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.config import ConfigError, Settings, load_settings
from tests.helpers import REPO, digest_env


def test_bad_email_backend_fails_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = digest_env(DIGEST_DATA_DIR=str(tmp_path), DIGEST_EMAIL_BACKEND="pigeon")
    proc = subprocess.run(
        [sys.executable, "-m", "digest.cli", "init"], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "DIGEST_EMAIL_BACKEND" in lines[0]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DIGEST_EMAIL_BACKEND": "smtp"}, "DIGEST_SMTP_URL"),
        ({"DIGEST_EMAIL_BACKEND": "sendgrid"}, "DIGEST_SENDGRID_API_KEY"),
        ({"DIGEST_BASE_URL": "example.com"}, "DIGEST_BASE_URL"),
        ({"DIGEST_FEED_MAX_BYTES": "-3"}, "DIGEST_FEED_MAX_BYTES"),
        ({"DIGEST_BROKER_URL": "ftp://x"}, "DIGEST_BROKER_URL"),
        ({"DIGEST_DATABASE_URL": "localhost:5432/digest"}, "DIGEST_DATABASE_URL"),
    ],
)
def test_bad_settings_name_their_variable(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(variable)


def test_secret_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret
    second = Settings(data_dir=tmp_path).secret
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path, secret_key="given").secret == "given"


def test_defaults_are_the_embedded_shape(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.db_url == f"sqlite:///{tmp_path / 'digest.sqlite3'}"
    assert s.embedded_broker and s.celery_broker_url == "filesystem://"
    assert s.email_backend == "file" and s.outbox_dir == tmp_path / "outbox"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [f"DIGEST_{name.upper()}" for name in Settings.model_fields if f"DIGEST_{name.upper()}" not in readme]
    assert missing == [], f"README's configuration table lacks {missing}"


def test_settings_read_the_environment_as_pydantic_settings_did(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # names in any case, strings converted and validated, defaults validated too, keyword arguments win,
    # other DIGEST_* variables ignored (Settings no longer uses pydantic-settings: issue #17)
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "x" / ".." / "var"))
    monkeypatch.setenv("digest_feed_batch_size", "7")
    monkeypatch.setenv("DIGEST_FEEDS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("DIGEST_BASE_URL", "https://digest.example/")
    monkeypatch.setenv("DIGEST_NOT_A_SETTING", "whatever")
    s = Settings(feed_max_redirects=2)
    assert s.data_dir == (tmp_path / "var").resolve()
    assert (s.feed_batch_size, s.feeds_allow_private, s.feed_max_redirects) == (7, True, 2)
    assert s.base_url == "https://digest.example"
    assert "base_url" in s.model_fields_set and "smtp_url" not in s.model_fields_set
    assert Settings(feed_batch_size=9).feed_batch_size == 9
    monkeypatch.delenv("DIGEST_DATA_DIR")
    assert Settings().data_dir == (Path.cwd() / "var").resolve()  # the default, made absolute
    monkeypatch.setenv("DIGEST_FEED_BATCH_SIZE", "many")
    with pytest.raises(ConfigError, match=r"^DIGEST_FEED_BATCH_SIZE"):
        load_settings()
