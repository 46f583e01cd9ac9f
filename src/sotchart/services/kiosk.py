"""The patient's tablet. The desk hands over one patient and one task by showing a short code (and its QR);
the tablet that types it gets its own device session, locked to that patient and task. The patient checks in,
gives their history and answers the health questions, consents with a signature, and fills the day's
questionnaires; nothing is stored in the chart until they send it all, and then it is stored at once. The
clinician reviews the intake and takes it into the visit (services/charting.take_intake)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sotchart.domain import intake as rules
from sotchart.domain.appointments import Status
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound
from sotchart.domain.questionnaires import instrument
from sotchart.domain.questionnaires.text import FREE_TEXT, check_clinic_text
from sotchart.domain.roles import Action, Role
from sotchart.services import appointments, protocol, questionnaires
from sotchart.services.context import Actor, App, Unit, before_actor, unit
from sotchart.settings import Settings
from sotchart.store import appointments as appointment_store
from sotchart.store import clinics as clinic_store
from sotchart.store import kiosk as kiosk_store
from sotchart.store import patients as patient_store
from sotchart.store import questionnaires as q_store
from sotchart.store import users as user_store

GONE = "This tablet session has ended or has expired. Please hand the tablet back to the front desk."
WRONG_CODE = "That code is not right, or it has expired or been used. Ask the front desk for a new one."
TOO_MANY = "Too many wrong codes from this tablet. Wait ten minutes, or ask the front desk."
DEVICE_COOKIE = "sotchart_tablet"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clinic_text(settings: Settings) -> dict[str, dict[str, Any]]:
    """Licensed item text from the clinic's own file, checked; empty when the clinic has none."""
    path = settings.questionnaire_text_file
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InvalidInput(f"The questionnaire text file {path} cannot be read: {err}.") from err
    return check_clinic_text(data)


def offered(settings: Settings) -> list[str]:
    return ["nrs-pain", "psfs", *clinic_text(settings)]


# --- the desk ---


@dataclass(frozen=True)
class Handover:
    """What the desk sees of a tablet session: the code while no tablet has it, then how it goes."""

    session_id: str
    patient_id: int
    patient_name: str
    task: str
    state: str  # code | tablet | sent | ended | expired
    code: str = ""  # shown once, when it is made
    code_until: datetime | None = None
    opened_at: datetime | None = None
    zone: str = "UTC"  # the clinic's, in which the code's end is shown

    @property
    def task_words(self) -> str:
        return rules.TASKS[self.task]


def _today_appointment(u: Unit, patient_id: int) -> dict[str, Any] | None:
    begin, end = u.day_bounds(u.today())
    rows = appointment_store.between(u.conn, clinic_id=u.clinic_id(), start=begin, end=end, patient_id=patient_id)
    live = [r for r in rows if appointments.shown_status(r) not in (Status.CANCELLED, Status.NO_SHOW, Status.DONE)]
    return live[0] if live else None


def open_tablet(app: App, actor: Actor, patient_id: int, task: str = "", appointment_id: int | None = None) -> Handover:
    """A new code for this patient and task (any earlier code of theirs that no tablet took is void)."""
    with unit(app, actor, Action.PATIENT_UPDATE, "kiosk", patient_id) as u:
        p = patient_store.get(u.conn, u.clinic_id(), patient_id)
        if p is None:
            raise NotFound("No such patient in this clinic.")
        if appointment_id is not None:
            a = appointment_store.get(u.conn, u.clinic_id(), appointment_id)
            if a is None or a["patient_id"] != patient_id:
                raise InvalidInput(
                    "That appointment is not this patient's.", [FieldProblem("appointment_id", "Open it from Today.")]
                )
        else:
            a = _today_appointment(u, patient_id)
        if not task:
            task = (
                "intake"
                if a is not None and a.get("type_code") in ("new-patient", "re-examination")
                else "questionnaires"
            )
        if task not in rules.TASKS:
            raise InvalidInput(
                "Choose what the patient does on the tablet.", [FieldProblem("task", "Choose from the list.")]
            )
        kiosk_store.end_open_for(u.conn, u.clinic_id(), patient_id, u.now)
        code = rules.new_code()
        session_id = secrets.token_hex(16)
        until = u.now + timedelta(minutes=rules.CODE_MINUTES)
        kiosk_store.create(
            u.conn,
            session_id=session_id,
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            opened_by=actor.user_id or 0,
            task=task,
            appointment_id=a["id"] if a else None,
            instruments=",".join(offered(app.settings)),
            code_hash=rules.code_digest(code),
            code_expires_at=until,
            now=u.now,
            expires_at=u.now + timedelta(minutes=app.settings.kiosk_minutes),
        )
        u.audit("kiosk.open", "patient", patient_id, patient_id=patient_id, detail=task)
        return Handover(session_id, patient_id, _name(p), task, "code", code, until, u.now, _zone(u))


