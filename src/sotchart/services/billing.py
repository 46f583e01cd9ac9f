"""The superbill of a signed visit: code numbers (never CPT descriptor text) and the clinic's own fees."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput
from sotchart.services import charting
from sotchart.services.context import Actor, App
from sotchart.settings import Settings


def fee_schedule(settings: Settings) -> dict[str, Decimal]:
    path = settings.fee_schedule_file
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InvalidInput(f"The fee schedule {path} cannot be read: {err}.") from err
    if not isinstance(raw, dict):
        raise InvalidInput("The fee schedule must be a JSON object of code → fee.")
    fees: dict[str, Decimal] = {}
    problems = []
    for code, fee in raw.items():
        try:
            value = Decimal(str(fee))
            if value < 0:
                raise InvalidOperation
            fees[str(code)] = value.quantize(Decimal("0.01"))
        except InvalidOperation:
            problems.append(FieldProblem(str(code), "must be a fee of 0 or more, e.g. 45.00"))
    if problems:
        raise InvalidInput("The fee schedule needs fixing.", problems)
    return fees


def superbill(app: App, actor: Actor, visit_id: int) -> dict[str, Any]:
    record = charting.open_record(app, actor, visit_id)
    if record.visit["status"] not in ("signed", "amended"):
        raise Conflict("A superbill is made from a signed note. Sign the visit first.")
    coding = record.assessment["coding"]
    fees = fee_schedule(app.settings)
    lines = []
    for code in (coding.get("cpt_spinal"), coding.get("cpt_extraspinal")):
        if code:
            modifiers = coding.get("modifiers", []) if code == coding.get("cpt_spinal") else []
            lines.append({"code": code, "modifiers": modifiers, "fee": fees.get(code)})
    diagnoses = [c["code"] for c in coding.get("icd10", [])] + [
        d["code"] for d in record.document.get("diagnoses") or []
    ]
    priced = [ln["fee"] for ln in lines if ln["fee"] is not None]
    return {
        "record": record,
        "lines": lines,
        "diagnoses": diagnoses,
        "total": sum(priced, Decimal("0.00")) if len(priced) == len(lines) and lines else None,
    }
