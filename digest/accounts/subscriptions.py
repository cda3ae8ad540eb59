"""Subscriptions and accounts: subscribe (double opt-in), confirm, sign in by magic link, change cadence,
pause, resume, unsubscribe, account settings, and the signed links that carry these actions in emails.

Nothing here answers differently for a known or an unknown address: callers get the same result either way.
The digest window of a subscription is (cursor, now]; a confirmed subscription's cursor starts
`first_digest_days` before its confirmation; only a sent digest moves the cursor, so changing
cadence, pausing or resuming never loses or doubles an item.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from digest.accounts.tokens import InvalidToken, make_token, read_token
from digest.config import Settings
from digest.delivery.slots import Prefs, next_due, zone
from digest.mail.message import OutgoingEmail
from digest.mail.render import render_email
from digest.mail.send import send_now
from digest.mail.suppression import canonical_address, is_suppressed, suppress
from digest.store.models import Cadence, Skill, Subscription, SubscriptionStatus, UsedToken, User, UserSession
from digest.taxonomy.resolve import resolve_skill

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BadInput(ValueError):
    """Input a person typed that we cannot use; the message says why in plain words."""


class TokenUsed(InvalidToken):
    """A single-use link opened a second time."""


class NotFound(LookupError):
    pass


# --- validation -----------------------------------------------------------------------------------


def normalize_email(address: str) -> str:
    """The canonical stored form of an address we can deliver to (no DNS lookups); BadInput otherwise.
    A non-ASCII local part is kept (it goes out with SMTPUTF8, which SendGrid supports too); an
    internationalised domain is stored IDNA-encoded (xn--), the form every mail server routes."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadInput(f"That email address does not look right: {exc}") from None
    return canonical_address(f"{checked.local_part}@{checked.ascii_domain}")


def parse_cadence(value: str) -> Cadence:
    try:
        return Cadence(value.strip().lower())
    except ValueError:
        raise BadInput(f"Cadence must be hourly, daily or weekly, not {value!r}.") from None


def check_timezone(name: str) -> str:
    name = name.strip()
    try:
        zone(name)
    except ValueError:
        hint = "use an IANA name such as Europe/Berlin or America/New_York"
        raise BadInput(f"Unknown time zone {name!r}: {hint}.") from None
    return name


# --- subscribe and confirm ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeOutcome:
    """What happened, for logs and tests only: callers must answer people the same way whatever it says."""

    subscription_id: int
    emailed: bool
    skill: Skill


