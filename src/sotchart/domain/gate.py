"""The safety gate of one visit as a small state machine. The screen (red flags, contraindications, blood
pressure) says how severe the findings are; the clinician's recorded decisions (a referral, an override and
its confirmation, a flag withdrawn, blood pressure rechecked) move the gate. Each decision is kept in the
visit record with who, when and why, and nothing else can move it: not a save, not an SOT finding.

The rules, and why:
- An emergency finding (cauda equina signs, cervical artery signs, crisis blood pressure with symptoms)
  closes treatment for the whole visit. It cannot be overridden, and recording the referral keeps it closed:
  AHCPR 1994 and sot-reference §5.1–5.2 say these patients need emergency referral, not manipulation.
- A refer-before-treatment finding holds treatment until a referral or a reasoned override is recorded.
- Blood pressure in the crisis range (ACC/AHA: >180 and/or >120) is a hard stop: recheck after rest, refer
  (sot-reference §5.4). A referral sends the patient for follow-up of the pressure; it does not make the
  same reading safe to treat, so it does not open treatment. A lower recheck after rest does (the reading
  series keeps both), or an override with a reason of substance: no guideline sets a blood-pressure cut-off
  for withholding manipulation (§5.4), so the treating clinician may decide, on the record.
- An absolute contraindication (WHO 2005 §5.3: "absolute contraindications to spinal manipulation") is not
  lifted by a referral, and an override needs a second clinician or the owner to confirm it, as a clinic
  demands of any two-person decision; the reason must be of substance (at least OVERRIDE_MIN characters).
- A decision covers the findings that stood when it was made; a new finding that holds treatment closes the
  gate again.
- A recorded red flag or contraindication is withdrawn only with a reason, never by unticking it; once an
  emergency referral is recorded, its findings cannot be withdrawn at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput

HOLDING = ("emergency-referral", "refer-before-treatment")
NOT_LIFTED_BY_REFERRAL = frozenset({"bp-crisis"})
ABSOLUTE_GROUP = "contraindication-absolute"
OVERRIDE_MIN = 40
WITHDRAW_MIN = 10


class GateState(StrEnum):
    CLEAR = "clear"  # nothing found that holds treatment
    CAUTION = "caution"  # adapt the care; treatment may go ahead
    ON_HOLD = "on-hold"  # refer or override before treatment
    AWAITING_CONFIRMATION = "awaiting-confirmation"  # an override of an absolute contraindication awaits a 2nd
    REFERRED = "referred"  # referral recorded; treatment may go ahead
    OVERRIDDEN = "overridden"  # a reasoned (and where needed, confirmed) override
    EMERGENCY = "emergency"  # closed for the visit; refer now
    EMERGENCY_REFERRED = "emergency-referred"  # referred; closed for the visit


OPEN_STATES = frozenset({GateState.CLEAR, GateState.CAUTION, GateState.REFERRED, GateState.OVERRIDDEN})


@dataclass(frozen=True)
class Gate:
    state: GateState
    action: str  # the screen's most severe action
    holding: tuple[str, ...] = ()  # codes of the findings that hold treatment
    absolute: tuple[str, ...] = ()  # of those, absolute contraindications
    next_step: str = ""  # what the clinician does now, in words

    @property
    def blocked(self) -> bool:
        return self.state not in OPEN_STATES

    @property
    def cleared_by(self) -> str:
        return {GateState.REFERRED: "referral", GateState.OVERRIDDEN: "override"}.get(self.state, "")

    @property
    def can_override(self) -> bool:
        return self.state == GateState.ON_HOLD

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "action": self.action,
            "blocked": self.blocked,
            "cleared_by": self.cleared_by,
            "holding": list(self.holding),
            "absolute": list(self.absolute),
            "next_step": self.next_step,
        }


def empty() -> dict[str, Any]:
    return {"referral": None, "override": None, "withdrawn": []}


def _covers(decision: dict[str, Any] | None, codes: set[str]) -> bool:
    """A decision covers the findings that stood when it was made (an older record without the list: all)."""
    if not decision:
        return False
    covered = decision.get("flags")
    return covered is None or codes <= set(covered)


def decide(flags: list[dict[str, Any]], decisions: dict[str, Any] | None, action: str) -> Gate:
    """The gate from the screen's flags (the engine's safety.flags) and the recorded decisions."""
    g = decisions or {}
    holding = [f for f in flags if f.get("action") in HOLDING]
    codes = {f["code"] for f in holding}
    emergency = tuple(sorted(f["code"] for f in holding if f["action"] == "emergency-referral"))
    absolute = tuple(sorted(f["code"] for f in holding if f.get("group") == ABSOLUTE_GROUP))
    referral, override = g.get("referral"), g.get("override")
    held = tuple(sorted(codes))
    if referral and referral.get("action") == "emergency-referral":
        return Gate(
            GateState.EMERGENCY_REFERRED,
            action,
            held,
            absolute,
            "The emergency referral is recorded; treatment stays closed for this visit.",
        )
    if emergency:
        return Gate(
            GateState.EMERGENCY,
            action,
            held,
            absolute,
            "Emergency finding: refer the patient now (emergency services). Treatment is closed for this visit "
            "and cannot be overridden.",
        )
    if not holding:
        return Gate(GateState.CAUTION if action == "caution" else GateState.CLEAR, action)
    if override and override.get("confirmed_by") and _covers(override, codes):
        return Gate(GateState.OVERRIDDEN, action, held, absolute)
    if override and not absolute and _covers(override, codes):
        return Gate(GateState.OVERRIDDEN, action, held, absolute)
    firm = codes & NOT_LIFTED_BY_REFERRAL
    if referral and not absolute and not firm and _covers(referral, codes):
        return Gate(GateState.REFERRED, action, held, absolute)
    if override and absolute and _covers(override, codes):
        return Gate(
            GateState.AWAITING_CONFIRMATION,
            action,
            held,
            absolute,
            f"{override.get('by', 'A clinician')} asked to override an absolute contraindication; a second "
            "clinician or the owner must confirm it before treatment.",
        )
    if absolute:
        step = (
            "Absolute contraindication to manipulation (WHO 2005): refer the patient. Treatment goes ahead only "
            "with an override that a second clinician or the owner confirms."
        )
    elif firm:
        step = (
            "Blood pressure in the crisis range: recheck after 5 minutes' rest. "
            + ("The referral is recorded; it " if referral else "A referral ")
            + "does not open treatment at this reading. A lower recheck does, or an override with your reason."
        )
    else:
        step = "Record a referral, or an override with your reason, before treatment."
    return Gate(GateState.ON_HOLD, action, held, absolute, step)


def _reason(text: str, *, least: int, most: int, summary: str, advice: str) -> str:
    """A decision's reason, trimmed, of a length that can carry substance; else a message beside the field."""
    text = text.strip()
    if not least <= len(text) <= most:
        raise InvalidInput(
            summary, [FieldProblem("reason", f"Give a reason of {least} to {most} characters: {advice}")]
        )
    return text


