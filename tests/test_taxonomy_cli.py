"""`digest skills resolve` and `digest skills list`, and the init step that loads the taxonomy."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from digest.cli import app
from tests.test_taxonomy_db import empty_taxonomy_fast


def test_skills_resolve_needs_no_database() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["skills", "resolve", "Python 3 and Go/Golang after our Series C; go to market"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["python", "go"]
    assert "'Python 3' at 0-8" in lines[0]

    result = runner.invoke(app, ["skills", "resolve", "--json", "Pyhton and k8s"])
    assert json.loads(result.output) == [
        {"skill": "python", "name": "Python", "alias": "Python", "start": 0, "end": 6},
        {"skill": "kubernetes", "name": "Kubernetes", "alias": "k8s", "start": 11, "end": 14},
    ]

    result = runner.invoke(app, ["skills", "resolve", "nothing to see"])
    assert result.exit_code == 1 and "no known skill" in result.output
    result = runner.invoke(app, ["skills", "resolve", "Kubernetis"])
    assert result.exit_code == 1 and "did you mean: Kubernetes (kubernetes)" in result.output


def test_init_loads_the_taxonomy_and_list_shows_it(settings: Any, engine: Engine) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["skills", "list"])
    assert result.exit_code == 1 and "digest init" in result.output

    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "taxonomy: " in result.output and "metros" in result.output
    again = runner.invoke(app, ["init"])
    assert "aliases +0 -0" in again.output

    result = runner.invoke(app, ["skills", "list", "--json", "--hot"])
    rows = {r["skill"]: r for r in json.loads(result.output)}
    assert "python" in rows and "kubernetes" in rows
    assert rows["python"]["kind"] == "language" and rows["kubernetes"]["kind"] == "platform"
    assert "Python" in rows["python"]["aliases"] and "pyhton" not in rows["python"]["aliases"]  # hidden
    result = runner.invoke(app, ["skills", "list"])
    assert any(line.startswith("go\tGo\t") and "Golang" in line for line in result.output.splitlines())
    empty_taxonomy_fast(engine)
