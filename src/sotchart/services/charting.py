"""Charting a visit: autosaved revisions of the clinical record, the safety gate, signing and amendments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sotchart.domain import charting as rules
from sotchart.domain import charting_ops as ops
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.roles import Action
from sotchart.domain.visits import VisitStatus, check_transition
from sotchart.services import assessments, protocol
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import charting as chart_store
from sotchart.store import patients as patient_store
from sotchart.store import rollups
from sotchart.store import visits as visit_store


@dataclass
class VisitRecord:
    visit: dict[str, Any]
    patient: dict[str, Any]
    document: dict[str, Any]
    assessment: dict[str, Any]
    revision: int
    gate: rules.Gate
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    previous: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    sign_problems: list[tuple[str, str]] = field(default_factory=list)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _assess(app: App, doc: dict[str, Any], patient: dict[str, Any], on: date) -> dict[str, Any]:
    exam = rules.exam_from(doc, age=_age(patient["birth_date"], on), sex=patient["sex"])
    return evaluate(exam, protocol.active(app.settings), assessments.thresholds(app.settings))


def load_visit(u: Unit, visit_id: int, lock: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    v = visit_store.get(u.conn, u.clinic_id(), visit_id, for_update=lock)
    if v is None:
        raise NotFound("No such visit in this clinic.")
    p = patient_store.get(u.conn, u.clinic_id(), v["patient_id"])
    assert p is not None
    return v, p


def _record(app: App, u: Unit, v: dict[str, Any], p: dict[str, Any]) -> VisitRecord:
    latest = chart_store.latest(u.conn, v["id"])
    doc = latest["document"] if latest else rules.empty_document()
    assessment = latest["assessment"] if latest else _assess(app, doc, p, v["visit_date"])
    prev = chart_store.previous_signed(u.conn, clinic_id=u.clinic_id(), patient_id=p["id"], before_visit_id=v["id"])
    prev_doc = prev["document"] if prev and "document" in prev else None
    offered = rules.suggestions(prev_doc.get("findings", [])) if prev_doc and v["status"] == "draft" else []
    initial = v["kind"] == "new-patient"
    return VisitRecord(
        visit=v,
        patient=p,
        document=doc,
        assessment=assessment,
        revision=v["revision"],
        gate=rules.gate(doc, assessment["safety"]["action"]),
        suggestions=rules.unconfirmed_suggestions(doc, offered),
        changes=rules.changes_since(prev_doc, doc),
        previous=prev,
        history=chart_store.history(u.conn, v["id"]),
        sign_problems=rules.sign_problems(
            doc, assessment, initial_visit=initial, visit_date=v["visit_date"], today=u.now.date()
        ),
    )


def open_record(app: App, actor: Actor, visit_id: int) -> VisitRecord:
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        v, p = load_visit(u, visit_id)
        u.audit("visit.read", "visit", visit_id, patient_id=p["id"])
        return _record(app, u, v, p)


def visit_summary(doc: dict[str, Any], assessment: dict[str, Any]) -> dict[str, Any]:
    cat = doc.get("confirmed_category") or {}
    findings = doc.get("findings") or []
    _positive, rechecked, cleared = rules.recheck_counts(findings)
    return {
        "category": cat.get("category"),
        "category_side": cat.get("side"),
        "pain": doc.get("pain"),
        "safety_action": assessment["safety"]["action"],
        "indicators_pre": sum(1 for f in findings if rules.is_positive(f, "pre")),
        "indicators_post": sum(1 for f in findings if rules.is_positive(f, "post")),
        "indicators_rechecked": rechecked,
        "indicators_cleared": cleared,
    }


def save_record(app: App, actor: Actor, visit_id: int, document: Any, base_revision: int | None) -> VisitRecord:
    """Autosave: a new revision of the draft, refused (and nothing changed) when someone saved first."""
    doc = rules.check_document(document)
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        return _save_draft(app, u, v, p, doc, base_revision)


def act(app: App, actor: Actor, visit_id: int, op: str, form: dict[str, str], base_revision: int | None) -> VisitRecord:
    """One action of the visit screen (a click or a field), saved as a new revision."""
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        # One person's quick clicks may cross in flight; each is a small change applied to the newest
        # revision. Only a revision saved by someone else in between is a conflict.
        if base_revision is not None and chart_store.others_since(u.conn, visit_id, base_revision, actor.user_id):
            _check_base(v, base_revision)
        base_revision = v["revision"]
        current = _record(app, u, v, p)
        doc = ops.apply(
            current.document,
            op,
            form,
            suggestions=current.suggestions,
            assessment=current.assessment,
            changes=current.changes,
        )
        return _save_draft(app, u, v, p, rules.check_document(doc), base_revision, detail=f"op={op}")


def _save_draft(
    app: App,
    u: Unit,
    v: dict[str, Any],
    p: dict[str, Any],
    doc: dict[str, Any],
    base_revision: int | None,
    detail: str = "",
) -> VisitRecord:
    if v["status"] != VisitStatus.DRAFT:
        raise Conflict("This note is signed and locked. Record an amendment to change it.")
    _check_base(v, base_revision)
    _keep_gate(chart_store.latest(u.conn, v["id"]), doc)
    assessment = _assess(app, doc, p, v["visit_date"])
    revision = v["revision"] + 1
    chart_store.add(
        u.conn,
        visit_id=v["id"],
        revision=revision,
        document=doc,
        assessment=assessment,
        kind="draft",
        reason="",
        actor_id=u.actor.user_id,
        now=u.now,
    )
    if not chart_store.set_summary(
        u.conn,
        visit_id=v["id"],
        expected_version=v["version"],
        values={"revision": revision, **visit_summary(doc, assessment)},
        actor_id=u.actor.user_id,
        now=u.now,
    ):
        raise StaleVersion("Someone else saved this visit at the same moment. Reload and enter your change again.")
    u.audit("visit.update", "visit", v["id"], patient_id=p["id"], detail=f"revision={revision} {detail}".strip())
    v, p = load_visit(u, v["id"])
    return _record(app, u, v, p)


def _check_base(v: dict[str, Any], base_revision: int | None) -> None:
    if base_revision is not None and base_revision != v["revision"]:
        raise StaleVersion(
            f"Someone else saved this visit (now at revision {v['revision']}, you had {base_revision}) at "
            f"{v['updated_at']:%H:%M} UTC. Your changes were not saved: copy anything you need, reload, "
            "and enter it again."
        )


def _keep_gate(latest: dict[str, Any] | None, doc: dict[str, Any]) -> None:
    """The gate's referral and override are written only by their own audited actions, never by a save."""
    doc["gate"] = (latest["document"].get("gate") if latest else None) or {"referral": None, "override": None}


