"""Relative time in what people say ("yesterday", "last month", "three weeks ago", "in May"), resolved
against the moment it was said, and turned into the plain dates a prompt can carry.

dateparser parses one date string well but is slow and unreliable at finding phrases inside a sentence
(its search_dates guesses at any number or month-like word), so the few phrase shapes that matter in
conversation are matched here, each with a test.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a few": 3,
            "couple of": 2, "few": 3}
_WEEKDAYS = [d.lower() for d in calendar.day_name]
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m and m.lower() != "may"}
_NUM = r"(\d+|a couple of|couple of|a few|few|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(day|week|month|year)s?"
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(" + "|".join(_WEEKDAYS) + r")"


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A stretch of calendar days [start, end) that a phrase refers to."""

    phrase: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def describe(self) -> str:
        if self.days == 1:
            return f"on {_fmt(self.start)}"
        last = self.end - timedelta(days=1)
        if self.start.day == 1 and self.end.day == 1 and self.days <= 31:
            return f"in {calendar.month_name[self.start.month]} {self.start.year}"
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year + 1, 1, 1):
            return f"in {self.start.year}"
        return f"between {_fmt(self.start)} and {_fmt(last)}"


_Handler = Callable[[re.Match[str], date, str], "TimeSpan"]


def _fmt(d: date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def _day(d: date, phrase: str) -> TimeSpan:
    return TimeSpan(phrase, d, d + timedelta(days=1))


def _month_span(year: int, month: int, phrase: str) -> TimeSpan:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return TimeSpan(phrase, start, end)


def _shift(d: date, unit: str, n: int) -> date:
    if unit == "day":
        return d + timedelta(days=n)
    if unit == "week":
        return d + timedelta(weeks=n)
    months = d.year * 12 + d.month - 1 + (n if unit == "month" else 12 * n)
    year, month = divmod(months, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _unit_span(anchor: date, unit: str, offset: int, phrase: str) -> TimeSpan:
    """The calendar week/month/year ``offset`` units from the one holding ``anchor``."""
    if unit == "week":
        monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=offset)
        return TimeSpan(phrase, monday, monday + timedelta(weeks=1))
    if unit == "month":
        shifted = _shift(anchor.replace(day=1), "month", offset)
        return _month_span(shifted.year, shifted.month, phrase)
    if unit == "weekend":
        saturday = anchor + timedelta(days=(5 - anchor.weekday()) % 7) + timedelta(weeks=offset)
        if offset < 0 and anchor.weekday() >= 5:
            saturday = anchor - timedelta(days=anchor.weekday() - 5) + timedelta(weeks=offset + 1)
        return TimeSpan(phrase, saturday, saturday + timedelta(days=2))
    year = anchor.year + offset
    return TimeSpan(phrase, date(year, 1, 1), date(year + 1, 1, 1))


_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bthe day before yesterday\b"), "before_yesterday"),
    (re.compile(r"\bthe day after tomorrow\b"), "after_tomorrow"),
    (re.compile(r"\b(yesterday|last night)\b"), "yesterday"),
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b"), "today"),
    (re.compile(r"\btomorrow\b"), "tomorrow"),
    (re.compile(rf"\b{_NUM} {_UNIT} ago\b"), "ago"),
    (re.compile(rf"\bin {_NUM} {_UNIT}\b"), "in"),
    (re.compile(r"\b(last|this|next|past) (week|month|year|weekend)\b"), "relative_unit"),
    (re.compile(rf"\b(last|this|next|on) {_WEEKDAY}\b"), "weekday"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH},? (\d{{4}})\b"), "day_month_year"),
    (re.compile(rf"\b{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b"), "month_day_year"),
    (re.compile(rf"\b(?:in |of |during )?{_MONTH},? (\d{{4}})\b"), "month_year"),
    (re.compile(rf"\bin {_MONTH}\b"), "month"),
    (re.compile(r"\bin (\d{4})\b"), "year"),
]


