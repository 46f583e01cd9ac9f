"""`sotchart evaluate` and POST /api/v1/assessments: the same engine, the same answers and errors."""

from __future__ import annotations

import json
from pathlib import Path

from sotchart.services import users
from sotchart.services.context import Actor, App
from tests import factories
from tests.domain.protocol.exams import exam, post, pre
from tests.support import cli, web

FULL = exam(
    pre("posture-pelvis", "locked"),
    pre("leg-length-prone", "short", side="right", mm=6),
    post("leg-length-prone", "even"),
    vitals={"systolic": 190, "diastolic": 100},
    treatment={"spinal_regions": ["pelvic", "lumbar"]},
    confirmed_category={"category": 1, "side": "right"},
)


def test_cli_prints_the_assessment(fresh_app: App, tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(FULL))
    r = cli.run(fresh_app, "evaluate", str(path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["safety"]["action"] == "refer-before-treatment"
    assert out["blood_pressure"]["category"] == "hypertensive-crisis"
    assert out["blocking"]["template"] == "cat1-right-short-leg"
    assert out["coding"]["cpt_spinal"] == "98940"
    stricter = cli.run(fresh_app, "evaluate", str(path), SOTCHART_BP_CRISIS_SYSTOLIC="200")
    assert json.loads(stricter.stdout)["safety"]["action"] == "caution"


def test_cli_bad_exam_exits_2_naming_the_field(fresh_app: App, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exam(pre("heel-tension", grade=7))))
    r = cli.run(fresh_app, "evaluate", str(path))
    assert r.returncode == 2 and "findings[0].grade" in r.stderr and "Traceback" not in r.stderr
    path.write_text("{not json")
    r = cli.run(fresh_app, "evaluate", str(path))
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def test_api_answers_the_same_and_refuses_bad_input_with_422(app: App) -> None:
    c = factories.clinic_with_staff(app)
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "engine")
    client = web.client(app)
    client.headers["Authorization"] = f"Bearer {token}"
    r = client.post("/api/v1/assessments", json=FULL)
    assert r.status_code == 200 and r.json()["blocking"]["template"] == "cat1-right-short-leg"
    bad = client.post("/api/v1/assessments", json=exam(vitals={"systolic": 400}))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "vitals.systolic"


def test_questionnaire_score_command(fresh_app: App, tmp_path: Path) -> None:
    now, base = tmp_path / "now.json", tmp_path / "base.json"
    now.write_text(json.dumps({"answers": [3, 2, 1, 4, 0, 2, None, 3, 1, 2]}))
    base.write_text(json.dumps({"answers": [5, 4, 3, 4, 2, 4, 3, 4, 3, 4]}))
    r = cli.run(fresh_app, "questionnaire", "score", "odi", str(now), "--baseline", str(base))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["instrument"] == "odi" and out["percent"] == 40 and out["band"] == "moderate disability"
    assert out["change"] == -32 and out["meets_mcid"] is True
    now.write_text(json.dumps({"answers": [9] * 10}))
    bad = cli.run(fresh_app, "questionnaire", "score", "odi", str(now))
    assert bad.returncode == 2 and "answers[1]" in bad.stderr and "Traceback" not in bad.stderr
