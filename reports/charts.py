"""Charts as inline SVG, drawn in Python: no JavaScript, no network, no image files.

Every text node and attribute value that can carry input (model names, finding titles) goes through `escape`,
so a name such as `<img src=x>` is drawn as text. Geometry uses floats; the numbers printed come from Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

FONT = "DejaVu Sans, sans-serif"
INK = "#1b2433"
MUTED = "#5b6675"
GRID = "#d9dee5"
# Restrained, distinguishable in print and in greyscale; the last one is for "other".
PALETTE = ("#27476e", "#5b8db8", "#a9c6de", "#b5643a", "#e2b489", "#6f8f5e", "#8a94a0")
OTHER_COLOUR = "#b9c0c8"
SAVING = "#6f8f5e"
TOTAL = "#27476e"
CHAR_WIDTH = 0.6  # average DejaVu Sans advance, in ems, for laying out legends


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[Decimal]


def _num(x: float) -> str:
    """Coordinates with one decimal: stable text for the golden file."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _text(x: float, y: float, body: str, *, size: float = 10, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}">{escape(body)}</text>')


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round axis steps (1, 2, 2.5, 5 x 10^k) from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def short_usd(value: float) -> str:
    """Axis and bar labels: $0.45, $152, $12.3K, $1.25M."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}${v / 1_000_000:.2f}M"
    if v >= 10_000:
        return f"{sign}${v / 1000:.0f}K"
    if v >= 1000:
        return f"{sign}${v / 1000:.1f}K"
    if v >= 10 or v == 0:
        return f"{sign}${v:.0f}"
    return f"{sign}${v:.2f}"


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    w, h = _num(width), _num(height)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" '
            f'height="{h}" role="img" aria-label="{escape(label)}" font-family="{FONT}">')
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _legend(series: Sequence[Series], x0: float, y0: float, width: float,
            size: float = 9) -> tuple[list[str], float]:
    """Swatches and names laid out in rows; returns the elements and the height used."""
    out: list[str] = []
    x, y = x0, y0
    for s in series:
        item = 14 + len(s.name) * size * CHAR_WIDTH + 16
        if x > x0 and x + item > x0 + width:
            x, y = x0, y + size + 7
        out.append(f'<rect x="{_num(x)}" y="{_num(y - size + 1)}" width="10" height="{_num(size)}" '
                   f'fill="{s.colour}"/>')
        out.append(_text(x + 14, y, s.name, size=size))
        x += item
    return out, y - y0 + size + 4


def stacked_months(months: Sequence[str], notes: Sequence[str], series: Sequence[Series],
                   label: str) -> Markup:
    """Vertical bars, one per month, stacked by series (model); month totals on top, a legend below."""
    width, plot_h = 680.0, 200.0
    left, right, top = 58.0, 8.0, 18.0
    totals = [sum((float(s.values[i]) for s in series), 0.0) for i in range(len(months))]
    ticks = nice_ticks(max(totals, default=0.0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    slot = (width - left - right) / max(len(months), 1)
    bar = min(58.0, slot * 0.62)
    crowded = slot < 48  # "Sep 2026" no longer fits under its bar
    body: list[str] = []
    for t in ticks:
        y = base - t * scale
        body.append(f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{GRID if t else MUTED}" stroke-width="{0.8 if t else 1}"/>')
        body.append(_text(left - 6, y + 3.5, short_usd(t), size=9, anchor="end", fill=MUTED))
    for i, month in enumerate(months):
        x = left + slot * i + (slot - bar) / 2
        y = base
        for s in series:
            h = float(s.values[i]) * scale
            if h <= 0:
                continue
            y -= h
            body.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(max(h, 0.4))}" '
                        f'fill="{s.colour}"><title>{escape(s.name)} {escape(month)}: '
                        f'{escape(short_usd(float(s.values[i])))}</title></rect>')
        cx = x + bar / 2
        if crowded:  # many months: slanted labels, totals only where they fit (the table has them all)
            if slot >= 34:
                body.append(_text(cx, y - 4, short_usd(totals[i]), size=7.5, anchor="middle", weight="bold"))
            text = month + (f" ({notes[i]})" if notes[i] else "")
            body.append(f'<g transform="rotate(-45 {_num(cx + 3)} {_num(base + 10)})">'
                        + _text(cx + 3, base + 10, text, size=8, anchor="end") + "</g>")
            continue
        body.append(_text(cx, y - 4, short_usd(totals[i]), size=9, anchor="middle", weight="bold"))
        body.append(_text(cx, base + 14, month, size=9.5, anchor="middle"))
        if notes[i]:
            body.append(_text(cx, base + 26, notes[i], size=8, anchor="middle", fill=MUTED))
    top_of_legend = base + (62 if crowded else 46)
    legend, legend_h = _legend(series, left, top_of_legend, width - left - right)
    body.extend(legend)
    return _svg(width, top_of_legend + legend_h, label, body)


def waterfall_floor(start: Decimal, end: Decimal) -> Decimal:
    """Where the value axis starts: 0, unless the savings are too small a share of spend to see from 0."""
    span = start - end
    if start <= 0 or span <= 0 or span * 10 >= start:  # 10% or more of spend reads well from 0
        return Decimal(0)
    step = Decimal(str(nice_ticks(float(span))[1]))
    floor = ((end - span / 2) / step).to_integral_value(rounding="ROUND_FLOOR") * step
    return max(floor, Decimal(0))


def waterfall(start_label: str, start: Decimal, steps: Sequence[tuple[str, Decimal]], end_label: str,
              fmt: Callable[[Decimal], str], label: str, floor: Decimal = Decimal(0)) -> Markup:
    """Horizontal waterfall: spend, minus each saving, equals spend after the savings.

    With a floor above 0 the axis is cut (marked on the total bars) so that small savings stay visible.
    """
    width, row, label_w, value_w = 680.0, 22.0, 250.0, 84.0
    plot_w = width - label_w - value_w
    base = float(floor)
    full = (float(start) - base) or 1.0
    end = start - sum((s for _, s in steps), Decimal(0))
    rows: list[tuple[str, float, float, str, str, bool]] = [
        (start_label, base, float(start), TOTAL, fmt(start), True)]
    running = float(start)
    for name, saving in steps:
        rows.append((name, running - float(saving), running, SAVING, "−" + fmt(saving), False))
        running -= float(saving)
    rows.append((end_label, base, float(end), TOTAL, fmt(end), True))

    def x(v: float) -> float:
        return label_w + (max(v, base) - base) / full * plot_w

    body: list[str] = []
    for i, (name, lo, hi, colour, value, bold) in enumerate(rows):
        y = 4 + i * row
        shown = name if len(name) <= 44 else name[:43] + "…"
        body.append(_text(0, y + 14, shown, size=9.5, weight="bold" if bold else "normal"))
        body.append(f'<rect x="{_num(x(lo))}" y="{_num(y + 3)}" width="{_num(max(x(hi) - x(lo), 0.8))}" '
                    f'height="{_num(row - 8)}" fill="{colour}"/>')
        if bold and base > 0:  # the axis is cut: a white double slash across the bar says so
            for dx in (8.0, 12.0):
                body.append(f'<line x1="{_num(label_w + dx - 2)}" x2="{_num(label_w + dx + 2)}" '
                            f'y1="{_num(y + row - 3)}" y2="{_num(y + 1)}" stroke="#ffffff" '
                            'stroke-width="1.6"/>')
        if i < len(rows) - 1:  # connector to the next bar
            edge = x(hi if bold else lo)
            body.append(f'<line x1="{_num(edge)}" x2="{_num(edge)}" y1="{_num(y + row - 5)}" '
                        f'y2="{_num(y + row + 3)}" stroke="{MUTED}" stroke-width="0.6"/>')
        body.append(_text(width, y + 14, value, size=9.5, anchor="end", weight="bold" if bold else "normal"))
    return _svg(width, 8 + len(rows) * row, label, body)


# ---- more charts: shares over time, horizontal bars, a signed bridge, a forecast ---------------------------

MARKERS = ("circle", "square", "diamond")


def _marker(kind: str, x: float, y: float, colour: str, hollow: bool = False, title: str = "") -> str:
    fill = "#ffffff" if hollow else colour
    attrs = f'fill="{fill}" stroke="{colour}" stroke-width="1.2"'
    tip = f"<title>{escape(title)}</title>" if title else ""
    if kind == "square":
        return f'<rect x="{_num(x - 3)}" y="{_num(y - 3)}" width="6" height="6" {attrs}>{tip}</rect>'
    if kind == "diamond":
        return (f'<polygon points="{_num(x)},{_num(y - 4)} {_num(x + 4)},{_num(y)} {_num(x)},{_num(y + 4)} '
                f'{_num(x - 4)},{_num(y)}" {attrs}>{tip}</polygon>')
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.2" {attrs}>{tip}</circle>'


def _pct_text(v: Decimal) -> str:
    return f"{v * 100:.1f}%"


def _label_offset(series: Sequence[Series], n: int, i: int, scale: float, base: float) -> float:
    """Where a point's value goes: above it, unless another series' point of that month is close above
    (then below it, or above that one's label when below would run into the axis labels)."""
    y = base - float(series[n].values[i]) * scale
    near = [base - float(s.values[i]) * scale for k, s in enumerate(series)
            if k < n and s.values[i] is not None and abs(base - float(s.values[i]) * scale - y) < 12]
    if not near:
        return -7.0
    if y + 13 < base - 2:
        return 13.0
    return min(near) - y - 19


def share_lines(months: Sequence[str], notes: Sequence[str], series: Sequence[Series], label: str,
                partial: Sequence[bool] = ()) -> Markup:
    """Shares (0..1) by month as lines with markers, one per series; a value on each point; months the data
    covers in part drawn with hollow markers. A value of None leaves a gap."""
    width, plot_h = 680.0, 150.0
    left, right, top = 46.0, 16.0, 14.0
    top_value = max((float(v) for s in series for v in s.values if v is not None), default=0.0)
    ticks = [t / 100 for t in nice_ticks(max(top_value * 100, 1.0), 4)]
    if ticks[-1] > 1:
        ticks = [0, 0.25, 0.5, 0.75, 1.0]
    scale = plot_h / ticks[-1]
    base = top + plot_h
    slot = (width - left - right) / max(len(months), 1)
    crowded = slot < 48
    body: list[str] = []
    for t in ticks:
        y = base - t * scale
        body.append(f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{GRID if t else MUTED}" stroke-width="{0.8 if t else 1}"/>')
        body.append(_text(left - 6, y + 3.5, f"{t * 100:.0f}%", size=9, anchor="end", fill=MUTED))
    xs = [left + slot * i + slot / 2 for i in range(len(months))]
    for n, s in enumerate(series):
        kind = MARKERS[n % len(MARKERS)]
        points = [(xs[i], base - float(v) * scale) for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="1.6"/>')
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x, y = xs[i], base - float(v) * scale
            hollow = bool(partial) and partial[i]
            body.append(_marker(kind, x, y, s.colour, hollow, f"{s.name} {months[i]}: {_pct_text(v)}"))
            if not crowded:
                body.append(_text(x, y + _label_offset(series, n, i, scale, base), _pct_text(v), size=8,
                                  anchor="middle", fill=s.colour))
    for i, month in enumerate(months):
        if crowded:
            text = month + (f" ({notes[i]})" if notes[i] else "")
            body.append(f'<g transform="rotate(-45 {_num(xs[i] + 3)} {_num(base + 10)})">'
                        + _text(xs[i] + 3, base + 10, text, size=8, anchor="end") + "</g>")
            continue
        body.append(_text(xs[i], base + 14, month, size=9.5, anchor="middle"))
        if notes[i]:
            body.append(_text(xs[i], base + 26, notes[i], size=8, anchor="middle", fill=MUTED))
    legend_top = base + (62 if crowded else 44)
    legend, legend_h = _legend(series, left, legend_top, width - left - right)
    body.extend(legend)
    return _svg(width, legend_top + legend_h, label, body)


def hbars(items: Sequence[tuple[str, Decimal, str]], label: str, fmt: Callable[[Decimal], str],
          colour: str = PALETTE[1], rest: tuple[str, Decimal, str] | None = None) -> Markup:
    """Horizontal bars: one per (name, value, note), largest first as given, drawn relative to the largest;
    an optional 'rest' row (everything else together) in grey, its bar cut (marked //) when it is larger."""
    width, row, label_w, value_w = 680.0, 17.0, 210.0, 130.0
    plot_w = width - label_w - value_w
    all_items = [*items, *([rest] if rest else [])]
    biggest = max((float(v) for _, v, _ in items), default=0.0) or 1.0
    body: list[str] = []
    for i, (name, v, note) in enumerate(all_items):
        is_rest = rest is not None and i == len(all_items) - 1
        y = 2 + i * row
        shown = name if len(name) <= 38 else name[:37] + "…"
        body.append(_text(label_w - 8, y + 11.5, shown, size=8.5, anchor="end", fill=MUTED if is_rest else INK))
        w = min(max(float(v), 0.0) / biggest, 1.0) * plot_w
        body.append(f'<rect x="{_num(label_w)}" y="{_num(y + 3)}" width="{_num(max(w, 0.6))}" '
                    f'height="{_num(row - 6)}" fill="{OTHER_COLOUR if is_rest else colour}">'
                    f'<title>{escape(name)}: {escape(fmt(v))}</title></rect>')
        if is_rest and float(v) > biggest:  # longer than the scale: cut, and said so
            for dx in (-14.0, -10.0):
                body.append(f'<line x1="{_num(label_w + w + dx - 2)}" x2="{_num(label_w + w + dx + 2)}" '
                            f'y1="{_num(y + row - 2)}" y2="{_num(y + 2)}" stroke="#ffffff" stroke-width="1.6"/>')
        body.append(_text(label_w + w + 5, y + 11.5, fmt(v) + (f"  {note}" if note else ""), size=8.5,
                          fill=MUTED if is_rest else INK))
    return _svg(width, 4 + len(all_items) * row, label, body)


UP = "#b5643a"


def bridge_floor(start: Decimal, steps: Sequence[Decimal]) -> Decimal:
    """Where a bridge's value axis starts: 0, unless the changes would be slivers seen from 0 (all levels
    within a quarter of the highest); then a round value below the lowest level, and the axis is marked cut."""
    levels = [start]
    for s in steps:
        levels.append(levels[-1] + s)
    low, high = min(levels), max(levels)
    span = high - low
    if low <= 0 or span <= 0 or span * 4 >= high:
        return Decimal(0)
    step = Decimal(str(nice_ticks(float(span))[1]))
    floor = ((low - span / 2) / step).to_integral_value(rounding="ROUND_FLOOR") * step
    return max(floor, Decimal(0))


def bridge(start_label: str, start: Decimal, steps: Sequence[tuple[str, Decimal]], end_label: str,
           fmt: Callable[[Decimal], str], label: str) -> Markup:
    """A signed waterfall: last period's spend, each cause up (rust) or down (green), this period's spend."""
    width, row, label_w, value_w = 680.0, 22.0, 230.0, 96.0
    plot_w = width - label_w - value_w
    end = start + sum((s for _, s in steps), Decimal(0))
    running, levels = float(start), [float(start), float(end)]
    for _, s in steps:
        running += float(s)
        levels.append(running)
    lo_axis, hi_axis = min(0.0, *levels), max(levels) or 1.0
    lo_axis = float(bridge_floor(start, [s for _, s in steps])) or lo_axis
    span = (hi_axis - lo_axis) or 1.0
    cut = lo_axis > 0

    def x(v: float) -> float:
        return label_w + (v - lo_axis) / span * plot_w

    # (name, low, high, colour, value text, is a total, the level after this row)
    rows: list[tuple[str, float, float, str, str, bool, float]] = [
        (start_label, 0.0, float(start), TOTAL, fmt(start), True, float(start))]
    running = float(start)
    for name, step in steps:
        new = running + float(step)
        sign = "+" if step > 0 else ("−" if step < 0 else "")
        rows.append((name, min(running, new), max(running, new), UP if step > 0 else SAVING,
                     sign + fmt(abs(step)), False, new))
        running = new
    rows.append((end_label, lo_axis, float(end), TOTAL, fmt(end), True, float(end)))
    rows[0] = (start_label, lo_axis, float(start), TOTAL, fmt(start), True, float(start))
    body: list[str] = []
    if lo_axis < 0:
        body.append(f'<line x1="{_num(x(0))}" x2="{_num(x(0))}" y1="2" y2="{_num(6 + len(rows) * row)}" '
                    f'stroke="{MUTED}" stroke-width="0.6"/>')
    for i, (name, lo, hi, colour, value, bold, level) in enumerate(rows):
        y = 4 + i * row
        shown = name if len(name) <= 40 else name[:39] + "…"
        body.append(_text(0, y + 14, shown, size=9.5, weight="bold" if bold else "normal"))
        body.append(f'<rect x="{_num(x(lo))}" y="{_num(y + 3)}" width="{_num(max(x(hi) - x(lo), 0.8))}" '
                    f'height="{_num(row - 8)}" fill="{colour}"/>')
        if bold and cut:  # the axis is cut: a white double slash across the bar says so
            for dx in (8.0, 12.0):
                body.append(f'<line x1="{_num(label_w + dx - 2)}" x2="{_num(label_w + dx + 2)}" '
                            f'y1="{_num(y + row - 3)}" y2="{_num(y + 1)}" stroke="#ffffff" stroke-width="1.6"/>')
        if i < len(rows) - 1:  # connector at the level this row leaves
            body.append(f'<line x1="{_num(x(level))}" x2="{_num(x(level))}" y1="{_num(y + row - 5)}" '
                        f'y2="{_num(y + row + 3)}" stroke="{MUTED}" stroke-width="0.6"/>')
        body.append(_text(width, y + 14, value, size=9.5, anchor="end", weight="bold" if bold else "normal"))
    return _svg(width, 8 + len(rows) * row, label, body)


def forecast_chart(months: Sequence[str], actual: Sequence[Decimal | None], trend: Sequence[Decimal | None],
                   plain: Sequence[Decimal | None], optimised: Sequence[Decimal | None], label: str,
                   band: tuple[Sequence[Decimal | None], Sequence[Decimal | None]] | None = None) -> Markup:
    """Monthly spend as bars (the months the line is fitted on), the fitted line through them and on as the
    forecast (dashed), its uncertainty band (shaded, low and high per month), and the forecast after the savings
    (green): one value per month in `months`."""
    width, plot_h = 680.0, 190.0
    left, right, top = 58.0, 8.0, 14.0
    low, high = band if band else ([], [])
    values = [float(v) for seq in (actual, trend, plain, optimised, high) for v in seq if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    slot = (width - left - right) / max(len(months), 1)
    bar = min(40.0, slot * 0.6)
    body: list[str] = []
    for t in ticks:
        y = base - t * scale
        body.append(f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{GRID if t else MUTED}" stroke-width="{0.8 if t else 1}"/>')
        body.append(_text(left - 6, y + 3.5, short_usd(t), size=9, anchor="end", fill=MUTED))
    xs = [left + slot * i + slot / 2 for i in range(len(months))]
    for i, v in enumerate(actual):
        if v is None:
            continue
        h = float(v) * scale
        body.append(f'<rect x="{_num(xs[i] - bar / 2)}" y="{_num(base - h)}" width="{_num(bar)}" '
                    f'height="{_num(max(h, 0.4))}" fill="{PALETTE[1]}"><title>{escape(months[i])}: '
                    f'{escape(short_usd(float(v)))}</title></rect>')

    def line(seq: Sequence[Decimal | None], colour: str, dash: str = "", w: float = 1.6) -> None:
        pts = [(xs[i], base - float(v) * scale) for i, v in enumerate(seq) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{_num(a)},{_num(b)}" for a, b in pts)
            extra = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{w}"{extra}/>')

    lows = [(xs[i], base - float(v) * scale) for i, v in enumerate(low) if v is not None]
    highs = [(xs[i], base - float(v) * scale) for i, v in enumerate(high) if v is not None]
    if len(lows) > 1 and len(highs) == len(lows):
        outline = " ".join(f"{_num(a)},{_num(b)}" for a, b in [*highs, *reversed(lows)])
        body.append(f'<polygon points="{outline}" fill="{PALETTE[2]}" fill-opacity="0.55" stroke="none"/>')
    line(trend, INK, "2 2", 1.0)
    line(plain, INK, "5 3")
    line(optimised, SAVING, "", 2.0)
    step = 1 if slot >= 40 else 2 if slot >= 20 else 3
    for i, month in enumerate(months):
        if i % step:
            continue
        body.append(f'<g transform="rotate(-45 {_num(xs[i] + 3)} {_num(base + 10)})">'
                    + _text(xs[i] + 3, base + 10, month, size=8, anchor="end") + "</g>")
    legend_top = base + 58
    series = [Series("Monthly spend (months fitted)", PALETTE[1], []),
              Series("Least-squares line and forecast (dashed)", INK, []),
              Series("Forecast after the savings", SAVING, [])]
    if band:
        series.append(Series("Band: one standard error of the line", PALETTE[2], []))
    legend, legend_h = _legend(series, left, legend_top, width - left - right)
    body.extend(legend)
    return _svg(width, legend_top + legend_h, label, body)
