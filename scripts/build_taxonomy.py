"""Regenerate digest/taxonomy/data/{taxonomy,titles}.json from the sources, deterministically.

    .venv/bin/python scripts/build_taxonomy.py [--data /work/shared/data]

Sources (see docs/taxonomy.md for licences): O*NET 29.2 Technology Skills and Alternate Titles, ESCO v1.2.0
digital skills (knowledge concepts), Stack Overflow tag synonyms (2021), GitHub Explore topics, the current
technology layer in digest/taxonomy/layer.py (practices, AI work, kinds, related skills) and the curated overlay
in digest/taxonomy/curated.py; the layer and the overlay win over every source. Every skill gets a kind and its
related skills; a slug that stops being a skill of its own redirects to the skill that took it over. Running it
twice gives byte-identical files.
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
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.taxonomy import curated, layer  # noqa: E402
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
    kind: str | None = None
    related: list[str] = field(default_factory=list)  # the layer's
    topic_related: list[str] = field(default_factory=list)  # GitHub's related topics
    lost: set[str] = field(default_factory=set)  # alias keys another skill took
    # alias -> kind ("ci", "exact", "hidden"); first writer wins except the overlay
    aliases: dict[str, str] = field(default_factory=dict)


class Builder:
    def __init__(self) -> None:
        self.skills: dict[str, Entry] = {}
        self.by_key: dict[str, str] = {}  # canonical key of a name -> slug
        self.redirects: dict[str, str] = {}  # a slug that stopped being a skill -> the skill that took it over

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
        if not override and (blocked(alias) or len(alias_key(alias)) < 2):
            return  # single letters are the overlay's business (C, R)
        entry.aliases.setdefault(alias, kind)
        if override:
            entry.aliases[alias] = kind


def blocked(alias: str) -> bool:
    key = alias_key(alias)
    return key in curated.ALIAS_BLOCKLIST or key in layer.EXTRA_BLOCKLIST


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
        plain = alias_key(name) in layer.ONET_PLAIN_PHRASES  # 'Regression testing software' -> 'Regression testing'
        if name != raw and GENERIC.fullmatch(name) and alias_key(name) not in STRONG_WORDS and not plain:
            display = raw  # 'Testing software' is a category of products, not a product called 'Testing'
        # the same product under another source name (e.g. 'Rust programming language' and ESCO 'Rust')
        entry = b.skill(display, "onet", key=key)
        entry.hot = entry.hot or raw in hot
        entry.category = entry.category or category[raw]
        entry.kind = entry.kind or ONET_KINDS.get(category[raw])
        acronyms = {a for a in (acronym, s_acr if stripped else None) if a}
        for v in dict.fromkeys(variants):
            if v in acronyms:  # 'APPS', 'ARC': the acronym counts in upper case only
                b.add_alias(entry, v, "exact")
                continue
            if v != raw and GENERIC.fullmatch(v) and alias_key(v) not in STRONG_WORDS and not (plain and v == name):
                continue  # 'Excel', 'Teams', 'Operating system', 'Testing': a word or a category once shortened
            kind = source_kind(v)
            if kind is None:
                continue
            b.add_alias(entry, v, kind)
            b.by_key.setdefault(canonical_key(v), entry.slug)


GENERIC = re.compile(r"[A-Za-z][a-z]*(?: [a-z]+)*")  # 'Testing', 'Project management', 'operating system'
ALL_CAPS = re.compile(r"[A-Z]{2,8}")
CASE_KEPT = {"FastEST"}  # CamelCase names that lower-case to an English word


def source_kind(name: str) -> str | None:
    """How a name from O*NET or ESCO may be matched: "ci", "exact", or None (an English word: never)."""
    if alias_key(name) in STRONG_WORDS:
        return "ci"
    if " " in name:
        return "ci"
    if ALL_CAPS.fullmatch(name) or PLAIN_WORD.fullmatch(name) or name in CASE_KEPT:
        return "exact"  # 'IMPACT', 'LESS', 'Scratch' (the matcher treats a plain word as weak)
    if name.isalpha() and name.islower():
        return None
    return "ci"  # CamelCase, digits, punctuation: 'GitHub', 'jQuery', 'Node.js'


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
        entry.kind = entry.kind or product_kind(entry, esco_kind(label))
        entry.category = entry.category or (r["broaderConceptPT"].split(" | ")[0] or None)
        b.add_alias(entry, name, source_kind(name) or "ci")  # a lower-case label is a concept's name
        for alt in r["altLabels"].split(" | "):
            alt = alt.strip()
            key = canonical_key(alt)
            other = b.by_key.get(key)
            if not alt or (other is not None and other != entry.slug) or len(alt) < 3:
                continue  # a hypernym used as an alias (tensorflow for computer vision), or too short
            kind = source_kind(alt)
            if kind is None or (kind == "exact" and PLAIN_WORD.fullmatch(alt)):
                continue
            b.add_alias(entry, alt, kind)
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
        if source.isalpha() and "curated" not in entry.sources and not entry.hot:
            continue  # 'test' -> testing, 'website' -> web-framework: only the skills we know well get words
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


def load_layer(b: Builder) -> None:
    """The current technology layer: names, kinds, aliases and related skills that win over every source."""
    for table in (
        layer.PRACTICES,
        layer.AI,
        layer.DOMAINS,
        layer.TOOLS,
        layer.FIELDS_IN_POSTINGS,
        layer.NAMES_IN_POSTINGS,
        layer.POSTING_PHRASES,
        layer.CONCEPTS_IN_POSTINGS,
        layer.POSTING_FORMS,
    ):
        for slug, (name, kind, aliases, related) in table.items():
            entry = ensure(b, slug, name, "layer")
            entry.name, entry.kind = name, kind
            if "curated" not in entry.sources:  # the overlay's category stands ("AI and machine learning")
                entry.category = layer.KIND_CATEGORIES[kind]
            for alias in aliases:
                add_marked(b, entry, alias)
            entry.related = list(dict.fromkeys(entry.related + related))


def merge(b: Builder) -> None:
    """The layer's skills take over the source skills it names in MERGES: names, aliases and slug."""
    for slug, olds in sorted(layer.MERGES.items()):
        entry = b.skills[slug]
        for old in olds:
            gone = b.skills.pop(old, None)
            if gone is None:
                continue
            for alias, kind in gone.aliases.items():
                entry.aliases.setdefault(alias, kind)
            entry.sources |= gone.sources
            entry.hot = entry.hot or gone.hot
            for key, owner in list(b.by_key.items()):
                if owner == old:
                    b.by_key[key] = slug
            b.redirects[old] = slug


