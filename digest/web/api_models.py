"""The JSON API's request and response bodies (pydantic models; their names are the OpenAPI schemas')."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from digest.store.models import Cadence, SubscriptionStatus

Text = Annotated[str, Field(max_length=60, pattern=r"^[^\x00]*$")]
Level = Literal["intern", "junior", "mid", "senior", "staff", "lead"]

SEARCH_EXAMPLE: Any = {
    "skills": ["go"],
    "remote": "only",
    "metros": ["Berlin"],
    "or_remote": True,
    "seniority": ["senior", "staff", "lead"],
    "min_salary": 70000,
    "currency": "EUR",
    "exclude_companies": ["Acme Corp"],
    "exclude_words": ["php"],
}


class SearchIn(BaseModel):
    """What a subscription follows besides its skill. Every filter is optional; the job filters (remote,
    metros, seniority, salary, companies) apply to job postings, news items meet only the skills, the kind
    and the excluded words. Sent again, it replaces the whole search."""

    model_config = ConfigDict(json_schema_extra={"examples": [SEARCH_EXAMPLE]})

    skills: list[Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]] = Field(
        default=[], max_length=4, description="more skills (slug, name or alias) besides the subscription's own"
    )
    all_skills: bool = Field(False, description="items must mention all the skills (default: any of them)")
    kind: Literal["both", "news", "jobs"] = "both"
    remote: Literal["any", "only", "exclude"] = Field("any", description="only: remote postings; exclude: on-site")
    metros: list[Text] = Field(default=[], max_length=10, description="postings in any of these metros")
    or_remote: bool = Field(False, description="with metros: remote postings from anywhere too")
    seniority: list[Level] = Field(default=[], max_length=6, description="postings at any of these levels")
    min_salary: int | None = Field(None, ge=1, le=10_000_000, description="a year (the top of a stated range)")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="min_salary's currency: EUR, USD, ...")
    drop_unsalaried: bool = Field(False, description="with min_salary: drop postings stating no salary in it")
    exclude_companies: list[Text] = Field(default=[], max_length=20, description="never these employers")
    exclude_words: list[Text] = Field(default=[], max_length=20, description="never items with these words")


class SubscribeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "ann@example.com", "skill": "python", "cadence": "daily"},
                {"email": "ann@example.com", "skill": "python", "cadence": "weekly", "search": SEARCH_EXAMPLE},
            ]
        }
    )

    email: str = Field(max_length=320, description="the address to send the digest to")
    skill: str = Field(
        max_length=200, pattern=r"^[^\x00]*$", description="a skill slug, name or alias ('python 3' finds Python)"
    )
    cadence: Cadence = Cadence.daily
    search: SearchIn | None = Field(None, description="more skills and job filters; none: the skill alone")


class LoginIn(BaseModel):
    email: str = Field(max_length=320)


class Message(BaseModel):
    detail: str


class SkillOut(BaseModel):
    slug: str
    name: str
    category: str | None = None
    kind: str | None = Field(None, description="language, framework, database, platform, tool, practice or domain")


class SubscriptionOut(BaseModel):
    id: int
    skill: SkillOut
    cadence: Cadence
    status: SubscriptionStatus
    next_digest_at: str | None = Field(description="UTC, ISO 8601; null when paused or pending")
    next_digest_local: str | None
    search_text: str = Field(description="the search in words: 'Python or Go · remote or Berlin · senior+'")
    search: SearchIn = Field(description="the search's skills and filters, by name")


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"cadence": "weekly"}, {"status": "paused"}, {"search": SEARCH_EXAMPLE}]}
    )

    cadence: Cadence | None = None
    status: Literal["active", "paused"] | None = Field(default=None, description="pause or resume")
    search: SearchIn | None = Field(
        None, description="a new search on the same skill: the window carries on, nothing sent comes again"
    )


class SearchPreviewOut(BaseModel):
    search: str = Field(description="the search in words")
    postings_7_days: int = Field(description="job postings it would have matched, posted in the last 7 days")
    postings_30_days: int = Field(description="the same in the last 30 days")
    as_of: str = Field(description="the last day counted (UTC), ISO 8601")


class MeOut(BaseModel):
    email: str
    timezone: str
    send_hour: int
    weekday: int
    alert_emails: bool
    alert_scope: Literal["followed", "paired"] = Field(
        description="alert emails for the skills followed, or also for the skills most often paired with them"
    )
    alert_min_change: int = Field(description="smallest change an alert email is sent for, in percent (0: any)")
    csrf_token: str = Field(description="send it as the X-CSRF-Token header with PATCH and DELETE")
    subscriptions: list[SubscriptionOut]


class MePatch(BaseModel):
    timezone: str | None = Field(default=None, max_length=64)
    send_hour: int | None = Field(default=None, ge=0, le=23)
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday")
    alert_emails: bool | None = None
    alert_scope: Literal["followed", "paired"] | None = None
    alert_min_change: Literal[0, 25, 50, 100] | None = Field(default=None, description="percent")


class SkillFound(SkillOut):
    postings: int = Field(description="job postings mentioning the skill in the 90 days to as_of")
    as_of: str = Field(description="the last day of that window (UTC), ISO 8601")
