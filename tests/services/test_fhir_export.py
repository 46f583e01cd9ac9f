"""The FHIR export: every resource valid R4B, every reference inside the export, every code bound; the
patient's record complete (findings pre and post, vitals, pain, codes, care given, the signed note,
questionnaires); owners only, and audited."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest

from sotchart.domain.errors import Forbidden, NotFound
from sotchart.services import charting, fhir_export, questionnaires, visits
from sotchart.services.context import App
from sotchart.store.tables import audit_event
from tests import factories
from tests.support import fhir_checks as fhir

RICH_VISIT = {
    "vitals": {"systolic": 132, "diastolic": 84, "pulse": 72},
    "findings": [
        {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 6},
        {"code": "leg-length-prone", "phase": "post", "value": "even"},
        {"code": "arm-fossa", "phase": "pre", "value": "positive", "side": "left", "location": "upper"},
    ],
    "treatment": {
        "procedures": ["blocking", "spinal-adjustment"],
        "spinal_regions": ["lumbar", "pelvic"],
        "blocks": [{"site": "iliac-crest", "side": "right"}],
        "cmrt": [{"level": "T5", "map": ""}],
    },
    "diagnoses": [{"code": "M54.50"}],
}


def _patient_with_a_record(app: App) -> tuple[factories.ClinicWithStaff, int, int]:
    c = factories.clinic_with_staff(app)
    p = factories.patient(
        app, c, family_name="Fhirfield", given_name="Ada", phone="+1 555 0101", email="ada@x.test", address="1 Main St"
    )
    ep = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    today = app.clock().date()
    signed = factories.signed_visit(
        app, c, p.id, ep, (today - timedelta(days=7)).isoformat(), pain=6, category=1, cleared=True, extra=RICH_VISIT
    )
    factories.signed_visit(app, c, p.id, ep, (today - timedelta(days=3)).isoformat(), pain=4, category=2, cleared=False)
    draft = factories.visit(app, c, p.id, episode_id=ep)
    charting.save_record(app, c.actor("clinician"), draft.id, {"pain": 3}, 0)
    questionnaires.record(app, c.actor("assistant"), p.id, "nrs-pain", [6])
    questionnaires.record(app, c.actor("assistant"), p.id, "psfs", [3, 5], activities=["Sit", "Walk"])
    questionnaires.record(app, c.actor("assistant"), p.id, "odi", [2, 1, None, 3, 0, 1, 2, 1, 0, 1])
    return c, p.id, signed


def test_a_patients_record_exports_as_valid_bound_fhir(app: App, tmp_path: Path) -> None:
    c, patient_id, signed = _patient_with_a_record(app)
    report = fhir_export.export(app, c.actor("owner"), tmp_path / "p.zip", patient_id=patient_id)
    files = fhir.check(tmp_path / "p.zip")
    assert report.resources == sum(len(v) for v in files.values())
    [patient] = files["Patient"]
    assert patient["name"][0]["family"] == "Fhirfield" and patient["gender"] == "female"
    assert {t["system"] for t in patient["telecom"]} == {"phone", "email"}
    encounters = {e["id"]: e for e in files["Encounter"]}
    assert len(encounters) == 3 and sorted(e["status"] for e in encounters.values()) == [
        "finished",
        "finished",
        "in-progress",
    ]
    rich = [o for o in files["Observation"] if o.get("encounter", {}).get("reference") == f"Encounter/v{signed}"]
    by_code = {o["code"]["coding"][0]["code"]: o for o in rich if o["id"].startswith(("bp", "hr", "pain", "cat"))}
    assert by_code["85354-9"]["component"][0]["valueQuantity"]["value"] == 132
    assert by_code["8867-4"]["valueQuantity"]["value"] == 72 and by_code["72514-3"]["valueInteger"] == 6
    assert by_code["category"]["valueCodeableConcept"]["coding"][0]["code"] == "1"
    leg = [o for o in rich if o["code"]["coding"][0]["code"] == "leg-length-prone"]
    phases = sorted(
        (comp["valueCodeableConcept"]["coding"][0]["code"], o["valueCodeableConcept"]["coding"][0]["code"])
        for o in leg
        for comp in o["component"]
        if comp["code"]["coding"][0]["code"] == "phase"
    )
    assert phases == [("post", "even"), ("pre", "short")]
    conditions = {
        d["code"]["coding"][0]["code"]
        for d in files["Condition"]
        if d["encounter"]["reference"] == f"Encounter/v{signed}"
    }
    assert conditions == {"M99.03", "M99.05", "M54.50"}
    procedures = {
        p["code"]["coding"][-1]["code"]: p
        for p in files["Procedure"]
        if p["encounter"]["reference"] == f"Encounter/v{signed}"
    }
    assert set(procedures) == {"blocking", "spinal-adjustment", "cmrt"}
    assert procedures["spinal-adjustment"]["code"]["coding"][0]["code"] == "46947000"
    notes = [
        d for d in files["DocumentReference"] if d["context"]["encounter"][0]["reference"] == f"Encounter/v{signed}"
    ]
    assert base64.b64decode(notes[0]["content"][0]["attachment"]["data"]).decode().startswith("S: s")
    psfs = next(q for q in files["QuestionnaireResponse"] if "psfs" in q["questionnaire"])
    assert [i["text"] for i in psfs["item"]] == ["Sit", "Walk"]
    odi = next(q for q in files["QuestionnaireResponse"] if "/odi|" in q["questionnaire"])
    assert [len(i.get("answer", [])) for i in odi["item"]][:4] == [1, 1, 0, 1]  # the skipped section has no answer
    odi_score = [
        o for o in files["Observation"] if o.get("derivedFrom") == [{"reference": f"QuestionnaireResponse/{odi['id']}"}]
    ]
    assert odi_score[0]["component"][0]["valueQuantity"]["unit"] == "%"
    assert len(files["CarePlan"]) == 1 and files["CarePlan"][0]["status"] == "active"
    assert {cs["id"] for cs in files["CodeSystem"]} >= {"sot-finding", "sot-procedure", "sot-category"}
    # Beside the FHIR resources, each table as CSV: this patient's rows only.
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(tmp_path / "p.zip") as z:
        visits_csv = list(csv.DictReader(io.StringIO(z.read("csv/visit.csv").decode())))
        patients_csv = list(csv.DictReader(io.StringIO(z.read("csv/patient.csv").decode())))
        revisions_csv = list(csv.DictReader(io.StringIO(z.read("csv/visit_revision.csv").decode())))
    assert [p["family_name"] for p in patients_csv] == ["Fhirfield"]
    assert {v["patient_id"] for v in visits_csv} == {str(patient_id)} and len(visits_csv) == 3
    assert {r["visit_id"] for r in revisions_csv} <= {v["id"] for v in visits_csv} and revisions_csv
    with app.db.read() as conn:
        logged = conn.execute(
            audit_event.select().where(audit_event.c.action == "export.fhir", audit_event.c.patient_id == patient_id)
        ).all()
    assert len(logged) == 1


def test_only_owners_export_and_a_missing_patient_is_named(app: App, tmp_path: Path) -> None:
    c, patient_id, _signed = _patient_with_a_record(app)
    with pytest.raises(Forbidden):
        fhir_export.export(app, c.actor("clinician"), tmp_path / "no.zip", patient_id=patient_id)
    with pytest.raises(NotFound):
        fhir_export.export(app, c.actor("owner"), tmp_path / "no.zip", patient_id=987654)
    assert not (tmp_path / "no.zip").exists()
    whole = fhir_export.export(app, c.actor("owner"), tmp_path / "clinic.zip")
    files = fhir.check(tmp_path / "clinic.zip")
    assert whole.counts["Patient"] == len(files["Patient"]) >= 1


def test_the_checks_catch_a_bad_resource_a_dangling_reference_and_an_unbound_code(tmp_path: Path) -> None:
    import zipfile

    import orjson

    def zip_of(*resources: dict) -> Path:  # type: ignore[type-arg]
        path = tmp_path / f"z{len(list(tmp_path.iterdir()))}.zip"
        by_type: dict[str, list[dict]] = {}  # type: ignore[type-arg]
        for r in resources:
            by_type.setdefault(r["resourceType"], []).append(r)
        manifest = {"output": [{"type": k, "url": f"{k}.ndjson", "count": len(v)} for k, v in by_type.items()]}
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("manifest.json", orjson.dumps(manifest))
            for k, v in by_type.items():
                z.writestr(f"{k}.ndjson", b"\n".join(orjson.dumps(r) for r in v))
        return path

    patient = {"resourceType": "Patient", "id": "p1"}
    fhir.check(zip_of(patient))
    with pytest.raises(Exception, match="birthDate"):
        fhir.check(zip_of({**patient, "birthDate": "last spring"}))
    with pytest.raises(AssertionError, match="not in the export"):
        fhir.check(
            zip_of(
                patient,
                {
                    "resourceType": "Encounter",
                    "id": "v1",
                    "status": "finished",
                    "class": {"code": "AMB"},
                    "subject": {"reference": "Patient/p9"},
                },
            )
        )
    with pytest.raises(AssertionError, match="not a bound code"):
        fhir.check(zip_of({**patient, "maritalStatus": {"coding": [{"system": "http://loinc.org", "code": "0000-0"}]}}))


def test_a_formula_typed_as_a_name_is_text_in_the_exported_csv(app: App, tmp_path: Path) -> None:
    import csv
    import io
    import zipfile

    c = factories.clinic_with_staff(app)
    factories.patient(app, c, family_name='=HYPERLINK("http://evil.example","open")', given_name="@SUM(A1)")
    out = tmp_path / "export.zip"
    fhir_export.export(app, c.actor("owner"), out)
    with zipfile.ZipFile(out) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("csv/patient.csv").decode())))
    assert rows[0]["family_name"] == '\'=HYPERLINK("http://evil.example","open")'
    assert rows[0]["given_name"] == "'@SUM(A1)"
