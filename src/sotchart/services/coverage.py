"""Registering a patient's insurance at the front desk, and ending it (kept, never deleted)."""

from __future__ import annotations

from typing import Any

from sotchart.domain.coverage import check_coverage
from sotchart.domain.errors import Conflict, NotFound
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import coverage as store
from sotchart.store import patients as patient_store


def add_coverage(app: App, actor: Actor, patient_id: int, data: dict[str, Any]) -> int:
    with unit(app, actor, Action.PATIENT_UPDATE, "coverage") as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        values = check_coverage(data, u.today())
        cid = store.add(
            u.conn, clinic_id=u.clinic_id(), patient_id=patient_id, values=values, actor_id=actor.user_id, now=u.now
        )
        u.audit("coverage.add", "coverage", cid, patient_id=patient_id, detail=f"priority={values['priority']}")
        return cid


def end_coverage(app: App, actor: Actor, patient_id: int, coverage_id: int) -> None:
    with unit(app, actor, Action.PATIENT_UPDATE, "coverage", coverage_id) as u:
        if not any(c["id"] == coverage_id for c in store.of_patient(u.conn, u.clinic_id(), patient_id)):
            raise NotFound("No such insurance on this patient's record.")
        if not store.end(u.conn, clinic_id=u.clinic_id(), coverage_id=coverage_id, actor_id=actor.user_id, now=u.now):
            raise Conflict("This insurance has already ended.")
        u.audit("coverage.end", "coverage", coverage_id, patient_id=patient_id)


def of_patient(app: App, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    with unit(app, actor, Action.PATIENT_READ, "coverage", read=True) as u:
        u.audit("coverage.list", "coverage", "", patient_id=patient_id)
        return store.of_patient(u.conn, u.clinic_id(), patient_id)
