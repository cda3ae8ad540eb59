"""Bad input met on the command line as an operator would meet it: one clear line on stderr, exit 1 (bad input)
or 2 (usage), never a traceback, never the whole of a huge input echoed back; and the good rows still load."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from digest.cli import app

runner = CliRunner()


def _clean_failure(result: Any, code: int) -> str:
    """The message of a failed command, checked to be one line with the exit code wanted and no traceback."""
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    return str(lines[0])


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59", "0001-01-01"]
)
def test_now_near_the_calendars_ends_is_a_usage_error(settings: Any, now: str) -> None:
    for args in (["send-due"], ["poll"], ["stats", "python"], ["shifts"]):
        line = _clean_failure(runner.invoke(app, [*args, "--now", now]), 2)
        assert line.startswith((f"digest: --now: {now!r} is out of range", "digest: --now: not an ISO 8601"))
