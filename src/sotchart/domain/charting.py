"""A visit's clinical record as the clinician builds it (the draft document), and what follows from it:
the engine's exam, the safety gate, carried-forward suggestions, what changed since the last visit, the
composed SOAP note, and whether the note may be signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotchart.domain.coding import missing_note_elements
from sotchart.domain.errors import InvalidInput, Problems

DOC_KEYS = (
    "payer",
    "pregnant",
    "history",
    "vitals",
    "pain",
    "subjective",
    "findings",
    "treatment",
    "confirmed_category",
    "gate",
    "note",
    "diagnoses",
    "carry_forward",
    "intake",
)
# The shipped pack's "nothing found" values; a finding with any other value counts as positive.
NORMAL_VALUES = ("negative", "normal", "even", "none")


def is_positive(f: dict[str, Any], phase: str) -> bool:
    return f.get("phase") == phase and f.get("value") not in NORMAL_VALUES


def _finding_key(f: dict[str, Any]) -> tuple[str, str, str, str]:
    # The same indicator at the same place: a recheck answers the pre-treatment finding it matches.
    return (f.get("code") or "", str(f.get("location") or ""), str(f.get("point") or ""), str(f.get("level") or ""))


def recheck_counts(findings: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Positive before treatment, how many of those were rechecked, and how many were normal at the recheck."""
    post = {_finding_key(f): f for f in findings if f.get("phase") == "post"}
    positive = rechecked = cleared = 0
    for f in findings:
        if is_positive(f, "pre"):
            positive += 1
            after = post.get(_finding_key(f))
            if after is not None:
                rechecked += 1
                cleared += after.get("value") in NORMAL_VALUES
    return positive, rechecked, cleared


def treatments_given(doc: dict[str, Any]) -> list[str]:
    """The kinds of care given at the visit, by the pack's procedure codes (blocks and CMRT count too)."""
    t = doc.get("treatment") or {}
    kinds = set(t.get("procedures") or [])
    if t.get("blocks"):
        kinds.add("blocking")
    if t.get("cmrt"):
        kinds.add("cmrt")
    if t.get("adjusted_segments"):
        kinds.add("spinal-adjustment")
    return sorted(kinds)


BLOCKING_ACTIONS = ("emergency-referral", "refer-before-treatment")
NOTE_SECTIONS = ("S", "O", "A", "P")
MAX_TEXT = 20_000


# The intake of a new episode: the history Medicare asks for (ch. 15 §240.1.2), consent, and the care plan.
INTAKE_FIELDS = (
    ("history.symptoms", "Complaint and the symptoms causing the visit"),
    (
        "history.onset-duration-intensity-frequency-location-radiation",
        "Onset, duration, intensity, frequency, location and radiation",
    ),
    ("history.mechanism", "Mechanism of injury or onset"),
    ("history.quality-character", "Quality and character of the symptoms"),
    ("history.aggravating-relieving", "Aggravating and relieving factors"),
    ("history.prior-interventions", "Prior care and interventions"),
    ("history.past-health", "Past health history"),
    ("history.family-history-if-relevant", "Family history (write 'none relevant' if so)"),
    ("plan.frequency-duration", "Care plan: visit frequency and duration (e.g. 2 a week for 4 weeks)"),
    ("plan.goals", "Care plan: goals"),
    ("plan.objective-measures", "Care plan: objective measures of progress (e.g. NRS, ODI, prone leg length)"),
    ("plan.re-exam-date", "Care plan: re-examination date"),
)
INTAKE_KEYS = (*(k for k, _ in INTAKE_FIELDS), "consent")


def empty_document() -> dict[str, Any]:
    return {
        "payer": "cash",
        "pregnant": False,
        "history": {"red_flags": [], "conditions": []},
        "vitals": {},
        "pain": None,
        "subjective": "",
        "findings": [],
        "treatment": {
            "spinal_regions": [],
            "extraspinal_regions": [],
            "blocks": [],
            "procedures": [],
            "block_minutes": None,
            "breathing": "",
            "cmrt": [],
            "adjusted_segments": [],
        },
        "confirmed_category": None,
        "gate": {"referral": None, "override": None},
        "note": {s: "" for s in NOTE_SECTIONS},
        "diagnoses": [],
        "carry_forward": {},
        "intake": {},
    }


