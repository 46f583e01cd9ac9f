"""One mapper from sotchart's records (plain dicts as the store returns them) to FHIR R4 resources (plain
dicts). Ids are the record's kind and number (`Patient/p12`, `Encounter/v340`), so every reference can be
written without a lookup and resolves inside the same export."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sotchart.domain.fhir import codes as c

Resource = dict[str, Any]

# The resource types of a patient's record, the Patient first; the rest are shared by the clinic.
PATIENT_RECORD_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "Procedure",
    "DocumentReference",
    "QuestionnaireResponse",
    "CarePlan",
)
SHARED_TYPES = ("Organization", "Practitioner", "CodeSystem", "ValueSet")

VISIT_OBSERVATION_STATUS = {
    "draft": "preliminary",
    "signed": "final",
    "amended": "amended",
    "entered-in-error": "entered-in-error",
}
ENCOUNTER_STATUS = {
    "draft": "in-progress",
    "signed": "finished",
    "amended": "finished",
    "entered-in-error": "entered-in-error",
}
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
FINDING_ATTRIBUTES = ("side", "location", "grade", "mm", "region", "level", "line", "area", "point")


def ref(kind: str, prefix: str, n: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{prefix}{n}"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _instant(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _profile(name: str) -> dict[str, Any]:
    return {"profile": [f"{c.US_CORE}/{name}"]}


def organization(clinic: dict[str, Any]) -> Resource:
    return {
        "resourceType": "Organization",
        "id": f"c{clinic['id']}",
        "meta": _profile("us-core-organization"),
        "active": True,
        "name": clinic["name"],
    }


def practitioner(user: dict[str, Any]) -> Resource:
    return {
        "resourceType": "Practitioner",
        "id": f"u{user['id']}",
        "meta": _profile("us-core-practitioner"),
        "identifier": [{"system": f"{c.BASE}/staff-email", "value": user["email"]}],
        "name": [_person_name(user["display_name"])],
        "active": user.get("disabled_at") is None,
    }


def _person_name(display: str) -> dict[str, Any]:
    """Staff are named as one display name; US Core wants a family name, so the last word serves as one."""
    words = display.split()
    out: dict[str, Any] = {"text": display}
    if words:
        out["family"] = words[-1]
        given = [w for w in words[:-1] if w.rstrip(".").lower() not in ("dr", "mr", "mrs", "ms", "prof")]
        if given:
            out["given"] = given
    return out


def patient(p: dict[str, Any]) -> Resource:
    identifiers = [
        {
            "use": "usual",
            "type": _concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"),
            "system": f"{c.BASE}/clinic/{p['clinic_id']}/chart-number",
            "value": p["chart_number"],
        }
    ]
    if p.get("external_id"):
        identifiers.append(
            {"use": "old", "system": f"{c.BASE}/clinic/{p['clinic_id']}/previous-number", "value": p["external_id"]}
        )
    out: Resource = {
        "resourceType": "Patient",
        "id": f"p{p['id']}",
        "meta": _profile("us-core-patient"),
        "identifier": identifiers,
        "active": p.get("status", "active") == "active",
        "name": [{"use": "official", "family": p["family_name"], "given": [p["given_name"]]}],
        "gender": GENDER.get(p["sex"], "unknown"),
        "birthDate": p["birth_date"].isoformat(),
        "managingOrganization": ref("Organization", "c", p["clinic_id"]),
    }
    telecom = []
    if p.get("phone"):
        telecom.append({"system": "phone", "value": p["phone"]})
    if p.get("email"):
        telecom.append({"system": "email", "value": p["email"]})
    if telecom:
        out["telecom"] = telecom
    if p.get("address"):
        out["address"] = [{"text": p["address"]}]
    return out


def care_plan(e: dict[str, Any], goals: str = "") -> Resource:
    active = e.get("status", "active") == "active" and e.get("end_date") is None
    description = f"Episode of care: {e['complaint']}." + (f" Goals: {goals}" if goals else "")
    period = {"start": e["start_date"].isoformat()}
    if e.get("end_date"):
        period["end"] = e["end_date"].isoformat()
    return {
        "resourceType": "CarePlan",
        "id": f"e{e['id']}",
        "meta": _profile("us-core-careplan"),
        "text": {"status": "generated", "div": _div(description)},
        "status": "active" if active else "completed",
        "intent": "plan",
        "category": [_concept(c.CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")],
        "title": e["complaint"],
        "description": description,
        "subject": ref("Patient", "p", e["patient_id"]),
        "period": period,
    }


def _div(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{escaped}</div>'


def encounter(v: dict[str, Any]) -> Resource:
    out: Resource = {
        "resourceType": "Encounter",
        "id": f"v{v['id']}",
        "meta": _profile("us-core-encounter"),
        "status": ENCOUNTER_STATUS[v["status"]],
        "class": _coding(c.ACT_CODE, "AMB", "ambulatory"),
        "type": [_concept(c.ours("sot-visit-kind"), v["kind"], c.VISIT_KINDS.get(v["kind"]))],
        "subject": ref("Patient", "p", v["patient_id"]),
        "period": {"start": v["visit_date"].isoformat(), "end": v["visit_date"].isoformat()},
        "serviceProvider": ref("Organization", "c", v["clinic_id"]),
    }
    if v.get("complaint"):
        out["reasonCode"] = [{"text": v["complaint"]}]
    if v.get("clinician_id"):
        out["participant"] = [
            {
                "type": [_concept(c.PARTICIPATION, "PPRF", "primary performer")],
                "individual": ref("Practitioner", "u", v["clinician_id"]),
            }
        ]
    if v.get("episode_id"):
        out["basedOn"] = [ref("CarePlan", "e", v["episode_id"])]
    out["extension"] = [{"url": c.VISIT_RECORD, "valueAttachment": visit_record(v)}]
    return out


def visit_record(v: dict[str, Any]) -> dict[str, Any]:
    """The visit as sotchart keeps it (its current record, status and note), for a lossless import."""
    record = {
        "status": v["status"],
        "status_reason": v.get("status_reason") or "",
        "note": v.get("note") or "",
        "signed_at": _instant(v["signed_at"]) if v.get("signed_at") else None,
        "signed_by": v.get("signed_by"),
        "document": v.get("document") or {},
        "assessment": v.get("assessment") or {},
    }
    return {"contentType": "application/json", "data": encode_record(record)}


def encode_record(record: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()).decode()


def _visit_context(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": VISIT_OBSERVATION_STATUS[v["status"]],
        "subject": ref("Patient", "p", v["patient_id"]),
        "encounter": ref("Encounter", "v", v["id"]),
        "effectiveDateTime": v["visit_date"].isoformat(),
    }


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [_concept(c.OBS_CATEGORY, code, display)]


def vitals(v: dict[str, Any], doc: dict[str, Any]) -> Iterator[Resource]:
    vit = doc.get("vitals") or {}
    base = _visit_context(v)
    if vit.get("systolic") is not None and vit.get("diastolic") is not None:
        yield {
            "resourceType": "Observation",
            "id": f"bp{v['id']}",
            "meta": _profile("us-core-blood-pressure"),
            **base,
            "category": _category("vital-signs", "Vital Signs"),
            "code": _concept(c.LOINC, *c.BP_PANEL),
            "component": [
                {"code": _concept(c.LOINC, *code), "valueQuantity": _mmhg(vit[key])}
                for code, key in ((c.SYSTOLIC, "systolic"), (c.DIASTOLIC, "diastolic"))
            ],
        }
    if vit.get("pulse") is not None:
        yield {
            "resourceType": "Observation",
            "id": f"hr{v['id']}",
            "meta": _profile("us-core-heart-rate"),
            **base,
            "category": _category("vital-signs", "Vital Signs"),
            "code": _concept(c.LOINC, *c.HEART_RATE),
            "valueQuantity": {"value": vit["pulse"], "unit": "beats/minute", "system": c.UCUM, "code": "/min"},
        }
    if doc.get("pain") is not None:
        yield {
            "resourceType": "Observation",
            "id": f"pain{v['id']}",
            "meta": _profile("us-core-observation-survey"),
            **base,
            "category": _category("survey", "Survey"),
            "code": _concept(c.LOINC, *c.PAIN),
            "valueInteger": doc["pain"],
        }


def _mmhg(value: Any) -> dict[str, Any]:
    return {"value": value, "unit": "mmHg", "system": c.UCUM, "code": "mm[Hg]"}


def _attribute(name: str, value: Any) -> dict[str, Any]:
    comp: dict[str, Any] = {"code": _concept(c.ours("sot-attribute"), name, c.ATTRIBUTES[name])}
    if name == "side":
        comp["valueCodeableConcept"] = _concept(c.ours("sot-side"), value, c.SIDES.get(value))
    elif name == "phase":
        comp["valueCodeableConcept"] = _concept(c.ours("sot-phase"), value, c.PHASES.get(value))
    elif name in ("grade", "line", "area"):
        comp["valueInteger"] = int(value)
    elif name == "mm":
        comp["valueQuantity"] = {"value": value, "unit": "mm", "system": c.UCUM, "code": "mm"}
    else:
        comp["valueString"] = str(value)
    return comp


def findings(v: dict[str, Any], doc: dict[str, Any], names: dict[str, str]) -> Iterator[Resource]:
    """Every SOT finding, before treatment and at the recheck, coded in sotchart's own code systems."""
    base = _visit_context(v)
    for i, f in enumerate(doc.get("findings") or []):
        yield {
            "resourceType": "Observation",
            "id": f"f{v['id']}-{i}",
            "meta": _profile("us-core-simple-observation"),
            **base,
            "category": _category("exam", "Exam"),
            "code": _concept(c.ours("sot-finding"), f["code"], names.get(f["code"])),
            "valueCodeableConcept": _concept(c.ours("sot-finding-value"), str(f["value"])),
            "component": [
                _attribute("phase", f.get("phase", "pre")),
                *(_attribute(k, f[k]) for k in FINDING_ATTRIBUTES if f.get(k) is not None),
            ],
        }
    cat = doc.get("confirmed_category") or {}
    if cat.get("category"):
        out = {
            "resourceType": "Observation",
            "id": f"cat{v['id']}",
            "meta": _profile("us-core-simple-observation"),
            **base,
            "category": _category("exam", "Exam"),
            "code": _concept(c.ours("sot-attribute"), "category", c.ATTRIBUTES["category"]),
            "valueCodeableConcept": _concept(
                c.ours("sot-category"), str(cat["category"]), c.CATEGORIES.get(str(cat["category"]))
            ),
        }
        if cat.get("side"):
            out["component"] = [_attribute("side", cat["side"])]
        yield out


