"""Charts drawn as vector graphics on a PDF page (bars, horizontal bars, lines): sharp at any
zoom and in print, and no image export needed."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.output.pdf import FONT, MUTED, Document, fitted_size

Color = tuple[int, int, int]
GRID = (215, 215, 215)
AXIS = (90, 90, 90)
BLUE = (49, 110, 178)
GREY = (170, 170, 170)
ORANGE = (240, 140, 40)
# Best grade green, through amber, to the worst in red (the dashboard's grade scale).
GRADE_STOPS = ((26, 152, 80), (145, 207, 96), (242, 198, 24), (251, 140, 0), (215, 48, 39))


def grade_colors(count: int) -> list[Color]:
    """One colour per grade, best first, on the same scale as the dashboard's charts."""
    stops = np.array(GRADE_STOPS, dtype=float)
    where = np.linspace(0, len(stops) - 1, max(count, 1))
    low = np.floor(where).astype(int)
    high = np.minimum(low + 1, len(stops) - 1)
    mixed = stops[low] + (stops[high] - stops[low]) * (where - low)[:, None]
    return [tuple(int(c) for c in np.rint(row)) for row in mixed][:count]


def nice_top(value: float) -> float:
    """A round axis maximum at or above the value (10, 20, 25, 50, 100 …)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    return np.linspace(low, high, count + 1)


def _text(pdf: Document, x: float, y: float, width: float, text: str, size: float, align="C"):
    pdf.set_font(FONT, "", fitted_size(pdf, text, width, size, smallest=4.0))
    pdf.set_xy(x, y)
    pdf.cell(width, size * 0.45, text, align=align)


def _frame(
    pdf: Document, x: float, y: float, w: float, h: float, low: float, high: float, fmt: str
) -> None:
    """Horizontal grid lines with their values on the left."""
    pdf.set_line_width(0.15)
    for tick in _ticks(low, high):
        ty = y + h - (tick - low) / (high - low) * h
        pdf.set_draw_color(*GRID)
        pdf.line(x, ty, x + w, ty)
        pdf.set_text_color(*MUTED)
        _text(pdf, x - 11, ty - 1.3, 10, fmt.format(tick), 6, align="R")
    pdf.set_draw_color(*AXIS)
    pdf.line(x, y + h, x + w, y + h)
    pdf.set_text_color(0, 0, 0)


def legend(pdf: Document, x: float, y: float, items: Sequence[tuple[str, Color]]) -> None:
    """Coloured squares with their names in one row."""
    pdf.set_font(FONT, "", 7)
    for name, color in items:
        pdf.set_fill_color(*color)
        pdf.rect(x, y + 0.6, 2.6, 2.6, style="F")
        pdf.set_xy(x + 3.2, y)
        pdf.cell(pdf.get_string_width(name) + 2, 3.8, name)
        x += pdf.get_string_width(name) + 9


def bar_chart(
    pdf: Document,
    w: float,
    h: float,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Color | Sequence[Color]]],
    fmt: str = "{:.0f}",
    top: float | None = None,
) -> None:
    """Grouped vertical bars at the current position, a value over each bar, a legend above;
    moves below the chart. A series' colour may be one per bar."""
    if pdf.y + h + 8 > pdf.bottom:
        pdf.add_page()
    x0, y0 = pdf.l_margin + 12, pdf.y + 5
    plot_w, plot_h = w - 12, h - 10
    values = np.array([np.asarray(v, dtype=float) for _, v, _ in series])
    high = top if top is not None else nice_top(float(np.nanmax(values)) if values.size else 1)
    legend(pdf, x0, pdf.y, [(name, c if isinstance(c[0], int) else GREY) for name, _, c in series])
    _frame(pdf, x0, y0, plot_w, plot_h, 0.0, high, fmt)
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    for number, (_, numbers, color) in enumerate(series):
        for position, value in enumerate(np.asarray(numbers, dtype=float)):
            if not math.isfinite(value):
                continue
            fill = color if isinstance(color[0], int) else color[position]
            left = x0 + slot * position + slot * 0.1 + bar * number
            height = max(value, 0) / high * plot_h
            pdf.set_fill_color(*fill)
            pdf.rect(left, y0 + plot_h - height, bar, height, style="F")
            _text(pdf, left - 2, y0 + plot_h - height - 3, bar + 4, fmt.format(value), 6)
    for position, name in enumerate(labels):
        _text(pdf, x0 + slot * position, y0 + plot_h + 0.8, slot, str(name), 7)
    pdf.set_xy(pdf.l_margin, y0 + plot_h + 5)


