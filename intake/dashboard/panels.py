"""The dashboard's figures as plain values, and each panel's chart and table built from them.

``services/ops/dashboard.py`` fills ``Figures`` from the database; everything
here is pure, so what an admin reads (the chart and the table under it) is
tested without one.  Only counts: nothing on the dashboard names a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from intake.dashboard import charts, figures
from intake.dashboard.figures import DayRange, DelayDay, rate

MAX_DAYS = figures.MAX_DAYS  # for the page's "up to 92 days" hint

FORMS = (("guide", "Guide requests"), ("callback", "Callback requests"))
EMAIL_STATES = (("sent", "Sent"), ("failed", "Failed"), ("suppressed", "Suppressed"))
# one wait past an hour (a request made at night) would flatten every other day's line
DELAY_CAP_MINUTES = 60.0
QUEUE_STATES = (
    ("queued", "Waiting for a first call"),
    ("retry_scheduled", "Waiting for a retry"),
    ("claimed", "Being called now"),
)


@dataclass(frozen=True)
class ContactDay:
    """Callback requests of one day: how many were called, and how many reached the person."""

    day: date
    requests: int
    called: int
    spoke: int

    @property
    def rate(self) -> float | None:
        """Spoke with the person, as a percentage of the requests called at least once."""
        return rate(self.spoke, self.called)


@dataclass(frozen=True)
class PartnerLeads:
    """Leads sent to us by partners, per partner and day; ``sources`` empty until an API exists."""

    sources: tuple[str, ...] = ()
    by_partner: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """Every number on the dashboard for one range of days (lists run one entry per day)."""

    days: DayRange
    now: datetime
    requests: dict[str, list[int]]
    delays: list[DelayDay]
    target_minutes: float
    contact: list[ContactDay]
    queue_now: dict[str, int]
    late_now: int
    depth_day: date
    depth_hours: list[datetime]  # local hours of ``depth_day`` up to now
    depth: list[int]
    emails: dict[str, list[int]]
    breaches: list[int]
    partners: PartnerLeads
    listings: dict[str, int]
    depth_now: int | None = None  # open items now, when ``depth_day`` is today

    @property
    def depth_now_label(self) -> str:
        """'now, 08:43' in the days' zone: the chart's last point, named with its time."""
        return f"now, {self.now.astimezone(self.days.zone):%H:%M}"

    @property
    def contact_total(self) -> ContactDay:
        """The whole range's callback requests in one row."""
        return ContactDay(
            self.days.last,
            sum(d.requests for d in self.contact),
            sum(d.called for d in self.contact),
            sum(d.spoke for d in self.contact),
        )

    @property
    def waiting_calls(self) -> int:
        """Calls made across the range (the delay figures' base)."""
        return sum(d.calls for d in self.delays)


def day_label(day: date) -> str:
    """'Nov 29': short enough for an axis, unambiguous within a quarter."""
    return f"{day:%b} {day.day}"


def both(panel: Callable[[Figures, float], charts.Chart], f: Figures) -> list[charts.Chart]:
    """A panel's chart drawn wide (screens) and narrow (phones); the page shows one."""
    return [panel(f, charts.WIDTH), panel(f, charts.NARROW)]


def requests_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """Public forms received per day, stacked by form."""
    series = [charts.Series(key, name, tuple(f.requests.get(key, []))) for key, name in FORMS]
    return charts.bar_chart(
        "Requests per day, by form", _labels(f), series, "Day received", "Requests", width=width
    )


def delay_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """Median and 90th percentile minutes to a first call, against the target."""
    series = [
        charts.Series("median", "median", tuple(d.median for d in f.delays)),
        charts.Series("p90", "90th percentile", tuple(d.p90 for d in f.delays)),
    ]
    return charts.line_chart(
        "Minutes to first call", _labels(f), series, "Day requested", "Minutes",
        target=f.target_minutes, target_label=f"Target {charts.number(f.target_minutes)} min",
        cap=DELAY_CAP_MINUTES, width=width,
    )  # fmt: skip


def contact_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """The share of called requests where we spoke with the person, per request day."""
    series = [charts.Series("contact", "contact rate", tuple(d.rate for d in f.contact))]
    return charts.bar_chart(
        "Contact rate per day", _labels(f), series, "Day requested", "Spoke with the person",
        unit="%", top=100, width=width,
    )  # fmt: skip


def depth_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """Open queue items at the top of each hour of the last day."""
    labels = [f"{hour:%H}" for hour in f.depth_hours]
    if len(labels) < 24:  # today: the hours still to come are drawn empty, not as zero
        labels += [f"{n:02d}" for n in range(len(labels), 24)]
    values = tuple([*map(float, f.depth), *[None] * (len(labels) - len(f.depth))])
    series = [charts.Series("depth", "open items", values)]
    now = None
    if f.depth_now is not None and f.depth_hours:  # between the last hour sampled and the next
        past = (f.now - f.depth_hours[-1]).total_seconds() / 3600
        now = charts.Now(len(f.depth_hours) - 1 + min(past, 0.99), f.depth_now, f.depth_now_label)
    return charts.line_chart(
        f"Queue depth through {day_label(f.depth_day)}", labels, series, "Hour of the day",
        "Open items", whole=True, width=width, hours=True, now=now,
    )  # fmt: skip


def email_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """Emails per day by how they ended: sent, failed, suppressed."""
    series = [charts.Series(k, n.lower(), tuple(f.emails.get(k, []))) for k, n in EMAIL_STATES]
    return charts.bar_chart("Emails per day", _labels(f), series, "Day owed", "Emails", width=width)


def breach_chart(f: Figures, width: float = charts.WIDTH) -> charts.Chart:
    """First calls that passed the speed-to-lead target, per day they passed it."""
    series = [charts.Series("breach", "late first calls", tuple(map(float, f.breaches)))]
    return charts.bar_chart(
        "SLA breaches per day", _labels(f), series, "Day of the breach", "Late first calls",
        width=width,
    )  # fmt: skip


def _labels(f: Figures) -> list[str]:
    return [day_label(day) for day in f.days.days()]


def shown(value: float | None, unit: str = "") -> str:
    """A table cell: the number, or a dash where there is none (no calls that day)."""
    return "–" if value is None else charts.number(value, unit)
