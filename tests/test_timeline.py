"""The grid and the wall-clock calendars: rounding, shifts across midnight, holidays, DST."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from helpers import scenario, site
from suitesched.timeline import Timeline

AMS = ZoneInfo("Europe/Amsterdam")


def _timeline(**changes: object) -> Timeline:
    return Timeline.of(scenario(site(**changes), []))


def test_rounding_onto_the_grid() -> None:
    tl = _timeline()
    moment = datetime(2026, 12, 7, 9, 7, tzinfo=AMS)
    assert tl.tick_floor(moment) == 36  # 09:00
    assert tl.tick_ceil(moment) == 37  # 09:15
    assert tl.ticks_ceil(50) == 4 and tl.ticks_floor(50) == 3
    assert tl.moment(37) == datetime(2026, 12, 7, 9, 15, tzinfo=AMS)


def test_night_shift_crosses_midnight_and_holidays_cut_it() -> None:
    tl = _timeline(shifts={"day": {"start": "07:00", "end": "15:30"},
                           "night": {"start": "22:00", "end": "06:00", "days": ["mon"]}},
                   holidays=["2026-12-08"])
    spans = tl.shift_spans(tl.scenario.shifts["night"])
    first = spans[0]
    # Monday 22:00 until midnight: Tuesday the 8th is a holiday.
    assert tl.moment(first[0]) == datetime(2026, 12, 7, 22, 0, tzinfo=AMS)
    assert tl.moment(first[1]) == datetime(2026, 12, 8, 0, 0, tzinfo=AMS)


def test_shifts_keep_wall_clock_across_daylight_saving() -> None:
    tl = _timeline(horizon={"start": "2027-03-22T00:00", "days": 14},
                   shifts={"day": {"start": "07:00", "end": "15:30"}})
    spans = tl.shift_spans(tl.scenario.shifts["day"])
    friday = next(s for s in spans if tl.moment(s[0]).day == 26)
    monday = next(s for s in spans if tl.moment(s[0]).day == 29)
    assert tl.moment(friday[0]).hour == tl.moment(monday[0]).hour == 7
    # Friday 07:00 to Monday 07:00 is 71 real hours (the clocks went forward on Sunday).
    assert (monday[0] - friday[0]) * 15 == 71 * 60


def test_start_windows_as_tick_spans() -> None:
    tl = _timeline()
    from suitesched.model.scenario import StartWindow

    spans = tl.start_window_spans([StartWindow(days=("tue",), **{"from": "08:00"}, to="09:00")])
    assert tl.moment(spans[0][0]) == datetime(2026, 12, 8, 8, 0, tzinfo=AMS)
    assert spans[0][1] - spans[0][0] == 5  # 08:00, 08:15, 08:30, 08:45, 09:00
