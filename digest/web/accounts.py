"""Subscribe, confirm, sign in, settings, unsubscribe: pages and JSON API.

Every answer about an address is the same whether it is known or not. Forms work without JavaScript.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import ratelimit
from digest.accounts import subscriptions as subs
from digest.accounts.tokens import ExpiredToken, InvalidToken
from digest.config import Settings
from digest.store.engine import immediate_transactions, session_scope
from digest.store.models import Cadence, Skill, Subscription, SubscriptionStatus, User
from digest.taxonomy.resolve import UnknownSkill
from digest.web import errors
from digest.web.pages import home_context
from digest.web.problems import Problem, Suggestion
from digest.web.security import clear_session, csrf_token, current_user, excerpt, session_cookie, set_session
from digest.web.templating import templates

router = APIRouter()
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a subscription id from GET /api/subscriptions")]

ACCEPTED = "If that address can receive email, a confirmation link is on its way. Open it to start your digest."
SUBSCRIBED = "Subscribed. Manage it in your settings."
LOGIN_SENT = "If that address has an account, a sign-in link is on its way. It works once, for 30 minutes."
SIGN_IN_FIRST = "Sign in first: POST /api/login with your email address and open the link we send."


def _settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class RateLimited(Exception):
    pass


def _rate_limit(request: Request, action: str, address: str | None, session: Session | None = None) -> None:
    """Per client always; per address when there is a valid one. Raises RateLimited. In `session` (the
    request's own transaction: one commit a request) or, without one, in a transaction of its own."""
    if session is None:
        with session_scope() as own:
            _rate_limit(request, action, address, own)
        return
    settings = _settings(request)
    now, hour = clock.utcnow(), timedelta(hours=1)
    client_key = f"{action}:client:{_client(request)}"
    if not ratelimit.hit(session, client_key, settings.rate_limit_per_client_hour, hour, now):
        raise RateLimited
    if address and not ratelimit.hit(
        session, f"{action}:address:{address}", settings.rate_limit_per_address_hour, hour, now
    ):
        raise RateLimited


TOO_MANY = "Too many requests. Please wait a while (up to an hour) and try again."


def _send_after_answering(tasks: BackgroundTasks, settings: Settings, emails: list[subs.PendingEmail]) -> None:
    """Emails go out after the response, so a known address takes no longer to answer than an unknown one."""
    if emails:
        tasks.add_task(_deliver, settings, emails)


def _deliver(settings: Settings, emails: list[subs.PendingEmail]) -> None:
    for email in emails:
        with session_scope() as session:
            subs.deliver(session, settings, email, clock.utcnow())


# --- JSON models ------------------------------------------------------------------------------------


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
    csrf_token: str = Field(description="send it as the X-CSRF-Token header with PATCH and DELETE")
    subscriptions: list[SubscriptionOut]


class MePatch(BaseModel):
    timezone: str | None = Field(default=None, max_length=64)
    send_hour: int | None = Field(default=None, ge=0, le=23)
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday")
    alert_emails: bool | None = None


def _skill_out(skill: Skill) -> SkillOut:
    return SkillOut(slug=skill.slug, name=skill.name, category=skill.category, kind=skill.kind)


def _sub_out(user: User, sub: Subscription) -> SubscriptionOut:
    nxt = subs.next_digest_at(user, sub, clock.utcnow())
    return SubscriptionOut(
        id=sub.id,
        skill=_skill_out(sub.skill),
        cadence=sub.cadence,
        status=sub.status,
        next_digest_at=nxt.isoformat() if nxt else None,
        next_digest_local=subs.local_time_label(user, nxt) if nxt else None,
    )


def _api_user(request: Request, session: Session) -> User:
    user = current_user(request, session)
    if user is None:
        raise HTTPException(401, SIGN_IN_FIRST)
    return user


def _unknown_skill(exc: UnknownSkill) -> JSONResponse:
    names = ", ".join(s.name for s in exc.suggestions)
    hint = f" Did you mean: {names}?" if names else " Try GET /api/skills?q= to search."
    body = Problem(
        detail=f"We do not know the skill {excerpt(exc.query)!r}.{hint}",
        suggestions=[Suggestion(slug=s.slug, name=s.name, category=s.category) for s in exc.suggestions],
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=422)


# --- JSON API ---------------------------------------------------------------------------------------


@router.post(
    "/api/subscriptions",
    summary="Subscribe to a skill digest (double opt-in)",
    status_code=202,
    response_model=Message,
    responses={429: {"model": Message}},
    tags=["subscriptions"],
)
def api_subscribe(request: Request, body: SubscribeIn, tasks: BackgroundTasks) -> Any:
    """Ask for a digest. The answer is the same whether the address is new, pending or already subscribed;
    a confirmation email carries the link that starts it."""
    try:
        address = subs.normalize_email(body.email)
    except subs.BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    later: list[subs.PendingEmail] = []
    with session_scope() as session:  # the rate limit and the subscription: one transaction, one commit
        try:
            _rate_limit(request, "subscribe", address, session)
        except RateLimited:  # nothing of the request is kept, as before (the session rolls back)
            raise HTTPException(429, TOO_MANY) from None
        own = _signed_in_as(request, session, address)
        try:
            subs.subscribe(
                session,
                _settings(request),
                address,
                body.skill,
                body.cadence,
                clock.utcnow(),
                confirmed=own,
                later=later,
            )
        except UnknownSkill as exc:  # answered inside the session: the suggestions are rows
            return _unknown_skill(exc)
    _send_after_answering(tasks, _settings(request), later)
    return JSONResponse({"detail": SUBSCRIBED if own else ACCEPTED}, status_code=202)


def _signed_in_as(request: Request, session: Session, address: str) -> bool:
    """A person signed in as `address` has proved it is theirs: no confirmation round trip."""
    user = current_user(request, session)
    return user is not None and user.email == address


@router.get(
    "/api/subscriptions",
    summary="Your subscriptions",
    response_model=list[SubscriptionOut],
    responses={401: {"model": Message}},
    tags=["subscriptions"],
)
def api_list(request: Request) -> Any:
    with session_scope() as session:
        user = _api_user(request, session)
        return [_sub_out(user, s) for s in subs.subscriptions_of(session, user)]


@router.get(
    "/api/subscriptions/{subscription_id}",
    summary="One of your subscriptions",
    response_model=SubscriptionOut,
    responses={401: {"model": Message}, 404: {"model": Message}},
    tags=["subscriptions"],
)
def api_get(request: Request, subscription_id: SubscriptionId) -> Any:
    with session_scope() as session:
        user = _api_user(request, session)
        return _sub_out(user, _own(session, user, subscription_id))


@router.patch(
    "/api/subscriptions/{subscription_id}",
    summary="Change cadence, pause or resume",
    response_model=SubscriptionOut,
    responses={401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}, 409: {"model": Message}},
    tags=["subscriptions"],
)
def api_patch(request: Request, subscription_id: SubscriptionId, body: SubscriptionPatch) -> Any:
    """Change the cadence (nothing pending is lost or sent twice), pause or resume."""
    now = clock.utcnow()
    with session_scope() as session:
        user = _api_user(request, session)
        sub = _own(session, user, subscription_id)
        if sub.status == SubscriptionStatus.pending and body.status is not None:
            raise HTTPException(409, "This subscription is not confirmed yet: open the link in the email first.")
        if body.cadence is not None:
            subs.change_cadence(session, sub, body.cadence, now)
        if body.status == "paused":
            subs.pause(session, sub, now)
        elif body.status == "active":
            subs.resume(session, sub, now)
        return _sub_out(user, sub)


