"""PDF reports render, and their text (pdftotext) says what was found and done, never a cure."""

from __future__ import annotations

import subprocess
from datetime import timedelta

from sotchart.services import charting, questionnaires, visits
from sotchart.services.context import App
from tests import factories
from tests.support import web

CLAIMS = ("lasting results", "completely healed", "normalize", "normalise", "cures ", "cured")


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_visit_summary_referral_and_progress(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Pdfpatient", given_name="Rosa")
    v = factories.visit(app, c, p.id, kind="follow-up")
    record = {
        "vitals": {"systolic": 186, "diastolic": 96, "pulse": 80},
        "pain": 6,
        "findings": [
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"},
            {"code": "heel-tension", "phase": "post", "value": "negative"},
        ],
        "treatment": {"blocks": [{"site": "iliac-crest", "side": "left"}], "procedures": ["blocking"]},
        "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
    }
    charting.save_record(
        app, c.actor("clinician"), v.id, {**record, "treatment": {}, "findings": record["findings"][:1]}, 0
    )
    r = charting.record_referral(
        app,
        c.actor("clinician"),
        v.id,
        "Dr Ahmed, general practice",
        "Blood pressure 186/96 at rest; please assess before further care",
    )
    # The referral does not open treatment at a crisis reading; the clinician's reasoned override does.
    assert r.gate.blocked
    r = charting.override_gate(
        app, c.actor("clinician"), v.id, "No symptoms; GP seeing her today; low-force pelvic blocking only, no thrust"
    )
    r = charting.save_record(app, c.actor("clinician"), v.id, record, r.revision)
    charting.sign(app, c.actor("clinician"), v.id, r.revision)
    questionnaires.record(app, c.actor("assistant"), p.id, "nrs-pain", [7], answered_on="2026-10-01")
    questionnaires.record(app, c.actor("assistant"), p.id, "nrs-pain", [4])
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])

    summary = client.get(f"/visits/{v.id}/summary.pdf")
    assert summary.status_code == 200 and summary.headers["content-type"] == "application/pdf"
    text = _text(summary.content)
    assert "Your visit on" in text and "Rosa Pdfpatient" in text and "186/96" in text
    assert "1 resolved" in text and "Pelvic blocking" in text and "not a medical diagnosis" in text
    assert not any(claim in text.lower() for claim in CLAIMS)

    letter = _text(client.get(f"/visits/{v.id}/referral.pdf").content)
    assert "Dr Ahmed, general practice" in letter and "please assess before further care" in letter
    assert "186/96 mmHg (hypertensive crisis)" in letter and "refer before treatment" not in letter
    # The letter states the care the record shows, not a stock sentence.
    assert "Blocking: Iliac crest left." in letter and "No spinal manipulation" not in letter
    # The letter is signed by who referred, with the clinic it comes from.
    assert "Clinician " in letter and "Test clinic" in letter.split("Care at this visit")[-1]

    episode = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    day = (app.clock().date() - timedelta(days=1)).isoformat()
    factories.signed_visit(app, c, p.id, episode, day, pain=3, category=1, cleared=False)
    progress = _text(client.get(f"/patients/{p.id}/progress.pdf").content)
    assert "Progress report" in progress and "Pain intensity (NRS 0–10)" in progress and "reached" in progress
    # The charts are drawn in the PDF as in the page: pain with its MCID line, indicators, categories.
    assert "Pain from 3 on" in progress and "MCID 2.1" in progress
    assert "Indicators before and after treatment" in progress and "at the recheck" in progress
    assert "Category 1 (1)" in progress and "none confirmed (1)" in progress

    other = factories.visit(app, c, p.id)
    assert client.get(f"/visits/{other.id}/referral.pdf").status_code == 409


def test_an_emergency_letter_states_only_what_the_record_shows(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Letterpatient")
    v = factories.visit(app, c, p.id)
    record = {
        "vitals": {"systolic": 128, "diastolic": 80, "pulse": 72},
        "history": {"red_flags": ["saddle-anaesthesia"], "conditions": []},
        "findings": [{"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"}],
    }
    charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    charting.record_referral(app, c.actor("clinician"), v.id, "Emergency department", "Saddle anaesthesia today")
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    letter = _text(client.get(f"/visits/{v.id}/referral.pdf").content)
    assert "Emergency department" in letter and "No treatment is recorded at this visit." in letter
    assert "128/80 mmHg" in letter


def test_superbill_prints_code_numbers_and_the_clinics_fees(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    record = {
        "vitals": {"systolic": 120, "diastolic": 70, "pulse": 60},
        "pain": 3,
        "payer": "medicare",
        "findings": [
            {"code": "part-pain", "phase": "pre", "value": "positive", "region": "lumbar", "level": "L4"},
            {"code": "part-asymmetry", "phase": "pre", "value": "positive", "region": "lumbar", "level": "L4"},
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "left"},
            {"code": "heel-tension", "phase": "post", "value": "negative"},
        ],
        "treatment": {"spinal_regions": ["lumbar", "pelvic"], "extraspinal_regions": ["head"]},
        "diagnoses": [{"code": "M54.50"}],
        "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
    }
    r = charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    assert client.get(f"/visits/{v.id}/superbill.pdf").status_code == 409  # not signed yet
    charting.sign(app, c.actor("clinician"), v.id, r.revision)
    text = _text(client.get(f"/visits/{v.id}/superbill.pdf").content)
    assert "98940" in text and "AT" in text and "98943" in text and "M99.03" in text and "M54.50" in text
    assert "fee not set" in text
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps({"98940": 45, "98943": "20.50"}))
    app.settings = app.settings.model_copy(update={"fee_schedule_file": fees})
    priced = _text(client.get(f"/visits/{v.id}/superbill.pdf").content)
    assert "45.00" in priced and "20.50" in priced and "65.50" in priced


def test_the_patient_summary_states_each_reading_with_its_own_band(app: App) -> None:
    # It once printed the crisis reading with the recheck's band ("192/106 mmHg (stage 2)"), and told the
    # patient what the clinician should do.
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(
        app,
        c,
        p.id,
        vitals={"systolic": 192, "diastolic": 106, "pulse": 84, "rechecks": [{"systolic": 150, "diastolic": 94}]},
    )
    charting.sign(app, c.actor("clinician"), v.id, None)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    text = " ".join(_text(client.get(f"/visits/{v.id}/summary.pdf").content).split())
    assert "192/106 mmHg (hypertensive crisis)" in text and "150/94 mmHg (stage 2)" in text
    assert "192/106 mmHg (stage 2)" not in text
    assert "primary care doctor" in text and "advise" not in text.lower()
