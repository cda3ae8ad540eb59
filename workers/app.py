"""The Celery app. Broker from Settings: Redis in production, kombu's filesystem transport embedded."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_init, worker_process_init
from kombu.entity import Queue

from digest.config import Settings, private_dir, settings_or_exit

TASK_MODULES = ["workers.tasks"]


def queue_names(settings: Settings) -> dict[str, str]:
    p = settings.queue_prefix
    return {"default": f"{p}.default", "polling": f"{p}.polling", "delivery": f"{p}.delivery"}


def make_celery(settings: Settings) -> Celery:
    app = Celery("digest", include=TASK_MODULES)
    queues = queue_names(settings)
    conf: dict[str, Any] = {
        "broker_url": settings.celery_broker_url,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "result_backend": None,
        "timezone": "UTC",
        "enable_utc": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": queues["default"],
        "task_queues": [Queue(q) for q in queues.values()],
        "task_routes": {
            "workers.tasks.poll_feed": {"queue": queues["polling"]},
            "workers.tasks.poll_due_feeds": {"queue": queues["polling"]},
            "workers.tasks.deliver": {"queue": queues["delivery"]},
            "workers.tasks.deliver_batch": {"queue": queues["delivery"]},
            "workers.tasks.deliver_signups": {"queue": queues["delivery"]},
        },
        "beat_schedule": beat_schedule(),
    }
    if settings.embedded_broker:
        folder = str(settings.broker_dir / "queue")
        conf["broker_transport_options"] = {
            # Celery needs in == out for the filesystem transport (celery/celery#3564)
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(settings.broker_dir / "control"),
            "store_processed": False,
        }
        conf["beat_schedule_filename"] = str(settings.data_dir / "celerybeat-schedule")
        conf["worker_enable_remote_control"] = True
    else:
        # longer than any countdown we use, so a delayed retry is not redelivered early
        conf["broker_transport_options"] = {"visibility_timeout": 6 * 3600}
        conf["beat_scheduler"] = "redbeat.RedBeatScheduler"
        conf["redbeat_redis_url"] = settings.broker_url
        conf["redbeat_key_prefix"] = f"{settings.queue_prefix}:redbeat"
        conf["redbeat_lock_timeout"] = 300
    app.conf.update(conf)
    return app


def beat_schedule() -> dict[str, dict[str, Any]]:
    """The one place that says what beat runs and when."""
    from workers.beat import SCHEDULE

    return SCHEDULE


def ensure_broker_dirs(settings: Settings) -> None:
    if settings.embedded_broker:
        private_dir(settings.data_dir)
        for sub in ("queue", "control"):
            (settings.broker_dir / sub).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _worker_transactions(**_: Any) -> None:
    # set before the pool forks, so every child (and a solo pool) begins SQLite transactions IMMEDIATE
    from digest.store.engine import use_immediate_transactions

    use_immediate_transactions()


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # a forked child must not reuse the parent's pooled database connections
    from digest.store.engine import dispose_engines

    dispose_engines()


_task_log_tokens: dict[str, Any] = {}


@setup_logging.connect
def _setup_logging(**_: Any) -> None:
    from digest.logs import configure_logging

    configure_logging(_settings.log_json)


@task_prerun.connect
def _bind_task_id(task_id: str, task: Any, **_: Any) -> None:
    from digest.logs import push_context

    _task_log_tokens[task_id] = push_context(task_id=task_id, task=task.name)


@task_postrun.connect
def _unbind_task_id(task_id: str, **_: Any) -> None:
    from digest.logs import pop_context

    token = _task_log_tokens.pop(task_id, None)
    if token is not None:
        pop_context(token)


_settings = settings_or_exit()
ensure_broker_dirs(_settings)
app = make_celery(_settings)
