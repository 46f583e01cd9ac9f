"""What the visit screen shows, prepared from the record and the pack so the templates stay simple."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sotchart.domain.charting import say_result
from sotchart.domain.findings import POINTISH, identity, is_normal
from sotchart.domain.protocol.pack import Indicator, ProtocolPack
from sotchart.services.charting import VisitRecord

GROUPS = (
    ("standing", "Standing"),
    ("prone", "Prone"),
    ("supine", "Supine"),
    ("cranial-tmj", "Cranial and TMJ"),
    ("fibres", "Fibres and reflex points"),
    ("part", "PART (Medicare)"),
)
MULTI = (
    "occipital-fiber",
    "trapezius-fiber",
    "ts-line-point",
    "rc-factor",
    "part-pain",
    "part-asymmetry",
    "part-rom",
    "part-tissue",
)
SIDE_LABEL = {"left": "L", "right": "R", "bilateral": "both"}


@dataclass
class Option:
    label: str
    value: str
    side: str
    selected: bool


@dataclass
class Row:
    ind: Indicator
    options: list[Option]
    current: dict[str, Any] | None
    suggestions: list[dict[str, Any]]  # every finding last visit recorded for it: "Same" confirms them all
    entries: list[dict[str, Any]] = field(default_factory=list)  # for multi-entry indicators


def options(ind: Indicator, current: dict[str, Any] | None) -> list[Option]:
    """One button per value and side, so a sided finding is one click, not two."""
    out = []
    for value in ind.values:
        sided = ind.takes_side(value)
        for side in ("left", "right", "bilateral") if sided else ("",):
            label = value if not side else f"{value} {SIDE_LABEL[side]}"
            chosen = current is not None and current.get("value") == value and (current.get("side") or "") == side
            out.append(Option(label, value, side, chosen))
    return out


def panel(record: VisitRecord, pack: ProtocolPack, phase: str = "pre") -> list[tuple[str, list[Row]]]:
    findings = [f for f in record.document.get("findings") or [] if f.get("phase") == phase]
    by_code = {f["code"]: f for f in findings if f["code"] not in MULTI}
    suggested: dict[str, list[dict[str, Any]]] = {}
    for s in record.suggestions if phase == "pre" else []:
        suggested.setdefault(s["code"], []).append(s)
    groups = []
    for group, title in GROUPS:
        rows = []
        for ind in pack.indicators.values():
            if ind.group != group:
                continue
            current = by_code.get(ind.code)
            rows.append(
                Row(
                    ind,
                    options(ind, current),
                    current,
                    suggested.get(ind.code, []),
                    [f for f in findings if f["code"] == ind.code and ind.code in MULTI],
                )
            )
        groups.append((title, rows))
    return groups


def recheck_rows(record: VisitRecord, pack: ProtocolPack) -> list[dict[str, Any]]:
    """Each abnormal pre-treatment finding with its recheck buttons and the change so far."""
    post = {identity(f): f for f in record.document.get("findings") or [] if f.get("phase") == "post"}
    changes = {identity({"code": r["code"], **r["pre"]}): r["change"] for r in record.assessment.get("recheck") or []}
    rows = []
    for f in record.document.get("findings") or []:
        if f.get("phase") != "pre" or is_normal(f.get("value")):
            continue
        ind = pack.indicators[f["code"]]
        current = post.get(identity(f))
        pointish = any(f.get(k) is not None for k in POINTISH)
        rows.append(
            {
                "pre": f,
                "label": f"{ind.name}: {say_result(f)}",
                "ind": ind,
                "post": current,
                # A point finding is rechecked at its own side: one button per result, the side kept.
                "options": recheck_options(ind, current, f.get("side") or "") if pointish else options(ind, current),
                "pre_side": f.get("side") or "",
                "change": changes.get(identity(f)),
            }
        )
    return rows


def recheck_options(ind: Indicator, current: dict[str, Any] | None, side: str) -> list[Option]:
    return [Option(value, value, side, current is not None and current.get("value") == value) for value in ind.values]


# Where each block site lies on the outline of a patient seen from above (viewBox 0 0 200 300, head at top).
BLOCK_XY = {
    ("iliac-crest", "left"): (62, 150),
    ("iliac-crest", "right"): (138, 150),
    ("greater-trochanter", "left"): (55, 182),
    ("greater-trochanter", "right"): (145, 182),
    ("asis", "left"): (78, 160),
    ("asis", "right"): (122, 160),
}


def block_marks(blocks: list[dict[str, Any]], position: str) -> list[dict[str, Any]]:
    """Marks for the diagram. Prone, the patient's left is on the viewer's left; supine, it is mirrored."""
    out = []
    for i, b in enumerate(blocks):
        sides: tuple[str, ...] = ("left", "right") if b.get("side") == "bilateral" else (str(b.get("side")),)
        for side in sides:
            xy = BLOCK_XY.get((str(b.get("site")), side))
            if xy is None:
                xy = (100, 240 + 14 * i)  # "other": listed under the figure with its note
            x, y = xy
            if position == "supine" and (str(b.get("site")), side) in BLOCK_XY:
                x = 200 - x
            out.append({"x": x, "y": y, "label": f"{b.get('site')} {side}", "note": b.get("note", "")})
    return out


def describe(f: dict[str, Any]) -> str:
    """A finding as the screen shows it: the note's own words (domain.charting.say_result)."""
    return say_result(f)


def block_position(doc: dict[str, Any], assessment: dict[str, Any], pack: ProtocolPack) -> str:
    """How the patient lies for blocking: as recorded, else as the template or the category's source says."""
    t = doc.get("treatment") or {}
    if t.get("position"):
        return str(t["position"])
    if assessment.get("blocking"):
        return str(assessment["blocking"]["position"])
    category = (doc.get("confirmed_category") or {}).get("category")
    note = pack.positions.get(category) if category else None
    return note.position if note else "prone"