def _gate_action(app: App, actor: Actor, visit_id: int, key: str, value: dict[str, Any], action: str) -> VisitRecord:
    with unit(app, actor, Action.VISIT_SIGN, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        if v["status"] != VisitStatus.DRAFT:
            raise Conflict("The visit is signed; the safety gate can no longer change.")
        latest = chart_store.latest(u.conn, visit_id)
        doc = latest["document"] if latest else rules.empty_document()
        doc["gate"] = {**(doc.get("gate") or {}), key: value | {"by": actor.label, "at": u.now.isoformat()}}
        assessment = _assess(app, doc, p, v["visit_date"])
        revision = v["revision"] + 1
        chart_store.add(
            u.conn,
            visit_id=visit_id,
            revision=revision,
            document=doc,
            assessment=assessment,
            kind="draft",
            reason=action,
            actor_id=actor.user_id,
            now=u.now,
        )
        chart_store.set_summary(
            u.conn,
            visit_id=visit_id,
            expected_version=v["version"],
            values={"revision": revision, **visit_summary(doc, assessment)},
            actor_id=actor.user_id,
            now=u.now,
        )
        u.audit(action, "visit", visit_id, patient_id=p["id"], detail=str(value.get("reason", ""))[:200])
        v, p = load_visit(u, visit_id)
        return _record(app, u, v, p)


def override_gate(app: App, actor: Actor, visit_id: int, reason: str) -> VisitRecord:
    reason = reason.strip()
    if len(reason) < 10 or len(reason) > 1000:
        raise InvalidInput(
            "Write why treatment goes ahead despite the safety finding.",
            [FieldProblem("reason", "Give a reason of 10 to 1000 characters; it is signed and audited.")],
        )
    return _gate_action(app, actor, visit_id, "override", {"reason": reason}, "visit.gate-override")


def record_referral(app: App, actor: Actor, visit_id: int, to: str, reason: str) -> VisitRecord:
    problems = []
    if not to.strip() or len(to) > 200:
        problems.append(FieldProblem("to", "Say who the patient is referred to (1 to 200 characters)."))
    if not reason.strip() or len(reason) > 2000:
        problems.append(FieldProblem("reason", "Give the reason for the referral (1 to 2000 characters)."))
    if problems:
        raise InvalidInput("The referral needs fixing.", problems)
    return _gate_action(
        app, actor, visit_id, "referral", {"to": to.strip(), "reason": reason.strip()}, "visit.referral"
    )


def render_note(note: dict[str, str]) -> str:
    return "\n".join(f"{s}: {note.get(s, '').strip()}" for s in rules.NOTE_SECTIONS)


def sign(app: App, actor: Actor, visit_id: int, base_revision: int | None) -> VisitRecord:
    """Sign the current revision; refused with the list of what is missing while anything required is absent."""
    with unit(app, actor, Action.VISIT_SIGN, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        check_transition(VisitStatus(v["status"]), VisitStatus.SIGNED)
        _check_base(v, base_revision)
        latest = chart_store.latest(u.conn, visit_id)
        if latest is None:
            raise InvalidInput("Nothing is charted yet.", [FieldProblem("findings", "Chart the visit before signing.")])
        revision = _write_signed(
            app,
            u,
            v,
            p,
            latest["document"],
            kind="signed",
            reason="",
            status={"status": "signed", "signed_at": u.now, "signed_by": actor.user_id},
        )
        u.audit("visit.sign", "visit", visit_id, patient_id=p["id"], detail=f"revision={revision}")
        v, p = load_visit(u, visit_id)
        return _record(app, u, v, p)


def amend(app: App, actor: Actor, visit_id: int, document: Any, reason: str, base_revision: int | None) -> VisitRecord:
    """An amendment is a new signed revision with its reason; the earlier signed revision stays as it was."""
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput(
            "Say why the note is amended.", [FieldProblem("reason", "Give a reason of 1 to 500 characters.")]
        )
    doc = rules.check_document(document)
    with unit(app, actor, Action.VISIT_SIGN, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        check_transition(VisitStatus(v["status"]), VisitStatus.AMENDED)
        _check_base(v, base_revision)
        _keep_gate(chart_store.latest(u.conn, visit_id), doc)
        _write_signed(app, u, v, p, doc, kind="amendment", reason=reason, status={"status": "amended"})
        u.audit("visit.amend", "visit", visit_id, patient_id=p["id"], detail=reason[:200])
        v, p = load_visit(u, visit_id)
        return _record(app, u, v, p)


def _write_signed(
    app: App,
    u: Unit,
    v: dict[str, Any],
    p: dict[str, Any],
    doc: dict[str, Any],
    *,
    kind: str,
    reason: str,
    status: dict[str, Any],
) -> int:
    """Check the record can be signed, then write the signed revision, its findings and the visit summary."""
    assessment = _assess(app, doc, p, v["visit_date"])
    problems = rules.sign_problems(
        doc, assessment, initial_visit=v["kind"] == "new-patient", visit_date=v["visit_date"], today=u.now.date()
    )
    if problems:
        what = "note" if kind == "signed" else "amendment"
        raise InvalidInput(
            f"The {what} cannot be signed yet: {len(problems)} thing(s) missing.",
            [FieldProblem(f, m) for f, m in problems],
        )
    revision = v["revision"] + 1
    chart_store.add(
        u.conn,
        visit_id=v["id"],
        revision=revision,
        document=doc,
        assessment=assessment,
        kind=kind,
        reason=reason,
        actor_id=u.actor.user_id,
        now=u.now,
    )
    chart_store.write_findings(
        u.conn,
        clinic_id=u.clinic_id(),
        patient_id=p["id"],
        visit_id=v["id"],
        revision=revision,
        findings=doc.get("findings") or [],
        now=u.now,
    )
    chart_store.set_summary(
        u.conn,
        visit_id=v["id"],
        expected_version=v["version"],
        values={
            "revision": revision,
            **status,
            "note": render_note(doc.get("note") or {}),
            **visit_summary(doc, assessment),
        },
        actor_id=u.actor.user_id,
        now=u.now,
    )
    chart_store.write_treatments(
        u.conn, clinic_id=u.clinic_id(), visit_id=v["id"], revision=revision, kinds=rules.treatments_given(doc)
    )
    rollups.mark_changed(u.conn, u.clinic_id(), rollups.months_touched(u.conn, v["id"]))
    return revision


def revision_of(app: App, actor: Actor, visit_id: int, revision: int) -> dict[str, Any]:
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        _v, p = load_visit(u, visit_id)
        rev = chart_store.at_revision(u.conn, visit_id, revision)
        if rev is None:
            raise NotFound(f"This visit has no revision {revision}.")
        u.audit("visit.read", "visit", visit_id, patient_id=p["id"], detail=f"revision={revision}")
        return rev


def compose(app: App, actor: Actor, visit_id: int) -> dict[str, str]:
    """A SOAP draft from the current record (the clinician edits it, then it is saved like any change)."""
    record = open_record(app, actor, visit_id)
    return rules.compose_note(record.document, record.assessment, record.changes)
