"""The bundled taxonomy is what scripts/build_taxonomy.py makes from the sources, and respects the rules."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from tests.helpers import REPO


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("build_taxonomy", REPO / "scripts" / "build_taxonomy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bundled_files_are_regenerated_exactly(shared_data: Path) -> None:
    taxonomy, titles = _build_module().build(shared_data)
    data = REPO / "digest" / "taxonomy" / "data"
    # the same serialisation as the script
    assert json.loads(json.dumps(taxonomy)) == json.loads((data / "taxonomy.json").read_text("utf-8")), (
        "run scripts/build_taxonomy.py and commit the result"
    )
    assert json.loads(json.dumps(titles)) == json.loads((data / "titles.json").read_text("utf-8"))


def test_bundle_rules() -> None:
    bundle = json.loads((REPO / "digest" / "taxonomy" / "data" / "taxonomy.json").read_text("utf-8"))
    skills = {s["slug"]: s for s in bundle["skills"]}
    seen: dict[str, str] = {}
    for s in bundle["skills"]:
        for a in s["aliases"]:
            key = a["alias"].casefold()
            assert seen.setdefault(key, s["slug"]) == s["slug"], f"{a['alias']!r} names two skills"
    aliases = {a["alias"] for a in skills["computer-vision"]["aliases"]}
    assert not aliases & {"tensorflow", "cuda", "keras", "matlab", "openCV"}  # ESCO hypernym aliases
    assert "Spark" not in {a["alias"] for a in skills["spark-java-framework"]["aliases"]}
    for slug in ("c", "cpp", "csharp", "dotnet", "nodejs", "nextjs", "go", "r", "react", "react-native"):
        assert slug in skills
    assert skills["python"]["hot"] and skills["go"]["weak"] and not skills["kubernetes"]["weak"]
    assert {"alias": "pyhton", "kind": "hidden"} in skills["python"]["aliases"]
    assert {"alias": "Go", "kind": "exact"} in skills["go"]["aliases"]
