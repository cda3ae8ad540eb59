"""The house rules of docs/architecture.md, enforced: the arrows between the parts (import-linter contracts in
pyproject.toml) and the SQL dialect known only in digest/store/ (no dialect test, no SQL written as a string,
no driver import anywhere else in the library)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

LIBRARY = REPO / "digest"
STORE = LIBRARY / "store"
DRIVERS = {"psycopg", "psycopg2", "sqlite3"}


def test_parts_import_only_the_parts_below_them() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]


def _dialect_knowledge(path: Path) -> list[str]:
    """Where a module outside the store tests the dialect, writes SQL as a string or imports a driver."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and node.attr in {"dialect", "exec_driver_sql", "driver_connection"}:
            found.append(f"{where} .{node.attr}")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "sqlalchemy"
            and any(a.name == "text" for a in node.names)
        ):
            found.append(f"{where} sqlalchemy.text")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{where} import {n}" for n in names if n.split(".")[0] in DRIVERS]
    return found


def test_only_the_store_knows_the_dialect() -> None:
    modules = [p for p in LIBRARY.rglob("*.py") if STORE not in p.parents]
    assert len(modules) > 50
    assert [f for p in sorted(modules) for f in _dialect_knowledge(p)] == []


def test_the_check_sees_dialect_knowledge() -> None:
    """The check above would fail on what the store itself does."""
    assert any(_dialect_knowledge(p) for p in STORE.rglob("*.py"))
