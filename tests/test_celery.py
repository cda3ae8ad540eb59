"""Tasks travel through real brokers to real worker processes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.store.engine import make_engine, session_factory
from digest.store.models import Heartbeat
from tests.helpers import celery_worker, digest_env, wait_for
from workers.app import ensure_broker_dirs, make_celery, queue_names


def _heartbeat_seen(url: str, name: str) -> bool:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return s.scalar(select(Heartbeat).where(Heartbeat.name == name)) is not None
    finally:
        engine.dispose()


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_task_runs_on_a_real_worker(broker: str, tmp_path: Path, pg_url: str, sqlite_url: str, redis_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = {"DIGEST_DATA_DIR": str(tmp_path / "var"), "DIGEST_QUEUE_PREFIX": prefix, "DIGEST_SECRET_KEY": "k"}
    if broker == "redis":
        env |= {"DIGEST_BROKER_URL": redis_url, "DIGEST_DATABASE_URL": pg_url}
    else:
        env |= {"DIGEST_DATABASE_URL": sqlite_url}
    settings = Settings(**{k.removeprefix("DIGEST_").lower(): v for k, v in env.items()})
    ensure_broker_dirs(settings)
    sender = make_celery(settings)
    name = f"probe-{uuid.uuid4().hex}"
    # sent before the worker starts: the broker holds it until a worker takes it
    sender.send_task("workers.tasks.heartbeat", args=[name, "2026-05-17T12:00:00+00:00"])
    queues = ",".join(queue_names(settings).values())
    with celery_worker(digest_env(**env), queues, tmp_path / "worker.log") as proc:
        wait_for(
            lambda: _heartbeat_seen(settings.db_url, name) or proc.poll() is not None,
            timeout=60,
            message="the worker to run the task",
        )
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
    assert _heartbeat_seen(settings.db_url, name)
    sender.close()
