"""A visit's clinical record as the clinician builds it (the draft document), and what follows from it:
the engine's exam, the safety gate, carried-forward suggestions, what changed since the last visit, the
composed SOAP note, and whether the note may be signed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sotchart.domain import gate as gates
from sotchart.domain.coding import medicare_part_problem, missing_note_elements
from sotchart.domain.errors import InvalidInput, Problems
from sotchart.domain.findings import identity, is_positive
from sotchart.domain.protocol.exam import VERTEBRA
from sotchart.domain.safety import bp_category

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
    "composed",  # what "compose" last wrote in each section, to tell it from the clinician's own words
)


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


BLOCKING_ACTIONS = gates.HOLDING
TREATMENT_LISTS = ("spinal_regions", "extraspinal_regions", "blocks", "procedures", "cmrt", "adjusted_segments")
NOTE_SECTIONS = ("S", "O", "A", "P")
# What each part of a record must be before anything reads inside it: (key, type, in words).
SHAPES: tuple[tuple[str, type, str], ...] = (
    ("history", dict, "an object with red_flags and conditions"),
    ("vitals", dict, "an object of readings"),
    ("findings", list, "a list of findings"),
    ("treatment", dict, "an object of the care given"),
    ("gate", dict, "an object"),
    ("note", dict, "an object with S, O, A and P"),
    ("diagnoses", list, "a list of diagnosis codes"),
    ("carry_forward", dict, "an object"),
    ("intake", dict, "an object"),
    ("composed", dict, "an object"),
)
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
        "gate": gates.empty(),
        "note": {s: "" for s in NOTE_SECTIONS},
        "diagnoses": [],
        "carry_forward": {},
        "intake": {},
    }


SECTION_NAMES = {"S": "Subjective", "O": "Objective", "A": "Assessment", "P": "Plan"}


def untouched_compositions(doc: Mapping[str, Any]) -> set[str]:
    """The sections that still hold exactly what composing wrote: the clinician has not made them their own."""
    note = doc.get("note") or {}
    return {s for s, text in (doc.get("composed") or {}).items() if str(note.get(s, "")) == text}


def check_document(doc: Any) -> dict[str, Any]:
    """The shape the server keeps; field-level checks of clinical content are the engine's (parse_exam)."""
    p = Problems()
    if not isinstance(doc, dict):
        raise InvalidInput("The visit record must be a JSON object.")
    for key in doc:
        if key not in DOC_KEYS:
            p.add(key, f"is not part of a visit record; use: {', '.join(DOC_KEYS)}")
    empty = empty_document()  # local: its parts may become the record's own
    merged = empty | {k: v for k, v in doc.items() if k in DOC_KEYS}
    # The containers first: the engine's checks (parse_exam) name what is wrong inside them, but only once
    # each is the kind of thing it reads (an imported "findings": "lots" once failed every page of the visit).
    # From here on each is there and of its kind (a wrong one replaced by an empty one, and reported).
    for key, kind, says in SHAPES:
        value = merged.get(key)
        if value is None:
            if key in empty:
                merged[key] = empty[key]
        elif not isinstance(value, kind):
            p.add(key, f"must be {says}")
            merged[key] = empty.get(key, kind())
    if any(not isinstance(f, dict) for f in merged["findings"]):
        p.add("findings", "must be a list of findings, each an object with its indicator and result")
    treatment = merged["treatment"]
    for key in TREATMENT_LISTS:
        if not isinstance(treatment.get(key) or [], list):
            p.add(f"treatment.{key}", "must be a list")
    vitals = merged["vitals"]
    if "recheck" in vitals:
        # Records before the series kept one recheck; it becomes the first of the series.
        old = vitals.pop("recheck") or {}
        if old.get("systolic") is not None and old.get("diastolic") is not None and not vitals.get("rechecks"):
            vitals["rechecks"] = [old]
    if not isinstance(vitals.get("rechecks", []), list):
        p.add("vitals.rechecks", "must be a list of readings")
    pain = merged.get("pain")
    if pain is not None and (not isinstance(pain, int) or isinstance(pain, bool) or not 0 <= pain <= 10):
        p.add("pain", "must be a whole number from 0 (no pain) to 10 (worst imaginable)")
    if not isinstance(merged["subjective"], str) or len(merged["subjective"]) > MAX_TEXT:
        p.add("subjective", f"must be text of at most {MAX_TEXT} characters")
    note = merged["note"]
    if any(not isinstance(note.get(s, ""), str) or len(note.get(s, "")) > MAX_TEXT for s in NOTE_SECTIONS):
        p.add("note", f"must hold S, O, A and P as text of at most {MAX_TEXT} characters each")
    if not isinstance(merged["pregnant"], bool):
        p.add("pregnant", "must be true or false")
    minutes = treatment.get("block_minutes")
    if minutes is not None and (
        not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 0 < minutes <= 60
    ):
        p.add("treatment.block_minutes", "must be a number of minutes from 1 to 60")
    if not isinstance(treatment.get("breathing", ""), str) or len(treatment.get("breathing", "")) > 500:
        p.add("treatment.breathing", "must be text of at most 500 characters")
    cmrt = treatment.get("cmrt") or []
    for i, c in enumerate(cmrt if isinstance(cmrt, list) else []):
        level = c.get("level") if isinstance(c, dict) else None
        if not isinstance(level, str) or not VERTEBRA.match(level):
            p.add(f"treatment.cmrt[{i}].level", f"'{level}' is not a vertebra; enter one such as T8 or L2")
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
    latest = current_reading(doc.get("vitals") or {})
    if latest is not None:
        # The newest reading of the series (a recheck after rest) is the one the gate judges; all are kept.
        vitals |= {"systolic": latest["systolic"], "diastolic": latest["diastolic"]}
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


