"""The read-only FHIR API: read, search by patient and date, $everything; OperationOutcome for errors;
the same resources as the export; every read audited with the patient."""

from __future__ import annotations

from datetime import timedelta

from sotchart.services import users, visits
from sotchart.services.context import App
from sotchart.services.policy import Actor
from sotchart.store.tables import audit_event
from tests import factories
from tests.support import web


def _setup(app: App):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Fhirapi")
    ep = visits.start_episode(app, c.actor("clinician"), p.id, "Neck pain")
    today = app.clock().date()
    old = factories.signed_visit(
        app, c, p.id, ep, (today - timedelta(days=30)).isoformat(), pain=7, category=1, cleared=True
    )
    new = factories.signed_visit(
        app, c, p.id, ep, (today - timedelta(days=2)).isoformat(), pain=3, category=2, cleared=True
    )
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "fhir")
    client = web.client(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return c, p, old, new, client, today


def test_read_search_and_everything(app: App) -> None:
    _c, p, old, new, client, today = _setup(app)
    meta = client.get("/fhir/metadata")
    assert meta.status_code == 200 and meta.json()["fhirVersion"] == "4.0.1"
    patient = client.get(f"/fhir/Patient/p{p.id}")
    assert patient.headers["content-type"].startswith("application/fhir+json")
    assert patient.json()["name"][0]["family"] == "Fhirapi"
    pain = client.get(f"/fhir/Observation/pain{new}").json()
    assert pain["valueInteger"] == 3 and pain["subject"]["reference"] == f"Patient/p{p.id}"

    encounters = client.get("/fhir/Encounter", params={"patient": f"p{p.id}"}).json()
    assert encounters["resourceType"] == "Bundle" and encounters["total"] == 2
    recent = client.get(
        "/fhir/Observation",
        params={"patient": f"Patient/p{p.id}", "date": f"ge{(today - timedelta(days=7)).isoformat()}"},
    ).json()
    assert recent["total"] > 0
    assert all(e["resource"]["encounter"]["reference"] == f"Encounter/v{new}" for e in recent["entry"])
    both = client.get(
        "/fhir/Observation", params={"patient": f"p{p.id}", "date": ["ge2000-01-01", "le2000-12-31"]}
    ).json()
    assert both["total"] == 0

    everything = client.get(f"/fhir/Patient/p{p.id}/$everything").json()
    kinds = {e["resource"]["resourceType"] for e in everything["entry"]}
    assert {
        "Patient",
        "Encounter",
        "Observation",
        "Procedure",
        "DocumentReference",
        "CarePlan",
        "Organization",
    } <= kinds
    with app.db.read() as conn:
        actions = {r.action for r in conn.execute(audit_event.select().where(audit_event.c.patient_id == p.id)).all()}
    assert {"fhir.read", "fhir.search", "fhir.everything"} <= actions
    assert old


def test_errors_are_operation_outcomes(app: App) -> None:
    c, p, _old, _new, client, _today = _setup(app)
    missing = client.get("/fhir/Patient/p999999")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/Medication/m1").json()["issue"][0]["diagnostics"].startswith("Not found")
    no_patient = client.get("/fhir/Observation")
    assert no_patient.status_code == 422 and "patient=p12" in no_patient.text
    bad_date = client.get("/fhir/Observation", params={"patient": f"p{p.id}", "date": "yesterday"})
    assert bad_date.status_code == 422 and bad_date.json()["issue"][-1]["expression"] == ["date"]
    anonymous = web.client(app).get(f"/fhir/Patient/p{p.id}")
    assert anonymous.status_code == 401 and anonymous.json()["resourceType"] == "OperationOutcome"
    token = users.issue_token(app, Actor.console(c.id), c.emails["researcher"], "fhir")
    researcher = web.client(app).get(f"/fhir/Patient/p{p.id}", headers={"Authorization": f"Bearer {token}"})
    assert researcher.status_code == 403 and "Fhirapi" not in researcher.text


def test_an_owner_downloads_a_patients_whole_record(app: App) -> None:
    import io
    import subprocess
    import zipfile

    c, p, _old, new, _client, _today = _setup(app)
    owner = web.client(app)
    web.sign_in(owner, c.emails["owner"], app=app)
    chart = web.html(owner.get(f"/patients/{p.id}"))
    assert chart.select_one("#export-record") is not None
    r = owner.get(f"/patients/{p.id}/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = set(z.namelist())
        assert {"manifest.json", "Patient.ndjson", "csv/visit.csv"} <= names
        [pdf_name] = [n for n in names if n.startswith("pdf/")]
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=z.read(pdf_name), capture_output=True, check=True
        ).stdout.decode()
    text = " ".join(text.split())
    assert "Chart: Fhirapi" in text and "2 visits" in text and "S: s" in text and "Category 2" in text
    clinician = web.client(app)
    web.sign_in(clinician, c.emails["clinician"])
    assert web.html(clinician.get(f"/patients/{p.id}")).select_one("#export-record") is None
    assert new