def hbar_chart(
    pdf: Document,
    w: float,
    labels: Sequence[str],
    values: Sequence[float],
    low: float,
    high: float,
    color: Color = BLUE,
    row: float = 4.2,
) -> None:
    """Horizontal bars, one row per label (a ranking), the value at each bar's end."""
    label_w = 34.0
    height = row * len(labels) + 6
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x0, y0 = pdf.l_margin + label_w, pdf.y + 1
    plot_w = w - label_w - 12
    pdf.set_line_width(0.15)
    for tick in _ticks(low, high, 4):
        tx = x0 + (tick - low) / (high - low) * plot_w
        pdf.set_draw_color(*GRID)
        pdf.line(tx, y0, tx, y0 + row * len(labels))
        pdf.set_text_color(*MUTED)
        _text(pdf, tx - 5, y0 + row * len(labels) + 0.5, 10, f"{tick:g}", 6)
    pdf.set_text_color(0, 0, 0)
    for position, (name, value) in enumerate(zip(labels, values, strict=True)):
        top = y0 + position * row
        _text(pdf, pdf.l_margin, top + row * 0.2, label_w - 2, str(name), 7, align="R")
        if not math.isfinite(value):
            continue
        length = (min(max(value, low), high) - low) / (high - low) * plot_w
        pdf.set_fill_color(*color)
        pdf.rect(x0, top + row * 0.15, length, row * 0.7, style="F")
        _text(pdf, x0 + length + 0.5, top + row * 0.2, 11, f"{value:.2f}", 6, align="L")
    pdf.set_xy(pdf.l_margin, y0 + row * len(labels) + 5)


def line_chart(
    pdf: Document,
    w: float,
    h: float,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Color]],
    highlight: Sequence[int] = (),
    fmt: str = "{:.0f}",
) -> None:
    """Lines with markers over shared x labels (months); the highlighted positions (the period
    reported) are shaded."""
    if pdf.y + h + 8 > pdf.bottom:
        pdf.add_page()
    x0, y0 = pdf.l_margin + 12, pdf.y + 5
    plot_w, plot_h = w - 12, h - 10
    values = np.array([np.asarray(v, dtype=float) for _, v, _ in series])
    finite = values[np.isfinite(values)]
    low = math.floor(finite.min() / 5) * 5 - 5 if finite.size else 0.0
    high = math.ceil(finite.max() / 5) * 5 + 5 if finite.size else 100.0
    legend(pdf, x0, pdf.y, [(name, color) for name, _, color in series])
    slot = plot_w / max(len(labels), 1)
    for position in highlight:
        pdf.set_fill_color(235, 235, 235)
        pdf.rect(x0 + slot * position, y0, slot, plot_h, style="F")
    _frame(pdf, x0, y0, plot_w, plot_h, low, high, fmt)
    for _, numbers, color in series:
        points = [
            (x0 + slot * (p + 0.5), y0 + plot_h - (v - low) / (high - low) * plot_h)
            for p, v in enumerate(np.asarray(numbers, dtype=float))
            if math.isfinite(v)
        ]
        pdf.set_draw_color(*color)
        pdf.set_fill_color(*color)
        pdf.set_line_width(0.4)
        if len(points) > 1:
            pdf.polyline(points)
        for px, py in points:
            pdf.circle(px, py, 0.7, style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    for position, name in enumerate(labels):
        _text(pdf, x0 + slot * position, y0 + plot_h + 0.8, slot, str(name), 6)
    pdf.set_xy(pdf.l_margin, y0 + plot_h + 5)
