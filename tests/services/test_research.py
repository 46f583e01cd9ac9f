"""The research export: every identifier gone, dates shifted per patient with intervals kept (or years
only), the same rows in CSV and Parquet, a data dictionary for every column, and only for those allowed."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sotchart.domain import deidentify
from sotchart.domain.errors import Forbidden
from sotchart.services import examinations, questionnaires, research, visits
from sotchart.services.context import App
from sotchart.store.tables import audit_event
from tests import factories

IDENTIFIERS = {
    "family_name": "Quillfeather",
    "given_name": "Ottoline",
    "birth_date": "1931-02-03",
    "phone": "+1 555 0199",
    "email": "ottoline@quill.test",
    "address": "12 Lantern Row, Smalltown 04011",
    "external_id": "OLD-778812",
}


def _practice(app: App) -> tuple[factories.ClinicWithStaff, list[str], str]:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, sex="female", **IDENTIFIERS)
    ep = visits.start_episode(app, c.actor("clinician"), p.id, "Zzrare complaint of Ottoline")
    today = app.clock().date()
    days = [(today - timedelta(days=d)).isoformat() for d in (40, 33, 19)]
    first = 0
    for k, day in enumerate(days):
        coded = {
            "treatment": {"procedures": ["blocking"], "spinal_regions": ["lumbar"]},
            "diagnoses": [{"code": "M54.50"}],
        }
        vid = factories.signed_visit(
            app, c, p.id, ep, day, pain=7 - 2 * k, category=1 + k % 2, cleared=k > 0, extra=coded if k == 2 else None
        )
        first = first or vid
    examinations.record(
        app,
        c.actor("owner"),
        first,
        [{"code": "heel-tension", "phase": "pre", "value": "positive", "side": "left"}],
        1,
        "right",
    )
    questionnaires.record(app, c.actor("assistant"), p.id, "nrs-pain", [7], answered_on=days[0])
    # Five other patients share a common complaint, exported as its body region, never as typed.
    for i in range(5):
        other = factories.patient(app, c, family_name=f"Common{i}", birth_date="1990-01-01")
        e = visits.start_episode(app, c.actor("clinician"), other.id, "Low back pain")
        factories.signed_visit(app, c, other.id, e, days[1], pain=5, category=2, cleared=True)
    chart = factories.patient(app, c, family_name="Unseen")  # no signed visit: not exported
    assert chart.id
    return c, days, p.chart_number


def _open(path: Path) -> tuple[zipfile.ZipFile, dict[str, list[dict[str, str]]]]:
    z = zipfile.ZipFile(path)
    tables = {
        name: list(csv.DictReader(io.TextIOWrapper(z.open(f"csv/{name}.csv"), encoding="utf-8")))
        for name in deidentify.DICTIONARY
    }
    return z, tables


def test_the_export_removes_identifiers_and_keeps_intervals(app: App, tmp_path: Path) -> None:
    c, days, chart_number = _practice(app)
    report = research.export(app, c.actor("researcher"), tmp_path / "r.zip", strict=False)
    z, t = _open(tmp_path / "r.zip")
    names = set(z.namelist())
    assert {"README.txt", "data_dictionary.csv"} <= names
    for table in deidentify.DICTIONARY:
        parquet = pq.read_table(io.BytesIO(z.read(f"parquet/{table}.parquet")))
        assert parquet.num_rows == len(t[table]) == report.rows[table], table
        assert parquet.column_names == list(t[table][0]) if t[table] else True
    everything = b"".join(z.read(n) for n in names if not n.endswith(".parquet")).decode()
    # (Real dates are checked per patient below: another patient's shifted date may land on one by chance.)
    for value in (*IDENTIFIERS.values(), chart_number, "Testperson"):
        assert value not in everything, value
    assert "Zzrare" not in everything and "Common0" not in everything

    assert len(t["patients"]) == 6  # the patient without a signed visit is not there
    old = [p for p in t["patients"] if p["age_at_first_visit"] == "90"]
    assert len(old) == 1 and old[0]["sex"] == "female"  # born 1931: 95, exported as 90 (90 or older)
    mine = [v for v in t["visits"] if v["patient"] == old[0]["patient"]]
    assert [int(v["visit_day"]) for v in mine] == [0, 7, 21]
    shifted = [date.fromisoformat(v["visit_date"]) for v in mine]
    assert all(s != date.fromisoformat(d) for s, d in zip(shifted, days, strict=True))
    assert (shifted[2] - shifted[0]).days == 21
    assert {e["complaint"] for e in t["episodes"]} == {"other", "low back"}
    assert {v["clinician"] for v in t["visits"]} == {"clinician-1"}
    assert any(r["examiner"] == "visit" for r in t["examinations"])
    assert {"item": "heel-tension", "rating": "positive left"} in [
        {"item": r["item"], "rating": r["rating"]} for r in t["examinations"] if r["examiner"] != "visit"
    ]
    assert sorted((d["code"], d["source"]) for d in t["diagnoses"]) == [("M54.50", "secondary"), ("M99.03", "region")]
    assert t["treatments"] and t["findings"] and t["questionnaires"][0]["answered_day"] == "0"
    dictionary = list(csv.DictReader(io.StringIO(z.read("data_dictionary.csv").decode())))
    for table, rows in t.items():
        described = {d["column"] for d in dictionary if d["table"] == table}
        assert set(rows[0]) == described if rows else True
    assert "Safe Harbor" in z.read("README.txt").decode()
    with app.db.read() as conn:
        logged = conn.execute(
            audit_event.select().where(audit_event.c.action == "research.export", audit_event.c.clinic_id == c.id)
        ).all()
    assert len(logged) == 1


def test_strict_keeps_years_only_and_roles_are_checked(app: App, tmp_path: Path) -> None:
    c, days, _chart = _practice(app)
    research.export(app, c.actor("owner"), tmp_path / "s.zip", strict=True)
    _z, t = _open(tmp_path / "s.zip")
    assert not any(col.endswith("_date") for table in t.values() for row in table[:1] for col in row)
    assert {v["visit_year"] for v in t["visits"]} <= {d[:4] for d in days}
    with pytest.raises(Forbidden):
        research.export(app, c.actor("assistant"), tmp_path / "no.zip")
    assert not (tmp_path / "no.zip").exists()


def test_one_patients_many_episodes_do_not_make_a_complaint_common(app: App, tmp_path: Path) -> None:
    # Strict mode once kept a complaint once five episodes shared it: one patient with five episodes leaked
    # five rows with a name, a phone number and a street typed as the complaint.
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Fivetimes")
    typed = "Jane Roe 555-0123 MRN 778899, 12 Elm Street, low back"
    for k in range(5):
        ep = visits.start_episode(app, c.actor("clinician"), p.id, typed)
        day = (app.clock().date() - timedelta(days=30 - k)).isoformat()
        factories.signed_visit(app, c, p.id, ep, day, pain=5, category=1, cleared=True)
    research.export(app, c.actor("researcher"), tmp_path / "r.zip")
    z, t = _open(tmp_path / "r.zip")
    everything = b"".join(z.read(n) for n in z.namelist() if not n.endswith(".parquet")).decode()
    for part in ("Jane", "555-0123", "778899", "Elm"):
        assert part not in everything, part
    assert {e["complaint"] for e in t["episodes"]} == {"other"}  # one patient is fewer than five