def check_document(doc: Any) -> dict[str, Any]:
    """The shape the server keeps; field-level checks of clinical content are the engine's (parse_exam)."""
    p = Problems()
    if not isinstance(doc, dict):
        raise InvalidInput("The visit record must be a JSON object.")
    for key in doc:
        if key not in DOC_KEYS:
            p.add(key, f"is not part of a visit record; use: {', '.join(DOC_KEYS)}")
    merged = empty_document() | {k: v for k, v in doc.items() if k in DOC_KEYS}
    pain = merged.get("pain")
    if pain is not None and (not isinstance(pain, int) or isinstance(pain, bool) or not 0 <= pain <= 10):
        p.add("pain", "must be a whole number from 0 (no pain) to 10 (worst imaginable)")
    if not isinstance(merged["subjective"], str) or len(merged["subjective"]) > MAX_TEXT:
        p.add("subjective", f"must be text of at most {MAX_TEXT} characters")
    note = merged.get("note")
    if not isinstance(note, dict) or any(
        not isinstance(note.get(s, ""), str) or len(note.get(s, "")) > MAX_TEXT for s in NOTE_SECTIONS
    ):
        p.add("note", f"must hold S, O, A and P as text of at most {MAX_TEXT} characters each")
    if not isinstance(merged["pregnant"], bool):
        p.add("pregnant", "must be true or false")
    t = merged.get("treatment")
    if isinstance(t, dict):
        minutes = t.get("block_minutes")
        if minutes is not None and (
            not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 0 < minutes <= 60
        ):
            p.add("treatment.block_minutes", "must be a number of minutes from 1 to 60")
        if not isinstance(t.get("breathing", ""), str) or len(t.get("breathing", "")) > 500:
            p.add("treatment.breathing", "must be text of at most 500 characters")
    p.raise_if_any("The visit record has entries to fix.")
    return merged


def exam_from(doc: dict[str, Any], *, age: int | None, sex: str) -> dict[str, Any]:
    """The engine's input from the visit record and the patient's registration."""
    t = doc.get("treatment") or {}
    vitals = {k: v for k, v in (doc.get("vitals") or {}).items() if k in ("systolic", "diastolic", "pulse", "symptoms")}
    if vitals.get("systolic") is None or vitals.get("diastolic") is None:
        # Half a reading (typed one field, not yet the other) is kept in the record, not judged.
        vitals.pop("systolic", None)
        vitals.pop("diastolic", None)
    recheck = (doc.get("vitals") or {}).get("recheck") or {}
    if recheck.get("systolic") is not None and recheck.get("diastolic") is not None:
        # A re-measurement after rest replaces the first reading for the gate; both stay in the record.
        vitals |= {"systolic": recheck["systolic"], "diastolic": recheck["diastolic"]}
    return {
        "patient": {"age": age, "sex": sex, "pregnant": bool(doc.get("pregnant"))},
        "payer": doc.get("payer", "cash"),
        "history": doc.get("history") or {},
        "vitals": vitals,
        "findings": [{k: v for k, v in f.items() if k != "carried"} for f in doc.get("findings") or []],
        "treatment": {
            k: t.get(k)
            for k in ("spinal_regions", "extraspinal_regions", "blocks", "procedures", "care_type", "abn_on_file")
            if t.get(k) is not None
        },
        "confirmed_category": doc.get("confirmed_category"),
    }


@dataclass(frozen=True)
class Gate:
    action: str
    blocked: bool
    cleared_by: str  # "" | "referral" | "override"


def gate(doc: dict[str, Any], safety_action: str) -> Gate:
    """Treatment steps stay closed on an emergency or refer-before-treatment finding until a referral is
    recorded or an override with a written reason is signed."""
    g = doc.get("gate") or {}
    if safety_action not in BLOCKING_ACTIONS:
        return Gate(safety_action, False, "")
    if g.get("referral"):
        return Gate(safety_action, False, "referral")
    if g.get("override") and str(g["override"].get("reason", "")).strip():
        return Gate(safety_action, False, "override")
    return Gate(safety_action, True, "")


def treatment_recorded(doc: dict[str, Any]) -> bool:
    t = doc.get("treatment") or {}
    return any(
        t.get(k) for k in ("spinal_regions", "extraspinal_regions", "blocks", "procedures", "cmrt", "adjusted_segments")
    ) or any(f.get("phase") == "post" for f in doc.get("findings") or [])


