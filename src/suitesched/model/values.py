"""Parsing of the scalar values the input formats use: durations, datetimes, times of day.

Every parser raises ``ValueError`` with a message a planner can act on; pydantic turns that
into a located problem. Durations are elapsed minutes (SPEC §2): a 48 h window is 48 real hours
even across a daylight-saving change.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ValidationInfo

from suitesched.model.limits import EARLIEST_YEAR, LATEST_YEAR, MAX_DURATION_MINUTES

Minutes = int
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# ASCII digits only; a space between a number and its unit ("2 h", "1d 12h") is accepted.
_DURATION_PART = re.compile(r"(\d+)\s*(d|h|m)", re.ASCII)
_DURATION_FULL = re.compile(r"^\s*(?:\d+\s*[dhm]\s*)+$", re.ASCII)
_MINUTES = re.compile(r"^\s*-?\d+\s*$", re.ASCII)
_UNITS = {"d": 24 * 60, "h": 60, "m": 1}


def parse_duration(value: Any) -> Minutes:
    """Read a duration: integer minutes, or a string like ``30m``, ``4h``, ``7d``, ``1d12h``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '30m', '4h' or '1d12h', got {value!r}")
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, float) and value.is_integer():
        minutes = int(value)
    elif isinstance(value, str) and _MINUTES.match(value) and len(value) < 40:
        minutes = int(value.strip())
    elif isinstance(value, str) and len(value) < 40 and _DURATION_FULL.match(value.lower()):
        minutes = sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(value.lower()))
    else:
        raise ValueError(
            f"could not read duration {value!r}: use integer minutes or a string like "
            "'30m', '4h', '7d', '1d12h'"
        )
    if minutes < 0:
        raise ValueError(f"duration {value!r} is negative")
    if minutes > MAX_DURATION_MINUTES:
        raise ValueError(f"duration {value!r} is longer than a year; check the unit")
    return minutes


def format_duration(minutes: Minutes) -> str:
    """Inverse of :func:`parse_duration` for messages: 2160 -> '1d12h'."""
    if minutes == 0:
        return "0m"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n)


def parse_time_of_day(value: Any) -> time:
    """Read a wall-clock time ``HH:MM``. ``24:00`` means the end of the day.

    An unquoted ``14:30`` in YAML 1.1 arrives as the integer 870 (base 60); it is read back.
    """
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        hours, minutes = divmod(value, 60)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,2}:\d{2}\s*", value, re.ASCII):
        hours, minutes = (int(x) for x in value.strip().split(":"))
    else:
        raise ValueError(f"could not read time of day {value!r}: use 'HH:MM', e.g. '07:00'")
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"time of day {value!r} is out of range (00:00 to 24:00)")
    return time(hours, minutes)


def minutes_of_day(t: time) -> int:
    """Minutes since midnight; ``time.max`` (24:00) gives 1440."""
    if t == time.max:
        return 24 * 60
    return t.hour * 60 + t.minute


def parse_timezone(value: Any) -> ZoneInfo:
    """Read an IANA time zone name such as ``Europe/Amsterdam``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"time zone must be an IANA name like 'Europe/Amsterdam', got {value!r}")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name like 'Europe/Amsterdam' or 'UTC'"
        ) from None


def _context_tz(info: ValidationInfo | None) -> ZoneInfo:
    ctx = info.context if info is not None and info.context else {}
    tz = ctx.get("tz") if isinstance(ctx, dict) else None
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach the site time zone to a naive wall-clock datetime."""
    return naive.replace(tzinfo=tz)


def to_site_datetime(value: Any, tz: ZoneInfo, *, date_means_end_of_day: bool) -> datetime:
    """Read an ISO 8601 datetime; naive means site-local; a bare date is its start or end."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return _date_moment(value, tz, date_means_end_of_day)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return _date_moment(date.fromisoformat(text), tz, date_means_end_of_day)
            except ValueError:
                raise ValueError(f"{value!r} is not a valid date (YYYY-MM-DD)") from None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"could not read datetime {value!r}: use ISO 8601, e.g. '2026-12-08T09:00' "
                "(site-local) or '2026-12-08T09:00+01:00'"
            ) from None
    else:
        raise ValueError(f"expected an ISO 8601 datetime, got {value!r}")
    _check_year(parsed, value)
    if parsed.tzinfo is None:
        return localize(parsed, tz)
    return parsed


def _check_year(moment: date, value: Any) -> None:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"{str(value)[:40]!r} is outside the years {EARLIEST_YEAR} to "
                         f"{LATEST_YEAR}; check the year")


def _date_moment(day: date, tz: ZoneInfo, end_of_day: bool) -> datetime:
    _check_year(day, day.isoformat())
    if end_of_day:
        day = day + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def parse_date(value: Any) -> date:
    """Read a calendar date ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        raise ValueError(f"expected a date without time, got {value!r}")
    if isinstance(value, date):
        _check_year(value, value.isoformat())
        return value
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            _check_year(day, value)
            return day
    raise ValueError(f"could not read date {value!r}: use YYYY-MM-DD")


def _site_datetime(value: Any, info: ValidationInfo) -> datetime:
    return to_site_datetime(value, _context_tz(info), date_means_end_of_day=False)


def _site_deadline(value: Any, info: ValidationInfo) -> datetime:
    return to_site_datetime(value, _context_tz(info), date_means_end_of_day=True)


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in WEEKDAYS:
        return text
    if text in _FULL_DAYS:
        return WEEKDAYS[_FULL_DAYS.index(text)]
    raise ValueError(f"unknown weekday {value!r}: use mon, tue, wed, thu, fri, sat, sun")


def elapsed_hours(start: datetime, end: datetime) -> float:
    """Real hours from ``start`` to ``end``. Python subtracts two datetimes of the *same*
    zone by wall clock (ignoring a DST switch), so both go to UTC first."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600.0


def ceil_div(a: int, b: int) -> int:
    """Integer ceiling division (for rounding onto the time grid)."""
    return -((-a) // b)


Duration = Annotated[Minutes, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[time, BeforeValidator(parse_time_of_day)]
SiteDateTime = Annotated[datetime, BeforeValidator(_site_datetime)]
"""A moment; a bare date means the start of that day."""
SiteDeadline = Annotated[datetime, BeforeValidator(_site_deadline)]
"""A moment; a bare date means the end of that day (SPEC §2: ``due``)."""
Day = Annotated[date, BeforeValidator(parse_date)]
WeekdayName = Annotated[Weekday, BeforeValidator(_weekday)]
