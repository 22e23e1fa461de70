"""Server-rendered inline SVG charts (strict CSP: no scripts, no ``style`` attributes; SVG
presentation attributes and classes styled by app.css). Labels are escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

BAR_H = 26
LABEL_W = 150
BAR_W = 250
VALUE_W = 100
#: Longer labels are shortened with "…" (the whole label is the bar's tooltip).
LABEL_CHARS = 10


def short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _tone(value: float | None) -> str:
    if value is None:
        return "none"
    return "good" if value >= 0.95 else ("fair" if value >= 0.8 else "poor")


def bar_chart(rows: Sequence[tuple[str, float | None, str]], *, title: str, counts: bool = False) -> Markup:
    """Horizontal bars, one per (label, rate 0..1 or None, caption such as ``12/15``), with the
    percentage written at the end of each bar; ``counts``: the bars are counts scaled to the
    largest, and only the caption (``3 项``) is written."""
    height = max(len(rows), 1) * BAR_H + 8
    width = LABEL_W + BAR_W + VALUE_W
    out = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value, caption) in enumerate(rows):
        y = 4 + i * BAR_H
        length = 0 if value is None else round(BAR_W * value, 1)
        shown = "无数据" if value is None else f"{value * 100:.1f}%"
        if counts:
            shown, caption = caption, ""
        out.append(f'<g><title>{escape(label)} {shown} {escape(caption)}</title>'
                   f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">'
                   f'{escape(short(label))}</text>'
                   f'<rect class="chart-track" x="{LABEL_W}" y="{y + 4}" width="{BAR_W}" height="16" rx="3"/>'
                   f'<rect class="chart-bar tone-{"count" if counts else _tone(value)}" x="{LABEL_W}" y="{y + 4}" '
                   f'width="{length}" height="16" rx="3"/>'
                   f'<text class="chart-value" x="{LABEL_W + BAR_W + 8}" y="{y + 17}">{shown}'
                   f'<tspan class="chart-caption" dx="6">{escape(caption)}</tspan></text></g>')
    if not rows:
        out.append(f'<text class="chart-empty" x="{width / 2}" y="20" text-anchor="middle">暂无数据</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every label and caption is escaped above; numbers only otherwise)


def line_chart(points: Sequence[tuple[date, float | None]], *, title: str, percent: bool = True) -> Markup:
    """A line over days (gaps where a day has no value), the last value written by its point,
    the first and last dates under the axis. ``percent``: values are rates 0..1."""
    width, height, left, right, top, bottom = 640, 220, 48, 70, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points if v is not None]
    top_value = 1.0 if percent else max(max(values, default=0.0), 1.0) * 1.15
    out = [f'<svg class="chart chart-line" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        tick = f"{frac * 100:.0f}%" if percent else f"{top_value * frac:.0f}"
        out.append(f'<line class="chart-grid" x1="{left}" x2="{left + plot_w}" y1="{y}" y2="{y}"/>'
                   f'<text class="chart-tick" x="{left - 6}" y="{y + 4}" text-anchor="end">{tick}</text>')
    if not values:
        out.append(f'<text class="chart-empty" x="{width / 2}" y="{height / 2}" text-anchor="middle">暂无历史数据'
                   f'</text></svg>')
        return Markup("".join(out))  # noqa: S704 (the title is escaped; the rest are numbers)
    step = plot_w / max(len(points) - 1, 1)
    xy: list[tuple[float, float | None]] = [
        (left + i * step, None if v is None else top + plot_h * (1 - v / top_value)) for i, (_, v) in enumerate(points)]
    segment: list[str] = []
    for x, maybe in [*xy, (0.0, None)]:
        if maybe is None:
            if len(segment) > 1:
                out.append(f'<polyline class="chart-path" points="{" ".join(segment)}"/>')
            segment = []
        else:
            segment.append(f"{x:.1f},{maybe:.1f}")
    for (px, py), (day, v) in zip(xy, points, strict=True):
        if py is not None and v is not None:
            shown = f"{v * 100:.1f}%" if percent else f"{v:.0f}"
            out.append(f'<circle class="chart-dot" cx="{px:.1f}" cy="{py:.1f}" r="3.5"><title>{day:%m月%d日} '
                       f'{shown}</title></circle>')
    last_x, last_y = next(p for p in reversed(xy) if p[1] is not None)
    last_v = next(v for _, v in reversed(points) if v is not None)
    last = f"{last_v * 100:.1f}%" if percent else f"{last_v:.0f}"
    out.append(f'<text class="chart-value chart-last" x="{last_x + 8:.1f}" y="{(last_y or 0) + 4:.1f}">{last}</text>')
    out.append(f'<text class="chart-tick" x="{left}" y="{height - 10}">{points[0][0]:%m月%d日}</text>'
               f'<text class="chart-tick" x="{left + plot_w}" y="{height - 10}" text-anchor="end">'
               f'{points[-1][0]:%m月%d日}</text></svg>')
    return Markup("".join(out))  # noqa: S704 (the title is escaped; the rest are numbers and dates)