def suggestions(previous_findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last visit's pre-treatment findings, offered to be confirmed or changed; never copied silently."""
    return [
        {k: v for k, v in f.items() if k != "carried"} | {"phase": "pre"}
        for f in previous_findings
        if f.get("phase") == "pre"
    ]


def unconfirmed_suggestions(doc: dict[str, Any], offered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    codes = {f["code"] for f in doc.get("findings") or [] if f.get("phase") == "pre"}
    dismissed = set((doc.get("carry_forward") or {}).get("dismissed") or [])
    return [s for s in offered if s["code"] not in codes and s["code"] not in dismissed]


def changes_since(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """What differs from the last visit, in words, for the note (payers deny notes that are clones)."""
    if not previous:
        return ["First visit of this episode."]
    out: list[str] = []
    before = {f["code"]: f for f in previous.get("findings") or [] if f.get("phase") == "pre"}
    now = {f["code"]: f for f in current.get("findings") or [] if f.get("phase") == "pre"}
    for code in sorted(set(before) | set(now)):
        a, b = before.get(code), now.get(code)
        if a and not b:
            out.append(f"{code}: not examined this visit (was {_say(a)})")
        elif b and not a:
            out.append(f"{code}: {_say(b)} (new this visit)")
        elif a and b and _say(a) != _say(b):
            out.append(f"{code}: {_say(a)} → {_say(b)}")
    pa, pb = previous.get("pain"), current.get("pain")
    if pa is not None and pb is not None and pa != pb:
        out.append(f"pain {pa}/10 → {pb}/10")
    ca, cb = previous.get("confirmed_category"), current.get("confirmed_category")
    if (ca or {}) != (cb or {}):
        out.append(f"category {_cat(ca)} → {_cat(cb)}")
    return out or ["No change in the recorded findings since the last visit."]


def _say(f: dict[str, Any]) -> str:
    parts = [str(f.get("value"))]
    for k in ("side", "location", "grade", "mm", "line", "area", "point", "level", "region"):
        if f.get(k) is not None:
            parts.append(f"{k} {f[k]}")
    return " ".join(parts)


def _cat(c: dict[str, Any] | None) -> str:
    if not c:
        return "none"
    return f"{c.get('category')}{' ' + c['side'] if c.get('side') else ''}"


def compose_note(doc: dict[str, Any], assessment: dict[str, Any], changes: list[str]) -> dict[str, str]:
    """A SOAP draft from the structured record; the clinician edits it before signing."""
    pre = [f for f in doc.get("findings") or [] if is_positive(f, "pre")]
    subjective = doc.get("subjective", "").strip()
    if doc.get("pain") is not None:
        subjective = (subjective + " " if subjective else "") + f"Pain {doc['pain']}/10 (NRS)."
    v = doc.get("vitals") or {}
    o = []
    if v.get("systolic") is not None:
        band = (assessment.get("blood_pressure") or {}).get("category") or ""
        o.append(f"BP {v['systolic']}/{v['diastolic']} mmHg ({band}), pulse {v.get('pulse', '—')}.")
    if pre:
        o.append("Indicators before treatment: " + "; ".join(f"{f['code']} {_say(f)}" for f in pre) + ".")
    summary = assessment.get("recheck_summary") or {}
    if any(summary.values()):
        o.append("Recheck after treatment: " + ", ".join(f"{n} {k}" for k, n in summary.items() if n) + ".")
    a = []
    cat = doc.get("confirmed_category")
    if cat:
        a.append(
            f"SOT category {cat['category']}{', ' + cat['side'] if cat.get('side') else ''} "
            "(technique-protocol finding, confirmed by the clinician)."
        )
    codes = assessment.get("coding") or {}
    if codes.get("icd10"):
        a.append("Segmental dysfunction: " + ", ".join(f"{c['code']} {c['region']}" for c in codes["icd10"]) + ".")
    if doc.get("diagnoses"):
        a.append("Also: " + ", ".join(d["code"] for d in doc["diagnoses"]) + ".")
    a.append("Since last visit: " + "; ".join(changes))
    t = doc.get("treatment") or {}
    plan = []
    if t.get("blocks"):
        blocks = ", ".join(f"{b['site']} {b['side']}" for b in t["blocks"])
        plan.append(
            f"Blocking: {blocks}"
            + (f", {t['block_minutes']} min" if t.get("block_minutes") else "")
            + (f"; breathing: {t['breathing']}" if t.get("breathing") else "")
            + "."
        )
    if t.get("cmrt"):
        plan.append("CMRT: " + ", ".join(str(c.get("level")) for c in t["cmrt"]) + ".")
    if t.get("adjusted_segments"):
        plan.append("Adjusted: " + ", ".join(t["adjusted_segments"]) + ".")
    if t.get("procedures"):
        plan.append("Procedures: " + ", ".join(t["procedures"]) + ".")
    if codes.get("cpt_spinal"):
        plan.append(
            f"CMT {codes['cpt_spinal']}"
            + (f"-{'-'.join(codes['modifiers'])}" if codes.get("modifiers") else "")
            + (f"; {codes['cpt_extraspinal']}" if codes.get("cpt_extraspinal") else "")
            + "."
        )
    return {"S": subjective, "O": " ".join(o), "A": " ".join(a), "P": " ".join(plan)}


def sign_problems(
    doc: dict[str, Any], assessment: dict[str, Any], *, initial_visit: bool, visit_date: date, today: date
) -> list[tuple[str, str]]:
    """Everything that stops the note from being signed, as (field, what to do)."""
    out: list[tuple[str, str]] = []
    v = doc.get("vitals") or {}
    if v.get("systolic") is None:
        out.append(("vitals", "Record the blood pressure."))
    g = gate(doc, (assessment.get("safety") or {}).get("action", "clear"))
    if g.blocked and treatment_recorded(doc):
        out.append(
            (
                "gate",
                "Treatment is recorded while the safety gate is closed: record a referral or an "
                "override with a reason.",
            )
        )
    if not any(f.get("phase") == "pre" for f in doc.get("findings") or []):
        out.append(("findings", "Record the pre-treatment indicators."))
    if treatment_recorded(doc) and not any(f.get("phase") == "post" for f in doc.get("findings") or []):
        out.append(("recheck", "Recheck the indicators after treatment."))
    if doc.get("pain") is None:
        out.append(("pain", "Record the pain score (0–10)."))
    note = doc.get("note") or {}
    for s in NOTE_SECTIONS:
        if not str(note.get(s, "")).strip():
            out.append((f"note.{s}", f"Write the {s} section of the note (compose it from the record)."))
    if visit_date > today:
        out.append(("visit_date", "The visit date is in the future."))
    intake = doc.get("intake") or {}
    if initial_visit:
        if not str(intake.get("consent", "")).strip():
            out.append(("intake.consent", "Record the patient's consent to examination and care."))
        if not str(intake.get("history.symptoms", "")).strip():
            out.append(("intake.history.symptoms", "Record the complaint and the symptoms causing the visit."))
    if doc.get("payer") == "medicare":
        present = medicare_elements_present(doc, assessment, initial_visit)
        for element in missing_note_elements(present, initial_visit):
            out.append((f"medicare.{element}", f"Medicare needs {element.replace('.', ': ').replace('-', ' ')}."))
    return out


def medicare_elements_present(doc: dict[str, Any], assessment: dict[str, Any], initial_visit: bool) -> set[str]:
    intake = doc.get("intake") or {}  # keyed by the element names, e.g. "history.mechanism", "plan.goals"
    present = {k for k, v in intake.items() if str(v).strip()}
    if (assessment.get("part") or {}).get("met"):
        present.add("exam.part")
    if (assessment.get("coding") or {}).get("icd10"):
        present.add("diagnosis.subluxation-level")
    note = doc.get("note") or {}
    if str(note.get("S", "")).strip():
        present |= {"history.chief-complaint-review", "history.changes-since-last-visit"}
    if any(f.get("phase") == "pre" for f in doc.get("findings") or []):
        present |= {"exam.spinal-area", "exam.change-since-last-visit"}
    if any(f.get("phase") == "post" for f in doc.get("findings") or []):
        present.add("exam.treatment-effectiveness")
    if treatment_recorded(doc):
        present |= {"treatment.given", "date-of-initial-treatment"}
    return present
