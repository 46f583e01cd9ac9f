"""A patient's insurance as the front desk registers it, and the checks it must pass: who pays in which
order, the member number, and who the subscriber is when it is not the patient."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput

PRIORITIES = ("primary", "secondary", "tertiary")
# The patient's relationship to the subscriber (X12's individual relationship codes 18, 01, 19, G8).
RELATIONSHIPS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
LIMITS = {"payer_name": 200, "payer_id": 30, "member_id": 60, "group_number": 60, "subscriber_name": 200}


def _date(data: Mapping[str, Any], name: str, problems: list[FieldProblem]) -> date | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(FieldProblem(name, "Use YYYY-MM-DD."))
        return None


def check_coverage(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The coverage's values, or InvalidInput naming each field to fix."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {k: str(data.get(k) or "").strip() for k in LIMITS}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            problems.append(FieldProblem(name, f"Use at most {limit} characters."))
    if not values["payer_name"]:
        problems.append(FieldProblem("payer_name", "Name the insurer (as on the card)."))
    if not values["member_id"]:
        problems.append(FieldProblem("member_id", "Enter the member number from the card."))
    priority = str(data.get("priority") or "primary")
    if priority not in PRIORITIES:
        problems.append(FieldProblem("priority", "Choose primary, secondary or tertiary."))
    relationship = str(data.get("relationship") or "self")
    if relationship not in RELATIONSHIPS:
        problems.append(FieldProblem("relationship", "Choose the patient's relationship to the subscriber."))
    elif relationship != "self" and not values["subscriber_name"]:
        problems.append(FieldProblem("subscriber_name", "Name the subscriber (the card holder)."))
    birth = _date(data, "subscriber_birth_date", problems)
    if birth and birth > today:
        problems.append(FieldProblem("subscriber_birth_date", "The date of birth is in the future."))
    start, end = _date(data, "start_date", problems), _date(data, "end_date", problems)
    if start and end and end < start:
        problems.append(FieldProblem("end_date", "The coverage ends before it starts."))
    if problems:
        raise InvalidInput("The insurance details need fixing.", problems)
    return values | {
        "priority": priority,
        "relationship": relationship,
        "subscriber_birth_date": birth,
        "start_date": start,
        "end_date": end,
    }