def _zone(u: Unit) -> str:
    return str(u.app.zone(u.conn, u.actor.clinic_id))


def _name(p: dict[str, Any]) -> str:
    return f"{p['family_name']}, {p['given_name']}"


def _state(s: dict[str, Any], now: datetime) -> str:
    if s["ended_at"] is not None:
        return "sent" if s["outcome"] == "sent" else "ended"
    if s["expires_at"] <= now:
        return "expired"
    if s["claimed_at"] is not None:
        return "tablet"
    return "code" if s["code_expires_at"] and s["code_expires_at"] > now else "expired"


def handover(app: App, actor: Actor, session_id: str) -> Handover:
    with unit(app, actor, Action.PATIENT_READ, "kiosk", session_id, read=True) as u:
        s = kiosk_store.get(u.conn, u.clinic_id(), session_id)
        if s is None:
            raise NotFound("No such tablet session in this clinic.")
        return Handover(
            session_id, s["patient_id"], _name(s), s["task"], _state(s, u.now), opened_at=s["created_at"], zone=_zone(u)
        )


def new_code(app: App, actor: Actor, session_id: str) -> Handover:
    """Another code for a session no tablet has taken yet (the one shown was lost or ran out)."""
    with unit(app, actor, Action.PATIENT_UPDATE, "kiosk", session_id) as u:
        s = kiosk_store.get(u.conn, u.clinic_id(), session_id)
        if s is None:
            raise NotFound("No such tablet session in this clinic.")
        if _state(s, u.now) not in ("code", "expired") or s["expires_at"] <= u.now or s["ended_at"] is not None:
            raise Conflict("This tablet session is under way or over; hand the tablet over again from the chart.")
        code = rules.new_code()
        until = u.now + timedelta(minutes=rules.CODE_MINUTES)
        if not kiosk_store.new_code(u.conn, session_id, rules.code_digest(code), until):
            raise Conflict("A tablet has just taken this session.")
        u.audit("kiosk.new-code", "patient", s["patient_id"], patient_id=s["patient_id"])
        return Handover(
            session_id, s["patient_id"], _name(s), s["task"], "code", code, until, s["created_at"], _zone(u)
        )


def end_at_desk(app: App, actor: Actor, session_id: str) -> None:
    with unit(app, actor, Action.PATIENT_UPDATE, "kiosk", session_id) as u:
        s = kiosk_store.get(u.conn, u.clinic_id(), session_id)
        if s is None:
            raise NotFound("No such tablet session in this clinic.")
        kiosk_store.end(u.conn, session_id, u.now, "ended-at-desk")
        u.audit("kiosk.end", "patient", s["patient_id"], patient_id=s["patient_id"])


# --- the tablet ---


class _Throttle:
    """Wrong codes per address: a code of six letters from 27 cannot be guessed in ten tries per ten minutes."""

    def __init__(self, tries: int = 10, window: float = 600.0) -> None:
        self.tries, self.window = tries, window
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        with self._lock:
            misses = self._misses.get(address)
            now = time.monotonic()
            while misses and now - misses[0] > self.window:
                misses.popleft()
            return bool(misses) and len(misses) >= self.tries  # type: ignore[arg-type]

    def miss(self, address: str) -> None:
        with self._lock:
            self._misses.setdefault(address, deque()).append(time.monotonic())


