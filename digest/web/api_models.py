"""The JSON API's request and response bodies (pydantic models; their names are the OpenAPI schemas')."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from digest.store.models import Cadence, SubscriptionStatus


class SubscribeIn(BaseModel):
    email: str = Field(max_length=320, description="the address to send the digest to")
    skill: str = Field(
        max_length=200, pattern=r"^[^\x00]*$", description="a skill slug, name or alias ('python 3' finds Python)"
    )
    cadence: Cadence = Cadence.daily


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


class SubscriptionPatch(BaseModel):
    cadence: Cadence | None = None
    status: Literal["active", "paused"] | None = Field(default=None, description="pause or resume")


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
