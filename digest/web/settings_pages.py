"""The settings page: a signed-in person's account (time zone, send hour, weekday), their shift alert emails
(on or off, for which skills, from what size of change) and subscriptions (cadence, pause, resume,
unsubscribe, resubscribe)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import subscriptions as subs
from digest.accounts.inputs import BadInput, check_timezone
from digest.accounts.people import (
    ALERT_MIN_CHANGES,
    WEEKDAYS,
    is_blocked,
    local_time_label,
    next_digest_at,
    update_account,
)
from digest.accounts.search_input import describe_search, from_form, resolve_search
from digest.accounts.searches import stored
from digest.demand.search import find_skills
from digest.store.engine import session_scope
from digest.store.models import Subscription, User
from digest.taxonomy.resolve import UnknownSkill
from digest.web import errors
from digest.web.account_pages import error_page, page
from digest.web.account_requests import SubscriptionId
from digest.web.errors import clip
from digest.web.search_forms import form_values, search_form
from digest.web.search_forms import preview as search_preview
from digest.web.security import current_user

router = APIRouter()

NOTICES = {
    "confirmed": "You're subscribed, and signed in: change how often it comes or when, right here.",
    "resubscribed": "Subscribed again. Your next digest holds what is new from now on.",
    "account": "Your settings are saved.",
    "alerts": "Your alert settings are saved.",
    "added": "Subscribed. Your first digest holds what is new from now on.",
    "cadence": "Cadence changed. Your next digest holds everything since the last one.",
    "search": "Search saved. Your next digest holds what it matches since the last one, nothing twice.",
    "paused": "Paused. Resume any time: the next digest picks up where the last one stopped.",
    "resumed": "Resumed.",
    "unsubscribed": "Unsubscribed.",
}


SIGNED_OUT = {  # the sign-in page a sign-out lands on says it happened
    "signed-out": "You are signed out on this browser.",
    "signed-out-everywhere": "You are signed out everywhere: every browser must sign in again, this one too.",
}


@router.get("/settings", response_class=HTMLResponse, include_in_schema=False)
def settings_page(request: Request, done: str = "") -> HTMLResponse:
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            intro = "Sign in to manage your digests."
            return page(request, "login.html", {"intro": intro, "notice": SIGNED_OUT.get(done)})
        return _settings_view(request, session, user, notice=NOTICES.get(done))


def _settings_view(
    request: Request,
    session: Session,
    user: User,
    *,
    notice: str | None = None,
    account: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    editing: tuple[int, dict[str, Any], dict[str, Any] | None, str | None] | None = None,
) -> HTMLResponse:
    """The settings page; after a refused change, with what the person typed (`account`) and each refused
    field's message (`errors`, by field name) so nothing they entered is lost. `editing`: a subscription's
    search form as typed, open, with its preview counts or the reason it was refused."""
    now = clock.utcnow()
    rows = []
    for sub in subs.subscriptions_of(session, user):
        nxt = next_digest_at(user, sub, now)
        search = stored(sub.skill_id, sub.search)
        row: dict[str, Any] = {
            "id": sub.id,
            "skill": sub.skill.name,
            "slug": sub.skill.slug,
            "cadence": sub.cadence.value,
            "status": sub.status.value,
            "next": local_time_label(user, nxt) if nxt else None,
            "search": describe_search(session, search) if sub.search else None,
            "fields": form_values(session, search),
        }
        if editing is not None and editing[0] == sub.id:
            row.update(fields=editing[1], preview=editing[2], search_error=editing[3], open=True)
        rows.append(row)
    left = [{"id": s.id, "skill": s.skill.name, "slug": s.skill.slug} for s in subs.left_by(session, user)]
    saved = {
        "email": user.email,
        "timezone": user.timezone,
        "send_hour": user.send_hour,
        "weekday": user.weekday,
        "alert_emails": user.alert_emails,
        "alert_scope": user.alert_scope,
        "alert_min_change": user.alert_min_change,
    }
    ctx = {
        "user": {**saved, **(account or {})},
        "rows": rows,
        "left": left,
        "weekdays": WEEKDAYS,
        "zones": _zones(),
        "form": {"email": user.email},
        "signed_in": True,
        "skill_names": [sk.name for sk in find_skills(session, "", 500)],
        "notice": notice,
        "errors": errors or {},
        "blocked": is_blocked(session, user),
        "alert_min_changes": ALERT_MIN_CHANGES,
        "paired_top": request.app.state.settings.alert_paired_skills,
    }
    return page(request, "settings.html", ctx, status)


@lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(available_timezones())


@router.post("/settings/account", include_in_schema=False)
def settings_account(
    request: Request,
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
    send_hour: Annotated[str, Form(max_length=4)] = "8",
    weekday: Annotated[str, Form(max_length=4)] = "0",
) -> Response:
    typed: dict[str, Any] = {"timezone": timezone, "send_hour": send_hour, "weekday": weekday}
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            return RedirectResponse("/settings", status_code=303)
        refused: dict[str, str] = {}
        values: dict[str, Any] = {}
        for field, check in (
            ("timezone", check_timezone),
            ("send_hour", lambda v: _form_int(v, "send hour", 0, 23)),
            ("weekday", lambda v: _form_int(v, "weekday", 0, 6)),
        ):
            try:
                values[field] = check(typed[field])
            except BadInput as exc:
                refused[field] = str(exc)
        if refused:  # show every field as typed (accepted ones as read), and mark the refused ones
            account = {**typed, **values}
            return _settings_view(request, session, user, account=account, errors=refused, status=422)
        update_account(session, user, **values)
    return RedirectResponse("/settings?done=account", status_code=303)


@router.post("/settings/alerts", include_in_schema=False)
def settings_alerts(
    request: Request,
    alert_emails: Annotated[str, Form(max_length=10)] = "",
    alert_scope: Annotated[str, Form(max_length=20)] = "followed",
    alert_min_change: Annotated[str, Form(max_length=4)] = "0",
) -> Response:
    """Shift alert emails: on or off, for the skills followed or also their paired skills, from what size."""
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            return RedirectResponse("/settings", status_code=303)
        try:
            update_account(
                session,
                user,
                alert_emails=bool(alert_emails),
                alert_scope=alert_scope,
                alert_min_change=_form_int(alert_min_change, "smallest change", 0, 100),
            )
        except BadInput as exc:
            session.rollback()
            return _settings_view(request, session, user, errors={"alerts": str(exc)}, status=422)
    return RedirectResponse("/settings?done=alerts", status_code=303)


def _search_action(
    request: Request, session: Session, user: User, sub: Subscription, action: str, fields: dict[str, Any], now: Any
) -> HTMLResponse | None:
    """Save the row's search (None: saved), or answer with the page: its preview counts, or why not."""
    try:
        if action == "preview_search":
            counts = search_preview(session, sub.skill.slug, fields)
            return _settings_view(request, session, user, editing=(sub.id, fields, counts, None))
        search = resolve_search(session, sub.skill.slug, from_form(fields))
    except BadInput as exc:
        return _settings_view(request, session, user, editing=(sub.id, fields, None, str(exc)), status=422)
    except UnknownSkill as exc:
        message = f"We do not know the skill “{clip(exc.query)}”."
        return _settings_view(request, session, user, editing=(sub.id, fields, None, message), status=422)
    subs.change_search(session, sub, search, now)
    return None


