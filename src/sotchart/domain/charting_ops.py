"""One clinician action on the visit record (a click or a field), applied to the draft document.
Each action is a small function registered under the name the visit screen posts; the service saves the
result as a new revision. Actions that chart care are refused while the safety gate is closed, and the
gate's own decisions (referral, override, withdrawing a flag) are actions too, audited under their name."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sotchart.domain import gate as gates
from sotchart.domain.charting import INTAKE_KEYS, compose_note, untouched_compositions
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput
from sotchart.domain.findings import POINTISH, is_pointish, slot
from sotchart.domain.protocol.exam import REGION_OF_LETTER, VERTEBRA

# ICD-10-CM's shape: a letter, two digits, then an optional dot and up to four characters.
ICD10_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
FINDING_FIELDS = ("side", "location", "grade", "mm", "region", "level", "line", "area", "point")
INT_FIELDS = ("grade", "line", "area")
POINT_INT_CODES = ("trapezius-fiber",)
CLOSED = "Treatment is on hold: the safety gate is closed. {step}"


@dataclass(frozen=True)
class Context:
    """What an action may read besides the record: the form, the current assessment and who acts, when."""

    form: dict[str, str]
    suggestions: list[dict[str, Any]]
    assessment: dict[str, Any]
    changes: list[str]
    gate: gates.Gate
    by: str = ""
    by_id: int | None = None
    at: str = ""
    names: Mapping[str, str] = field(default_factory=dict)  # the pack's indicator names, for the note
    complaint: str = ""  # the visit's complaint, for the note

    @property
    def who(self) -> dict[str, Any]:
        """Who decides and when, as every decision of the gate records it."""
        return {"by": self.by, "by_id": self.by_id, "at": self.at}


@dataclass(frozen=True)
class Op:
    name: str
    run: Callable[[dict[str, Any], Context], None]
    treatment: bool = False  # charts care given: refused while the gate is closed
    decision: bool = False  # a decision of the safety gate: needs the right to sign, audited by name
    # Only a use case may run it, never a form: taking the tablet's answers writes "consent given in writing
    # on the tablet", which must come from the patient's own signed intake, not from what a form says.
    internal: bool = False
    desk: bool = False  # the front desk may do it too (vitals taken before the clinician comes in)


OPS: dict[str, Op] = {}


def op(
    name: str, *, treatment: bool = False, decision: bool = False, internal: bool = False, desk: bool = False
) -> Callable[..., Any]:
    def register(fn: Callable[[dict[str, Any], Context], None]) -> Callable[[dict[str, Any], Context], None]:
        OPS[name] = Op(name, fn, treatment, decision, internal, desk)
        return fn

    return register


def lookup(name: str, *, internal: bool = False) -> Op:
    if name not in OPS or (OPS[name].internal and not internal):
        raise InvalidInput(f"Unknown action '{name}'.", [FieldProblem("op", "Reload the page and try again.")])
    return OPS[name]


def apply(doc: dict[str, Any], name: str, ctx: Context) -> dict[str, Any]:
    action = OPS[name] if name in OPS else lookup(name)  # the caller looked it up, with its rights
    if action.treatment and ctx.gate.blocked:
        raise Conflict(CLOSED.format(step=ctx.gate.next_step))
    d = copy.deepcopy(doc)
    d.setdefault("treatment", {})
    action.run(d, ctx)
    return d


def _int(name: str, raw: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError as err:
        raise InvalidInput(f"{name} must be a whole number.", [FieldProblem(name, "Enter a whole number.")]) from err


def _num(name: str, raw: str) -> float | None:
    raw = raw.strip().replace(",", ".")
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError as err:
        raise InvalidInput(f"{name} must be a number.", [FieldProblem(name, "Enter a number, e.g. 4.5.")]) from err


def finding_from_form(form: dict[str, str]) -> dict[str, Any]:
    f: dict[str, Any] = {
        "code": form.get("code", ""),
        "phase": form.get("phase", "pre"),
        "value": form.get("value", ""),
    }
    for name in FINDING_FIELDS:
        raw = form.get(name, "")
        if raw is None or str(raw).strip() == "":
            continue
        if name in INT_FIELDS:
            f[name] = _int(name, str(raw))
        elif name == "mm":
            f[name] = _num(name, str(raw))
        elif name == "point" and f["code"] in POINT_INT_CODES:
            f[name] = _int(name, str(raw))
        else:
            f[name] = str(raw).strip()
    if "region" in form and not str(form.get("region") or "").strip() and VERTEBRA.match(str(f.get("level", ""))):
        # "Region from the level": T8 is thoracic; the clinician need not pick what the level already says.
        f["region"] = REGION_OF_LETTER[str(f["level"])[0]]
    if f["phase"] == "post" and "side" not in f and form.get("pre_side") and any(k in f for k in POINTISH):
        # A point finding's side is where it is: its recheck is at the same side, whatever the result.
        f["side"] = form["pre_side"]
    return f


def set_finding(doc: dict[str, Any], finding: dict[str, Any]) -> None:
    key = slot(finding)
    doc["findings"] = [f for f in doc.get("findings") or [] if slot(f) != key] + [finding]


def remove_finding(doc: dict[str, Any], finding: dict[str, Any]) -> None:
    phase, where = slot(finding)
    gone = {(phase, where)} | ({("post", where)} if phase == "pre" else set())
    # A pre-treatment finding takes its recheck with it: a post finding without its pre would be refused.
    doc["findings"] = [f for f in doc.get("findings") or [] if slot(f) not in gone]


@op("vitals", desk=True)
def _vitals(d: dict[str, Any], ctx: Context) -> None:
    vitals = {k: _int(k, ctx.form.get(k, "")) for k in ("systolic", "diastolic", "pulse")}
    before = d.get("vitals") or {}
    changed = (vitals["systolic"], vitals["diastolic"]) != (before.get("systolic"), before.get("diastolic"))
    held = (ctx.assessment.get("blood_pressure") or {}).get("action") in gates.HOLDING
    if changed and before.get("systolic") is not None and (held or before.get("rechecks")):
        raise InvalidInput(
            f"The reading {before['systolic']}/{before['diastolic']} mmHg stays in the record.",
            [
                FieldProblem(
                    "vitals.recheck",
                    "Record the new reading as a recheck after rest; both readings are kept and shown in the note.",
                )
            ],
        )
    d["vitals"] = {
        **{k: v for k, v in vitals.items() if v is not None},
        # Symptoms change only when the form sends them: a reading saved from a screen without the symptom
        # boxes (the desk's) must not clear the chest pain that makes a high reading an emergency.
        "symptoms": [s for s in ctx.form["symptoms"].split(",") if s]
        if "symptoms" in ctx.form
        else list(before.get("symptoms") or []),
        "rechecks": before.get("rechecks") or [],
    }


@op("vitals-recheck", desk=True)
def _vitals_recheck(d: dict[str, Any], ctx: Context) -> None:
    reading = {k: _int(k, ctx.form.get(k, "")) for k in ("systolic", "diastolic", "pulse")}
    vitals = d.setdefault("vitals", {})
    if vitals.get("systolic") is None:
        raise InvalidInput(
            "Record the first reading before a recheck.", [FieldProblem("vitals", "Enter systolic and diastolic.")]
        )
    if reading["systolic"] is None or reading["diastolic"] is None:
        raise InvalidInput(
            "The recheck needs both figures.",
            [FieldProblem("vitals.recheck", "Enter the systolic and the diastolic of the recheck.")],
        )
    entry = {k: v for k, v in reading.items() if v is not None} | {"at": ctx.at, "by": ctx.by}
    vitals["rechecks"] = [*(vitals.get("rechecks") or []), entry]


@op("history")
def _history(d: dict[str, Any], ctx: Context) -> None:
    # Ticking adds to what is recorded; a recorded finding leaves only by "withdraw-flag", with its reason.
    history = d.get("history") or {}
    added = {
        field: [c for c in ctx.form.get(field, "").split(",") if c and c not in (history.get(field) or [])]
        for field in ("red_flags", "conditions")
    }
    d["history"] = {field: [*(history.get(field) or []), *added[field]] for field in ("red_flags", "conditions")}
    d["pregnant"] = ctx.form.get("pregnant") == "true"


@op("take-intake", internal=True)
def _take_intake(d: dict[str, Any], ctx: Context) -> None:
    """The patient's tablet answers, as the clinician takes them: a "yes" adds its flag (never removes one),
    their history fills the intake's empty fields (and is added below what the clinician wrote), and their
    signed consent is recorded as given in writing."""
    given = json.loads(ctx.form["intake"])
    history = d.get("history") or {}
    d["history"] = {
        f: [*(history.get(f) or []), *(c for c in given[f] if c not in (history.get(f) or []))]
        for f in ("red_flags", "conditions")
    }
    d["pregnant"] = bool(d.get("pregnant")) or bool(given["pregnant"])
    intake = d.setdefault("intake", {})
    for key, text in given["history"].items():
        if key not in INTAKE_KEYS:
            continue
        mine = str(intake.get(key) or "").strip()
        if not mine:
            intake[key] = text
        elif text not in mine:
            intake[key] = f"{mine}\n\nIn the patient's words (tablet): {text}"
    if given.get("consent") and not intake.get("consent"):
        intake["consent"] = given["consent"]


@op("withdraw-flag", decision=True)
def _withdraw(d: dict[str, Any], ctx: Context) -> None:
    gates.withdraw(
        d,
        ctx.gate,
        kind=ctx.form.get("kind", ""),
        code=ctx.form.get("code", ""),
        reason=ctx.form.get("reason", ""),
        label=_flag_label(ctx, ctx.form.get("code", "")),
        **ctx.who,
    )


def _flag_label(ctx: Context, code: str) -> str:
    """The screen's own words for a recorded finding, so the note names it rather than its code."""
    flags = (ctx.assessment.get("safety") or {}).get("flags") or []
    return next((str(f["reason"]) for f in flags if f["code"] == code), code)


