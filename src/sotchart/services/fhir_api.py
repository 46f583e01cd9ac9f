"""The read-only FHIR API: read a resource, search a patient's resources by type and date, and
Patient/$everything. Resources come from the same mapper as the export, through the same authorization
and audit as every other surface (reading any of a patient's resources is reading their chart)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound
from sotchart.domain.fhir import mapper
from sotchart.domain.roles import Action
from sotchart.services import protocol
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.services.fhir_export import (
    indicator_and_procedure_names,
    questionnaire_row,
    record_resources,
    visit_resources,
    vocabulary_resources,
)
from sotchart.store import clinics as clinic_store
from sotchart.store import export as store
from sotchart.store import patients as patient_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store

PATIENT_TYPES, SHARED_TYPES = mapper.PATIENT_RECORD_TYPES, mapper.SHARED_TYPES
TYPES = PATIENT_TYPES + SHARED_TYPES
# The id of a patient's resource names the record it comes from: v12 and bp12 are visit 12's, and so on.
VISIT_ID = re.compile(r"^(?:v|bp|hr|pain|cat|note)(\d+)$|^(?:f|dx|pr)(\d+)-[A-Za-z0-9.-]+$")
DATE_PARAM = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class DateFilter:
    op: str
    day: date

    def accepts(self, day: date) -> bool:
        return {
            "eq": day == self.day,
            "ge": day >= self.day,
            "gt": day > self.day,
            "le": day <= self.day,
            "lt": day < self.day,
        }[self.op]


def parse_dates(values: list[str]) -> list[DateFilter]:
    out = []
    for v in values:
        m = DATE_PARAM.match(v)
        if not m:
            raise InvalidInput(
                "The date could not be read.",
                [FieldProblem("date", "Use YYYY-MM-DD, optionally after ge, gt, le, lt or eq (e.g. ge2026-01-01).")],
            )
        out.append(DateFilter(m.group(1) or "eq", date.fromisoformat(m.group(2))))
    return out


def _check_type(kind: str) -> None:
    if kind not in TYPES:
        raise NotFound(f"sotchart serves no {kind} resources. It serves: {', '.join(TYPES)}.")


def _number(text: str, prefix: str) -> int:
    digits = text.removeprefix(prefix)
    if not text.startswith(prefix) or not digits.isdigit():
        raise NotFound(f"No resource with the id '{text}'.")
    return int(digits)


def _patient_resources(app: App, u: Unit, patient_id: int) -> Iterator[mapper.Resource]:
    if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
        raise NotFound("No such patient in this clinic.")
    yield from (r for r in record_resources(u.conn, u.clinic_id(), patient_id, _names(app)) if r is not None)


def _names(app: App) -> dict[str, str]:
    return indicator_and_procedure_names(protocol.active(app.settings))


def _shared(app: App, u: Unit, kind: str) -> list[mapper.Resource]:
    if kind == "Organization":
        clinic = clinic_store.get(u.conn, u.clinic_id())
        return [mapper.organization(clinic)] if clinic else []
    if kind == "Practitioner":
        return [
            mapper.practitioner(s)
            for s in user_store.list_for_clinic(u.conn, u.clinic_id())
            if s["role"] in ("owner", "clinician")
        ]
    return [r for r in vocabulary_resources(protocol.active(app.settings), u.now) if r["resourceType"] == kind]


def _record_of(app: App, u: Unit, kind: str, rid: str) -> tuple[int, Iterable[mapper.Resource]]:
    """The patient a resource id belongs to, and the resources of the one record it comes from (a visit,
    a questionnaire, ...), so reading one resource never builds the whole chart."""
    clinic_id = u.clinic_id()
    if kind == "Patient":
        p = patient_store.get(u.conn, clinic_id, _number(rid, "p"))
        if p is not None:
            return int(p["id"]), [mapper.patient(p)]
    elif m := VISIT_ID.match(rid):
        v = store.visit_with_record(u.conn, clinic_id, int(m.group(1) or m.group(2)))
        if v is not None:
            return int(v["patient_id"]), [r for r in visit_resources(v, _names(app)) if r is not None]
    elif rid.startswith(("qr", "qs")) and rid[2:].isdigit():
        q = store.questionnaire(u.conn, clinic_id, int(rid[2:]))
        if q is not None:
            return int(q["patient_id"]), list(mapper.questionnaire_response(questionnaire_row(q)))
    elif rid.startswith("e") and rid[1:].isdigit():
        e = visit_store.get_episode(u.conn, clinic_id, int(rid[1:]))
        if e is not None:
            return int(e["patient_id"]), [r for r in _patient_resources(app, u, e["patient_id"]) if r["id"] == rid]
    raise NotFound(f"No {kind} with the id '{rid}' in this clinic.")


def read(app: App, actor: Actor, kind: str, rid: str) -> mapper.Resource:
    _check_type(kind)
    if kind in SHARED_TYPES:
        with unit(app, actor, Action.PATIENT_SEARCH, kind, rid, read=True) as u:
            for r in _shared(app, u, kind):
                if r["id"] == rid:
                    return r
        raise NotFound(f"No {kind} with the id '{rid}'.")
    with unit(app, actor, Action.PATIENT_READ, kind, rid, read=True) as u:
        patient_id, resources = _record_of(app, u, kind, rid)
        for r in resources:
            if r["resourceType"] == kind and r["id"] == rid:
                u.audit("fhir.read", kind, rid, patient_id=patient_id)
                return r
    raise NotFound(f"No {kind} with the id '{rid}' in this clinic.")


def _day_of(r: mapper.Resource) -> date | None:
    for value in (
        r.get("effectiveDateTime"),
        (r.get("period") or {}).get("start"),
        r.get("authored"),
        r.get("recordedDate"),
        r.get("performedDateTime"),
        r.get("birthDate") if r["resourceType"] == "Patient" else None,
        ((r.get("context") or {}).get("period") or {}).get("start"),
    ):
        if value:
            return date.fromisoformat(str(value)[:10])
    return None


def search(app: App, actor: Actor, kind: str, *, patient: str, dates: Iterable[str] = ()) -> list[mapper.Resource]:
    """A patient's resources of one type, filtered by date (every filter must hold)."""
    _check_type(kind)
    filters = parse_dates(list(dates))
    if kind in SHARED_TYPES:
        with unit(app, actor, Action.PATIENT_SEARCH, kind, "", read=True) as u:
            return _shared(app, u, kind)
    if not patient:
        raise InvalidInput(
            "Say whose resources to search.",
            [FieldProblem("patient", "Give the patient, as patient=p12 or patient=Patient/p12.")],
        )
    patient_id = _number(patient.removeprefix("Patient/"), "p")
    with unit(app, actor, Action.PATIENT_READ, "patient", patient_id, read=True) as u:
        found = [
            r
            for r in _patient_resources(app, u, patient_id)
            if r["resourceType"] == kind and all((day := _day_of(r)) is not None and f.accepts(day) for f in filters)
        ]
        u.audit("fhir.search", "patient", patient_id, patient_id=patient_id, detail=f"{kind} n={len(found)}")
        return found


def everything(app: App, actor: Actor, patient: str) -> list[mapper.Resource]:
    """Patient/$everything: the patient's whole record, with the clinic and the clinicians it names."""
    patient_id = _number(patient, "p")
    with unit(app, actor, Action.PATIENT_READ, "patient", patient_id, read=True) as u:
        out = list(_patient_resources(app, u, patient_id))
        out += _shared(app, u, "Organization") + _shared(app, u, "Practitioner")
        u.audit("fhir.everything", "patient", patient_id, patient_id=patient_id, detail=f"n={len(out)}")
        return out


def bundle(resources: list[mapper.Resource], base: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }
