"""Today: who is booked, arrived, in a room, with the clinician, done or missed, from the calendar, with
the walk-ins whose visit was opened without an appointment, and notes left unsigned too long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sotchart.domain.appointments import STATUS_WORDS, Status
from sotchart.domain.roles import Action, allows
from sotchart.services import appointments, care_plans
from sotchart.services.context import Actor, App, unit
from sotchart.store import appointments as appointment_store
from sotchart.store import kiosk as kiosk_store
from sotchart.store import visits as visit_store

OVERDUE_HOURS = 72
VISIT_STAGES = {
    "draft": "with the clinician",
    "signed": "note signed",
    "amended": "note signed (amended)",
    "entered-in-error": "entered in error",
}


@dataclass
class Day:
    day: date
    entries: list[dict[str, Any]]  # appointments and walk-in visits, in time order
    overdue: list[dict[str, Any]]
    zone: str = "UTC"  # the clinic's, in which its times are shown

    @property
    def visits(self) -> list[dict[str, Any]]:
        """The day's visits (opened from an appointment or not)."""
        return [e for e in self.entries if e.get("visit_id")]

    def count(self, *stages: str) -> int:
        return sum(1 for e in self.entries if e["status_code"] in stages)


def _plan_text(plan: care_plans.Plan | None, a: dict[str, Any], v: dict[str, Any] | None) -> str:
    """Which visit of the plan this appointment is: the number it was booked as, or else the next one (the
    one under way when its visit is open today, since that visit already counts as done)."""
    if plan is None:
        return ""
    number = a["plan_number"] if a["care_plan_id"] == plan.id and a["plan_number"] else None
    if number is None:
        number = plan.progress.done if v is not None else plan.progress.done + 1
    return plan.cadence.say_visit(max(number, 1))


TABLET_WORDS = {"code": "tablet code shown", "tablet": "on the tablet", "answers": "tablet answers in"}


def the_day(app: App, actor: Actor, clinician_id: int | None = None) -> Day:
    """The clinic's day, or one clinician's (their appointments and the visits they opened)."""
    with unit(app, actor, Action.PATIENT_SEARCH, "visit", read=True) as u:
        day = u.today()
        zone = app.zone(u.conn, actor.clinic_id)
        visits = {r["id"]: r for r in visit_store.day_list(u.conn, clinic_id=u.clinic_id(), day=day)}
        booked: list[dict[str, Any]] = []
        if allows(actor.role, Action.CALENDAR_READ):
            begin, end = u.day_bounds(day)
            booked = appointment_store.between(
                u.conn,
                clinic_id=u.clinic_id(),
                start=begin,
                end=end,
                clinician_ids=[clinician_id] if clinician_id is not None else None,
            )
        plans = care_plans.plans_of(u, list({int(a["patient_id"]) for a in booked}))
        entries = []
        for a in booked:
            status = appointments.shown_status(a)
            v = visits.pop(a["visit_id"], None) if a["visit_id"] else None
            plan = plans.get(a["patient_id"])
            entries.append(
                {
                    "at": a["starts_at"].astimezone(zone),
                    "id": a["visit_id"],  # the visit's, when one was opened
                    "appointment_id": a["id"],
                    "appointment_version": a["version"],
                    "visit_id": a["visit_id"],
                    "patient_id": a["patient_id"],
                    "family_name": a["family_name"],
                    "given_name": a["given_name"],
                    "chart_number": a["chart_number"],
                    "kind": a["type_name"],
                    "type_code": a["type_code"],
                    "status_code": status.value,
                    "stage": (VISIT_STAGES[v["status"]] if v and status != Status.DONE else STATUS_WORDS[status])
                    + (f" ({a['room_name']})" if status == Status.IN_ROOM and a["room_name"] else ""),
                    "reason": a["status_reason"],
                    "safety_action": v["safety_action"] if v else None,
                    "category": v["category"] if v else None,
                    "category_side": v["category_side"] if v else None,
                    "clinician_id": a["clinician_id"],
                    "clinician_name": a["clinician_name"],
                    "plan": _plan_text(plan, a, v),
                    "reexam_due": bool(plan and "re-exam" in _plan_text(plan, a, v)),
                }
            )
        for v in visits.values():  # walk-ins: a visit opened without an appointment
            if clinician_id is not None and v["clinician_id"] != clinician_id:
                continue
            entries.append(
                {
                    "at": v["created_at"].astimezone(zone),
                    "id": v["id"],
                    "appointment_id": None,
                    "visit_id": v["id"],
                    "patient_id": v["patient_id"],
                    "family_name": v["family_name"],
                    "given_name": v["given_name"],
                    "chart_number": v["chart_number"],
                    "kind": v["kind"],
                    "type_code": v["kind"],
                    "status_code": "done" if v["status"] in ("signed", "amended") else "with-clinician",
                    "stage": VISIT_STAGES[v["status"]]
                    if v["safety_action"] is not None or v["status"] != "draft"
                    else "arrived",
                    "reason": "",
                    "safety_action": v["safety_action"],
                    "category": v["category"],
                    "category_side": v["category_side"],
                    "clinician_id": v["clinician_id"],
                    "clinician_name": v["clinician_name"],
                    "plan": "",
                    "reexam_due": False,
                }
            )
        entries.sort(key=lambda e: e["at"])
        # Where each patient's tablet stands: a code shown, being filled in, or answers waiting for review.
        ids = list({int(e["patient_id"]) for e in entries})
        tablets = kiosk_store.live_of_patients(u.conn, u.clinic_id(), ids, u.now)
        for pid in kiosk_store.waiting_of_patients(u.conn, u.clinic_id(), ids, u.day_bounds(day)[0]):
            tablets.setdefault(pid, "answers")
        for e in entries:
            e["tablet"] = TABLET_WORDS.get(tablets.get(int(e["patient_id"]), ""), "")
        overdue = visit_store.unsigned_before(
            u.conn, clinic_id=u.clinic_id(), before=u.now - timedelta(hours=OVERDUE_HOURS)
        )
        u.audit(
            "visit.day-list",
            "visit",
            "",
            detail=f"appointments={len(booked)} visits={len(entries) - len(booked)} overdue={len(overdue)}",
        )
        u.audit_shown("patient.listed", (int(r["patient_id"]) for r in [*entries, *overdue]), detail="Today's list")
        return Day(day, entries, overdue, str(zone))
