"""A clinician's own calendar as an iCalendar feed that a phone or a desk calendar subscribes to: an
unguessable address per clinician, replaced or stopped from the calendar page, each fetch audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from sotchart import __version__
from sotchart.domain.appointments import Status
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action, Role
from sotchart.services import appointments
from sotchart.services.context import Actor, App, before_actor, unit
from sotchart.store import appointments as appointment_store
from sotchart.store import calendar_feeds as store

PAST_DAYS, AHEAD_DAYS = 30, 180


def event_uid(appointment_id: int, clinic_id: int) -> str:
    """An appointment's iCalendar UID, the same in the feed and in its emails, so a calendar keeps one event."""
    return f"appointment-{appointment_id}-clinic-{clinic_id}@sotchart"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(app: App, actor: Actor) -> str:
    """A new feed address for the signed-in clinician (the token is shown once; only its hash is kept)."""
    with unit(app, actor, Action.CALENDAR_READ, "calendar-feed") as u:
        if appointments.read_setup(u).clinician(actor.user_id or 0) is None:
            raise InvalidInput(
                "Only a clinician has a calendar of their own to subscribe to.",
                [FieldProblem("feed", "Sign in as the clinician whose appointments the phone should show.")],
            )
        token = secrets.token_urlsafe(32)
        store.replace(u.conn, token_hash=_hash(token), clinic_id=u.clinic_id(), user_id=actor.user_id or 0, now=u.now)
        u.audit("calendar-feed.issue", "calendar-feed", actor.user_id)
        return token


def stop_feed(app: App, actor: Actor) -> None:
    with unit(app, actor, Action.CALENDAR_READ, "calendar-feed") as u:
        if store.revoke(u.conn, user_id=actor.user_id or 0, now=u.now):
            u.audit("calendar-feed.stop", "calendar-feed", actor.user_id)


def feed_since(app: App, actor: Actor) -> datetime | None:
    """When the clinician's live feed address was made (None: they have none)."""
    with unit(app, actor, Action.CALENDAR_READ, "calendar-feed", read=True) as u:
        return store.has_live(u.conn, actor.user_id or 0)


def feed_ics(app: App, token: str, address: str) -> bytes | None:
    """The feed behind the address, or None when it is not (or no longer) a live one. Each appointment is
    its kind and the patient's chart number, never a name: a phone's calendar is outside the clinic."""
    with before_actor(app, read=True) as conn:
        feed = store.live(conn, _hash(token))
    if feed is None:
        return None
    actor = Actor(feed["user_id"], feed["clinic_id"], Role(feed["role"]), f"calendar feed of {feed['email']}", address)
    with unit(app, actor, Action.CALENDAR_READ, "appointment", read=True) as u:
        s = appointments.read_setup(u)
        rows = appointment_store.between(
            u.conn,
            clinic_id=u.clinic_id(),
            start=u.now - timedelta(days=PAST_DAYS),
            end=u.now + timedelta(days=AHEAD_DAYS),
            clinician_ids=[feed["user_id"]],
        )
        u.audit("calendar-feed.read", "calendar-feed", feed["user_id"], detail=f"appointments={len(rows)}")
        u.audit_shown("patient.listed", (int(r["patient_id"]) for r in rows), detail="calendar feed")
        who = next((c.name for c in s.clinicians if c.id == feed["user_id"]), "")
    cal = Calendar()
    cal.add("prodid", f"-//sotchart {__version__}//appointments//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"sotchart: {who}")
    cal.add("x-wr-timezone", s.zone.key)
    for r in rows:
        ev = Event()
        ev.add("uid", event_uid(r["id"], feed["clinic_id"]))
        ev.add("dtstamp", r["updated_at"])
        ev.add("sequence", r["version"] - 1)
        ev.add("dtstart", r["starts_at"])
        ev.add("dtend", r["ends_at"])
        ev.add("summary", f"{r['type_name']} · {r['chart_number']}")
        if r["room_name"]:
            ev.add("location", r["room_name"])
        status = Status(r["status"])
        ev.add("status", "CANCELLED" if status in (Status.CANCELLED, Status.NO_SHOW) else "CONFIRMED")
        cal.add_component(ev)
    return bytes(cal.to_ical())