@op("referral", decision=True)
def _referral(d: dict[str, Any], ctx: Context) -> None:
    d["gate"] = gates.refer(
        d.get("gate") or gates.empty(),
        ctx.gate,
        to=ctx.form.get("to", ""),
        reason=ctx.form.get("reason", ""),
        **ctx.who,
    )


@op("override", decision=True)
def _override(d: dict[str, Any], ctx: Context) -> None:
    d["gate"] = gates.override(d.get("gate") or gates.empty(), ctx.gate, reason=ctx.form.get("reason", ""), **ctx.who)


@op("confirm-override", decision=True)
def _confirm_override(d: dict[str, Any], ctx: Context) -> None:
    d["gate"] = gates.confirm_override(d.get("gate") or gates.empty(), ctx.gate, **ctx.who)


CONSENT_WAYS = ("verbally", "in writing", "verbally and in writing")


@op("consent")
def _consent(d: dict[str, Any], ctx: Context) -> None:
    # The record says how consent was given, as the clinician chose, and when: never a stock phrase.
    how = ctx.form.get("how", "").strip()
    if how:
        if how not in CONSENT_WAYS:
            raise InvalidInput(
                "Say how consent was given.", [FieldProblem("how", "Choose: " + ", ".join(CONSENT_WAYS))]
            )
        d.setdefault("intake", {})["consent"] = f"given {how}, {ctx.at[:10]}"
    else:
        d.setdefault("intake", {})["consent"] = ctx.form.get("consent", "").strip()


