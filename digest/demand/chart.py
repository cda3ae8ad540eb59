"""The weekly postings chart: a small PNG made server-side (Pillow), the same for pages and
emails. Cached on disk in the directory the caller gives (settings.charts_dir), keyed by skill, as-of day and
the series drawn, so a posting imported later the same day draws a new chart instead of serving a stale one."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from digest.demand.explain import Compared
from digest.demand.figures import weekly_postings
from digest.store.models import Skill

WIDTH_PX, HEIGHT_PX = 560, 220
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
    tested_band: str  # behind the weeks an alert tested
    before_band: str  # behind the weeks they were compared with


# light for emails and light pages; dark for pages read in dark mode (site.css's dark colours), so the chart is
# not a white box on a dark page
LIGHT = Palette("#ffffff", BAR, BAR_PARTIAL, RECENT, "#1d2330", "#5b6475", "#e3e6ec", "#c5cad3", "#fde9c4", "#eceff4")
DARK = Palette(
    "#1c2027", "#4d6fb3", "#2e3a52", "#8ab4ff", "#e6e9ef", "#a9b1bf", "#343a46", "#4a5160", "#4a3a1c", "#2a303b"
)


def chart_path(
    fig_data: dict[str, Any], cache_dir: Path, dark: bool = False, narrow: bool = False, marks: Compared | None = None
) -> Path:
    drawn = json.dumps([fig_data["name"], fig_data["weekly"]], sort_keys=True).encode()
    variant = ("-dark" if dark else "") + ("-narrow" if narrow else "")
    if marks is not None:  # an alert's windows: a chart of its own
        variant += f"-{marks.before[0]:%Y%m%d}-{marks.tested[0]:%Y%m%d}-{marks.tested[1]:%Y%m%d}"
    return cache_dir / f"{fig_data['skill']}-{fig_data['as_of']}-{hashlib.sha256(drawn).hexdigest()[:12]}{variant}.png"


def weekly_chart_png(
    session: Session,
    skill: Skill,
    as_of: date,
    cache_dir: Path,
    keep: bool = True,
    dark: bool = False,
    narrow: bool = False,
    marks: Compared | None = None,
) -> bytes:
    """~560x220 PNG of the weekly postings in the 90-day window (360x220 when `narrow`, for phones); the last 4
    weeks highlighted, or, with `marks`, the two windows an alert compared; in the dark palette for pages read
    in dark mode. Kept on disk for the next request unless `keep` is False (a date far from any data)."""
    fig_data = weekly_postings(session, skill, as_of)  # not demand_figures: no shift test, no top lists
    path = chart_path(fig_data, cache_dir, dark, narrow, marks)
    if path.exists():
        return path.read_bytes()
    png = render_weekly_chart(fig_data, DARK if dark else LIGHT, NARROW_WIDTH_PX if narrow else WIDTH_PX, marks)
    if not keep:
        return png
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(png)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    return png


def render_weekly_chart(
    fig_data: dict[str, Any], palette: Palette = LIGHT, width_px: int = WIDTH_PX, marks: Compared | None = None
) -> bytes:
    """Drawn with Pillow: bars, a few week labels, integer gridlines, a title. (matplotlib drew the same chart in
    0.15 s plus 0.5-1 s of import per process; Pillow takes a few milliseconds, so a cold `send-due` pays
    nothing for its charts.) With `marks` (an alert's two windows), each window's weeks stand on a tinted band
    labelled "before" or "tested", with a line at its average week; the tested weeks' bars dark, the weeks
    before mid, every other week pale."""
    from PIL import Image, ImageDraw, ImageFont

    weekly = fig_data["weekly"]
    as_of = date.fromisoformat(fig_data["as_of"])
    labels = [date.fromisoformat(w["week_start"]) for w in weekly]
    values = [int(w["postings"]) for w in weekly]
    wide = width_px >= WIDTH_PX
    small, title_font = ImageFont.load_default(size=11), ImageFont.load_default(size=13)
    img = Image.new("RGB", (width_px, HEIGHT_PX), palette.background)
    draw = ImageDraw.Draw(img)
    title = f"{fig_data['name']}: postings per week" + (" (week starting)" if wide else "")
    draw.text((8, 6), _fit(draw, title, title_font, width_px - 16), font=title_font, fill=palette.text)

    top = max(values, default=0)
    ticks = _integer_ticks(top) if top else []
    y_max = ticks[-1] if ticks else 1
    label_w = max((draw.textlength(str(t), font=small) for t in ticks), default=0)
    left, right, plot_top, bottom = int(label_w) + 14, width_px - 8, 30 if marks is None else 44, HEIGHT_PX - 22
    height = bottom - plot_top

    def y(v: float) -> float:
        return bottom - height * v / y_max

    slot = (right - left) / max(len(values), 1)
    windows = (
        []
        if marks is None
        else [("before", marks.before, palette.before_band), ("tested", marks.tested, palette.tested_band)]
    )
    bands = []  # (label, first slot, last slot, average week)
    for name, (start, end), band in windows:
        inside = [i for i, week in enumerate(labels) if start <= week < end]
        if not inside:  # the window is older than the chart's 90 days
            continue
        x0, x1 = left + slot * inside[0], left + slot * (inside[-1] + 1)
        draw.rectangle([(x0, plot_top - 14), (x1 - 1, bottom)], fill=band)
        bands.append((name, x0, x1, sum(values[i] for i in inside) / len(inside)))
    for t in ticks:
        draw.line([(left, y(t)), (right, y(t))], fill=palette.grid, width=1)
        draw.text((left - 6, y(t)), str(t), font=small, fill=palette.muted, anchor="rm")
    for i, (week, v) in enumerate(zip(labels, values, strict=True)):
        partial = i == 0 or (as_of - week).days < 6  # the window cuts the first and the current week
        if marks is None:
            recent = (as_of - week).days < 28
            colour = palette.partial if partial else palette.recent if recent else palette.bar
        else:
            colour = (
                palette.recent
                if marks.tested[0] <= week < marks.tested[1]
                else palette.bar
                if marks.before[0] <= week < marks.before[1]
                else palette.partial
            )
        x0 = left + slot * i + slot * 0.125
        if v:
            draw.rectangle([(x0, y(v)), (x0 + slot * 0.75, bottom)], fill=colour)
    for name, x0, x1, mean in bands:  # each window's label above it, and its average week across it
        draw.text(((x0 + x1) / 2, plot_top - 7), name, font=small, fill=palette.text, anchor="mm")
        draw.line([(x0 + 2, y(mean)), (x1 - 3, y(mean))], fill=palette.text, width=2)
    draw.line([(left, bottom), (right, bottom)], fill=palette.axis, width=1)
    step = max(1, -(-len(labels) // (6 if wide else 4)))  # at most 6 labels (4 when narrow): they never collide
    for i in range(0, len(labels), step):
        centre = left + slot * (i + 0.5)
        draw.text((centre, bottom + 5), labels[i].strftime("%d %b"), font=small, fill=palette.muted, anchor="mt")
    if not any(values):
        empty = "no postings in the last 90 days"
        draw.text(((left + right) / 2, plot_top + height / 2), empty, font=small, fill=palette.muted, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _integer_ticks(top: int, most: int = 4) -> list[int]:
    """0 and up to `most` more gridlines at a round integer step (1, 2, 5 x 10^k), the last at or above `top`."""
    magnitude = 1
    while True:
        for unit in (1, 2, 5):
            step = unit * magnitude
            if -(-top // step) <= most:
                return [step * k for k in range(-(-top // step) + 1)]
        magnitude *= 10


def _fit(draw: Any, text: str, font: Any, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width` pixels (a long skill name on the narrow chart)."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"
