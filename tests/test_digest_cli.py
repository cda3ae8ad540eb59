"""`digest send-due` and `digest preview`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.config import Settings
from digest.store.models import Delivery, Subscription
from tests.test_digest_ledger import T0, World, outbox

runner = CliRunner()


def test_preview_sends_nothing_and_send_due_sends(settings: Settings, session: Session, tmp_path: Path) -> None:
    w = World(session)
    ann = w.user("ann@example.com")
    w.subscribe(ann, "python")
    w.item("Python <3.14> news", T0 + timedelta(hours=1), "python")
    w.commit()
    html = tmp_path / "preview.html"
    at = (T0 + timedelta(hours=5)).isoformat()
    r = runner.invoke(app, ["preview", "ANN@example.com", "--now", at, "--html", str(html)])
    assert r.exit_code == 0, r.output
    assert "=== daily digest due 2026-03-02T08:00:00+00:00" in r.output
    assert "- Python <3.14> news" in r.output
    assert "Python &lt;3.14&gt; news" in html.read_text()
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert session.scalar(select(Subscription.cursor)) == T0 and outbox(settings) == {}

    r = runner.invoke(app, ["send-due", "--now", (T0 + timedelta(hours=8)).isoformat()])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "digests at 2026-03-02T08:00:00+00:00: 1 sent"
    assert len(outbox(settings)) == 1
    r = runner.invoke(app, ["send-due", "--now", (T0 + timedelta(hours=8)).isoformat(), "--json"])
    assert r.exit_code == 0 and r.output.strip() == "{}"


def test_preview_of_an_unknown_address_fails_cleanly(settings: Settings) -> None:
    r = runner.invoke(app, ["preview", "nobody@example.com", "--now", T0.isoformat()])
    assert r.exit_code == 1 and "no account for nobody@example.com" in r.output
    r = runner.invoke(app, ["send-due", "--now", "yesterday"])
    assert r.exit_code == 2
