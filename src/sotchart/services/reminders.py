"""Each appointment's confirmation and reminder, sent through the clinic's own mail server.

Messages are written to an outbox (`appointment_message`) in the same transaction as the booking, so a
booking never waits on the mail server and nothing is lost while it is down; a sender (each server's
background thread, or `sotchart reminders send` from cron) claims due messages one at a time with a
compare-and-set, so two servers never send the same one. A move re-dates the pending ones; a cancellation
or a no-show cancels them. Text messages go through the same outbox to a provider behind `TextProvider`;
sotchart ships none, and says so, rather than pick a vendor for the clinic."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from icalendar import Calendar, Event

from sotchart import __version__
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action, Role
from sotchart.services import secrets_at_rest
from sotchart.services.calendar_feeds import event_uid
from sotchart.services.context import Actor, App, Unit, background_transaction, unit
from sotchart.store import clinics as clinic_store
from sotchart.store import reminders as store

SECURITY = ("starttls", "ssl", "none")


def _sender(clinic_id: int) -> Actor:
    """The reminders' sender as the audit log names it: the system, acting for one clinic."""
    return Actor(None, clinic_id, Role.SYSTEM, "reminders", "local")


REMINDER_HOURS = (0, 168)  # 0: no reminder, only the confirmation
MAX_ATTEMPTS = 5


class TextProvider(Protocol):
    """Where a clinic's text messages would go (a provider the clinic contracts with); none is shipped."""

    def send_text(self, to: str, body: str) -> None: ...


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    sender: str
    reminder_hours: int


def check_mail(data: dict[str, Any]) -> dict[str, Any]:
    """The clinic's mail server settings as the owner gives them, or InvalidInput naming each field."""
    problems = []
    host = str(data.get("host", "")).strip()
    if not host or len(host) > 200 or " " in host:
        problems.append(FieldProblem("host", "Give the mail server's name, e.g. smtp.example.org."))
    try:
        port = int(str(data.get("port", "") or 587))
        if not 1 <= port <= 65535:
            raise ValueError
    except ValueError:
        problems.append(FieldProblem("port", "Use a port from 1 to 65535 (587 for STARTTLS, 465 for SSL)."))
        port = 0
    security = str(data.get("security", "starttls"))
    if security not in SECURITY:
        problems.append(FieldProblem("security", "Choose STARTTLS, SSL or none."))
    sender = str(data.get("sender", "")).strip()
    if "@" not in sender or len(sender) > 254:
        problems.append(FieldProblem("sender", "Give the address patients see the mail come from."))
    try:
        hours = int(str(data.get("reminder_hours", "") or 24))
        if not REMINDER_HOURS[0] <= hours <= REMINDER_HOURS[1]:
            raise ValueError
    except ValueError:
        problems.append(FieldProblem("reminder_hours", "Use 0 (no reminder) to 168 hours before."))
        hours = 24
    if problems:
        raise InvalidInput("The mail settings need fixing.", problems)
    return {
        "host": host,
        "port": port,
        "security": security,
        "username": str(data.get("username", "")).strip(),
        "password": str(data.get("password", "")),
        "sender": sender,
        "reminder_hours": hours,
    }


def set_mail(app: App, actor: Actor, data: dict[str, Any], *, keep_password: bool = False) -> None:
    """Save the clinic's mail settings; `keep_password`: the password field was left empty, so the saved
    one stays (it is never shown back)."""
    values = check_mail(data)
    with unit(app, actor, Action.CLINIC_SETTINGS, "clinic-mail") as u:
        password = values.pop("password")
        saved = store.mail_of(u.conn, u.clinic_id())
        if keep_password and saved is not None:
            values["password"] = saved["password"]
        else:
            values["password"] = secrets_at_rest.seal(app, password) if password else None
        store.set_mail(u.conn, u.clinic_id(), values, u.now)
        u.audit("clinic.mail", "clinic", u.clinic_id(), detail=f"host={values['host']} port={values['port']}")