def load_github(b: Builder, data: Path) -> dict[str, str]:
    """GitHub Explore topics: new skills for the current technologies, aliases and related topics for known
    ones. Returns topic -> slug for every topic that is (or names) a skill."""
    path = data / "github-explore-topics" / "topics.jsonl"
    topics = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    topic_slug: dict[str, str] = {}
    for t in sorted(topics, key=lambda t: t["topic"]):
        if t["topic"] in layer.GITHUB_SKIP or "genre of video game" in (t["short_description"] or "").lower():
            continue
        display = t["display_name"].strip().strip("'")
        if "disambiguation" in display.lower():
            continue
        name, acronym = split_parens(display)
        words = [tag_words(t["topic"])] + [tag_words(a) for a in t["aliases"]]
        slug = next((b.by_key[k] for k in map(canonical_key, [name, *words]) if k in b.by_key), None)
        single_word = bool(re.fullmatch(r"[A-Z]?[a-z]+", name))
        if slug is None and single_word and name not in layer.GITHUB_WORDS:
            continue  # Animation, Automation, Testing: a word, not a skill
        entry = b.skills[slug] if slug else b.skill(name, "github", key=canonical_key(name))
        entry.sources.add("github")
        topic_slug[t["topic"]] = entry.slug
        entry.kind = entry.kind or product_kind(entry, github_kind(t["short_description"] or ""))
        if single_word:
            b.add_alias(entry, name, "ci" if layer.GITHUB_WORDS.get(name) == "ci" else "exact")
        elif not blocked(name):
            b.add_alias(entry, name, source_kind(name) or "ci")
        if acronym and len(acronym) >= 3:
            b.add_alias(entry, acronym, "exact")
        for alias in words:
            form = github_alias(alias, name)
            if form is not None and canonical_key(form[0]) not in b.by_key:
                b.add_alias(entry, *form)
                b.by_key.setdefault(canonical_key(form[0]), entry.slug)
        b.by_key.setdefault(canonical_key(name), entry.slug)
    for t in topics:
        slug = topic_slug.get(t["topic"])
        if slug:
            related = [topic_slug[r] for r in t["related"] if r in topic_slug and topic_slug[r] != slug]
            b.skills[slug].topic_related = list(dict.fromkeys(b.skills[slug].topic_related + related))
    return topic_slug


