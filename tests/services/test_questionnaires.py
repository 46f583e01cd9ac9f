"""Questionnaires recorded for a patient: raw answers and versions kept, scores and the course to baseline."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sotchart.domain.errors import Forbidden, InvalidInput, NotFound
from sotchart.services import questionnaires
from sotchart.services.context import App
from tests import factories


def test_record_and_follow_the_course_against_the_mcid(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    desk = c.actor("assistant")
    first = questionnaires.record(app, desk, p.id, "odi", [3, 2, 1, 4, 0, 2, None, 3, 1, 2], answered_on="2026-10-01")
    assert first["percent"] == 40 and first["band"] == "moderate disability"
    questionnaires.record(app, desk, p.id, "odi", [1, 1, 1, 2, 0, 1, 1, 1, 0, 1], answered_on="2026-11-01")
    questionnaires.record(app, desk, p.id, "nrs-pain", [7], answered_on="2026-10-01")
    questionnaires.record(app, desk, p.id, "nrs-pain", [6], answered_on="2026-11-01")
    questionnaires.record(app, desk, p.id, "psfs", [3, 4, 5], activities=["Gardening", "Lifting", "Driving"])
    by_code = {cr.instrument: cr for cr in questionnaires.courses(app, c.actor("clinician"), p.id)}
    assert by_code["odi"].change["meets_mcid"] is True and by_code["odi"].change["change"] == -22
    assert by_code["nrs-pain"].change["meets_mcid"] is False
    assert by_code["psfs"].change is None and by_code["psfs"].points[0]["score"] == 4
    with app.db.transaction() as conn:
        stored = conn.execute(
            text(
                "SELECT answers, instrument_version, scoring_version, activities FROM "
                "questionnaire_response WHERE patient_id = :p AND instrument = 'odi' ORDER BY id"
            ),
            {"p": p.id},
        ).first()
    assert stored[0] == "[3,2,1,4,0,2,null,3,1,2]" and stored[1] == "2.1a" and stored[2] == "1"


def test_bad_answers_store_nothing(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    with pytest.raises(InvalidInput):
        questionnaires.record(app, c.actor("assistant"), p.id, "ndi", [9] * 10)
    with pytest.raises(InvalidInput):
        questionnaires.record(app, c.actor("assistant"), p.id, "psfs", [3, 4], activities=["Gardening"])
    with pytest.raises(InvalidInput):
        questionnaires.record(app, c.actor("assistant"), p.id, "nrs-pain", [3], answered_on="2999-01-01")
    assert questionnaires.courses(app, c.actor("clinician"), p.id) == []


def test_other_clinics_and_researchers_are_refused(app: App) -> None:
    a, b = factories.clinic_with_staff(app), factories.clinic_with_staff(app)
    p = factories.patient(app, a)
    with pytest.raises(NotFound):
        questionnaires.record(app, b.actor("assistant"), p.id, "nrs-pain", [5])
    with pytest.raises(Forbidden):
        questionnaires.courses(app, a.actor("researcher"), p.id)
    questionnaires.record(app, a.actor("assistant"), p.id, "nrs-pain", [5])
    with pytest.raises(Exception, match="never change"), app.db.transaction() as conn:
        conn.execute(text("UPDATE questionnaire_response SET score = 0 WHERE patient_id = :p"), {"p": p.id})