@op("payer")
def _payer(d: dict[str, Any], ctx: Context) -> None:
    t = d["treatment"]
    d["payer"] = ctx.form.get("payer", "cash")
    t["care_type"] = ctx.form.get("care_type", t.get("care_type", "active"))
    t["abn_on_file"] = ctx.form.get("abn_on_file") == "true"


@op("pain")
def _pain(d: dict[str, Any], ctx: Context) -> None:
    d["pain"] = _int("pain", ctx.form.get("pain", ""))


def _guard_text(current: str, ctx: Context) -> None:
    """Two tabs or two people typing in one box: the text the box was opened with must still be there,
    or the save would silently replace what the other wrote."""
    if "base" not in ctx.form:
        return
    base, value = ctx.form["base"], ctx.form.get("value", "")
    if current not in (base, value):
        raise Conflict(
            "This box was changed elsewhere (another tab, or someone else) since you opened it. Your text was "
            "not saved: it is still in the box. Now stored: “"
            + _where_they_differ(current, value)
            + "”. Merge the two and save again."
        )


def _where_they_differ(stored: str, typed: str, width: int = 300) -> str:
    """The stored text from a little before where it parts from what was typed: two long notes that begin
    alike once showed the same first 300 characters and hid the difference."""
    same = next(
        (i for i, (a, b) in enumerate(zip(stored, typed, strict=False)) if a != b), min(len(stored), len(typed))
    )
    start = max(0, same - 40) if same > width - 60 else 0
    part = stored[start : start + width]
    return ("…" if start else "") + part + ("…" if start + width < len(stored) else "")


