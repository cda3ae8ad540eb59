"""The pay and seniority rollups' SQL (docs/demand.md, "Pay and seniority"): per skill and day, postings at
each level and the stated salaries (annualised where the period is known), counted over the postings being
folded (`demand_fold`, which carries their items' salary and seniority) joined to their mentions. The same
definitions as digest.demand.pay_counts, written in SQL."""

from __future__ import annotations

from typing import Any

from digest.store.models import DemandSkillLevelDay, DemandSkillPayDay, DemandSkillTitlePayDay

# a posting's salary: the midpoint of its range, or its one figure; times the year factor of its period
AMOUNT = (
    "(CASE WHEN f.salary_min IS NULL THEN f.salary_max WHEN f.salary_max IS NULL THEN f.salary_min "
    "ELSE (f.salary_min + f.salary_max) / 2 END) * "
    "(CASE f.salary_period WHEN 'hour' THEN 2080 WHEN 'day' THEN 260 WHEN 'week' THEN 52 WHEN 'month' THEN 12 "
    "ELSE 1 END)"
)
KNOWN_PERIOD = "f.salary_period IN ('hour', 'day', 'week', 'month', 'year')"
PERIOD = f"CASE WHEN {KNOWN_PERIOD} THEN 'year' ELSE '' END"
STATED = "(f.salary_min IS NOT NULL OR f.salary_max IS NOT NULL)"
_FROM = "FROM demand_fold f {join} item_skills s ON s.item_id = f.item_id"

PAY_ROLLUPS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "skill_level": (
        DemandSkillLevelDay,
        ("skill_id", "day", "level"),
        f"SELECT s.skill_id, f.posted_on, f.seniority, {{sign}}COUNT(*) {_FROM} WHERE f.seniority IS NOT NULL "
        "GROUP BY 1, 2, 3",
    ),
    "skill_pay": (
        DemandSkillPayDay,
        ("skill_id", "day", "currency", "period", "amount"),
        f"SELECT s.skill_id, f.posted_on, COALESCE(f.salary_currency, ''), {PERIOD}, {AMOUNT}, {{sign}}COUNT(*) "
        f"{_FROM} WHERE {STATED} GROUP BY 1, 2, 3, 4, 5",
    ),
    "skill_title_pay": (
        DemandSkillTitlePayDay,
        ("skill_id", "job_title_id", "day", "currency", "amount"),
        f"SELECT s.skill_id, f.job_title_id, f.posted_on, f.salary_currency, {AMOUNT}, {{sign}}COUNT(*) {_FROM} "
        f"WHERE {STATED} AND f.job_title_id IS NOT NULL AND f.salary_currency IS NOT NULL AND {KNOWN_PERIOD} "
        "GROUP BY 1, 2, 3, 4, 5",
    ),
}
