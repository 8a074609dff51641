"""describe(): the plain data the command line prints for a ZIP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.calling import UnknownZip, describe

from ._helpers import local

KEYS = ["zip", "state", "timezone", "local_time", "allowed", "window", "rule", "next_allowed_at"]


def test_an_allowed_instant():
    out = describe("33101", local("33101", "2026-03-10 10:15:42.5"))
    assert list(out) == KEYS
    assert out == {
        "zip": "33101",
        "state": "FL",
        "timezone": "America/New_York",
        "local_time": "2026-03-10T10:15:42-04:00",
        "allowed": True,
        "window": ["08:00", "20:00"],
        "rule": "FL",
        "next_allowed_at": "2026-03-10T10:15:42-04:00",
    }


def test_a_disallowed_instant_gives_the_next_one_with_the_local_offset():
    out = describe("70112", datetime(2026, 3, 8, 18, 0, tzinfo=UTC))  # Sunday noon in New Orleans
    assert out == {
        "zip": "70112",
        "state": "LA",
        "timezone": "America/Chicago",
        "local_time": "2026-03-08T13:00:00-05:00",
        "allowed": False,
        "window": None,
        "rule": "LA",
        "next_allowed_at": "2026-03-09T08:00:00-05:00",
    }
    night = describe("10001", local("10001", "2026-11-01 00:30"))  # before the fall-back hour
    assert night["local_time"] == "2026-11-01T00:30:00-04:00"
    assert night["next_allowed_at"] == "2026-11-01T08:00:00-05:00"
    assert night["rule"] == "federal" and night["window"] == ["08:00", "21:00"]


def test_unknown_zone_zip_and_the_default_clock():
    out = describe("99634", datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert out["timezone"] is None and out["rule"] == "unknown_timezone"
    assert out["local_time"] == "2026-07-01T12:00:00+00:00"
    assert out["next_allowed_at"] == "2026-07-01T18:00:00+00:00"
    now = describe("10001")
    assert list(now) == KEYS and isinstance(now["allowed"], bool)
    stamp = datetime.fromisoformat(str(now["local_time"]))
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("bad", ["00000", "1234", "abcde", "", "100011", "99999"])
def test_unknown_or_malformed_zip_raises(bad):
    with pytest.raises(UnknownZip):
        describe(bad)
    assert issubclass(UnknownZip, ValueError)