def split_parens(display: str) -> tuple[str, str | None]:
    """'Domain-driven design (DDD)' -> ('Domain-driven design', 'DDD')."""
    m = re.fullmatch(r"(.+?)\s*\(([^)]+)\)", display)
    if not m:
        return display, None
    inner = m.group(2).strip()
    return m.group(1).strip(), inner if re.fullmatch(r"[A-Za-z0-9]{2,8}", inner) else None


_QUALIFIERS = {"js", "lang", "language", "programming", "framework", "dev", "development", "software", "engine"}


def github_alias(alias: str, name: str) -> tuple[str, str] | None:
    """How a topic's alias may match, or None: sub-topics, versions, English words and short forms are refused."""
    alias = alias.strip()
    letters = alias.replace(" ", "")
    if len(letters) <= 3:
        return (alias.upper(), "exact") if alias in layer.GITHUB_SHORT else None
    if re.search(r"\d$", alias) and alias not in ("web3", "k8s"):
        return None  # bootstrap4, angular2, cpp11: versions
    if blocked(alias):
        return None
    name_words = set(alias_key(name).split())
    extra = [w for w in alias.split() if w not in name_words]
    if " " in alias:
        if len(extra) < len(alias.split()) and not all(e in _QUALIFIERS for e in extra):
            return None  # android-application, docker-container: a sub-topic, not another name
        return alias, "ci"
    if re.search(r"(?:js|lang|db|ql|sql|io|hq|ui|rs|py|cli|sdk|kit)$", alias) or re.search(r"\d", alias):
        return alias, "ci"  # expressjs, golang, dynamodb, k8s
    return None  # a lower-case single word may be English ('motion', 'material', 'forge')


_GITHUB_KINDS = [
    ("language", r"programming language|scripting language|markup language|query language|\blanguage\b(?! model)"),
    ("database", r"\bdatabase\b|data warehouse|key-value|search engine based"),
    ("framework", r"framework|library|toolkit|\bSDK\b|game engine|component"),
    ("platform", r"cloud|platform|service|hosting|operating system|runtime|distribution"),
    ("practice", r"methodolog|practice|technique|approach|architectur|pattern|paradigm|process|discipline"),
    ("tool", r"\btool|editor|\bIDE\b|package manager|command[- ]line|compiler|linter|utility|build|manager"),
]


def github_kind(description: str) -> str:
    for kind, pattern in _GITHUB_KINDS:
        if re.search(pattern, description, re.IGNORECASE):
            return kind
    return "domain"


_PLAIN_PHRASE = re.compile(r"[A-Z]?[a-z]+(?:[ -][a-z]+)+")  # 'Data mining'; not 'Moodle', not 'Monte Carlo'


def product_kind(entry: Entry, kind: str) -> str:
    """A named product from O*NET (Acrobat, WordPress, MATLAB, 'Spreadsheet software') is a tool where another
    source has nothing better to say of it than 'domain' (a field of work); a plain phrase ('Data mining',
    'Computer simulation') stays a field."""
    if kind != "domain" or "onet" not in entry.sources:
        return kind
    plain = _PLAIN_PHRASE.fullmatch(entry.name) and not entry.name.endswith(" software")
    return kind if plain else "tool"


def esco_kind(label: str) -> str:
    if "(computer programming)" in label:
        return "language"
    if re.search(
        r"method|development|management|testing|design|engineering|programming|process|agile|devops", label, re.I
    ):
        return "practice"
    return "domain"