def send_test(app: App, actor: Actor, to: str) -> None:
    """A message now, through the saved settings, so the owner sees they work; what the server said when
    they do not."""
    to = to.strip()
    if "@" not in to or len(to) > 254:
        raise InvalidInput("Give an address to send the test to.", [FieldProblem("to", "Enter an email address.")])
    with unit(app, actor, Action.CLINIC_SETTINGS, "clinic-mail") as u:
        mail = _mail(app, store.mail_of(u.conn, u.clinic_id()))
        clinic = clinic_store.get(u.conn, u.clinic_id()) or {}
        u.audit("clinic.mail-test", "clinic", u.clinic_id(), detail=f"to {to.split('@')[-1]}")
    if mail is None:
        raise InvalidInput("Save the mail settings first.", [FieldProblem("host", "Fill in the mail server.")])
    msg = EmailMessage()
    msg["From"], msg["To"] = mail.sender, to
    msg["Subject"] = f"sotchart: test message from {clinic.get('name', 'the clinic')}"
    msg.set_content("This message shows that sotchart can send appointment confirmations and reminders.\n")
    try:
        deliver(mail, msg)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        raise InvalidInput(
            f"The mail server did not take the message: {type(e).__name__}: {e}"[:400],
            [FieldProblem("host", "Check the server, port, security and sign-in, then try again.")],
        ) from None


def _mail(app: App, row: dict[str, Any] | None) -> MailSettings | None:
    if row is None:
        return None
    password = secrets_at_rest.open_sealed(app, row["password"]) if row["password"] else ""
    return MailSettings(
        row["host"], row["port"], row["security"], row["username"], password, row["sender"], row["reminder_hours"]
    )


# --- the outbox, written in the booking's transaction ---


def queue(u: Unit, appointment: dict[str, Any], patient_email: str, *, confirm: str | None = "confirmation") -> None:
    """The new appointment's confirmation now (`confirm`: "confirmation", "series" for the message that
    lists a care plan's whole series, or None) and its reminder before it, if the clinic sends mail and the
    patient gave an address."""
    if not patient_email:
        return
    mail = store.mail_of(u.conn, u.clinic_id())
    if mail is None:
        return
    rows = [{"kind": confirm, "due_at": u.now}] if confirm else []
    if mail["reminder_hours"]:
        due = appointment["starts_at"] - timedelta(hours=mail["reminder_hours"])
        if due > u.now:
            rows.append({"kind": "reminder", "due_at": due})
    if rows:
        store.add_messages(u.conn, u.clinic_id(), appointment["id"], patient_email, rows, u.now)


def moved(u: Unit, appointment_id: int, starts_at: datetime) -> None:
    """A move: the pending reminder is re-dated and a new confirmation says the new time."""
    mail = store.mail_of(u.conn, u.clinic_id())
    if mail is None:
        return
    store.redate_reminders(u.conn, appointment_id, starts_at - timedelta(hours=mail["reminder_hours"]))
    recipient = store.recipient_of(u.conn, appointment_id)
    if recipient:
        store.add_messages(
            u.conn, u.clinic_id(), appointment_id, recipient, [{"kind": "confirmation", "due_at": u.now}], u.now
        )


def called_off(u: Unit, appointment_id: int) -> None:
    store.cancel_pending(u.conn, appointment_id)


# --- sending ---


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def send_due(app: App, *, limit: int = 200) -> Sent:
    """Send the messages that are due: each claimed first (so another server's sender skips it), sent
    after the claim commits, then marked sent, or put back with its error to try again later."""
    out = Sent()
    now = app.clock()
    with background_transaction(app) as conn:
        store.release_stale_claims(conn, now - timedelta(minutes=10))
        due = store.due(conn, now, limit)
    for m in due:
        with unit(
            app,
            _sender(m["clinic_id"]),
            Action.APPOINTMENT_WRITE,
            "appointment-message",
            m["id"],
        ) as u:
            detail = store.claim(u.conn, m["id"], now)
            if detail is None:
                continue  # another sender has it
            if detail["appointment_status"] != "booked" or detail["starts_at"] <= now:
                store.finish(u.conn, m["id"], status="cancelled", now=now, error="the appointment is no longer ahead")
                out.skipped += 1
                continue
            mail = _mail(app, store.mail_of(u.conn, m["clinic_id"]))
            detail["series"] = store.series_times(u.conn, m["appointment_id"]) if m["kind"] == "series" else []
            zone = app.zone(u.conn, m["clinic_id"])
            clinic = clinic_store.get(u.conn, m["clinic_id"]) or {}
            u.audit(
                f"appointment.{m['kind']}",
                "appointment",
                m["appointment_id"],
                patient_id=detail["patient_id"],
                detail=f"email to {m['recipient'].split('@')[-1]}",
            )
        if mail is None:
            _finish(app, m, "cancelled", "the clinic has no mail settings")
            out.skipped += 1
            continue
        try:
            deliver(mail, compose(mail, m, detail, clinic, zone))
        except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
            failed = m["attempts"] + 1 >= MAX_ATTEMPTS
            _finish(app, m, "failed" if failed else "pending", f"{type(e).__name__}: {e}"[:300], retry=not failed)
            out.failed += 1
            continue
        _finish(app, m, "sent", "")
        out.sent += 1
    return out


