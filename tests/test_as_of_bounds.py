"""as_of near the calendar's ends is a 400 (pages, chart, API) or exit 1 (`digest stats`, `digest shifts`),
never a 500 or a traceback; and arbitrary dates do not fill the page cache or the chart folder."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.web.app import create_app
from tests.support import synthetic

DAY = date(2026, 5, 17)


def _data(session: Session) -> None:
    (py,) = synthetic.skills(session, ["Python"])
    synthetic.add(session, [synthetic.posting(DAY - timedelta(days=n), [py.id]) for n in range(10)])
    session.commit()


def test_as_of_out_of_range_is_400(settings: Any, session: Session) -> None:
    _data(session)
    client = TestClient(create_app(settings))
    for as_of in ("9999-12-31", "0001-01-01", "1989-12-31"):
        for path in ("/skills/python", "/skills/python/chart.png", "/api/skills/python/demand"):
            r = client.get(f"{path}?as_of={as_of}")
            assert r.status_code == 400, (path, as_of, r.status_code)
            assert "as_of must be between 1990-01-01 and" in r.text
    assert client.get(f"/api/skills/python/demand?as_of={DAY}").json()["postings"] == 10


def test_stats_and_shifts_refuse_such_dates_with_exit_1(settings: Any, session: Session) -> None:
    _data(session)
    runner = CliRunner()
    for args in (["stats", "python"], ["shifts"]):
        for as_of in ("9999-12-31", "0001-01-01"):
            out = runner.invoke(app_cli(), [*args, "--as-of", as_of, "--now", "2026-05-18T00:00:00Z"])
            assert out.exit_code == 1, out.output
            assert "--as-of: as_of must be between 1990-01-01 and 2026-05-19" in out.output
    ok = runner.invoke(app_cli(), ["stats", "python", "--as-of", str(DAY), "--now", "2026-05-18T00:00:00Z"])
    assert ok.exit_code == 0, ok.output


def app_cli() -> Any:
    from digest.cli import app

    return app


def test_dates_far_from_any_data_take_no_cache_space(settings: Any, session: Session) -> None:
    _data(session)
    app = create_app(settings)
    client = TestClient(app)
    assert client.get(f"/skills/python?as_of={DAY}").status_code == 200
    assert client.get(f"/skills/python/chart.png?as_of={DAY}").status_code == 200
    kept, charts = len(app.state.page_cache), len(list((settings.data_dir / "charts").glob("*.png")))
    for n in range(30):
        day = date(1995, 1, 1) + timedelta(days=n * 11)
        assert client.get(f"/api/skills/python/demand?as_of={day}").json()["postings"] == 0
        assert client.get(f"/skills/python/chart.png?as_of={day}").status_code == 200
    assert len(app.state.page_cache) == kept
    assert len(list((settings.data_dir / "charts").glob("*.png"))) == charts
