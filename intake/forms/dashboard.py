"""The dashboard's date range: a GET form (``?from=2026-11-23&to=2026-11-29``).

Both days are optional (the last week by default); what is typed is checked
here and every mistake is said at its field, so a hand-edited URL gives a
message, never an error page.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError

from intake.dashboard.figures import DEFAULT_DAYS, MAX_DAYS, DayRange
from intake.forms.fields import strip_filter

DATE_HINT = "Use a date like 2026-11-29."
EARLIEST = date(2000, 1, 1)


def _day(text: str | None) -> date | None:
    """A YYYY-MM-DD day; raises with the hint for anything else."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(DATE_HINT)
    if day < EARLIEST:  # also keeps far-off years from overflowing the UTC conversion
        raise ValidationError(f"Choose a day from {EARLIEST.year} onwards.")
    return day


class DashboardRangeForm(FlaskForm):
    """From and to days, inclusive, in the team's time zone."""

    class Meta:
        csrf = False  # it only chooses what to show; the URL should be shareable

    start = StringField("From", name="from", filters=[strip_filter])
    end = StringField("To", name="to", filters=[strip_filter])

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_start(self, field: StringField) -> None:
        """A real day, not in the future."""
        day = _day(field.data)
        if day and day > self.today:
            raise ValidationError("The start date is in the future.")

    def validate_end(self, field: StringField) -> None:
        """A real day, not before the start, and no more than ``MAX_DAYS`` after it."""
        day = _day(field.data)
        if day is None:
            return
        if day > self.today:
            raise ValidationError(f"Choose a day up to today ({self.today.isoformat()}).")
        try:
            start = _day(self.start.data)
        except ValidationError:
            return  # said at the start field already
        if start and day < start:
            raise ValidationError("The end date is before the start date.")
        if start and (day - start).days + 1 > MAX_DAYS:
            raise ValidationError(f"Choose at most {MAX_DAYS} days.")

    def to_range(self, zone: ZoneInfo) -> DayRange:
        """The days asked for, filling a missing end with today and a missing start with a week."""
        end = _day(self.end.data) if "end" not in self.errors else None
        start = _day(self.start.data) if "start" not in self.errors else None
        end = end or (
            min(self.today, start + timedelta(days=DEFAULT_DAYS - 1)) if start else self.today
        )
        if start is None or start > end or (end - start).days + 1 > MAX_DAYS:
            return DayRange.ending(end, DEFAULT_DAYS, zone)
        return DayRange(start, end, zone)

    def fill_in(self, days: DayRange) -> None:
        """Show the days in use in the fields left empty (nothing is changed next to an error)."""
        if not self.errors:
            self.start.data = self.start.data or days.first.isoformat()
            self.end.data = self.end.data or days.last.isoformat()