def resolve(text: str, anchor: datetime | date) -> list[TimeSpan]:
    """Every time phrase in ``text`` as the days it means, relative to ``anchor`` (when it was said)."""
    day = anchor.date() if isinstance(anchor, datetime) else anchor
    lowered = text.lower().replace("’", "'")
    spans: list[TimeSpan] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _RULES:
        for m in pattern.finditer(lowered):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            span = _apply(kind, m, day)
            if span is not None:
                spans.append(span)
                taken.append((m.start(), m.end()))
    return spans


def _apply(kind: str, m: re.Match[str], day: date) -> TimeSpan | None:
    phrase = m.group(0)
    try:
        return _HANDLERS[kind](m, day, phrase)
    except (ValueError, KeyError, OverflowError):
        return None


def _weekday(m: re.Match[str], day: date, phrase: str) -> TimeSpan:
    which, target = m.group(1), _WEEKDAYS.index(m.group(2))
    back = (day.weekday() - target) % 7
    if which == "next":
        return _day(day + timedelta(days=(target - day.weekday()) % 7 or 7), phrase)
    if which == "this":
        return _day(day + timedelta(days=target - day.weekday()), phrase)
    # "last Friday" / "on Friday" in conversation about the past: the most recent one before today.
    return _day(day - timedelta(days=back or 7), phrase)


def _relative_unit(m: re.Match[str], day: date, phrase: str) -> TimeSpan:
    which, unit = m.group(1), m.group(2)
    if which == "past":
        length = {"week": 7, "month": 30, "year": 365, "weekend": 3}[unit]
        return TimeSpan(phrase, day - timedelta(days=length), day + timedelta(days=1))
    return _unit_span(day, unit, {"last": -1, "this": 0, "next": 1}[which], phrase)


def _ago_or_in(sign: int) -> _Handler:
    def handler(m: re.Match[str], day: date, phrase: str) -> TimeSpan:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
        unit = m.group(2)
        target = _shift(day, unit, sign * n)
        if unit == "day":
            return _day(target, phrase)
        if unit == "week":
            return TimeSpan(phrase, target - timedelta(days=3), target + timedelta(days=4))
        if unit == "month":
            return _month_span(target.year, target.month, phrase)
        return TimeSpan(phrase, date(target.year, 1, 1), date(target.year + 1, 1, 1))

    return handler


def _month_only(m: re.Match[str], day: date, phrase: str) -> TimeSpan:
    month = _MONTHS[m.group(1)]
    return _month_span(day.year, month, phrase)


_HANDLERS: dict[str, _Handler] = {
    "before_yesterday": lambda m, d, p: _day(d - timedelta(days=2), p),
    "after_tomorrow": lambda m, d, p: _day(d + timedelta(days=2), p),
    "yesterday": lambda m, d, p: _day(d - timedelta(days=1), p),
    "today": lambda m, d, p: _day(d, p),
    "tomorrow": lambda m, d, p: _day(d + timedelta(days=1), p),
    "ago": _ago_or_in(-1),
    "in": _ago_or_in(1),
    "relative_unit": _relative_unit,
    "weekday": _weekday,
    "day_month_year": lambda m, d, p: _day(date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))), p),
    "month_day_year": lambda m, d, p: _day(date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2))), p),
    "month_year": lambda m, d, p: _month_span(int(m.group(2)), _MONTHS[m.group(1)], p),
    "month": _month_only,
    "year": lambda m, d, p: TimeSpan(p, date(int(m.group(1)), 1, 1), date(int(m.group(1)) + 1, 1, 1)),
}


def annotate(text: str, said_at: datetime | date) -> str:
    """``text`` with each relative time phrase followed by its date: "yesterday (on 7 May 2023)"."""
    notes = [s for s in resolve(text, said_at) if not re.search(r"\d{4}", s.phrase)]
    if not notes:
        return text
    return text + " [" + "; ".join(f"{s.phrase}: {s.describe()}" for s in notes) + "]"
