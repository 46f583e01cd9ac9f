"""The block template for a confirmed category and side, or why there is none."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.exam import Exam
from sotchart.domain.protocol.pack import ProtocolPack


def blocking(exam: Exam, pack: ProtocolPack) -> tuple[dict[str, Any] | None, str | None]:
    cat, side = exam.confirmed_category, exam.confirmed_side
    if cat is None:
        return None, "No category confirmed yet: confirm the category and side to see a sourced template."
    for t in pack.block_templates:
        if t.category == cat and t.side == side:
            return {
                "template": t.id,
                "position": t.position,
                "side_meaning": t.side_meaning,
                "blocks": [{"site": b.site, "side": b.side} for b in t.blocks],
                "source": t.prov.cite(),
            }, None
    position = pack.positions.get(cat)
    hint = ""
    if position:
        hint = (
            f" Category {cat} is {position.note + ' ' if position.note else ''}blocked {position.position} "
            f"({position.prov.best.title})."
        )
    if cat == 1 and side not in ("left", "right"):
        reason = (
            "The sourced Category I geometry is written for a right or a left short leg (prone); "
            f"no sourced template exists for side '{side or 'none'}'."
        )
    else:
        reason = f"No public source gives block geometry for Category {cat}"
        reason += f" {side}." if side else "."
    return None, reason + hint + " Place the blocks yourself; the placement is recorded."
