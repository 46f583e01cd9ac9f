"""Opening, editing, signing and withdrawing visits, and episodes of care."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.roles import Action
from sotchart.domain.visits import REASON_MAX, VISIT_KINDS, VisitStatus, check_transition, is_editable
from sotchart.services import charting
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import patients as patient_store
from sotchart.store import visits as visit_store


@dataclass(frozen=True)
class Visit:
    id: int
    patient_id: int
    episode_id: int | None
    visit_date: date
    kind: str
    status: str
    complaint: str
    note: str
    status_reason: str
    signed_at: datetime | None
    signed_by: int | None
    version: int
    revision: int
    created_at: datetime
    created_by: int | None
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "patient_id": self.patient_id,
            "episode_id": self.episode_id,
            "visit_date": self.visit_date.isoformat(),
            "kind": self.kind,
            "status": self.status,
            "complaint": self.complaint,
            "note": self.note,
            "status_reason": self.status_reason,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "signed_by": self.signed_by,
            "version": self.version,
            "revision": self.revision,
            "record": f"/api/v1/visits/{self.id}/record",
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "updated_at": self.updated_at.isoformat(),
        }


def as_visit(row: dict[str, Any]) -> Visit:
    """The visit as every route shows it; its record's routes add the clinical record to it."""
    return Visit(**{k: row[k] for k in Visit.__dataclass_fields__})


def check_fields(data: dict[str, Any], today: date, partial: bool) -> dict[str, Any]:
    """A visit's details as the desk gives them (date, kind, complaint), or InvalidInput naming each field;
    an imported visit's pass the same."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    if "visit_date" in data or not partial:
        raw = str(data.get("visit_date") or today.isoformat())
        try:
            d = date.fromisoformat(raw)
            if d > today:  # the clinic's today: its own time zone
                problems.append(FieldProblem("visit_date", "The visit date is in the future; use today or earlier."))
            elif d < today - timedelta(days=365 * 100):
                problems.append(FieldProblem("visit_date", "The visit date is too far in the past; check the year."))
            values["visit_date"] = d
        except ValueError:
            problems.append(FieldProblem("visit_date", "Enter the date as YYYY-MM-DD."))
    if "kind" in data or not partial:
        kind = data.get("kind") or "follow-up"
        if kind not in VISIT_KINDS:
            problems.append(FieldProblem("kind", f"Choose one of: {', '.join(VISIT_KINDS)}."))
        values["kind"] = kind
    if data.get("note"):
        # One visit model: the note is a part of the visit's record, written and signed there, so the
        # details routes cannot hold a second note beside it.
        problems.append(
            FieldProblem(
                "note",
                "Write the note in the visit's record: PUT /api/v1/visits/{id}/record with note.S, O, A and P.",
            )
        )
    if "complaint" in data:
        complaint = data["complaint"]
        if not isinstance(complaint, str):
            problems.append(FieldProblem("complaint", "Enter text."))
        elif len(complaint) > 500:
            problems.append(FieldProblem("complaint", "Use at most 500 characters."))
        else:
            values["complaint"] = complaint
    if problems:
        raise InvalidInput("Some entries need fixing.", problems)
    return values


class VisitExists(Conflict):
    """The patient already has a visit that day: a second click of Start visit opens it instead."""

    def __init__(self, detail: str, visit_id: int) -> None:
        super().__init__(detail)
        self.visit_id = visit_id


def create_visit(app: App, actor: Actor, patient_id: int, data: dict[str, Any]) -> Visit:
    """A visit of the patient, in the episode of care it belongs to (the patient's latest when none is
    named, so it counts in outcomes), with its complaint. A second visit on one day must be asked for."""
    with unit(app, actor, Action.VISIT_CREATE, "visit") as u:
        return create_in(u, patient_id, data)


def create_in(u: Unit, patient_id: int, data: dict[str, Any], *, clinician_id: int | None = None) -> Visit:
    """create_visit's work inside a caller's transaction (opening an appointment's visit); the visit is the
    acting clinician's unless the appointment names another."""
    actor = u.actor
    if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
        raise NotFound("No such patient in this clinic.")
    values = check_fields(data, u.today(), partial=False)
    existing = visit_store.on_day(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id, day=values["visit_date"])
    if existing is not None and data.get("second_visit_today") not in (True, "true", "1"):
        raise VisitExists(
            f"This patient already has a visit on {values['visit_date']:%d %b %Y} ({existing['status']}). "
            "Open it, or ask for a second visit that day.",
            existing["id"],
        )
    episode_id = data.get("episode_id")
    if episode_id == "new":
        # A new complaint starts its episode of care with this visit, in the same transaction.
        complaint = str(values.get("complaint") or "").strip()
        if not complaint or len(complaint) > 200:
            raise InvalidInput(
                "Name the complaint of the new episode of care.",
                [FieldProblem("complaint", "Name the complaint (1 to 200 characters).")],
            )
        episode_id = visit_store.create_episode(
            u.conn,
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            complaint=complaint,
            start_date=values["visit_date"],
            actor_id=actor.user_id,
            now=u.now,
        )
        u.audit("episode.create", "episode", episode_id, patient_id=patient_id)
    ep: dict[str, Any] | None = None
    if episode_id in (None, ""):
        episodes = visit_store.episodes_for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id)
        ep = episodes[0] if episodes else None
        episode_id = ep["id"] if ep else None
        if ep and not values.get("complaint"):
            values["complaint"] = ep["complaint"]
    if episode_id not in (None, ""):
        if ep is None:  # named by the caller (or made just now): read it, and check it is this patient's
            ep = visit_store.get_episode(u.conn, u.clinic_id(), _whole(episode_id, "episode_id"))
        if ep is None or ep["patient_id"] != patient_id:
            raise InvalidInput(
                "The episode of care is not this patient's.",
                [FieldProblem("episode_id", "Choose one of this patient's episodes.")],
            )
        values["episode_id"] = ep["id"]
        if not str(values.get("complaint") or "").strip():
            values["complaint"] = ep["complaint"]  # a visit of an episode is about its complaint
    values["clinician_id"] = clinician_id or actor.user_id
    row = visit_store.create(
        u.conn, clinic_id=u.clinic_id(), patient_id=patient_id, values=values, actor_id=actor.user_id, now=u.now
    )
    u.audit("visit.create", "visit", row["id"], patient_id=patient_id)
    return as_visit(row)


