"""What every questionnaire shares: items, scoring, bands and the minimal clinically important change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput

Answer = int | float | str | None


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Score:
    instrument: str
    score: float
    percent: float | None
    band: str | None
    answered: int

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "score": _clean(self.score),
            "band": self.band,
            "answered": self.answered,
        }
        if self.percent is not None:
            out["percent"] = _clean(self.percent)
        return out


def _clean(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 2)


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: str
    scoring_version: str
    licence: str  # "free" or "licensed": licensed item text is loaded only from the clinic's own file
    lower_is_better: bool
    mcid: float  # in score units (or, for percent-scored instruments, percentage points)
    mcid_note: str
    source: str
    score: Callable[[Sequence[Answer]], Score]
    bands: tuple[Band, ...] = ()
    loinc: str = ""

    def band_of(self, value: float) -> str | None:
        for b in self.bands:
            if b.low <= value <= b.high:
                return b.label
        return None

    def compare(self, baseline: Score, now: Score) -> dict[str, Any]:
        """Change from baseline in the instrument's own units, and whether it reaches the MCID."""
        base = baseline.percent if baseline.percent is not None else baseline.score
        cur = now.percent if now.percent is not None else now.score
        change = cur - base
        improvement = -change if self.lower_is_better else change
        return {
            "change": _clean(change),
            "improvement": _clean(improvement),
            "mcid": self.mcid,
            "meets_mcid": improvement >= self.mcid,
            "mcid_note": self.mcid_note,
        }


def check_items(
    code: str, answers: Sequence[Answer], n: int, low: int, high: int, *, allow_missing: bool, whole: bool = True
) -> list[int | float | None]:
    """Every answer in range (or null where the instrument has a missing-item rule), each bad one named."""
    problems: list[FieldProblem] = []
    if not isinstance(answers, list | tuple):
        raise InvalidInput("answers must be a list in item order.", [FieldProblem("answers", "Send a JSON list.")])
    if len(answers) != n:
        raise InvalidInput(
            f"{code} has {n} items; {len(answers)} answers were given.",
            [FieldProblem("answers", f"Give exactly {n} answers in item order, null for a skipped one.")],
        )
    out: list[int | float | None] = []
    for i, a in enumerate(answers, start=1):
        if a is None:
            if not allow_missing:
                problems.append(
                    FieldProblem(
                        f"answers[{i}]", f"item {i} is required: {code} has no missing-item rule in sotchart's sources"
                    )
                )
            out.append(None)
            continue
        ok_type = (
            isinstance(a, int) and not isinstance(a, bool)
            if whole
            else (isinstance(a, int | float) and not isinstance(a, bool))
        )
        if not ok_type or not low <= a <= high:
            problems.append(
                FieldProblem(
                    f"answers[{i}]",
                    f"must be {'a whole number' if whole else 'a number'} from {low} to {high}, not {a!r}",
                )
            )
            out.append(None)
            continue
        out.append(a)
    if problems:
        raise InvalidInput(f"Some {code} answers need fixing.", problems)
    return out
