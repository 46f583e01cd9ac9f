"""The demo clinic: synthetic patients, staff and visits, so a new install has something real to look at."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sotchart.domain.patients import PatientDetails, search_key
from sotchart.domain.roles import Action
from sotchart.services import clinics, passwords
from sotchart.services.context import Actor, App, Unit, before_actor, unit
from sotchart.services.demo_calendar import book_the_calendar, slot_time
from sotchart.services.patients import search_keys
from sotchart.store import clinics as clinic_store
from sotchart.store import patients as patient_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store

DEMO_CLINIC = "Harbourside Chiropractic (demo)"
DEMO_ZONE = "America/Chicago"
DEMO_PASSWORD = "harbourside-demo-2026"  # noqa: S105 - printed by `make run` on purpose
STAFF = (
    ("owner@demo.sotchart.test", "Dr Maren Okafor", "owner"),
    ("clinician@demo.sotchart.test", "Dr Tomas Lindqvist", "clinician"),
    ("assistant@demo.sotchart.test", "Priya Natarajan", "assistant"),
    ("researcher@demo.sotchart.test", "Dr Ana Ribeiro", "researcher"),
)
# The chiropractors' credentials as their notes are signed. No NPI: a made-up number that passes the check
# digit could be a real provider's.
CREDENTIALS = {"owner": "DC", "clinician": "DC, CSP"}
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
        # A clinic in the US Central zone: its day, its visits' dates and its calendar are Chicago's.
        clinic_store.set_details(u.conn, clinic.id, time_zone=DEMO_ZONE)
        app.zone_changed(clinic.id)
        staff_ids = [
            user_store.create(
                u.conn, clinic_id=clinic.id, email=e, display_name=n, role=r, password_hash=pw_hash, now=u.now
            )
            for e, n, r in STAFF
        ]
        for uid, (_e, _n, r) in zip(staff_ids, STAFF, strict=True):
            user_store.set_fields(u.conn, uid, u.now, credentials=CREDENTIALS.get(r, ""))
        clinician_ids = staff_ids[:2]
        today = u.today()
        in_care: list[dict[str, Any]] = []
        others: list[int] = []
        for i in range(patients):
            sex = rng.choice(("female", "male"))
            given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M)
            family = FAMILY[i % len(FAMILY)]
            birth = date(rng.randint(1945, 2015), rng.randint(1, 12), rng.randint(1, 28))
            details = PatientDetails(
                family_name=family,
                given_name=given,
                birth_date=birth,
                sex=sex,
                phone=f"+1 555 01{rng.randint(10, 99)} {rng.randint(1000, 9999)}",
                email=f"{search_key(given)}.{search_key(family).replace(chr(39), '')}@example.org",
                address=f"{rng.randint(1, 400)} Harbour Road, Port Lewis",
                preferred_name="",
                emergency_name=f"{rng.choice(GIVEN_F + GIVEN_M)} {family}",
                emergency_phone=f"+1 555 02{rng.randint(10, 99)} {rng.randint(1000, 9999)}",
                emergency_relationship=rng.choice(("spouse", "parent", "sibling", "friend")),
            )
            pid = patient_store.create(
                u.conn,
                clinic_id=clinic.id,
                actor_id=staff_ids[2],
                now=u.now,
                values=asdict(details) | search_keys(details),
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
            # Today's patients whose time has come are in with the clinician; the rest are still to come.
            open_today = slot_time(u, clinic.id, len(in_care), today) <= u.now
            care = _visits(u, rng, clinic.id, pid, clinician_ids, today, n_visits, open_today, sex)
            if care is not None:
                in_care.append(care)
            else:
                others.append(pid)
        book_the_calendar(u, rng, clinic.id, clinician_ids, in_care, others)
        waiting = next((c for c in in_care[1:] if c["today_visit_id"] is not None), None)
        if waiting is not None:
            _tablet_answers(u, clinic.id, waiting["patient_id"], staff_ids[2])
        u.audit("demo.load", "clinic", clinic.id, detail=f"patients={patients}")
    return [DemoSignIn(e, r, DEMO_PASSWORD) for e, _, r in STAFF]


# Synthetic SOT visits: category and side drift over an episode, pain falls unevenly, and the recheck
# resolves some positive indicators. Values are made up for the demo; no clinical claim is made.
_CAT_FINDINGS: dict[int, list[tuple[str, str, str | None]]] = {
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


# A demo intake answers every element Medicare asks of a first visit (ch. 15 §240.1.2), in made-up words.
_INTAKE = {
    "history.onset-duration-intensity-frequency-location-radiation": "Began two weeks ago; daily; no radiation",
    "history.mechanism": "Lifting at work",
    "history.quality-character": "Dull ache, stiff in the morning",
    "history.aggravating-relieving": "Worse sitting; better walking",
    "history.prior-interventions": "Rest and ibuprofen",
    "history.past-health": "No surgery; no serious illness",
    "history.family-history-if-relevant": "None relevant",
    "plan.frequency-duration": "2 a week for 4 weeks",
    "plan.goals": "Sit through a working day with pain 3/10 or less",
    "plan.objective-measures": "NRS pain, prone leg length",
    "plan.re-exam-date": "In 4 weeks",
    "consent": "given in writing",
}


def _record(rng: random.Random, category: int, pain: int, complaint: str) -> dict[str, Any]:
    findings: list[dict[str, Any]] = []
    for i, (code, value, side) in enumerate(_CAT_FINDINGS[category]):
        if i == 0 or rng.random() < 0.8:  # the posture check is always made
            pre = {"code": code, "phase": "pre", "value": value} | ({"side": side} if side else {})
            findings.append(pre)
            resolved = rng.random() < 0.6
            post_value = _NORMAL.get(code, "negative") if resolved else value
            findings.append(
                {"code": code, "phase": "post", "value": post_value} | ({"side": side} if side and not resolved else {})
            )
    # Occipital fibres on one or both sides (line 2, area 6: the public record's one sourced point); a
    # fibre is a point finding, so the left and the right are two findings, each rechecked on its own.
    for fibre_side in rng.sample(["left", "right"], rng.choice([0, 0, 1, 2])):
        fibre = {"code": "occipital-fiber", "line": 2, "area": 6, "side": fibre_side}
        findings.append(fibre | {"phase": "pre", "value": "positive"})
        if rng.random() < 0.5:
            findings.append(fibre | {"phase": "post", "value": rng.choice(["negative", "positive"])})
    payer = rng.choice(["cash", "commercial", "commercial", "medicare"])
    region = "lumbar" if category == 3 else "pelvic"
    if payer == "medicare":
        # Medicare's active care rests on PART in the treated region: pain and asymmetry there.
        findings += [
            {"code": "part-pain", "phase": "pre", "value": "positive", "region": region},
            {"code": "part-asymmetry", "phase": "pre", "value": "positive", "region": region},
        ]
    side = next((s for _, _, s in _CAT_FINDINGS[category] if s), None) or "right"
    return {
        "payer": payer,
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
            "position": "prone" if category != 2 else "supine",
            "procedures": ["blocking"],
        },
        "note": {
            "S": f"{complaint}. Pain {pain}/10.",
            "O": "Indicators as charted.",
            "A": f"SOT category {category} {side} (technique-protocol finding).",
            "P": "Blocking; recheck.",
        },
        "intake": {"history.symptoms": complaint, **_INTAKE},
    }


def _visits(
    u: Unit,
    rng: random.Random,
    clinic_id: int,
    pid: int,
    clinician_ids: list[int],
    today: date,
    n: int,
    open_today: bool,
    sex: str,
) -> dict[str, Any] | None:
    """The patient's episode and visits; what the calendar books from (None: no visit yet). The last visit is
    today's, left open, if their appointment's time has come; otherwise it is still to come."""
    if n == 0:
        return None
    from sotchart.domain import charting as rules
    from sotchart.services.charting import write_signed

    complaint = rng.choice([c for c in COMPLAINTS if sex == "female" or "pregnancy" not in c])
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
    patient = patient_store.get(u.conn, clinic_id, pid)
    category, pain = rng.choice([1, 1, 2, 3]), rng.randint(5, 9)
    examined_before: set[str] = set()
    recent: list[dict[str, Any]] = []  # the last two weeks' visits, which came by appointment
    for k in range(n):
        d = start + timedelta(days=3 * k)
        clinician = rng.choice(clinician_ids)
        last = k == n - 1
        if last and not open_today:
            break  # their appointment today is later on
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
        )["id"]
        if last:
            # Today's visit is left open, as a clinic's would be.
            return {
                "patient_id": pid,
                "episode_id": eid,
                "episode_start": start,
                "today_visit_id": vid,
                "today_kind": kind,
                "recent": recent,
                "clinician": clinician,
            }
        if d >= today - timedelta(days=14):
            recent.append({"visit_id": vid, "day": d, "kind": kind, "clinician": clinician})
        record = _record(rng, category, pain, complaint)
        examined = {f["code"] for f in record["findings"] if f["phase"] == "pre"}
        # What last visit found and this one did not examine is marked so, as a clinician answers it.
        record["carry_forward"] = {"dismissed": sorted(examined_before - examined)}
        examined_before = examined
        doc = rules.check_document(record)
        # The demo's notes pass the same checks and the same writer as a clinician's signature.
        v = visit_store.get(u.conn, clinic_id, vid)
        assert v is not None and patient is not None
        write_signed(
            u,
            v,
            patient,
            doc,
            kind="signed",
            reason="",
            status={"status": "signed", "signed_at": u.now, "signed_by": clinician},
        )
        _questionnaires(u, rng, pid, vid, d, k, pain)
    return {
        "patient_id": pid,
        "episode_id": eid,
        "episode_start": start,
        "today_visit_id": None,
        "today_kind": None,
        "recent": recent,
        "clinician": None,
    }


PSFS_ACTIVITIES = ("Sitting through a working day", "Lifting a child or shopping", "Sleeping through the night")


def _questionnaires(u: Unit, rng: random.Random, pid: int, vid: int, day: date, k: int, pain: int) -> None:
    """The free questionnaires a clinic gives at intake and then now and again (NRS at every third visit of an
    episode's first thirty, PSFS at the first and every sixth), scored by the same code as a patient's own.
    Made-up answers that follow the visit's pain; no claim about any real course of care."""
    if k >= 30 or k % 3:
        return
    from sotchart.services.questionnaires import record_in

    record_in(u, pid, "nrs-pain", [pain], visit_id=vid, answered_on=day.isoformat())
    if k % 6 == 0:
        ratings = [max(0, min(10, 10 - pain + rng.randint(-2, 1))) for _ in PSFS_ACTIVITIES]
        record_in(u, pid, "psfs", ratings, activities=list(PSFS_ACTIVITIES), visit_id=vid, answered_on=day.isoformat())


def _tablet_answers(u: Unit, clinic_id: int, pid: int, desk_id: int) -> None:
    """One of today's arrived patients has given their intake on the tablet, waiting for the clinician's
    review (every health question answered no; made-up words)."""
    import secrets

    from sotchart.domain import intake
    from sotchart.services import protocol
    from sotchart.store import kiosk as kiosk_store

    pack = protocol.active(u.app.settings)
    session_id = secrets.token_hex(16)
    kiosk_store.create(
        u.conn,
        session_id=session_id,
        clinic_id=clinic_id,
        patient_id=pid,
        opened_by=desk_id,
        task="intake",
        appointment_id=None,
        instruments="nrs-pain,psfs",
        code_hash=intake.code_digest(intake.new_code()),
        code_expires_at=u.now,
        now=u.now,
        expires_at=u.now,
    )
    kiosk_store.end(u.conn, session_id, u.now, "sent")
    clinic = clinic_store.get(u.conn, clinic_id)
    consent = intake.consent_for(clinic["name"] if clinic else None)
    patient = patient_store.get(u.conn, clinic_id, pid) or {}
    kiosk_store.add_intake(
        u.conn,
        {
            "clinic_id": clinic_id,
            "patient_id": pid,
            "appointment_id": None,
            "kiosk_session_id": session_id,
            "submitted_at": u.now,
            "answers": {
                "history": {"history.symptoms": "Stiff lower back after gardening at the weekend"},
                "screen": {q.code: "no" for q in intake.screen_questions(pack.red_flags, pack.conditions)},
            },
            "consent_text": consent,
            "consent_sha256": intake.consent_digest(consent),
            "consent_name": f"{patient.get('given_name', '')} {patient.get('family_name', '')}".strip(),
            "consent_signature": None,
        },
    )


def demo_present(app: App) -> bool:
    with before_actor(app) as conn:
        return user_store.by_email(conn, STAFF[0][0]) is not None
