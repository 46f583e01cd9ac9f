"""What one SOT finding is: which indicator at which place (its identity), and whether it is positive.
The engine, the charting actions, the visit screen, the stored summary, the rollups and the exports all
use these two definitions, so a recheck always meets the same pre-treatment finding everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The shipped pack's "nothing found" values; a finding with any other value counts as positive.
NORMAL_VALUES = ("negative", "normal", "even", "none")
# Where a finding lies. A point finding's side is part of where it is (a left and a right fibre are two
# fibres); for a whole-body test the side is only a value (a short leg that moves from right to left is
# the same leg-length check).
PLACE = ("location", "line", "area", "point", "level", "region")
POINTISH = ("line", "area", "point", "level", "region")


def _text(value: Any) -> str:
    # A point is a number in the record (trapezius fibre 3) and text in the stored rows ("3"): one spelling.
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def is_pointish(f: Mapping[str, Any]) -> bool:
    """A finding at a point (a fibre's line and area, a level, a region), not a whole-body test."""
    return any(f.get(k) is not None and f.get(k) != "" for k in POINTISH)


def identity(f: Mapping[str, Any]) -> tuple[str, ...]:
    """The indicator and its place, without phase and result: a recheck shares its pre-treatment finding's."""
    return (
        _text(f.get("code")),
        *(_text(f.get(k)) for k in PLACE),
        _text(f.get("side")) if is_pointish(f) else "",
    )


def identity_key(f: Mapping[str, Any]) -> str:
    """The identity as one string, stored beside each signed finding so SQL joins on the same definition."""
    return "|".join(identity(f))


def slot(f: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """A finding's place in a record: one per identity and phase."""
    return (_text(f.get("phase")), identity(f))


def is_normal(value: Any) -> bool:
    return value in NORMAL_VALUES


def is_positive(f: Mapping[str, Any], phase: str) -> bool:
    return f.get("phase") == phase and not is_normal(f.get("value"))


def recheck_counts(findings: list[Mapping[str, Any]]) -> tuple[int, int, int]:
    """Positive before treatment, how many of those were rechecked, and how many were normal at the recheck."""
    post = {identity(f): f for f in findings if f.get("phase") == "post"}
    positive = rechecked = cleared = 0
    for f in findings:
        if is_positive(f, "pre"):
            positive += 1
            after = post.get(identity(f))
            if after is not None:
                rechecked += 1
                cleared += is_normal(after.get("value"))
    return positive, rechecked, cleared


def indicator_counts(findings: list[Mapping[str, Any]]) -> dict[str, int | None]:
    """The visit summary's counts: positive before, positive after (None when nothing was rechecked, so
    an untreated visit never reads as "1 → 0"), how many were rechecked and how many were then normal."""
    positive, rechecked, cleared = recheck_counts(findings)
    after = [f for f in findings if f.get("phase") == "post"]
    return {
        "indicators_pre": positive,
        "indicators_post": sum(1 for f in after if not is_normal(f.get("value"))) if after else None,
        "indicators_rechecked": rechecked,
        "indicators_cleared": cleared,
    }
