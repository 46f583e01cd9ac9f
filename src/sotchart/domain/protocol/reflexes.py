"""Where a fibre or reflex finding points: the vertebra a source maps it to, and every public CMRT map's
organ label for that vertebra, side by side. Unmapped points say so."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.exam import Exam
from sotchart.domain.protocol.pack import ProtocolPack


def organ_labels(pack: ProtocolPack, vertebra: str) -> list[dict[str, Any]]:
    return [
        {"map": m.id, "name": m.name, "organ": m.levels[vertebra], "source": m.prov.cite()}
        for m in pack.cmrt_maps
        if vertebra in m.levels
    ]


def reflexes(exam: Exam, pack: ProtocolPack) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in exam.findings:
        if f.phase != "pre" or f.value != "positive":
            continue
        if f.code == "occipital-fiber" and f.line is not None and f.area is not None:
            key = f"line {f.line}, area {f.area}"
            out.append(_mapped(pack, f.code, f.side, "occipital", key))
        elif f.code == "ts-line-point" and f.point is not None:
            out.append(_mapped(pack, f.code, f.side, "ts", str(f.point)))
        elif f.code == "trapezius-fiber" and f.point is not None:
            ind = pack.indicators[f.code]
            out.append(
                {
                    "code": f.code,
                    "side": f.side,
                    "point": f.point,
                    "vertebra": None,
                    "not_found": ind.not_found or "No sourced point → vertebra chart.",
                }
            )
        elif f.code == "rc-factor" and f.level is not None:
            pair = next((r for r in pack.rc_pairs if r.cervical == f.level), None)
            row: dict[str, Any] = {"code": f.code, "side": f.side, "level": f.level}
            if pair:
                row |= {"paired": pair.paired, "source": pair.prov.cite()}
            else:
                row |= {"paired": None, "not_found": f"No sourced R+C pair for {f.level}."}
            out.append(row)
    out.sort(key=lambda r: (r["code"], str(r.get("side")), str(r.get("point", r.get("level", r.get("at", ""))))))
    return out


def _mapped(pack: ProtocolPack, code: str, side: str | None, kind: str, key: str) -> dict[str, Any]:
    point = next((g for g in pack.grid_points if g.kind == kind and g.key == key), None)
    row: dict[str, Any] = {"code": code, "side": side, "at": key}
    if point is None:
        row |= {"vertebra": None, "not_found": pack.indicators[code].not_found or f"No sourced mapping for {key}."}
        return row
    return row | {
        "vertebra": point.vertebra,
        "meaning": point.meaning,
        "source": point.prov.cite(),
        "cmrt": organ_labels(pack, point.vertebra),
    }
