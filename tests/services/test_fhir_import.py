"""Export → import → export gives the same resources (ids renumbered by the importing clinic), on a rich
patient, the demo clinic and a 1,000-visit patient; a damaged or duplicate import writes nothing."""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from sotchart.domain.errors import Forbidden, InvalidInput
from sotchart.domain.fhir import mapper
from sotchart.services import demo, fhir_export, fhir_import
from sotchart.services.context import App
from sotchart.services.policy import Actor
from sotchart.store.tables import patient as patient_table
from tests import factories
from tests.services.test_fhir_export import _patient_with_a_record
from tests.support import fhir_checks as fhir

RECORD_TYPES = mapper.PATIENT_RECORD_TYPES


def _round_trip(source: App, source_clinic: factories.ClinicWithStaff, target: App, tmp: Path) -> None:
    first = tmp / "first.zip"
    fhir_export.export(source, source_clinic.actor("owner"), first)
    fhir.check(first)
    into = factories.clinic_with_staff(target)
    report = fhir_import.import_export(target, into.actor("owner"), first)
    assert report.failed == [], report.failed[:5]
    second = tmp / "second.zip"
    fhir_export.export(target, into.actor("owner"), second)
    again = fhir.check(second)
    _manifest, before = fhir.read(first)
    for kind in RECORD_TYPES:
        expected = fhir.renumber(before.get(kind, []), report.ids, (source_clinic.id, into.id))
        got = again.get(kind, [])
        assert sorted(expected, key=lambda r: r["id"]) == sorted(got, key=lambda r: r["id"]), kind


def test_round_trip_of_a_rich_patient(app: App, fresh_app: App, tmp_path: Path) -> None:
    c, _patient_id, _signed = _patient_with_a_record(app)
    _round_trip(app, c, fresh_app, tmp_path)


def test_round_trip_of_the_demo_clinic_with_its_1000_visit_patient(
    fresh_app: App, db_factory: Any, tmp_path: Path
) -> None:
    from sotchart.services import clinics
    from tests.conftest import make_settings

    demo.load_demo(fresh_app)
    clinic = clinics.first_clinic(fresh_app)
    assert clinic is not None
    owner = factories.ClinicWithStaff(clinic.id, clinic.name, {}, {"owner": Actor.console(clinic.id)})
    target = App.from_settings(make_settings(db_factory.new_migrated(), tmp_path / "target"))
    try:
        _round_trip(fresh_app, owner, target, tmp_path)
        # The demo's patients answered questionnaires (NRS, PSFS), and the export carries them.
        _manifest, exported = fhir.read(tmp_path / "first.zip")
        assert {r["questionnaire"].rsplit("/", 1)[-1].split("|")[0] for r in exported["QuestionnaireResponse"]} >= {
            "nrs-pain",
            "psfs",
        }
        with target.db.read() as conn:
            assert conn.execute(patient_table.select()).first() is not None
    finally:
        target.close()


