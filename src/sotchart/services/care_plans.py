"""Setting an episode's care plan, proposing and booking its series of appointments, and placing each
patient in their plan ("visit 7 of 12, re-exam due")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import WEEKLY, rrule, weekday

from sotchart.domain import care_plans as rules
from sotchart.domain.appointments import Caution, NeedsConfirmation, Status
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound
from sotchart.domain.roles import Action
from sotchart.services import appointments, reminders
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import appointments as appointment_store
from sotchart.store import care_plans as store
from sotchart.store import patients as patient_store
from sotchart.store import visits as visit_store

FREQUENCY_KEY = "plan.frequency-duration"  # where the intake (domain/charting.INTAKE_FIELDS) writes the cadence


@dataclass(frozen=True)
class Plan:
    id: int
    patient_id: int
    episode_id: int
    cadence: rules.Cadence
    frequency: str
    start_date: date
    status: str
    version: int
    progress: rules.Progress


def cadence_of(row: dict[str, Any]) -> rules.Cadence:
    """A stored plan's cadence, read from its written frequency and re-exam interval."""
    return rules.Cadence(rules.parse_cadence_text(row["frequency"]), row["reexam_every"])


def _plan(row: dict[str, Any], done: int, booked: int) -> Plan:
    cadence = cadence_of(row)
    return Plan(
        row["id"],
        row["patient_id"],
        row["episode_id"],
        cadence,
        row["frequency"],
        row["start_date"],
        row["status"],
        row["version"],
        rules.progress(cadence, done, booked),
    )


def plans_of(u: Unit, patient_ids: list[int]) -> dict[int, Plan]:
    """Each patient's active plan with where they stand in it, in the caller's transaction."""
    rows = store.active_for_patients(u.conn, u.clinic_id(), patient_ids)
    done = store.visits_done(u.conn, list(rows.values()), u.today())
    booked = store.still_booked(u.conn, [r["id"] for r in rows.values()], u.now)
    return {pid: _plan(r, done[r["id"]], booked.get(r["id"], 0)) for pid, r in rows.items()}


@dataclass(frozen=True)
class Schedule:
    """The chart's view of what is planned: the active care plan and the appointments to come."""

    plan: Plan | None
    upcoming: list[dict[str, Any]]


def schedule(app: App, actor: Actor, patient_id: int) -> Schedule:
    with unit(app, actor, Action.CALENDAR_READ, "appointment", read=True) as u:
        u.audit("appointment.list", "appointment", "", patient_id=patient_id)
        return Schedule(plans_of(u, [patient_id]).get(patient_id), appointments.upcoming(u, patient_id))


def visit_place(app: App, actor: Actor, visit: dict[str, Any]) -> str:
    """Which visit of the patient's care plan this visit is ("visit 7 of 12, re-exam"), for the visit screen;
    empty when the visit is not in the plan's episode or before it started."""
    with unit(app, actor, Action.PATIENT_READ, "care-plan", read=True) as u:
        row = store.active_for_patients(u.conn, u.clinic_id(), [visit["patient_id"]]).get(visit["patient_id"])
        if row is None or row["episode_id"] != visit["episode_id"] or visit["visit_date"] < row["start_date"]:
            return ""
        cadence = cadence_of(row)
        number = store.visits_done(u.conn, [row], visit["visit_date"])[row["id"]]
        return cadence.say_visit(max(number, 1))


def active_plan(app: App, actor: Actor, patient_id: int) -> Plan | None:
    with unit(app, actor, Action.PATIENT_READ, "care-plan", read=True) as u:
        return plans_of(u, [patient_id]).get(patient_id)


def plan_by_id(app: App, actor: Actor, plan_id: int) -> Plan:
    with unit(app, actor, Action.PATIENT_READ, "care-plan", plan_id, read=True) as u:
        row = store.get(u.conn, u.clinic_id(), plan_id)
        if row is None:
            raise NotFound("No such care plan in this clinic.")
        plan = plans_of(u, [row["patient_id"]]).get(row["patient_id"])
        if plan is None or plan.id != plan_id:
            # An ended plan: shown as it was, placed by the visits of its episode.
            done = store.visits_done(u.conn, [row], u.today())[row["id"]]
            plan = _plan(row, done, store.still_booked(u.conn, [row["id"]], u.now).get(row["id"], 0))
        return plan


def written_frequency(app: App, actor: Actor, patient_id: int) -> str:
    """The frequency the latest signed intake wrote down, to start the plan form from."""
    with unit(app, actor, Action.PATIENT_READ, "care-plan", read=True) as u:
        return visit_store.latest_intake_answer(
            u.conn, clinic_id=u.clinic_id(), patient_id=patient_id, key=FREQUENCY_KEY
        )


