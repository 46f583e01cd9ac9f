"""The clinician's side of the tablet: what the patient gave, shown on the visit screen, taken into the
visit's record with one action (never retyped), and the signed consent kept with the visit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sotchart.domain import intake as rules
from sotchart.domain.errors import Conflict, NotFound
from sotchart.domain.roles import Action
from sotchart.services import charting, protocol
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import kiosk as kiosk_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # yes | no | unsure
    flag: str = ""  # the screen's name for it, when a "yes" adds a flag

    @property
    def words(self) -> str:
        return rules.ANSWERS[self.answer]


@dataclass(frozen=True)
class Intake:
    id: int
    submitted_at: datetime
    history: list[tuple[str, str]]  # (question, the patient's words)
    screen: list[Answer]
    proposal: rules.Proposal
    consent_name: str
    has_signature: bool
    consent_text: str
    taken_by: str = ""
    taken_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        return self.taken_at is None

    @property
    def flagged(self) -> list[Answer]:
        return [a for a in self.screen if a.answer != "no"]


def _shown(u: Unit, row: dict[str, Any]) -> Intake:
    pack = protocol.active(u.app.settings)
    questions = rules.screen_questions(pack.red_flags, pack.conditions)
    screen = row["answers"].get("screen") or {}
    names = {c: rf.name for c, rf in pack.red_flags.items()} | {c: ci.name for c, ci in pack.conditions.items()}
    answers = [Answer(q.text, screen[q.code], names.get(q.code, "")) for q in questions if q.code in screen]
    if "pregnant" in screen:
        answers.append(Answer(rules.PREGNANCY_QUESTION, screen["pregnant"], "Pregnancy"))
    history = row["answers"].get("history") or {}
    taker = user_store.get(u.conn, row["reviewed_by"]) if row["reviewed_by"] else None
    return Intake(
        id=row["id"],
        submitted_at=row["submitted_at"],
        history=[(q, history[k]) for k, q in rules.HISTORY_QUESTIONS.items() if k in history],
        screen=answers,
        proposal=rules.proposal(row["answers"], pack.red_flags, pack.conditions),
        consent_name=row["consent_name"],
        has_signature=row["consent_signature"] is not None,
        consent_text=row["consent_text"] or "",
        taken_by=str(taker["display_name"]) if taker else "",
        taken_at=row["reviewed_at"],
    )


def for_visit(app: App, actor: Actor, visit_id: int) -> list[Intake]:
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        v = visit_store.get(u.conn, u.clinic_id(), visit_id)
        if v is None:
            raise NotFound("No such visit in this clinic.")
        return [_shown(u, row) for row in charting.tablet_intakes(u, v)]


def take_into_visit(
    app: App, actor: Actor, visit_id: int, intake_id: int, base_revision: int | None
) -> charting.VisitRecord:
    """One revision of the visit adds what the patient gave, and the intake is marked taken, together."""
    pack = protocol.active(app.settings)
    found: dict[str, Any] = {}

    def _mark(u: Unit, v: dict[str, Any]) -> None:
        if not kiosk_store.mark_taken(u.conn, intake_id, v["id"], u.actor.user_id, u.now):
            raise Conflict("These answers were already taken into a visit.")
        u.audit("intake.take", "patient_intake", intake_id, patient_id=v["patient_id"], detail=f"visit={v['id']}")

    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id, read=True) as u:
        v = visit_store.get(u.conn, u.clinic_id(), visit_id)
        row = kiosk_store.get_intake(u.conn, u.clinic_id(), intake_id)
        if v is None or row is None or row["patient_id"] != v["patient_id"]:
            raise NotFound("No such tablet answers for this visit.")
        if row["visit_id"] is not None:
            raise Conflict("These answers were already taken into a visit.")
        zone = app.zone(u.conn, actor.clinic_id)
        found = row
    p = rules.proposal(found["answers"], pack.red_flags, pack.conditions)
    at = found["submitted_at"].astimezone(zone)
    signed = (
        "a drawn signature" if found["consent_signature"] is not None else f"the typed name {found['consent_name']}"
    )
    consent = (
        f"given in writing on the patient's tablet, {at:%Y-%m-%d %H:%M}, signed with {signed}"
        if found["consent_sha256"]
        else ""
    )
    given = {
        "red_flags": p.red_flags,
        "conditions": p.conditions,
        "pregnant": p.pregnant,
        "history": p.history,
        "consent": consent,
    }
    return charting.act(
        app, actor, visit_id, "take-intake", {"intake": json.dumps(given)}, base_revision, then=_mark, internal=True
    )


def signature_png(app: App, actor: Actor, intake_id: int) -> bytes:
    with unit(app, actor, Action.PATIENT_READ, "patient_intake", intake_id, read=True) as u:
        row = kiosk_store.get_intake(u.conn, u.clinic_id(), intake_id)
        if row is None or row["consent_signature"] is None:
            raise NotFound("No drawn signature here.")
        u.audit("intake.signature", "patient_intake", intake_id, patient_id=row["patient_id"])
        return bytes(row["consent_signature"])
