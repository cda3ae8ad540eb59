"""The email templates compile once per machine (Jinja's per-user cache of compiled templates, issue #17): a
process that finds them compiled renders exactly what one that compiles them renders, HTML and text kept
apart."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, digest_env

RENDER = (
    "import hashlib; from digest.mail.render import DigestRenderer; from tests.test_digest_content import "
    "sample_digest; r = DigestRenderer().render(sample_digest()); "
    "print(hashlib.sha256(repr((r.subject, r.text, r.html)).encode()).hexdigest())"
)


def _render(tmp: Path) -> str:
    env = digest_env(TMPDIR=str(tmp))
    return subprocess.run([sys.executable, "-c", RENDER], env=env, cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_compiled_templates_render_what_compiling_renders(tmp_path: Path) -> None:
    from digest.mail.render import DigestRenderer
    from tests.test_digest_content import sample_digest

    r = DigestRenderer().render(sample_digest())  # type: ignore[arg-type]
    here = hashlib.sha256(repr((r.subject, r.text, r.html)).encode()).hexdigest()
    assert _render(tmp_path) == here  # compiled, and written to the cache
    (folder,) = tmp_path.glob("_jinja2-cache-*")
    names = {p.name.split("_")[4] for p in folder.iterdir()}
    assert names == {"text", "html"}
    assert _render(tmp_path) == here  # read from it
