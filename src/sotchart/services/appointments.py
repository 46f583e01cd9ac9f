"""Booking, moving, cancelling and checking in appointments, and the calendar's day and week."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sotchart.domain import appointments as rules
from sotchart.domain.appointments import Caution, NeedsConfirmation, Slot, Status
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.roles import Action
from sotchart.services import reminders, visits
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import appointments as store
from sotchart.store import clinics as clinic_store
from sotchart.store import patients as patient_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store

NOTE_MAX = 300


@dataclass(frozen=True)
class Clinician:
    id: int
    name: str
    hours: rules.Hours | None  # their own; None: the clinic's


@dataclass(frozen=True)
class Setup:
    """What the calendar and its forms offer: the clinicians, rooms and types, and the opening hours."""

    clinicians: list[Clinician]
    rooms: list[dict[str, Any]]
    types: list[dict[str, Any]]
    hours: rules.Hours
    zone: ZoneInfo

    def clinician(self, clinician_id: int) -> Clinician | None:
        return next((c for c in self.clinicians if c.id == clinician_id), None)

    def next_open_day(self, after: date) -> date:
        """The first day after `after` that the clinic is open (within a week; the day after when never)."""
        for n in range(1, 8):
            if self.hours.get((after + timedelta(days=n)).weekday()):
                return after + timedelta(days=n)
        return after + timedelta(days=1)

    def type_by(self, key: object) -> dict[str, Any] | None:
        return next((t for t in self.types if t["active"] and key in (t["code"], str(t["id"]), t["id"])), None)


def _hours(raw: str | None) -> rules.Hours | None:
    return rules.parse_hours(json.loads(raw)) if raw else None


def read_setup(u: Unit) -> Setup:
    cid = u.clinic_id()
    if ("setup", cid) not in u.seen:
        clinic = clinic_store.get(u.conn, cid) or {}
        staff = user_store.list_for_clinic(u.conn, cid)
        clinicians = [
            Clinician(s["id"], s["display_name"], _hours(s["working_hours"]))
            for s in sorted(staff, key=lambda s: s["display_name"])
            if s["role"] in ("clinician", "owner") and s["disabled_at"] is None
        ]
        u.seen["setup", cid] = Setup(
            clinicians=clinicians,
            rooms=[r for r in store.rooms_of(u.conn, cid) if r["active"]],
            types=store.types_of(u.conn, cid),
            hours=_hours(clinic.get("opening_hours")) or rules.DEFAULT_HOURS,
            zone=u.app.zone(u.conn, cid),
        )
    setup: Setup = u.seen["setup", cid]
    return setup


def setup(app: App, actor: Actor) -> Setup:
    with unit(app, actor, Action.CALENDAR_READ, "appointment", read=True) as u:
        return read_setup(u)


# --- reading a booking from a form or a client ---


def local_moment(raw: str, zone: ZoneInfo, name: str = "starts_at") -> datetime:
    """A wall-clock time at the clinic ("2026-12-04T09:30", from a datetime-local field) as an aware
    moment; a time with its own offset is taken as given."""
    try:
        moment = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput(
            "Choose the appointment's date and time.",
            [FieldProblem(name, "Enter the date and time, e.g. 2026-12-04 09:30.")],
        ) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _number(value: object, name: str, what: str) -> int:
    try:
        n = int(str(value))
        if not 1 <= n <= 2**31 - 1:
            raise ValueError
    except ValueError:
        raise InvalidInput(f"Choose {what}.", [FieldProblem(name, f"Choose {what} from the list.")]) from None
    return n


@dataclass
class Booking:
    """A booking's checked values, and the cautions it would need confirmed."""

    values: dict[str, Any]
    cautions: list[Caution] = field(default_factory=list)
    patient_email: str = ""  # where the confirmation and reminder go, if the clinic sends mail


