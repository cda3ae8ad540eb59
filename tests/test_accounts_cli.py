"""`digest subscribe`: the admin path to a subscription."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.store.models import Subscription, SubscriptionStatus
from tests.accounts_data import add_skills, outbox

NOW = "2026-03-02T09:30:00Z"


def test_subscribe_confirmed_activates_without_email(settings: Any, session: Session) -> None:
    add_skills(session)
    r = CliRunner().invoke(
        app, ["subscribe", "Ann@Example.com", "python 3", "--cadence", "weekly", "--confirmed", "--now", NOW, "--json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["email"] == "ann@example.com" and data["skill"] == "python" and data["status"] == "active"
    assert outbox(settings.outbox_dir) == []
    session.rollback()
    sub = session.scalar(select(Subscription))
    assert (
        sub is not None
        and sub.status == SubscriptionStatus.active
        and sub.cursor.isoformat() == "2026-02-23T09:30:00+00:00"  # the first digest reaches back 7 days
    )


def test_subscribe_without_confirmed_sends_the_confirmation(settings: Any, session: Session) -> None:
    add_skills(session)
    r = CliRunner().invoke(app, ["subscribe", "bo@example.com", "k8s", "--now", NOW])
    assert r.exit_code == 0, r.output
    assert "daily digest of kubernetes is pending (confirmation email sent)" in r.stdout
    assert len(outbox(settings.outbox_dir)) == 1


def test_subscribe_bad_input_exits_1_with_a_message(settings: Any, session: Session) -> None:
    add_skills(session)
    r = CliRunner().invoke(app, ["subscribe", "bo@example.com", "pythn", "--now", NOW])
    assert r.exit_code == 1 and "did you mean: Python (python)" in r.stderr
    r = CliRunner().invoke(app, ["subscribe", "nope", "python", "--now", NOW])
    assert r.exit_code == 1 and "email address" in r.stderr
    r = CliRunner().invoke(app, ["subscribe", "bo@example.com", "python", "--cadence", "yearly"])
    assert r.exit_code == 1 and "hourly, daily or weekly" in r.stderr
