"""Datetimes <-> grid ticks, and the wall-clock calendars (shifts, windows, holidays).

Tick 0 is the horizon's start; one tick is ``time_step`` minutes of *elapsed* time. Wall-clock
things (shift times, start windows, holidays) are placed with the site time zone, so a 07:00
shift stays at 07:00 across a daylight-saving change while a 48 h stability window stays 48 h.

Rounding onto the grid is always on the safe side: an operation's duration, a lag's ``min`` and
an arrival round up; a lag's ``max``, a stability window's end and a shift's end round down; a
down time or absence widens to whole ticks. A plan that respects the rounded model therefore
respects the exact rules too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from suitesched.model.scenario import Scenario, ShiftPattern, StartWindow, Window
from suitesched.model.values import WEEKDAYS, ceil_div, minutes_of_day

Tick = int
Span = tuple[Tick, Tick]
"""A half-open tick interval ``[start, end)``."""


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort and merge overlapping or touching spans; drop empty ones."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract_spans(base: Iterable[Span], cut: Iterable[Span]) -> list[Span]:
    """``base`` minus ``cut``, both as lists of spans."""
    cuts = merge_spans(cut)
    out: list[Span] = []
    for start, end in merge_spans(base):
        cursor = start
        for c_start, c_end in cuts:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                out.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def complement_spans(spans: Iterable[Span], start: Tick, end: Tick) -> list[Span]:
    """The gaps of ``spans`` inside ``[start, end)``."""
    return subtract_spans([(start, end)], spans)


@dataclass(frozen=True)
class Timeline:
    """The grid of one scenario: converts moments and builds calendars in ticks."""

    scenario: Scenario
    tail_days: int

    @classmethod
    def of(cls, scenario: Scenario) -> Timeline:
        """A timeline long enough to finish every order that starts inside the horizon."""
        longest = 0
        for process in scenario.processes:
            span = sum(s.duration + max((lag.min for lag in s.after), default=0)
                       for s in process.steps)
            qc = max((scenario.assays_by_id[q.assay].duration for q in process.qc
                      if q.assay in scenario.assays_by_id), default=0)
            qa = process.qa_review.duration if process.qa_review else 0
            longest = max(longest, span + qc + qa)
        tail_days = min(120, 14 + ceil_div(2 * longest, 24 * 60))
        return cls(scenario, tail_days)

    @property
    def step(self) -> int:
        return self.scenario.time_step

    @property
    def ticks_per_day(self) -> int:
        return 24 * 60 // self.step

    @cached_property
    def origin(self) -> datetime:
        return self.scenario.horizon.start.astimezone(UTC)

    @property
    def tz(self):
        return self.scenario.timezone

    # --- moments ------------------------------------------------------------------------
    def minutes_since_origin(self, moment: datetime) -> float:
        return (moment.astimezone(UTC) - self.origin).total_seconds() / 60.0

    def tick_floor(self, moment: datetime) -> Tick:
        return int(self.minutes_since_origin(moment) // self.step)

    def tick_ceil(self, moment: datetime) -> Tick:
        return -int(-self.minutes_since_origin(moment) // self.step)

    def moment(self, tick: Tick) -> datetime:
        """The site-local datetime of a tick (with its UTC offset)."""
        return (self.origin + timedelta(minutes=tick * self.step)).astimezone(self.tz)

    def ticks_ceil(self, minutes: int) -> int:
        """A duration in whole ticks, rounded up."""
        return ceil_div(minutes, self.step)

    def ticks_floor(self, minutes: int) -> int:
        return minutes // self.step

    @cached_property
    def horizon_end(self) -> Tick:
        return self.tick_floor(self.scenario.horizon.end)

    @cached_property
    def end(self) -> Tick:
        """The last tick anything may occupy: horizon end plus a tail to finish orders."""
        return self.horizon_end + self.ticks_floor(self.tail_days * 24 * 60)

    # --- wall clock ---------------------------------------------------------------------
    @cached_property
    def days(self) -> list[date]:
        """Local calendar days covering the whole timeline (one day of margin each side)."""
        first = self.moment(0).date() - timedelta(days=1)
        last = self.moment(self.end).date() + timedelta(days=1)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def wall(self, day: date, minute_of_day: int) -> datetime:
        """The moment of a wall-clock minute on a local day (24:00 = next midnight)."""
        base = datetime(day.year, day.month, day.day) + timedelta(minutes=minute_of_day)
        return base.replace(tzinfo=self.tz)

    @cached_property
    def holiday_spans(self) -> list[Span]:
        return merge_spans(
            (self.tick_floor(self.wall(d, 0)), self.tick_ceil(self.wall(d, 24 * 60)))
            for d in self.scenario.holidays
        )

    def shift_spans(self, pattern: ShiftPattern) -> list[Span]:
        """Working spans of a shift pattern, holidays removed, rounded inwards to the grid."""
        start_min = minutes_of_day(pattern.start)
        length = pattern.length_minutes
        spans = []
        for day in self.days:
            if WEEKDAYS[day.weekday()] not in pattern.days:
                continue
            # Both ends on the wall clock: a 07:00-15:30 shift stays so across DST.
            start = self.wall(day, start_min)
            end = self.wall(day, start_min + length)
            spans.append((self.tick_ceil(start), self.tick_floor(end)))
        spans = [(max(s, -1), min(e, self.end)) for s, e in spans if e > -1 and s < self.end]
        return subtract_spans(spans, self.holiday_spans)

    def window_span(self, window: Window) -> Span:
        """A down time or absence in ticks, widened to whole ticks."""
        return (self.tick_floor(window.start), self.tick_ceil(window.end))

    def start_window_spans(self, windows: Iterable[StartWindow]) -> list[Span]:
        """Allowed start ticks of start windows as half-open spans ``[from, to + 1)``."""
        spans = []
        for window in windows:
            for day in self.days:
                if WEEKDAYS[day.weekday()] not in window.days:
                    continue
                first = self.tick_ceil(self.wall(day, minutes_of_day(window.from_)))
                last = self.tick_floor(self.wall(day, minutes_of_day(window.to)))
                if last >= first:
                    spans.append((first, last + 1))
        return merge_spans((max(s, 0), min(e, self.end + 1)) for s, e in spans)
