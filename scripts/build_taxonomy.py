"""Regenerate digest/taxonomy/data/{taxonomy,titles}.json from the sources, deterministically.

    .venv/bin/python scripts/build_taxonomy.py [--data /work/shared/data]

Sources (see docs/taxonomy.md for licences): O*NET 29.2 Technology Skills and Alternate Titles, ESCO v1.2.0
digital skills (knowledge concepts), Stack Overflow tag synonyms (2021), and the curated overlay in
digest/taxonomy/curated.py, which wins over every source. Running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.taxonomy import curated  # noqa: E402
from digest.taxonomy.normalize import alias_key, slugify  # noqa: E402

OUT = REPO / "digest" / "taxonomy" / "data"
VENDORS = [
    "Amazon Web Services AWS",
    "Amazon Web Services",
    "Amazon",
    "Apache",
    "Microsoft",
    "Google",
    "Oracle",
    "IBM",
    "Adobe",
    "Atlassian",
    "Apple",
    "Autodesk",
    "Red Hat",
    "The MathWorks",
    "Cisco",
    "SAP",
    "Eclipse",
    "HashiCorp",
    "Facebook",
]
SUFFIXES = re.compile(r"\s+(?:software|programming language|language|framework)$", re.IGNORECASE)
QUALIFIER = re.compile(r"\s*\((?:computer programming|software|programming language|framework)\)$", re.I)
PLAIN_WORD = re.compile(r"^[A-Z][a-z]+$")


@dataclass
class Entry:
    slug: str
    name: str
    sources: set[str] = field(default_factory=set)
    category: str | None = None
    parent: str | None = None
    hot: bool = False
    # alias -> kind ("ci", "exact", "hidden"); first writer wins except the overlay
    aliases: dict[str, str] = field(default_factory=dict)


class Builder:
    def __init__(self) -> None:
        self.skills: dict[str, Entry] = {}
        self.by_key: dict[str, str] = {}  # canonical key of a name -> slug

    def skill(self, name: str, source: str, key: str | None = None) -> Entry:
        key = key or canonical_key(name)
        slug = self.by_key.get(key)
        if slug is None:
            slug = curated.SLUG_OVERRIDES.get(name.lower()) or curated.SLUG_OVERRIDES.get(key) or slugify(key)
            while slug in self.skills and canonical_key(self.skills[slug].name) != key:
                slug += "-2"
            self.by_key[key] = slug
            self.skills.setdefault(slug, Entry(slug, name))
        entry = self.skills[slug]
        entry.sources.add(source)
        return entry

    def add_alias(self, entry: Entry, alias: str, kind: str | None = None, *, override: bool = False) -> None:
        alias = " ".join(alias.split())
        if not alias:
            return
        if kind is None:
            kind = default_kind(alias)
        if not override and alias_key(alias) in curated.ALIAS_BLOCKLIST:
            return
        entry.aliases.setdefault(alias, kind)
        if override:
            entry.aliases[alias] = kind


def canonical_key(name: str) -> str:
    name = QUALIFIER.sub("", name.strip())
    name = SUFFIXES.sub("", name)
    return alias_key(name)


def default_kind(alias: str) -> str:
    """Short or English-word aliases match in exact case only; distinctive ones case-insensitively."""
    if len(alias) <= 2 or alias_key(alias) in curated.WEAK_ALIASES:
        return "exact"
    return "ci"


def split_acronym(name: str) -> tuple[str, str | None]:
    """'Structured query language SQL' -> ('Structured query language', 'SQL') when the acronym fits."""
    words = name.split()
    if len(words) < 3 or not re.fullmatch(r"[A-Z][A-Z0-9]{1,5}", words[-1]):
        return name, None
    initials = "".join(w[0].lower() for w in words[:-1] if w[0].isalnum())
    letters = [c for c in words[-1].lower() if c.isalpha()]
    pos = 0
    for c in letters:
        pos = initials.find(c, pos)
        if pos < 0:
            return name, None
        pos += 1
    return " ".join(words[:-1]), words[-1]


def strip_vendor(name: str) -> str | None:
    for vendor in VENDORS:
        if name.startswith(vendor + " ") and len(name) > len(vendor) + 2:
            return name[len(vendor) + 1 :]
    return None


def load_onet(b: Builder, data: Path) -> None:
    path = data / "onet-29.2-technology-skills" / "Technology Skills.txt"
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    hot = {r["Example"] for r in rows if r["Hot Technology"] == "Y"}
    category: dict[str, str] = {}
    for r in rows:
        category.setdefault(r["Example"], r["Commodity Title"])
    for raw in sorted(category):
        name = SUFFIXES.sub("", raw.strip())
        long, acronym = split_acronym(name)
        variants = [raw, name]
        display = name
        if acronym:
            variants += [long, acronym]
            display = acronym if len(acronym) >= 3 else name
        stripped = strip_vendor(name)
        s_acr = None
        if stripped:
            s_long, s_acr = split_acronym(stripped)
            variants += [stripped, s_long] + ([s_acr] if s_acr else [])
        key = canonical_key(raw)
        # the same product under another source name (e.g. 'Rust programming language' and ESCO 'Rust')
        entry = b.skill(display, "onet", key=key)
        entry.hot = entry.hot or raw in hot
        entry.category = entry.category or category[raw]
        acronyms = {a for a in (acronym, s_acr if stripped else None) if a}
        for v in dict.fromkeys(variants):
            if v in acronyms:  # 'APPS', 'ARC': the acronym counts in upper case only
                b.add_alias(entry, v, "exact")
                continue
            if PLAIN_WORD.fullmatch(v) and v != raw:
                continue  # a vendor-less single English-looking word ('Excel', 'Teams'): too ambiguous
            if PLAIN_WORD.fullmatch(v) and alias_key(v) not in STRONG_WORDS:
                b.add_alias(entry, v, "exact")
            else:
                b.add_alias(entry, v)
            b.by_key.setdefault(canonical_key(v), entry.slug)


def load_esco(b: Builder, data: Path) -> None:
    path = data / "esco-v1.2.0-digital-skills" / "digitalSkillsCollection_en.csv"
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["skillType"] == "knowledge"]
    uri_slug: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["conceptUri"]):
        label = r["preferredLabel"].strip()
        if label == "SPARK":  # the Spark Java micro-framework, not Apache Spark
            entry = b.skill("Spark (Java framework)", "esco", key="spark java framework")
            b.add_alias(entry, "Spark Java", override=True)
            uri_slug[r["conceptUri"]] = entry.slug
            continue
        name = QUALIFIER.sub("", label)
        entry = b.skill(name, "esco")
        uri_slug[r["conceptUri"]] = entry.slug
        entry.category = entry.category or (r["broaderConceptPT"].split(" | ")[0] or None)
        b.add_alias(entry, name)
        for alt in r["altLabels"].split(" | "):
            alt = alt.strip()
            key = canonical_key(alt)
            other = b.by_key.get(key)
            if not alt or (other is not None and other != entry.slug) or len(alt) < 3:
                continue  # a hypernym used as an alias (tensorflow for computer vision), or too short
            if PLAIN_WORD.fullmatch(alt) and alias_key(alt) not in STRONG_WORDS:
                continue
            b.add_alias(entry, alt)
    for r in rows:
        slug = uri_slug.get(r["conceptUri"])
        for parent_uri in r["broaderConceptUri"].split(" | "):
            parent = uri_slug.get(parent_uri.strip())
            if slug and parent and parent != slug and b.skills[slug].parent is None:
                b.skills[slug].parent = parent
                break


def tag_words(tag: str) -> str:
    return tag.replace("-", " ")


def load_stackoverflow(b: Builder, data: Path) -> None:
    path = data / "stackoverflow-tag-synonyms-2021" / "TagSynonyms.csv"
    rows = sorted(csv.DictReader(path.open(encoding="utf-8")), key=lambda r: int(r["Id"]))
    target_map = {"reactjs": "react", "amazon-web-services": "aws", "google-cloud-platform": "gcp", "r": "r"}
    qualifiers = {"language", "lang", "programming", "framework", "js"}
    for r in rows:
        source, target = r["SourceTagName"], r["TargetTagName"]
        slug = target_map.get(target) or b.by_key.get(canonical_key(tag_words(target)))
        if slug is None or slug not in b.skills:
            continue
        parts = source.split("-")
        t_parts = target.split("-")
        extra = [p for p in parts if p not in t_parts]
        if len(parts) > 1 and any(p in t_parts for p in parts) and not all(e in qualifiers for e in extra):
            continue  # javascript-alert, python-shell: a sub-topic, not another name
        if len(source) < 3 or re.search(r"\d", source) or alias_key(source) in curated.ALIAS_BLOCKLIST:
            continue
        if alias_key(tag_words(source)) in curated.WEAK_ALIASES:
            continue
        entry = b.skills[slug]
        entry.sources.add("stackoverflow")
        b.add_alias(entry, tag_words(source) if "-" in source else source)


def load_overlay(b: Builder) -> None:
    for slug, (name, category, aliases) in curated.OVERLAY_SKILLS.items():
        entry = ensure(b, slug, name)
        entry.name, entry.category = name, category
        for alias in aliases:
            add_marked(b, entry, alias)
    for slug, (fix_name, aliases) in curated.SOURCE_FIXES.items():
        entry = ensure(b, slug, fix_name or slug)
        if fix_name:
            entry.name = fix_name
        for alias in aliases:
            add_marked(b, entry, alias)


def ensure(b: Builder, slug: str, name: str) -> Entry:
    """The skill with this (curated) slug, taking over a source entry of the same name if there is one."""
    key = canonical_key(name)
    if slug not in b.skills:
        found = b.by_key.get(key)
        if found is not None and found in b.skills and found != slug:
            entry = b.skills.pop(found)
            for k, v in list(b.by_key.items()):
                if v == found:
                    b.by_key[k] = slug
            entry.slug = slug
        else:
            entry = Entry(slug, name)
        b.skills[slug] = entry
    b.by_key.setdefault(key, slug)
    b.skills[slug].sources.add("curated")
    return b.skills[slug]


def add_marked(b: Builder, entry: Entry, alias: str) -> None:
    kind = {"=": "exact", "~": "hidden"}.get(alias[:1])
    text = alias[1:] if kind else alias
    b.add_alias(entry, text, kind or "ci", override=True)
    b.by_key.setdefault(canonical_key(text), entry.slug)


_STRONG = (
    "Python Kubernetes Django Docker Redis Elasticsearch Kotlin Scala Haskell Terraform Figma Linux Ubuntu "
    "Jenkins Selenium Tableau Postman Keras Mlflow Kubeflow Gradle Airtable Drupal Joomla Dynatrace Nagios "
    "Zabbix Wireshark Xcode Verilog Solidity Bash Perl Kotlin Smalltalk Bioconductor Bugzilla Cygwin "
    "Doxygen Dropbox Ghidra Gnuplot Inkscape Jekyll Metasploit Minitab Nmap Nunjucks Redmine Snort Tcpdump "
    "Wrike Asana Basecamp Canva Evernote Hootsuite Lucidchart Smartsheet Bootstrap Grails Moodle Blender "
    "Audacity Brightcove Nslookup Traceroute Watir Zemax Geogebra Desmos Modelica Logisim Semrush"
)
STRONG_WORDS = {w.lower() for w in _STRONG.split(" ")}


def dedupe_aliases(b: Builder) -> None:
    """One alias text belongs to one skill: the overlay's claim first, then the skill whose name it is."""
    owner: dict[str, str] = {}
    order = sorted(b.skills.values(), key=lambda e: ("curated" not in e.sources, "onet" not in e.sources, e.slug))
    for entry in order:
        for alias in list(entry.aliases):
            key = alias_key(alias)
            if owner.setdefault(key, entry.slug) != entry.slug:
                del entry.aliases[alias]