def current_reading(vitals: dict[str, Any]) -> dict[str, Any] | None:
    """The newest blood-pressure reading: the last recheck, or the first reading when there is none."""
    series = readings(vitals)
    return series[-1] if series else None


def readings(vitals: dict[str, Any]) -> list[dict[str, Any]]:
    """Every blood-pressure reading of the visit, first to last."""
    out = []
    if vitals.get("systolic") is not None and vitals.get("diastolic") is not None:
        out.append({k: vitals.get(k) for k in ("systolic", "diastolic", "pulse") if vitals.get(k) is not None})
    for r in vitals.get("rechecks") or []:
        if r.get("systolic") is not None and r.get("diastolic") is not None:
            out.append(r)
    return out


def gate(doc: dict[str, Any], assessment: dict[str, Any]) -> gates.Gate:
    """The safety gate of this record: the screen's flags and the decisions recorded in the visit."""
    safety = assessment.get("safety") or {}
    return gates.decide(safety.get("flags") or [], doc.get("gate"), safety.get("action", "clear"))


def treatment_recorded(doc: dict[str, Any]) -> bool:
    t = doc.get("treatment") or {}
    return any(t.get(k) for k in TREATMENT_LISTS) or any(f.get("phase") == "post" for f in doc.get("findings") or [])


