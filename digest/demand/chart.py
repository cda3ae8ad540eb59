"""The weekly postings chart: a small PNG made server-side (matplotlib, Agg), the same for pages and
emails. Cached on disk in the directory the caller gives (settings.charts_dir), keyed by skill, as-of day and
the series drawn, so a posting imported later the same day draws a new chart instead of serving a stale one."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from digest.demand.figures import weekly_postings
from digest.store.models import Skill

WIDTH_PX, HEIGHT_PX, DPI = 560, 220, 100
NARROW_WIDTH_PX = 360  # for phones: shown near its own size, so its labels stay readable (the wide one shrinks to half)
BAR, BAR_PARTIAL, RECENT = "#9db4e3", "#d5deef", "#2457c5"


@dataclass(frozen=True)
class Palette:
    background: str
    bar: str
    partial: str
    recent: str
    text: str
    muted: str
    grid: str
    axis: str


# light for emails and light pages; dark for pages read in dark mode (site.css's dark colours), so the chart is
# not a white box on a dark page
LIGHT = Palette("#ffffff", BAR, BAR_PARTIAL, RECENT, "#1d2330", "#5b6475", "#e3e6ec", "#c5cad3")
DARK = Palette("#1c2027", "#4d6fb3", "#2e3a52", "#8ab4ff", "#e6e9ef", "#a9b1bf", "#343a46", "#4a5160")
_lock = threading.Lock()  # matplotlib's font cache is not thread-safe


def chart_path(fig_data: dict[str, Any], cache_dir: Path, dark: bool = False, narrow: bool = False) -> Path:
    drawn = json.dumps([fig_data["name"], fig_data["weekly"]], sort_keys=True).encode()
    variant = ("-dark" if dark else "") + ("-narrow" if narrow else "")
    return cache_dir / f"{fig_data['skill']}-{fig_data['as_of']}-{hashlib.sha256(drawn).hexdigest()[:12]}{variant}.png"


def weekly_chart_png(
    session: Session,
    skill: Skill,
    as_of: date,
    cache_dir: Path,
    keep: bool = True,
    dark: bool = False,
    narrow: bool = False,
) -> bytes:
    """~560x220 PNG of the weekly postings in the 90-day window (360x220 when `narrow`, for phones); the last 4
    weeks highlighted; in the dark palette for pages read in dark mode. Kept on disk for the next request
    unless `keep` is False (a date far from any data)."""
    fig_data = weekly_postings(session, skill, as_of)  # not demand_figures: no shift test, no top lists
    path = chart_path(fig_data, cache_dir, dark, narrow)
    if path.exists():
        return path.read_bytes()
    png = render_weekly_chart(fig_data, DARK if dark else LIGHT, NARROW_WIDTH_PX if narrow else WIDTH_PX)
    if not keep:
        return png
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(png)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    return png


def render_weekly_chart(fig_data: dict[str, Any], palette: Palette = LIGHT, width_px: int = WIDTH_PX) -> bytes:
    # matplotlib costs ~0.5 s to import: only a chart not yet drawn today (see weekly_chart_png) pays it
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    matplotlib.use("Agg")  # the Figure API never needs a GUI backend; set it for anyone importing pyplot later
    weekly = fig_data["weekly"]
    as_of = date.fromisoformat(fig_data["as_of"])
    labels = [date.fromisoformat(w["week_start"]) for w in weekly]
    values = [w["postings"] for w in weekly]
    colors = []
    for i, w in enumerate(labels):
        partial = i == 0 or (as_of - w).days < 6  # the window cuts the first and the current week
        recent = (as_of - w).days < 28
        colors.append(palette.partial if partial else palette.recent if recent else palette.bar)
    with _lock:
        fig = Figure(figsize=(width_px / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=palette.background)
        ax = fig.add_subplot(facecolor=palette.background)
        x = list(range(len(values)))
        ax.bar(x, values, color=colors, width=0.75)
        most = 6 if width_px >= WIDTH_PX else 4
        step = max(1, -(-len(labels) // most))  # at most 6 labels (4 when narrow): they never collide
        ax.set_xticks(x[::step], [d.strftime("%d %b") for d in labels[::step]], fontsize=8, color=palette.muted)
        ax.tick_params(axis="y", labelsize=8, colors=palette.muted, length=0)
        ax.tick_params(axis="x", length=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color(palette.axis)
        ax.grid(axis="y", color=palette.grid, linewidth=0.8)
        ax.set_axisbelow(True)
        title = f"{fig_data['name']}: postings per week" + (" (week starting)" if width_px >= WIDTH_PX else "")
        ax.set_title(title, fontsize=9, loc="left", color=palette.text)
        if not any(values):
            ax.set_ylim(0, 1)
            ax.set_yticks([])  # no axis of fractions of a posting under an empty chart
            empty = "no postings in the last 90 days"
            ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", color=palette.muted)
        fig.tight_layout(pad=0.6)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, facecolor=palette.background)
    return buf.getvalue()
