"""The demo clinic: synthetic patients, staff and visits, so a new install has something real to look at."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sotchart.domain.patients import search_key
from sotchart.domain.roles import Action
from sotchart.services import clinics, passwords
from sotchart.services.context import Actor, App, unit
from sotchart.store import patients as patient_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store

DEMO_CLINIC = "Harbourside Chiropractic (demo)"
DEMO_PASSWORD = "harbourside-demo-2026"  # noqa: S105 - printed by `make run` on purpose
STAFF = (
    ("owner@demo.sotchart.test", "Dr Maren Okafor", "owner"),
    ("clinician@demo.sotchart.test", "Dr Tomas Lindqvist", "clinician"),
    ("assistant@demo.sotchart.test", "Priya Natarajan", "assistant"),
    ("researcher@demo.sotchart.test", "Dr Ana Ribeiro", "researcher"),
)
FAMILY = (
    "Abernathy",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fairweather",
    "Goldberg",
    "Haddad",
    "Ishikawa",
    "Jankowski",
    "Kowalczyk",
    "Lambert",
    "Moreau",
    "Nakamura",
    "O'Connell",
    "Petrov",
    "Quinlan",
    "Rasmussen",
    "Sandoval",
    "Tanaka",
    "Underwood",
    "Vasquez",
    "Whitaker",
    "Yilmaz",
    "Zimmermann",
    "Müller",
    "Ng",
    "Okonkwo",
)
GIVEN_F = ("Amelia", "Beatriz", "Chloe", "Daniela", "Elif", "Freya", "Grace", "Hana", "Ingrid", "Jasmine", "Leila")
GIVEN_M = ("Aaron", "Bruno", "Carlos", "Dmitri", "Emeka", "Felix", "Gabriel", "Hiroshi", "Ivan", "Jonah", "Luca")
COMPLAINTS = (
    "Low back pain after lifting",
    "Neck pain with headaches",
    "Sciatica, left leg",
    "Groin pain after twisting",
    "Jaw clicking and temple headaches",
    "Mid-back stiffness",
    "Pelvic pain in pregnancy, 28 weeks",
    "Recurring tension headaches",
)


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    role: str
    password: str


def load_demo(app: App, *, patients: int = 40, long_history_visits: int = 1000, seed: int = 7) -> list[DemoSignIn]:
    """Create the demo clinic in one transaction (one audited use case), unless it is already there."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, repeatable by seed, not a secret
    clinic = clinics.create_clinic(app, Actor.console(), DEMO_CLINIC)
    actor = Actor.console(clinic.id)
    pw_hash = passwords.hash_password(DEMO_PASSWORD)
    with unit(app, actor, Action.PATIENT_CREATE, "clinic", clinic.id) as u:
        staff_ids = [
            user_store.create(
                u.conn, clinic_id=clinic.id, email=e, display_name=n, role=r, password_hash=pw_hash, now=u.now
            )
            for e, n, r in STAFF
        ]
        clinician_ids = staff_ids[:2]
        today = u.now.date()
        for i in range(patients):
            sex = rng.choice(("female", "male"))
            given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M)
            family = FAMILY[i % len(FAMILY)]
            birth = date(rng.randint(1945, 2015), rng.randint(1, 12), rng.randint(1, 28))
            pid = patient_store.create(
                u.conn,
                clinic_id=clinic.id,
                actor_id=staff_ids[2],
                now=u.now,
                values={
                    "family_name": family,
                    "given_name": given,
                    "family_key": search_key(family),
                    "given_key": search_key(given),
                    "birth_date": birth,
                    "sex": sex,
                    "phone": f"+1 555 01{rng.randint(10, 99)} {rng.randint(1000, 9999)}",
                    "email": f"{search_key(given)}.{search_key(family).replace(chr(39), '')}@example.org",
                    "address": f"{rng.randint(1, 400)} Harbour Road, Port Lewis",
                    "external_id": "",
                },
            )
            if i % 7 == 3:
                patient_store.add_alert(
                    u.conn,
                    patient_id=pid,
                    kind="safety",
                    text="Anticoagulant therapy (warfarin): relative contraindication, gentle care only",
                    actor_id=clinician_ids[0],
                    now=u.now,
                )
            if i % 11 == 5:
                patient_store.add_alert(
                    u.conn, patient_id=pid, kind="allergy", text="Latex", actor_id=staff_ids[2], now=u.now
                )
            n_visits = long_history_visits if i == 0 else rng.randint(0, 14)
            _visits(u, rng, clinic.id, pid, clinician_ids, today, n_visits)
        u.audit("demo.load", "clinic", clinic.id, detail=f"patients={patients}")
    return [DemoSignIn(e, r, DEMO_PASSWORD) for e, _, r in STAFF]