def subscribe(
    session: Session,
    settings: Settings,
    email: str,
    skill_query: str,
    cadence: str | Cadence,
    now: datetime,
    *,
    confirmed: bool = False,
    later: list[PendingEmail] | None = None,
) -> SubscribeOutcome:
    """Ask for a subscription. New, unconfirmed and unsubscribed ones get a confirmation email (resent at
    most every `confirm_resend_after` seconds); active and paused ones are left as they are.
    `confirmed` (the admin CLI only) activates at once and sends nothing. With `later`, the email is
    appended there for the caller to `deliver` after answering, so answers take as long whoever asks.

    Raises BadInput for a bad address or cadence and UnknownSkill (with suggestions) for an unknown skill."""
    address = normalize_email(email)
    cad = cadence if isinstance(cadence, Cadence) else parse_cadence(cadence)
    skill = resolve_skill(session, skill_query)
    user = get_or_create_user(session, address, now)
    existing = select(Subscription).where(Subscription.user_id == user.id, Subscription.skill_id == skill.id)
    sub = session.scalar(existing)
    if sub is None:
        try:
            with session.begin_nested():
                sub = Subscription(
                    user_id=user.id,
                    skill_id=skill.id,
                    cadence=cad,
                    status=SubscriptionStatus.pending,
                    cursor=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(sub)
        except IntegrityError:  # a concurrent request created it first: answer as for a repeat
            return SubscribeOutcome(session.scalars(existing).one().id, False, skill)
    elif sub.status in (SubscriptionStatus.active, SubscriptionStatus.paused):
        if confirmed or _sent_lately(settings, sub, now):
            return SubscribeOutcome(sub.id, False, skill)
        # the same work as for a new address (a write and an email queued): timing tells nobody it exists
        sent = send_already_subscribed(session, settings, user, sub, skill, now, later)
        return SubscribeOutcome(sub.id, sent, skill)
    elif sub.status == SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.pending
        sub.cadence = cad
        sub.confirm_sent_at = None
        sub.updated_at = now
    else:  # pending: the latest choice of cadence wins
        sub.cadence = cad
        sub.updated_at = now
    if confirmed:
        _activate(session, settings, sub, now)
        return SubscribeOutcome(sub.id, False, skill)
    if _sent_lately(settings, sub, now):
        return SubscribeOutcome(sub.id, False, skill)
    sent = send_confirmation(session, settings, user, sub, skill, now, later)
    return SubscribeOutcome(sub.id, sent, skill)


def _sent_lately(settings: Settings, sub: Subscription, now: datetime) -> bool:
    """Whether a sign-up email (confirmation or notice) went out for it less than `confirm_resend_after` ago."""
    resend_after = timedelta(seconds=settings.confirm_resend_after)
    return sub.confirm_sent_at is not None and now - sub.confirm_sent_at < resend_after


def send_already_subscribed(
    session: Session,
    settings: Settings,
    user: User,
    sub: Subscription,
    skill: Skill,
    now: datetime,
    later: list[PendingEmail] | None = None,
) -> bool:
    """A sign-up for a subscription that already runs: tell the address's owner (nothing changes)."""
    unsubscribe = unsubscribe_url(settings, sub.id, user.id, now)
    context = {
        "skill": skill.name,
        "status": sub.status.value,
        "settings_url": settings_url(settings),
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe,
    }
    sub.confirm_sent_at = now  # throttles notices as it throttles confirmations
    session.flush()
    key = f"already-{sub.id}-{int(now.timestamp())}"
    return _send_or_queue(
        session, settings, PendingEmail(user.email, "already_subscribed", context, key, unsubscribe), now, later
    )


def get_or_create_user(session: Session, address: str, now: datetime) -> User:
    user = session.scalar(select(User).where(User.email == address))
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = User(email=address, created_at=now)
            session.add(user)
    except IntegrityError:  # a concurrent request created it first
        user = session.scalar(select(User).where(User.email == address))
        assert user is not None
    return user


def send_confirmation(
    session: Session,
    settings: Settings,
    user: User,
    sub: Subscription,
    skill: Skill,
    now: datetime,
    later: list[PendingEmail] | None = None,
) -> bool:
    token = make_token(settings.secret, "confirm", {"u": user.id, "s": sub.id}, now)
    unsubscribe = unsubscribe_url(settings, sub.id, user.id, now)
    context = {
        "skill": skill.name,
        "cadence": sub.cadence.value,
        "confirm_url": f"{settings.base_url}/confirm?token={token}",
        "valid_days": settings.confirm_link_max_age // 86400,
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe,
    }
    key = f"confirm-{sub.id}-{int(now.timestamp())}"
    sub.confirm_sent_at = now
    session.flush()
    return _send_or_queue(session, settings, PendingEmail(user.email, "confirm", context, key, unsubscribe), now, later)


@dataclass(frozen=True)
class Confirmed:
    subscription: Subscription
    skill: Skill
    user: User


@dataclass(frozen=True)
class ConfirmLink:
    """A valid confirmation link, read without spending it; `used` when it already confirmed."""

    subscription: Subscription
    jti: str
    used: bool


def read_confirm_token(session: Session, settings: Settings, token: str, now: datetime) -> ConfirmLink:
    """The subscription a confirmation link names, without spending the link (a GET shows a button first).
    Raises InvalidToken (ExpiredToken) with a message for people."""
    data, jti = read_token(settings.secret, "confirm", token, now, timedelta(seconds=settings.confirm_link_max_age))
    sub = session.get(Subscription, _int(data.get("s")))
    if sub is None or sub.user_id != _int(data.get("u")):
        raise InvalidToken("this link is not valid (the subscription no longer exists)")
    if sub.status == SubscriptionStatus.unsubscribed:
        raise InvalidToken("this subscription was cancelled; subscribe again to get a new link")
    if not jti:
        raise InvalidToken("this link is not valid")
    return ConfirmLink(sub, jti, session.get(UsedToken, jti) is not None)


def confirm(session: Session, settings: Settings, token: str, now: datetime) -> Confirmed:
    """Activate the subscription a confirmation link names. The link works once and for 7 days; its
    digest window starts now. Raises InvalidToken (ExpiredToken, TokenUsed) with a message for people."""
    link = read_confirm_token(session, settings, token, now)
    _spend(session, link.jti, now)
    _activate(session, settings, link.subscription, now)
    sub = link.subscription
    return Confirmed(sub, sub.skill, sub.user)


def _activate(session: Session, settings: Settings, sub: Subscription, now: datetime) -> None:
    """Pending -> active. The first digest's window reaches back `first_digest_days` (7): it holds the best
    matching items of the last week, marked "recent, before you subscribed" (items the person already got
    under another subscription stay out, as always)."""
    if sub.status == SubscriptionStatus.pending:
        sub.status = SubscriptionStatus.active
        sub.confirmed_at = now
        sub.cursor = now - timedelta(days=settings.first_digest_days)
        sub.updated_at = now
    if sub.user.confirmed_at is None:
        sub.user.confirmed_at = now
    session.flush()


def _spend(session: Session, jti: str, now: datetime) -> None:
    """Record a single-use token as used; TokenUsed if it already was (also under concurrency)."""
    if not jti:
        raise InvalidToken("this link is not valid")
    if session.get(UsedToken, jti) is not None:
        raise TokenUsed("this link was already used")
    try:
        with session.begin_nested():
            session.add(UsedToken(jti=jti, used_at=now))
    except IntegrityError:
        raise TokenUsed("this link was already used") from None


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidToken("this link is not valid")


# --- sign-in --------------------------------------------------------------------------------------


def request_login(
    session: Session, settings: Settings, email: str, now: datetime, later: list[PendingEmail] | None = None
) -> bool:
    """Email a one-time sign-in link if the address has an account. Returns whether one was sent (for
    tests and logs only; answer people the same either way). Raises BadInput for a malformed address.
    With `later`, the email is queued there as in `subscribe`."""
    address = normalize_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        return False
    token = make_token(settings.secret, "login", {"u": user.id}, now)
    context = {
        "login_url": f"{settings.base_url}/login?token={token}",
        "valid_minutes": settings.login_link_max_age // 60,
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe_url(settings, None, user.id, now),  # in the footer, not a header
    }
    pending = PendingEmail(user.email, "login", context, f"login-{user.id}-{int(now.timestamp())}")
    return _send_or_queue(session, settings, pending, now, later)


def check_login_token(session: Session, settings: Settings, token: str, now: datetime) -> tuple[User, str]:
    """(user, jti) of a valid, unused sign-in link, without spending it (a GET shows a button first)."""
    data, jti = read_token(settings.secret, "login", token, now, timedelta(seconds=settings.login_link_max_age))
    user = session.get(User, _int(data.get("u")))
    if user is None:
        raise InvalidToken("this link is not valid (the account no longer exists)")
    if not jti or session.get(UsedToken, jti) is not None:
        raise TokenUsed("this sign-in link was already used; ask for a new one")
    return user, jti


def complete_login(session: Session, settings: Settings, token: str, now: datetime) -> User:
    """Spend a sign-in link: it works once, for `login_link_max_age` seconds."""
    user, jti = check_login_token(session, settings, token, now)
    _spend(session, jti, now)
    if user.confirmed_at is None:  # opening the link proves the address is theirs
        user.confirmed_at = now
    session.flush()
    return user


def session_token(settings: Settings, user: User, now: datetime) -> str:
    """Start a signed-in session for `user`: the one place sessions begin (sign-in link, confirmation). Records
    it server-side (in the database session `user` belongs to) and returns the cookie value, a signed token
    carrying a random session id. It lives `session_max_age` seconds unless ended sooner."""
    db = object_session(user)
    assert db is not None, "the user must belong to a database session"
    sid = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=settings.session_max_age)
    db.add(UserSession(id_hash=_session_hash(sid), user_id=user.id, created_at=now, expires_at=expires))
    db.flush()
    return make_token(settings.secret, "session", {"u": user.id, "sid": sid}, now)


