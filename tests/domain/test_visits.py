"""The visit life cycle: no path leads from signed back to draft."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sotchart.domain.errors import Conflict
from sotchart.domain.visits import VisitStatus, check_transition


@given(st.lists(st.sampled_from(list(VisitStatus)), max_size=12))
def test_no_path_from_signed_back_to_draft(steps: list[VisitStatus]) -> None:
    status = VisitStatus.DRAFT
    was_signed = False
    for target in steps:
        try:
            check_transition(status, target)
        except Conflict:
            continue
        status = target
        was_signed = was_signed or status == VisitStatus.SIGNED
        if was_signed:
            assert status != VisitStatus.DRAFT


def test_signed_note_is_locked_with_a_reason() -> None:
    with pytest.raises(Conflict, match="record an amendment"):
        check_transition(VisitStatus.SIGNED, VisitStatus.DRAFT)


def test_entered_in_error_is_final() -> None:
    for target in VisitStatus:
        with pytest.raises(Conflict):
            check_transition(VisitStatus.ENTERED_IN_ERROR, target)


def test_draft_can_be_signed() -> None:
    check_transition(VisitStatus.DRAFT, VisitStatus.SIGNED)