@router.delete(
    "/api/subscriptions/{subscription_id}",
    summary="Unsubscribe from one skill",
    status_code=204,
    responses={401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}},
    tags=["subscriptions"],
)
def api_delete(request: Request, subscription_id: SubscriptionId) -> Response:
    """Unsubscribe from this skill."""
    with session_scope() as session:
        user = _api_user(request, session)
        subs.unsubscribe(session, _own(session, user, subscription_id), clock.utcnow())
    return Response(status_code=204)


def _own(session: Session, user: User, subscription_id: int) -> Subscription:
    try:
        return subs.subscription_of(session, user, subscription_id)
    except subs.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get(
    "/api/me", summary="Your account", response_model=MeOut, responses={401: {"model": Message}}, tags=["account"]
)
def api_me(request: Request) -> Any:
    with session_scope() as session:
        user = _api_user(request, session)
        return _me(request, session, user)


@router.patch(
    "/api/me",
    summary="Change time zone, send hour, weekday or alert emails",
    response_model=MeOut,
    responses={401: {"model": Message}, 403: {"model": Message}},
    tags=["account"],
)
def api_me_patch(request: Request, body: MePatch) -> Any:
    with session_scope() as session:
        user = _api_user(request, session)
        try:
            subs.update_account(session, user, **body.model_dump(exclude_none=True))
        except subs.BadInput as exc:
            raise HTTPException(422, str(exc)) from None
        return _me(request, session, user)


