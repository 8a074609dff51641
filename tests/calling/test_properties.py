"""Properties over random ZIPs, instants, chosen windows and earlier attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.calling import check, locate, next_allowed, window_on
from intake.calling.places import zone
from intake.matching import geo

# Rows with their own rules, every kind of zone, and ZIPs with no usable zone.
_SPECIAL = (
    "33101 32501 73102 21201 98101 06103 77030 79901 70112 35203 39201 84101 02903 19104 "
    "40202 02115 48201 55905 87102 89101 85004 86044 96813 99501 99634 00901 00802 96910 "
    "96799 96950 34001 10001"
)
ZIPS = st.one_of(st.sampled_from(geo.all_zips()), st.sampled_from(_SPECIAL.split()))
# Daylight-saving changes in 2025-2027, so transition days come up often, not by luck.
TRANSITIONS = [datetime(2025, 3, 9), datetime(2025, 11, 2), datetime(2026, 3, 8),
               datetime(2026, 11, 1), datetime(2027, 3, 14), datetime(2027, 11, 7)]  # fmt: skip
INSTANTS = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda day, offset: (day + offset).replace(tzinfo=UTC),
        st.sampled_from(TRANSITIONS),
        st.timedeltas(timedelta(0), timedelta(hours=48)),
    ),
)
CHOSEN = st.sampled_from([None, "asap", "morning", "afternoon", "evening"])
AGES = st.lists(st.timedeltas(timedelta(0), timedelta(hours=36)), max_size=6)
SETTINGS = settings(max_examples=200, deadline=None, database=None, print_blob=True)


def _ceil_minute(t: datetime) -> datetime:
    floor = t.replace(second=0, microsecond=0)
    return floor if floor == t else floor + timedelta(minutes=1)


@SETTINGS
@given(ZIPS, INSTANTS, CHOSEN, AGES)
def test_next_allowed_is_an_allowed_minute_no_earlier_than_asked(zip_code, at, chosen, ages):
    place = locate(zip_code)
    assert place is not None
    attempts = [at - age for age in ages]
    result = next_allowed(place, at, chosen, attempts)
    assert result >= at and result.tzinfo is UTC and result.second == result.microsecond == 0
    assert check(place, result, chosen, attempts).allowed
    local = result.astimezone(zone(place.timezone) or UTC)
    window = window_on(place, local.date(), chosen)
    assert window is not None and window[0] <= local.time() < window[1]
    # The minute before was not allowed (unless it is before the request itself).
    before = result - timedelta(minutes=1)
    if before >= _ceil_minute(at):
        assert not check(place, before, chosen, attempts).allowed


@SETTINGS
@given(ZIPS, INSTANTS, CHOSEN, AGES)
def test_an_allowed_instant_is_the_next_allowed_minute(zip_code, at, chosen, ages):
    place = locate(zip_code)
    assert place is not None
    attempts = [at - age for age in ages]
    decision = check(place, at, chosen, attempts)
    if decision.allowed:
        assert next_allowed(place, at, chosen, attempts) == _ceil_minute(at)
        assert decision.next_allowed_at == decision.local_time and decision.reason == ""
    else:
        assert decision.next_allowed_at > decision.local_time and decision.reason
        assert decision.next_allowed_at == next_allowed(place, at, chosen, attempts)
