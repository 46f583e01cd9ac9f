"""Charting a visit: autosaved revisions of the clinical record, the safety gate, signing and amendments."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sotchart.domain import charting as rules
from sotchart.domain import charting_ops as ops
from sotchart.domain import gate as gates
from sotchart.domain import intake as intake_rules
from sotchart.domain import signature
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.findings import indicator_counts
from sotchart.domain.patients import age_on
from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.roles import Action
from sotchart.domain.visits import REASON_MAX, VisitStatus, check_transition
from sotchart.services import assessments, protocol
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import charting as chart_store
from sotchart.store import kiosk as kiosk_store
from sotchart.store import patients as patient_store
from sotchart.store import rollups
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store


@dataclass
class VisitRecord:
    visit: dict[str, Any]
    patient: dict[str, Any]
    document: dict[str, Any]
    assessment: dict[str, Any]
    revision: int
    gate: gates.Gate
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    previous: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    sign_problems: list[tuple[str, str]] = field(default_factory=list)
    signed_by: str = ""  # the signer's name as the clinic knows them
    referred_by: str = ""  # who recorded the referral, with credentials and NPI, as a letter is signed
    alerts: list[dict[str, Any]] = field(default_factory=list)  # the patient's active alerts (latex, warfarin)
    zone: str = "UTC"  # the clinic's time zone, for the times shown


def assess_record(app: App, doc: dict[str, Any], patient: dict[str, Any], on: date) -> dict[str, Any]:
    """The engine's assessment of a record, for the patient's age on the visit date."""
    exam = rules.exam_from(doc, age=age_on(patient["birth_date"], on), sex=patient["sex"])
    return evaluate(exam, protocol.active(app.settings), assessments.thresholds(app.settings))


def indicator_names(app: App) -> dict[str, str]:
    """The pack's names, so notes read "Prone leg length", not "leg-length-prone": each indicator by its
    code, and block sites and procedures as "site:asis" and "procedure:blocking" (their codes may repeat
    an indicator's)."""
    pack = protocol.active(app.settings)
    return (
        {code: ind.name for code, ind in pack.indicators.items()}
        | {f"site:{code}": site.name for code, site in pack.block_sites.items()}
        | {f"procedure:{code}": pr.name for code, pr in pack.procedures.items()}
    )


def load_visit(u: Unit, visit_id: int, lock: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    v = visit_store.get(u.conn, u.clinic_id(), visit_id, for_update=lock)
    if v is None:
        raise NotFound("No such visit in this clinic.")
    p = patient_store.get(u.conn, u.clinic_id(), v["patient_id"])
    assert p is not None
    return v, p


class _LookUp:
    """The last signed visit before this one is not known yet: read it."""


LOOK_UP = _LookUp()


@dataclass
class Gathered:
    """What the answer about a visit needs from the database, read inside the use case's transaction; the
    answer itself (the gate, what signing still needs, the changes since the last visit) is worked out
    from it afterwards, so a save or a signature holds the write lock only for its reads and writes."""

    visit: dict[str, Any]
    patient: dict[str, Any]
    document: dict[str, Any]
    assessment: dict[str, Any]
    previous: dict[str, Any] | None
    history: list[dict[str, Any]]
    signed_by: str
    referred_by: str
    alerts: list[dict[str, Any]]
    zone: str
    today: date


def _gather(
    app: App,
    u: Unit,
    v: dict[str, Any],
    p: dict[str, Any],
    *,
    saved: tuple[dict[str, Any], dict[str, Any]] | None = None,
    previous: dict[str, Any] | _LookUp | None = LOOK_UP,
) -> Gathered:
    """A save or a signature passes what it has just written (`saved`: the document and its assessment;
    `previous`: the last signed visit it looked up), so nothing it wrote is read back."""
    if saved is not None:
        doc, assessment = saved
    else:
        latest = chart_store.latest(u.conn, v["id"])
        doc = latest["document"] if latest else rules.empty_document()
        assessment = latest["assessment"] if latest else assess_record(app, doc, p, v["visit_date"])
    referral = ((doc.get("gate") or {}).get("referral") or {}).get("by_id")
    return Gathered(
        visit=v,
        patient=p,
        document=doc,
        assessment=assessment,
        previous=_previous(u, v, p) if isinstance(previous, _LookUp) else previous,
        # Only a signature, an amendment or an import writes a signed version, and each moves the visit
        # out of draft for good: a draft has none to list.
        history=chart_store.history(u.conn, v["id"]) if v["status"] != VisitStatus.DRAFT else [],
        signed_by=s.label() if (s := signer(u, v.get("signed_by"))) else "",
        referred_by=r.label() if (r := signer(u, referral)) else "",
        alerts=patient_store.alerts(u.conn, p["id"]),
        zone=str(u.app.zone(u.conn, u.actor.clinic_id)),
        today=u.today(),
    )


def answer(app: App, g: Gathered) -> VisitRecord:
    """The visit's record as the screen and the API show it, from what was gathered."""
    v, doc, assessment = g.visit, g.document, g.assessment
    prev_doc, unconfirmed = _carried(v, g.previous, doc)
    names = indicator_names(app)
    changes = rules.changes_since(prev_doc, doc, names)
    return VisitRecord(
        visit=v,
        patient=g.patient,
        document=doc,
        assessment=assessment,
        revision=v["revision"],
        gate=rules.gate(doc, assessment),
        suggestions=unconfirmed,
        changes=changes,
        previous=g.previous,
        history=g.history,
        sign_problems=rules.sign_problems(
            doc,
            assessment,
            initial_visit=v["kind"] == "new-patient",
            visit_date=v["visit_date"],
            today=g.today,
            unconfirmed=unconfirmed,
            names=names,
            composed_now=_composed_now(v, doc, assessment, changes, names) if v["status"] == "draft" else None,
        ),
        signed_by=g.signed_by,
        referred_by=g.referred_by,
        alerts=g.alerts,
        zone=g.zone,
    )


def _record(app: App, u: Unit, v: dict[str, Any], p: dict[str, Any]) -> VisitRecord:
    return answer(app, _gather(app, u, v, p))


def _composed_now(
    v: dict[str, Any], doc: dict[str, Any], assessment: dict[str, Any], changes: list[str], names: dict[str, str]
) -> dict[str, str] | None:
    """What composing would write now, only when some section still holds an earlier composition."""
    if not rules.untouched_compositions(doc):
        return None
    return rules.compose_note(doc, assessment, changes, names, str(v.get("complaint") or ""))


def _previous(u: Unit, v: dict[str, Any], p: dict[str, Any]) -> dict[str, Any] | None:
    """The last signed visit before this one, with its record."""
    return chart_store.previous_signed(u.conn, clinic_id=u.clinic_id(), patient_id=p["id"], before_visit_id=v["id"])


def _carried(
    v: dict[str, Any], prev: dict[str, Any] | None, doc: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The last signed visit's record, and what it found that this draft has not yet confirmed, changed or
    marked not examined (payers deny cloned notes; copy-forward must be answered)."""
    prev_doc = prev["document"] if prev and "document" in prev else None
    offered = rules.suggestions(prev_doc.get("findings", [])) if prev_doc and v["status"] == "draft" else []
    return prev_doc, rules.unconfirmed_suggestions(doc, offered)


def _name(u: Unit, user_id: int | None) -> str:
    who = signer(u, user_id)
    return who.name if who else ""


def open_record(app: App, actor: Actor, visit_id: int) -> VisitRecord:
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        v, p = load_visit(u, visit_id)
        u.audit("visit.read", "visit", visit_id, patient_id=p["id"])
        return _record(app, u, v, p)


def visit_summary(doc: dict[str, Any], assessment: dict[str, Any]) -> dict[str, Any]:
    cat = doc.get("confirmed_category") or {}
    return {
        "category": cat.get("category"),
        "category_side": cat.get("side"),
        "pain": doc.get("pain"),
        "safety_action": assessment["safety"]["action"],
        **indicator_counts(doc.get("findings") or []),
    }


def save_record(
    app: App,
    actor: Actor,
    visit_id: int,
    document: Any,
    base_revision: int | None,
    *,
    expected_version: int | None = None,
) -> VisitRecord:
    """Autosave: a new revision of the draft, refused (and nothing changed) when someone saved first. The
    screen names the revision it drew; the JSON API sends the visit's one ETag, its version."""
    doc = rules.check_document(document)
    with unit(app, actor, Action.VISIT_UPDATE, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        check_version(v, expected_version, "nothing of yours was saved")
        gathered = _save_draft(app, u, v, p, doc, base_revision)
    return answer(app, gathered)


def check_version(v: dict[str, Any], expected_version: int | None, outcome: str) -> None:
    """The visit's one ETag is its version, moved by every change to it (its details, its record, its
    signature), so a client's If-Match means the same on every route of the visit."""
    if expected_version is not None and expected_version != v["version"]:
        raise StaleVersion(f"This visit was changed after you opened it. Reload to see the change; {outcome}.")


def tablet_intakes(u: Unit, v: dict[str, Any]) -> list[dict[str, Any]]:
    """What the patient gave on the tablet for this visit: taken into it, or waiting for the clinician."""
    return kiosk_store.for_visit(u.conn, u.clinic_id(), v, *u.day_bounds(v["visit_date"]))


TABLET_WAITING = (
    "The patient's answers from the tablet wait for your review: take them into the record on this screen first."
)


def _tablet_safety_waiting(u: Unit, v: dict[str, Any]) -> bool:
    pack = protocol.active(u.app.settings)
    return any(
        intake_rules.proposal(i["answers"], pack.red_flags, pack.conditions).safety_relevant
        for i in tablet_intakes(u, v)
        if i["visit_id"] is None
    )


def act(
    app: App,
    actor: Actor,
    visit_id: int,
    op: str,
    form: dict[str, str],
    base_revision: int | None,
    *,
    then: Callable[[Unit, dict[str, Any]], None] | None = None,
    internal: bool = False,
) -> VisitRecord:
    """One action of the visit screen (a click or a field), saved as a new revision. A decision of the safety
    gate needs the right to sign and is audited under its own name. `then` runs in the same transaction,
    after the revision is written (taking the tablet's intake marks it taken, or neither happens)."""
    action = ops.lookup(op, internal=internal)
    needs = Action.VISIT_SIGN if action.decision else Action.VITALS_RECORD if action.desk else Action.VISIT_UPDATE
    with unit(app, actor, needs, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        if v["status"] != VisitStatus.DRAFT:
            raise Conflict("This note is signed and locked. Record an amendment to change it.")
        _check_crossing(u, v, base_revision)
        # Safety before technique: what the patient told the tablet is screened before any care is charted.
        if action.treatment and _tablet_safety_waiting(u, v):
            raise Conflict(TABLET_WAITING)
        current = _record(app, u, v, p)
        ctx = ops.Context(
            form=form,
            suggestions=current.suggestions,
            assessment=current.assessment,
            changes=current.changes,
            gate=current.gate,
            by=_name(u, actor.user_id) or actor.label,
            by_id=actor.user_id,
            # The clinic's own time (with its offset): a recheck at 7 pm or consent given that evening is
            # written as the clinic lived it, not as UTC's next day.
            at=u.now.astimezone(app.zone(u.conn, actor.clinic_id)).isoformat(timespec="seconds"),
            names=indicator_names(app),
            complaint=str(v.get("complaint") or ""),
        )
        doc = ops.apply(current.document, op, ctx)
        record = answer(
            app,
            _save_draft(
                app,
                u,
                v,
                p,
                rules.check_document(doc),
                v["revision"],
                detail=f"op={op}",
                decision=action.decision,
                previous=current.previous,
            ),
        )
        if then is not None:
            then(u, v)
        if not action.decision:
            return record
        u.audit(
            DECISION_AUDIT[op],
            "visit",
            visit_id,
            patient_id=p["id"],
            detail=f"gate {current.gate.state.value}→{record.gate.state.value} "
            + str(form.get("reason", "") or form.get("code", ""))[:160],
        )
        return record


# The audit names of the gate's decisions (visit.referral and visit.gate-override predate the state machine).
DECISION_AUDIT = {
    "referral": "visit.referral",
    "override": "visit.gate-override",
    "confirm-override": "visit.gate-override-confirm",
    "withdraw-flag": "visit.gate-withdraw",
}


def _save_draft(
    app: App,
    u: Unit,
    v: dict[str, Any],
    p: dict[str, Any],
    doc: dict[str, Any],
    base_revision: int | None,
    detail: str = "",
    *,
    decision: bool = False,
    previous: dict[str, Any] | _LookUp | None = LOOK_UP,
) -> Gathered:
    if v["status"] != VisitStatus.DRAFT:
        raise Conflict("This note is signed and locked. Record an amendment to change it.")
    _check_base(v, base_revision, u)
    latest = chart_store.latest(u.conn, v["id"])
    before = latest["document"] if latest else rules.empty_document()
    if not decision:
        _keep_gate(latest, doc)
    held = latest is not None and (latest["assessment"].get("blood_pressure") or {}).get("action") in gates.HOLDING
    gates.check_kept(before, doc, reading_held=held)
    assessment = assess_record(app, doc, p, v["visit_date"])
    g = rules.gate(doc, assessment)
    if g.blocked and rules.adds_treatment(before, doc):
        raise Conflict(ops.CLOSED.format(step=g.next_step))
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
    written = chart_store.set_summary(
        u.conn,
        visit_id=v["id"],
        expected_version=v["version"],
        values={"revision": revision, **visit_summary(doc, assessment)},
        actor_id=u.actor.user_id,
        now=u.now,
    )
    if written is None:
        raise StaleVersion("Someone else saved this visit at the same moment. Reload and enter your change again.")
    if not decision:
        u.audit("visit.update", "visit", v["id"], patient_id=p["id"], detail=f"revision={revision} {detail}".strip())
    return _gather(app, u, {**v, **written}, p, saved=(doc, assessment), previous=previous)


def _check_base(v: dict[str, Any], base_revision: int | None, u: Unit | None = None) -> None:
    if base_revision is not None and base_revision != v["revision"]:
        who, when = "Someone else", f"{v['updated_at']:%H:%M} UTC"
        if u is not None:
            when = f"{v['updated_at'].astimezone(u.app.zone(u.conn, u.actor.clinic_id)):%H:%M %Z}"
            latest = chart_store.latest(u.conn, v["id"])
            saver = user_store.get(u.conn, latest["created_by"]) if latest and latest.get("created_by") else None
            if saver is not None:
                who = "You, in another tab," if saver["id"] == u.actor.user_id else str(saver["display_name"])
        raise StaleVersion(
            f"{who} saved this visit (now at revision {v['revision']}, you had {base_revision}) at "
            f"{when}. Your changes were not saved: copy anything you need, reload, "
            "and enter it again."
        )


def _check_crossing(u: Unit, v: dict[str, Any], base_revision: int | None) -> None:
    """One person's quick clicks may cross in flight; only a revision saved by someone else since the
    page was drawn is a conflict."""
    if base_revision is not None and chart_store.others_since(u.conn, v["id"], base_revision, u.actor.user_id):
        _check_base(v, base_revision, u)


CROSSING_SECONDS = 10


def _check_sign_base(u: Unit, v: dict[str, Any], base_revision: int | None) -> None:
    """A signature is of the record the signer saw. The one save tolerated since the page was drawn is the
    field this person typed just before pressing Sign, posted a moment earlier from the same page; anything
    else (another person, or this person in another tab a while ago) means the page is out of date."""
    if base_revision is None or base_revision == v["revision"]:
        return
    since = chart_store.saved_since(u.conn, v["id"], base_revision)
    crossing = (
        len(since) == 1
        and since[0]["created_by"] == u.actor.user_id
        and (u.now - since[0]["created_at"]).total_seconds() < CROSSING_SECONDS
    )
    if not crossing:
        _check_base(v, base_revision, u)


def _keep_gate(latest: dict[str, Any] | None, doc: dict[str, Any]) -> None:
    """The gate's decisions are written only by their own audited actions, never by a save."""
    doc["gate"] = (latest["document"].get("gate") if latest else None) or gates.empty()


def override_gate(app: App, actor: Actor, visit_id: int, reason: str) -> VisitRecord:
    return act(app, actor, visit_id, "override", {"reason": reason}, None)


def record_referral(app: App, actor: Actor, visit_id: int, to: str, reason: str) -> VisitRecord:
    return act(app, actor, visit_id, "referral", {"to": to, "reason": reason}, None)


def render_note(
    doc: dict[str, Any],
    assessment: dict[str, Any],
    signed: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> str:
    """The signed note's text: S, O, A, P as written, then whatever of the record they leave out (the intake
    and care plan, consent, every blood-pressure reading, the safety screen and its decisions), then the
    date of service and who signed it, when."""
    note = doc.get("note") or {}
    soap = [f"{s}: {str(note.get(s, '')).strip()}" for s in rules.NOTE_SECTIONS]
    written = " ".join(soap)
    record = [line for line in rules.record_appendix(doc, assessment, names) if line not in written]
    return "\n".join(soap + (["Record at signing:", *record] if record else []) + list(signed))


def signer(u: Unit, user_id: int | None) -> signature.Signer | None:
    """The signer as the note names them: the name, credentials and NPI the clinic keeps for the account."""
    if not user_id:
        return None
    key = ("signer", user_id)
    if key not in u.seen:
        row = user_store.get(u.conn, user_id)
        found = (
            signature.Signer(str(row["display_name"]), str(row.get("credentials") or ""), row.get("npi"))
            if row
            else None
        )
        u.seen[key] = found
    return u.seen[key]  # type: ignore[no-any-return]


def _signature(
    u: Unit, v: dict[str, Any], kind: str, reason: str, status: dict[str, Any], elsewhere: SignedElsewhere | None
) -> list[str]:
    zone = u.app.zone(u.conn, u.actor.clinic_id)
    if kind == "amendment":
        return signature.signature_lines(
            v["visit_date"],
            signer(u, v.get("signed_by")),
            v["signed_at"].astimezone(zone) if v.get("signed_at") else None,
            amended_by=signer(u, u.actor.user_id),
            amended_at=u.now.astimezone(zone),
            amendment_reason=reason,
        )
    at = status.get("signed_at")
    return signature.signature_lines(
        v["visit_date"],
        signer(u, status.get("signed_by")),
        at.astimezone(zone) if isinstance(at, datetime) else None,
        elsewhere=elsewhere.line() if elsewhere is not None else "",
    )


def sign(
    app: App, actor: Actor, visit_id: int, base_revision: int | None, *, expected_version: int | None = None
) -> VisitRecord:
    """Sign the current revision; refused with the list of what is missing while anything required is absent.
    Every surface that signs (the visit screen, both JSON routes) comes here."""
    with unit(app, actor, Action.VISIT_SIGN, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        check_transition(VisitStatus(v["status"]), VisitStatus.SIGNED)
        _check_sign_base(u, v, base_revision)
        check_version(v, expected_version, "nothing was signed")
        if any(i["visit_id"] is None for i in tablet_intakes(u, v)):
            raise InvalidInput(
                "The note cannot be signed yet: 1 thing(s) missing.", [FieldProblem("tablet", TABLET_WAITING)]
            )
        latest = chart_store.latest(u.conn, visit_id)
        doc = latest["document"] if latest else rules.empty_document()
        done = write_signed(
            u,
            v,
            p,
            doc,
            kind="signed",
            reason="",
            status={"status": "signed", "signed_at": u.now, "signed_by": actor.user_id},
        )
        u.audit("visit.sign", "visit", visit_id, patient_id=p["id"], detail=f"revision={done.revision}")
        gathered = _gather(app, u, done.visit, p, saved=(doc, done.assessment), previous=done.previous)
    return answer(app, gathered)


def amend(app: App, actor: Actor, visit_id: int, document: Any, reason: str, base_revision: int | None) -> VisitRecord:
    """An amendment is a new signed revision with its reason; the earlier signed revision stays as it was."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            "Say why the note is amended.", [FieldProblem("reason", f"Give a reason of 1 to {REASON_MAX} characters.")]
        )
    doc = rules.check_document(document)
    with unit(app, actor, Action.VISIT_SIGN, "visit", visit_id) as u:
        v, p = load_visit(u, visit_id, lock=True)
        check_transition(VisitStatus(v["status"]), VisitStatus.AMENDED)
        _check_base(v, base_revision, u)
        latest = chart_store.latest(u.conn, visit_id)
        _keep_gate(latest, doc)
        if latest:
            gates.check_kept(latest["document"], doc)
        done = write_signed(u, v, p, doc, kind="amendment", reason=reason, status={"status": "amended"})
        u.audit("visit.amend", "visit", visit_id, patient_id=p["id"], detail=reason[:200])
        gathered = _gather(app, u, done.visit, p, saved=(doc, done.assessment), previous=done.previous)
    return answer(app, gathered)


@dataclass(frozen=True)
class SignedElsewhere:
    """Where an imported signed note comes from: it is kept as signed there, never as passing sotchart's gate."""

    system: str
    signed_by: str
    signed_at: str
    text: str = ""  # the note as it was signed there: kept word for word, never re-rendered

    def reason(self, problems: list[tuple[str, str]]) -> str:
        checked = (
            "sotchart's checks pass"
            if not problems
            else f"sotchart's checks would refuse it: {'; '.join(m for _f, m in problems)}"
        )
        return f"{self.line()}; {checked}"[:2000]

    def line(self) -> str:
        return f"Signed in {self.system} by {self.signed_by or 'unknown'} at {self.signed_at or 'unknown'}"


@dataclass(frozen=True)
class Signed:
    """What writing a signed record wrote: its revision, the visit as it now stands, the assessment kept
    with it, and the last signed visit before it (looked up once, for the check and for the answer; None
    for an import, which needs neither)."""

    revision: int
    visit: dict[str, Any]
    assessment: dict[str, Any]
    previous: dict[str, Any] | None


def write_signed(
    u: Unit,
    v: dict[str, Any],
    p: dict[str, Any],
    doc: dict[str, Any],
    *,
    kind: str,
    reason: str,
    status: dict[str, Any],
    elsewhere: SignedElsewhere | None = None,
) -> Signed:
    """The one writer of a signed record (signing, amending, the demo and imports): check the record can be
    signed, then write the signed revision, its findings, the care given and the visit summary in the
    caller's transaction. An imported note signed elsewhere is kept with that provenance instead of the check."""
    assessment = assess_record(u.app, doc, p, v["visit_date"])
    names = indicator_names(u.app)
    # The last signed visit, for the check and for the answer; an import answers no one and checks nothing
    # against it, so it is not read for each imported visit.
    prev = _previous(u, v, p) if elsewhere is None else None
    prev_doc, unconfirmed = _carried(v, prev, doc) if kind == "signed" else (None, [])
    problems = rules.sign_problems(
        doc,
        assessment,
        initial_visit=v["kind"] == "new-patient",
        visit_date=v["visit_date"],
        today=u.today(),
        unconfirmed=unconfirmed,
        names=names,
        composed_now=(
            _composed_now(v, doc, assessment, rules.changes_since(prev_doc, doc, names), names)
            if kind == "signed"
            else None
        ),
    )
    if elsewhere is None and problems:
        what = "note" if kind == "signed" else "amendment"
        raise InvalidInput(
            f"The {what} cannot be signed yet: {len(problems)} thing(s) missing.",
            [FieldProblem(f, m) for f, m in problems],
        )
    signed = _signature(u, v, kind, reason, status, elsewhere)
    if elsewhere is not None:
        kind, reason = "imported", elsewhere.reason(problems)
    revision = int(v["revision"]) + 1
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
    written = chart_store.set_summary(
        u.conn,
        visit_id=v["id"],
        expected_version=v["version"],
        values={
            "revision": revision,
            **status,
            "note": elsewhere.text if elsewhere and elsewhere.text else render_note(doc, assessment, signed, names),
            **visit_summary(doc, assessment),
        },
        actor_id=u.actor.user_id,
        now=u.now,
    )
    if written is None:
        # A lost race is refused (and its transaction rolled back), never audited as a signature.
        raise StaleVersion("Someone else changed this visit at the same moment. Reload; nothing was signed.")
    chart_store.write_treatments(
        u.conn, clinic_id=u.clinic_id(), visit_id=v["id"], revision=revision, kinds=rules.treatments_given(doc)
    )
    rollups.mark_changed(u.conn, u.clinic_id(), rollups.months_touched(u.conn, v["id"]))
    return Signed(revision, {**v, **written}, assessment, prev)


@dataclass
class SignedVersion:
    """One signed version of a visit (signature, amendment or import), with what changed from the one before."""

    visit: dict[str, Any]
    patient: dict[str, Any]
    revision: int
    kind: str
    reason: str
    created_at: Any
    by: str
    lines: list[str]
    previous: int | None
    diff: list[str]
    versions: list[dict[str, Any]]
    zone: str = "UTC"


def signed_version(app: App, actor: Actor, visit_id: int, revision: int) -> SignedVersion:
    """A signed version as it was signed, and its differences from the previous signed version."""
    with unit(app, actor, Action.PATIENT_READ, "visit", visit_id, read=True) as u:
        v, p = load_visit(u, visit_id)
        versions = chart_store.history(u.conn, visit_id)
        numbers = [h["revision"] for h in versions]
        if revision not in numbers:
            # The visit is there (another clinic's would be "not found" above); the version is not.
            raise Conflict(
                f"Revision {revision} is not a signed version of this visit"
                + (
                    f": its signed versions are {', '.join(map(str, numbers))}."
                    if numbers
                    else ": it is not signed yet."
                )
            )
        names = indicator_names(app)
        rev = chart_store.at_revision(u.conn, visit_id, revision)
        assert rev is not None
        lines = rules.record_lines(rev["document"], rev["assessment"], names)
        i = numbers.index(revision)
        previous = numbers[i - 1] if i > 0 else None
        diff: list[str] = []
        if previous is not None:
            before = chart_store.at_revision(u.conn, visit_id, previous)
            assert before is not None
            old = rules.record_lines(before["document"], before["assessment"], names)
            diff = [
                d
                for d in difflib.unified_diff(
                    old, lines, f"version {previous}", f"version {revision}", lineterm="", n=0
                )
                if not d.startswith("@@")
            ][2:]
        author = signer(u, rev.get("created_by"))
        u.audit("visit.read", "visit", visit_id, patient_id=p["id"], detail=f"revision={revision}")
        return SignedVersion(
            visit=v,
            patient=p,
            revision=revision,
            kind=rev["kind"],
            reason=rev["reason"],
            created_at=rev["created_at"],
            by=author.label() if author else "",
            lines=lines,
            previous=previous,
            diff=diff,
            versions=versions,
            zone=str(u.app.zone(u.conn, u.actor.clinic_id)),
        )


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
    return rules.compose_note(record.document, record.assessment, record.changes, indicator_names(app))