def _me(request: Request, session: Session, user: User) -> MeOut:
    return MeOut(
        email=user.email,
        timezone=user.timezone,
        send_hour=user.send_hour,
        weekday=user.weekday,
        alert_emails=user.alert_emails,
        csrf_token=csrf_token(request),
        subscriptions=[_sub_out(user, s) for s in subs.subscriptions_of(session, user)],
    )


class SkillFound(SkillOut):
    postings: int = Field(description="job postings mentioning the skill in the 90 days to as_of")
    as_of: str = Field(description="the last day of that window (UTC), ISO 8601")


@router.get("/api/skills", summary="Find skills to follow", response_model=list[SkillFound], tags=["skills"])
def api_skills(q: Annotated[str, Query(max_length=200)] = "", limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    """Skills whose name, slug or alias contains q: the exact match first, then by postings in the 90 days to
    as_of (today, or the newest day with postings when none are that recent). Without q, the most asked for."""
    from digest.demand.freshness import counts_day

    with session_scope() as session:
        as_of = counts_day(session, clock.today()).as_of
        return [
            SkillFound(slug=s.slug, name=s.name, category=s.category, kind=s.kind, postings=n, as_of=as_of.isoformat())
            for s, n in subs.search_skills(session, q, limit, as_of)
        ]


@router.post(
    "/api/login",
    summary="Email me a sign-in link",
    status_code=202,
    response_model=Message,
    responses={429: {"model": Message}},
    tags=["account"],
)
def api_login(request: Request, body: LoginIn, tasks: BackgroundTasks) -> Any:
    """Email a one-time sign-in link. The answer is the same whether the address has an account or not."""
    try:
        address = subs.normalize_email(body.email)
    except subs.BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        _rate_limit(request, "login", address)
    except RateLimited:
        raise HTTPException(429, TOO_MANY) from None
    later: list[subs.PendingEmail] = []
    with session_scope() as session:
        subs.request_login(session, _settings(request), address, clock.utcnow(), later)
    _send_after_answering(tasks, _settings(request), later)
    return JSONResponse({"detail": LOGIN_SENT}, status_code=202)


# --- pages --------------------------------------------------------------------------------------------


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, title: str, message: str, status: int = 400) -> HTMLResponse:
    return errors.error_page(request, status, message, title=title)


def _token_error(request: Request, exc: InvalidToken, what: str) -> HTMLResponse:
    if isinstance(exc, ExpiredToken):
        return error_page(request, "This link has expired", f"{what} links only work for a while. {exc}.", 410)
    if isinstance(exc, subs.TokenUsed):
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
) -> Response:
    form = {"email": email, "skill": skill.replace("\x00", ""), "cadence": cadence}
    try:
        address = subs.normalize_email(email)
        cad = subs.parse_cadence(cadence)
        if "\x00" in skill:
            raise subs.BadInput("A skill name holds no NUL byte.")
    except subs.BadInput as exc:
        return _home_error(request, form, str(exc), [], 422)
    later: list[subs.PendingEmail] = []
    with session_scope() as session:  # the rate limit and the subscription: one transaction, one commit
        try:
            _rate_limit(request, "subscribe", address, session)
        except RateLimited:
            session.rollback()  # nothing of the request is kept, as before
            limited = True
        else:
            limited = False
            own = _signed_in_as(request, session, address)
            try:
                outcome = subs.subscribe(
                    session, _settings(request), address, skill, cad, clock.utcnow(), confirmed=own, later=later
                )
            except UnknownSkill as exc:
                error = f"We do not know the skill “{skill}”." if skill.strip() else "Choose a skill to follow."
                suggestions = [{"slug": s.slug, "name": s.name} for s in exc.suggestions]
            else:
                error, suggestions, skill_name = "", [], outcome.skill.name
    if limited:
        return _home_error(request, form, TOO_MANY, [], 429)
    if error:
        return _home_error(request, form, error, suggestions, 422)
    if own:
        return RedirectResponse("/settings?done=added", status_code=303)
    _send_after_answering(tasks, _settings(request), later)
    ctx = {
        "skill": skill_name,
        "cadence": cad.value,
        "message": ACCEPTED,
        "valid_days": _settings(request).confirm_link_max_age // 86400,
    }
    return page(request, "confirm_sent.html", ctx, 202)


