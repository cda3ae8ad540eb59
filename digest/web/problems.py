"""The one shape of every error answer in the JSON API, documented for every operation in /openapi.json.

`detail` is a sentence, or for a body or parameter that fails validation (422) the list of what failed,
each with a short excerpt of the bad value; `message` is one sentence a person can read; `suggestions`
come with an unknown skill.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body, query or path, then the field")
    msg: str
    type: str
    input: str | None = Field(default=None, description="the start of the value given, never all of it")


class Suggestion(BaseModel):
    slug: str
    name: str
    category: str | None = None


class Problem(BaseModel):
    detail: str | list[FieldError]
    message: str | None = None
    suggestions: list[Suggestion] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request cannot be read (a malformed parameter, form or body)"},
    403: {"model": Problem, "description": "Refused: the CSRF token is missing or stale, or a signature is bad"},
    404: {"model": Problem, "description": "No such thing here (or none that is yours)"},
    413: {"model": Problem, "description": "The body is larger than the cap (DIGEST_MAX_BODY_BYTES)"},
    422: {"model": Problem, "description": "Well formed but not valid: what failed, with an excerpt of each value"},
}