def weak_flag(entry: Entry) -> bool:
    return (
        any(kind == "exact" and alias_key(a) in curated.WEAK_ALIASES for a, kind in entry.aliases.items())
        or entry.slug in curated.WEAK_ALIASES.values()
    )


def build_titles(data: Path) -> dict[str, object]:
    from digest.taxonomy.normalize import normalise_title_text

    occ_path = data / "onet-29.2-technology-skills" / "Occupation Data.txt"
    occupations = {r["O*NET-SOC Code"]: r["Title"] for r in csv.DictReader(occ_path.open(), delimiter="\t")}
    titles = []
    for slug, (name, aliases) in sorted(curated.TITLES.items()):
        titles.append({"slug": slug, "name": name, "aliases": sorted({normalise_title_text(a) for a in aliases})})
    curated_alias = {a for t in titles for a in t["aliases"]}  # type: ignore[attr-defined]
    alt_path = data / "onet-29.2-technology-skills" / "Alternate Titles.txt"
    onet: dict[str, set[str]] = {}
    for r in csv.DictReader(alt_path.open(encoding="utf-8"), delimiter="\t"):
        for t in (r["Alternate Title"], r["Short Title"]):
            if t and t != "n/a":
                key = normalise_title_text(t)
                if key and key not in curated_alias:
                    onet.setdefault(r["O*NET-SOC Code"], set()).add(key)
    seen: set[str] = set()
    for code in sorted(onet):
        if code not in occupations:
            continue
        name = occupations[code]
        slug = "onet-" + slugify(name)
        aliases = sorted((onet[code] | {normalise_title_text(name)}) - seen - curated_alias)
        seen.update(aliases)
        titles.append({"slug": slug, "name": name, "aliases": aliases, "onet": code})
    return {"source": "curated overlay + O*NET 29.2 Alternate Titles", "titles": titles}