THROTTLE = _Throttle()


def claim(app: App, raw_code: str, address: str) -> str:
    """The tablet types the code: it gets a device token (kept in its cookie) and the code is spent."""
    if THROTTLE.blocked(address):
        raise InvalidInput(TOO_MANY, [FieldProblem("code", TOO_MANY)])
    code = rules.typed_code(raw_code)
    if len(code) != rules.CODE_LENGTH:
        raise InvalidInput(
            "Type the six letters and numbers the front desk shows.",
            [FieldProblem("code", f"The code has {rules.CODE_LENGTH} letters and numbers, like K7M 4QX.")],
        )
    device = secrets.token_urlsafe(32)
    with before_actor(app) as conn:
        now = app.clock()
        s = kiosk_store.by_code(conn, rules.code_digest(code), now)
        if s is None or not kiosk_store.claim(conn, s["id"], _digest(device), now):
            THROTTLE.miss(address)
            raise InvalidInput(WRONG_CODE, [FieldProblem("code", WRONG_CODE)])
        # The tablet shows the patient's name and their earlier answers: audited as the kiosk, for the staff
        # member who handed it over.
        Unit(app, _kiosk_actor(conn, s), conn, now).audit(
            "kiosk.view", "patient", s["patient_id"], patient_id=s["patient_id"], detail=f"task={s['task']}"
        )
    return device


@dataclass
class Tablet:
    """What the tablet shows: this patient's first name, their task's steps, and nothing else of the chart."""

    session: dict[str, Any]
    steps: list[str]
    step: str
    questions: list[rules.Question]
    ask_pregnancy: bool
    consent_text: str
    instruments: list[dict[str, Any]]
    psfs_activities: list[str] = field(default_factory=list)
    appointment_line: str = ""

    @property
    def name(self) -> str:
        return str(self.session["preferred_name"] or self.session["given_name"])

    @property
    def progress(self) -> dict[str, Any]:
        return dict(self.session["progress"])

    def done(self, step: str) -> bool:
        return step in (self.progress.get("done") or [])


STEP_WORDS = {
    "checkin": "Check in",
    "history": "About you",
    "screen": "Health questions",
    "consent": "Consent",
    "questionnaires": "Questionnaires",
    "send": "Check and send",
}


def _live_session(conn: Any, app: App, device: str | None) -> dict[str, Any]:
    if not device or len(device) > 100:
        raise NotFound(GONE)
    s = kiosk_store.by_device(conn, _digest(device), app.clock())
    if s is None:
        raise NotFound(GONE)
    return s


def _steps(s: dict[str, Any], a: dict[str, Any] | None) -> list[str]:
    steps = (
        ["checkin"]
        if a is not None and (a["status"] == Status.BOOKED or "checkin" in (s["progress"].get("done") or []))
        else []
    )
    if s["task"] == "intake":
        steps += ["history", "screen", "consent"]
    return [*steps, "questionnaires", "send"]


def tablet(app: App, device: str | None, step: str = "") -> Tablet:
    with before_actor(app, read=True) as conn:
        s = _live_session(conn, app, device)
        a = appointment_store.get(conn, s["clinic_id"], s["appointment_id"]) if s["appointment_id"] else None
        past = q_store.for_patient(conn, clinic_id=s["clinic_id"], patient_id=s["patient_id"])
        clinic = clinic_store.get(conn, s["clinic_id"])
        zone = app.zone(conn, s["clinic_id"])
    steps = _steps(s, a)
    done = s["progress"].get("done") or []
    first_open = next((x for x in steps if x not in done), "send")
    # A step already done may be opened again (the tablet's Back); one not reached yet may not.
    chosen = step if step in steps and (step in done or step == first_open) and step != "checkin" else first_open
    pack = protocol.active(app.settings)
    texts = FREE_TEXT | clinic_text(app.settings)
    psfs = [r for r in past if r["instrument"] == "psfs"]
    line = ""
    if a is not None:
        line = f"{a['starts_at'].astimezone(zone):%H:%M} with {a['clinician_name']}"
    return Tablet(
        session=s,
        steps=steps,
        step=chosen,
        questions=rules.screen_questions(pack.red_flags, pack.conditions),
        ask_pregnancy=s["sex"] != "male",
        consent_text=rules.consent_for(clinic["name"] if clinic else None),
        instruments=[{"code": c, **texts[c]} for c in s["instruments"].split(",") if c in texts],
        psfs_activities=psfs[-1]["activities"] if psfs else [],
        appointment_line=line,
    )


