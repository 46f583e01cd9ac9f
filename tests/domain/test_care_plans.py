"""A care plan's cadence: as clinicians write it, its re-examinations, and where a patient stands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sotchart.domain import care_plans as cp
from sotchart.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("3 a week for 4 weeks, then 2 a week for 4 weeks", [(3, 4), (2, 4)]),
        ("3x/wk x 4 wks then 2x/wk x 6 wks", [(3, 4), (2, 6)]),
        ("2 times per week for 6 weeks", [(2, 6)]),
        ("twice a week for six weeks", [(2, 6)]),
        ("Twice weekly for a month", []),  # not a form sotchart can read: it says so rather than guess
    ],
)
def test_the_frequency_as_clinicians_write_it(text: str, phases: list[tuple[int, int]]) -> None:
    assert [(p.per_week, p.weeks) for p in cp.parse_cadence_text(text)] == phases


def test_every_twelfth_visit_and_the_last_are_re_examinations() -> None:
    c = cp.check_cadence({"frequency": "3 a week for 4 weeks, then 2 a week for 4 weeks", "reexam_every": "12"})
    assert c.visits == 20 and c.say() == "3 a week for 4 weeks, then 2 a week for 4 weeks"
    assert c.reexam_numbers() == [12, 20]
    p = cp.progress(c, done=6, booked=10)
    assert p.say() == "6 of 20 visits done · next: visit 7" and not p.reexam_due
    assert cp.progress(c, done=11, booked=0).say() == "11 of 20 visits done · next: visit 12, re-exam due"
    assert cp.progress(c, done=20, booked=0).say() == "plan complete (20 of 20 visits)"
    assert c.say_visit(12) == "visit 12 of 20, re-exam" and c.say_visit(7) == "visit 7 of 20"


def test_a_plan_that_cannot_be_read_or_is_too_long_says_what_to_fix() -> None:
    with pytest.raises(InvalidInput) as e:
        cp.check_cadence({"frequency": "often", "reexam_every": "1"})
    assert {p.field for p in e.value.problems} == {"frequency", "reexam_every"}
    with pytest.raises(InvalidInput, match="care plan"):
        cp.check_cadence({"frequency": "7 a week for 2 weeks"})
    for text, says in (
        ("3 a week for 0 weeks", "1 to 52 weeks"),
        ("3 a week for 1.5 weeks", "could not read"),
        ("3 a week for 4 weeks, then", "ends with"),
        ("3 a week for 4 weeks, then as needed", "could not read “as needed”"),
    ):
        with pytest.raises(InvalidInput) as e:
            cp.check_cadence({"frequency": text})
        assert says in e.value.problems[0].message, (text, e.value.problems)
    with pytest.raises(InvalidInput):
        cp.check_cadence({"frequency": "5 a week for 30 weeks"})  # 150 visits


@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 8)), min_size=1, max_size=3), st.integers(2, 30))
def test_the_progress_never_passes_the_plan(phases: list[tuple[int, int]], every: int) -> None:
    c = cp.Cadence(tuple(cp.Phase(a, b) for a, b in phases), every)
    assert c.kind_of(c.visits) == "re-examination"
    for done in range(c.visits + 2):
        p = cp.progress(c, done, 0)
        assert 1 <= p.next_number <= c.visits