def build(data: Path) -> tuple[dict[str, object], dict[str, object]]:
    b = Builder()
    load_overlay(b)  # claims slugs and keys first
    load_onet(b, data)
    load_esco(b, data)
    load_stackoverflow(b, data)
    load_overlay(b)  # ... and has the last word on names and aliases
    dedupe_aliases(b)
    for slug in [slug for slug, e in b.skills.items() if not e.aliases]:
        del b.skills[slug]  # every name it had belongs to another skill: a duplicate ('ABAP' in ESCO and O*NET)
    skills = []
    for slug in sorted(b.skills):
        e = b.skills[slug]
        skills.append(
            {
                "slug": e.slug,
                "name": e.name,
                "parent": e.parent if e.parent in b.skills else None,
                "category": e.category,
                "hot": e.hot,
                "weak": weak_flag(e),
                "generic": e.slug in curated.GENERIC_SKILLS,
                "sources": sorted(e.sources),
                "aliases": [{"alias": a, "kind": k} for a, k in sorted(e.aliases.items())],
            }
        )
    metros = [
        {"slug": slug, "name": name, "country": country, "aliases": sorted(set(aliases))}
        for slug, (name, country, aliases) in sorted(curated.METROS.items())
    ]
    taxonomy = {
        "sources": ["O*NET 29.2", "ESCO v1.2.0", "Stack Overflow tag synonyms 2021", "curated overlay"],
        "skills": skills,
        "metros": metros,
    }
    return taxonomy, build_titles(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="the shared data folder (default: shared/data beside the repo)")
    args = parser.parse_args()
    guesses = [Path(os.environ.get("DIGEST_SHARED_DATA", "")), REPO.parent / "shared" / "data"]
    guesses.append(REPO.parent.parent / "shared" / "data")  # a worktree
    data = args.data or next((g for g in guesses if (g / "onet-29.2-technology-skills").exists()), None)
    if data is None:
        sys.exit("shared data not found: pass --data or set DIGEST_SHARED_DATA")
    taxonomy, titles = build(data)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, obj in (("taxonomy.json", taxonomy), ("titles.json", titles)):
        (OUT / name).write_text(json.dumps(obj, ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8")
    n_alias = sum(len(s["aliases"]) for s in taxonomy["skills"])  # type: ignore[attr-defined]
    print(f"{len(taxonomy['skills'])} skills, {n_alias} aliases, {len(titles['titles'])} titles -> {OUT}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
