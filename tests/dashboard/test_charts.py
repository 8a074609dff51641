"""Chart geometry and day figures: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.dashboard import charts, figures
from intake.dashboard.charts import HEIGHT, WIDTH, Series, axis_top, bar_chart, line_chart
from intake.dashboard.figures import DayRange, delays_per_day, open_at, per_day, percentile

NY = ZoneInfo("America/New_York")
LEFT, TOP, RIGHT, BOTTOM = charts.LEFT, charts.TOP, WIDTH - charts.RIGHT, HEIGHT - charts.BOTTOM


@pytest.mark.parametrize(
    ("largest", "whole", "expected"),
    [
        (0, True, (4.0, 1.0)),  # nothing yet: a readable 0..4 frame
        (0, False, (1.0, 0.25)),
        (1, True, (1.0, 1.0)),
        (3, True, (3.0, 1.0)),
        (7, True, (8.0, 2.0)),
        (100, True, (100.0, 25.0)),
        (6.25, False, (8.0, 2.0)),
        (0.3, False, (0.3, 0.1)),
        (1234, True, (1500.0, 500.0)),
    ],
)
def test_axis_tops_are_round_and_counts_get_whole_steps(largest, whole, expected):
    assert axis_top(largest, whole) == pytest.approx(expected)


def test_bars_stack_inside_the_plot_with_values_to_scale():
    chart = bar_chart(
        "T", ["a", "b"], [Series("x", "x", (2, 0)), Series("y", "y", (2, 1))], "day", "n"
    )
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.y_ticks[0].at == BOTTOM and chart.y_ticks[-1].at == TOP
    first, second, third = chart.bars  # the zero is not drawn
    assert (first.key, second.key, third.key) == ("x", "y", "y")
    assert first.y + first.height == pytest.approx(BOTTOM)  # stacked from the axis
    assert second.y + second.height == pytest.approx(first.y)  # y sits on x
    assert second.y == pytest.approx(TOP)  # 4 of 4: the top of the plot
    assert third.height == pytest.approx((BOTTOM - TOP) / 4)
    assert first.x >= LEFT and third.x + third.width <= RIGHT
    assert first.tip == "a: 2 x" and not chart.empty


def test_empty_and_all_zero_charts_say_so_and_keep_their_frame():
    for values in ((), (0, 0, 0)):
        labels = ["d"] * len(values)
        chart = bar_chart("T", labels, [Series("x", "x", values)], "day", "n")
        assert chart.empty and chart.bars == ()
        assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    line = line_chart("T", ["a", "b"], [Series("m", "m", (None, None))], "day", "min")
    assert line.empty and line.lines == () and line.dots == ()


def test_one_point_is_a_dot_not_an_invisible_line():
    chart = line_chart("T", ["a"], [Series("m", "median", (3.0,))], "day", "min")
    assert chart.lines == ()
    (dot,) = chart.dots
    assert dot.x == pytest.approx((LEFT + RIGHT) / 2)
    assert TOP <= dot.y < BOTTOM and dot.tip == "a: 3 median"


def test_a_missing_value_breaks_the_line_and_the_target_stays_inside():
    values = (1.0, 2.0, None, 4.0, 5.0)
    chart = line_chart(
        "T", list("abcde"), [Series("m", "m", values)], "d", "min", target=5, target_label="5 min"
    )
    assert len(chart.lines) == 2 and len(chart.dots) == 4
    assert all(len(line.points.split()) == 2 for line in chart.lines)
    assert chart.target is not None and TOP < chart.target.y < BOTTOM
    assert chart.target.label == "5 min"
    assert chart.y_ticks[-1].label == "8"  # headroom above the target


def test_percentages_use_a_fixed_top():
    chart = bar_chart("T", ["a"], [Series("c", "c", (50.0,))], "d", "%", unit="%", top=100)
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert chart.bars[0].y == pytest.approx((TOP + BOTTOM) / 2)


def test_x_labels_thin_out_so_they_never_overlap():
    days = [f"Nov {n}" for n in range(1, 93)]
    chart = bar_chart("T", days, [Series("x", "x", tuple([1] * 92))], "day", "n")
    gaps = [b.at - a.at for a, b in zip(chart.x_ticks, chart.x_ticks[1:], strict=False)]
    assert min(gaps) >= charts.LABEL_ROOM
    assert chart.x_ticks[-1].label == "Nov 92"  # the latest day is always labelled
    week = bar_chart("T", days[:7], [Series("x", "x", tuple([1] * 7))], "day", "n")
    assert len(week.x_ticks) == 7


def test_numbers_drop_a_trailing_zero():
    assert charts.number(3.0) == "3"
    assert charts.number(2.46, " min") == "2.5 min"
    assert charts.number(50, "%") == "50%"


def test_days_are_the_teams_calendar_days():
    days = DayRange(date(2026, 3, 7), date(2026, 3, 9), NY)  # DST starts on Mar 8
    assert days.start() == datetime(2026, 3, 7, 5, tzinfo=UTC)
    assert days.end() == datetime(2026, 3, 10, 4, tzinfo=UTC)
    late_evening = datetime(2026, 3, 8, 3, 30, tzinfo=UTC)  # 10:30 PM on Mar 7 in New York
    assert per_day(days, [late_evening, days.end()]) == [1, 0, 0]
    assert len(figures.hours_of(date(2026, 3, 8), NY)) == 23


def test_percentiles_interpolate_like_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile(list(map(float, range(1, 11))), 0.9) == pytest.approx(9.1)


def test_delays_are_bucketed_by_request_day():
    days = DayRange(date(2026, 11, 23), date(2026, 11, 24), NY)
    at = datetime(2026, 11, 23, 15, tzinfo=UTC)
    pairs = [(at, at + timedelta(minutes=m)) for m in (2, 4, 12)]
    first, second = delays_per_day(days, pairs, 5.0)
    assert (first.calls, first.median, first.over_target) == (3, 4.0, 1)
    assert (second.calls, second.median, second.p90) == (0, None, None)


def test_open_at_counts_spans_open_at_each_moment():
    t0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
    hours = [t0, t0 + timedelta(hours=1), t0 + timedelta(hours=2)]
    spans = [(t0, None), (t0 + timedelta(minutes=30), t0 + timedelta(hours=2)), (t0, t0)]
    assert open_at(hours, spans) == [1, 2, 1]


def test_an_outlier_over_the_cap_sits_on_the_top_edge_and_keeps_its_value():
    values = (2.0, 2000.0, 4.0)
    chart = line_chart("T", list("abc"), [Series("p", "p90", values)], "d", "min", cap=60)
    assert chart.y_ticks[-1].label == "60"
    low, high, _ = chart.dots
    assert high.over and not low.over
    assert high.y == pytest.approx(TOP) and high.tip == "b: 2000 p90"


def test_the_narrow_drawing_fits_its_width_with_fewer_labels():
    days = [f"Nov {n}" for n in range(1, 15)]
    series = [Series("x", "x", tuple([1] * 14))]
    wide, narrow = (bar_chart("T", days, series, "d", "n", width=w) for w in (WIDTH, charts.NARROW))
    assert narrow.plot[2] == charts.NARROW - charts.RIGHT
    assert all(b.x + b.width <= narrow.plot[2] for b in narrow.bars)
    assert len(narrow.x_ticks) < len(wide.x_ticks)


def test_hours_are_labelled_from_midnight():
    hours = [f"{n:02d}" for n in range(24)]
    chart = line_chart("T", hours, [Series("d", "d", tuple([1.0] * 24))], "h", "n", hours=True)
    assert chart.x_ticks[0].label == "00" and chart.x_ticks[1].label == "03"


def test_a_now_point_joins_the_last_sample_and_its_label_keeps_off_the_line():
    hours = [f"{n:02d}" for n in range(24)]
    values = (0.0, 0.0, 0.0, *[None] * 21)
    high = line_chart("Depth", hours, [Series("depth", "open items", values)], "Hour", "Open",
                      whole=True, hours=True, now=charts.Now(2.7, 8, "now, 02:42"))  # fmt: skip
    mark = high.now
    assert mark is not None and mark.tip == "now, 02:42: 8 open items"
    assert mark.y == TOP  # the top of the axis (0..8)
    assert high.lines[-1].points == f"{high.dots[-1].x},{high.dots[-1].y} {mark.x},{mark.y}"
    assert mark.label_y > (TOP + BOTTOM) / 2 and mark.anchor == "start" and mark.label_x > mark.x
    low = line_chart("Depth", hours, [Series("depth", "open items", (4.0,) * 23 + (None,))],
                     "Hour", "Open", whole=True, hours=True,
                     now=charts.Now(22.9, 0, "now, 22:54"))  # fmt: skip
    assert low.now is not None and low.now.label_y < (TOP + BOTTOM) / 2
    assert low.now.anchor == "end" and low.now.label_x < low.now.x  # stays inside on the right