@op("text")
def _text(d: dict[str, Any], ctx: Context) -> None:
    name, value = ctx.form.get("name", ""), ctx.form.get("value", "")
    _guard_text(_current_text(d, name), ctx)
    if name == "subjective":
        d["subjective"] = value
    elif name in ("S", "O", "A", "P"):
        d.setdefault("note", {})[name] = value
    elif name == "breathing":
        if ctx.gate.blocked and value.strip():
            raise Conflict(CLOSED.format(step=ctx.gate.next_step))
        d["treatment"]["breathing"] = value
    elif name.startswith("intake.") and name.removeprefix("intake.") in INTAKE_KEYS:
        d.setdefault("intake", {})[name.removeprefix("intake.")] = value
    else:
        raise InvalidInput("Unknown text field.", [FieldProblem("name", "Use subjective, S, O, A, P or breathing.")])


@op("finding")
def _finding(d: dict[str, Any], ctx: Context) -> None:
    f = finding_from_form(ctx.form)
    if f["phase"] == "post" and ctx.gate.blocked:
        raise Conflict(CLOSED.format(step=ctx.gate.next_step))
    findings = d.get("findings") or []
    # A whole-body test's row holds one result per phase; its location (upper or lower fossa) refines that
    # result, it does not add a second finding beside it.
    row = (
        None
        if is_pointish(f)
        else next(
            (x for x in findings if x.get("code") == f["code"] and x.get("phase") == f["phase"] and not is_pointish(x)),
            None,
        )
    )
    if not f["value"]:
        # A grade, mm or location chosen (Enter or Tab in its box) without a result button: it refines the
        # result already recorded for this indicator, never picks one.
        current = next((x for x in findings if slot(x) == slot(f)), None) or row
        if current is None:
            raise InvalidInput(
                "Choose the result first, then the measure.",
                [FieldProblem(f"{f['code']}.value", "Tap the result (e.g. short R), then type the grade or mm.")],
            )
        measures = ("grade", "mm", "location")
        typed = {k: f[k] for k in measures if k in f}
        emptied = {k for k in measures if k in ctx.form and not ctx.form[k].strip()}
        f = {k: v for k, v in current.items() if k not in emptied and k != "carried"} | typed
    if row is not None:
        d["findings"] = [x for x in findings if x is not row]
    set_finding(d, f)


@op("remove-finding")
def _remove_finding(d: dict[str, Any], ctx: Context) -> None:
    remove_finding(d, finding_from_form(ctx.form))


@op("confirm-suggestion")
def _confirm_suggestion(d: dict[str, Any], ctx: Context) -> None:
    chosen = [s for s in ctx.suggestions if s["code"] == ctx.form.get("code")]
    if not chosen:
        raise InvalidInput("There is no suggestion for that indicator.", [FieldProblem("code", "Reload the page.")])
    for s in chosen:
        set_finding(d, dict(s) | {"carried": True})


@op("dismiss-suggestion")
def _dismiss_suggestion(d: dict[str, Any], ctx: Context) -> None:
    cf = d.setdefault("carry_forward", {})
    cf["dismissed"] = sorted({*cf.get("dismissed", []), ctx.form.get("code", "")})


@op("confirm-category")
def _confirm_category(d: dict[str, Any], ctx: Context) -> None:
    category = _int("category", ctx.form.get("category", ""))
    d["confirmed_category"] = None if category is None else {"category": category, "side": ctx.form.get("side") or None}


