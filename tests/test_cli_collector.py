"""A command runs with the cyclic collector paused, and resumes it when it ends (digest.cli._command)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from typer.testing import CliRunner

from digest.cli import app


class _NoSkills:
    def match(self, text: str) -> list[Any]:
        return []

    def closest(self, text: str) -> list[Any]:
        return []


def test_a_command_pauses_the_collector_and_resumes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    during: list[bool] = []

    def matcher() -> _NoSkills:
        during.append(gc.isenabled())
        return _NoSkills()

    monkeypatch.setattr("digest.taxonomy.local.get_matcher", matcher)  # what `skills resolve` asks
    assert gc.isenabled()
    result = CliRunner().invoke(app, ["skills", "resolve", "nothing known"])
    assert result.exit_code == 1  # a failing command resumes it too
    assert during and not any(during)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left out of the collector's passes for the caller


def test_objects_a_caller_froze_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("digest.taxonomy.local.get_matcher", _NoSkills)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        CliRunner().invoke(app, ["skills", "resolve", "nothing known"])
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
