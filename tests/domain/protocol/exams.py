"""Building exams for engine tests: a calm baseline plus the findings a vignette adds."""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "patient": {"age": 40, "sex": "female", "pregnant": False},
    "payer": "commercial",
    "history": {"red_flags": [], "conditions": []},
    "vitals": {"systolic": 118, "diastolic": 76, "pulse": 68, "symptoms": []},
    "findings": [],
    "treatment": {"spinal_regions": [], "extraspinal_regions": [], "blocks": [], "procedures": []},
    "confirmed_category": None,
}


def exam(*findings: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out["findings"] = [dict(f) for f in findings]
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def pre(code: str, value: str = "positive", **fields: Any) -> dict[str, Any]:
    return {"code": code, "phase": "pre", "value": value, **fields}


def post(code: str, value: str = "negative", **fields: Any) -> dict[str, Any]:
    return {"code": code, "phase": "post", "value": value, **fields}