def check_booking(u: Unit, data: dict[str, Any], *, current: dict[str, Any] | None = None) -> Booking:
    """A new booking (or a move of `current`) as the desk asked for it: each field checked, with what to
    fix beside it; then what it would double-book or where it falls outside the hours."""
    s = read_setup(u)
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    cid = u.clinic_id()

    def field_or_current(name: str) -> Any:
        return data.get(name) if data.get(name) not in (None, "") else (current or {}).get(name)

    patient_id = current["patient_id"] if current else data.get("patient_id")
    email = ""
    if current is None:
        try:
            pid = _number(patient_id, "patient_id", "a patient")
        except InvalidInput as e:
            problems += e.problems
            pid = 0
        found = patient_store.get(u.conn, cid, pid) if pid else None
        if pid and found is None:
            problems.append(FieldProblem("patient_id", "Choose a patient of this clinic."))
        email = str((found or {}).get("email") or "")
        values["patient_id"] = pid
    clinician = None
    try:
        clinician = s.clinician(_number(field_or_current("clinician_id"), "clinician_id", "a clinician"))
        if clinician is None:
            problems.append(FieldProblem("clinician_id", "Choose a clinician of this clinic from the list."))
        else:
            values["clinician_id"] = clinician.id
    except InvalidInput as e:
        problems += e.problems
    kind = s.type_by(current["type_id"] if current and not data.get("type") else data.get("type") or "follow-up")
    if kind is None:
        problems.append(FieldProblem("type", "Choose the kind of appointment from the list."))
    else:
        values["type_id"] = kind["id"]
    room_raw = data.get("room_id", (current or {}).get("room_id"))
    if room_raw not in (None, ""):
        room_id = int(room_raw) if str(room_raw).isdigit() else -1
        if not any(r["id"] == room_id for r in s.rooms):
            problems.append(FieldProblem("room_id", "Choose a room of this clinic, or none."))
        values["room_id"] = room_id
    else:
        values["room_id"] = None
    starts_at = None
    raw_start = data.get("starts_at")
    try:
        starts_at = local_moment(raw_start, s.zone) if raw_start else (current or {}).get("starts_at")
        if starts_at is None:
            raise InvalidInput("", [FieldProblem("starts_at", "Enter the date and time, e.g. 2026-12-04 09:30.")])
        if starts_at < u.now - timedelta(minutes=1) and (current is None or starts_at != current["starts_at"]):
            problems.append(FieldProblem("starts_at", "That time has passed; choose a time from now on."))
    except InvalidInput as e:
        problems += e.problems
    minutes_raw = data.get("minutes")
    minutes = kind["minutes"] if kind else 15
    if current is not None and not data.get("type") and not minutes_raw:
        minutes = int((current["ends_at"] - current["starts_at"]).total_seconds() // 60)
    if minutes_raw not in (None, ""):
        lo, hi = rules.MINUTES_RANGE
        if not str(minutes_raw).isdigit() or not lo <= int(str(minutes_raw)) <= hi:
            problems.append(FieldProblem("minutes", f"Use {lo} to {hi} minutes."))
        else:
            minutes = int(str(minutes_raw))
    note = str(data.get("note", (current or {}).get("note", "")) or "").strip()
    if len(note) > NOTE_MAX:
        problems.append(FieldProblem("note", f"Use at most {NOTE_MAX} characters."))
    values["note"] = note
    if current is None:
        episode_raw = data.get("episode_id")
        if episode_raw not in (None, "") and values.get("patient_id"):
            ep = visit_store.get_episode(u.conn, cid, _number(episode_raw, "episode_id", "an episode of care"))
            if ep is None or ep["patient_id"] != values["patient_id"]:
                problems.append(FieldProblem("episode_id", "Choose one of this patient's episodes."))
            else:
                values["episode_id"] = ep["id"]
        elif values.get("patient_id"):
            eps = visit_store.episodes_for_patient(u.conn, clinic_id=cid, patient_id=values["patient_id"])
            values["episode_id"] = eps[0]["id"] if eps else None
    if problems:
        raise InvalidInput("The appointment needs fixing.", problems)
    assert starts_at is not None and clinician is not None
    values["starts_at"] = starts_at
    values["ends_at"] = starts_at + timedelta(minutes=minutes)
    cautions = cautions_for(u, values, appointment_id=(current or {}).get("id"), current=current)
    return Booking(values, cautions, email)


def cautions_for(
    u: Unit, values: dict[str, Any], *, appointment_id: int | None = None, current: dict[str, Any] | None = None
) -> list[Caution]:
    """What a booking at these values would double-book, and where it is outside the hours."""
    s = read_setup(u)
    start, end = values["starts_at"], values["ends_at"]
    patient_id = int(values.get("patient_id") or (current or {}).get("patient_id") or 0)
    new = Slot(appointment_id, patient_id, values["clinician_id"], values.get("room_id"), start, end)
    # In the clinic's wall-clock time, so a clash names the other booking's time as the calendar shows it.
    others = [
        Slot(
            o["id"],
            o["patient_id"],
            o["clinician_id"],
            o["room_id"],
            o["starts_at"].astimezone(s.zone),
            o["ends_at"].astimezone(s.zone),
        )
        for o in store.near(u.conn, clinic_id=u.clinic_id(), start=start, end=end)
    ]
    clinician = s.clinician(values["clinician_id"])
    room = next((r["name"] for r in s.rooms if r["id"] == values.get("room_id")), "The room")
    names = {"clinician": clinician.name if clinician else "The clinician", "room": room}
    local_start, local_end = start.astimezone(s.zone), end.astimezone(s.zone)
    return rules.clashes(new, others, names) + rules.hours_warnings(
        local_start.replace(tzinfo=None),
        local_end.replace(tzinfo=None),
        s.hours,
        clinician.hours if clinician else None,
        names["clinician"],
    )


def confirmed(data: dict[str, Any]) -> bool:
    """Whether the desk ticked the box that books past the cautions (a form's or a client's spelling)."""
    return data.get("confirm") in (True, "true", "1", "on", "yes")


# --- the desk's actions ---


def book(app: App, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A new appointment; one that double-books or falls outside the hours is refused with the reasons
    (NeedsConfirmation) until asked for again with `confirm`."""
    with unit(app, actor, Action.APPOINTMENT_WRITE, "appointment") as u:
        booking = check_booking(u, data)
        if booking.cautions and not confirmed(data):
            raise NeedsConfirmation(booking.cautions)
        aid = store.create(
            u.conn,
            clinic_id=u.clinic_id(),
            values={**booking.values, "status": Status.BOOKED.value},
            actor_id=actor.user_id,
            now=u.now,
        )
        u.audit(
            "appointment.book",
            "appointment",
            aid,
            patient_id=booking.values["patient_id"],
            detail=_said(booking)
            + (" confirmed: " + ",".join(c.code for c in booking.cautions) if booking.cautions else ""),
        )
        reminders.queue(u, {"id": aid, "starts_at": booking.values["starts_at"]}, booking.patient_email)
        return _get(u, aid)


def _said(booking: Booking) -> str:
    v = booking.values
    return f"at={v['starts_at'].isoformat()} clinician={v['clinician_id']} room={v.get('room_id') or ''}"


def _get(u: Unit, appointment_id: int) -> dict[str, Any]:
    row = store.get(u.conn, u.clinic_id(), appointment_id)
    if row is None:
        raise NotFound("No such appointment in this clinic.")
    row["shown_status"] = shown_status(row)
    return row


def shown_status(row: dict[str, Any]) -> Status:
    """Where the appointment stands for Today: its own status, moved on by its visit (a visit opened is the
    patient with the clinician; its note signed, done)."""
    status = Status(row["status"])
    if status in (Status.CANCELLED, Status.NO_SHOW, Status.DONE):
        return status
    if row.get("visit_status") in ("signed", "amended"):
        return Status.DONE
    if row.get("visit_status") == "draft":
        return Status.WITH_CLINICIAN
    return status


def get_appointment(app: App, actor: Actor, appointment_id: int) -> dict[str, Any]:
    with unit(app, actor, Action.CALENDAR_READ, "appointment", appointment_id, read=True) as u:
        row = _get(u, appointment_id)
        u.audit("appointment.read", "appointment", appointment_id, patient_id=row["patient_id"])
        return row


def _change(u: Unit, row: dict[str, Any], values: dict[str, Any], if_match: int | None) -> None:
    if if_match is not None and if_match != row["version"]:
        raise StaleVersion("This appointment was changed by someone else. Reload it and try again.")
    if not store.update_if_version(
        u.conn,
        clinic_id=u.clinic_id(),
        appointment_id=row["id"],
        expected_version=row["version"],
        values=values,
        actor_id=u.actor.user_id,
        now=u.now,
    ):
        raise StaleVersion("This appointment was changed by someone else at the same moment. Reload it and try again.")


def move(app: App, actor: Actor, appointment_id: int, data: dict[str, Any], if_match: int | None) -> dict[str, Any]:
    """Another time, clinician or room for a booked appointment, checked as a new booking is."""
    with unit(app, actor, Action.APPOINTMENT_WRITE, "appointment", appointment_id) as u:
        row = _get(u, appointment_id)
        if Status(row["status"]) not in rules.MOVABLE:
            raise Conflict(
                f"This appointment is {rules.STATUS_WORDS[Status(row['status'])]}; only a booked one can be moved. "
                "Book a new appointment instead."
            )
        booking = check_booking(u, data, current=row)
        if booking.cautions and not confirmed(data):
            raise NeedsConfirmation(booking.cautions)
        changed = {k: booking.values[k] for k in ("clinician_id", "room_id", "type_id", "starts_at", "ends_at", "note")}
        _change(u, row, changed, if_match)
        u.audit(
            "appointment.move",
            "appointment",
            appointment_id,
            patient_id=row["patient_id"],
            detail=f"from={row['starts_at'].isoformat()} clinician={row['clinician_id']} to " + _said(booking),
        )
        if booking.values["starts_at"] != row["starts_at"]:
            reminders.moved(u, appointment_id, booking.values["starts_at"])
        return _get(u, appointment_id)


def set_status(
    app: App,
    actor: Actor,
    appointment_id: int,
    target: str,
    *,
    reason: str = "",
    room_id: str = "",
    if_match: int | None = None,
) -> dict[str, Any]:
    """Check in, to a room, done, cancelled (with its reason) or a no-show, as the table of the domain allows."""
    try:
        to = Status(target)
    except ValueError:
        raise InvalidInput("Choose what happened.", [FieldProblem("status", "Choose from the buttons.")]) from None
    reason = reason.strip()
    if to == Status.CANCELLED and not 1 <= len(reason) <= rules.REASON_MAX:
        raise InvalidInput(
            "Say why the appointment is cancelled.",
            [
                FieldProblem(
                    "reason", f"Give a reason of 1 to {rules.REASON_MAX} characters (e.g. patient called: ill)."
                )
            ],
        )
    with unit(app, actor, Action.APPOINTMENT_WRITE, "appointment", appointment_id) as u:
        row = _get(u, appointment_id)
        rules.check_transition(Status(row["status"]), to)
        values: dict[str, Any] = {"status": to.value}
        if to == Status.CANCELLED:
            values["status_reason"] = reason
        if to == Status.ARRIVED:
            values["arrived_at"] = u.now
        if to == Status.NO_SHOW and row["starts_at"] > u.now:
            at = row["starts_at"].astimezone(read_setup(u).zone)
            raise Conflict(f"The patient is not late yet: mark a no-show once {at:%H:%M} has passed.")
        if to in (Status.NO_SHOW, Status.ARRIVED, Status.IN_ROOM, Status.WITH_CLINICIAN, Status.DONE):
            day = row["starts_at"].astimezone(read_setup(u).zone).date()
            if day != u.today():
                raise Conflict(
                    f"This appointment is on {day:%a %d %b %Y}; it can be checked in or marked on its day only."
                )
        if to == Status.IN_ROOM and room_id:
            if not any(str(r["id"]) == room_id for r in read_setup(u).rooms):
                raise InvalidInput("Choose a room of this clinic.", [FieldProblem("room_id", "Choose from the list.")])
            values["room_id"] = int(room_id)
        _change(u, row, values, if_match)
        if to in (Status.CANCELLED, Status.NO_SHOW):
            reminders.called_off(u, appointment_id)
        u.audit(f"appointment.{to.value}", "appointment", appointment_id, patient_id=row["patient_id"], detail=reason)
        return _get(u, appointment_id)


def open_visit(app: App, actor: Actor, appointment_id: int) -> int:
    """The visit of this appointment, opened on its day with the appointment's episode, complaint and kind;
    the visit already opened for it, or the patient's visit of that day, when there is one."""
    with unit(app, actor, Action.VISIT_CREATE, "appointment", appointment_id) as u:
        row = _get(u, appointment_id)
        if row["visit_id"] is not None:
            return int(row["visit_id"])
        status = Status(row["status"])
        if status in (Status.CANCELLED, Status.NO_SHOW):
            raise Conflict(
                f"This appointment is {rules.STATUS_WORDS[status]}. Mark the patient arrived first if they came."
            )
        day = row["starts_at"].astimezone(read_setup(u).zone).date()
        if day != u.today():
            raise Conflict(f"This appointment is on {day:%a %d %b %Y}; its visit opens on that day.")
        data: dict[str, Any] = {"kind": row["visit_kind"], "visit_date": day.isoformat()}
        if row["episode_id"] is not None:
            data["episode_id"] = row["episode_id"]
        try:
            visit_id = visits.create_in(u, row["patient_id"], data, clinician_id=row["clinician_id"]).id
        except visits.VisitExists as e:
            # The patient's visit of the day (a walk-in opened before the appointment) is this appointment's,
            # unless another appointment of theirs today already has it: then this one has its own visit.
            if store.with_visit(u.conn, u.clinic_id(), e.visit_id) is None:
                visit_id = e.visit_id
            else:
                data["second_visit_today"] = True
                visit_id = visits.create_in(u, row["patient_id"], data, clinician_id=row["clinician_id"]).id
        _change(u, row, {"visit_id": visit_id, "status": Status.WITH_CLINICIAN.value}, None)
        u.audit(
            "appointment.visit", "appointment", appointment_id, patient_id=row["patient_id"], detail=f"visit={visit_id}"
        )
        return visit_id


# --- the calendar ---


@dataclass
class Calendar:
    start: date
    days: int
    setup: Setup
    appointments: list[dict[str, Any]]

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def on(self, day: date, clinician_id: int | None = None) -> list[dict[str, Any]]:
        return [
            a
            for a in self.appointments
            if a["local_start"].date() == day and (clinician_id is None or a["clinician_id"] == clinician_id)
        ]


def calendar(
    app: App, actor: Actor, start: date, days: int, clinician_ids: list[int] | None = None, *, audit_names: bool = True
) -> Calendar:
    """The appointments of `days` days from `start` (local days of the clinic), each with its local times."""
    with unit(app, actor, Action.CALENDAR_READ, "appointment", read=True) as u:
        s = read_setup(u)
        begin = datetime.combine(start, time(0), tzinfo=s.zone)
        end = datetime.combine(start + timedelta(days=days), time(0), tzinfo=s.zone)
        rows = store.between(u.conn, clinic_id=u.clinic_id(), start=begin, end=end, clinician_ids=clinician_ids)
        _shown_locally(rows, s.zone)
        u.audit("appointment.calendar", "appointment", "", detail=f"from={start} days={days} shown={len(rows)}")
        if audit_names:
            u.audit_shown("patient.listed", (int(r["patient_id"]) for r in rows), detail="calendar")
        return Calendar(start, days, s, rows)


@dataclass
class Cell:
    """One clinician's day in the week: how many hold their slot, how many were cancelled or missed, and
    the first start and last end of those that hold."""

    held: int = 0
    missed: int = 0
    first: datetime | None = None
    last: datetime | None = None


@dataclass
class Week:
    start: date
    setup: Setup
    cells: dict[tuple[int, date], Cell]

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(7)]

    def cell(self, clinician_id: int, day: date) -> Cell:
        return self.cells.get((clinician_id, day)) or Cell()

    @property
    def held(self) -> int:
        return sum(c.held for c in self.cells.values())


def week(app: App, actor: Actor, start: date, clinician_ids: list[int] | None = None) -> Week:
    """The week's counts per clinician and day (no patient named, so none is listed in the audit trail)."""
    with unit(app, actor, Action.CALENDAR_READ, "appointment", read=True) as u:
        s = read_setup(u)
        begin = datetime.combine(start, time(0), tzinfo=s.zone)
        end = datetime.combine(start + timedelta(days=7), time(0), tzinfo=s.zone)
        cells: dict[tuple[int, date], Cell] = {}
        for clinician_id, starts_at, ends_at, status in store.slots_between(
            u.conn, clinic_id=u.clinic_id(), start=begin, end=end, clinician_ids=clinician_ids
        ):
            local_start, local_end = starts_at.astimezone(s.zone), ends_at.astimezone(s.zone)
            c = cells.setdefault((clinician_id, local_start.date()), Cell())
            if Status(status) in rules.HOLDS_SLOT:
                c.held += 1
                c.first = min(c.first or local_start, local_start)
                c.last = max(c.last or local_end, local_end)
            else:
                c.missed += 1
        u.audit(
            "appointment.week", "appointment", "", detail=f"from={start} held={sum(c.held for c in cells.values())}"
        )
        return Week(start, s, cells)


def upcoming(u: Unit, patient_id: int) -> list[dict[str, Any]]:
    """The patient's appointments from today on, in the caller's transaction."""
    s = read_setup(u)
    begin = datetime.combine(u.today(), time(0), tzinfo=s.zone)
    rows = store.between(
        u.conn, clinic_id=u.clinic_id(), start=begin, end=begin + timedelta(days=400), patient_id=patient_id
    )
    return _shown_locally(rows, s.zone)


def _shown_locally(rows: list[dict[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each appointment with its times at the clinic and where it stands, as pages show it."""
    for r in rows:
        r["local_start"] = r["starts_at"].astimezone(zone)
        r["local_end"] = r["ends_at"].astimezone(zone)
        r["shown_status"] = shown_status(r)
    return rows
