"""Chart geometry for inline SVG: scales, ticks, bars and lines, in the SVG's own units.

Pure functions on plain values; ``templates/_macros/charts.html`` draws the
result.  Drawing on the server keeps the page free of scripts (the CSP allows
none inline) and the figures readable with no JavaScript at all.  Colours
are CSS classes (``chart__<series>``), never inline styles, which the CSP
also forbids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Two drawings of each chart, each with its text at the page's size: a wide one for
# screens, and a narrow one a phone shows instead (a scaled-down wide one is unreadable)
WIDTH, NARROW, HEIGHT = 480.0, 340.0, 250.0
# room for the y tick labels and axis title on the left, the x ticks and title below
LEFT, RIGHT, TOP, BOTTOM = 58.0, 14.0, 14.0, 50.0
LABEL_ROOM = 46.0  # SVG units one x tick label needs, so neighbours never touch


@dataclass(frozen=True)
class Series:
    """One named run of values, one per category; None where there is no value (a gap)."""

    key: str  # the CSS class suffix and the legend's swatch
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Tick:
    """A labelled position along an axis."""

    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    """One rectangle of a (stacked) bar, with the words a pointer hover shows."""

    x: float
    y: float
    width: float
    height: float
    key: str
    tip: str


@dataclass(frozen=True)
class Dot:
    """A point on a line, drawn so a lone value (one day of data) is still seen."""

    x: float
    y: float
    key: str
    tip: str
    over: bool = False  # above the axis's cap: drawn on the top edge


@dataclass(frozen=True)
class Polyline:
    """A run of connected points; a gap in the data starts a new one."""

    key: str
    points: str  # "x,y x,y" as SVG wants it


@dataclass(frozen=True)
class Target:
    """A horizontal reference line, e.g. the 5-minute speed-to-lead target."""

    y: float
    label: str


@dataclass(frozen=True)
class Now:
    """The current value of a series sampled at set times, placed between the samples."""

    at: float  # a position along the categories: 8.72 is 43 minutes past the ninth
    value: float
    label: str  # "now, 08:43"


@dataclass(frozen=True)
class NowMark:
    """Where ``Now`` is drawn: a dot joined to the last sample, a rule and its label."""

    x: float
    y: float
    label: str
    tip: str
    label_x: float
    label_y: float
    anchor: str  # the label's text-anchor: "end" near the right edge so it stays inside


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw one chart."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...] = ()
    lines: tuple[Polyline, ...] = ()
    dots: tuple[Dot, ...] = ()
    target: Target | None = None
    now: NowMark | None = None
    empty: bool = False
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def plot(self) -> tuple[float, float, float, float]:
        """The plotting area: left, top, right, bottom."""
        return (LEFT, TOP, self.width - RIGHT, self.height - BOTTOM)


def axis_top(largest: float, whole: bool = True, ticks: int = 4) -> tuple[float, float]:
    """A round top for the y axis at or above ``largest``, and the step between its ticks.

    Steps are 1, 2 or 5 times a power of ten; counts (``whole``) never get a
    fractional step.  With nothing to show the axis still runs 0..1 (or 0..ticks
    for counts), so an empty chart has a readable frame rather than a divide by zero.
    """
    if not largest or largest <= 0 or not math.isfinite(largest):
        return (float(ticks), 1.0) if whole else (1.0, 0.25)
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    if whole:  # a count axis reads 0, 1, 2 or 0, 25, 50: never 0, 2.5, 5
        steps = [max(1.0, s) for s in steps if s >= 1 and s == int(s)] or [1.0]
    step = float(next((s for s in steps if s >= raw - 1e-9), steps[-1]))
    return round(step * math.ceil(largest / step - 1e-9), 9), step


def number(value: float, unit: str = "") -> str:
    """A tick or table number: no trailing .0, one decimal otherwise."""
    text = str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
    return text + unit


def _y_ticks(top: float, step: float, unit: str) -> tuple[Tick, ...]:
    count = int(round(top / step))
    return tuple(Tick(_y(step * n, top), number(step * n, unit)) for n in range(count + 1))


def _y(value: float, top: float) -> float:
    bottom = HEIGHT - BOTTOM
    return round(bottom - (bottom - TOP) * (value / top if top else 0.0), 2)


def _band(count: int, width: float) -> float:
    return (width - RIGHT - LEFT) / max(count, 1)


def _x_ticks(categories: Sequence[str], width: float, from_first: bool) -> tuple[Tick, ...]:
    """Labels at band centres, thinned to every n-th so they never overlap.

    Days keep the last label (the latest day is the one looked for); hours keep the first.
    """
    band = _band(len(categories), width)
    every = max(1, math.ceil(LABEL_ROOM / band))
    last = len(categories) - 1
    keep = set(range(0, last + 1, every) if from_first else range(last, -1, -every))
    return tuple(
        Tick(round(LEFT + band * (n + 0.5), 2), label)
        for n, label in enumerate(categories)
        if n in keep
    )


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    unit: str = "",
    whole: bool = True,
    top: float | None = None,
    width: float = WIDTH,
) -> Chart:
    """Stacked bars, one per category; ``top`` fixes the axis (100 for percentages)."""
    totals = [sum(s.values[n] or 0 for s in series) for n in range(len(categories))]
    axis, step = axis_top(top or max(totals, default=0), whole)
    band = _band(len(categories), width)
    thick = max(1.0, round(band * 0.72, 2))
    bars = []
    for n, category in enumerate(categories):
        base = 0.0
        for s in series:
            value = s.values[n] or 0
            if value <= 0:
                continue
            y_top, y_base = _y(base + value, axis), _y(base, axis)
            x = round(LEFT + band * n + (band - thick) / 2, 2)
            tip = f"{category}: {number(value, unit)} {s.name}".rstrip()
            bars.append(Bar(x, y_top, thick, round(y_base - y_top, 2), s.key, tip))
            base += value
    return Chart(
        title, x_label, y_label, tuple(series), _y_ticks(axis, step, unit),
        _x_ticks(categories, width, from_first=False), bars=tuple(bars), empty=not bars,
        width=width,
    )  # fmt: skip


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    whole: bool = False,
    cap: float | None = None,
    width: float = WIDTH,
    hours: bool = False,
    now: Now | None = None,
) -> Chart:
    """Lines with a dot per value, broken where a value is missing; an optional target line.

    Values over ``cap`` are drawn on the top edge with a distinct dot (their
    tip and the table give the value), so one outlier cannot flatten the rest.
    ``now`` is the first series' current value, joined to its last sample.
    """
    values = [v for s in series for v in s.values if v is not None]
    # leave headroom over the target so its line and label sit inside the plot
    largest = max([*values, (target or 0) * 1.25, now.value if now else 0], default=0)
    axis, step = axis_top(min(largest, cap) if cap else largest, whole)
    band = _band(len(categories), width)
    lines, dots = [], []
    last = ""  # the first series' last point, where the "now" point joins it
    for s in series:
        run: list[str] = []
        for n, value in enumerate(s.values):
            if value is None:
                lines.extend([Polyline(s.key, " ".join(run))] if len(run) > 1 else [])
                run = []
                continue
            x, y = round(LEFT + band * (n + 0.5), 2), _y(min(value, axis), axis)
            run.append(f"{x},{y}")
            last = run[-1] if s is series[0] else last
            tip = f"{categories[n]}: {number(value, unit)} {s.name}"
            dots.append(Dot(x, y, s.key, tip, over=value > axis))
        lines.extend([Polyline(s.key, " ".join(run))] if len(run) > 1 else [])
    mark = _now_mark(now, series[0], band, axis, width, unit) if now and series else None
    if mark is not None and last:
        lines.append(Polyline(series[0].key, f"{last} {mark.x},{mark.y}"))
    line = Target(_y(target, axis), target_label) if target is not None else None
    return Chart(
        title, x_label, y_label, tuple(series), _y_ticks(axis, step, unit),
        _x_ticks(categories, width, from_first=hours), lines=tuple(lines), dots=tuple(dots),
        target=line, now=mark, empty=not dots and mark is None, width=width,
    )  # fmt: skip


def _now_mark(now: Now, series: Series, band: float, axis: float, width: float,
              unit: str) -> NowMark:  # fmt: skip
    """The label sits beside the rule, after it (before it near the right edge), and at the
    top of the plot or, when the point is up there, at the bottom: never on the line."""
    x, y = round(LEFT + band * (now.at + 0.5), 2), _y(min(now.value, axis), axis)
    tip = f"{now.label}: {number(now.value, unit)} {series.name}"
    late = x > width - RIGHT - 90
    label_y = TOP + 12 if y > (TOP + HEIGHT - BOTTOM) / 2 else HEIGHT - BOTTOM - 8
    return NowMark(x, y, now.label, tip, x - 5 if late else x + 5, label_y,
                   "end" if late else "start")  # fmt: skip
