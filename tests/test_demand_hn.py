"""The real HN 2026 Q1 postings through the importer and the taxonomy matcher: the rollups equal the
figures computed straight from the raw postings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.demand import rollups
from digest.demand.figures import demand_figures
from digest.ingest.imports import import_rows
from digest.sources.jobfile import read_hn
from digest.store.models import DemandSkillDay, Item, ItemSkill, Skill
from digest.taxonomy.load import load_taxonomy
from tests.conftest import _empty_database
from tests.support.raw_figures import raw_figures


@pytest.fixture(autouse=True)
def _empty_at_start(engine: Any) -> None:
    """Start from an empty database even if a test outside the `settings` fixture left rows behind."""
    _empty_database(engine)


def test_hn_rollups_equal_raw_figures(settings: Any, session: Session, shared_data: Path) -> None:
    load_taxonomy(session)
    session.commit()
    now = datetime(2026, 3, 20, tzinfo=UTC)
    result = import_rows(session, read_hn(shared_data / "hn-whoishiring-2026q1"), "import:hn", now)
    assert result.read == 1048 and not result.errors and result.added > 900  # reposts within 30 days merge
    assert session.scalar(select(func.count()).select_from(ItemSkill)) > 2000  # the matcher ran
    assert session.scalar(select(func.count()).where(Item.job_title_id.is_not(None))) > 300
    assert rollups.check(session) == []
    top = session.execute(
        select(Skill, func.sum(DemandSkillDay.postings).label("n"))
        .join(DemandSkillDay, DemandSkillDay.skill_id == Skill.id)
        .group_by(Skill.id)
        .order_by(func.sum(DemandSkillDay.postings).desc(), Skill.slug)
        .limit(8)
    ).all()
    skills = [s for s, _ in top] + [session.scalar(select(Skill).order_by(Skill.id.desc()).limit(1))]
    for as_of in (date(2026, 1, 31), date(2026, 3, 15), date(2026, 4, 20)):
        for skill in skills:
            assert skill is not None
            figures = demand_figures(session, skill, as_of)
            figures.pop("shift")
            assert figures == raw_figures(session, skill, as_of), (skill.slug, as_of)
