"""An appointment's life at the front desk (booked → arrived → in a room → with the clinician → done, or
cancelled, or a no-show), its types, the clinic's opening hours and what makes a booking need a second look."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput


class Status(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    IN_ROOM = "in-room"
    WITH_CLINICIAN = "with-clinician"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no-show"


# A patient marked a no-show who walks in late is arrived after all; nothing else goes back.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset({Status.ARRIVED, Status.IN_ROOM, Status.WITH_CLINICIAN, Status.CANCELLED, Status.NO_SHOW}),
    Status.ARRIVED: frozenset({Status.IN_ROOM, Status.WITH_CLINICIAN, Status.DONE, Status.CANCELLED}),
    Status.IN_ROOM: frozenset({Status.WITH_CLINICIAN, Status.DONE}),
    Status.WITH_CLINICIAN: frozenset({Status.DONE}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset({Status.ARRIVED}),
}
# Appointments that hold their slot: a cancelled or missed one frees the clinician and the room.
HOLDS_SLOT = frozenset({Status.BOOKED, Status.ARRIVED, Status.IN_ROOM, Status.WITH_CLINICIAN, Status.DONE})
# What the desk can still change: time, clinician, room.
MOVABLE = frozenset({Status.BOOKED})

STATUS_WORDS = {
    Status.BOOKED: "booked",
    Status.ARRIVED: "arrived",
    Status.IN_ROOM: "in a room",
    Status.WITH_CLINICIAN: "with the clinician",
    Status.DONE: "done",
    Status.CANCELLED: "cancelled",
    Status.NO_SHOW: "no-show",
}
REASON_MAX = 300


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"An appointment that is {STATUS_WORDS[current]} cannot become {STATUS_WORDS[target]}."
            + (" Book a new appointment instead." if current in (Status.CANCELLED, Status.DONE) else "")
        )


@dataclass(frozen=True)
class AppointmentType:
    code: str
    name: str
    minutes: int
    colour: str
    visit_kind: str  # the kind of visit it opens (domain/visits.VISIT_KINDS)


# Each clinic starts with these; it may change their length and colour. Colours pass WCAG AA (4.5:1) under
# white text, so the calendar's labels stay readable.
DEFAULT_TYPES = (
    AppointmentType("new-patient", "New patient", 45, "#1d5f8a", "new-patient"),
    AppointmentType("follow-up", "Follow-up", 15, "#2e6b45", "follow-up"),
    AppointmentType("re-examination", "Re-examination", 30, "#8a5a00", "re-examination"),
    AppointmentType("second-examination", "Second examination", 30, "#6b3f8f", "follow-up"),
)
MINUTES_RANGE = (5, 240)

# --- opening hours ---

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Hours = dict[int, tuple[tuple[time, time], ...]]  # weekday (Monday 0) → the open spans of that day
# Until a clinic sets its own: weekdays 08:00–18:00, closed at the weekend.
DEFAULT_HOURS: Hours = {d: ((time(8), time(18)),) for d in range(5)} | {5: (), 6: ()}


def parse_hours(data: Mapping[str, Any]) -> Hours:
    """Opening hours as stored or as the settings form sends them: per weekday ("mon"…"sun") a text of
    spans such as "08:00-12:00, 14:00-18:00", or empty for closed. InvalidInput names each bad day."""
    out: Hours = {}
    problems: list[FieldProblem] = []
    for i, key in enumerate(WEEKDAYS):
        raw = data.get(key, "")
        text = ", ".join(raw) if isinstance(raw, list) else str(raw or "")
        spans: list[tuple[time, time]] = []
        try:
            for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
                start, _, end = part.partition("-")
                a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
                if b <= a:
                    raise ValueError
                spans.append((a, b))
        except ValueError:
            problems.append(FieldProblem(key, f"{WEEKDAY_NAMES[i]}: write the open hours as 08:00-12:00, 14:00-18:00."))
            continue
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
            problems.append(FieldProblem(key, f"{WEEKDAY_NAMES[i]}: the spans overlap; write each hour once."))
        out[i] = tuple(spans)
    if problems:
        raise InvalidInput("The opening hours need fixing.", problems)
    return out


def hours_text(hours: Hours) -> dict[str, str]:
    """The form's and the database's spelling of opening hours (the inverse of parse_hours)."""
    return {key: ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in hours.get(i, ())) for i, key in enumerate(WEEKDAYS)}


def within_hours(hours: Hours, start: datetime, end: datetime) -> bool:
    """Whether start..end (local wall-clock times of one day) falls inside one open span of its weekday."""
    if end.date() != start.date() and end.time() != time(0):
        return False
    return any(a <= start.time() and (end.time() <= b) for a, b in hours.get(start.weekday(), ()))


# --- what makes a booking need a second look ---


@dataclass(frozen=True)
class Slot:
    """An appointment as the clash check sees it."""

    id: int | None
    patient_id: int
    clinician_id: int
    room_id: int | None
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Caution:
    code: str
    message: str


def clashes(new: Slot, others: Iterable[Slot], names: Mapping[str, str]) -> list[Caution]:
    """Who or what the new slot would double-book: the clinician, the room, or the patient themselves.
    `others` are the slot-holding appointments near it; `names` word the message ("clinician", "room")."""
    out: list[Caution] = []
    for o in others:
        if o.id is not None and o.id == new.id:
            continue
        if not (o.starts_at < new.ends_at and new.starts_at < o.ends_at):
            continue
        at = f"{o.starts_at:%H:%M}–{o.ends_at:%H:%M}"
        if o.clinician_id == new.clinician_id:
            out.append(Caution("double-booked-clinician", f"{names.get('clinician', 'The clinician')} is booked {at}."))
        if new.room_id is not None and o.room_id == new.room_id:
            out.append(Caution("double-booked-room", f"{names.get('room', 'The room')} is taken {at}."))
        if o.patient_id == new.patient_id and o.clinician_id != new.clinician_id:
            out.append(Caution("patient-double-booked", f"The patient has another appointment {at}."))
    return list(dict.fromkeys(out))


def hours_warnings(
    start: datetime, end: datetime, clinic_hours: Hours, clinician_hours: Hours | None, clinician: str
) -> list[Caution]:
    """Outside the clinic's opening hours, or outside the clinician's own (start and end in local time)."""
    out = []
    if not within_hours(clinic_hours, start, end):
        out.append(Caution("outside-clinic-hours", f"{start:%a %d %b %H:%M} is outside the clinic's opening hours."))
    if clinician_hours is not None and not within_hours(clinician_hours, start, end):
        out.append(Caution("outside-clinician-hours", f"{start:%a %d %b %H:%M} is outside {clinician}'s hours."))
    return out


class NeedsConfirmation(Conflict):
    """A booking a person should look at twice (a double booking, out of hours): refused with the reasons
    until it is asked for again with them confirmed; nothing is written until then."""

    def __init__(self, warnings: list[Caution]) -> None:
        super().__init__(
            " ".join(w.message for w in warnings) + " Go ahead only if that is meant.",
            [FieldProblem("starts_at", w.message) for w in warnings],
        )
        self.warnings = warnings
