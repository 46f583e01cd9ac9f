"""The questionnaire kiosk: a staff member hands a tablet to a patient; the link records that patient's
answers and shows nothing else of the chart."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound
from sotchart.domain.questionnaires import instrument
from sotchart.domain.questionnaires.text import FREE_TEXT, check_clinic_text
from sotchart.domain.roles import Action, Role
from sotchart.services import questionnaires
from sotchart.services.context import Actor, App, Unit, before_actor, unit
from sotchart.settings import Settings
from sotchart.store import kiosk as kiosk_store
from sotchart.store import patients as patient_store
from sotchart.store import questionnaires as q_store
from sotchart.store import users as user_store

GONE = "This questionnaire link has been used or has expired. Please hand the tablet back to the front desk."


@dataclass
class KioskView:
    given_name: str
    instruments: list[dict[str, Any]]
    psfs_activities: list[str] = field(default_factory=list)


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


def open_kiosk(app: App, actor: Actor, patient_id: int) -> str:
    with unit(app, actor, Action.PATIENT_UPDATE, "kiosk", patient_id) as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        token = secrets.token_urlsafe(24)
        kiosk_store.create(
            u.conn,
            token_hash=_digest(token),
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            opened_by=actor.user_id or 0,
            instruments=",".join(offered(app.settings)),
            now=u.now,
            expires_at=u.now + timedelta(minutes=app.settings.kiosk_minutes),
        )
        u.audit("kiosk.open", "patient", patient_id, patient_id=patient_id)
        return token


def _session(app: App, token: str) -> dict[str, Any]:
    if not token or len(token) > 100:
        raise NotFound(GONE)
    with before_actor(app, read=True) as conn:
        session = kiosk_store.live(conn, _digest(token), app.clock())
    if session is None:
        raise NotFound(GONE)
    return session


def view(app: App, token: str) -> KioskView:
    session = _session(app, token)
    texts = FREE_TEXT | clinic_text(app.settings)
    with before_actor(app) as conn:
        past = q_store.for_patient(conn, clinic_id=session["clinic_id"], patient_id=session["patient_id"])
        # The tablet shows the patient's name and their earlier answers: audited as the kiosk, for the staff
        # member who handed it over.
        Unit(app, _kiosk_actor(conn, session), conn, app.clock()).audit(
            "kiosk.view", "patient", session["patient_id"], patient_id=session["patient_id"]
        )
    psfs = [r for r in past if r["instrument"] == "psfs"]
    items = [{"code": c, **texts[c]} for c in session["instruments"].split(",") if c in texts]
    return KioskView(session["given_name"], items, psfs[-1]["activities"] if psfs else [])


def submit(app: App, token: str, form: dict[str, str]) -> int:
    """Score every questionnaire answered first; store them only when all are valid."""
    session = _session(app, token)
    texts = FREE_TEXT | clinic_text(app.settings)
    ready: list[tuple[str, list[Any], list[str] | None]] = []
    problems: list[FieldProblem] = []
    for code in session["instruments"].split(","):
        try:
            answers, activities = _answers(code, form, len(texts.get(code, {}).get("items", [])))
            if answers is None:
                continue
            instrument(code).score(answers)
            ready.append((code, answers, activities))
        except InvalidInput as e:
            problems += [FieldProblem(f"{code}.{p.field}", p.message) for p in e.problems] or [
                FieldProblem(code, e.detail)
            ]
    if problems:
        raise InvalidInput("Some answers need a second look.", problems)
    if not ready:
        raise InvalidInput("Nothing was answered yet.", [FieldProblem("answers", "Answer at least one question.")])
    with before_actor(app, read=True) as conn:
        actor = _kiosk_actor(conn, session)
    for code, answers, activities in ready:
        questionnaires.record(app, actor, session["patient_id"], code, answers, activities=activities)
    with before_actor(app) as conn:
        kiosk_store.end(conn, _digest(token), app.clock())
    return len(ready)


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
