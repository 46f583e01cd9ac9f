"""Examiner agreement: Cohen's kappa for two examiners, Fleiss' kappa for more, each with a confidence
interval by bootstrap over the patients (seeded, so the same data always gives the same interval).
This is how sotchart measures the 'precise diagnostic methods': indicator by indicator, and the category."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.findings import NORMAL_VALUES

Label = Hashable


@dataclass(frozen=True)
class Agreement:
    method: str
    subjects: int
    raters: int
    observed: float  # proportion of agreement
    kappa: float | None  # None when chance agreement is total (every rating the same)
    ci_low: float | None
    ci_high: float | None
    note: str = ""


def _cohen(pairs: Sequence[tuple[Label, Label]]) -> tuple[float, float | None]:
    n = len(pairs)
    po = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    return po, None if pe >= 1 else (po - pe) / (1 - pe)


def _fleiss(subjects: Sequence[Sequence[Label]]) -> tuple[float, float | None]:
    n, m = len(subjects), len(subjects[0])
    totals: Counter[Label] = Counter()
    p_bar = 0.0
    for ratings in subjects:
        counts = Counter(ratings)
        totals.update(counts)
        p_bar += sum(k * (k - 1) for k in counts.values()) / (m * (m - 1))
    p_bar /= n
    pe = sum((t / (n * m)) ** 2 for t in totals.values())
    return p_bar, None if pe >= 1 else (p_bar - pe) / (1 - pe)


def _interval(values: list[float], level: float) -> tuple[float, float]:
    values.sort()
    tail = (1 - level) / 2
    lo = values[int(tail * (len(values) - 1))]
    hi = values[int((1 - tail) * (len(values) - 1))]
    return lo, hi


def _agreement(
    method: str,
    data: Sequence[Any],
    raters: int,
    statistic: Callable[[Sequence[Any]], tuple[float, float | None]],
    resamples: int,
    seed: int,
    level: float,
) -> Agreement:
    observed, kappa = statistic(data)
    if kappa is None:
        return Agreement(
            method,
            len(data),
            raters,
            observed,
            None,
            None,
            None,
            "Every rating was the same, so agreement beyond chance cannot be measured.",
        )
    rng = random.Random(seed)  # noqa: S311 - bootstrap resampling, repeatable by seed; not a secret
    boots = [k for k in (statistic([rng.choice(data) for _ in data])[1] for _ in range(resamples)) if k is not None]
    lo, hi = _interval(boots, level)
    return Agreement(method, len(data), raters, observed, kappa, lo, hi)


def cohen_kappa(
    pairs: Sequence[tuple[Label, Label]], *, resamples: int = 1000, seed: int = 2024, level: float = 0.95
) -> Agreement:
    """Two examiners' findings on the same patients: [(first examiner, second examiner), ...]."""
    if len(pairs) < 2:
        raise InvalidInput(
            "Agreement needs at least two patients examined by both examiners.",
            [FieldProblem("pairs", "Record more double examinations.")],
        )
    return _agreement("cohen", pairs, 2, _cohen, resamples, seed, level)


def fleiss_kappa(
    subjects: Sequence[Sequence[Label]], *, resamples: int = 1000, seed: int = 2024, level: float = 0.95
) -> Agreement:
    """Three or more examiners: each patient's list of findings, one per examiner (the same number each)."""
    if len(subjects) < 2 or len({len(s) for s in subjects}) != 1 or len(subjects[0]) < 2:
        raise InvalidInput(
            "Fleiss' kappa needs at least two patients, each rated by the same number (2+) of examiners.",
            [FieldProblem("subjects", "Give every patient the same number of ratings.")],
        )
    return _agreement("fleiss", subjects, len(subjects[0]), _fleiss, resamples, seed, level)


# --- from recorded examinations to agreement, item by item ------------------------------------------

CATEGORY_ITEM = "category"


def ratings(findings: Sequence[dict[str, Any]], category: int | None, side: str | None) -> dict[str, str]:
    """One examiner's ratings at one visit: each pre-treatment indicator (with its location, when it has
    one) → its value, with the side when something was found; and the category with its side."""
    out: dict[str, str] = {}
    for f in findings:
        if f.get("phase", "pre") != "pre":
            continue
        item = f["code"] + (f":{f['location']}" if f.get("location") else "")
        value = str(f["value"])
        if f.get("side") and value not in NORMAL_VALUES:
            value += f" {f['side']}"
        out[item] = value
    if category:
        out[CATEGORY_ITEM] = f"{category} {side or ''}".strip()
    return out


@dataclass(frozen=True)
class ItemAgreement:
    item: str
    agreement: Agreement | None
    visits: int  # visits where two or more examiners rated the item
    note: str = ""


def by_item(visits: Sequence[Sequence[dict[str, str]]], *, resamples: int = 1000) -> list[ItemAgreement]:
    """Agreement per item over visits, each a list of examiners' ratings (the visit's own examiner first).
    Where visits had different numbers of examiners, the most common number is used (Cohen's kappa for two,
    Fleiss' for more) and the others are left out, said in the note."""
    items = sorted({item for v in visits for r in v for item in r}, key=lambda i: (i == CATEGORY_ITEM, i))
    out = []
    for item in items:
        subjects = [[r[item] for r in v if item in r] for v in visits]
        subjects = [s for s in subjects if len(s) >= 2]
        if not subjects:
            continue
        raters = Counter(len(s) for s in subjects).most_common(1)[0][0]
        used = [s for s in subjects if len(s) == raters]
        note = (
            f"{len(subjects) - len(used)} visit(s) with another number of examiners left out."
            if len(used) < len(subjects)
            else ""
        )
        if len(used) < 2:
            out.append(ItemAgreement(item, None, len(subjects), "Needs two or more patients examined by both."))
            continue
        a = (
            cohen_kappa([(s[0], s[1]) for s in used], resamples=resamples)
            if raters == 2
            else fleiss_kappa(used, resamples=resamples)
        )
        out.append(ItemAgreement(item, a, len(subjects), note))
    return out
