"""The JSON API for people: subscribe, list and change subscriptions, the account, skill search, sign-in links.

Every answer about an address is the same whether it is known or not.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import subscriptions as subs
from digest.accounts.inputs import BadInput, normalize_email
from digest.accounts.people import local_time_label, next_digest_at, update_account
from digest.accounts.search_input import SearchInput, as_input, description, resolve_search
from digest.accounts.searches import stored
from digest.demand.search import search_skills
from digest.store.engine import session_scope
from digest.store.models import Skill, Subscription, SubscriptionStatus, User
from digest.taxonomy.resolve import UnknownSkill
from digest.web.account_requests import (
    ACCEPTED,
    LOGIN_SENT,
    SUBSCRIBED,
    TOO_MANY,
    RateLimited,
    SubscriptionId,
    ask_for_login,
    queue_after_answering,
    subscribe_on_web,
)
from digest.web.api_models import (
    Level,
    LoginIn,
    MeOut,
    MePatch,
    Message,
    SearchIn,
    SearchPreviewOut,
    SkillFound,
    SkillOut,
    SubscribeIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from digest.web.problems import Problem, Suggestion
from digest.web.security import csrf_token, current_user, excerpt

router = APIRouter()

SIGN_IN_FIRST = "Sign in first: POST /api/login with your email address and open the link we send."


def _skill_out(skill: Skill) -> SkillOut:
    return SkillOut(slug=skill.slug, name=skill.name, category=skill.category, kind=skill.kind)


def _sub_out(session: Session, user: User, sub: Subscription) -> SubscriptionOut:
    nxt = next_digest_at(user, sub, clock.utcnow())
    search = stored(sub.skill_id, sub.search)
    plain = sub.search is None  # the skill alone: named by it, nothing to look up
    return SubscriptionOut(
        id=sub.id,
        skill=_skill_out(sub.skill),
        cadence=sub.cadence,
        status=sub.status,
        next_digest_at=nxt.isoformat() if nxt else None,
        next_digest_local=local_time_label(user, nxt) if nxt else None,
        search_text=sub.skill.name if plain else description(session, sub.skill_id, sub.search),
        search=SearchIn() if plain else SearchIn.model_validate(as_input(session, search)),
    )


def _search_input(body: SearchIn | None) -> SearchInput | None:
    return None if body is None else SearchInput(**body.model_dump())


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


@router.post(
    "/api/subscriptions",
    summary="Subscribe to a skill digest (double opt-in)",
    status_code=202,
    response_model=Message,
    responses={429: {"model": Message}},
    tags=["subscriptions"],
)
def api_subscribe(request: Request, body: SubscribeIn, tasks: BackgroundTasks) -> Any:
    """Ask for a digest of a skill, or of a search: `search` adds skills (any or all of them) and job filters.
    The answer is the same whether the address is new, pending or already subscribed; a confirmation email
    carries the link that starts it (an active subscription's search changes only through PATCH)."""
    try:
        address = normalize_email(body.email)
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    with session_scope() as session:  # the rate limit, the subscription, the email owed: one transaction
        try:
            search = _search_input(body.search)
            outcome, own = subscribe_on_web(request, session, address, body.skill, body.cadence, search)
        except RateLimited:  # nothing of the request is kept, as before (the session rolls back)
            raise HTTPException(429, TOO_MANY) from None
        except UnknownSkill as exc:  # answered inside the session: the suggestions are rows
            return _unknown_skill(exc)
        except BadInput as exc:
            session.rollback()
            raise HTTPException(422, str(exc)) from None
    queue_after_answering(tasks, outcome.email_id)
    return JSONResponse({"detail": SUBSCRIBED if own else ACCEPTED}, status_code=202)


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
        return [_sub_out(session, user, s) for s in subs.subscriptions_of(session, user)]


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
        return _sub_out(session, user, _own(session, user, subscription_id))


@router.patch(
    "/api/subscriptions/{subscription_id}",
    summary="Change cadence or search, pause or resume",
    response_model=SubscriptionOut,
    responses={
        401: {"model": Message},
        403: {"model": Message},
        404: {"model": Message},
        409: {"model": Message},
    },
    tags=["subscriptions"],
)
def api_patch(request: Request, subscription_id: SubscriptionId, body: SubscriptionPatch) -> Any:
    """Change the cadence or the search (nothing pending is lost or sent twice: the window carries on and
    items already sent stay sent), pause or resume. A `search` replaces the whole search on the same skill."""
    now = clock.utcnow()
    with session_scope() as session:
        user = _api_user(request, session)
        sub = _own(session, user, subscription_id)
        if sub.status == SubscriptionStatus.pending and body.status is not None:
            raise HTTPException(409, "This subscription is not confirmed yet: open the link in the email first.")
        if body.search is not None:
            try:
                search = resolve_search(session, sub.skill.slug, SearchInput(**body.search.model_dump()))
            except UnknownSkill as exc:
                return _unknown_skill(exc)
            except BadInput as exc:
                raise HTTPException(422, str(exc)) from None
            subs.change_search(session, sub, search, now)
        if body.cadence is not None:
            subs.change_cadence(session, sub, body.cadence, now)
        if body.status == "paused":
            subs.pause(session, sub, now)
        elif body.status == "active":
            subs.resume(session, sub, now)
        return _sub_out(session, user, sub)


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
    summary="Change time zone, send hour, weekday or alert emails (which, from what size)",
    response_model=MeOut,
    responses={401: {"model": Message}, 403: {"model": Message}},
    tags=["account"],
)
def api_me_patch(request: Request, body: MePatch) -> Any:
    with session_scope() as session:
        user = _api_user(request, session)
        try:
            update_account(session, user, **body.model_dump(exclude_none=True))
        except BadInput as exc:
            raise HTTPException(422, str(exc)) from None
        return _me(request, session, user)


