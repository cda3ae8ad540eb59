"""Errors as people meet them: a page in the site's layout saying what happened and what to do next, with the
next steps as links. Under /api/ (and /webhooks/) errors stay JSON for machines.

Raise `PageError` (an HTTPException) to give a page its own suggestions; any other HTTPException, an unknown
address, a bad query string or a crash gets the suggestions its status calls for."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from digest.web.security import excerpt, validation_json
from digest.web.templating import templates

log = logging.getLogger("digest.web")
MACHINE_PREFIXES = ("/api/", "/webhooks/")
MACHINE_SUFFIXES = (".atom", ".png")  # a skill's feed and chart: read by feed readers and <img>, documented as JSON

TITLES = {
    400: "That request did not make sense to us",
    403: "Please try again",
    404: "We could not find that page",
    405: "That is not something this page does",
    410: "This link no longer works",
    413: "That was too much to send",
    422: "Something in the form was not right",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "digest is not available right now",
}
ADVICE = {
    400: "Check the address, or start again from the home page.",
    404: "The address may be mistyped, or the page may have moved. Search for a skill instead:",
    405: "Start again from the page the form was on.",
    410: "Links in our emails work for a limited time and some only once. Ask for a fresh one:",
    413: "Send less at once and try again.",
    422: "Go back, correct it and send it again.",
    429: "Wait a while (up to an hour) and try again.",
    500: "It is not your fault, and nothing you sent was lost. Try again in a minute.",
    503: "Try again in a minute.",
}


class PageError(HTTPException):
    """An HTTP error with its own next steps: (label, href) pairs shown as links on the page. `detail` is
    what machines get as JSON; `message` (default: detail) what the page says above the links."""

    def __init__(
        self, status: int, detail: str, suggestions: list[tuple[str, str]] | None = None, message: str = ""
    ) -> None:
        super().__init__(status, detail)
        self.suggestions = suggestions or []
        self.message = message or detail


def clip(value: str, limit: int = 60) -> str:
    """Part of an input for a message: errors never echo the input back whole."""
    return excerpt(" ".join(value.split()), limit)


def for_machines(request: Request) -> bool:
    return machine_path(request.url.path)


def machine_path(path: str) -> bool:
    """What machines read (the API, webhooks, a skill's feed and chart): errors there are JSON."""
    return path.startswith(MACHINE_PREFIXES) or path.endswith(MACHINE_SUFFIXES)


def _next_steps(status: int, request: Request) -> list[tuple[str, str]]:
    if status == 410:
        return [("Sign in with a new link", "/login"), ("Subscribe again", "/")]
    if status in (500, 503):
        again = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        return [("Try again", again if request.method == "GET" else "/"), ("Home", "/")]
    return [("Home", "/"), ("Your settings", "/settings")]


def error_page(
    request: Request,
    status: int,
    message: str,
    suggestions: list[tuple[str, str]] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "status": status,
        "title": title or TITLES.get(status, "That did not work"),
        "message": message,
        "advice": ADVICE.get(status, ""),
        "suggestions": suggestions or [],
        "next_steps": _next_steps(status, request),
        "search": status == 404,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if 300 <= exc.status_code < 400:  # a redirect raised from deep inside (e.g. a skill's old slug)
        return Response(status_code=exc.status_code, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if for_machines(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    if exc.status_code == 404 and detail == "Not Found":  # no route: say it in words
        detail = f"There is no page at {clip(request.url.path)}."
    if exc.status_code == 405 and detail == "Method Not Allowed":  # a form's address opened as a page
        detail = f"{clip(request.url.path)} takes what a form sends; it is not a page to open on its own."
    if isinstance(exc, PageError):
        return error_page(request, exc.status_code, exc.message, exc.suggestions, headers=headers)
    return error_page(request, exc.status_code, detail, headers=headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    """A bad query string or form field on a page: a 400 page naming the field; JSON under /api/."""
    assert isinstance(exc, RequestValidationError)
    if for_machines(request):
        return validation_json(exc)
    fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()[:5]})
    message = f"These parts of the address or form are not valid: {', '.join(clip(f, 30) for f in fields)}."
    return error_page(request, 400, message)


async def server_error(request: Request, exc: Exception) -> Response:
    """The last resort: the traceback goes to the log (uvicorn logs it as well), never to the person."""
    if for_machines(request):
        return JSONResponse({"detail": "Internal error: it is logged; try again later."}, status_code=500)
    return error_page(request, 500, "The server failed while answering. The error is logged for us to fix.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
