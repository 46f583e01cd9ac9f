"""One clinician action on the visit record (a click or a field), applied to the draft document.
Each op is small and named in the clinic's words; the service saves the result as a new revision."""

from __future__ import annotations

import copy
import re
from typing import Any

from sotchart.domain.charting import INTAKE_KEYS, compose_note
from sotchart.domain.errors import FieldProblem, InvalidInput

# ICD-10-CM's shape: a letter, two digits, then an optional dot and up to four characters.
ICD10_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
FINDING_FIELDS = ("side", "location", "grade", "mm", "region", "level", "line", "area", "point")
INT_FIELDS = ("grade", "line", "area")
POINT_INT_CODES = ("trapezius-fiber",)


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
    return f


def identity(f: dict[str, Any]) -> tuple[Any, ...]:
    """Same rule as the engine's Finding.key: a point finding's side is part of what it is."""
    pointish = any(f.get(k) is not None for k in ("line", "area", "point", "level", "region"))
    return (
        f.get("code"),
        f.get("phase"),
        f.get("location"),
        f.get("line"),
        f.get("area"),
        f.get("point"),
        f.get("level"),
        f.get("region"),
        f.get("side") if pointish else None,
    )


def set_finding(doc: dict[str, Any], finding: dict[str, Any]) -> None:
    key = identity(finding)
    findings = [f for f in doc.get("findings") or [] if identity(f) != key]
    findings.append(finding)
    doc["findings"] = findings


def remove_finding(doc: dict[str, Any], finding: dict[str, Any]) -> None:
    key = identity(finding)
    doc["findings"] = [f for f in doc.get("findings") or [] if identity(f) != key]
    if finding.get("phase") == "pre":
        # Its recheck goes with it: a post finding without its pre would be refused.
        post_key = (*key[:1], "post", *key[2:])
        doc["findings"] = [f for f in doc["findings"] if identity(f) != post_key]