def save_step(app: App, device: str | None, step: str, form: dict[str, str]) -> str:
    """One step's answers, checked and kept with the session until the patient sends them all; the answer
    is the step to show next."""
    t = tablet(app, device, step)
    if step != t.step:
        raise Conflict("That page is not open on this tablet; carry on from the one shown.")
    progress = dict(t.progress)
    if step == "checkin":
        actor = _actor_of(app, t.session)
        try:
            appointments.set_status(app, actor, t.session["appointment_id"], Status.ARRIVED.value)
        except Conflict as e:
            raise Conflict("The front desk will check you in. " + e.detail) from e
    elif step == "history":
        progress["history"] = rules.check_history(form)
    elif step == "screen":
        progress["screen"] = rules.check_screen(form, t.questions, t.ask_pregnancy)
    elif step == "consent":
        signature = _signature(form.get("signature", ""))
        name, _ = rules.check_consent(form.get("agree") == "yes", form.get("name", ""), signature)
        progress["consent"] = {
            "name": name,
            "signature": base64.b64encode(signature).decode() if signature else "",
            "sha256": rules.consent_digest(t.consent_text),
        }
    elif step == "questionnaires":
        progress["questionnaires"] = _scored_answers(app, t, form)
    elif step == "send":
        raise Conflict("Use the Send button.")
    progress["done"] = [*dict.fromkeys([*(progress.get("done") or []), step])]
    with before_actor(app) as conn:
        kiosk_store.save_progress(conn, t.session["id"], progress)
    return next((s for s in t.steps if s not in progress["done"]), "send")


