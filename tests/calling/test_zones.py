"""Time zones: daylight saving days, Arizona and the Navajo Nation, territories, unknown zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.calling import Place, check, locate, next_allowed, place_for, window_on
from intake.calling.hours import _interval
from intake.calling.rules import UNKNOWN_ZONE_BOUNDS, UNKNOWN_ZONE_UTC

from ._helpers import allowed, next_local, place, utc

NEW_YORK = ZoneInfo("America/New_York")


def test_spring_forward_day_in_new_york():
    # 2026-03-08: 2:00 EST jumps to 3:00 EDT, so 8:00 is 12:00 UTC, not 13:00.
    ny = place("10001")
    assert not check(ny, utc("2026-03-08 11:59")).allowed
    assert check(ny, utc("2026-03-08 12:00")).allowed
    night = utc("2026-03-08 06:30")  # 1:30 AM EST, before the jump
    assert next_allowed(ny, night) == utc("2026-03-08 12:00")
    assert next_local(ny, "2026-03-07 21:00") == "2026-03-08 08:00"
    assert check(ny, utc("2026-03-09 00:59")).allowed  # 20:59 EDT
    assert not check(ny, utc("2026-03-09 01:00")).allowed  # 21:00 EDT


def test_fall_back_day_in_new_york():
    # 2026-11-01: 2:00 EDT falls back to 1:00 EST, so 8:00 is 13:00 UTC.
    ny = place("10001")
    assert not check(ny, utc("2026-11-01 12:30")).allowed  # 7:30 EST (8:30 by yesterday's clock)
    assert next_allowed(ny, utc("2026-11-01 05:30")) == utc("2026-11-01 13:00")
    assert check(ny, utc("2026-11-02 01:59")).allowed  # 20:59 EST
    assert not check(ny, utc("2026-11-02 02:00")).allowed
    assert check(ny, utc("2026-11-01 13:00")).local_time.utcoffset() == timedelta(hours=-5)


def test_phoenix_keeps_its_clock_when_new_york_changes():
    phoenix = place("85004")
    assert phoenix.timezone == "America/Phoenix"
    for day in ("2026-03-07", "2026-03-08", "2026-03-09"):
        assert next_allowed(phoenix, utc(f"{day} 09:00")) == utc(f"{day} 15:00")  # 8:00 MST
    assert next_allowed(place("10001"), utc("2026-03-07 09:00")) == utc("2026-03-07 13:00")
    assert next_allowed(place("10001"), utc("2026-03-09 09:00")) == utc("2026-03-09 12:00")


def test_navajo_nation_zip_keeps_daylight_saving_unlike_the_rest_of_arizona():
    tonalea, phoenix = place("86044"), place("85004")
    assert (tonalea.state, tonalea.timezone) == ("AZ", "America/Denver")
    summer = utc("2026-07-01 14:30")  # 8:30 MDT in Tonalea, 7:30 MST in Phoenix
    assert check(tonalea, summer).allowed and not check(phoenix, summer).allowed
    winter = utc("2026-01-06 14:30")  # 7:30 in both
    assert not check(tonalea, winter).allowed and not check(phoenix, winter).allowed


def test_a_window_never_grows_across_a_transition():
    # A window inside the spring gap starts when the wall clock really reaches it.
    spring = _interval(date(2026, 3, 8), (time(2, 30), time(4)), NEW_YORK)
    assert spring == (utc("2026-03-08 07:30"), utc("2026-03-08 08:00"))
    # In the repeated hour a window starts at the second 1:30 and ends at the first.
    fall = _interval(date(2026, 11, 1), (time(1, 30), time(3)), NEW_YORK)
    assert fall == (utc("2026-11-01 06:30"), utc("2026-11-01 08:00"))
    assert _interval(date(2026, 11, 1), (time(1, 0), time(1, 30)), NEW_YORK) is None


def test_hawaii_alaska_puerto_rico_and_the_virgin_islands():
    assert place("96813").timezone == "Pacific/Honolulu"
    assert not allowed("96813", "2026-07-01 07:59") and allowed("96813", "2026-07-01 08:00")
    assert check(place("96813"), utc("2026-07-01 18:00")).allowed  # 8:00 HST, no DST
    assert check(place("99501"), utc("2026-07-01 16:00")).allowed  # 8:00 AKDT
    assert not check(place("99501"), utc("2026-07-01 15:59")).allowed
    assert place("00901").timezone == "America/Puerto_Rico"
    assert check(place("00901"), utc("2026-01-06 12:00")).allowed  # 8:00 AST all year
    assert not check(place("00901"), utc("2026-07-02 01:00")).allowed  # 21:00 AST
    assert place("00802").timezone == "America/St_Thomas"
    assert allowed("00802", "2026-07-01 20:59") and not allowed("00802", "2026-07-01 21:00")


def test_guam_is_a_day_ahead_and_callable_while_the_mainland_sleeps():
    guam = place("96910")
    at = utc("2026-06-10 04:00")  # 14:00 Wednesday in Guam; midnight in New York
    decision = check(guam, at)
    assert decision.allowed and decision.rule == "federal"
    assert decision.local_time.date() == date(2026, 6, 10)
    assert decision.local_time.utcoffset() == timedelta(hours=10)
    assert not check(place("10001"), at).allowed and not check(place("90001"), at).allowed
    assert next_allowed(guam, utc("2026-06-10 11:00")) == utc("2026-06-10 22:00")  # 8:00 Thu
    assert allowed("96799", "2026-06-10 08:00")  # American Samoa
    assert allowed("96950", "2026-06-10 20:59") and not allowed("96950", "2026-06-10 21:00")


def test_unknown_zone_window_is_8am_hawaii_to_8pm_puerto_rico():
    (hawaii, first), (puerto_rico, last) = UNKNOWN_ZONE_BOUNDS
    start = datetime.combine(date(2026, 7, 1), first, tzinfo=ZoneInfo(hawaii)).astimezone(UTC)
    end = datetime.combine(date(2026, 7, 1), last, tzinfo=ZoneInfo(puerto_rico)).astimezone(UTC)
    assert start.time() == UNKNOWN_ZONE_UTC[0] == time(18)
    assert end.time() == time(0)  # midnight UTC: the window stops at 23:59, a minute short
    nowhere = place_for(None, None)
    decision = check(nowhere, utc("2026-07-01 17:59"))
    assert not decision.allowed and decision.rule == "unknown_timezone"
    assert decision.local_time.tzinfo is UTC
    assert decision.window == (time(18), time(23, 59))
    assert decision.next_allowed_at == utc("2026-07-01 18:00")
    assert "Time zone unknown" in decision.reason
    assert check(nowhere, utc("2026-07-01 23:58")).allowed
    assert next_allowed(nowhere, utc("2026-07-01 23:59")) == utc("2026-07-02 18:00")
    # Without a zone "morning" cannot be placed; the all-zones window applies instead.
    assert check(nowhere, utc("2026-07-01 18:00"), "morning").allowed


def test_unknown_zone_with_a_known_state_keeps_the_state_rule():
    louisiana = place_for("LA", None)
    sunday = check(louisiana, utc("2026-03-08 20:00"))
    assert not sunday.allowed and sunday.rule == "unknown_timezone"
    assert sunday.reason == "Time zone unknown; in America/Chicago: Sunday: no calls in Louisiana"
    assert sunday.next_allowed_at == utc("2026-03-09 18:00")
    # Guam's own clock still holds: 18:00 UTC is 4:00 AM there.
    assert window_on(place_for("GU", None), date(2026, 3, 9)) == (time(22), time(23, 59))
    # Rhode Island ends at 18:00 Eastern, 22:00 UTC in winter.
    assert window_on(place_for("RI", None), date(2026, 3, 10)) == (time(18), time(22))


def test_locate_and_place_for():
    assert locate("10001") == Place("10001", "NY", "America/New_York")
    assert locate(" 10001-1234 ") == Place("10001", "NY", "America/New_York")
    assert locate("00000") is None and locate("1234") is None and locate("abcde") is None
    napakiak = locate("99634")  # zipcodes gives this ZIP the time zone 'Napakiak'
    assert napakiak == Place("99634", "AK", None)
    assert place_for("ak", "Napakiak") == Place(None, "AK", None)
    assert place_for(" fl ", "America/New_York", "33101") == Place(
        "33101", "FL", "America/New_York"
    )
    assert place_for("", "not/a zone") == Place(None, None, None)
    assert locate("34001") == Place("34001", "AA", None)  # military mail: no zone
