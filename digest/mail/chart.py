"""The weekly-postings bar chart as a small PNG for emails (SVG does not survive mail clients).

Drawn with Pillow rather than matplotlib: one chart per skill per day is needed for every digest run,
and Pillow draws this in about a millisecond where a matplotlib figure costs tens.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 300, 90  # CSS pixels; drawn at 2x for sharp screens
SCALE = 2
BAR = (36, 87, 197)
LAST = (29, 35, 48)
AXIS = (200, 205, 214)
LABEL = (91, 100, 117)


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=11 * SCALE)


def weekly_chart_png(weekly: Sequence[tuple[date, int]]) -> bytes:
    w, h = WIDTH * SCALE, HEIGHT * SCALE
    img = Image.new("RGB", (w, h), (246, 248, 251))
    draw = ImageDraw.Draw(img)
    font = _font()
    label_h = 16 * SCALE
    top, bottom = 8 * SCALE, h - label_h
    draw.line([(0, bottom), (w, bottom)], fill=AXIS, width=SCALE)
    if weekly:
        peak = max(n for _, n in weekly) or 1
        slot = w / len(weekly)
        gap = max(SCALE, int(slot * 0.2))
        for i, (_, n) in enumerate(weekly):
            x0 = int(i * slot) + gap // 2
            x1 = int((i + 1) * slot) - gap // 2
            y0 = min(bottom - SCALE, bottom - int((bottom - top) * n / peak))  # a visible sliver for 1
            if n:
                draw.rectangle([x0, y0, x1, bottom - 1], fill=LAST if i == len(weekly) - 1 else BAR)
        first, last = weekly[0][0], weekly[-1][0]
        draw.text((0, bottom + 2 * SCALE), first.strftime("%b %-d"), fill=LABEL, font=font)
        text = f"{last.strftime('%b %-d')} · peak {peak}"
        draw.text((w - draw.textlength(text, font=font), bottom + 2 * SCALE), text, fill=LABEL, font=font)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=1)  # fast; the chart is a few KB either way
    return out.getvalue()