def user_from_session(session: Session, settings: Settings, token: str, now: datetime) -> User | None:
    """The user a session cookie signs in, while its session lives (not expired, not ended); else None."""
    row = _session_row(session, settings, token, now)
    return session.get(User, row.user_id) if row is not None and row.expires_at > now else None


def end_session(session: Session, settings: Settings, token: str, now: datetime) -> None:
    """Sign out: the cookie's session ends server-side, so a copy of the cookie stops working too."""
    row = _session_row(session, settings, token, now)
    if row is not None:
        session.delete(row)
        session.flush()


def end_all_sessions(session: Session, user: User) -> int:
    """Sign out everywhere: every session of the account ends. The number ended."""
    from sqlalchemy import delete

    result = session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _session_row(session: Session, settings: Settings, token: str, now: datetime) -> UserSession | None:
    try:
        data, _ = read_token(settings.secret, "session", token, now, timedelta(seconds=settings.session_max_age))
        user_id, sid = _int(data.get("u")), data.get("sid")
    except InvalidToken:
        return None
    if not isinstance(sid, str):
        return None  # a cookie from before server-side sessions
    row = session.get(UserSession, _session_hash(sid))
    return row if row is not None and row.user_id == user_id else None


def _session_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


# --- account settings and subscription changes ----------------------------------------------------


