"""Template filters staff pages share: times in the team's zone, masked addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

# How staff pages name the team's zone; any other zone is named by its city and IANA name.
ZONE_NAMES = {
    "America/New_York": "Eastern Time (New York)",
    "America/Chicago": "Central Time (Chicago)",
    "America/Denver": "Mountain Time (Denver)",
    "America/Phoenix": "Mountain Standard Time (Phoenix, no daylight saving)",
    "America/Los_Angeles": "Pacific Time (Los Angeles)",
    "America/Anchorage": "Alaska Time (Anchorage)",
    "Pacific/Honolulu": "Hawaii Time (Honolulu)",
    "America/Puerto_Rico": "Atlantic Time (Puerto Rico)",
    "UTC": "UTC",
}
# strftime patterns: a moment on a page, one in a long list (with the year), a day
STYLES = {
    "short": "%b %-d, %-I:%M %p %Z",
    "full": "%b %-d, %Y, %-I:%M:%S %p %Z",
    "day": "%b %-d, %Y",
}


def staff_zone() -> ZoneInfo:
    """The team's zone (``STAFF_TIMEZONE``, checked when the settings were read)."""
    return ZoneInfo(current_app.config.get("STAFF_TIMEZONE") or "America/New_York")


def staff_zone_name() -> str:
    """'Eastern Time (New York)': the zone staff pages name beside their times."""
    key = staff_zone().key
    if key in ZONE_NAMES:
        return ZONE_NAMES[key]
    return f"{key.rsplit('/', 1)[-1].replace('_', ' ')} time ({key})"


def staff_time(value: datetime | None, style: str = "short") -> str:
    """'Nov 29, 2:14 PM EST' in the team's time zone (``STAFF_TIMEZONE``); styles in STYLES."""
    if value is None:
        return ""
    return value.astimezone(staff_zone()).strftime(STYLES[style])


def staff_epoch(seconds: float) -> str:
    """``staff_time`` for a Unix time."""
    return staff_time(datetime.fromtimestamp(seconds, UTC))


def mask_email(address: str | None) -> str:
    """'m•••@example.com': enough to tell two people apart on a list, no more."""
    if not address or "@" not in address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def local_clock(item: Any, moment: datetime | None = None) -> str:
    """A queue item's local time now (or at ``moment``): 'Mon 2:14 PM EST' in the patient's zone."""
    when = moment or datetime.now(UTC)
    try:
        zone = ZoneInfo(item.timezone) if item.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:  # said in the team's zone, and said to be ours
        return (
            when.astimezone(staff_zone()).strftime("%a %-I:%M %p %Z")
            + " (our time; their zone is unknown)"
        )
    return when.astimezone(zone).strftime("%a %-I:%M %p %Z")


def minutes(span: timedelta) -> str:
    """'4 min', '1 h 20 min', '2 days'."""
    total = max(int(span.total_seconds() // 60), 0)
    if total < 60:
        return f"{total} min"
    if total < 48 * 60:
        return f"{total // 60} h {total % 60} min"
    return f"{total // (24 * 60)} days"


def needs(item: Any) -> str:
    """The skills a call needs, in words: 'Spanish, VA benefits'."""
    from intake.matching.types import language_label

    parts = [language_label(item.language)] if item.language and item.language != "en" else []
    if item.needs_va:
        parts.append("VA benefits")
    return ", ".join(parts)


def language_name(code: str | None) -> str:
    """A lead's language as staff say it: 'Spanish', never 'es' ('' when none was given)."""
    from intake.matching.types import language_label

    return language_label(code) if code else ""


def skills(codes: list[str] | None) -> str:
    """A staff member's skill codes in words: 'Spanish, VA benefits'."""
    from intake import vocab

    return vocab.skill_words(codes)


def priority_words(item: Any) -> str:
    """A queue item's priority now, in words: 'waiting 12 min past target', 'due in 5 min'."""
    from intake.models.base import utcnow
    from intake.services.queue import queue

    return queue.priority_words(item, utcnow())


def format_phone(e164: str | None) -> str:
    """'+12125550143' as '(212) 555-0143'."""
    if not e164:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str | None) -> str:
    """'(•••) •••-0143': enough to spot a typo, not to read the number off a screen."""
    return f"(•••) •••-{e164[-4:]}" if e164 and len(e164) >= 4 else ""


def case_fact_words(facts: dict[str, Any]) -> str:
    """One form's word on the patient, as the lead page lists it: 'pleural, stage 4, veteran'."""
    from intake import vocab

    words = [vocab.label(vocab.RELATIONSHIPS, facts.get("relationship")) or ""]
    words.append(vocab.label(vocab.DIAGNOSIS_TYPES, facts.get("diagnosis_type")) or "")
    if facts.get("stage"):
        words.append(vocab.label(vocab.STAGES, facts["stage"]))
    if facts.get("cell_type"):
        words.append(f"cell type: {vocab.label(vocab.CELL_TYPES, facts['cell_type'])}")
    veteran = {True: "veteran", False: "not a veteran"}.get(facts.get("veteran"))  # type: ignore[arg-type]
    words.append(veteran or "")
    if facts.get("zip"):
        words.append(f"ZIP {facts['zip']} {facts.get('state') or ''}".strip())
    return ", ".join(word for word in words if word) or "nothing about the patient"


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    for function in (staff_time, staff_epoch, mask_email, local_clock, minutes, needs, skills,
                     language_name, priority_words, format_phone, mask_phone,
                     case_fact_words):  # fmt: skip
        app.add_template_filter(function)
    app.add_template_global(staff_zone_name)