def _stamp(value: dict[str, Any], by: str, by_id: int | None, at: str) -> dict[str, Any]:
    return value | {"by": by, "by_id": by_id, "at": at}


def refer(
    decisions: dict[str, Any], gate: Gate, *, to: str, reason: str, by: str, by_id: int | None, at: str
) -> dict[str, Any]:
    problems = []
    if not to.strip() or len(to) > 200:
        problems.append(FieldProblem("to", "Say who the patient is referred to (1 to 200 characters)."))
    if not reason.strip() or len(reason) > 2000:
        problems.append(FieldProblem("reason", "Give the reason for the referral (1 to 2000 characters)."))
    if problems:
        raise InvalidInput("The referral needs fixing.", problems)
    if gate.state == GateState.EMERGENCY_REFERRED:
        raise Conflict("The emergency referral is already recorded for this visit.")
    value = {"to": to.strip(), "reason": reason.strip(), "action": gate.action, "flags": list(gate.holding)}
    return {**decisions, "referral": _stamp(value, by, by_id, at)}


def override(
    decisions: dict[str, Any], gate: Gate, *, reason: str, by: str, by_id: int | None, at: str
) -> dict[str, Any]:
    if gate.state in (GateState.EMERGENCY, GateState.EMERGENCY_REFERRED):
        raise Conflict(
            "An emergency finding cannot be overridden: refer the patient (emergency services). "
            "Treatment stays closed for this visit."
        )
    if gate.state != GateState.ON_HOLD:
        raise Conflict("Nothing holds treatment now, so there is nothing to override.")
    reason = _reason(
        reason,
        least=OVERRIDE_MIN,
        most=1000,
        summary="Write why treatment goes ahead despite the safety finding.",
        advice="what you checked, what you will and will not treat, who was informed. It is signed and audited.",
    )
    value = {"reason": reason, "flags": list(gate.holding), "absolute": list(gate.absolute)}
    return {**decisions, "override": _stamp(value, by, by_id, at)}