def _form_int(value: str, what: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"The {what} must be a whole number.") from None
    if not low <= number <= high:
        raise BadInput(f"The {what} must be between {low} and {high}.")
    return number


@router.post("/settings/subscriptions/{subscription_id}", include_in_schema=False)
def settings_subscription(
    request: Request,
    subscription_id: SubscriptionId,
    action: Annotated[str, Form(max_length=20)] = "cadence",
    cadence: Annotated[str, Form(max_length=20)] = "",
    fields: Annotated[dict[str, Any], Depends(search_form)] = {},  # noqa: B006  (a dependency's answer)
) -> Response:
    now = clock.utcnow()
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            return RedirectResponse("/settings", status_code=303)
        try:
            sub = subs.subscription_of(session, user, subscription_id, unsubscribed=action == "resubscribe")
            if action == "cadence":
                subs.change_cadence(session, sub, cadence, now)
                done = "cadence"
            elif action in ("search", "preview_search"):
                refused = _search_action(request, session, user, sub, action, fields, now)
                if refused is not None:
                    return refused
                done = "search"
            elif action == "pause":
                subs.pause(session, sub, now)
                done = "paused"
            elif action == "resume":
                subs.resume(session, sub, now)
                done = "resumed"
            elif action == "unsubscribe":
                subs.unsubscribe(session, sub, now)
                done = "unsubscribed"
            elif action == "resubscribe":
                subs.resubscribe(session, sub, now)
                done = "resubscribed"
            else:
                raise BadInput(f"Unknown action “{errors.clip(action, 20)}”.")
        except subs.NotFound as exc:
            return error_page(request, "No such subscription", str(exc), 404)
        except BadInput as exc:
            session.rollback()
            return _settings_view(request, session, user, errors={"subscriptions": str(exc)}, status=422)
    return RedirectResponse(f"/settings?done={done}", status_code=303)