def adds_treatment(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a save charts care that the previous revision did not have (removing care is always allowed)."""
    tb, ta = before.get("treatment") or {}, after.get("treatment") or {}
    for k in TREATMENT_LISTS:
        if any(x not in (tb.get(k) or []) for x in ta.get(k) or []):
            return True
    post_before = [f for f in before.get("findings") or [] if f.get("phase") == "post"]
    return any(f not in post_before for f in after.get("findings") or [] if f.get("phase") == "post")


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


def changes_since(
    previous: dict[str, Any] | None, current: dict[str, Any], names: Mapping[str, str] | None = None
) -> list[str]:
    """What differs from the last visit, in words, for the note (payers deny notes that are clones)."""
    if not previous:
        return ["First visit of this episode."]
    names = names or {}
    out: list[str] = []
    before = {identity(f): f for f in previous.get("findings") or [] if f.get("phase") == "pre"}
    now = {identity(f): f for f in current.get("findings") or [] if f.get("phase") == "pre"}
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        name = names.get(key[0], key[0])
        if a and not b:
            out.append(f"{name}: not examined this visit (was {say_result(a)})")
        elif b and not a:
            out.append(f"{name}: {say_result(b)} (new this visit)")
        elif a and b and say_result(a) != say_result(b):
            out.append(f"{name}: {say_result(a)} → {say_result(b)}")
    pa, pb = previous.get("pain"), current.get("pain")
    if pa is not None and pb is not None and pa != pb:
        out.append(f"pain {pa}/10 → {pb}/10")
    ca, cb = previous.get("confirmed_category"), current.get("confirmed_category")
    if (ca or {}) != (cb or {}):
        out.append(f"category {_cat(ca)} → {_cat(cb)}")
    return out or ["No change in the recorded findings since the last visit."]


SIDE_WORDS = {"left": "left", "right": "right", "bilateral": "both sides"}


def say_result(f: Mapping[str, Any]) -> str:
    """A finding's result and place in plain words: "short right, 6 mm", "positive left, line 2, area 6"."""
    head = str(f.get("value") or "").replace("-", " ")
    if f.get("side"):
        head += " " + SIDE_WORDS.get(str(f["side"]), str(f["side"]))
    parts = [head]
    if f.get("location"):
        parts.append(f"at {str(f['location']).replace('-', ' ')}")
    if f.get("region"):
        parts.append(str(f["region"]) + (f" {f['level']}" if f.get("level") else ""))
    elif f.get("level"):
        parts.append(f"at {f['level']}")
    for k in ("line", "area", "point", "grade"):
        if f.get(k) is not None:
            parts.append(f"{k} {f[k]}")
    if f.get("mm") is not None:
        parts.append(f"{float(f['mm']):g} mm")
    return ", ".join(parts)


def say_finding(f: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return f"{names.get(str(f.get('code')), str(f.get('code')))}: {say_result(f)}"


def _cat(c: dict[str, Any] | None) -> str:
    if not c:
        return "none"
    return f"{c.get('category')}{' ' + c['side'] if c.get('side') else ''}"


def intake_lines(doc: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The intake answers among these keys, each as "Label: answer.", in the order of the form."""
    intake = doc.get("intake") or {}
    labels = dict(INTAKE_FIELDS)
    out = []
    for key in keys:
        answer = str(intake.get(key, "")).strip()
        if answer:
            # The form's hints ("(e.g. 2 a week for 4 weeks)", "(write 'none relevant' if so)") are for the
            # form; the note keeps the question only.
            label = re.sub(r"\s*\([^)]*\)", "", labels[key].removeprefix("Care plan: "))
            out.append(f"{label[0].upper() + label[1:]}: {answer.rstrip('.')}.")
    return out


def consent_lines(doc: dict[str, Any]) -> list[str]:
    """The consent the intake records, as the note's sentence (one spelling, so the signed text can tell
    whether the S/O/A/P already say it)."""
    consent = str((doc.get("intake") or {}).get("consent", "")).strip()
    return [f"Consent to examination and care: {consent.rstrip('.')}."] if consent else []


HISTORY_KEYS = tuple(k for k, _ in INTAKE_FIELDS if k.startswith("history."))
PLAN_KEYS = tuple(k for k, _ in INTAKE_FIELDS if k.startswith("plan."))


def compose_note(
    doc: dict[str, Any],
    assessment: dict[str, Any],
    changes: list[str],
    names: Mapping[str, str] | None = None,
    complaint: str = "",
) -> dict[str, str]:
    """A SOAP draft in plain clinical sentences from the structured record, with the pack's names for the
    indicators; the clinician edits it before signing. It says only what the record holds."""
    names = names or {}
    pre = [f for f in doc.get("findings") or [] if is_positive(f, "pre")]
    s_parts = [str(doc.get("subjective", "")).strip()] if str(doc.get("subjective", "")).strip() else []
    history = intake_lines(doc, HISTORY_KEYS)
    if complaint.strip() and not str((doc.get("intake") or {}).get("history.symptoms", "")).strip():
        s_parts.insert(0, f"Complaint: {complaint.strip().rstrip('.')}.")
    s_parts += history
    if doc.get("pain") is not None:
        s_parts.append(f"Pain {doc['pain']}/10 (NRS).")
    o = [*bp_lines(doc), *screen_lines(assessment)]
    if pre:
        o.append("Indicators before treatment: " + "; ".join(say_finding(f, names) for f in pre) + ".")
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
    plan = [*decision_lines(doc), *care_lines(doc, names)]
    if codes.get("cpt_spinal"):
        plan.append(
            f"Chiropractic manipulative treatment, CPT {codes['cpt_spinal']}"
            + (f"-{'-'.join(codes['modifiers'])}" if codes.get("modifiers") else "")
            + (f"; {codes['cpt_extraspinal']}" if codes.get("cpt_extraspinal") else "")
            + "."
        )
    plan += [*intake_lines(doc, PLAN_KEYS), *consent_lines(doc)]
    return {"S": " ".join(s_parts), "O": " ".join(o), "A": " ".join(a), "P": " ".join(plan)}


def sign_problems(
    doc: dict[str, Any],
    assessment: dict[str, Any],
    *,
    initial_visit: bool,
    visit_date: date,
    today: date,
    unconfirmed: list[dict[str, Any]] | None = None,
    names: Mapping[str, str] | None = None,
    composed_now: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Everything that stops the note from being signed, as (field, what to do). With `composed_now` (what
    composing would write from the record as it is now), a section composed earlier and left as composed
    must still say what the record shows: a note signed after later changes would contradict its record."""
    out: list[tuple[str, str]] = []
    if unconfirmed:
        which = ", ".join(dict.fromkeys((names or {}).get(s["code"], s["code"]) for s in unconfirmed))
        out.append(
            (
                "carry_forward",
                f"Answer what last visit found: {which}. Tap Same, choose today's result, or mark it not examined.",
            )
        )
    v = doc.get("vitals") or {}
    if v.get("systolic") is None:
        out.append(("vitals", "Record the blood pressure."))
    g = gate(doc, assessment)
    if g.blocked and treatment_recorded(doc):
        out.append(("gate", "Treatment is recorded while the safety gate is closed. " + g.next_step))
    if g.state == gates.GateState.EMERGENCY:
        out.append(("gate", "Record the emergency referral before signing."))
    referred_only = bool((doc.get("gate") or {}).get("referral")) and not treatment_recorded(doc)
    if not referred_only and not any(f.get("phase") == "pre" for f in doc.get("findings") or []):
        # A visit that ended in a referral, with no care given, needs no SOT examination to be signed.
        out.append(("findings", "Record the pre-treatment indicators."))
    if treatment_recorded(doc) and not any(f.get("phase") == "post" for f in doc.get("findings") or []):
        out.append(("recheck", "Recheck the indicators after treatment."))
    if doc.get("pain") is None:
        out.append(("pain", "Record the pain score (0–10)."))
    note = doc.get("note") or {}
    for s in NOTE_SECTIONS:
        if not str(note.get(s, "")).strip():
            out.append((f"note.{s}", f"Write the {s} section of the note (compose it from the record)."))
    if composed_now is not None:
        for s in sorted(untouched_compositions(doc)):
            if composed_now.get(s, "") != (doc.get("composed") or {})[s]:
                out.append(
                    (
                        f"note.{s}",
                        f"The {SECTION_NAMES.get(s, s)} was composed before the record last changed and no longer "
                        "says what it shows: compose again, or edit it.",
                    )
                )
    if visit_date > today:
        out.append(("visit_date", "The visit date is in the future."))
    intake = doc.get("intake") or {}
    if initial_visit:
        if not str(intake.get("consent", "")).strip():
            out.append(("intake.consent", "Record the patient's consent to examination and care."))
        if not str(intake.get("history.symptoms", "")).strip():
            out.append(("intake.history.symptoms", "Record the complaint and the symptoms causing the visit."))
    part_problem = medicare_part_problem(
        doc.get("payer", "cash"),
        assessment.get("coding") or {},
        assessment.get("part") or {},
        (doc.get("treatment") or {}).get("care_type", "active"),
    )
    if part_problem:
        out.append(("part", part_problem))
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


def bp_lines(doc: dict[str, Any]) -> list[str]:
    """Every blood-pressure reading of the visit in words, the first and each recheck after rest."""
    out = []
    for i, r in enumerate(readings(doc.get("vitals") or {})):
        band = bp_category(int(r["systolic"]), int(r["diastolic"]))
        pulse = f", pulse {r['pulse']}" if r.get("pulse") is not None else ""
        when = f" at {r['at'][11:16]}" if r.get("at") else ""
        label = "BP" if i == 0 else "Rechecked after rest" + when + ":"
        out.append(f"{label} {r['systolic']}/{r['diastolic']} mmHg ({band.replace('-', ' ')}){pulse}.")
    return out


def screen_lines(assessment: dict[str, Any]) -> list[str]:
    """The safety screen's result: that it ran, and each finding with the action it calls for."""
    flags = [f for f in (assessment.get("safety") or {}).get("flags") or [] if f.get("code") != "bp-not-measured"]
    if not flags:
        return ["Safety screen: no red flags or contraindications recorded."]
    return ["Safety screen: " + "; ".join(f"{f['reason']} ({f['action'].replace('-', ' ')})" for f in flags) + "."]


def decision_lines(doc: dict[str, Any]) -> list[str]:
    """The safety gate's decisions as the record holds them: referral, override and its confirmation, withdrawals."""
    g = doc.get("gate") or {}
    out = []
    for w in g.get("withdrawn") or []:
        what = w.get("label") or w["code"]
        out.append(
            f"{w['kind'].replace('_', ' ').capitalize()} withdrawn: {what}, by {w.get('by', '')}: {w['reason']}."
        )
    if g.get("referral"):
        r = g["referral"]
        out.append(f"Referred to {r['to']} by {r.get('by', '')}: {r['reason']}")
    if g.get("override"):
        o = g["override"]
        confirmed = f", confirmed by {o['confirmed_by']}" if o.get("confirmed_by") else ""
        out.append(f"Safety gate overridden by {o.get('by', '')}{confirmed}: {o['reason']}")
    return out


def word(code: str, names: Mapping[str, str] | None, kind: str) -> str:
    """A code as the note says it: the pack's name ("site:asis" is "ASIS"), else the code as words."""
    return (names or {}).get(f"{kind}:{code}") or code.replace("-", " ")


def care_lines(doc: dict[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """The care the record shows was given, in words (the pack's names for sites and procedures); empty
    when none is recorded."""
    t = doc.get("treatment") or {}
    out = []
    if t.get("blocks"):
        blocks = ", ".join(
            f"{word(b['site'], names, 'site')} {b['side']}" + (f" ({b['note']})" if b.get("note") else "")
            for b in t["blocks"]
        )
        out.append(
            f"Blocking{' ' + t['position'] if t.get('position') else ''}: {blocks}"
            + (f", {t['block_minutes']} min" if t.get("block_minutes") else "")
            + (f"; breathing: {t['breathing']}" if t.get("breathing") else "")
            + "."
        )
    if t.get("spinal_regions"):
        out.append("Spinal regions treated: " + ", ".join(t["spinal_regions"]) + ".")
    if t.get("extraspinal_regions"):
        out.append(
            "Extraspinal regions treated: " + ", ".join(r.replace("-", " ") for r in t["extraspinal_regions"]) + "."
        )
    if t.get("cmrt"):
        out.append("CMRT: " + ", ".join(str(c.get("level")) for c in t["cmrt"]) + ".")
    if t.get("adjusted_segments"):
        out.append("Adjusted: " + ", ".join(t["adjusted_segments"]) + ".")
    if t.get("procedures"):
        out.append("Procedures: " + ", ".join(word(c, names, "procedure") for c in t["procedures"]) + ".")
    return out


def record_lines(doc: dict[str, Any], assessment: dict[str, Any], names: Mapping[str, str]) -> list[str]:
    """A signed version as plain lines (the note, then what it rests on), so two versions can be compared
    line by line: an amendment of a side, a code or a finding shows, not only of the note's text."""
    note = doc.get("note") or {}
    lines = [f"{s}: {str(note.get(s, '')).strip()}" for s in NOTE_SECTIONS]
    cat = doc.get("confirmed_category")
    lines.append(f"Category: {_cat(cat)}")
    lines.append(f"Pain: {doc.get('pain') if doc.get('pain') is not None else '—'}/10")
    lines += bp_lines(doc)
    for f in sorted(doc.get("findings") or [], key=lambda f: (f.get("phase") != "pre", identity(f))):
        lines.append(f"{'Before' if f.get('phase') == 'pre' else 'Recheck'}: {say_finding(f, names)}")
    lines += care_lines(doc, names) + decision_lines(doc)
    codes = assessment.get("coding") or {}
    cpt = codes.get("cpt_spinal") or "—"
    if codes.get("modifiers"):
        cpt += "-" + "-".join(codes["modifiers"])
    lines.append(f"CPT: {cpt}" + (f", {codes['cpt_extraspinal']}" if codes.get("cpt_extraspinal") else ""))
    icd = [c["code"] for c in codes.get("icd10") or []] + [d["code"] for d in doc.get("diagnoses") or []]
    lines.append("ICD-10-CM: " + (", ".join(icd) or "—"))
    return lines


def record_appendix(
    doc: dict[str, Any], assessment: dict[str, Any], names: Mapping[str, str] | None = None
) -> list[str]:
    """What a signed note must carry beside its S/O/A/P text, each as a sentence (see compose_note): the
    care given is among them, so a Plan written before the last change (3 minutes of blocking, when the
    record says 4) is never the only account of it."""
    return [
        *intake_lines(doc, HISTORY_KEYS),
        *intake_lines(doc, PLAN_KEYS),
        *consent_lines(doc),
        *bp_lines(doc),
        *screen_lines(assessment),
        *decision_lines(doc),
        *care_lines(doc, names),
    ]


def referral_findings(assessment: dict[str, Any]) -> list[str]:
    """What a referral letter reports from the screen: the findings that hold treatment, in the screen's
    words; blood pressure is reported by its readings (bp_lines), not by the screen's instruction to the
    clinician, and findings that only call for caution stay in the record."""
    flags = (assessment.get("safety") or {}).get("flags") or []
    return [str(f["reason"]) for f in flags if f.get("action") in gates.HOLDING and f.get("group") != "blood-pressure"]