def set_plan(app: App, actor: Actor, patient_id: int, data: dict[str, Any]) -> Plan:
    """The episode's plan from now on. The plan it had before is ended (kept, never deleted) and its
    appointments still ahead become the new plan's first visits, so changing the cadence books no visit
    twice; the same plan sent again changes nothing. A patient with no episode yet starts one with it."""
    cadence = rules.check_cadence(data)
    with unit(app, actor, Action.CARE_PLAN_WRITE, "care-plan") as u:
        cid = u.clinic_id()
        if patient_store.get(u.conn, cid, patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        try:
            start = date.fromisoformat(str(data.get("start_date") or u.today().isoformat()))
        except ValueError:
            raise InvalidInput(
                "The start date needs fixing.", [FieldProblem("start_date", "Use YYYY-MM-DD.")]
            ) from None
        ep = _episode_for_plan(u, patient_id, data, start)
        if start < ep["start_date"]:
            raise InvalidInput(
                "The plan starts before its episode of care.",
                [FieldProblem("start_date", f"Use {ep['start_date']:%d %b %Y} (the episode's start) or later.")],
            )
        previous = store.active_for_patients(u.conn, cid, [patient_id]).get(patient_id)
        values = {
            "patient_id": patient_id,
            "episode_id": ep["id"],
            "frequency": cadence.say(),
            "reexam_every": cadence.reexam_every,
            "start_date": start,
        }
        if previous is not None and all(previous[k] == v for k, v in values.items()):
            return plans_of(u, [patient_id])[patient_id]  # sent again (a second click, a reload)
        if previous is not None:
            store.update_if_version(
                u.conn,
                clinic_id=cid,
                plan_id=previous["id"],
                expected_version=previous["version"],
                values={"status": "ended"},
                actor_id=actor.user_id,
                now=u.now,
            )
            u.audit("care-plan.end", "care-plan", previous["id"], patient_id=patient_id, detail="a new plan follows")
        pid = store.create(u.conn, clinic_id=cid, values=values, actor_id=actor.user_id, now=u.now)
        moved = []
        if previous is not None:
            done = store.visits_done(u.conn, [{"id": pid, **values}], u.today())[pid]
            ahead = [
                a
                for a in appointment_store.of_plan(u.conn, cid, previous["id"])
                if a["status"] == "booked" and a["starts_at"] >= u.now
            ]
            for n, a in enumerate(ahead, start=done + 1):
                appointment_store.set_plan(u.conn, a["id"], pid, n)
                moved.append(a["id"])
        u.audit(
            "care-plan.set", "care-plan", pid, patient_id=patient_id, detail=f"{cadence.say()} carried={len(moved)}"
        )
        return plans_of(u, [patient_id])[patient_id]


def _episode_for_plan(u: Unit, patient_id: int, data: dict[str, Any], start: date) -> dict[str, Any]:
    """The episode named, or the patient's latest; with none yet, one started for the complaint given."""
    episodes = visit_store.episodes_for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id)
    raw_ep = str(data.get("episode_id") or "")
    if raw_ep:
        ep = next((e for e in episodes if str(e["id"]) == raw_ep), None)
        if ep is None:
            raise InvalidInput(
                "The episode of care is not this patient's.",
                [FieldProblem("episode_id", "Choose one of this patient's episodes.")],
            )
        return ep
    if episodes:
        return episodes[0]
    complaint = str(data.get("complaint") or "").strip()
    if not 1 <= len(complaint) <= 200:
        raise InvalidInput(
            "A care plan belongs to an episode of care; this patient has none yet.",
            [FieldProblem("complaint", "Name the complaint the plan is for (1 to 200 characters).")],
        )
    eid = visit_store.create_episode(
        u.conn,
        clinic_id=u.clinic_id(),
        patient_id=patient_id,
        complaint=complaint,
        start_date=min(start, u.today()),
        actor_id=u.actor.user_id,
        now=u.now,
    )
    u.audit("episode.create", "episode", eid, patient_id=patient_id)
    return visit_store.get_episode(u.conn, u.clinic_id(), eid) or {}


# --- the series ---


@dataclass
class Proposed:
    number: int  # the plan's visit number
    kind: str  # follow-up | re-examination
    starts_at: datetime  # local
    cautions: list[Caution]


def series_dates(cadence: rules.Cadence, start: date, skip: int = 0) -> list[date]:
    """The dates of the plan's visits after the first `skip`, from `start`, phase after phase, each phase on
    its weekdays (spread through the week, domain's SPREAD_DAYS), as RFC 5545 weekly rules."""
    out: list[date] = []
    begin = start
    for phase in cadence.phases:
        skipped = min(skip, phase.visits)
        skip -= skipped
        if skipped == phase.visits:
            continue
        on = rules.SPREAD_DAYS[phase.per_week]
        rule = rrule(
            WEEKLY,
            dtstart=datetime.combine(begin, time(0)),
            byweekday=[weekday(d) for d in on],
            count=phase.visits - skipped,
        )
        dates = [d.date() for d in rule]
        out += dates
        begin = dates[-1] + timedelta(days=1)
    return out


def _plan_row(u: Unit, plan_id: int) -> dict[str, Any]:
    row = store.get(u.conn, u.clinic_id(), plan_id)
    if row is None:
        raise NotFound("No such care plan in this clinic.")
    if row["status"] != "active":
        raise Conflict("This care plan has ended; book from the patient's current plan.")
    return row