def _home_error(
    request: Request, form: dict[str, str], error: str, suggestions: list[dict[str, str]], status: int
) -> HTMLResponse:
    ctx = home_context("", form=form, error=error, suggestions=suggestions)
    return page(request, "home.html", ctx, status)


@router.get("/confirm", response_class=HTMLResponse, include_in_schema=False)
def confirm_page(request: Request, token: str = "") -> HTMLResponse:
    """Opening the link shows one button that confirms and signs in; opening alone changes nothing, so a mail
    scanner that follows links neither confirms nor spends the sign-in. A link already used says where the
    subscription stands."""
    try:
        with session_scope() as session:
            link = subs.read_confirm_token(session, _settings(request), token, clock.utcnow())
            ctx = _confirm_context(link.subscription)
            used = link.used
    except InvalidToken as exc:
        return _token_error(request, exc, "Confirmation")
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
            done = subs.confirm(session, _settings(request), token, now)
            cookie = start_session(request, session, done.user, now)
    except subs.TokenUsed:
        return confirm_page(request, token)  # a double click, or the link used before: say where it stands
    except InvalidToken as exc:
        return _token_error(request, exc, "Confirmation")
    response = RedirectResponse("/settings?done=confirmed", status_code=303)
    set_session(response, request, cookie)
    return response


def start_session(request: Request, session: Session, user: User, now: datetime) -> str:
    """The one place a sign-in starts (a sign-in link, a confirmation link): the session cookie's value."""
    return subs.session_token(_settings(request), user, now)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, token: str = "") -> HTMLResponse:
    """Without a token: the sign-in form. With one: a button that signs in, so a mail scanner opening the
    link does not spend it."""
    if not token:
        return page(request, "login.html", {})
    try:
        with session_scope() as session:
            user, _ = subs.check_login_token(session, _settings(request), token, clock.utcnow())
            email = user.email
    except InvalidToken as exc:
        return _token_error(request, exc, "Sign-in")
    return page(request, "login_continue.html", {"token": token, "email": email})


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(
    request: Request, tasks: BackgroundTasks, email: Annotated[str, Form(max_length=320)] = ""
) -> HTMLResponse:
    try:
        address = subs.normalize_email(email)
    except subs.BadInput as exc:
        return page(request, "login.html", {"error": str(exc), "email": email}, 422)
    try:
        _rate_limit(request, "login", address)
    except RateLimited:
        return page(request, "login.html", {"error": TOO_MANY, "email": email}, 429)
    later: list[subs.PendingEmail] = []
    with session_scope() as session:
        subs.request_login(session, _settings(request), address, clock.utcnow(), later)
    _send_after_answering(tasks, _settings(request), later)
    return page(request, "login_sent.html", {"message": LOGIN_SENT}, 202)


@router.post("/login/complete", include_in_schema=False)
def login_complete(request: Request, token: Annotated[str, Form(max_length=2000)] = "") -> Response:
    now = clock.utcnow()
    try:
        with session_scope() as session:
            user = subs.complete_login(session, _settings(request), token, now)
            cookie = start_session(request, session, user, now)
    except InvalidToken as exc:
        return _token_error(request, exc, "Sign-in")
    response = RedirectResponse("/settings", status_code=303)
    set_session(response, request, cookie)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    """This browser's session ends server-side: the cookie, or any copy of it, no longer signs in."""
    token = session_cookie(request)
    if token:
        with session_scope() as session:
            subs.end_session(session, _settings(request), token, clock.utcnow())
    response = RedirectResponse("/settings?done=signed-out", status_code=303)
    clear_session(response)
    return response


@router.post("/settings/sign-out-everywhere", include_in_schema=False)
def sign_out_everywhere(request: Request) -> Response:
    """Every session of the account ends (a lost phone, a shared computer): each browser must sign in again."""
    with session_scope() as session:
        user = current_user(request, session)
        if user is not None:
            subs.end_all_sessions(session, user)
    response = RedirectResponse("/settings?done=signed-out-everywhere", status_code=303)
    clear_session(response)
    return response


# --- settings -----------------------------------------------------------------------------------------

