"""The clinic's own settings, for its owner: address, phone, time zone, opening hours and rooms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sotchart.domain import appointments as rules
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import appointments as appointment_store
from sotchart.store import clinics as clinic_store
from sotchart.store import reminders as reminder_store

ROOM_NAME_MAX = 60


@dataclass(frozen=True)
class ClinicSettings:
    name: str
    address: str
    phone: str
    time_zone: str
    hours: dict[str, str]  # weekday key → "08:00-12:00, 14:00-18:00"
    rooms: list[dict[str, Any]]
    mail: dict[str, Any] | None  # without the password


def read(app: App, actor: Actor) -> ClinicSettings:
    with unit(app, actor, Action.CLINIC_SETTINGS, "clinic", read=True) as u:
        c = clinic_store.get(u.conn, u.clinic_id()) or {}
        hours = rules.parse_hours(json.loads(c["opening_hours"])) if c.get("opening_hours") else rules.DEFAULT_HOURS
        mail = reminder_store.mail_of(u.conn, u.clinic_id())
        if mail is not None:
            mail = {k: v for k, v in mail.items() if k != "password"} | {"has_password": bool(mail["password"])}
        return ClinicSettings(
            name=c.get("name", ""),
            address=c.get("address", ""),
            phone=c.get("phone", ""),
            time_zone=c.get("time_zone") or app.settings.time_zone,
            hours=rules.hours_text(hours),
            rooms=appointment_store.rooms_of(u.conn, u.clinic_id()),
            mail=mail,
        )


def save_details(app: App, actor: Actor, data: dict[str, Any]) -> None:
    """Address, phone, time zone and opening hours, checked together: nothing is saved if one is wrong."""
    problems: list[FieldProblem] = []
    address, phone = str(data.get("address", "")).strip(), str(data.get("phone", "")).strip()
    if len(address) > 500:
        problems.append(FieldProblem("address", "Use at most 500 characters."))
    if len(phone) > 30:
        problems.append(FieldProblem("phone", "Use at most 30 characters."))
    zone = str(data.get("time_zone", "")).strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(FieldProblem("time_zone", "Use an IANA time zone such as America/Chicago."))
    try:
        hours = rules.parse_hours({k: data.get(k, "") for k in rules.WEEKDAYS})
    except InvalidInput as e:
        problems += e.problems
        hours = {}
    if problems:
        raise InvalidInput("Some settings need fixing; nothing was saved.", problems)
    with unit(app, actor, Action.CLINIC_SETTINGS, "clinic") as u:
        clinic_store.set_details(
            u.conn,
            u.clinic_id(),
            address=address,
            phone=phone,
            time_zone=zone,
            opening_hours=json.dumps(rules.hours_text(hours)),
        )
        u.audit("clinic.settings", "clinic", u.clinic_id(), detail=f"time_zone={zone}")
    app.zone_changed(actor.clinic_id or 0)


def add_room(app: App, actor: Actor, name: str) -> None:
    name = name.strip()
    if not 1 <= len(name) <= ROOM_NAME_MAX:
        raise InvalidInput("Name the room.", [FieldProblem("room", f"Use 1 to {ROOM_NAME_MAX} characters.")])
    with unit(app, actor, Action.CLINIC_SETTINGS, "room") as u:
        if any(r["name"].lower() == name.lower() for r in appointment_store.rooms_of(u.conn, u.clinic_id())):
            raise InvalidInput("That room is already there.", [FieldProblem("room", "Give the new room another name.")])
        rid = appointment_store.add_room(u.conn, u.clinic_id(), name, u.now)
        u.audit("room.add", "room", rid, detail=name)
