"""Account pages (forms work without JavaScript): subscribe, confirm, sign in and out, unsubscribe; and the
page helpers other pages share.

Every answer about an address is the same whether it is known or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import subscriptions as subs
from digest.accounts.confirmation import confirm, read_confirm_token
from digest.accounts.inputs import BadInput, normalize_email, parse_cadence
from digest.accounts.links import TokenUsed, UnsubscribeTarget, read_unsubscribe_token
from digest.accounts.search_input import from_form
from digest.accounts.sessions import end_all_sessions, end_session, session_token
from digest.accounts.signin import check_login_token, complete_login
from digest.accounts.tokens import ExpiredToken, InvalidToken
from digest.store.engine import immediate_transactions, session_scope
from digest.store.models import Skill, Subscription, SubscriptionStatus, User
from digest.taxonomy.resolve import UnknownSkill, resolve_skill
from digest.web import errors
from digest.web.account_requests import (
    ACCEPTED,
    LOGIN_SENT,
    TOO_MANY,
    RateLimited,
    ask_for_login,
    queue_after_answering,
    settings_of,
    subscribe_on_web,
)
from digest.web.pages import home_context
from digest.web.search_forms import has_filters, search_form
from digest.web.search_forms import preview as search_preview
from digest.web.security import clear_session, current_user, session_cookie, set_session
from digest.web.templating import templates

router = APIRouter()


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, title: str, message: str, status: int = 400) -> HTMLResponse:
    return errors.error_page(request, status, message, title=title)


def token_error(request: Request, exc: InvalidToken, what: str) -> HTMLResponse:
    if isinstance(exc, ExpiredToken):
        return error_page(request, "This link has expired", f"{what} links only work for a while. {exc}.", 410)
    if isinstance(exc, TokenUsed):
        return error_page(request, "This link was already used", f"{str(exc).capitalize()}.", 410)
    message = f"{str(exc).capitalize()}. Copy the whole link from the email."
    return error_page(request, "This link does not work", message)


@router.post("/subscribe", response_class=HTMLResponse, include_in_schema=False)
def form_subscribe(
    request: Request,
    tasks: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)] = "",
    skill: Annotated[str, Form(max_length=200)] = "",
    cadence: Annotated[str, Form(max_length=20)] = "daily",
    preview: Annotated[str, Form(max_length=5)] = "",
    fields: Annotated[dict[str, Any], Depends(search_form)] = {},  # noqa: B006  (a dependency's answer)
) -> Response:
    """Subscribe to a skill, or to a search (the filters in the form's <details>). "Preview" shows how many
    postings the search would have matched lately instead, with the form to change it or subscribe."""
    filtered = has_filters(fields)
    form = {"email": email, "skill": skill.replace("\x00", ""), "cadence": cadence, **fields, "filters_open": filtered}
    if preview:
        return _preview_page(request, form, fields)
    try:
        address = normalize_email(email)
        cad = parse_cadence(cadence)
        if "\x00" in skill:
            raise BadInput("A skill name holds no NUL byte.")
        search = from_form(fields) if filtered else None
    except BadInput as exc:
        return _home_error(request, form, str(exc), [], 422)
    limited = False
    with session_scope() as session:  # the rate limit, the subscription, the email owed: one transaction
        try:
            outcome, own = subscribe_on_web(request, session, address, skill, cad, search)
        except RateLimited:
            session.rollback()  # nothing of the request is kept, as before
            limited = True
        except UnknownSkill as exc:
            named = errors.clip(exc.query, 60) if exc.query.strip() else ""
            error = f"We do not know the skill “{named}”." if named else "Choose a skill to follow."
            suggestions = [{"slug": s.slug, "name": s.name} for s in exc.suggestions]
        except BadInput as exc:
            session.rollback()
            error, suggestions = str(exc), []
        else:
            error, suggestions, skill_name = "", [], outcome.skill.name
    if limited:
        return _home_error(request, form, TOO_MANY, [], 429)
    if error:
        return _home_error(request, form, error, suggestions, 422)
    if own:
        return RedirectResponse("/settings?done=added", status_code=303)
    queue_after_answering(tasks, outcome.email_id)
    ctx = {
        "skill": skill_name,
        "cadence": cad.value,
        "message": ACCEPTED,
        "valid_days": settings_of(request).confirm_link_max_age // 86400,
        "resend_minutes": max(1, -(-settings_of(request).confirm_resend_after // 60)),  # a new link, at the soonest
    }
    return page(request, "confirm_sent.html", ctx, 202)


def _preview_page(request: Request, form: dict[str, Any], fields: dict[str, Any]) -> HTMLResponse:
    """The search's preview counts, and the subscribe form again with everything as typed."""
    with session_scope() as session:
        try:
            counts = search_preview(session, form["skill"], fields)
            skill = resolve_skill(session, form["skill"])
        except UnknownSkill as exc:
            named = errors.clip(exc.query, 60)
            error = f"We do not know the skill “{named}”." if named.strip() else "Choose a skill to follow."
            return _home_error(request, form, error, [{"slug": s.slug, "name": s.name} for s in exc.suggestions], 422)
        except BadInput as exc:
            return _home_error(request, {**form, "filters_open": True}, str(exc), [], 422)
        ctx = {
            "skill": {"slug": skill.slug, "name": skill.name},
            "form": {**form, "filters_open": True},
            "search_preview": counts,
            "signed_in": current_user(request, session) is not None,
        }
    return page(request, "search_preview.html", ctx)


def _home_error(
    request: Request, form: dict[str, Any], error: str, suggestions: list[dict[str, str]], status: int
) -> HTMLResponse:
    # a skill page's form sends the slug ("python"); the home page's Skill box shows what a person types, its name
    with session_scope() as session:
        name = session.scalar(select(Skill.name).where(Skill.slug == form.get("skill", "")))
    ctx = home_context("", form={**form, "skill": name or form.get("skill", "")}, error=error, suggestions=suggestions)
    return page(request, "home.html", ctx, status)


@router.get("/confirm", response_class=HTMLResponse, include_in_schema=False)
def confirm_page(request: Request, token: str = "") -> HTMLResponse:
    """Opening the link shows one button that confirms and signs in; opening alone changes nothing, so a mail
    scanner that follows links neither confirms nor spends the sign-in. A link already used says where the
    subscription stands."""
    try:
        with session_scope() as session:
            link = read_confirm_token(session, settings_of(request), token, clock.utcnow())
            ctx = _confirm_context(link.subscription)
            used = link.used
    except InvalidToken as exc:
        return token_error(request, exc, "Confirmation")
    if used:
        return page(request, "confirm_used.html", ctx)
    return page(request, "confirm_continue.html", {**ctx, "token": token})


def _confirm_context(sub: Subscription) -> dict[str, str]:
    return {"skill": sub.skill.name, "cadence": sub.cadence.value, "email": sub.user.email, "status": sub.status.value}


@router.post("/confirm", include_in_schema=False)
def confirm_form(request: Request, token: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The button: confirm (double opt-in), sign in and land on the settings, in one click."""
    now = clock.utcnow()
    try:
        with immediate_transactions(), session_scope() as session:
            done = confirm(session, settings_of(request), token, now)
            cookie = start_session(request, session, done.user, now)
    except TokenUsed:
        return confirm_page(request, token)  # a double click, or the link used before: say where it stands
    except InvalidToken as exc:
        return token_error(request, exc, "Confirmation")
    response = RedirectResponse("/settings?done=confirmed", status_code=303)
    set_session(response, request, cookie)
    return response


def start_session(request: Request, session: Session, user: User, now: datetime) -> str:
    """The one place a sign-in starts (a sign-in link, a confirmation link): the session cookie's value."""
    return session_token(settings_of(request), user, now)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, token: str = "") -> HTMLResponse:
    """Without a token: the sign-in form. With one: a button that signs in, so a mail scanner opening the
    link does not spend it."""
    if not token:
        return page(request, "login.html", {})
    try:
        with session_scope() as session:
            user, _ = check_login_token(session, settings_of(request), token, clock.utcnow())
            email = user.email
    except InvalidToken as exc:
        return token_error(request, exc, "Sign-in")
    return page(request, "login_continue.html", {"token": token, "email": email})


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(
    request: Request, tasks: BackgroundTasks, email: Annotated[str, Form(max_length=320)] = ""
) -> HTMLResponse:
    try:
        address = normalize_email(email)
    except BadInput as exc:
        return page(request, "login.html", {"error": str(exc), "email": email}, 422)
    try:
        owed = ask_for_login(request, address)
    except RateLimited:
        return page(request, "login.html", {"error": TOO_MANY, "email": email}, 429)
    queue_after_answering(tasks, owed)
    return page(request, "login_sent.html", {"message": LOGIN_SENT}, 202)


@router.post("/login/complete", include_in_schema=False)
def login_complete(request: Request, token: Annotated[str, Form(max_length=2000)] = "") -> Response:
    now = clock.utcnow()
    try:
        with session_scope() as session:
            user = complete_login(session, settings_of(request), token, now)
            cookie = start_session(request, session, user, now)
    except InvalidToken as exc:
        return token_error(request, exc, "Sign-in")
    response = RedirectResponse("/settings", status_code=303)
    set_session(response, request, cookie)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    """This browser's session ends server-side: the cookie, or any copy of it, no longer signs in."""
    token = session_cookie(request)
    if token:
        with session_scope() as session:
            end_session(session, settings_of(request), token, clock.utcnow())
    response = RedirectResponse("/settings?done=signed-out", status_code=303)
    clear_session(response)
    return response


@router.post("/settings/sign-out-everywhere", include_in_schema=False)
def sign_out_everywhere(request: Request) -> Response:
    """Every session of the account ends (a lost phone, a shared computer): each browser must sign in again."""
    with session_scope() as session:
        user = current_user(request, session)
        if user is not None:
            end_all_sessions(session, user)
    response = RedirectResponse("/settings?done=signed-out-everywhere", status_code=303)
    clear_session(response)
    return response


@router.get("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(request: Request, token: str = "") -> HTMLResponse:
    """Shows the choices; never changes anything (mail scanners open links)."""
    try:
        with session_scope() as session:
            target = read_unsubscribe_token(session, settings_of(request), token, clock.utcnow())
            ctx = _unsubscribe_context(target, token)
    except InvalidToken as exc:
        return token_error(request, exc, "Unsubscribe")
    return page(request, "unsubscribe.html", ctx)


def _unsubscribe_context(target: UnsubscribeTarget, token: str) -> dict[str, Any]:
    sub = target.subscription
    return {
        "token": token,
        "email": target.user.email,
        "skill": sub.skill.name if sub else None,
        "status": sub.status.value if sub else None,
        "paired": target.paired_alerts,
    }


@router.post("/unsubscribe", include_in_schema=False)
async def unsubscribe_post(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click (body List-Unsubscribe=One-Click): unsubscribe at once, 200, no redirect.
    From the page: action = one, all or pause."""
    form = await request.form()
    one_click = form.get("List-Unsubscribe") == "One-Click"
    action = str(form.get("action") or ("one" if one_click else ""))
    now = clock.utcnow()
    try:
        with session_scope() as session:
            target = read_unsubscribe_token(session, settings_of(request), token, now)
            skill = target.subscription.skill.name if target.subscription else None
            pending = target.subscription is not None and target.subscription.status == SubscriptionStatus.pending
            if one_click:
                subs.one_click_unsubscribe(session, target, now)
            elif action == "paired" and target.paired_alerts:
                subs.stop_paired_alerts(target.user)
            elif action == "all" or (action == "one" and target.subscription is None):
                subs.unsubscribe_all(session, target.user, now)
                skill = None
            elif action == "one" and target.subscription is not None:
                subs.unsubscribe(session, target.subscription, now)
            elif action == "pause" and target.subscription is not None:
                subs.pause(session, target.subscription, now)
            else:
                return error_page(request, "Nothing changed", "Choose one of the buttons on the page.", 400)
    except InvalidToken as exc:
        if one_click:
            return PlainTextResponse(f"Not unsubscribed: {exc}.", status_code=400)
        return token_error(request, exc, "Unsubscribe")
    if one_click:
        return PlainTextResponse("You are unsubscribed.", status_code=200)
    return page(request, "unsubscribe_done.html", {"action": action, "skill": skill, "cancelled": pending})
