"""Double examinations: a second clinician examines the patient at the same visit without seeing the
first examination, and examiner agreement (kappa per indicator and for the category) is measured over
the practice's real visits. This is how the 'precise diagnostic methods' are put to the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotchart.domain import agreement
from sotchart.domain import vocabulary as vocab
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound
from sotchart.domain.protocol.exam import parse_exam
from sotchart.domain.protocol.pack import Indicator
from sotchart.domain.roles import Action
from sotchart.services import protocol
from sotchart.services.analytics import parse_period
from sotchart.services.charting import load_visit
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import examinations as store


@dataclass
class Blank:
    """What the second examiner sees: who and when, and the indicators to examine; nothing of the first."""

    visit_id: int
    visit_date: date
    patient_name: str
    indicators: list[Indicator]
    already: bool


def examinable(app: App) -> list[Indicator]:
    """The pack's indicators a second examiner records by value and side (fibre and reflex points, which
    are mapped point by point, are left to the visit screen)."""
    pack = protocol.active(app.settings)
    return [
        i
        for i in pack.indicators.values()
        if i.point is None and i.line is None and i.area is None and not i.point_labels
    ]


def _visit(u: Unit, visit_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The visit and its patient; a visit entered in error cannot be examined."""
    v, p = load_visit(u, visit_id)
    if v["status"] == "entered-in-error":
        raise NotFound("No such visit in this clinic.")
    return v, p


def blank(app: App, actor: Actor, visit_id: int) -> Blank:
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id, read=True) as u:
        v, p = _visit(u, visit_id)
        already = actor.user_id in store.examiners_of(u.conn, visit_id)
        u.audit("examination.open", "visit", visit_id, patient_id=p["id"])
    return Blank(visit_id, v["visit_date"], f"{p['given_name']} {p['family_name']}", examinable(app), already)


def parse_form(app: App, form: dict[str, str]) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """The form's fields (`value:CODE`, `side:CODE`, `location:CODE`, `category`, `category_side`) as findings."""
    findings = []
    for ind in examinable(app):
        value = form.get(f"value:{ind.code}", "").strip()
        if not value:
            continue  # not examined
        f: dict[str, Any] = {"code": ind.code, "phase": "pre", "value": value}
        for extra in ("side", "location"):
            if form.get(f"{extra}:{ind.code}"):
                f[extra] = form[f"{extra}:{ind.code}"]
        findings.append(f)
    raw_cat = form.get("category", "").strip()
    if raw_cat not in ("", "1", "2", "3"):
        raise InvalidInput("The category could not be read.", [FieldProblem("category", "Choose 1, 2, 3 or none.")])
    side = form.get("category_side", "").strip() or None
    if side is not None and side not in vocab.SIDES:
        raise InvalidInput(
            "The side could not be read.", [FieldProblem("category_side", "Choose left, right or bilateral.")]
        )
    return findings, int(raw_cat) if raw_cat else None, side


def record(
    app: App,
    actor: Actor,
    visit_id: int,
    findings: list[dict[str, Any]],
    category: int | None,
    category_side: str | None,
) -> int:
    if not findings and category is None:
        raise InvalidInput(
            "Nothing was examined.", [FieldProblem("findings", "Record at least one indicator or the category.")]
        )
    parse_exam({"findings": findings}, protocol.active(app.settings))  # names each field that is wrong
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id) as u:
        v, p = _visit(u, visit_id)
        if actor.user_id is None or v["clinician_id"] == actor.user_id:
            raise Conflict(
                "The visit's own examiner cannot be the second examiner: another clinician examines the patient."
            )
        exam_id = store.add(
            u.conn,
            clinic_id=u.clinic_id(),
            patient_id=p["id"],
            visit_id=visit_id,
            examiner_id=actor.user_id,
            findings=findings,
            category=category,
            category_side=category_side,
            now=u.now,
        )
        u.audit("examination.record", "visit", visit_id, patient_id=p["id"], detail=f"findings={len(findings)}")
        return exam_id


@dataclass
class AgreementReport:
    start: date
    end: date
    visits: int
    items: list[agreement.ItemAgreement]
    names: dict[str, str]


def examiner_agreement(app: App, actor: Actor, *, start: str = "", end: str = "") -> AgreementReport:
    """Kappa per indicator and for the category over the period's signed visits with a second examination."""
    with unit(app, actor, Action.ANALYTICS_READ, "analytics", read=True) as u:
        s, e = parse_period(start, end, u.today())
        rows = store.for_agreement(u.conn, clinic_id=u.clinic_id(), start=s, end=e)
        u.audit("agreement.read", "clinic", u.clinic_id(), detail=f"{s}..{e}")
    visits = [
        [
            agreement.ratings(r["findings"], r["category"], r["side"]),
            *(agreement.ratings(o["findings"], o["category"], o["side"]) for o in r["others"].values()),
        ]
        for r in rows
    ]
    pack = protocol.active(app.settings)
    names = {code: ind.name for code, ind in pack.indicators.items()}
    names[agreement.CATEGORY_ITEM] = "Category (with side)"
    return AgreementReport(s, e, len(rows), agreement.by_item(visits), names)
