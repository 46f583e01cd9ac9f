"""Named scenarios for tests: a clinic with its staff, a registered patient, a visit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sotchart.domain.roles import Role
from sotchart.services import charting, clinics, patients, protocol, users, visits
from sotchart.services.context import Actor, App

PASSWORD = "correct horse battery staple"


@dataclass
class ClinicWithStaff:
    id: int
    name: str
    emails: dict[str, str]  # role → email
    actors: dict[str, Actor]  # role → Actor

    def actor(self, role: str) -> Actor:
        return self.actors[role]


def clinic_with_staff(app: App, name: str = "") -> ClinicWithStaff:
    tag = uuid.uuid4().hex[:8]
    clinic = clinics.create_clinic(app, Actor.console(), name or f"Test clinic {tag}")
    emails, actors = {}, {}
    for role in ("owner", "clinician", "assistant", "researcher"):
        email = f"{role}-{tag}@clinic.test"
        m = users.add_user(
            app,
            Actor.console(clinic.id),
            email=email,
            display_name=f"{role.title()} {tag}",
            role=role,
            password=PASSWORD,
            clinic_id=clinic.id,
        )
        emails[role] = email
        actors[role] = Actor(m.id, clinic.id, Role(role), email, "127.0.0.1")
    return ClinicWithStaff(clinic.id, clinic.name, emails, actors)


def second_clinician(app: App, clinic: ClinicWithStaff) -> str:
    """Another clinician of the clinic (for decisions that need two people); returns their email."""
    email = f"clinician2-{uuid.uuid4().hex[:8]}@clinic.test"
    m = users.add_user(
        app,
        Actor.console(clinic.id),
        email=email,
        display_name="Second Clinician",
        role="clinician",
        password=PASSWORD,
        clinic_id=clinic.id,
    )
    clinic.emails["clinician2"] = email
    clinic.actors["clinician2"] = Actor(m.id, clinic.id, Role("clinician"), email, "127.0.0.1")
    return email


def patient(app: App, clinic: ClinicWithStaff, **overrides: Any) -> patients.Patient:
    # Tests register several "Alex Testperson"s in one clinic; the front desk is asked before a second one.
    data = {
        "family_name": "Testperson",
        "given_name": "Alex",
        "birth_date": "1980-05-17",
        "sex": "female",
        "confirm_not_duplicate": True,
    }
    data.update(overrides)
    return patients.register_patient(app, clinic.actor("assistant"), data)


def visit(app: App, clinic: ClinicWithStaff, patient_id: int, **overrides: Any) -> visits.Visit:
    # Tests open several visits of one patient on one day; the clinic's screen asks before a second.
    data = {
        "kind": "follow-up",
        "complaint": "Low back pain",
        "visit_date": app.clock().date().isoformat(),
        "second_visit_today": True,
    }
    note = overrides.pop("note", None)
    data.update(overrides)
    v = visits.create_visit(app, clinic.actor("clinician"), patient_id, data)
    if note:
        # The note is a part of the visit's record (one visit model), written there as its S.
        charting.save_record(app, clinic.actor("clinician"), v.id, {"note": {"S": note}}, 0)
        v = visits.get_visit(app, clinic.actor("clinician"), v.id)
    return v


def signed_visit(
    app: App,
    c: ClinicWithStaff,
    patient_id: int,
    episode_id: int,
    day: str,
    *,
    pain: int,
    category: int,
    cleared: bool,
    safety: bool = False,
    procedures: tuple[str, ...] = ("blocking",),
    extra: dict[str, Any] | None = None,
) -> int:
    """A visit charted with one indicator (rechecked) and signed, as the screen would."""
    v = visits.create_visit(
        app,
        c.actor("clinician"),
        patient_id,
        {"visit_date": day, "episode_id": episode_id, "second_visit_today": True},  # the episode's complaint
    )
    record = {
        "vitals": {"systolic": 192 if safety else 120, "diastolic": 80, "pulse": 70},
        "pain": pain,
        "findings": [
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"},
            {
                "code": "heel-tension",
                "phase": "post",
                "value": "negative" if cleared else "positive",
                **({} if cleared else {"side": "right"}),
            },
        ],
        "confirmed_category": {"category": category, "side": "right"},
        "treatment": {"procedures": list(procedures)},
        "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
        **(extra or {}),
    }
    # What the last visit found and this one did not examine is answered "not examined", as on the screen.
    examined = {f["code"] for f in record["findings"] if f["phase"] == "pre"}
    record["carry_forward"] = {"dismissed": sorted(set(protocol.active(app.settings).indicators) - examined)}
    if safety:
        # The screen first, then the reasoned override, then the care: treatment is never charted while closed.
        screen = {**record, "treatment": {}, "findings": record["findings"][:1]}
        charting.save_record(app, c.actor("clinician"), v.id, screen, 0)
        r = charting.override_gate(
            app, c.actor("clinician"), v.id, "Rechecked after rest 176/92; GP informed by phone; low-force care only"
        )
        r = charting.save_record(app, c.actor("clinician"), v.id, record, r.revision)
    else:
        r = charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    charting.sign(app, c.actor("clinician"), v.id, r.revision)
    return v.id


def full_record(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "payer": "commercial",
        "vitals": {"systolic": 124, "diastolic": 78, "pulse": 70},
        "pain": 6,
        "subjective": "Low back ache since gardening",
        "findings": [
            {"code": "posture-pelvis", "phase": "pre", "value": "locked"},
            {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 5},
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right", "grade": 3},
            {"code": "leg-length-prone", "phase": "post", "value": "even"},
            {"code": "heel-tension", "phase": "post", "value": "negative", "side": "right"},
        ],
        "confirmed_category": {"category": 1, "side": "right"},
        "treatment": {
            "spinal_regions": ["pelvic"],
            "blocks": [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}],
            "procedures": ["blocking"],
            "block_minutes": 3,
            "breathing": "slow, full exhalation",
        },
        "note": {
            "S": "Better since last week.",
            "O": "Indicators as charted.",
            "A": "Category 1 right.",
            "P": "Blocking prone.",
        },
        "intake": {"history.symptoms": "Low back pain after gardening", "consent": "given in writing"},
    }
    doc.update(changes)
    return doc


def charted_visit(app: App, c: ClinicWithStaff, patient_id: int, **changes: Any) -> visits.Visit:
    """A visit whose record is complete (vitals, screen, findings, recheck, care, note): ready to sign."""
    v = visit(app, c, patient_id, kind="new-patient")
    charting.save_record(app, c.actor("clinician"), v.id, full_record(**changes), 0)
    return visits.get_visit(app, c.actor("clinician"), v.id)


def token(
    app: App, c: ClinicWithStaff, role: str, name: str = "tests", scope: str = "write", steps_ahead: int = 1
) -> str:
    """A script's token for the role's account; an owner's needs a fresh code from its second factor (a code
    is good once: a second token within the same half-minute takes the code of another step)."""
    from sotchart.services import auth

    code = ""
    if role in app.settings.mfa_roles:
        code = auth.current_code(app, c.emails[role], steps_ahead=steps_ahead)
    return users.issue_token(app, Actor.console(c.id), c.emails[role], name, scope=scope, code=code)


def appointment(app: App, clinic: ClinicWithStaff, patient_id: int, **overrides: Any) -> dict[str, Any]:
    """A follow-up booked tomorrow at 10:00 with the clinic's clinician (any warnings confirmed)."""
    from datetime import timedelta

    from sotchart.services import appointments

    at = (app.clock() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    data = {
        "patient_id": patient_id,
        "clinician_id": clinic.actor("clinician").user_id,
        "type": "follow-up",
        "starts_at": at,
        "confirm": "1",
    }
    data.update(overrides)
    return appointments.book(app, clinic.actor("assistant"), data)


def care_plan(app: App, clinic: ClinicWithStaff, patient_id: int, frequency: str = "3 a week for 4 weeks") -> Any:
    """An episode of care for the patient and its plan."""
    from sotchart.services import care_plans

    visits.start_episode(app, clinic.actor("clinician"), patient_id, "Low back pain")
    return care_plans.set_plan(
        app, clinic.actor("clinician"), patient_id, {"frequency": frequency, "reexam_every": "12"}
    )


def signature_png(width: int = 600, height: int = 180, ink: bool = True) -> bytes:
    """A drawn signature as the tablet's canvas sends it: transparent, with a stroke (or none)."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(img).line([(40, 120), (200, 40), (380, 130), (560, 60)], fill=(20, 30, 40, 255), width=4)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def tablet_intake(
    app: App,
    clinic: ClinicWithStaff,
    patient_id: int,
    *,
    yes: tuple[str, ...] = (),
    unsure: tuple[str, ...] = (),
    history: dict[str, str] | None = None,
    appointment_id: int | None = None,
) -> str:
    """A patient's intake given on the tablet through the services, as the pages would: every health question
    answered (no, unless listed), a drawn signature; returns the kiosk session's id."""
    import base64

    from sotchart.domain import intake
    from sotchart.services import kiosk

    h = kiosk.open_tablet(app, clinic.actor("assistant"), patient_id, "intake", appointment_id)
    device = kiosk.claim(app, h.code, "127.0.0.9")
    t = kiosk.tablet(app, device)
    if t.step == "checkin":
        kiosk.save_step(app, device, "checkin", {})
    keys = list(intake.HISTORY_QUESTIONS)
    given = history if history is not None else {"history.symptoms": "Low back pain since Monday"}
    kiosk.save_step(app, device, "history", {f"h{keys.index(k)}": v for k, v in given.items()})
    answers = {f"q.{q.code}": "yes" if q.code in yes else "unsure" if q.code in unsure else "no" for q in t.questions}
    if t.ask_pregnancy:
        answers["q.pregnant"] = "yes" if "pregnant" in yes else "no"
    kiosk.save_step(app, device, "screen", answers)
    png = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    kiosk.save_step(app, device, "consent", {"agree": "yes", "signature": png, "name": ""})
    kiosk.save_step(app, device, "questionnaires", {"nrs-pain.item.0": "6"})
    kiosk.send(app, device)
    return h.session_id
