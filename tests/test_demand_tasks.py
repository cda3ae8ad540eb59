"""Shift detection runs as a Celery task on a real worker, and the beat schedule has it weekly."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from digest.config import Settings
from digest.demand import rollups
from digest.store.engine import make_engine, session_factory
from digest.store.models import Heartbeat, ShiftEvaluation
from tests.helpers import celery_worker, digest_env, wait_for
from tests.support import synthetic
from workers.app import ensure_broker_dirs, make_celery, queue_names
from workers.beat import SCHEDULE


def test_detect_shifts_task_on_a_real_worker(tmp_path: Path, sqlite_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = {"DIGEST_DATA_DIR": str(tmp_path / "var"), "DIGEST_QUEUE_PREFIX": prefix, "DIGEST_SECRET_KEY": "k"}
    env["DIGEST_DATABASE_URL"] = sqlite_url
    settings = Settings(**{k.removeprefix("DIGEST_").lower(): v for k, v in env.items()})
    engine = make_engine(sqlite_url)
    try:
        with session_factory(engine)() as s:
            (skill,) = synthetic.skills(s, [f"Task skill {prefix}"])
            counts = rollups._empty()
            for d in range(60):
                day = date(2026, 3, 2) + timedelta(days=d)
                counts["total"][(day,)] += 10
                counts["skill"][(skill.id, day)] += 3
            rollups.apply_counts(s, counts)
            s.commit()
            skill_id = skill.id
        ensure_broker_dirs(settings)
        sender = make_celery(settings)
        sender.send_task("workers.tasks.detect_shifts", kwargs={"now": "2026-05-04T00:30:00+00:00"})
        queues = ",".join(queue_names(settings).values())

        def evaluated() -> bool:
            with session_factory(engine)() as s:
                ok = s.scalar(select(Heartbeat).where(Heartbeat.name == "detect_shifts")) is not None
                ev = s.scalar(
                    select(ShiftEvaluation).where(
                        ShiftEvaluation.skill_id == skill_id, ShiftEvaluation.week_start == date(2026, 5, 4)
                    )
                )
                return ok and ev is not None and ev.recent == 75 and ev.prior == 84  # data ends 30 Apr

        with celery_worker(digest_env(**env), queues, tmp_path / "worker.log") as proc:
            wait_for(lambda: evaluated() or proc.poll() is not None, timeout=60, message="detect_shifts to run")
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        assert evaluated()
        sender.close()
    finally:
        with session_factory(engine)() as s:
            for model, _, _ in rollups.ROLLUPS.values():
                s.query(model).delete()
            s.query(ShiftEvaluation).delete()
            s.query(Heartbeat).delete()
            from digest.store.models import Skill

            s.query(Skill).delete()
            s.commit()
        engine.dispose()


def test_beat_runs_detection_after_each_completed_week() -> None:
    entry = SCHEDULE["detect-shifts"]
    assert entry["task"] == "workers.tasks.detect_shifts"
    cron = entry["schedule"]
    assert cron.day_of_week == {1} and cron.hour == {0} and cron.minute == {30}  # Monday 00:30


def test_beat_counts_pending_postings_and_moves_the_pair_window_every_minute() -> None:
    entry = SCHEDULE["count-demand"]
    assert entry["task"] == "workers.tasks.count_demand"
    assert entry["schedule"] == 60.0