def subscriptions_of(session: Session, user: User) -> list[Subscription]:
    """The account's subscriptions that still exist for the person (not unsubscribed), by skill name."""
    rows = session.scalars(
        select(Subscription)
        .join(Skill, Skill.id == Subscription.skill_id)
        .where(Subscription.user_id == user.id, Subscription.status != SubscriptionStatus.unsubscribed)
        .order_by(Skill.name)
    )
    return list(rows)


def subscription_of(session: Session, user: User, subscription_id: int, unsubscribed: bool = False) -> Subscription:
    """One of the account's subscriptions; an unsubscribed one only with `unsubscribed` (to resubscribe)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != user.id or (sub.status == SubscriptionStatus.unsubscribed and not unsubscribed):
        raise NotFound(f"You have no subscription with id {subscription_id}.")
    return sub


def left_by(session: Session, user: User) -> list[Subscription]:
    """The account's unsubscribed subscriptions, by skill name: the skills a person left and may resubscribe."""
    rows = session.scalars(
        select(Subscription)
        .join(Skill, Skill.id == Subscription.skill_id)
        .where(Subscription.user_id == user.id, Subscription.status == SubscriptionStatus.unsubscribed)
        .order_by(Skill.name)
    )
    return list(rows)


def resubscribe(session: Session, sub: Subscription, now: datetime) -> Subscription:
    """A signed-in person takes back a subscription they left: active again at once (they proved the address
    is theirs by signing in), its digest window starting now. Their own earlier "unsubscribe from everything"
    no longer holds; a bounce or a complaint still does."""
    from sqlalchemy import delete

    from digest.store.models import Suppression

    if sub.status == SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.active
        sub.cursor = now
        sub.confirmed_at = now
        sub.updated_at = now
        email = sub.user.email.strip().lower()
        session.execute(delete(Suppression).where(Suppression.email == email, Suppression.reason == "unsubscribed"))
        session.flush()
    return sub