def _whole(value: Any, name: str) -> int:
    """A record's number as a form or a client sent it; one past what the database holds is refused here,
    not by the database (an episode_id of 2^63 once answered 500)."""
    try:
        number = int(value)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"{name} must be a number.", [FieldProblem(name, "Choose one from the list.")]) from err
    if not 1 <= number <= 2**31 - 1:
        raise InvalidInput(f"There is no such {name}.", [FieldProblem(name, "Choose one from the list.")])
    return number


def get_visit(app: App, actor: Actor, visit_id: int) -> Visit:
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        row = visit_store.get(u.conn, u.clinic_id(), visit_id)
        if row is None:
            raise NotFound("No such visit in this clinic.")
        u.audit("visit.read", "visit", visit_id, patient_id=row["patient_id"])
        return as_visit(row)


def _load_for_change(u: Any, visit_id: int, if_match: int | None) -> dict[str, Any]:
    row = visit_store.get(u.conn, u.clinic_id(), visit_id)
    if row is None:
        raise NotFound("No such visit in this clinic.")
    charting.check_version(row, if_match, "nothing of yours was saved yet")
    return row


def update_visit(app: App, actor: Actor, visit_id: int, data: dict[str, Any], if_match: int | None) -> Visit:
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id) as u:
        row = _load_for_change(u, visit_id, if_match)
        if not is_editable(VisitStatus(row["status"])):
            raise Conflict("This note is signed and locked. Record an amendment to change it.")
        values = check_fields(data, u.today(), partial=True)
        if not visit_store.update_if_version(
            u.conn,
            clinic_id=u.clinic_id(),
            visit_id=visit_id,
            expected_version=row["version"],
            values=values,
            actor_id=actor.user_id,
            now=u.now,
        ):
            raise StaleVersion("This visit was changed by someone else while you saved. Reload and try again.")
        u.audit(
            "visit.update", "visit", visit_id, patient_id=row["patient_id"], detail="fields=" + ",".join(sorted(values))
        )
        return as_visit(visit_store.get(u.conn, u.clinic_id(), visit_id) or {})


def sign_visit(app: App, actor: Actor, visit_id: int, if_match: int | None) -> Visit:
    """Sign through the visit's record, with the same writer and checks as the visit screen: a visit with
    nothing charted (no vitals, no safety screen, no findings) is refused with what it needs."""
    record = charting.sign(app, actor, visit_id, None, expected_version=if_match)
    return as_visit(record.visit)


def mark_entered_in_error(app: App, actor: Actor, visit_id: int, reason: str, if_match: int | None) -> Visit:
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            "Say why this visit was entered in error.",
            [FieldProblem("reason", f"Give a reason of 1 to {REASON_MAX} characters.")],
        )
    with unit(app, actor, Action.VISIT_MARK_IN_ERROR, "visit", visit_id) as u:
        row = _load_for_change(u, visit_id, if_match)
        check_transition(VisitStatus(row["status"]), VisitStatus.ENTERED_IN_ERROR)
        if not visit_store.update_if_version(
            u.conn,
            clinic_id=u.clinic_id(),
            visit_id=visit_id,
            expected_version=row["version"],
            values={"status": "entered-in-error", "status_reason": reason},
            actor_id=actor.user_id,
            now=u.now,
        ):
            raise StaleVersion("This visit was changed by someone else at the same moment. Reload and try again.")
        u.audit("visit.entered-in-error", "visit", visit_id, patient_id=row["patient_id"])
        return as_visit(visit_store.get(u.conn, u.clinic_id(), visit_id) or {})


def start_episode(app: App, actor: Actor, patient_id: int, complaint: str, start: str = "") -> int:
    complaint = complaint.strip()
    problems = []
    if not complaint or len(complaint) > 200:
        problems.append(FieldProblem("complaint", "Name the complaint (1 to 200 characters)."))
    try:
        start_date = date.fromisoformat(start) if start else None
    except ValueError:
        problems.append(FieldProblem("start_date", "Use YYYY-MM-DD."))
        start_date = None
    if problems:
        raise InvalidInput("The episode of care needs fixing.", problems)
    with unit(app, actor, Action.EPISODE_WRITE, "episode") as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        if start_date and start_date > u.today():
            raise InvalidInput(
                "The episode starts in the future.", [FieldProblem("start_date", "Use today or an earlier date.")]
            )
        eid = visit_store.create_episode(
            u.conn,
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            complaint=complaint,
            start_date=start_date or u.today(),
            actor_id=actor.user_id,
            now=u.now,
        )
        u.audit("episode.create", "episode", eid, patient_id=patient_id)
        return eid