def _remaining(u: Unit, row: dict[str, Any]) -> tuple[Plan, list[int]]:
    """The plan, and the numbers of its visits neither done nor booked."""
    plan = plans_of(u, [row["patient_id"]])[row["patient_id"]]
    held = {
        a["plan_number"]
        for a in appointment_store.of_plan(u.conn, u.clinic_id(), row["id"])
        if a["status"] in appointment_store.HOLDING and a["plan_number"] is not None
    }
    start_at = plan.progress.done + 1
    return plan, [n for n in range(start_at, plan.cadence.visits + 1) if n not in held]


def propose_series(app: App, actor: Actor, plan_id: int, data: dict[str, Any]) -> tuple[Plan, list[Proposed]]:
    """The appointments the plan still needs, from a first date and a time of day, on the plan's cadence,
    each with what it would double-book. Writes nothing."""
    with unit(app, actor, Action.CALENDAR_READ, "care-plan", plan_id, read=True) as u:
        row = _plan_row(u, plan_id)
        plan, numbers = _remaining(u, row)
        s = appointments.read_setup(u)
        problems: list[FieldProblem] = []
        try:
            first = date.fromisoformat(str(data.get("first_date") or ""))
            if first < u.today():
                problems.append(FieldProblem("first_date", "Choose today or a later date."))
        except ValueError:
            problems.append(FieldProblem("first_date", "Use YYYY-MM-DD."))
            first = u.today()
        try:
            at = time.fromisoformat(str(data.get("time") or ""))
        except ValueError:
            problems.append(FieldProblem("time", "Enter the time of day, e.g. 09:30."))
            at = time(9)
        clinician = s.clinician(int(data["clinician_id"])) if str(data.get("clinician_id", "")).isdigit() else None
        if clinician is None:
            problems.append(FieldProblem("clinician_id", "Choose a clinician of this clinic."))
        if problems:
            raise InvalidInput("The series needs fixing.", problems)
        assert clinician is not None
        # The visits still to book continue the cadence from where the patient is in it.
        dates = series_dates(plan.cadence, first, skip=numbers[0] - 1) if numbers else []
        out = []
        for number, day in zip(numbers, dates, strict=False):
            kind = plan.cadence.kind_of(number)
            type_row = s.type_by(kind)
            minutes = type_row["minutes"] if type_row else 15
            local = datetime.combine(day, at, tzinfo=s.zone)
            values = {
                "patient_id": row["patient_id"],
                "clinician_id": clinician.id,
                "room_id": None,
                "starts_at": local,
                "ends_at": local + timedelta(minutes=minutes),
            }
            out.append(Proposed(number, kind, local, appointments.cautions_for(u, values)))
        return plan, out


def book_series(app: App, actor: Actor, plan_id: int, data: dict[str, Any]) -> list[int]:
    """Book the proposed series (`starts_at_<number>` for each visit of the plan to book), all in one
    transaction or none; more visits than the plan holds, a time passed, or a clash not confirmed is
    refused with what to fix."""
    with unit(app, actor, Action.APPOINTMENT_WRITE, "care-plan", plan_id) as u:
        row = _plan_row(u, plan_id)
        plan, numbers = _remaining(u, row)
        asked = sorted(
            int(k.removeprefix("starts_at_"))
            for k, v in data.items()
            if k.startswith("starts_at_") and k.removeprefix("starts_at_").isdigit() and v
        )
        if not asked:
            raise InvalidInput("Choose the visits to book.", [FieldProblem("series", "Propose the series first.")])
        beyond = [n for n in asked if n not in numbers]
        if beyond:
            raise InvalidInput(
                f"The plan holds {plan.cadence.visits} visits, and {len(numbers)} are still to book.",
                [FieldProblem("series", f"Visit {beyond[0]} is beyond the plan or already booked; propose again.")],
            )
        ids, all_cautions = [], []
        for number in asked:
            kind = plan.cadence.kind_of(number)
            booking = appointments.check_booking(
                u,
                {
                    "patient_id": row["patient_id"],
                    "clinician_id": data.get("clinician_id"),
                    "type": kind,
                    "starts_at": data[f"starts_at_{number}"],
                    "episode_id": row["episode_id"],
                },
            )
            all_cautions += [Caution(c.code, f"Visit {number}: {c.message}") for c in booking.cautions]
            values = {**booking.values, "status": Status.BOOKED.value, "care_plan_id": plan_id, "plan_number": number}
            ids.append(
                appointment_store.create(
                    u.conn, clinic_id=u.clinic_id(), values=values, actor_id=actor.user_id, now=u.now
                )
            )
            # One message confirms the whole series (on its first visit); each visit has its reminder.
            first = number == asked[0]
            reminders.queue(
                u,
                {"id": ids[-1], "starts_at": values["starts_at"]},
                booking.patient_email,
                confirm="series" if first else None,
            )
        if all_cautions and not appointments.confirmed(data):
            raise NeedsConfirmation(all_cautions)  # the transaction rolls back: nothing is booked
        u.audit(
            "care-plan.book-series",
            "care-plan",
            plan_id,
            patient_id=row["patient_id"],
            detail=f"visits={','.join(map(str, asked))} appointments={','.join(map(str, ids))}",
        )
        return ids
