"""Template filters staff pages share: times in the team's zone, masked addresses."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def staff_time(value: datetime | None) -> str:
    """'Nov 29, 2:14 PM EST' in the team's time zone (``STAFF_TIMEZONE``)."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config.get("STAFF_TIMEZONE", "America/New_York"))
    local = value.astimezone(zone)
    return local.strftime("%b %-d, %-I:%M %p %Z")


def staff_epoch(seconds: float) -> str:
    """``staff_time`` for a Unix time."""
    return staff_time(datetime.fromtimestamp(seconds, UTC))


def mask_email(address: str | None) -> str:
    """'m•••@example.com': enough to tell two people apart on a list, no more."""
    if not address or "@" not in address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(staff_time)
    app.add_template_filter(staff_epoch)
    app.add_template_filter(mask_email)