def conditions(v: dict[str, Any], assessment: dict[str, Any], doc: dict[str, Any]) -> Iterator[Resource]:
    """ICD-10-CM codes: from the regions treated, and the clinician's secondary diagnoses."""
    seen: set[str] = set()
    region_codes = [d["code"] for d in (assessment.get("coding") or {}).get("icd10") or []]
    secondary = [d["code"] for d in doc.get("diagnoses") or [] if d.get("code")]
    for code in [*region_codes, *secondary]:
        if code in seen:
            continue
        seen.add(code)
        yield {
            "resourceType": "Condition",
            "id": f"dx{v['id']}-{code.replace('.', '')}",
            "meta": _profile("us-core-condition-encounter-diagnosis"),
            "verificationStatus": _concept(
                c.CONDITION_VERIFICATION, "entered-in-error" if v["status"] == "entered-in-error" else "confirmed"
            ),
            "category": [_concept(c.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
            "code": _concept(c.ICD10CM, code),
            "subject": ref("Patient", "p", v["patient_id"]),
            "encounter": ref("Encounter", "v", v["id"]),
            "recordedDate": v["visit_date"].isoformat(),
        }


def procedures(v: dict[str, Any], kinds: list[str], names: dict[str, str]) -> Iterator[Resource]:
    status = {"draft": "in-progress", "entered-in-error": "entered-in-error"}.get(v["status"], "completed")
    for kind in kinds:
        coding = [_coding(c.ours("sot-procedure"), kind, names.get(kind))]
        if kind in c.MANIPULATION_PROCEDURES:
            coding.insert(0, _coding(c.SNOMED, *c.CHIROPRACTIC_MANIPULATION))
        out: Resource = {
            "resourceType": "Procedure",
            "id": f"pr{v['id']}-{kind}",
            "meta": _profile("us-core-procedure"),
            "status": status,
            "code": {"coding": coding},
            "subject": ref("Patient", "p", v["patient_id"]),
            "encounter": ref("Encounter", "v", v["id"]),
            "performedDateTime": v["visit_date"].isoformat(),
        }
        if v.get("clinician_id"):
            out["performer"] = [{"actor": ref("Practitioner", "u", v["clinician_id"])}]
        yield out


def note(v: dict[str, Any]) -> Resource | None:
    """The signed note as a DocumentReference (US Core clinical note), its text inline."""
    if v["status"] not in ("signed", "amended") or not v.get("note"):
        return None
    out: Resource = {
        "resourceType": "DocumentReference",
        "id": f"note{v['id']}",
        "meta": _profile("us-core-documentreference"),
        "status": "current",
        "docStatus": "amended" if v["status"] == "amended" else "final",
        "type": _concept(c.LOINC, *c.PROGRESS_NOTE),
        "category": [_concept(c.US_CORE_DOC_CATEGORY, "clinical-note", "Clinical Note")],
        "subject": ref("Patient", "p", v["patient_id"]),
        "date": _instant(v["signed_at"]) if v.get("signed_at") else v["visit_date"].isoformat() + "T00:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(v["note"].encode()).decode(),
                    "title": f"Visit note {v['visit_date'].isoformat()}",
                }
            }
        ],
        "context": {"encounter": [ref("Encounter", "v", v["id"])], "period": {"start": v["visit_date"].isoformat()}},
    }
    if v.get("signed_by"):
        out["author"] = [ref("Practitioner", "u", v["signed_by"])]
        out["authenticator"] = ref("Practitioner", "u", v["signed_by"])
    return out