def _tampered(good: Path, dest: Path, member: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Path:
    """A copy of an export whose first resource in `member` is changed."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(dest, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == member:
                lines = data.splitlines()
                data = b"\n".join([orjson.dumps(change(orjson.loads(lines[0]))), *lines[1:]])
            out.writestr(name, data)
    return dest


def test_damaged_duplicate_and_forbidden_imports_write_nothing(app: App, fresh_app: App, tmp_path: Path) -> None:
    c, _patient_id, _signed = _patient_with_a_record(app)
    good = tmp_path / "good.zip"
    fhir_export.export(app, c.actor("owner"), good)
    into = factories.clinic_with_staff(fresh_app)

    not_zip = tmp_path / "junk.zip"
    not_zip.write_bytes(b"not a zip at all")
    with pytest.raises(InvalidInput, match="not a readable zip"):
        fhir_import.import_export(fresh_app, into.actor("owner"), not_zip)
    with pytest.raises(Forbidden):
        fhir_import.import_export(fresh_app, into.actor("clinician"), good)

    # One Observation that fails validation: its patient is not imported, and the report says where.
    _m, files = fhir.read(good)
    bad = _tampered(good, tmp_path / "bad.zip", "Observation.ndjson", lambda r: r | {"status": {"not": "a code"}})
    report = fhir_import.import_export(fresh_app, into.actor("owner"), bad)
    assert report.patients == 0 and len(report.failed) >= 1
    assert "Observation.ndjson line 1" in str(report.failed[0]) and "status" in str(report.failed[0])
    with fresh_app.db.read() as conn:
        assert conn.execute(patient_table.select().where(patient_table.c.clinic_id == into.id)).first() is None

    # A reference to nothing: the same, and the report names it.
    dangling = _tampered(
        good,
        tmp_path / "dangling.zip",
        "Condition.ndjson",
        lambda r: r | {"encounter": {"reference": "Encounter/v999999"}},
    )
    report = fhir_import.import_export(fresh_app, into.actor("owner"), dangling)
    assert report.patients == 0 and "refers to Encounter/v999999, which is not in the export" in str(report.failed)

    first = fhir_import.import_export(fresh_app, into.actor("owner"), good)
    assert first.patients == len(files["Patient"]) and first.failed == []
    twice = fhir_import.import_export(fresh_app, into.actor("owner"), good)
    assert twice.patients == 0 and "already holds" in str(twice.failed[0])


def test_an_import_passes_the_desks_checks_and_cannot_name_files(app: App, fresh_app: App, tmp_path: Path) -> None:
    # An imported chart number became the zip member pdf/../../ZIPSLIP.pdf in later exports; a 157 MB
    # family name was kept; a patient without birthDate crashed the import with a KeyError.
    c, _patient_id, _signed = _patient_with_a_record(app)
    good = tmp_path / "good.zip"
    fhir_export.export(app, c.actor("owner"), good)
    into = factories.clinic_with_staff(fresh_app)

    def chart(value: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def change(p: dict[str, Any]) -> dict[str, Any]:
            ids = [i for i in p.get("identifier") or [] if not i.get("system", "").endswith("/chart-number")]
            return p | {"identifier": [*ids, {"system": "https://sotchart.org/fhir/chart-number", "value": value}]}

        return change

    crafted = {
        "zipslip": (chart("../../../tmp/ZIPSLIP"), "chart number"),
        "huge": (lambda p: p | {"name": [{"family": "x" * 1_000_000, "given": ["A"]}]}, "at most 100 characters"),
        "no-birth": (lambda p: {k: v for k, v in p.items() if k != "birthDate"}, "date of birth"),
        "future": (lambda p: p | {"birthDate": "2999-01-01"}, "in the future"),
    }
    for name, (change, said) in crafted.items():
        report = fhir_import.import_export(
            fresh_app, into.actor("owner"), _tampered(good, tmp_path / f"{name}.zip", "Patient.ndjson", change)
        )
        assert report.patients == 0 and said in str(report.failed), (name, report.failed)
        with fresh_app.db.read() as conn:
            assert conn.execute(patient_table.select().where(patient_table.c.clinic_id == into.id)).first() is None


def test_export_file_names_are_safe_identifiers_whatever_a_chart_number_held(app: App, tmp_path: Path) -> None:
    from sqlalchemy import text

    from sotchart.reports.chart import add_chart_pdfs

    c, patient_id, _signed = _patient_with_a_record(app)
    # A chart number as an older import could leave it, written past today's checks.
    with app.db.transaction() as conn:
        conn.execute(text("UPDATE patient SET chart_number = '../../evil' WHERE id = :id"), {"id": patient_id})
    out = tmp_path / "export.zip"
    fhir_export.export(app, c.actor("owner"), out)
    add_chart_pdfs(out, app, c.actor("owner"), [patient_id])
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert all(".." not in n and not n.startswith("/") for n in names), names
    assert f"pdf/evil-{patient_id}.pdf" in names


def test_an_import_is_bounded_in_bytes_lines_files_and_time(app: App, fresh_app: App, tmp_path: Path) -> None:
    # A 1 MB zip once wrote 1 GiB to temp, a 0.3 MB one held 745 MB for one line.
    from sotchart.services.context import App as AppHandle
    from tests.conftest import make_settings

    url = fresh_app.db.url.render_as_string(hide_password=False)
    small = AppHandle(
        settings=make_settings(url, tmp_path / "small", import_max_bytes=2 * 1024**2, import_max_line_bytes=64 * 1024),
        db=fresh_app.db,
    )
    into = factories.clinic_with_staff(small)
    manifest = {"output": [{"type": "Patient", "url": "Patient.ndjson"}]}

    def zip_of(name: str, body: bytes, extra: int = 0) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", orjson.dumps(manifest))
            z.writestr("Patient.ndjson", body)
            for i in range(extra):
                z.writestr(f"junk/{i}.txt", b"")
        return out

    bomb = zip_of("bomb.zip", b"\n" * (3 * 1024**2))  # 3 MiB of newlines deflate to a few KB
    assert bomb.stat().st_size < 64 * 1024
    with pytest.raises(InvalidInput, match="unpacks to more than"):
        fhir_import.import_export(small, into.actor("owner"), bomb)
    long_line = zip_of(
        "long.zip", b'{"resourceType":"Patient","id":"p1","name":[{"family":"' + b"x" * 200_000 + b'"}]}\n'
    )
    with pytest.raises(InvalidInput) as e:
        fhir_import.import_export(small, into.actor("owner"), long_line)
    assert any("longer than" in p.message for p in e.value.problems)
    crowded = zip_of("crowded.zip", b"", extra=600)
    with pytest.raises(InvalidInput, match="holds 602 files"):
        fhir_import.import_export(small, into.actor("owner"), crowded)
    with small.db.read() as conn:
        assert conn.execute(patient_table.select().where(patient_table.c.clinic_id == into.id)).first() is None


def _with_record(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An Encounter whose embedded visit record is changed."""
    from sotchart.domain.fhir import codes

    def encounter(e: dict[str, Any]) -> dict[str, Any]:
        ext = []
        for x in e.get("extension") or []:
            if x.get("url") == codes.VISIT_RECORD:
                record = orjson.loads(base64.b64decode(x["valueAttachment"]["data"]))
                data = base64.b64encode(orjson.dumps(change(record))).decode()
                x = {**x, "valueAttachment": {**x["valueAttachment"], "data": data}}
            ext.append(x)
        return e | {"extension": ext}

    return encounter


def test_a_wrongly_shaped_visit_or_questionnaire_is_refused_by_the_rules_of_one_typed_in(
    app: App, fresh_app: App, tmp_path: Path
) -> None:
    """One wrongly shaped imported visit once made its page, its record and the whole-clinic export fail.
    Each visit and questionnaire is checked as the screen checks one typed in; a bad one is reported with
    where and why, its patient is not imported, and the clinic's pages and export keep working."""
    c, _patient_id, _signed = _patient_with_a_record(app)
    good = tmp_path / "good.zip"
    fhir_export.export(app, c.actor("owner"), good)
    into = factories.clinic_with_staff(fresh_app)
    doc: Callable[[Any], Callable[[dict[str, Any]], dict[str, Any]]] = lambda d: _with_record(  # noqa: E731
        lambda r: r | {"document": d}
    )
    crafted: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = {
        "document-not-an-object": ("Encounter.ndjson", doc("oops"), "JSON object"),
        "findings-not-a-list": ("Encounter.ndjson", doc({"findings": "lots"}), "findings"),
        "finding-not-a-finding": ("Encounter.ndjson", doc({"findings": [{"indicator": 7, "result": []}]}), "findings"),
        "pain-eleven": ("Encounter.ndjson", doc({"pain": 11}), "pain"),
        "treatment-a-string": ("Encounter.ndjson", doc({"treatment": "blocks"}), "treatment"),
        "status-made-up": ("Encounter.ndjson", _with_record(lambda r: r | {"status": "finished-ish"}), "status"),
        # Longer than the visit keeps (500, as typed): PostgreSQL would refuse the row mid-import.
        "reason-too-long": (
            "Encounter.ndjson",
            _with_record(lambda r: r | {"status_reason": "x" * 600}),
            "status reason",
        ),
        "kind-made-up": (
            "Encounter.ndjson",
            lambda e: e | {"type": [{"coding": [{"code": "spa-day"}]}]},
            "kind",
        ),
        "visit-in-the-future": ("Encounter.ndjson", lambda e: e | {"period": {"start": "2999-01-01"}}, "future"),
        "answer-out-of-range": (
            "QuestionnaireResponse.ndjson",
            lambda q: q | {"item": [{**(q["item"][0]), "answer": [{"valueInteger": 99}]}, *q["item"][1:]]},
            "QuestionnaireResponse",
        ),
        "instrument-unknown": (
            "QuestionnaireResponse.ndjson",
            lambda q: q | {"questionnaire": "https://example.org/Questionnaire/madeup|1"},
            "QuestionnaireResponse",
        ),
    }
    for name, (member, change, said) in crafted.items():
        report = fhir_import.import_export(
            fresh_app, into.actor("owner"), _tampered(good, tmp_path / f"{name}.zip", member, change)
        )
        assert report.patients == 0 and said in str(report.failed), (name, report.failed)
        assert "Traceback" not in str(report.failed)
        with fresh_app.db.read() as conn:
            assert conn.execute(patient_table.select().where(patient_table.c.clinic_id == into.id)).first() is None
    # The clinic still exports whole, and the good file still imports.
    fhir_export.export(fresh_app, into.actor("owner"), tmp_path / "after.zip")
    assert fhir_import.import_export(fresh_app, into.actor("owner"), good).patients == 1
