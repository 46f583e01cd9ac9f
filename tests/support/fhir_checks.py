"""Checks every FHIR export test makes: each resource validates against fhir.resources' R4B model, every
reference resolves inside the export, and every code comes from the code system it is bound to (the model
validation does not check bindings)."""

from __future__ import annotations

import base64
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class

from sotchart.domain.fhir import codes as c
from sotchart.domain.fhir.mapper import encode_record
from sotchart.domain.questionnaires import INSTRUMENTS

ICD10CM_SHAPE = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
PUBLIC_CODES = {
    c.LOINC: {c.BP_PANEL[0], c.SYSTOLIC[0], c.DIASTOLIC[0], c.HEART_RATE[0], c.PAIN[0], c.PROGRESS_NOTE[0]}
    | {i.loinc for i in INSTRUMENTS.values() if i.loinc},
    c.SNOMED: {c.CHIROPRACTIC_MANIPULATION[0]},
    c.OBS_CATEGORY: {"vital-signs", "survey", "exam"},
    c.CONDITION_CATEGORY: {"encounter-diagnosis"},
    c.CONDITION_VERIFICATION: {"confirmed", "entered-in-error"},
    c.ACT_CODE: {"AMB"},
    c.PARTICIPATION: {"PPRF"},
    c.US_CORE_DOC_CATEGORY: {"clinical-note"},
    c.CAREPLAN_CATEGORY: {"assess-plan"},
    c.UCUM: {"mm[Hg]", "/min", "{score}", "%", "mm"},
    "http://terminology.hl7.org/CodeSystem/v2-0203": {"MR"},
}


def read(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    with zipfile.ZipFile(path) as z:
        manifest = orjson.loads(z.read("manifest.json"))
        files = {
            o["type"]: [orjson.loads(line) for line in z.read(o["url"]).splitlines() if line.strip()]
            for o in manifest["output"]
        }
    return manifest, files


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def check(path: Path) -> dict[str, list[dict[str, Any]]]:
    manifest, files = read(path)
    for o in manifest["output"]:
        assert o["count"] == len(files[o["type"]]), o
    ids = {(kind, r["id"]) for kind, rs in files.items() for r in rs}
    assert len(ids) == sum(len(rs) for rs in files.values()), "an id is used twice"
    concepts = {cs["url"]: {concept["code"] for concept in cs["concept"]} for cs in files.get("CodeSystem", [])}
    for kind, resources in files.items():
        model = get_fhir_model_class(kind)
        for r in resources:
            assert r["resourceType"] == kind
            model.model_validate(r)  # raises on anything R4B does not allow
            for node in _walk(r):
                if isinstance(node.get("reference"), str):
                    target = tuple(node["reference"].split("/", 1))
                    assert target in ids, f"{kind}/{r['id']} refers to {node['reference']}, not in the export"
                system, code = node.get("system"), node.get("code")
                if isinstance(system, str) and isinstance(code, str) and "url" not in node:
                    if system in concepts:
                        assert code in concepts[system], f"{code} is not in {system}"
                    elif system == c.ICD10CM:
                        assert ICD10CM_SHAPE.match(code), code
                    elif system.startswith(c.BASE):
                        raise AssertionError(f"{system} is not published in the export")
                    else:
                        assert code in PUBLIC_CODES.get(system, set()), f"{system}#{code} is not a bound code"
    return files


FAMILY = {
    "p": "Patient/p",
    "e": "CarePlan/e",
    "qr": "QuestionnaireResponse/qr",
    "qs": "QuestionnaireResponse/qr",
    "u": "Practitioner/u",
    **{k: "Encounter/v" for k in ("v", "bp", "hr", "pain", "cat", "note", "f", "dx", "pr")},
}
ID_SHAPE = re.compile(r"^(qr|qs|bp|hr|pain|cat|note|dx|pr|p|e|v|f|u|c)(\d+)(.*)$")


def renumber(resources: list[dict[str, Any]], ids: dict[str, str], clinics: tuple[int, int]) -> list[dict[str, Any]]:
    """The resources as the importing clinic numbers them: every id and reference moved through the import's
    id map (`Patient/p3` → `Patient/p41`, and with it `bp3-...`), the clinic's id in identifiers too."""
    numbers: dict[tuple[str, str], str] = {}
    for old, new in ids.items():
        m_old, m_new = ID_SHAPE.match(old.split("/", 1)[1]), ID_SHAPE.match(new.split("/", 1)[1])
        assert m_old and m_new
        numbers[(old.split("/", 1)[0], m_old.group(2))] = m_new.group(2)
    old_clinic, new_clinic = clinics

    def move_id(rid: str) -> str:
        m = ID_SHAPE.match(rid)
        if not m:
            return rid
        prefix, n, rest = m.groups()
        if prefix == "c":
            return f"c{new_clinic}" if int(n) == old_clinic else rid
        kind = FAMILY[prefix].split("/", 1)[0]
        return f"{prefix}{numbers.get((kind, n), n)}{rest}"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            if isinstance(out.get("reference"), str):
                kind, rid = out["reference"].split("/", 1)
                out["reference"] = f"{kind}/{move_id(rid)}"
            if isinstance(out.get("system"), str):
                out["system"] = out["system"].replace(f"/clinic/{old_clinic}/", f"/clinic/{new_clinic}/")
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    moved = []
    for r in resources:
        m = walk(r)
        m["id"] = move_id(r["id"])
        for ext in m.get("extension") or []:
            if ext["url"] == c.VISIT_RECORD:  # the embedded record names who signed by their id
                record = orjson.loads(base64.b64decode(ext["valueAttachment"]["data"]))
                if record["signed_by"]:
                    record["signed_by"] = int(move_id(f"u{record['signed_by']}")[1:])
                ext["valueAttachment"]["data"] = encode_record(record)
        moved.append(m)
    return moved