ONET_KINDS: dict[str, str] = {
    "Object or component oriented development software": "framework",
    "Web platform development software": "framework",
    "Graphical user interface development software": "framework",
    "Development environment software": "tool",
    "Program testing software": "tool",
    "Configuration management software": "tool",
    "File versioning software": "tool",
    "Compiler and decompiler software": "tool",
    "Data base management system software": "database",
    "Object oriented data base management software": "database",
    "Data base user interface and query software": "database",
    "Operating system software": "platform",
    "Application server software": "platform",
    "Cloud-based data access and sharing software": "platform",
    "Cloud-based management software": "platform",
    "Cloud-based protection or security software": "platform",
    "Network operation system software": "platform",
}


def ensure(b: Builder, slug: str, name: str, source: str = "curated") -> Entry:
    """The skill with this (curated) slug, taking over a source entry of the same name if there is one."""
    key = canonical_key(name)
    if slug not in b.skills:
        found = b.by_key.get(key)
        if found is not None and found in b.skills and found != slug:
            entry = b.skills.pop(found)
            b.redirects[found] = slug
            for k, v in list(b.by_key.items()):
                if v == found:
                    b.by_key[k] = slug
            entry.slug = slug
        else:
            entry = Entry(slug, name)
        b.skills[slug] = entry
    b.by_key.setdefault(key, slug)
    b.skills[slug].sources.add(source)
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


def product_words(b: Builder) -> set[str]:
    """Single words that name a product, language or vendor: a concept tag that contains one is a product's
    part ('spring-security', 'django-testing', 'android-testing'), not a practice."""
    words = set(layer.CONCEPT_VENDOR_WORDS)
    for entry in b.skills.values():
        if skill_kind(entry) in ("practice", "domain"):
            continue
        words |= {alias_key(a) for a in entry.aliases if " " not in alias_key(a)}
    return words


def load_concept_tags(b: Builder, data: Path) -> None:
    """Stack Overflow's concept tags (Tags.csv, with question counts) as practices and fields: a tag of two or
    three plain words whose last word names a kind of work (`layer.CONCEPT_HEADS`: load-balancing,
    fault-tolerance, design-patterns, system-administration ...), asked about at least `layer.CONCEPT_FLOOR`
    times, no word a product's name, not on `layer.CONCEPT_DENY` (generic phrases), and not already a name of
    a skill. The tag becomes a skill (slug = tag), its words its alias, with the forms postings write
    (`layer.CONCEPT_FORMS`: "load balancer"); an O*NET skill of the same name ("Device driver software")
    takes the plain phrase and the concept's kind instead."""
    path = data / "stackoverflow-tag-synonyms-2021" / "Tags.csv"
    named = product_words(b)
    taken = {alias_key(a) for e in b.skills.values() for a in e.aliases}
    for row in sorted(csv.DictReader(path.open(encoding="utf-8")), key=lambda r: r["TagName"]):
        tag, words = row["TagName"], row["TagName"].split("-")
        if int(row["Count"]) < layer.CONCEPT_FLOOR or not 2 <= len(words) <= 3:
            continue
        if not all(w.isalpha() for w in words) or words[-1] not in layer.CONCEPT_HEADS:
            continue
        phrase = " ".join(words)
        if tag in layer.CONCEPT_DENY or any(w in named for w in words[:-1]) or alias_key(phrase) in taken:
            continue
        kind = layer.CONCEPT_HEADS[words[-1]]
        known = b.by_key.get(canonical_key(phrase))
        if known in b.skills:
            # an O*NET label ('Data extraction software') whose plain phrase the tag shows to be a concept
            entry = b.skills[known]
            if "onet" not in entry.sources or entry.slug in layer.KIND_OF:
                continue
            entry.sources.add("stackoverflow-concepts")
        elif tag in b.skills:
            continue
        else:
            entry = ensure(b, tag, phrase[0].upper() + phrase[1:], "stackoverflow-concepts")
            entry.category = layer.KIND_CATEGORIES[kind]
            entry.related = list(layer.RELATED.get(tag, []))
        entry.kind = kind
        for alias in [phrase, *layer.CONCEPT_FORMS.get(tag, [])]:
            b.add_alias(entry, alias, "ci", override=True)
            taken.add(alias_key(alias))


