"""A visit's life: draft → signed → amended, or entered-in-error; never back to draft."""

from __future__ import annotations

from enum import StrEnum

from sotchart.domain.errors import Conflict


class VisitStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    AMENDED = "amended"
    ENTERED_IN_ERROR = "entered-in-error"


# Once signed, a note is only superseded (amended) or withdrawn (entered-in-error).
TRANSITIONS: dict[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.DRAFT: frozenset({VisitStatus.SIGNED, VisitStatus.ENTERED_IN_ERROR}),
    VisitStatus.SIGNED: frozenset({VisitStatus.AMENDED, VisitStatus.ENTERED_IN_ERROR}),
    VisitStatus.AMENDED: frozenset({VisitStatus.AMENDED, VisitStatus.ENTERED_IN_ERROR}),
    VisitStatus.ENTERED_IN_ERROR: frozenset(),
}


def check_transition(current: VisitStatus, target: VisitStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"A {current.value} visit cannot become {target.value}."
            + (" Signed notes are locked: record an amendment instead." if current != VisitStatus.DRAFT else "")
        )


def is_editable(status: VisitStatus) -> bool:
    return status == VisitStatus.DRAFT


VISIT_KINDS = ("new-patient", "follow-up", "re-examination")
# Why a visit was entered in error or its note amended, as kept with the visit (its status reason).
REASON_MAX = 500
