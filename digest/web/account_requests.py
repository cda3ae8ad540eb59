"""What the account pages and the JSON API share: the rate limit, answers that say nothing about an address,
owed emails handed to the worker after answering, and the two use cases behind the forms and the API
(subscribe, ask for a sign-in link)."""

from __future__ import annotations

import atexit
from datetime import timedelta
from typing import Annotated

from fastapi import BackgroundTasks, Path, Request
from sqlalchemy.orm import Session

from digest import clock
from digest.accounts import ratelimit
from digest.accounts.search_input import SearchInput
from digest.accounts.signin import request_login
from digest.accounts.subscriptions import SubscribeOutcome, subscribe
from digest.config import Settings
from digest.store.engine import session_scope
from digest.store.models import Cadence
from digest.web.batches import Batches
from digest.web.security import current_user

SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a subscription id from GET /api/subscriptions")]

ACCEPTED = "If that address can receive email, a confirmation link is on its way. Open it to start your digest."
SUBSCRIBED = "Subscribed. Manage it in your settings."
LOGIN_SENT = "If that address has an account, a sign-in link is on its way. It works once, for 30 minutes."
TOO_MANY = "Too many requests. Please wait a while (up to an hour) and try again."


def settings_of(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class RateLimited(Exception):
    pass


def rate_limit(request: Request, action: str, address: str | None, session: Session) -> None:
    """Per client always; per address when there is a valid one. Raises RateLimited. In `session`, the
    request's own transaction (one commit a request)."""
    settings = settings_of(request)
    now, hour = clock.utcnow(), timedelta(hours=1)
    limits = [(f"{action}:client:{_client(request)}", settings.rate_limit_per_client_hour)]
    if address:
        limits.append((f"{action}:address:{address}", settings.rate_limit_per_address_hour))
    if not ratelimit.hit_all(session, limits, hour, now):
        raise RateLimited


def queue_after_answering(tasks: BackgroundTasks, delivery_id: int | None) -> None:
    """An owed email (committed with the request) goes to the worker after the response: the worker renders
    and sends it, so the web process spends nothing on it and answers the same whoever asks."""
    if delivery_id is not None:
        tasks.add_task(_queue, delivery_id)


async def _queue(delivery_id: int) -> None:  # async: run on the event loop, no thread for an append
    _owed.add(delivery_id)


def _publish(delivery_ids: list[int]) -> None:
    from workers.tasks import deliver_signups  # Celery is loaded by the web process only once an email is owed

    deliver_signups.delay(delivery_ids)


# the owed emails of the last 50 ms in one task: a confirmation waits that much longer, a request publishes
# nothing itself. A batch lost with its process (or its broker) is the sweeper's: the rows are committed.
_owed = Batches(0.05, _publish)
atexit.register(_owed.flush)


def signed_in_as(request: Request, session: Session, address: str) -> bool:
    """A person signed in as `address` has proved it is theirs: no confirmation round trip."""
    user = current_user(request, session)
    return user is not None and user.email == address


def subscribe_on_web(
    request: Request,
    session: Session,
    address: str,
    skill: str,
    cadence: Cadence,
    search: SearchInput | None = None,
) -> tuple[SubscribeOutcome, bool]:
    """The subscribe form's and POST /api/subscriptions' one path, in the request's transaction: the rate
    limit (RateLimited), then the subscription. A person signed in as `address` is subscribed at once (the
    second value says so); otherwise the confirmation email is owed (the outcome's `email_id`, for
    `queue_after_answering` once committed). UnknownSkill for a skill we do not know, BadInput for a search
    we cannot follow."""
    rate_limit(request, "subscribe", address, session)
    own = signed_in_as(request, session, address)
    settings = settings_of(request)
    outcome = subscribe(session, settings, address, skill, cadence, clock.utcnow(), confirmed=own, search=search)
    return outcome, own


def ask_for_login(request: Request, address: str) -> int | None:
    """The sign-in form's and POST /api/login's one path, in one transaction: the rate limit (RateLimited, and
    nothing of the request is kept), then a sign-in email owed for an address with an account (its delivery
    id, for `queue_after_answering` once committed; None for any other address)."""
    with session_scope() as session:
        rate_limit(request, "login", address, session)
        return request_login(session, address, clock.utcnow())
