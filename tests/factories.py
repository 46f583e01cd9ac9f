"""Named scenarios for tests: a clinic with its staff, a registered patient, a visit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sotchart.domain.roles import Role
from sotchart.services import charting, clinics, patients, users, visits
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


def patient(app: App, clinic: ClinicWithStaff, **overrides: Any) -> patients.Patient:
    data = {"family_name": "Testperson", "given_name": "Alex", "birth_date": "1980-05-17", "sex": "female"}
    data.update(overrides)
    return patients.register_patient(app, clinic.actor("assistant"), data)


def visit(app: App, clinic: ClinicWithStaff, patient_id: int, **overrides: Any) -> visits.Visit:
    data = {"kind": "follow-up", "complaint": "Low back pain", "visit_date": app.clock().date().isoformat()}
    data.update(overrides)
    return visits.create_visit(app, clinic.actor("clinician"), patient_id, data)


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
        {"visit_date": day, "episode_id": episode_id, "complaint": "Low back pain"},
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
    r = charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    if safety:
        r = charting.override_gate(app, c.actor("clinician"), v.id, "Rechecked after rest; GP informed today")
    charting.sign(app, c.actor("clinician"), v.id, r.revision)
    return v.id
