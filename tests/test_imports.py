"""Imports on demand: a command or task loads what it uses and no more (issue #17: `digest --help` <= 0.3 s,
`digest poll` and `digest send-due` with nothing due <= 0.6 s, measured by bench/startup.py).

Each module is imported in a fresh interpreter and the heavy libraries that must not come with it are looked
for in sys.modules: Pillow only to draw a chart (and matplotlib, which drew them until it cost ~0.5 s of import,
nowhere), scipy (~0.7 s) only where a shift test runs,
the HTTP client only to fetch, and nothing of the library for `digest --help`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO

DRAWING_AND_TESTING = ["PIL", "matplotlib", "scipy"]
# what was digest.accounts.subscriptions before the split (#18): the subscribe path, its links and skill search
SUBSCRIBE_PATH = [
    "digest.accounts.subscriptions",
    "digest.accounts.confirmation",
    "digest.accounts.emails",
    "digest.accounts.housekeeping",
    "digest.accounts.inputs",
    "digest.accounts.links",
    "digest.accounts.people",
    "digest.accounts.sessions",
    "digest.accounts.signin",
    "digest.demand.search",
]

CASES = {
    # the CLI module itself: Typer and the command table; every library module is imported inside a command
    "digest.cli": [
        "sqlalchemy",
        "pydantic_settings",
        "asyncio",
        "digest.config",
        "digest.store.engine",
        *DRAWING_AND_TESTING,
    ],
    # send-due with nothing due: the ledger and the email path, no charts, no statistics, no subscribe path
    "digest.delivery.deliver": [
        "numpy",
        *SUBSCRIBE_PATH,
        "digest.demand.chart",
        "psycopg",
        *DRAWING_AND_TESTING,
    ],
    # the settings: pydantic, not pydantic-settings (and the asyncio it imports: ~25 ms a command together)
    "digest.config": ["pydantic_settings", "asyncio", "sqlalchemy"],
    # poll with nothing due: no HTTP client, no feed parser, no storage path
    "digest.ingest.poll": ["httpx", "feedparser", "digest.ingest.pipeline", "psycopg", *DRAWING_AND_TESTING],
    # the models: no PostgreSQL dialect (~30 ms) for a process on SQLite (see POSTGRESQL_ONLY in the module)
    "digest.store.models": ["sqlalchemy.dialects.postgresql", "psycopg"],
    # feeds add checks the new feed's address: the lookup and the address rules, not the HTTP client
    "digest.sources.manage": ["httpx", "httpcore", "feedparser", *DRAWING_AND_TESTING],
    "workers.tasks": ["digest.delivery.deliver", "digest.ingest.poll", "numpy", *DRAWING_AND_TESTING],
    "digest.web.app": DRAWING_AND_TESTING,
    "digest.demand.figures": ["numpy", *DRAWING_AND_TESTING],  # the numbers of a skill page, without its chart
    # what send-due loads to draw a digest's charts: Pillow, not numpy (~70 ms; only a shift test uses it)
    "digest.demand.chart": ["numpy", "matplotlib", "scipy"],
}


@pytest.mark.parametrize("module", sorted(CASES))
def test_importing_loads_only_what_it_uses(module: str) -> None:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert module in loaded
    assert not [m for m in CASES[module] if m in loaded], f"importing {module} loads what it does not use"
