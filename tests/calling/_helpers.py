"""Builders for the calling tests: local wall-clock instants at real ZIPs (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from intake.calling import Place, check, locate, next_allowed
from intake.calling.places import zone


def place(zip_code: str) -> Place:
    """The place of a ZIP the test relies on existing."""
    found = locate(zip_code)
    assert found is not None, zip_code
    return found


def local(where: str | Place, wall: str) -> datetime:
    """'2026-03-10 08:00' as an aware instant in the place's zone (UTC when it has none)."""
    spot = place(where) if isinstance(where, str) else where
    return datetime.fromisoformat(wall).replace(tzinfo=zone(spot.timezone) or UTC)


def utc(wall: str) -> datetime:
    """'2026-03-10 18:00' in UTC."""
    return datetime.fromisoformat(wall).replace(tzinfo=UTC)


def allowed(
    where: str | Place,
    wall: str,
    chosen: str | None = None,
    attempts: Sequence[datetime] = (),
) -> bool:
    """Whether a call may start at a local wall-clock time at a ZIP (or place)."""
    spot = place(where) if isinstance(where, str) else where
    return check(spot, local(spot, wall), chosen, attempts).allowed


def next_local(
    where: str | Place,
    wall: str,
    chosen: str | None = None,
    attempts: Sequence[datetime] = (),
) -> str:
    """next_allowed from a local wall-clock time, back as local 'YYYY-MM-DD HH:MM'."""
    spot = place(where) if isinstance(where, str) else where
    result = next_allowed(spot, local(spot, wall), chosen, attempts)
    return result.astimezone(zone(spot.timezone) or UTC).strftime("%Y-%m-%d %H:%M")


def hours_ago(at: datetime, *hours: float) -> list[datetime]:
    """Attempts the given numbers of hours before an instant."""
    return [at - timedelta(hours=h) for h in hours]
