"""Fixed-clock examples: hours by state and day, holidays, attempt caps and chosen windows."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest

from intake.calling import check, next_allowed, window_on

from ._helpers import allowed, hours_ago, local, next_local, place

# 2026-03-10 is a Tuesday, 03-14 a Saturday, 03-15 a Sunday; none is a holiday anywhere.
TUE, SAT, SUN = "2026-03-10", "2026-03-14", "2026-03-15"

# A ZIP per row of the table (and federal places), with (weekday, Saturday, Sunday) hours.
ROWS = {
    "10001": ((8, 21), (8, 21), (8, 21)),  # New York: federal
    "90001": ((8, 21), (8, 21), (8, 21)),  # Los Angeles: federal
    "20001": ((8, 21), (8, 21), (8, 21)),  # DC: federal
    "33101": ((8, 20), (8, 20), (8, 20)),  # FL
    "32501": ((8, 20), (8, 20), (8, 20)),  # FL panhandle, Central time
    "73102": ((8, 20), (8, 20), (8, 20)),  # OK
    "21201": ((8, 20), (8, 20), (8, 20)),  # MD
    "98101": ((8, 20), (8, 20), (8, 20)),  # WA
    "06103": ((9, 20), (9, 20), (9, 20)),  # CT
    "77030": ((9, 21), (9, 21), (12, 21)),  # TX: Sunday from noon
    "79901": ((9, 21), (9, 21), (12, 21)),  # TX, El Paso on Mountain time
    "70112": ((8, 20), (8, 20), None),  # LA
    "35203": ((8, 20), (8, 20), None),  # AL
    "39201": ((8, 20), (8, 20), None),  # MS
    "84101": ((8, 21), (8, 21), None),  # UT
    "02903": ((9, 18), (10, 17), None),  # RI
    "19104": ((8, 21), (8, 21), (8, 21)),  # PA
    "40202": ((10, 21), (10, 21), (10, 21)),  # KY
    "02115": ((8, 20), (8, 20), (8, 20)),  # MA
    "48201": ((9, 21), (9, 21), (9, 21)),  # MI
    "55905": ((9, 21), (9, 21), (9, 21)),  # MN
    "87102": ((9, 21), (9, 21), (9, 21)),  # NM
    "89101": ((9, 20), (9, 20), (9, 20)),  # NV
}


def _hhmm(hour: int, minutes: int = 0) -> str:
    total = hour * 60 + minutes
    return f"{total // 60:02d}:{total % 60:02d}"


@pytest.mark.parametrize("zip_code", sorted(ROWS))
@pytest.mark.parametrize("day_index", [0, 1, 2], ids=["weekday", "saturday", "sunday"])
def test_hours_by_state_and_day(zip_code, day_index):
    day = (TUE, SAT, SUN)[day_index]
    hours = ROWS[zip_code][day_index]
    spot = place(zip_code)
    if hours is None:
        assert window_on(spot, date.fromisoformat(day)) is None
        assert not allowed(spot, f"{day} 12:00")
        return
    start, end = hours
    assert window_on(spot, date.fromisoformat(day)) == (time(start), time(end))
    assert not allowed(spot, f"{day} {_hhmm(start, -1)}")
    assert allowed(spot, f"{day} {_hhmm(start)}")
    assert allowed(spot, f"{day} {_hhmm(end, -1)}")  # the end is exclusive: last call 1 min before
    assert not allowed(spot, f"{day} {_hhmm(end)}")


def test_a_night_request_waits_for_the_next_morning():
    assert next_local("10001", "2026-03-10 23:30") == "2026-03-11 08:00"
    assert next_local("10001", "2026-03-11 03:00") == "2026-03-11 08:00"
    decision = check(place("10001"), local("10001", "2026-03-10 23:30"))
    assert not decision.allowed and decision.rule == "federal"
    assert decision.next_allowed_at == local("10001", "2026-03-11 08:00")
    assert decision.reason == (
        "Too late: 11:30 PM local time; federal hours end at 9:00 PM (last call 8:59 PM)"
    )


def test_an_allowed_instant_is_its_own_next_allowed_and_seconds_round_up():
    at = local("10001", "2026-03-10 10:00")
    decision = check(place("10001"), at)
    assert decision.allowed and decision.reason == "" and decision.next_allowed_at == at
    assert decision.window == (time(8), time(21))
    mid_minute = at + timedelta(seconds=30)
    assert next_allowed(place("10001"), mid_minute) == (at + timedelta(minutes=1)).astimezone(UTC)
    # 20:59:30 is within the window but the next whole minute is not: too late already.
    assert not allowed("10001", "2026-03-10 20:59:30")
    assert next_local("10001", "2026-03-10 20:59:30") == "2026-03-11 08:00"
    assert not allowed("10001", "2026-03-10 07:59:30")


def test_texas_sunday_starts_at_noon():
    assert not allowed("77030", f"{SUN} 11:59")
    assert next_local("77030", f"{SUN} 09:30") == f"{SUN} 12:00"
    assert next_local("77030", f"{SAT} 21:00") == f"{SUN} 12:00"


@pytest.mark.parametrize(
    ("zip_code", "name"),
    [("70112", "Louisiana"), ("35203", "Alabama"), ("39201", "Mississippi"), ("84101", "Utah"),
     ("02903", "Rhode Island")],
)  # fmt: skip
def test_sunday_bans_move_to_monday(zip_code, name):
    decision = check(place(zip_code), local(zip_code, f"{SUN} 12:00"))
    assert not decision.allowed and decision.window is None
    assert decision.reason == f"Sunday: no calls in {name}"
    opens = "09:00" if zip_code == "02903" else "08:00"
    assert next_local(zip_code, f"{SUN} 12:00") == f"2026-03-16 {opens}"


@pytest.mark.parametrize(
    ("zip_code", "day", "next_open"),
    [
        ("70112", "2026-02-17", "2026-02-18 08:00"),  # LA Mardi Gras
        ("70112", "2026-12-25", "2026-12-26 08:00"),  # LA Christmas, then Saturday is open
        ("70112", "2026-01-08", "2026-01-09 08:00"),  # Battle of New Orleans (statute, added)
        ("35203", "2026-04-27", "2026-04-28 08:00"),  # AL Confederate Memorial Day
        ("35203", "2027-12-24", "2027-12-27 08:00"),  # AL Christmas (Sat) kept on Friday, no Sun
        ("35203", "2027-07-05", "2027-07-06 08:00"),  # AL Independence Day (Sun) kept on Monday
        ("84101", "2026-07-24", "2026-07-25 08:00"),  # UT Pioneer Day
        ("02903", "2026-08-10", "2026-08-11 09:00"),  # RI Victory Day (state)
        ("02903", "2026-02-16", "2026-02-17 09:00"),  # RI Presidents' Day (federal)
        ("02903", "2026-07-03", "2026-07-07 09:00"),  # RI: Fri federal, Sat, no Sun, Mon state
        ("19104", "2026-04-03", "2026-04-04 08:00"),  # PA Good Friday
        ("19104", "2026-11-26", "2026-11-28 08:00"),  # PA Thanksgiving and the day after
    ],
)
def test_holidays_close_the_day(zip_code, day, next_open):
    decision = check(place(zip_code), local(zip_code, f"{day} 12:00"))
    assert not decision.allowed and decision.window is None
    assert "no calls in" in decision.reason
    assert next_local(zip_code, f"{day} 12:00") == next_open


def test_holiday_reason_names_the_holiday_and_other_states_call_as_usual():
    decision = check(place("70112"), local("70112", "2026-12-25 10:00"))
    assert decision.reason == "Christmas Day: no calls in Louisiana"
    assert allowed("10001", "2026-12-25 10:00") and allowed("33101", "2026-12-25 10:00")


@pytest.mark.parametrize(("zip_code", "name"), [("33101", "Florida"), ("73102", "Oklahoma"),
                                                ("21201", "Maryland")])  # fmt: skip
def test_attempt_caps_block_the_fourth_call_until_the_oldest_ages_out(zip_code, name):
    spot = place(zip_code)
    at = local(spot, "2026-03-10 10:00")
    three = hours_ago(at, 20, 5, 1)  # the oldest was Monday 14:00
    decision = check(spot, at, recent_attempts=three)
    assert not decision.allowed and decision.rule == spot.state
    assert decision.reason == f"3 attempts in the last 24 hours ({name}'s cap)"
    assert decision.next_allowed_at == local(spot, "2026-03-10 14:00")
    assert check(spot, decision.next_allowed_at, recent_attempts=three).allowed
    assert check(spot, at, recent_attempts=three[1:]).allowed  # two do not block
    assert check(spot, at, recent_attempts=hours_ago(at, 24, 5, 1)).allowed  # 24 h ago: out


def test_a_cap_that_clears_after_hours_waits_for_the_morning():
    spot = place("33101")
    at = local(spot, "2026-03-10 19:00")
    # The oldest leaves the window at 19:59:30 Tuesday: that rounds to 20:00, Florida's end.
    attempts = [local(spot, "2026-03-09 19:59:30"), *hours_ago(at, 9, 2)]
    assert next_local(spot, "2026-03-10 19:00", attempts=attempts) == "2026-03-11 08:00"
    # Four in the window: two must age out, so it opens when the second oldest does.
    four = [local(spot, f"2026-03-09 19:{m}") for m in ("10", "20", "30")] + hours_ago(at, 7)
    assert next_local(spot, "2026-03-10 19:00", attempts=four) == "2026-03-10 19:20"


def test_states_without_a_cap_ignore_attempts():
    at = local("10001", "2026-03-10 10:00")
    assert check(place("10001"), at, recent_attempts=hours_ago(at, *range(1, 11))).allowed


@pytest.mark.parametrize(
    ("chosen", "open_at", "closed_at", "next_open"),
    [
        ("morning", "11:59", "12:00", "2026-03-11 08:00"),
        ("afternoon", "12:00", "11:59", "2026-03-10 12:00"),
        ("evening", "20:59", "16:59", "2026-03-10 17:00"),
        ("asap", "08:00", "07:59", "2026-03-10 08:00"),
        (None, "20:59", "21:00", "2026-03-11 08:00"),
    ],
)
def test_chosen_windows_narrow_federal_hours(chosen, open_at, closed_at, next_open):
    assert allowed("10001", f"{TUE} {open_at}", chosen)
    assert not allowed("10001", f"{TUE} {closed_at}", chosen)
    assert next_local("10001", f"{TUE} {closed_at}", chosen) == next_open


def test_chosen_window_is_intersected_with_the_state_row():
    assert window_on(place("06103"), date(2026, 3, 10), "morning") == (time(9), time(12))
    assert window_on(place("02903"), date(2026, 3, 10), "evening") == (time(17), time(18))
    # Texas Sunday (noon on) leaves no morning: the next morning is Monday's.
    assert window_on(place("77030"), date(2026, 3, 15), "morning") is None
    assert next_local("77030", f"{SUN} 08:00", "morning") == "2026-03-16 09:00"


def test_an_empty_intersection_skips_the_day_rhode_island_saturday_evening():
    spot = place("02903")
    assert window_on(spot, date(2026, 3, 14), "evening") is None
    decision = check(spot, local(spot, f"{SAT} 18:00"), "evening")
    assert not decision.allowed and decision.window is None
    assert "miss the patient's evening window" in decision.reason
    assert next_local(spot, f"{SAT} 18:00", "evening") == "2026-03-16 17:00"  # Sunday barred too


def test_reasons_say_whose_hours_bind():
    spot = place("33101")
    early = check(spot, local(spot, f"{TUE} 07:15"))
    assert early.reason == "Too early: 7:15 AM local time; Florida's hours start at 8:00 AM"
    evening = check(spot, local(spot, f"{TUE} 10:00"), "evening")
    assert evening.reason.startswith("Too early: 10:00 AM local time; the patient's evening window")


def test_bad_input_is_refused():
    spot = place("10001")
    with pytest.raises(ValueError, match="chosen window"):
        check(spot, local(spot, f"{TUE} 10:00"), "lunchtime")
    with pytest.raises(ValueError, match="aware"):
        next_allowed(spot, local(spot, f"{TUE} 10:00").replace(tzinfo=None))
    with pytest.raises(ValueError, match="aware"):
        naive = local(spot, TUE).replace(tzinfo=None)
        check(spot, local(spot, f"{TUE} 10:00"), recent_attempts=[naive])


def test_a_rule_with_no_open_day_fails_loudly_instead_of_looping(monkeypatch):
    from intake.calling import RULES, NoCallingWindow, StateRule, place_for

    closed = StateRule("ZZ", None, None, None, "none", None, "test: never open")
    monkeypatch.setitem(RULES, "ZZ", closed)
    nowhere = place_for("ZZ", "America/New_York")
    with pytest.raises(NoCallingWindow, match="no calling window within 14 days"):
        next_allowed(nowhere, local(nowhere, f"{TUE} 10:00"))
