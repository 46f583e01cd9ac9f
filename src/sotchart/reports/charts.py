"""The geometry of the progress charts, drawn as SVG by `_charts.html` in the chart page and in the PDF
progress report alike. Numbers only here; the words and colours are the template's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sotchart.domain.questionnaires import instrument, nrs

WIDTH, LEFT, RIGHT = 600, 34, 590
TOP, BOTTOM = 10, 120  # the plotting area's y range; labels go below


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: date
    text: str  # the value, for the tooltip


@dataclass(frozen=True)
class Line:
    """A series against a fixed scale, with an optional threshold (the MCID from the first value)."""

    points: list[Point]
    ticks: list[tuple[float, str]]  # y, label
    first_day: date
    last_day: date
    threshold: tuple[float, str] | None = None  # y, label

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class Pair:
    x: float
    width: float
    pre: tuple[float, float]  # y, height
    post: tuple[float, float] | None
    day: date
    text: str


@dataclass(frozen=True)
class Bars:
    """Positive indicators before and after treatment, a pair per visit."""

    pairs: list[Pair]
    ticks: list[tuple[float, str]]
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Cell:
    x: float
    width: float
    category: int | None
    side: str
    day: date
    text: str


@dataclass(frozen=True)
class Strip:
    """The confirmed category at each visit, one cell per visit."""

    cells: list[Cell]
    first_day: date
    last_day: date
    counts: dict[str, int] = field(default_factory=dict)


def _x(i: int, n: int) -> float:
    return round(LEFT + (RIGHT - LEFT) * (i / (n - 1) if n > 1 else 0.5), 1)


def _y(value: float, top: float) -> float:
    return round(BOTTOM - (BOTTOM - TOP) * (value / top if top else 0), 1)


def line(
    series: Sequence[tuple[date, float]], *, top: float, unit: str = "", threshold: float | None = None
) -> Line | None:
    """`series` oldest first; None when fewer than two values make no line."""
    if len(series) < 2:
        return None
    n = len(series)
    points = [Point(_x(i, n), _y(v, top), d, f"{v:g}{unit}") for i, (d, v) in enumerate(series)]
    ticks = [(_y(t, top), f"{t:g}") for t in (0, top / 2, top)]
    mark = None
    if threshold is not None and 0 <= threshold <= top:
        mark = (_y(threshold, top), f"{threshold:g}{unit}")
    return Line(points, ticks, series[0][0], series[-1][0], mark)


def bars(series: Sequence[tuple[date, int, int | None]]) -> Bars | None:
    """(day, positive before, positive after) per visit, oldest first."""
    if not series:
        return None
    top = max(max(pre, post or 0) for _d, pre, post in series) or 1
    n = len(series)
    slot = (RIGHT - LEFT) / n
    width = round(min(18.0, slot * 0.4), 1)
    pairs = []
    for i, (d, pre, post) in enumerate(series):
        x = round(LEFT + slot * i + slot / 2 - width, 1)
        pre_y = _y(pre, top)
        after = None if post is None else (_y(post, top), round(BOTTOM - _y(post, top), 1))
        pairs.append(
            Pair(
                x,
                width,
                (pre_y, round(BOTTOM - pre_y, 1)),
                after,
                d,
                f"{pre} before, {'not rechecked' if post is None else f'{post} after'}",
            )
        )
    ticks = [(_y(t, top), str(t)) for t in sorted({0, top // 2, top})]
    return Bars(pairs, ticks, series[0][0], series[-1][0])


def strip(series: Sequence[tuple[date, int | None, str | None]]) -> Strip | None:
    if not series:
        return None
    n = len(series)
    slot = round((RIGHT - LEFT) / n, 2)
    counts: dict[str, int] = {}
    cells = []
    for i, (d, category, side) in enumerate(series):
        key = str(category) if category else "none"
        counts[key] = counts.get(key, 0) + 1
        said = f"Category {category} {side or ''}".strip() if category else "no category confirmed"
        cells.append(Cell(round(LEFT + slot * i, 1), slot, category, side or "", d, said))
    return Strip(cells, series[0][0], series[-1][0], counts)


def course_line(course: Any) -> Line | None:
    """One questionnaire's scores (percent where the instrument has one) with its MCID from the baseline."""
    inst = instrument(course.instrument)
    uses_percent = course.points[0]["percent"] is not None
    values = [
        (date.fromisoformat(p["answered_on"]), float(p["percent"] if uses_percent else p["score"]))
        for p in course.points
    ]
    highest = max(v for _d, v in values)
    # Without bands (PSFS) the scale is the 0–10 rating the instrument uses.
    top = 100.0 if uses_percent else max((b.high for b in inst.bands), default=10.0 if highest <= 10 else highest)
    base = values[0][1]
    return line(
        values,
        top=top,
        unit=" %" if uses_percent else "",
        threshold=base + (-1 if inst.lower_is_better else 1) * inst.mcid,
    )


def progress(visits: Sequence[dict[str, Any]], courses: Sequence[Any] = ()) -> dict[str, Any]:
    """Every chart of a patient's course: from their visits (oldest first, as the chart's `progress`) and
    their questionnaires. Pain's threshold is where it would have fallen by the NRS MCID from the first score."""
    pain = [(v["visit_date"], v["pain"]) for v in visits if v["pain"] is not None]
    return {
        "pain": line(pain, top=10, threshold=nrs.mcid_threshold(pain[0][1]) if pain else None),
        "questionnaires": [(c, course_line(c)) for c in courses if c.instrument != "nrs-pain"],
        "indicators": bars(
            [
                (v["visit_date"], v["indicators_pre"], v["indicators_post"])
                for v in visits
                if v["indicators_pre"] is not None
            ]
        ),
        "categories": strip(
            [(v["visit_date"], v["category"], v["category_side"]) for v in visits if v["indicators_pre"] is not None]
        ),
    }
