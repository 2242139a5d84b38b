"""Periods and dates: weeks or calendar months stepping from the calendar's start."""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from functools import cached_property

import numpy as np

from engine.scenario import Calendar, PeriodRef


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, the day of month clamped to the month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _cal.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


class PeriodCalendar:
    """The planning horizon: period ``t`` covers ``[starts[t], starts[t + 1])``.

    Months step from the original start each time (31 Jan, 28 Feb, 31 Mar), so
    they never drift.
    """

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self.num_periods = calendar.periods
        step = self._start_of
        self.starts: list[dt.date] = [step(t) for t in range(self.num_periods + 1)]

    def _start_of(self, t: int) -> dt.date:
        if self.calendar.period == "week":
            return self.calendar.start + dt.timedelta(days=7 * t)
        return add_months(self.calendar.start, t)

    @property
    def end(self) -> dt.date:
        """The day after the horizon."""
        return self.starts[-1]

    def first_day(self, t: int) -> dt.date:
        return self.starts[t]

    def last_day(self, t: int) -> dt.date:
        return self.starts[t + 1] - dt.timedelta(days=1)

    def period_of(self, day: dt.date) -> int:
        """The period holding ``day``; negative before the start, ``>= num_periods`` after."""
        if day < self.starts[0]:
            return -1
        if day >= self.end:
            return self.num_periods
        lo, hi = 0, self.num_periods
        while hi - lo > 1:  # binary search over period starts
            mid = (lo + hi) // 2
            if self.starts[mid] <= day:
                lo = mid
            else:
                hi = mid
        return lo

    def resolve(self, ref: PeriodRef) -> int:
        """A period number given as a number or as a date inside it."""
        if isinstance(ref, dt.date):
            return self.period_of(ref)
        return ref

    @cached_property
    def working_days(self) -> np.ndarray:
        """Monday-to-Friday days in each period."""
        return np.array(
            [self._working_days(self.starts[t], self.starts[t + 1]) for t in range(self.num_periods)]
        )

    @staticmethod
    def _working_days(first: dt.date, stop: dt.date) -> int:
        return int(np.busday_count(first, stop))

    def leave_days(self, first: dt.date, last: dt.date) -> np.ndarray:
        """Working days of the inclusive range ``first..last`` falling in each period (leave
        may run to 9999-12-31, "for good": it is clipped to the horizon first)."""
        days = np.zeros(self.num_periods)
        lo = max(first, self.starts[0])
        hi = self.end if last >= self.end else last + dt.timedelta(days=1)
        t = self.period_of(lo)
        while lo < hi and t < self.num_periods:
            stop = min(hi, self.starts[t + 1])
            days[t] += self._working_days(lo, stop)
            lo, t = stop, t + 1
        return days

    def financial_year(self, t: int) -> int:
        """The financial year (named by the calendar year it starts in) holding period t."""
        month, day = (int(x) for x in self.calendar.year_start.split("-"))
        first = self.starts[t]
        return first.year if (first.month, first.day) >= (month, day) else first.year - 1
