"""The demo clinic's calendar: its rooms and hours, a care plan per patient in care, the plan's visits booked
for the coming weeks, today's patients booked through the day, and a few cancellations and no-shows."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sotchart.domain import care_plans as plan_rules
from sotchart.services.care_plans import series_dates
from sotchart.services.context import Unit
from sotchart.store import appointments as appointment_store
from sotchart.store import care_plans as plan_store
from sotchart.store import clinics as clinic_store

HOURS = {
    "mon": "08:00-18:00",
    "tue": "08:00-18:00",
    "wed": "08:00-18:00",
    "thu": "08:00-19:00",
    "fri": "08:00-17:00",
    "sat": "09:00-12:00",
    "sun": "",
}
ROOMS = ("Room 1", "Room 2", "Room 3 (blocking table)")
CADENCES = ("3 a week for 4 weeks, then 2 a week for 4 weeks", "2 a week for 6 weeks", "1 a week for 8 weeks")
CANCEL_REASONS = ("Patient called: ill", "Work shift changed", "Car trouble", "Childcare fell through")
WEEKS_AHEAD = 3


def slot_time(u: Unit, clinic_id: int, index: int, day: date) -> datetime:
    """Where the index-th patient in care sits in their clinician's day: every half hour from 08:00, each
    patient keeping their own time of day, so a clinician's slots never overlap."""
    zone = u.app.zone(u.conn, clinic_id)
    return datetime.combine(day, time(8), tzinfo=zone) + timedelta(minutes=30 * (index // 2 % 18))


def book_the_calendar(
    u: Unit,
    rng: random.Random,
    clinic_id: int,
    clinician_ids: list[int],
    in_care: list[dict[str, Any]],
    others: list[int],
) -> None:
    """`in_care`: each patient with visits, as {patient_id, episode_id, episode_start, today_visit_id};
    `others`: patients with no visit yet."""
    clinic_store.set_details(
        u.conn,
        clinic_id,
        address="12 Harbour Road, Port Lewis",
        phone="+1 555 0100 2000",
        opening_hours=json.dumps(HOURS),
    )
    now = u.now
    for name in ROOMS:
        appointment_store.add_room(u.conn, clinic_id, name, now)
    types = {t["code"]: t for t in appointment_store.types_of(u.conn, clinic_id)}
    zone = u.app.zone(u.conn, clinic_id)
    today = u.today()
    rows: list[dict[str, Any]] = []

    def slot(day: date, index: int, kind: str) -> tuple[datetime, datetime]:
        start = slot_time(u, clinic_id, index, day)
        return start, start + timedelta(minutes=types[kind]["minutes"])

    for i, p in enumerate(in_care):
        clinician = clinician_ids[i % len(clinician_ids)]
        text = CADENCES[i % len(CADENCES)]
        cadence = plan_rules.check_cadence({"frequency": text, "reexam_every": "12"})
        # The plan started with the episode for short histories, and a few weeks ago for the long one.
        start = max(p["episode_start"], today - timedelta(days=21))
        plan_id = plan_store.create(
            u.conn,
            clinic_id=clinic_id,
            actor_id=clinician,
            now=now,
            values={
                "patient_id": p["patient_id"],
                "episode_id": p["episode_id"],
                "frequency": cadence.say(),
                "reexam_every": cadence.reexam_every,
                "start_date": start,
            },
        )
        done = plan_store.visits_done(
            u.conn, [{"id": plan_id, "episode_id": p["episode_id"], "start_date": start}], today
        )[plan_id]
        for r in p["recent"]:  # the last two weeks' visits came by appointment, and are done
            at, end = slot(r["day"], i, _kind(r["kind"]))
            rows.append(
                _row(p, clinician, types[_kind(r["kind"])], at, end, "done", plan_id, None, visit_id=r["visit_id"])
            )
        if p["today_visit_id"] is not None:  # today's open visit came by appointment
            kind = _kind(p["today_kind"])
            at, end = slot(today, i, kind)
            number = done if done <= cadence.visits else None
            rows.append(
                _row(p, clinician, types[kind], at, end, "arrived", plan_id, number, visit_id=p["today_visit_id"])
            )
        elif slot(today, i, "follow-up")[0] > now:  # still to come today
            kind = "new-patient" if done == 0 else cadence.kind_of(min(done + 1, cadence.visits))
            at, end = slot(today, i, kind)
            rows.append(_row(p, clinician, types[kind], at, end, "booked", plan_id, done + 1))
            done += 1
        numbers = range(done + 1, cadence.visits + 1)
        dates = series_dates(cadence, today + timedelta(days=1), skip=done)
        for number, day in zip(numbers, dates, strict=False):
            if day > today + timedelta(weeks=WEEKS_AHEAD):
                break
            kind = cadence.kind_of(number)
            if day.weekday() >= 5:
                continue  # the rule's weekdays are Monday to Friday; a Saturday never comes up
            at, end = slot(day, i, kind)
            rows.append(_row(p, clinician, types[kind], at, end, "booked", plan_id, number))
    # New patients booked for the coming days, and the day's misses: one cancelled, one who did not come.
    for j, pid in enumerate(others):
        day = today + timedelta(days=1 + j % 10)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        at = datetime.combine(day, time(16), tzinfo=zone)
        rows.append(
            _row(
                {"patient_id": pid, "episode_id": None},
                clinician_ids[j % len(clinician_ids)],
                types["new-patient"],
                at,
                at + timedelta(minutes=types["new-patient"]["minutes"]),
                "booked",
                None,
                None,
            )
        )
    for k, pid in enumerate(others[:4]):
        day = today if k < 2 else today - timedelta(days=2 + k)
        at = datetime.combine(day, time(8), tzinfo=zone) + timedelta(minutes=15 * (k % 2))
        cancelled = k % 2 == 0
        rows.append(
            _row(
                {"patient_id": pid, "episode_id": None},
                clinician_ids[k % len(clinician_ids)],
                types["new-patient"],
                at,
                at + timedelta(minutes=types["new-patient"]["minutes"]),
                "cancelled" if cancelled else "no-show",
                None,
                None,
                reason=rng.choice(CANCEL_REASONS) if cancelled else "",
            )
        )
    appointment_store.create_many(u.conn, clinic_id=clinic_id, rows=rows, actor_id=None, now=now)


def _kind(visit_kind: str | None) -> str:
    """The appointment type a visit of this kind was booked as."""
    return {"new-patient": "new-patient", "re-examination": "re-examination"}.get(visit_kind or "", "follow-up")


def _row(
    p: dict[str, Any],
    clinician: int,
    kind: dict[str, Any],
    at: datetime,
    end: datetime,
    status: str,
    plan_id: int | None,
    number: int | None,
    *,
    visit_id: int | None = None,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "patient_id": p["patient_id"],
        "clinician_id": clinician,
        "type_id": kind["id"],
        "episode_id": p["episode_id"],
        "care_plan_id": plan_id,
        "plan_number": number,
        "starts_at": at,
        "ends_at": end,
        "status": status,
        "status_reason": reason,
        "visit_id": visit_id,
    }