def _me(request: Request, session: Session, user: User) -> MeOut:
    return MeOut(
        email=user.email,
        timezone=user.timezone,
        send_hour=user.send_hour,
        weekday=user.weekday,
        alert_emails=user.alert_emails,
        alert_scope=user.alert_scope,  # checked when stored (update_account)
        alert_min_change=user.alert_min_change,
        csrf_token=csrf_token(request),
        subscriptions=[_sub_out(session, user, s) for s in subs.subscriptions_of(session, user)],
    )


@router.get("/api/skills", summary="Find skills to follow", response_model=list[SkillFound], tags=["skills"])
def api_skills(q: Annotated[str, Query(max_length=200)] = "", limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    """Skills whose name, slug or alias contains q: the exact match first, then by postings in the 90 days to
    as_of (today, or the newest day with postings when none are that recent). Without q, the most asked for."""
    from digest.demand.freshness import counts_day

    with session_scope() as session:
        as_of = counts_day(session, clock.today()).as_of
        return [
            SkillFound(slug=s.slug, name=s.name, category=s.category, kind=s.kind, postings=n, as_of=as_of.isoformat())
            for s, n in search_skills(session, q, limit, as_of)
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
        address = normalize_email(body.email)
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        owed = ask_for_login(request, address)
    except RateLimited:
        raise HTTPException(429, TOO_MANY) from None
    queue_after_answering(tasks, owed)
    return JSONResponse({"detail": LOGIN_SENT}, status_code=202)


@router.get(
    "/api/searches/preview",
    summary="How many postings a search would have matched lately",
    response_model=SearchPreviewOut,
    tags=["subscriptions"],
)
def api_search_preview(
    skill: Annotated[str, Query(max_length=200, description="the subscription's skill")],
    more_skills: Annotated[str, Query(max_length=1000, description="more skills, comma-separated")] = "",
    all_skills: bool = False,
    kind: Annotated[Literal["both", "news", "jobs"], Query()] = "both",
    remote: Annotated[Literal["any", "only", "exclude"], Query()] = "any",
    metros: Annotated[str, Query(max_length=1000, description="metros, comma-separated")] = "",
    or_remote: bool = False,
    seniority: Annotated[list[Level], Query(max_length=6)] = [],  # noqa: B006  (FastAPI copies defaults)
    min_salary: Annotated[int | None, Query(ge=1, le=10_000_000)] = None,
    currency: Annotated[str, Query(max_length=3)] = "",
    drop_unsalaried: bool = False,
    exclude_companies: Annotated[str, Query(max_length=1500, description="comma-separated")] = "",
    exclude_words: Annotated[str, Query(max_length=1500, description="comma-separated")] = "",
) -> Any:
    """The job postings the search would have matched in the 7 and 30 days to the newest day with postings
    (today on a live install): what the subscribe form shows as filters change. Takes the subscribe form's
    own fields; bounded (one indexed read per skill, at most 50,000 mentions)."""
    from digest.web.search_forms import preview

    fields: dict[str, object] = {
        "more_skills": more_skills,
        "all_skills": "1" if all_skills else "",
        "kind": kind,
        "remote": remote,
        "metros": metros,
        "or_remote": "1" if or_remote else "",
        "seniority": list(seniority),
        "min_salary": str(min_salary or ""),
        "currency": currency,
        "drop_unsalaried": "1" if drop_unsalaried else "",
        "exclude_companies": exclude_companies,
        "exclude_words": exclude_words,
    }
    with session_scope() as session:
        try:
            found = preview(session, skill, fields)
        except UnknownSkill as exc:
            return _unknown_skill(exc)
        except BadInput as exc:
            raise HTTPException(422, str(exc)) from None
        return SearchPreviewOut(
            search=found["search"],
            postings_7_days=found["week"],
            postings_30_days=found["month"],
            as_of=found["as_of"].isoformat(),
        )
