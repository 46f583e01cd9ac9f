"""Kappa reproduces published worked examples; Hypothesis keeps it in range and perfect agreement at 1."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sotchart.domain import agreement
from sotchart.domain.agreement import cohen_kappa, fleiss_kappa
from sotchart.domain.errors import InvalidInput


def test_cohen_two_by_two_example() -> None:
    # 50 patients: both yes 20, first yes / second no 5, first no / second yes 10, both no 15:
    # observed 0.70, chance 0.50, kappa 0.40.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    a = cohen_kappa(pairs)
    assert a.observed == pytest.approx(0.70) and a.kappa == pytest.approx(0.40)
    assert a.ci_low is not None and a.ci_high is not None and a.ci_low < 0.40 < a.ci_high
    assert cohen_kappa(pairs) == a  # the same data, the same interval


def test_fleiss_example_with_fourteen_raters() -> None:
    # 10 subjects, 14 raters, 5 categories (the classic worked example): kappa 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    subjects = [[cat for cat, n in enumerate(row) for _ in range(n)] for row in table]
    a = fleiss_kappa(subjects)
    assert a.kappa == pytest.approx(0.210, abs=0.001) and a.raters == 14
    assert a.ci_low is not None and a.ci_low < a.kappa < (a.ci_high or 0)


def test_all_the_same_rating_says_kappa_cannot_be_measured() -> None:
    a = cohen_kappa([("1", "1")] * 5)
    assert a.kappa is None and "cannot be measured" in a.note


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        cohen_kappa([("1", "2")])
    with pytest.raises(InvalidInput):
        fleiss_kappa([["a", "b", "c"], ["a", "b"]])


@given(st.lists(st.tuples(st.sampled_from("LRB"), st.sampled_from("LRB")), min_size=2, max_size=40))
def test_cohen_kappa_is_at_most_one_and_one_when_they_always_agree(pairs: list) -> None:  # type: ignore[type-arg]
    a = cohen_kappa(pairs, resamples=50)
    if a.kappa is not None:
        assert -1 <= a.kappa <= 1
    same = cohen_kappa([(x, x) for x, _ in pairs], resamples=50)
    assert same.kappa is None or same.kappa == pytest.approx(1)


def test_ratings_keep_side_and_location_and_the_category() -> None:
    r = agreement.ratings(
        [
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"},
            {"code": "heel-tension", "phase": "post", "value": "negative"},
            {"code": "arm-fossa", "phase": "pre", "value": "negative", "side": "left", "location": "upper"},
        ],
        2,
        "left",
    )
    # A normal finding's side carries no information, so it is not part of the rating.
    assert r == {"heel-tension": "positive right", "arm-fossa:upper": "negative", "category": "2 left"}


def test_by_item_uses_cohen_for_two_examiners_and_fleiss_for_three() -> None:
    first = ["positive right", "positive right", "negative", "negative", "positive left"]
    second = ["positive right", "negative", "negative", "negative", "positive left"]
    third = ["positive right", "negative", "negative", "positive right", "positive left"]
    two = [[{"heel-tension": a}, {"heel-tension": b}] for a, b in zip(first, second, strict=True)]
    [row] = agreement.by_item(two, resamples=200)
    direct = agreement.cohen_kappa(list(zip(first, second, strict=True)), resamples=200)
    assert row.item == "heel-tension" and row.visits == 5 and row.agreement == direct
    three = [
        [{"heel-tension": a}, {"heel-tension": b}, {"heel-tension": c}]
        for a, b, c in zip(first, second, third, strict=True)
    ]
    # One visit with only two examiners is left out of Fleiss' kappa, and the note says so.
    three.append([{"heel-tension": "negative"}, {"heel-tension": "negative"}])
    [row3] = agreement.by_item(three, resamples=200)
    assert row3.agreement is not None and row3.agreement.method == "fleiss" and row3.agreement.subjects == 5
    assert "1 visit(s)" in row3.note
    lonely = agreement.by_item([[{"category": "1"}, {"category": "1"}]], resamples=10)
    assert lonely[0].agreement is None and "two or more patients" in lonely[0].note
