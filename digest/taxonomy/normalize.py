"""Text normalisation shared by the build script, the matcher and the resolvers."""

from __future__ import annotations

import re
import unicodedata

from digest.taxonomy import curated

SEPARATORS = re.compile(r"[\s_\-\u2010\u2011]+")  # what a space in an alias key stands for
_VERSION = re.compile(r"(?:[ ]?v?\d+(?:\.\d+)*(?:\.x|\+)?)$", re.IGNORECASE)


def alias_key(text: str) -> str:
    """The case-folded form an alias is looked up by: separators (space, '-', '_') become one space."""
    return SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def case_key(text: str) -> str:
    """Like alias_key but keeps case (for exact-case aliases)."""
    return SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def strip_version(text: str) -> str:
    """'Python 3.12' -> 'Python', 'Java 17' -> 'Java', '.NET 8' -> '.NET' (a bare number stays)."""
    stripped = _VERSION.sub("", text).strip()
    return stripped or text


def slugify(text: str) -> str:
    s = alias_key(text).replace("++", "pp").replace("#", "sharp")
    s = re.sub(r"^\.", "dot", s)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "x"


_TITLE_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TITLE_SPLIT = re.compile(r"[^\w+#./]+")


def normalise_title_text(raw: str) -> str:
    """'Sr. ML Engineer II (Remote)' -> 'machine learning engineer': case, punctuation, seniority, abbreviations."""
    text = _TITLE_PAREN.sub(" ", unicodedata.normalize("NFKC", raw)).lower().replace("&", " and ")
    text = re.sub(r"\b(front|back)[- ]end\b", r"\1end", text)
    text = re.sub(r"\bfull[- ]stack\b", "full stack", text)
    words: list[str] = []
    for token in _TITLE_SPLIT.split(text):
        token = token.strip("./")
        if not token:
            continue
        if "/" in token and token not in curated.TITLE_ABBREVIATIONS:
            words.extend(t for t in token.split("/") if t)
            continue
        words.append(token)
    out: list[str] = []
    for w in words:
        w = curated.TITLE_ABBREVIATIONS.get(w, w)
        if w in curated.TITLE_NOISE or w + "." in curated.TITLE_NOISE:
            continue
        out.extend(w.split())
    return " ".join(out)