def update_account(
    session: Session,
    user: User,
    *,
    timezone: str | None = None,
    send_hour: int | None = None,
    weekday: int | None = None,
    alert_emails: bool | None = None,
) -> User:
    if timezone is not None:
        user.timezone = check_timezone(timezone)
    if send_hour is not None:
        if not 0 <= send_hour <= 23:
            raise BadInput("The send hour must be between 0 and 23.")
        user.send_hour = send_hour
    if weekday is not None:
        if not 0 <= weekday <= 6:
            raise BadInput("The weekday must be between 0 (Monday) and 6 (Sunday).")
        user.weekday = weekday
    if alert_emails is not None:
        user.alert_emails = alert_emails
    session.flush()
    return user


def change_cadence(session: Session, sub: Subscription, cadence: str | Cadence, now: datetime) -> Subscription:
    """The cursor stays: the next digest at the new cadence holds everything since the last one sent."""
    sub.cadence = cadence if isinstance(cadence, Cadence) else parse_cadence(cadence)
    sub.updated_at = now
    session.flush()
    return sub


def pause(session: Session, sub: Subscription, now: datetime) -> Subscription:
    if sub.status == SubscriptionStatus.active:
        sub.status = SubscriptionStatus.paused
        sub.updated_at = now
        session.flush()
    return sub


def resume(session: Session, sub: Subscription, now: datetime) -> Subscription:
    """Back to active with the cursor untouched: the next digest holds everything since the last one."""
    if sub.status == SubscriptionStatus.paused:
        sub.status = SubscriptionStatus.active
        sub.updated_at = now
        session.flush()
    return sub


def unsubscribe(session: Session, sub: Subscription, now: datetime) -> Subscription:
    if sub.status != SubscriptionStatus.unsubscribed:
        sub.status = SubscriptionStatus.unsubscribed
        sub.updated_at = now
        session.flush()
    return sub


def unsubscribe_all(session: Session, user: User, now: datetime) -> None:
    """Every subscription ends and the address is suppressed: it is never emailed again."""
    for sub in user.subscriptions:
        unsubscribe(session, sub, now)
    suppress(session, user.email, "unsubscribed", now)


def next_digest_at(user: User, sub: Subscription, now: datetime) -> datetime | None:
    """When the subscription's next digest is due (UTC), or None when nothing will be sent."""
    if sub.status != SubscriptionStatus.active:
        return None
    return next_due(Prefs(sub.cadence, user.timezone, user.send_hour, user.weekday), now)


def local_time_label(user: User, when: datetime) -> str:
    """'Mon 24 Nov 2026, 08:00 CET' in the account's time zone."""
    local = when.astimezone(zone(user.timezone))
    return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or user.timezone)


def is_blocked(session: Session, user: User) -> bool:
    return is_suppressed(session, user.email)


def housekeeping(session: Session, settings: Settings, now: datetime) -> int:
    """Forget what can no longer matter: rate-limit events older than a day, spent single-use tokens older
    than the longest single-use link (an expired link is refused anyway) and expired sessions. The rows
    deleted."""
    from sqlalchemy import delete

    from digest.accounts.ratelimit import prune

    keep = timedelta(seconds=max(settings.confirm_link_max_age, settings.login_link_max_age)) + timedelta(days=1)
    result = session.execute(delete(UsedToken).where(UsedToken.used_at < now - keep))
    expired = session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    return prune(session, now) + sum(int(getattr(r, "rowcount", 0) or 0) for r in (result, expired))


# --- unsubscribe links (also used by digest and alert emails) ------------------------------------


def unsubscribe_token(settings: Settings, subscription_id: int | None, user_id: int, now: datetime) -> str:
    return make_token(settings.secret, "unsubscribe", {"u": user_id, "s": subscription_id}, now)


