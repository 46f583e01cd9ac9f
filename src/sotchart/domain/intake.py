"""What a patient gives on the clinic's tablet before the visit: their history in their own words, answers to
the safety questions, and consent with a signature. The clinician reviews it and takes it into the visit; a
patient's answer can only add to the safety screen, never clear anything from it."""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sotchart.domain.charting import INTAKE_FIELDS
from sotchart.domain.errors import FieldProblem, InvalidInput

TASKS = {
    "intake": "New-patient intake: history, health questions, consent and questionnaires",
    "questionnaires": "Today's questionnaires",
}
TASK_WORDS = {"intake": "intake", "questionnaires": "questionnaires"}

# The history fields of the visit's intake, asked in a patient's words; the answer lands in the same field.
HISTORY_QUESTIONS = {
    "history.symptoms": "What brings you in today?",
    "history.onset-duration-intensity-frequency-location-radiation": (
        "When did it start, where is it, and does it spread anywhere? How often and how strong is it?"
    ),
    "history.mechanism": "How did it start (an injury, a fall, lifting, or nothing you know of)?",
    "history.aggravating-relieving": "What makes it worse, and what makes it better?",
    "history.prior-interventions": "What care have you already had for it (doctor, physio, medicines, scans)?",
    "history.past-health": "Your past health: illnesses, operations, medicines you take, allergies.",
    "history.family-history-if-relevant": "Anything that runs in your family that you think matters here?",
}
assert set(HISTORY_QUESTIONS) <= {k for k, _ in INTAKE_FIELDS}
MAX_ANSWER = 4000

ANSWERS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}
PREGNANCY_QUESTION = "Are you pregnant, or could you be?"

# A code a person reads off the desk's screen and types: no 0/O, 1/I/L to confuse, and no vowels to spell words.
CODE_LETTERS = "23456789BCDFGHJKMNPQRSTVWXZ"
CODE_LENGTH = 6
CODE_MINUTES = 10  # how long a code shown at the desk can be typed on a tablet

# The default consent, in plain words and promising nothing; a clinic may use its own text.
DEFAULT_CONSENT = (
    "I ask {clinic} to examine me and, if it is suitable, to give me chiropractic care. This may include "
    "Sacro Occipital Technique: lying on padded wedges (blocks) so that my own weight and breathing do the "
    "work, gentle pressure or adjustments by hand or instrument, and soft-tissue work.\n\n"
    "The clinician will explain what they find and what they propose before they begin. I may ask questions, "
    "refuse any part of it, or stop at any time.\n\n"
    "Care like this can leave me sore or stiff for a day or two. Serious complications are rare; the "
    "clinician will tell me about any that apply to me. No result is promised.\n\n"
    "I have answered the health questions as truthfully as I can, and I will tell the clinician if anything "
    "changes."
)


def consent_for(clinic_name: str | None) -> str:
    """The consent the tablet shows and the intake keeps, naming the clinic."""
    return DEFAULT_CONSENT.format(clinic=clinic_name or "the clinic")


def new_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """As the desk reads it out: two groups of three."""
    return f"{code[:3]} {code[3:]}"


def typed_code(raw: str) -> str:
    """What was typed, as stored: spaces and dashes dropped, letters in capitals."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:20]


def code_digest(code: str) -> str:
    return hashlib.sha256(("tablet-code:" + code).encode()).hexdigest()


def consent_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Question:
    code: str
    kind: str  # red_flag | condition
    text: str


def screen_questions(red_flags: Mapping[str, Any], conditions: Mapping[str, Any]) -> list[Question]:
    """The pack's entries that a patient can answer (those with an `ask`), in the pack's order."""
    return [Question(c, "red_flag", rf.ask) for c, rf in red_flags.items() if rf.ask] + [
        Question(c, "condition", ci.ask) for c, ci in conditions.items() if ci.ask
    ]


def check_history(form: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    problems = []
    for i, key in enumerate(HISTORY_QUESTIONS):
        text = form.get(f"h{i}", "").strip()
        if len(text) > MAX_ANSWER:
            problems.append(FieldProblem(f"h{i}", f"Please shorten this answer to {MAX_ANSWER} characters."))
        if text:
            out[key] = text
    if problems:
        raise InvalidInput("An answer is too long.", problems)
    return out


def check_screen(form: Mapping[str, str], questions: list[Question], ask_pregnancy: bool) -> dict[str, str]:
    """Every question needs an answer (yes, no or not sure): a skipped safety question is not a 'no'."""
    out: dict[str, str] = {}
    problems = []
    asked = [(q.code, q.text) for q in questions] + ([("pregnant", PREGNANCY_QUESTION)] if ask_pregnancy else [])
    for code, text in asked:
        value = form.get(f"q.{code}", "")
        if value not in ANSWERS:
            problems.append(FieldProblem(f"q.{code}", f"Please answer: {text}"))
        else:
            out[code] = value
    if problems:
        word = "question" if len(problems) == 1 else "questions"
        raise InvalidInput(f"{len(problems)} {word} still need an answer (Yes, No or Not sure).", problems)
    return out


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300_000


def png_size(data: bytes) -> tuple[int, int] | None:
    """The width and height a PNG says it has, or None when the bytes are not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def check_consent(agreed: bool, typed_name: str, signature: bytes | None) -> tuple[str, bytes | None]:
    """Consent needs the box ticked and a signature: drawn, or the patient's name typed."""
    problems = []
    name = " ".join(typed_name.split())
    if not agreed:
        problems.append(FieldProblem("agree", "Tick the box to say you agree, or hand the tablet back to ask."))
    if signature is not None:
        size = png_size(signature)
        if (
            size is None
            or len(signature) > MAX_SIGNATURE_BYTES
            or not (50 <= size[0] <= 4000 and 20 <= size[1] <= 4000)
        ):
            problems.append(FieldProblem("signature", "The drawn signature did not come through. Draw it again."))
    if signature is None and len(name) < 2:
        problems.append(FieldProblem("signature", "Sign with your finger in the box, or type your full name."))
    if len(name) > 200:
        problems.append(FieldProblem("name", "Please shorten the name to 200 characters."))
    if problems:
        raise InvalidInput("Consent needs your agreement and your signature.", problems)
    return name, signature


@dataclass(frozen=True)
class Proposal:
    """What taking an intake into the visit would add, and what the clinician must still ask about."""

    red_flags: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    pregnant: bool = False
    unsure: list[str] = field(default_factory=list)
    history: dict[str, str] = field(default_factory=dict)

    @property
    def safety_relevant(self) -> bool:
        return bool(self.red_flags or self.conditions or self.pregnant or self.unsure)


def proposal(answers: Mapping[str, Any], red_flags: Mapping[str, Any], conditions: Mapping[str, Any]) -> Proposal:
    screen = answers.get("screen") or {}
    return Proposal(
        red_flags=[c for c in red_flags if screen.get(c) == "yes"],
        conditions=[c for c in conditions if screen.get(c) == "yes"],
        pregnant=screen.get("pregnant") == "yes",
        unsure=[c for c, a in screen.items() if a == "unsure"],
        history=dict(answers.get("history") or {}),
    )