def apply(
    doc: dict[str, Any],
    op: str,
    form: dict[str, str],
    *,
    suggestions: list[dict[str, Any]],
    assessment: dict[str, Any],
    changes: list[str],
) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    t = d.setdefault("treatment", {})
    if op == "vitals":
        vitals = {k: _int(k, form.get(k, "")) for k in ("systolic", "diastolic", "pulse")}
        d["vitals"] = {
            **{k: v for k, v in vitals.items() if v is not None},
            "symptoms": [s for s in form.get("symptoms", "").split(",") if s],
            "recheck": (d.get("vitals") or {}).get("recheck"),
        }
    elif op == "vitals-recheck":
        d.setdefault("vitals", {})["recheck"] = {k: _int(k, form.get(k, "")) for k in ("systolic", "diastolic")}
    elif op == "history":
        d["history"] = {
            "red_flags": [c for c in form.get("red_flags", "").split(",") if c],
            "conditions": [c for c in form.get("conditions", "").split(",") if c],
        }
        d["pregnant"] = form.get("pregnant") == "true"
    elif op == "consent":
        d.setdefault("intake", {})["consent"] = form.get("consent", "").strip()
    elif op == "payer":
        d["payer"] = form.get("payer", "cash")
        t["care_type"] = form.get("care_type", t.get("care_type", "active"))
        t["abn_on_file"] = form.get("abn_on_file") == "true"
    elif op == "pain":
        d["pain"] = _int("pain", form.get("pain", ""))
    elif op == "text":
        name = form.get("name", "")
        value = form.get("value", "")
        if name == "subjective":
            d["subjective"] = value
        elif name in ("S", "O", "A", "P"):
            d.setdefault("note", {})[name] = value
        elif name == "breathing":
            t["breathing"] = value
        elif name.startswith("intake.") and name.removeprefix("intake.") in INTAKE_KEYS:
            d.setdefault("intake", {})[name.removeprefix("intake.")] = value
        else:
            raise InvalidInput(
                "Unknown text field.", [FieldProblem("name", "Use subjective, S, O, A, P or breathing.")]
            )
    elif op == "finding":
        set_finding(d, finding_from_form(form))
    elif op == "remove-finding":
        remove_finding(d, finding_from_form(form))
    elif op == "confirm-suggestion":
        chosen = [s for s in suggestions if s["code"] == form.get("code")]
        if not chosen:
            raise InvalidInput("There is no suggestion for that indicator.", [FieldProblem("code", "Reload the page.")])
        for s in chosen:
            set_finding(d, dict(s) | {"carried": True})
    elif op == "dismiss-suggestion":
        cf = d.setdefault("carry_forward", {})
        cf["dismissed"] = sorted({*cf.get("dismissed", []), form.get("code", "")})
    elif op == "confirm-category":
        category = _int("category", form.get("category", ""))
        d["confirmed_category"] = None if category is None else {"category": category, "side": form.get("side") or None}
    elif op == "use-template":
        template = assessment.get("blocking")
        if not template:
            raise InvalidInput(
                "No sourced template for this category and side: place the blocks yourself.",
                [FieldProblem("blocks", "Add each block with its site and side.")],
            )
        t["blocks"] = [dict(b) for b in template["blocks"]]
        t["position"] = template["position"]
        if "pelvic" not in (t.get("spinal_regions") or []):
            t["spinal_regions"] = [*(t.get("spinal_regions") or []), "pelvic"]
        if "blocking" not in (t.get("procedures") or []):
            t["procedures"] = [*(t.get("procedures") or []), "blocking"]
    elif op == "add-block":
        block = {"site": form.get("site", ""), "side": form.get("side", "")}
        if form.get("note"):
            block["note"] = form["note"]
        t["blocks"] = [*(t.get("blocks") or []), block]
    elif op == "remove-block":
        index = _int("index", form.get("index", "")) or 0
        t["blocks"] = [b for i, b in enumerate(t.get("blocks") or []) if i != index]
    elif op == "block-minutes":
        minutes = _num("block_minutes", form.get("block_minutes", ""))
        t["block_minutes"] = int(minutes) if minutes is not None and minutes == int(minutes) else minutes
    elif op == "toggle":
        field_name, code = form.get("field", ""), form.get("code", "")
        if field_name not in ("spinal_regions", "extraspinal_regions", "procedures"):
            raise InvalidInput(
                "Unknown list.", [FieldProblem("field", "Use spinal_regions, extraspinal_regions or procedures.")]
            )
        items = list(t.get(field_name) or [])
        t[field_name] = [x for x in items if x != code] if code in items else [*items, code]
    elif op == "segments":
        t["adjusted_segments"] = [
            s.strip().upper() for s in form.get("segments", "").replace(";", ",").split(",") if s.strip()
        ]
    elif op == "cmrt":
        level = form.get("level", "").strip().upper()
        if level:
            t["cmrt"] = [*(t.get("cmrt") or []), {"level": level, "map": form.get("map", "")}]
    elif op == "diagnosis":
        code = form.get("code", "").strip().upper()
        if not ICD10_CODE.match(code):
            raise InvalidInput(
                f"'{code}' is not an ICD-10-CM code.",
                [FieldProblem("code", "Enter a code such as M54.50 or S33.5XXA.")],
            )
        if code == "M54.5":
            raise InvalidInput(
                "M54.5 was deleted on 1 October 2021.", [FieldProblem("code", "Use M54.50, M54.51 or M54.59.")]
            )
        d["diagnoses"] = [x for x in d.get("diagnoses") or [] if x.get("code") != code] + [{"code": code}]
    elif op == "remove-diagnosis":
        d["diagnoses"] = [x for x in d.get("diagnoses") or [] if x.get("code") != form.get("code", "")]
    elif op == "compose":
        d["note"] = compose_note(d, assessment, changes)
    else:
        raise InvalidInput(f"Unknown action '{op}'.", [FieldProblem("op", "Reload the page and try again.")])
    return d
