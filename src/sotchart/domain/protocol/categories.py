"""Category evidence: which pre-treatment findings support which category and side, and where they
conflict. The engine never picks the category; the clinician confirms it."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.exam import Exam
from sotchart.domain.protocol.pack import ProtocolPack


def category_evidence(exam: Exam, pack: ProtocolPack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    support: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: []}
    for f in exam.findings:
        if f.phase != "pre":
            continue
        for rule in pack.rules_for(f.code, f.value):
            if rule.location_matches(f.location):
                support[rule.category].append(
                    {
                        "code": f.code,
                        "value": f.value,
                        "side": f.side if rule.side_from_finding else None,
                        "rule": rule.id,
                        "meaning": rule.meaning,
                        "source": rule.prov.cite(),
                    }
                )
    # A stable order, so the same findings in any order give the same answer.
    for items in support.values():
        items.sort(key=lambda s: (s["rule"], s["side"] or ""))
    categories: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    for cat, items in support.items():
        sides = sorted({s["side"] for s in items if s["side"]})
        counts = {side: sum(1 for s in items if s["side"] == side) for side in sides}
        lateral = [s for s in sides if s in ("left", "right")]
        categories[str(cat)] = {
            "supporting": items,
            "count": len(items),
            "sides": counts,
            "side": None
            if not sides
            else (
                lateral[0]
                if len(lateral) == 1 and len(sides) <= 2
                else ("bilateral" if sides == ["bilateral"] else None)
            ),
        }
        if len(lateral) > 1:
            conflicts.append(
                {
                    "kind": "side",
                    "category": cat,
                    "sides": lateral,
                    "detail": f"Category {cat} findings point to both sides: "
                    + "; ".join(f"{s['code']} {s['side']}" for s in items if s["side"] in lateral),
                }
            )
    present = [c for c, items in support.items() if items]
    if len(present) > 1:
        conflicts.insert(
            0,
            {
                "kind": "category",
                "categories": present,
                "detail": "Findings support more than one category: "
                + "; ".join(f"{c}: {len(support[c])}" for c in present),
            },
        )
    if conflicts:
        note = next((n for n in pack.evidence if n.id == "no-priority-rule"), None)
        for c in conflicts:
            c["resolution"] = note.text if note else "No priority rule is sourced; the clinician decides."
            if note:
                c["source"] = note.prov.cite()
    return categories, conflicts
