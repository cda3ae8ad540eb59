"""What one delivery run shares (settings, backend, renderer, caches), and the test-only checkpoint seam."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from digest.accounts.searches import Posting
from digest.config import Settings
from digest.demand.explain import Explanation, explain_week
from digest.demand.snapshot import Snapshot
from digest.mail.backends import EmailBackend, get_backend
from digest.mail.content import ItemView, RankedWindow, SkillSection
from digest.mail.render import DigestRenderer
from digest.store.models import DeliveryStatus

Outcome = tuple[int, DeliveryStatus, str | None, str | None]  # delivery id, status, provider id, error


@dataclass
class Context:
    """Per-process caches for one run: rendered sections, demand snapshots and alert explanations are shared
    by every subscriber of the same skill in the same window."""

    settings: Settings
    backend: EmailBackend
    renderer: DigestRenderer = field(default_factory=DigestRenderer)
    snapshots: dict[tuple[int, date], Snapshot] = field(default_factory=dict)
    sections: dict[tuple[Any, ...], SkillSection] = field(default_factory=dict)
    bodies: dict[tuple[Any, ...], SkillSection] = field(default_factory=dict)  # sections but their search line
    items: dict[tuple[int, datetime, datetime], list[tuple[datetime, ItemView]]] = field(default_factory=dict)
    facts: dict[int, Posting] = field(default_factory=dict)  # item -> what a search looks at (with `items`)
    indexes: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # windows indexed for searches (plan.py)
    found: dict[tuple[Any, ...], tuple[list[ItemView], frozenset[int]]] = field(default_factory=dict)  # plan.py
    ranked: dict[tuple[Any, ...], RankedWindow] = field(default_factory=dict)  # a skill's window ranked (plan.py)
    # an open alert's explanation, read once a run (every batch of a skill's subscribers asks whether it is held)
    explanations: dict[tuple[int, date], Explanation] = field(default_factory=dict)
    # an alert's narrow chart with its windows marked, drawn once a run however many people it goes to
    alert_charts: dict[tuple[int, date], bytes] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    summary: Counter[str] = field(default_factory=Counter)

    def explanation(self, session: Session, skill_id: int, week: date) -> Explanation:
        if (skill_id, week) not in self.explanations:
            self.explanations[(skill_id, week)] = explain_week(session, skill_id, week)
        return self.explanations[(skill_id, week)]

    @classmethod
    def for_settings(cls, settings: Settings, backend: EmailBackend | None = None) -> Context:
        return cls(settings=settings, backend=backend or get_backend(settings))


# The named points of the delivery path ('after_claim', 'after_send') call this hook. It does nothing; the
# fault tests replace it (tests/support/crash_worker.py kills its worker there) to prove that the ledger and
# the sweeper recover.
checkpoint_hook: Callable[[str], None] = lambda name: None  # noqa: E731


def checkpoint(name: str) -> None:
    checkpoint_hook(name)


def chunks(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