# Synthetic SOT visits: category and side drift over an episode, pain falls unevenly, and the recheck
# resolves some positive indicators. Values are made up for the demo; no clinical claim is made.
_CAT_FINDINGS = {
    1: [
        ("posture-pelvis", "locked", None),
        ("leg-length-prone", "short", "right"),
        ("heel-tension", "positive", "right"),
        ("first-rib-motion", "positive", None),
    ],
    2: [
        ("posture-pelvis", "unstable", None),
        ("inguinal-tender", "positive", "left"),
        ("first-rib-tubercle-tender", "positive", "left"),
        ("arm-fossa", "positive", "left"),
    ],
    3: [
        ("posture-pelvis", "antalgic", "right"),
        ("sciatica", "positive", "right"),
        ("psoas-tender", "positive", "right"),
    ],
}
_NORMAL = {"posture-pelvis": "normal", "leg-length-prone": "even"}


def _record(rng, category: int, pain: int, complaint: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    findings = []
    for code, value, side in _CAT_FINDINGS[category]:
        if rng.random() < 0.8:
            pre = {"code": code, "phase": "pre", "value": value} | ({"side": side} if side else {})
            findings.append(pre)
            resolved = rng.random() < 0.6
            post_value = _NORMAL.get(code, "negative") if resolved else value
            findings.append(
                {"code": code, "phase": "post", "value": post_value} | ({"side": side} if side and not resolved else {})
            )
    side = next((s for _, _, s in _CAT_FINDINGS[category] if s), None) or "right"
    return {
        "payer": rng.choice(["cash", "commercial", "commercial", "medicare"]),
        "pain": pain,
        "vitals": {"systolic": rng.randint(108, 146), "diastolic": rng.randint(64, 92), "pulse": rng.randint(56, 90)},
        "subjective": complaint,
        "findings": findings,
        "confirmed_category": {"category": category, "side": side},
        "treatment": {
            "spinal_regions": ["pelvic"] + (["lumbar"] if category == 3 else []),
            "blocks": [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}]
            if category == 1
            else [],
            "procedures": ["blocking"],
        },
        "note": {
            "S": f"{complaint}. Pain {pain}/10.",
            "O": "Indicators as charted.",
            "A": f"SOT category {category} {side} (technique-protocol finding).",
            "P": "Blocking; recheck.",
        },
        "intake": {"history.symptoms": complaint, "consent": "given in writing"},
    }


def _visits(u, rng, clinic_id, pid, clinician_ids, today, n):  # type: ignore[no-untyped-def]
    if n == 0:
        return
    from sotchart.domain import charting as rules
    from sotchart.domain.protocol.engine import evaluate
    from sotchart.services import protocol
    from sotchart.services.charting import render_note, visit_summary
    from sotchart.store import charting as chart_store

    pack = protocol.active(u.app.settings)
    complaint = rng.choice(COMPLAINTS)
    # Every third day, ending today: the open last visit is on today's list.
    start = today - timedelta(days=3 * (n - 1))
    eid = visit_store.create_episode(
        u.conn,
        clinic_id=clinic_id,
        patient_id=pid,
        complaint=complaint,
        start_date=start,
        actor_id=clinician_ids[0],
        now=u.now,
    )
    category, pain = rng.choice([1, 1, 2, 3]), rng.randint(5, 9)
    for k in range(n):
        d = start + timedelta(days=3 * k)
        clinician = rng.choice(clinician_ids)
        last = k == n - 1
        if rng.random() < 0.15:
            category = min(3, max(1, category + rng.choice([-1, 1])))
        pain = max(0, min(10, pain + rng.choice([-1, -1, 0, 0, 1])))
        kind = "new-patient" if k == 0 else ("re-examination" if k % 12 == 0 else "follow-up")
        vid = visit_store.create(
            u.conn,
            clinic_id=clinic_id,
            patient_id=pid,
            actor_id=clinician,
            now=u.now,
            values={
                "episode_id": eid,
                "clinician_id": clinician,
                "visit_date": d,
                "kind": kind,
                "complaint": complaint,
            },
        )
        if last:
            continue  # today's visit is left open, as a clinic's would be
        doc = rules.check_document(_record(rng, category, pain, complaint))
        assessment = evaluate(rules.exam_from(doc, age=45, sex="female"), pack)
        chart_store.add(
            u.conn,
            visit_id=vid,
            revision=1,
            document=doc,
            assessment=assessment,
            kind="signed",
            reason="",
            actor_id=clinician,
            now=u.now,
        )
        chart_store.write_findings(
            u.conn, clinic_id=clinic_id, patient_id=pid, visit_id=vid, revision=1, findings=doc["findings"], now=u.now
        )
        chart_store.write_treatments(
            u.conn, clinic_id=clinic_id, visit_id=vid, revision=1, kinds=rules.treatments_given(doc)
        )
        visit_store.update_if_version(
            u.conn,
            clinic_id=clinic_id,
            visit_id=vid,
            expected_version=1,
            values={
                "status": "signed",
                "signed_at": u.now,
                "signed_by": clinician,
                "revision": 1,
                "note": render_note(doc["note"]),
                **visit_summary(doc, assessment),
            },
            actor_id=clinician,
            now=u.now,
        )


def demo_present(app: App) -> bool:
    with app.db.transaction() as conn:
        return user_store.by_email(conn, STAFF[0][0]) is not None