NOTICES = {
    "confirmed": "You're subscribed, and signed in: change how often it comes or when, right here.",
    "resubscribed": "Subscribed again. Your next digest holds what is new from now on.",
    "account": "Your settings are saved.",
    "added": "Subscribed. Your first digest holds what is new from now on.",
    "cadence": "Cadence changed. Your next digest holds everything since the last one.",
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
) -> HTMLResponse:
    """The settings page; after a refused change, with what the person typed (`account`) and each refused
    field's message (`errors`, by field name) so nothing they entered is lost."""
    now = clock.utcnow()
    rows = []
    for sub in subs.subscriptions_of(session, user):
        nxt = subs.next_digest_at(user, sub, now)
        rows.append(
            {
                "id": sub.id,
                "skill": sub.skill.name,
                "slug": sub.skill.slug,
                "cadence": sub.cadence.value,
                "status": sub.status.value,
                "next": subs.local_time_label(user, nxt) if nxt else None,
            }
        )
    left = [{"id": s.id, "skill": s.skill.name, "slug": s.skill.slug} for s in subs.left_by(session, user)]
    saved = {
        "email": user.email,
        "timezone": user.timezone,
        "send_hour": user.send_hour,
        "weekday": user.weekday,
        "alert_emails": user.alert_emails,
    }
    ctx = {
        "user": {**saved, **(account or {})},
        "rows": rows,
        "left": left,
        "weekdays": subs.WEEKDAYS,
        "zones": _zones(),
        "form": {"email": user.email},
        "signed_in": True,
        "skill_names": [sk.name for sk in subs.find_skills(session, "", 500)],
        "notice": notice,
        "errors": errors or {},
        "blocked": subs.is_blocked(session, user),
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
    alert_emails: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    typed: dict[str, Any] = {
        "timezone": timezone,
        "send_hour": send_hour,
        "weekday": weekday,
        "alert_emails": bool(alert_emails),
    }
    with session_scope() as session:
        user = current_user(request, session)
        if user is None:
            return RedirectResponse("/settings", status_code=303)
        refused: dict[str, str] = {}
        values: dict[str, Any] = {"alert_emails": bool(alert_emails)}
        for field, check in (
            ("timezone", subs.check_timezone),
            ("send_hour", lambda v: _form_int(v, "send hour", 0, 23)),
            ("weekday", lambda v: _form_int(v, "weekday", 0, 6)),
        ):
            try:
                values[field] = check(typed[field])
            except subs.BadInput as exc:
                refused[field] = str(exc)
        if refused:  # show every field as typed (accepted ones as read), and mark the refused ones
            account = {**typed, **values}
            return _settings_view(request, session, user, account=account, errors=refused, status=422)
        subs.update_account(session, user, **values)
    return RedirectResponse("/settings?done=account", status_code=303)


def _form_int(value: str, what: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise subs.BadInput(f"The {what} must be a whole number.") from None
    if not low <= number <= high:
        raise subs.BadInput(f"The {what} must be between {low} and {high}.")
    return number


@router.post("/settings/subscriptions/{subscription_id}", include_in_schema=False)
def settings_subscription(
    request: Request,
    subscription_id: SubscriptionId,
    action: Annotated[str, Form(max_length=20)] = "cadence",
    cadence: Annotated[str, Form(max_length=20)] = "",
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
                raise subs.BadInput(f"Unknown action “{errors.clip(action, 20)}”.")
        except subs.NotFound as exc:
            return error_page(request, "No such subscription", str(exc), 404)
        except subs.BadInput as exc:
            session.rollback()
            return _settings_view(request, session, user, errors={"subscriptions": str(exc)}, status=422)
    return RedirectResponse(f"/settings?done={done}", status_code=303)


# --- unsubscribe ----------------------------------------------------------------------------------------


@router.get("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(request: Request, token: str = "") -> HTMLResponse:
    """Shows the choices; never changes anything (mail scanners open links)."""
    try:
        with session_scope() as session:
            target = subs.read_unsubscribe_token(session, _settings(request), token, clock.utcnow())
            ctx = _unsubscribe_context(target, token)
    except InvalidToken as exc:
        return _token_error(request, exc, "Unsubscribe")
    return page(request, "unsubscribe.html", ctx)


def _unsubscribe_context(target: subs.UnsubscribeTarget, token: str) -> dict[str, Any]:
    sub = target.subscription
    return {
        "token": token,
        "email": target.user.email,
        "skill": sub.skill.name if sub else None,
        "status": sub.status.value if sub else None,
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
            target = subs.read_unsubscribe_token(session, _settings(request), token, now)
            skill = target.subscription.skill.name if target.subscription else None
            if one_click:
                subs.one_click_unsubscribe(session, target, now)
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
        return _token_error(request, exc, "Unsubscribe")
    if one_click:
        return PlainTextResponse("You are unsubscribed.", status_code=200)
    return page(request, "unsubscribe_done.html", {"action": action, "skill": skill})
