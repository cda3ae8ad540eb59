"""People's accounts: found or created by address, their delivery settings, and when their next digest comes."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from digest.accounts.inputs import BadInput, check_timezone
from digest.accounts.slots import Prefs, next_due, zone
from digest.mail.suppression import is_suppressed
from digest.store.bulk import insert_new
from digest.store.models import Subscription, SubscriptionStatus, User

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# which shift alerts are emailed (docs/demand.md, "What an alert email says"): for the skills a person follows,
# or also for the skills most often paired with them; and from what size of change (percent; 0: any)
ALERT_SCOPES = ("followed", "paired")
ALERT_MIN_CHANGES = (0, 25, 50, 100)


def get_or_create_user(session: Session, address: str, now: datetime) -> User:
    user = session.get(User, account_of(session, address, now)[0])
    assert user is not None
    return user


def account_of(session: Session, address: str, now: datetime) -> tuple[int, bool]:
    """The id of the account of `address`, made if there is none (True then): one INSERT for a new address,
    which a concurrent request's insert of the same address turns into a no-op, and then a read."""
    new_id = insert_new(session, cast(Table, User.__table__), {"email": address, "created_at": now})
    if new_id is not None:
        return new_id, True
    return int(session.execute(select(User.id).where(User.email == address)).scalar_one()), False


def update_account(
    session: Session,
    user: User,
    *,
    timezone: str | None = None,
    send_hour: int | None = None,
    weekday: int | None = None,
    alert_emails: bool | None = None,
    alert_scope: str | None = None,
    alert_min_change: int | None = None,
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
    if alert_scope is not None:
        if alert_scope not in ALERT_SCOPES:
            raise BadInput("Alerts are for “followed” skills or also “paired” ones.")
        user.alert_scope = alert_scope
    if alert_min_change is not None:
        if alert_min_change not in ALERT_MIN_CHANGES:
            raise BadInput("The smallest change for an alert is 0, 25, 50 or 100 (percent).")
        user.alert_min_change = alert_min_change
    session.flush()
    return user


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