@op("use-template", treatment=True)
def _use_template(d: dict[str, Any], ctx: Context) -> None:
    template = ctx.assessment.get("blocking")
    if not template:
        raise InvalidInput(
            "No sourced template for this category and side: place the blocks yourself.",
            [FieldProblem("blocks", "Add each block with its site and side.")],
        )
    t = d["treatment"]
    t["blocks"] = [dict(b) for b in template["blocks"]]
    t["position"] = template["position"]
    # Blocking is recorded as blocking; a region is coded as manipulated only when the clinician says so.
    if "blocking" not in (t.get("procedures") or []):
        t["procedures"] = [*(t.get("procedures") or []), "blocking"]


@op("add-block", treatment=True)
def _add_block(d: dict[str, Any], ctx: Context) -> None:
    block = {"site": ctx.form.get("site", ""), "side": ctx.form.get("side", "")}
    if ctx.form.get("note"):
        block["note"] = ctx.form["note"]
    t = d["treatment"]
    t["blocks"] = [*(t.get("blocks") or []), block]


@op("remove-block")
def _remove_block(d: dict[str, Any], ctx: Context) -> None:
    index = _int("index", ctx.form.get("index", "")) or 0
    t = d["treatment"]
    t["blocks"] = [b for i, b in enumerate(t.get("blocks") or []) if i != index]


@op("position", treatment=True)
def _position(d: dict[str, Any], ctx: Context) -> None:
    position = ctx.form.get("position", "")
    if position not in ("prone", "supine", "seated"):
        raise InvalidInput("Choose how the patient lay.", [FieldProblem("position", "Choose prone, supine or seated.")])
    d["treatment"]["position"] = position


@op("block-minutes", treatment=True)
def _block_minutes(d: dict[str, Any], ctx: Context) -> None:
    minutes = _num("block_minutes", ctx.form.get("block_minutes", ""))
    d["treatment"]["block_minutes"] = int(minutes) if minutes is not None and minutes == int(minutes) else minutes


@op("toggle", treatment=True)
def _toggle(d: dict[str, Any], ctx: Context) -> None:
    field_name, code = ctx.form.get("field", ""), ctx.form.get("code", "")
    if field_name not in ("spinal_regions", "extraspinal_regions", "procedures"):
        raise InvalidInput(
            "Unknown list.", [FieldProblem("field", "Use spinal_regions, extraspinal_regions or procedures.")]
        )
    t = d["treatment"]
    items = list(t.get(field_name) or [])
    t[field_name] = [x for x in items if x != code] if code in items else [*items, code]


@op("segments", treatment=True)
def _segments(d: dict[str, Any], ctx: Context) -> None:
    raw = ctx.form.get("segments", "")
    d["treatment"]["adjusted_segments"] = [s.strip().upper() for s in raw.replace(";", ",").split(",") if s.strip()]


@op("cmrt", treatment=True)
def _cmrt(d: dict[str, Any], ctx: Context) -> None:
    level = ctx.form.get("level", "").strip().upper()
    if not level:
        raise InvalidInput("Name the CMRT level.", [FieldProblem("cmrt.level", "Enter a level such as T8.")])
    if not VERTEBRA.match(level):
        raise InvalidInput(
            f"{level} is not a vertebra.", [FieldProblem("cmrt.level", "Enter a vertebra such as T8 or L2.")]
        )
    t = d["treatment"]
    t["cmrt"] = [*(t.get("cmrt") or []), {"level": level, "map": ctx.form.get("map", "")}]


@op("remove-cmrt")
def _remove_cmrt(d: dict[str, Any], ctx: Context) -> None:
    index = _int("index", ctx.form.get("index", "")) or 0
    t = d.setdefault("treatment", {})
    t["cmrt"] = [c for i, c in enumerate(t.get("cmrt") or []) if i != index]


@op("diagnosis")
def _diagnosis(d: dict[str, Any], ctx: Context) -> None:
    code = ctx.form.get("code", "").strip().upper()
    if not ICD10_CODE.match(code):
        raise InvalidInput(
            f"'{code}' is not an ICD-10-CM code.", [FieldProblem("code", "Enter a code such as M54.50 or S33.5XXA.")]
        )
    if code == "M54.5":
        raise InvalidInput(
            "M54.5 was deleted on 1 October 2021.", [FieldProblem("code", "Use M54.50, M54.51 or M54.59.")]
        )
    d["diagnoses"] = [x for x in d.get("diagnoses") or [] if x.get("code") != code] + [{"code": code}]


