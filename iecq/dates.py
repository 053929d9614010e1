"""Calendar arithmetic for deadlines: dates, not datetimes, correct on 29 February."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that day does not exist (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """Anniversary `years` later; 29 February falls back to 28 February in common years."""
    return add_months(day, 12 * years)