def add_number_variants(b: Builder) -> None:
    """Postings write a practice's or a field's phrase in the plural too ("continuous deployments", "code
    pairings", "state machines"): a layer alias of several words that ends in a counted noun gets its plural,
    unless some skill already has that text. (Not the singular of a plural: "the operating system for X", "ML
    system design".)"""
    taken = {alias_key(a) for e in b.skills.values() for a in e.aliases}
    for entry in b.skills.values():
        if not entry.sources & {"layer", "stackoverflow-concepts"} or skill_kind(entry) not in ("practice", "domain"):
            continue
        for alias, kind in list(entry.aliases.items()):
            head, _, last = alias.rpartition(" ")
            if kind != "ci" or not head:
                continue
            if last.lower() not in layer.COUNTED_NOUNS:
                continue
            other = f"{head} {last}s"
            if alias_key(other) not in taken:
                taken.add(alias_key(other))
                entry.aliases[other] = "ci"


def dedupe_aliases(b: Builder) -> dict[str, str]:
    """One alias text belongs to one skill: the overlay's claim first, then the skill whose name it is.
    Returns alias key -> owning slug; a skill left without aliases keeps its lost keys in `lost`."""
    owner: dict[str, str] = {}
    order = sorted(
        b.skills.values(),
        key=lambda e: (
            "curated" not in e.sources and "layer" not in e.sources,
            "onet" not in e.sources,
            e.slug,
        ),
    )
    for entry in order:
        for alias in list(entry.aliases):
            key = alias_key(alias)
            if owner.setdefault(key, entry.slug) != entry.slug:
                entry.lost.add(key)
                del entry.aliases[alias]
    return owner


def resolve_redirects(b: Builder) -> dict[str, str]:
    """old slug -> the live skill it leads to (chains followed; a slug that is a skill again is no redirect)."""
    out = {}
    for old in sorted(b.redirects):
        new, seen = b.redirects[old], {old}
        while new not in b.skills and new in b.redirects and new not in seen:
            seen.add(new)
            new = b.redirects[new]
        if old not in b.skills and new in b.skills:
            out[old] = new
    return out


def related_skills(b: Builder, limit: int = 8) -> dict[str, list[str]]:
    """Related skills, both ways, closest first: the skill's own curated list, then the curated lists that name
    it, then GitHub's related topics (its own, then those that name it)."""
    curated_pairs = [(a, r) for a, e in b.skills.items() for r in e.related]
    curated_pairs += [(a, r) for a, rs in layer.RELATED.items() for r in rs]
    topic_pairs = [(a, r) for a, e in b.skills.items() for r in e.topic_related]
    pairs: dict[str, list[str]] = {slug: [] for slug in b.skills}
    for group in (curated_pairs, topic_pairs):
        for forward in (True, False):
            for a, r in group:
                x, y = (a, r) if forward else (r, a)
                if x in b.skills and y in b.skills and x != y:
                    pairs[x].append(y)
    return {slug: list(dict.fromkeys(rs))[:limit] for slug, rs in pairs.items() if rs}


def skill_kind(entry: Entry) -> str:
    if entry.slug in layer.KIND_OF:
        return layer.KIND_OF[entry.slug]
    return entry.kind or "tool"


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


def carry_redirects(b: Builder, owner: dict[str, str], previous: dict[str, Any] | None) -> None:
    """Every slug the previous bundle shipped keeps working: a skill that is gone redirects to the skill that
    now owns its name (or, failing that, its first alias that another skill owns); old redirects carry over."""
    if not previous:
        return
    for old, new in previous.get("redirects", {}).items():
        b.redirects.setdefault(old, new)
    for s in previous["skills"]:
        if s["slug"] in b.skills or s["slug"] in b.redirects:
            continue
        keys = [alias_key(s["name"]), *sorted(alias_key(a["alias"]) for a in s["aliases"])]
        heir = next((owner[k] for k in keys if k in owner), None)
        if heir:
            b.redirects[s["slug"]] = heir


def previous_bundle() -> dict[str, Any] | None:
    path = OUT / "taxonomy.json"
    if not path.exists():
        return None
    result: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return result