@op("remove-diagnosis")
def _remove_diagnosis(d: dict[str, Any], ctx: Context) -> None:
    d["diagnoses"] = [x for x in d.get("diagnoses") or [] if x.get("code") != ctx.form.get("code", "")]


@op("compose")
def _compose(d: dict[str, Any], ctx: Context) -> None:
    # Only the empty sections, and those still exactly as composing last wrote them, are composed: what the
    # clinician wrote is never replaced by a click.
    composed = compose_note(d, ctx.assessment, ctx.changes, ctx.names, ctx.complaint)
    note = d.setdefault("note", {})
    mine = untouched_compositions(d)
    wrote = d.setdefault("composed", {})
    for section, text in composed.items():
        if not str(note.get(section, "")).strip() or section in mine:
            note[section] = text
            wrote[section] = text


def _current_text(d: dict[str, Any], name: str) -> str:
    if name == "subjective":
        return str(d.get("subjective") or "")
    if name in ("S", "O", "A", "P"):
        return str((d.get("note") or {}).get(name) or "")
    if name == "breathing":
        return str((d.get("treatment") or {}).get("breathing") or "")
    if name.startswith("intake."):
        return str((d.get("intake") or {}).get(name.removeprefix("intake.")) or "")
    return ""


def amendment(doc: dict[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """A signed record with the parts an amendment form may correct: the note, the category and its side,
    a finding's side, the regions treated, the blocks placed, the CMRT levels, the secondary codes, the
    payer and care type. What the form does
    not send stays as signed; the engine and the signing checks judge the result like any signature."""
    d = copy.deepcopy(doc)
    note = d.setdefault("note", {})
    for s in ("S", "O", "A", "P"):
        if s in form:
            note[s] = form[s]
    if "category" in form:
        category = _int("category", form["category"])
        side = form.get("category_side") or None
        d["confirmed_category"] = None if category is None else {"category": category, "side": side}
    for i, f in enumerate(d.get("findings") or []):
        key = f"side.{i}"
        if key in form:
            side = form[key].strip()
            if side:
                f["side"] = side
            else:
                f.pop("side", None)
            f.pop("carried", None)
    t = d.setdefault("treatment", {})
    for name in ("spinal_regions", "extraspinal_regions"):
        if f"{name}.sent" in form:
            t[name] = [c for c in form.get(name, "").split(",") if c]
    if "blocks.sent" in form:
        # A block charted by mistake is taken off by unticking it; the signed version keeps it.
        keep = {k for k in form.get("keep_block", "").split(",") if k}
        t["blocks"] = [b for i, b in enumerate(t.get("blocks") or []) if str(i) in keep]
    if "cmrt" in form:
        levels = [x.strip().upper() for x in form["cmrt"].replace(";", ",").split(",") if x.strip()]
        bad = [x for x in levels if not VERTEBRA.match(x)]
        if bad:
            raise InvalidInput(
                f"'{bad[0]}' is not a vertebra.", [FieldProblem("cmrt", "Enter CMRT levels such as T8, L2.")]
            )
        old = {c.get("level"): c for c in t.get("cmrt") or []}
        t["cmrt"] = [old.get(x) or {"level": x, "map": ""} for x in dict.fromkeys(levels)]
    if "diagnoses" in form:
        codes = [c.strip().upper() for c in form["diagnoses"].replace(";", ",").split(",") if c.strip()]
        bad = [c for c in codes if not ICD10_CODE.match(c) or c == "M54.5"]
        if bad:
            raise InvalidInput(
                f"'{bad[0]}' is not an ICD-10-CM code in use.",
                [FieldProblem("diagnoses", "Enter codes such as M54.50, S33.5XXA, separated by commas.")],
            )
        d["diagnoses"] = [{"code": c} for c in dict.fromkeys(codes)]
    if "payer" in form:
        d["payer"] = form["payer"]
        t["care_type"] = form.get("care_type", t.get("care_type", "active"))
        t["abn_on_file"] = form.get("abn_on_file") == "true"
    return d