def _signature(raw: str) -> bytes | None:
    """The drawn signature as the tablet's canvas sends it (a PNG data address), or None when none was drawn."""
    prefix = "data:image/png;base64,"
    if not raw:
        return None
    if not raw.startswith(prefix) or len(raw) > rules.MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise InvalidInput("The drawn signature did not come through.", [FieldProblem("signature", "Draw it again.")])
    try:
        data = base64.b64decode(raw[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "The drawn signature did not come through.", [FieldProblem("signature", "Draw it again.")]
        ) from None
    if not _has_ink(data):
        raise InvalidInput(
            "The signature box is empty.", [FieldProblem("signature", "Sign with your finger, or type your name.")]
        )
    return data


def _has_ink(png: bytes) -> bool:
    """A PNG that Pillow reads, with something drawn on it (a blank canvas is transparent or one colour)."""
    if rules.png_size(png) is None:
        return False
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as img:
            img.load()
            if "A" in img.getbands():
                return img.getchannel("A").getbbox() is not None
            extrema = img.convert("L").getextrema()
            return isinstance(extrema[0], int | float) and float(extrema[1]) - float(extrema[0]) > 40
    except (UnidentifiedImageError, OSError, ValueError):
        return False


def _scored_answers(app: App, t: Tablet, form: dict[str, str]) -> dict[str, Any]:
    """Every questionnaire started is scored before any is kept; none answered is fine during intake."""
    texts = FREE_TEXT | clinic_text(app.settings)
    ready: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for code in t.session["instruments"].split(","):
        try:
            answers, activities = _answers(code, form, len(texts.get(code, {}).get("items", [])))
            if answers is None:
                continue
            instrument(code).score(answers)
            ready[code] = {"answers": answers, "activities": activities}
        except InvalidInput as e:
            problems += [FieldProblem(f"{code}.{p.field}", p.message) for p in e.problems] or [
                FieldProblem(code, e.detail)
            ]
    if problems:
        raise InvalidInput("Some answers need a second look.", problems)
    if not ready and t.session["task"] == "questionnaires":
        raise InvalidInput("Nothing was answered yet.", [FieldProblem("answers", "Answer at least one question.")])
    return ready


def send(app: App, device: str | None) -> int:
    """Everything the patient gave goes into the chart in one transaction, and the tablet session ends."""
    t = tablet(app, device, "send")
    missing = [STEP_WORDS[s] for s in t.steps if s not in ("send", "checkin") and not t.done(s)]
    if missing:
        raise InvalidInput("Some pages are not done yet.", [FieldProblem(m, f"{m} is not done yet.") for m in missing])
    s, progress = t.session, t.progress
    actor = _actor_of(app, s)
    with unit(app, actor, Action.PATIENT_UPDATE, "kiosk", s["patient_id"]) as u:
        for code, given in (progress.get("questionnaires") or {}).items():
            questionnaires.record_in(u, s["patient_id"], code, given["answers"], activities=given["activities"])
        intake_id = None
        if s["task"] == "intake":
            consent = progress.get("consent") or {}
            if consent.get("sha256") != rules.consent_digest(t.consent_text):
                raise Conflict("The consent text changed while you were signing. Please read it and sign again.")
            intake_id = kiosk_store.add_intake(
                u.conn,
                {
                    "clinic_id": s["clinic_id"],
                    "patient_id": s["patient_id"],
                    "appointment_id": s["appointment_id"],
                    "kiosk_session_id": s["id"],
                    "submitted_at": u.now,
                    "answers": {"history": progress.get("history") or {}, "screen": progress.get("screen") or {}},
                    "consent_text": t.consent_text,
                    "consent_sha256": consent.get("sha256"),
                    "consent_name": consent.get("name") or "",
                    "consent_signature": base64.b64decode(consent["signature"]) if consent.get("signature") else None,
                },
            )
            u.audit("intake.create", "patient_intake", intake_id, patient_id=s["patient_id"])
        kiosk_store.end(u.conn, s["id"], u.now, "sent")
        u.audit("kiosk.send", "patient", s["patient_id"], patient_id=s["patient_id"], detail=f"task={s['task']}")
    return len(progress.get("questionnaires") or {}) + (1 if intake_id else 0)


def _actor_of(app: App, s: dict[str, Any]) -> Actor:
    with before_actor(app, read=True) as conn:
        return _kiosk_actor(conn, s)


def _kiosk_actor(conn: Any, session: dict[str, Any]) -> Actor:
    """The kiosk acts for the staff member who opened it, and says so in the audit log."""
    staff = user_store.get(conn, session["opened_by"])
    return Actor(
        session["opened_by"],
        session["clinic_id"],
        Role(staff["role"]) if staff else Role.ASSISTANT,
        f"kiosk (opened by {staff['email'] if staff else 'staff'})",
        "kiosk",
    )


def _answers(code: str, form: dict[str, str], n_items: int) -> tuple[list[Any] | None, list[str] | None]:
    if code == "psfs":
        pairs = [
            (form.get(f"psfs.activity.{i}", "").strip(), form.get(f"psfs.rating.{i}", "").strip()) for i in range(5)
        ]
        pairs = [(a, r) for a, r in pairs if a or r]
        if not pairs:
            return None, None
        for a, r in pairs:
            if not a or not r:
                raise InvalidInput(
                    "Each activity needs its rating.",
                    [FieldProblem("activities", "Give each activity a name and a rating from 0 to 10.")],
                )
        return [int(r) if r.isdigit() else r for _, r in pairs], [a for a, _ in pairs]
    if not any(k.startswith(f"{code}.item.") and form[k] != "" for k in form):
        return None, None  # not started: that questionnaire is simply not recorded
    raw = [form.get(f"{code}.item.{i}", "") for i in range(n_items)]
    points = {"hit-6": ["never", "rarely", "sometimes", "very-often", "always"]}.get(code)
    out: list[Any] = []
    for value in raw:
        if value == "":
            out.append(None)
        elif points:
            out.append(points[int(value)] if value.isdigit() and int(value) < len(points) else value)
        else:
            out.append(int(value) if value.isdigit() else value)
    return out, None
