"""Parsing of durations, times of day, datetimes and time zones (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from suitesched.model.values import (
    elapsed_hours,
    parse_duration,
    parse_time_of_day,
    parse_timezone,
    to_site_datetime,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(("text", "minutes"), [
    ("30m", 30), ("4h", 240), ("7d", 7 * 1440), ("1d12h", 2160), (90, 90), (" 90 ", 90),
    ("2h30m", 150), ("0m", 0),
])
def test_durations(text: object, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["3x", "-5", "1.5h", True, "", "h", None, "400d"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_times_of_day() -> None:
    assert parse_time_of_day("07:00") == time(7, 0)
    assert parse_time_of_day(870) == time(14, 30)  # YAML 1.1 reads 14:30 as base-60 870
    assert parse_time_of_day("24:00") == time.max
    with pytest.raises(ValueError):
        parse_time_of_day("25:00")


def test_datetimes_naive_are_site_local_and_offsets_are_kept() -> None:
    naive = to_site_datetime("2026-12-08T09:00", AMS, date_means_end_of_day=False)
    assert naive.utcoffset() == timedelta(hours=1)
    offset = to_site_datetime("2026-12-08T09:00+00:00", AMS, date_means_end_of_day=False)
    assert offset.utcoffset() == timedelta(0)
    assert elapsed_hours(naive, offset) == 1.0


def test_a_bare_date_is_the_start_or_the_end_of_the_day() -> None:
    start = to_site_datetime("2026-12-08", AMS, date_means_end_of_day=False)
    end = to_site_datetime(date(2026, 12, 8), AMS, date_means_end_of_day=True)
    assert start == datetime(2026, 12, 8, tzinfo=AMS)
    assert end == datetime(2026, 12, 9, tzinfo=AMS)


def test_elapsed_time_across_daylight_saving() -> None:
    before = datetime(2027, 3, 27, 12, tzinfo=AMS)
    after = datetime(2027, 3, 28, 12, tzinfo=AMS)
    assert elapsed_hours(before, after) == 23.0  # the clocks went forward
    assert elapsed_hours(before.astimezone(UTC), after) == 23.0


def test_time_zones() -> None:
    assert parse_timezone("Europe/Amsterdam").key == "Europe/Amsterdam"
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_timezone("Mars/Olympus")