def questionnaire_response(q: dict[str, Any]) -> Iterator[Resource]:
    """The answers as given (a skipped item has no answer), and the score as an Observation derived from them."""
    items = []
    for i, answer in enumerate(q["answers"]):
        item: dict[str, Any] = {"linkId": str(i + 1)}
        if q["activities"] and i < len(q["activities"]):
            item["text"] = q["activities"][i]
        if answer is not None:
            item["answer"] = [{"valueDecimal": answer} if isinstance(answer, float) else {"valueInteger": answer}]
        items.append(item)
    qr: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr{q['id']}",
        "meta": _profile("us-core-questionnaireresponse"),
        "extension": [{"url": c.SCORING_VERSION, "valueString": q["scoring_version"]}],
        "questionnaire": f"{c.BASE}/Questionnaire/{q['instrument']}|{q['instrument_version']}",
        "status": "completed",
        "subject": ref("Patient", "p", q["patient_id"]),
        "authored": q["answered_on"].isoformat(),
        "item": items,
    }
    if q.get("visit_id"):
        qr["encounter"] = ref("Encounter", "v", q["visit_id"])
    yield qr
    code = (
        _concept(c.LOINC, q["loinc"], q["name"])
        if q.get("loinc")
        else _concept(c.ours("sot-questionnaire"), q["instrument"], q["name"])
    )
    score: Resource = {
        "resourceType": "Observation",
        "id": f"qs{q['id']}",
        "meta": _profile("us-core-observation-survey"),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": code,
        "subject": ref("Patient", "p", q["patient_id"]),
        "effectiveDateTime": q["answered_on"].isoformat(),
        "valueQuantity": {"value": q["score"], "unit": "{score}", "system": c.UCUM, "code": "{score}"},
        "derivedFrom": [{"reference": f"QuestionnaireResponse/qr{q['id']}"}],
    }
    if q.get("percent") is not None:
        score["component"] = [
            {
                "code": _concept(c.ours("sot-questionnaire"), f"{q['instrument']}-percent", "Percent score"),
                "valueQuantity": {"value": q["percent"], "unit": "%", "system": c.UCUM, "code": "%"},
            }
        ]
    if q.get("band"):
        score["interpretation"] = [{"text": q["band"]}]
    score["note"] = [{"text": f"Scored by sotchart's rule version {q['scoring_version']}."}]
    if q.get("visit_id"):
        score["encounter"] = ref("Encounter", "v", q["visit_id"])
    yield score


def code_system(name: str, concepts: dict[str, str], when: date) -> list[Resource]:
    """One of sotchart's code systems, and the value set of all its codes."""
    title, description = c.OWN_SYSTEMS[name]
    url = c.ours(name)
    return [
        {
            "resourceType": "CodeSystem",
            "id": name,
            "url": url,
            "name": "".join(part.capitalize() for part in name.split("-")),
            "title": title,
            "status": "active",
            "date": when.isoformat(),
            "publisher": "sotchart",
            "description": description,
            "caseSensitive": True,
            "content": "complete",
            "count": len(concepts),
            "concept": [{"code": k, "display": v} for k, v in sorted(concepts.items())],
        },
        {
            "resourceType": "ValueSet",
            "id": name,
            "url": c.value_set(name),
            "name": "".join(part.capitalize() for part in name.split("-")),
            "title": title,
            "status": "active",
            "date": when.isoformat(),
            "description": f"Every code of {url}.",
            "compose": {"include": [{"system": url}]},
        },
    ]