def _finish(app: App, m: dict[str, Any], status: str, error: str, *, retry: bool = False) -> None:
    now = app.clock()
    with background_transaction(app) as conn:
        store.finish(
            conn,
            m["id"],
            status=status,
            now=now,
            error=error,
            retry_at=now + timedelta(minutes=5 * 2 ** m["attempts"]) if retry else None,
        )


def compose(
    mail: MailSettings, m: dict[str, Any], d: dict[str, Any], clinic: dict[str, Any], zone: Any
) -> EmailMessage:
    """The patient's message: when, with whom, where, and how to change it; nothing clinical."""
    start = d["starts_at"].astimezone(zone)
    when = f"{start:%A %d %B %Y} at {start:%H:%M}"
    name = clinic.get("name", "")
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = m["recipient"]
    if m["kind"] == "reminder":
        msg["Subject"] = f"Reminder: your appointment at {name}, {start:%a %d %b} at {start:%H:%M}"
        opening = (
            f"This is a reminder of your {d['type_name'].lower()} appointment with {d['clinician_name']} on {when}."
        )
    elif m["kind"] == "series":
        times = [t.astimezone(zone) for t in d["series"]]
        msg["Subject"] = f"Your {len(times)} appointments at {name}, from {start:%a %d %b}"
        listed = "\n".join(f"  {t:%a %d %b %Y} at {t:%H:%M}" for t in times)
        opening = f"Your appointments with {d['clinician_name']} are booked for:\n{listed}"
    else:
        msg["Subject"] = f"Your appointment at {name}: {start:%a %d %b %Y} at {start:%H:%M}"
        opening = f"Your {d['type_name'].lower()} appointment with {d['clinician_name']} is booked for {when}."
    where = "\n".join(x for x in (name, clinic.get("address", ""), clinic.get("phone", "")) if x)
    change = (
        f"To change or cancel it, please call us on {clinic['phone']}."
        if clinic.get("phone")
        else "To change or cancel it, please contact the clinic."
    )
    msg.set_content(f"Hello {d['given_name']},\n\n{opening}\n\n{where}\n\n{change}\n")
    cal = Calendar()
    cal.add("prodid", f"-//sotchart {__version__}//appointment//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", event_uid(m["appointment_id"], m["clinic_id"]))
    ev.add("dtstamp", d["updated_at"])
    ev.add("dtstart", d["starts_at"])
    ev.add("dtend", d["ends_at"])
    ev.add("summary", f"{d['type_name']} at {name}")
    if clinic.get("address"):
        ev.add("location", clinic["address"])
    cal.add_component(ev)
    msg.add_attachment(cal.to_ical(), maintype="text", subtype="calendar", filename="appointment.ics")
    return msg


def deliver(mail: MailSettings, msg: EmailMessage, timeout: float = 20) -> None:
    context = ssl.create_default_context()
    if mail.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(mail.host, mail.port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(mail.host, mail.port, timeout=timeout)
    with server:
        if mail.security == "starttls":
            server.starttls(context=context)
        if mail.username:
            server.login(mail.username, mail.password)
        server.send_message(msg)


class SenderLoop:
    """Each server's sender: wakes every `interval` seconds and sends what is due; an error is logged and
    the next round tries again (the outbox keeps every message until it is sent)."""

    def __init__(self, app: App, interval: float) -> None:
        self._app, self._interval = app, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sotchart-reminders", daemon=True)

    def start(self) -> SenderLoop:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                send_due(self._app)
            except Exception:  # the loop outlives a bad round; the outbox keeps the messages
                logging.getLogger("sotchart.reminders").exception("sending appointment messages failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