def confirm_override(decisions: dict[str, Any], gate: Gate, *, by: str, by_id: int | None, at: str) -> dict[str, Any]:
    current = decisions.get("override")
    if gate.state != GateState.AWAITING_CONFIRMATION or not current:
        raise Conflict("No override is waiting for a second clinician.")
    if current.get("by_id") is not None and current.get("by_id") == by_id:
        raise Conflict(
            "You asked for this override; a second clinician or the owner must confirm it from their own sign-in."
        )
    return {**decisions, "override": current | {"confirmed_by": by, "confirmed_by_id": by_id, "confirmed_at": at}}


def withdraw(
    doc: dict[str, Any],
    gate: Gate,
    *,
    kind: str,
    code: str,
    reason: str,
    by: str,
    by_id: int | None,
    at: str,
    label: str = "",
) -> None:
    """Take a recorded red flag or contraindication back, with the reason kept in the record. One that holds
    treatment needs a reason of substance, as an override does: it lifts the hold as surely."""
    field = {"red_flag": "red_flags", "condition": "conditions"}.get(kind)
    history = doc.setdefault("history", {})
    if field is None or code not in (history.get(field) or []):
        raise InvalidInput(
            "That finding is not recorded at this visit.", [FieldProblem("code", "Reload the page and try again.")]
        )
    if gate.state == GateState.EMERGENCY_REFERRED:
        raise Conflict(
            "An emergency referral is recorded for this visit; its findings stay in the record. "
            "If the visit itself was a mistake, mark it entered in error."
        )
    reason = _reason(
        reason,
        least=OVERRIDE_MIN if code in gate.holding else WITHDRAW_MIN,
        most=500,
        summary="Say why the finding is withdrawn.",
        advice="what the patient said, what you checked. It stays in the note.",
    )
    history[field] = [c for c in history[field] if c != code]
    g = doc.setdefault("gate", empty())
    entry = {"kind": kind, "code": code, "label": label or code, "reason": reason}
    g["withdrawn"] = [*(g.get("withdrawn") or []), _stamp(entry, by, by_id, at)]


def check_kept(before: dict[str, Any], after: dict[str, Any], *, reading_held: bool = False) -> None:
    """A save never drops what the screen recorded: a red flag or contraindication leaves only by withdraw,
    and a blood-pressure reading that held treatment, or began a series, is never overwritten (a recheck is
    added to the series instead)."""
    problems = []
    hb, ha = before.get("history") or {}, after.get("history") or {}
    earlier = len((before.get("gate") or {}).get("withdrawn") or [])
    withdrawn_now = {w.get("code") for w in ((after.get("gate") or {}).get("withdrawn") or [])[earlier:]}
    for field, kind in (("red_flags", "red flag"), ("conditions", "contraindication")):
        gone = [c for c in hb.get(field) or [] if c not in (ha.get(field) or []) and c not in withdrawn_now]
        for code in gone:
            problems.append(
                FieldProblem(
                    f"history.{field}",
                    f"The {kind} '{code}' is recorded; withdraw it with a reason instead of unticking it.",
                )
            )
    vb, va = before.get("vitals") or {}, after.get("vitals") or {}
    first_before = (vb.get("systolic"), vb.get("diastolic"))
    series = vb.get("rechecks") or []
    moved = (va.get("systolic"), va.get("diastolic")) != first_before
    if first_before[0] is not None and (reading_held or series) and moved:
        problems.append(
            FieldProblem(
                "vitals.recheck",
                f"The reading {first_before[0]}/{first_before[1]} mmHg stays in the record; record the new "
                "reading as a recheck after rest.",
            )
        )
    if (va.get("rechecks") or [])[: len(series)] != series:
        problems.append(FieldProblem("vitals.recheck", "Blood-pressure rechecks are kept as they were taken."))
    if problems:
        raise InvalidInput("The safety screen keeps what it recorded.", problems)