def unsubscribe_url(settings: Settings, subscription_id: int | None, user_id: int, now: datetime) -> str:
    """The link every digest and alert carries (List-Unsubscribe too). Long-lived and reusable.
    With subscription_id None, one-click unsubscribes from everything."""
    return f"{settings.base_url}/unsubscribe?token={unsubscribe_token(settings, subscription_id, user_id, now)}"


def settings_url(settings: Settings) -> str:
    return f"{settings.base_url}/settings"


@dataclass(frozen=True)
class UnsubscribeTarget:
    user: User
    subscription: Subscription | None


def read_unsubscribe_token(session: Session, settings: Settings, token: str, now: datetime) -> UnsubscribeTarget:
    max_age = timedelta(seconds=settings.unsubscribe_link_max_age)
    data, _ = read_token(settings.secret, "unsubscribe", token, now, max_age)
    user = session.get(User, _int(data.get("u")))
    if user is None:
        raise InvalidToken("this link is not valid (the account no longer exists)")
    sub_id = data.get("s")
    if sub_id is None:
        return UnsubscribeTarget(user, None)
    sub = session.get(Subscription, _int(sub_id))
    if sub is None or sub.user_id != user.id:
        raise InvalidToken("this link is not valid (the subscription no longer exists)")
    return UnsubscribeTarget(user, sub)


def one_click_unsubscribe(session: Session, target: UnsubscribeTarget, now: datetime) -> None:
    """RFC 8058: the link's subscription ends (everything, for a link that names none). Idempotent."""
    if target.subscription is None:
        unsubscribe_all(session, target.user, now)
    else:
        unsubscribe(session, target.subscription, now)


# --- sending --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingEmail:
    """A transactional email decided on but not rendered or sent yet."""

    to: str
    template: str
    context: dict[str, Any]
    key: str
    list_unsubscribe: str | None = None


def _send_or_queue(
    session: Session, settings: Settings, pending: PendingEmail, now: datetime, later: list[PendingEmail] | None
) -> bool:
    if later is not None:
        later.append(pending)
        return True
    return deliver(session, settings, pending, now)


def deliver(session: Session, settings: Settings, pending: PendingEmail, now: datetime) -> bool:
    """Render and send through the one suppression check; False when the address is suppressed."""
    rendered = render_email(pending.template, pending.context)
    email = OutgoingEmail(
        key=pending.key,
        to=pending.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=settings.from_email,
        categories=(pending.template,),
        unsubscribe_url=pending.list_unsubscribe,
    )
    return send_now(session, settings, email, now) is not None


# --- finding skills to follow --------------------------------------------------------------------


def find_skills(session: Session, query: str, limit: int = 20, as_of: date | None = None) -> list[Skill]:
    """Skills whose name, slug or alias contains `query`, best first (see `search_skills`). An empty query
    lists the skills most asked for in the 90 days to `as_of`, then the O*NET Hot Technologies, then the
    others, by name."""
    if not " ".join(query.split()):
        return _skills_to_browse(session, limit, as_of)
    return [s for s, _ in _search(session, query, limit, as_of)]


def postings_in_window(session: Session, skill_ids: list[int], as_of: date) -> dict[int, int]:
    """Postings per skill in the 90 days to `as_of` (skills without any are left out)."""
    from sqlalchemy import func

    from digest.demand.window import WINDOW_DAYS
    from digest.store.models import DemandSkillDay

    if not skill_ids:
        return {}
    rows = session.execute(
        select(DemandSkillDay.skill_id, func.sum(DemandSkillDay.postings))
        .where(
            DemandSkillDay.skill_id.in_(skill_ids),
            DemandSkillDay.day > as_of - timedelta(days=WINDOW_DAYS),
            DemandSkillDay.day <= as_of,
        )
        .group_by(DemandSkillDay.skill_id)
    )
    return {int(sid): int(n) for sid, n in rows if n}


