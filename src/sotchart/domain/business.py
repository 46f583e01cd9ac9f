"""The practice's business figures as a clinic owner reads them, each with the one definition the page
states beside it: how a period is cut into weeks (or months, for a long one), the patient visit average,
the rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Past about a year and a quarter, weeks make a table nobody reads; months then.
WEEKS_MAX = 62
# What an appointment's status says of the patient coming: these came; a no-show did not.
CAME = frozenset({"arrived", "in-room", "with-clinician", "done"})


@dataclass(frozen=True)
class Span:
    """One row of the table: a week from its Monday (or a month), clipped to the period."""

    label: str
    first: date
    last: date


def by_week(start: date, end: date) -> bool:
    monday = start - timedelta(days=start.weekday())
    return (end - monday).days // 7 + 1 <= WEEKS_MAX


def spans(start: date, end: date) -> list[Span]:
    monday = start - timedelta(days=start.weekday())
    if by_week(start, end):
        out = []
        while monday <= end:
            out.append(Span(f"{monday:%d %b %Y}", max(monday, start), min(monday + timedelta(days=6), end)))
            monday += timedelta(days=7)
        return out
    out, first = [], start.replace(day=1)
    while first <= end:
        following = month_after(first)
        out.append(Span(f"{first:%B %Y}", max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return out


def month_after(first: date) -> date:
    """The first day of the month after the one `first` is in."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def span_before(start: date, end: date) -> tuple[date, date]:
    """The span of the same length just before the period: whose patients retention follows into it."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 1) if whole else None


def patient_visit_average(visits: int, new_patients: int) -> float | None:
    """Visits in the period for each new patient in it: the figure chiropractic practices track as PVA."""
    return ratio(visits, new_patients)
