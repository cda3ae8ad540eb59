"""Signed-in sessions, recorded server-side: begun, found from the cookie, ended here or everywhere."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, object_session

from digest.accounts.links import link_int
from digest.accounts.tokens import InvalidToken, make_token, read_token
from digest.config import Settings
from digest.store.models import User, UserSession


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
    result = session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _session_row(session: Session, settings: Settings, token: str, now: datetime) -> UserSession | None:
    try:
        data, _ = read_token(settings.secret, "session", token, now, timedelta(seconds=settings.session_max_age))
        user_id, sid = link_int(data.get("u")), data.get("sid")
    except InvalidToken:
        return None
    if not isinstance(sid, str):
        return None  # a cookie from before server-side sessions
    row = session.get(UserSession, _session_hash(sid))
    return row if row is not None and row.user_id == user_id else None


def _session_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()