def search_skills(session: Session, query: str, limit: int, as_of: date) -> list[tuple[Skill, int]]:
    """(skill, postings in the window to `as_of`) for a search box, as the person types: the skill called
    exactly that first, then skills whose name or slug starts with the text, then those with an alias that
    does, then those that only contain it; within each, by postings, then the shorter name. An empty query
    lists the most asked for."""
    if not " ".join(query.split()):
        found = _skills_to_browse(session, limit, as_of)
        counts = postings_in_window(session, [s.id for s in found], as_of)
        return [(s, counts.get(s.id, 0)) for s in found]
    return _search(session, query, limit, as_of)


def _search(session: Session, query: str, limit: int, as_of: date | None) -> list[tuple[Skill, int]]:
    # ranked by the database over every match: a short prefix ("p", "re") matches thousands of skills, and
    # the ones people mean (Python, React) must not be cut by a first pick in name order
    from sqlalchemy import ColumnElement, case, func, literal, or_

    from digest.demand.window import WINDOW_DAYS
    from digest.store.models import DemandSkillDay, SkillAlias
    from digest.taxonomy.resolve import exact_skill

    text = " ".join(query.split()).lower()[:200]
    name = func.lower(Skill.name)
    alias = func.lower(SkillAlias.alias)
    aliased = select(SkillAlias.skill_id).where(alias.contains(text, autoescape=True))
    alias_prefix = select(SkillAlias.skill_id).where(alias.startswith(text, autoescape=True))
    starts = or_(name.startswith(text, autoescape=True), Skill.slug.startswith(text, autoescape=True))
    prefix_rank = case((starts, 0), (Skill.id.in_(alias_prefix), 1), else_=2)
    matches = or_(
        name.contains(text, autoescape=True), Skill.slug.contains(text, autoescape=True), Skill.id.in_(aliased)
    )
    if as_of is not None:
        counted = (
            select(DemandSkillDay.skill_id, func.sum(DemandSkillDay.postings).label("n"))
            .where(DemandSkillDay.day > as_of - timedelta(days=WINDOW_DAYS), DemandSkillDay.day <= as_of)
            .group_by(DemandSkillDay.skill_id)
            .subquery()
        )
        postings: ColumnElement[int] = func.coalesce(counted.c.n, 0)
        stmt = select(Skill, postings).outerjoin(counted, counted.c.skill_id == Skill.id)
    else:
        postings = literal(0)
        stmt = select(Skill, postings)
    order = (prefix_rank, postings.desc(), func.length(Skill.name), Skill.name)
    rows = session.execute(stmt.where(matches).order_by(*order).limit(limit)).tuples().all()
    found = [(s, int(n or 0)) for s, n in rows]
    exact = exact_skill(session, query)
    if exact is None:
        return found
    rest = [(s, n) for s, n in found if s.id != exact.id]
    mine = next((n for s, n in found if s.id == exact.id), None)
    if mine is None:
        mine = postings_in_window(session, [exact.id], as_of).get(exact.id, 0) if as_of is not None else 0
    return [(exact, mine), *rest][:limit]


def _skills_to_browse(session: Session, limit: int, as_of: date | None) -> list[Skill]:
    from sqlalchemy import func

    from digest.store.models import DemandSkillDay

    ranked: list[Skill] = []
    if as_of is not None:
        postings = func.sum(DemandSkillDay.postings)
        ranked = list(
            session.scalars(
                select(Skill)
                .join(DemandSkillDay, DemandSkillDay.skill_id == Skill.id)
                .where(DemandSkillDay.day > as_of - timedelta(days=90), DemandSkillDay.day <= as_of)
                .group_by(Skill.id)
                .order_by(postings.desc(), Skill.name)
                .limit(limit)
            )
        )
    seen = {s.id for s in ranked}
    rest = session.scalars(select(Skill).order_by(Skill.hot.desc(), Skill.name).limit(limit + len(seen)))
    return (ranked + [s for s in rest if s.id not in seen])[:limit]