def build(data: Path, previous: dict[str, Any] | None = None) -> tuple[dict[str, object], dict[str, object]]:
    """The bundle from the sources; `previous` (the bundle this one replaces) supplies the slugs to redirect."""
    b = Builder()
    load_overlay(b)  # claims slugs and keys first
    load_layer(b)
    load_onet(b, data)
    load_esco(b, data)
    load_stackoverflow(b, data)
    load_github(b, data)
    merge(b)
    load_layer(b)
    load_overlay(b)  # ... and has the last word on names and aliases
    for slug, (name, aliases) in curated.DISPLAY_NAMES.items():
        b.skills[slug].name = name
        for alias in aliases:
            add_marked(b, b.skills[slug], alias)
    load_concept_tags(b, data)
    add_number_variants(b)
    owner = dedupe_aliases(b)
    for slug in [slug for slug, e in b.skills.items() if not e.aliases]:
        # every name it had belongs to another skill: a duplicate ('ABAP' in ESCO and O*NET); its slug follows
        gone = b.skills.pop(slug)
        heir = owner.get(alias_key(gone.name)) or next((owner[k] for k in sorted(gone.lost) if k in owner), None)
        if heir:
            b.redirects[slug] = heir
    for old, new in curated.SLUG_REDIRECTS.items():
        b.redirects.setdefault(old, new)
    carry_redirects(b, owner, previous)
    shipped = set(curated.SLUG_REDIRECTS)
    if previous:
        shipped |= {s["slug"] for s in previous["skills"]} | set(previous.get("redirects", {}))
    redirects = {old: new for old, new in resolve_redirects(b).items() if old in shipped}
    related = related_skills(b)
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
                "kind": skill_kind(e),
                "related": related.get(slug, []),
                "aliases": [{"alias": a, "kind": k} for a, k in sorted(e.aliases.items())],
            }
        )
    metros = [
        {"slug": slug, "name": name, "country": country, "aliases": sorted(set(aliases))}
        for slug, (name, country, aliases) in sorted(curated.METROS.items())
    ]
    taxonomy = {
        "version": curated.TAXONOMY_VERSION,
        "sources": [
            "O*NET 29.2",
            "ESCO v1.2.0",
            "Stack Overflow tag synonyms 2021",
            "Stack Overflow tags 2021 (concept tags and question counts)",
            "GitHub Explore topics (github/explore, CC-BY-4.0)",
            "curated overlay",
        ],
        "redirects": redirects,
        "skills": skills,
        "metros": metros,
    }
    return taxonomy, build_titles(data)


def context_data(taxonomy: dict[str, Any]) -> dict[str, Any]:
    """What digest.taxonomy.context needs beside the matcher: the skills named after the company that makes
    them, whose mention in a list of customers, investors or former employers is no skill mention."""
    brands = [s["slug"] for s in taxonomy["skills"] if s["slug"] in layer.COMPANY_PRODUCTS]
    return {"about": "written by scripts/build_taxonomy.py; read by digest.taxonomy.context", "brands": brands}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="the shared data folder (default: shared/data beside the repo)")
    args = parser.parse_args()
    guesses = [Path(os.environ.get("DIGEST_SHARED_DATA", "")), REPO.parent / "shared" / "data"]
    guesses.append(REPO.parent.parent / "shared" / "data")  # a worktree
    data = args.data or next((g for g in guesses if (g / "onet-29.2-technology-skills").exists()), None)
    if data is None:
        sys.exit("shared data not found: pass --data or set DIGEST_SHARED_DATA")
    taxonomy, titles = build(data, previous_bundle())
    OUT.mkdir(parents=True, exist_ok=True)
    outputs = (("taxonomy.json", taxonomy), ("titles.json", titles), ("context.json", context_data(taxonomy)))
    for name, obj in outputs:
        (OUT / name).write_text(json.dumps(obj, ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8")
    n_alias = sum(len(s["aliases"]) for s in taxonomy["skills"])  # type: ignore[attr-defined]
    print(f"{len(taxonomy['skills'])} skills, {n_alias} aliases, {len(titles['titles'])} titles -> {OUT}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
