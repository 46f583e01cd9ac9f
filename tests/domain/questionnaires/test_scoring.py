"""Scoring reproduces the instruments' published rules; Hypothesis keeps scores in range and moving the right way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sotchart.domain.errors import InvalidInput
from sotchart.domain.questionnaires import INSTRUMENTS, score_payload


def s(code: str, answers: list, baseline: list | None = None) -> dict:  # type: ignore[type-arg]
    return score_payload(code, {"answers": answers}, {"answers": baseline} if baseline is not None else None)


def test_odi_with_a_skipped_section_reduces_the_denominator() -> None:
    # 9 sections answered, summing to 18: 18 / (5 × 9) × 100 = 40 %.
    r = s("odi", [3, 2, 1, 4, 0, 2, None, 3, 1, 2])
    assert r["score"] == 18 and r["percent"] == 40 and r["answered"] == 9 and r["band"] == "moderate disability"
    full = s("odi", [3, 2, 1, 4, 0, 2, 0, 3, 1, 2])
    assert full["percent"] == 36  # the same answers with the section scored 0 instead: 18 / 50


def test_odi_change_against_the_mcid() -> None:
    r = s("odi", [1, 1, 1, 2, 0, 1, 1, 1, 0, 1], baseline=[3, 2, 1, 4, 0, 2, 1, 3, 1, 2])
    assert r["percent"] == 18 and r["change"] == -20 and r["meets_mcid"] is True
    small = s("odi", [3, 2, 1, 3, 0, 2, 1, 3, 1, 1], baseline=[3, 2, 1, 4, 0, 2, 1, 3, 1, 2])
    assert small["meets_mcid"] is False


def test_ndi_in_points_and_percent() -> None:
    r = s("ndi", [2, 1, 3, 2, 1, 0, 2, 1, 3, 2])
    assert r["score"] == 17 and r["percent"] == 34 and r["band"] == "moderate"
    with pytest.raises(InvalidInput, match="answers need fixing"):
        s("ndi", [2, 1, 3, 2, 1, 0, 2, 1, 3, None])


def test_psfs_average_and_change() -> None:
    r = s("psfs", [6, 7, 6], baseline=[3, 5, 4])
    assert r["score"] == 6.33 and r["change"] == 2.33 and r["meets_mcid"] is True
    assert s("psfs", [4.5, 5, 5.5])["score"] == 5


def test_nrs_mcid_is_two_points_or_thirty_percent() -> None:
    assert s("nrs-pain", [4], baseline=[7])["meets_mcid"] is True
    assert s("nrs-pain", [2], baseline=[3])["meets_mcid"] is True  # 1 point but 33 %
    assert s("nrs-pain", [6], baseline=[7])["meets_mcid"] is False
    assert s("nrs-pain", [8], baseline=[5])["meets_mcid"] is False


def test_hit6_words_and_points() -> None:
    r = s("hit-6", ["sometimes"] * 6)
    assert r["score"] == 60 and r["band"] == "severe impact"
    assert s("hit-6", [6, 6, 6, 6, 6, 6])["band"] == "little or no impact"


def test_bournemouth_total() -> None:
    r = s("bq-back", [5, 4, 3, 6, 2, 7, 5], baseline=[9, 8, 7, 9, 6, 9, 8])
    assert r["score"] == 32 and r["change"] == -24 and r["meets_mcid"] is True


@pytest.mark.parametrize(
    ("code", "answers", "field"),
    [
        ("odi", [6, 0, 0, 0, 0, 0, 0, 0, 0, 0], "answers[1]"),
        ("odi", [None] * 10, "answers"),
        ("odi", [1, 2, 3], "answers"),
        ("psfs", [11, 5, 5], "answers[1]"),
        ("psfs", [], "answers"),
        ("hit-6", ["often", "never", "never", "never", "never", "never"], "answers[1]"),
        ("nrs-pain", [True], "answers[1]"),
        ("nope", [1], "instrument"),
    ],
)
def test_bad_answers_name_the_item(code: str, answers: list, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as e:
        s(code, answers)
    assert field in {p.field for p in e.value.problems}


RANGES = {"odi": (10, 0, 5), "ndi": (10, 0, 5), "bq-back": (7, 0, 10), "bq-neck": (7, 0, 10), "nrs-pain": (1, 0, 10)}


@given(st.sampled_from(sorted(RANGES)), st.data())
def test_scores_stay_in_range_and_rise_with_any_answer(code: str, data: st.DataObject) -> None:
    n, low, high = RANGES[code]
    answers = data.draw(st.lists(st.integers(low, high), min_size=n, max_size=n))
    r = s(code, answers)
    value = r.get("percent", r["score"])
    assert 0 <= value <= (100 if "percent" in r else n * high)
    i = data.draw(st.integers(0, n - 1))
    if answers[i] < high:
        worse = list(answers)
        worse[i] += 1
        r2 = s(code, worse)
        assert r2.get("percent", r2["score"]) > value
        assert INSTRUMENTS[code].lower_is_better


@given(
    st.lists(st.integers(0, 5) | st.none(), min_size=10, max_size=10).filter(lambda a: any(x is not None for x in a))
)
def test_odi_percent_is_always_0_to_100(answers: list) -> None:  # type: ignore[type-arg]
    assert 0 <= s("odi", answers)["percent"] <= 100


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=5))
def test_psfs_average_is_within_its_ratings(ratings: list) -> None:  # type: ignore[type-arg]
    score = s("psfs", ratings)["score"]
    assert min(ratings) - 0.01 <= score <= max(ratings) + 0.01
