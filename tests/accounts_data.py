"""Skills and helpers shared by the subscription, account and API tests."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from digest.store.models import AliasKind, Skill, SkillAlias

SKILLS = {
    "python": (
        "Python",
        "Programming languages",
        [("python", AliasKind.ci), ("python3", AliasKind.ci), ("Python 3", AliasKind.ci)],
    ),
    "go": ("Go", "Programming languages", [("Go", AliasKind.exact), ("golang", AliasKind.ci)]),
    "kubernetes": ("Kubernetes", "Infrastructure", [("k8s", AliasKind.ci)]),
    "rust": ("Rust", "Programming languages", []),
    "react": ("React", "Web frameworks", [("react.js", AliasKind.ci), ("reactjs", AliasKind.ci)]),
    "postgresql": ("PostgreSQL", "Databases", [("postgres", AliasKind.ci)]),
}


def add_skills(session: Session) -> dict[str, Skill]:
    out = {}
    for slug, (name, category, aliases) in SKILLS.items():
        skill = Skill(slug=slug, name=name, category=category)
        skill.aliases = [SkillAlias(alias=a, kind=k) for a, k in aliases]
        session.add(skill)
        out[slug] = skill
    session.commit()
    return out


def send_owed(session: Session, settings: Any, outcome: Any, now: datetime) -> Any:
    """What the worker does once a subscribe committed: its owed sign-up email, sent. Returns `outcome`."""
    from digest.delivery.context import Context
    from digest.delivery.signups import deliver_signups

    session.commit()
    if outcome.email_id is not None:
        deliver_signups(session, Context.for_settings(settings), [outcome.email_id], now)
    return outcome


def send_login(session: Session, settings: Any, address: str, now: datetime) -> int | None:
    """A sign-in link asked for and committed, then what the worker does: the owed email sent. Its delivery id,
    None for an address without an account."""
    from digest.accounts.signin import request_login
    from digest.delivery.context import Context
    from digest.delivery.signups import deliver_signups

    owed = request_login(session, address, now)
    session.commit()
    if owed is not None:
        deliver_signups(session, Context.for_settings(settings), [owed], now)
    return owed


def outbox(folder: Path) -> list[EmailMessage]:
    """Messages the file backend wrote, oldest first."""
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in files]  # type: ignore[misc]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(msg: EmailMessage, path: str) -> str:
    """The first absolute link to `path` (e.g. '/confirm') in the text part."""
    match = re.search(r"https?://\S+" + re.escape(path) + r"\?token=[\w.\-]+", text_of(msg))
    assert match, f"no {path} link in: {text_of(msg)}"
    return match.group(0)


def confirm_button(client: Any, url: str) -> dict[str, str]:
    """Open a confirmation link (`url` may be absolute): the form fields its button posts to /confirm."""
    parsed = urlparse(url)
    page = client.get(f"{parsed.path}?{parsed.query}")
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token and csrf, "no confirm button on the page"
    return {"token": token.group(1), "csrf_token": csrf.group(1)}


def press_confirm(client: Any, url: str) -> Any:
    """Open a confirmation link and press its button, as a person does: the POST's response (303 to the
    settings, signed in); the client's cookies keep the new session."""
    return client.post("/confirm", data=confirm_button(client, url), follow_redirects=False)
