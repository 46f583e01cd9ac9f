"""What a new user's try of the visit screen found in its actions: a location chosen after the result
counted one arm-fossa finding twice, a CMRT level could be anything and could not be removed, a PART
finding at T8 was stored as cervical, "Same" confirmed findings the row did not show, and recheck and
consent times were UTC's. Each is driven here through the actions the screen posts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.services import charting, today, visits
from sotchart.services.context import App
from tests import factories
from tests.conftest import make_settings


def _pre(record: charting.VisitRecord, code: str) -> list[dict[str, object]]:
    return [f for f in record.document["findings"] if f["code"] == code and f["phase"] == "pre"]


def test_a_location_chosen_after_the_result_refines_the_one_finding(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    base = {"code": "arm-fossa", "phase": "pre"}
    charting.act(app, who, v.id, "finding", base | {"value": "positive", "side": "right"}, None)
    # The location select posts on its own (no result button), then the result is tapped again with it.
    charting.act(app, who, v.id, "finding", base | {"location": "upper"}, None)
    r = charting.act(
        app, who, v.id, "finding", base | {"value": "positive", "side": "right", "location": "upper"}, None
    )
    assert _pre(r, "arm-fossa") == [base | {"value": "positive", "side": "right", "location": "upper"}]
    assert r.assessment["categories"]["2"]["count"] == 1 and not r.assessment["conflicts"]


def test_a_cmrt_level_is_a_vertebra_and_can_be_removed(app: App) -> None:
    c = factories.clinic_with_staff(app)
    v = factories.charted_visit(app, c, factories.patient(app, c).id)
    who = c.actor("clinician")
    with pytest.raises(InvalidInput) as e:
        charting.act(app, who, v.id, "cmrt", {"level": "X99"}, None)
    assert e.value.problems[0].field == "cmrt.level" and "vertebra" in e.value.problems[0].message
    charting.act(app, who, v.id, "cmrt", {"level": "t8"}, None)
    r = charting.act(app, who, v.id, "cmrt", {"level": "L2"}, None)
    assert [x["level"] for x in r.document["treatment"]["cmrt"]] == ["T8", "L2"]
    r = charting.act(app, who, v.id, "remove-cmrt", {"index": "0"}, None)
    assert [x["level"] for x in r.document["treatment"]["cmrt"]] == ["L2"]
    # The whole-record save refuses one too, naming the entry.
    doc = {**r.document, "treatment": {**r.document["treatment"], "cmrt": [{"level": "X99", "map": ""}]}}
    with pytest.raises(InvalidInput) as e:
        charting.save_record(app, who, v.id, doc, None)
    assert e.value.problems[0].field == "treatment.cmrt[0].level"


def test_a_part_level_names_its_region(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    pain = {"code": "part-pain", "phase": "pre", "value": "positive"}
    # Left at "region of the level", T8 is thoracic.
    r = charting.act(app, who, v.id, "finding", pain | {"region": "", "level": "T8"}, None)
    assert _pre(r, "part-pain")[0]["region"] == "thoracic"
    # Cervical with T8 is a contradiction, refused beside the level.
    with pytest.raises(InvalidInput) as e:
        charting.act(app, who, v.id, "finding", pain | {"region": "cervical", "level": "T8"}, None)
    assert any(p.field.endswith(".level") and "thoracic, not cervical" in p.message for p in e.value.problems)


def test_same_confirms_every_finding_the_row_shows_and_the_row_shows_them_all(app: App) -> None:
    from sotchart.services import protocol
    from sotchart.web.pages import visit_view

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    first = factories.charted_visit(
        app,
        c,
        p.id,
        findings=[
            {"code": "occipital-fiber", "phase": "pre", "value": "positive", "side": "left", "line": 2, "area": 6},
            {"code": "occipital-fiber", "phase": "pre", "value": "positive", "side": "right", "line": 1, "area": 3},
            {"code": "occipital-fiber", "phase": "post", "value": "negative", "side": "left", "line": 2, "area": 6},
            {"code": "occipital-fiber", "phase": "post", "value": "negative", "side": "right", "line": 1, "area": 3},
        ],
    )
    charting.sign(app, c.actor("clinician"), first.id, None)
    follow = factories.visit(app, c, p.id)
    record = charting.open_record(app, c.actor("clinician"), follow.id)
    rows = {r.ind.code: r for _g, rs in visit_view.panel(record, protocol.active(app.settings)) for r in rs}
    assert len(rows["occipital-fiber"].suggestions) == 2
    r = charting.act(app, c.actor("clinician"), follow.id, "confirm-suggestion", {"code": "occipital-fiber"}, None)
    assert {f["side"] for f in _pre(r, "occipital-fiber")} == {"left", "right"}


def test_an_evening_recheck_and_consent_keep_the_clinics_time(shared_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = shared_database.url.render_as_string(hide_password=False)
    app = App(settings=make_settings(url, tmp_path, time_zone="America/Chicago"), db=shared_database)
    app.clock = lambda: datetime(2026, 12, 2, 1, 7, tzinfo=UTC)  # 7:07 pm on 1 December in Chicago
    c = factories.clinic_with_staff(app)
    v = visits.create_visit(app, c.actor("clinician"), factories.patient(app, c).id, {"kind": "new-patient"})
    who = c.actor("clinician")
    charting.act(app, who, v.id, "vitals", {"systolic": "192", "diastolic": "106", "pulse": "84"}, None)
    r = charting.act(app, who, v.id, "vitals-recheck", {"systolic": "150", "diastolic": "94"}, None)
    assert r.document["vitals"]["rechecks"][0]["at"].startswith("2026-12-01T19:07")
    r = charting.act(app, who, v.id, "consent", {"how": "verbally"}, None)
    assert r.document["intake"]["consent"] == "given verbally, 2026-12-01"
    day = today.the_day(app, c.actor("assistant"))
    assert day.zone == "America/Chicago"


def test_a_note_composed_before_the_record_changed_is_not_signed_as_it_stood(app: App) -> None:
    # A new user composed the note, then answered last visit's findings: the signed Assessment still said
    # they were not examined. A composed section left as composed must say what the record shows.
    c = factories.clinic_with_staff(app)
    who = c.actor("clinician")
    v = factories.charted_visit(app, c, factories.patient(app, c).id, note={s: "" for s in "SOAP"})
    composed = charting.act(app, who, v.id, "compose", {}, None)
    assert composed.document["note"]["O"] and not composed.sign_problems
    # The clinician makes the Plan their own, then records one more finding.
    charting.act(
        app,
        who,
        v.id,
        "text",
        {"name": "P", "value": "Blocking prone; walk daily.", "base": composed.document["note"]["P"]},
        None,
    )
    changed = charting.act(
        app, who, v.id, "finding", {"code": "tmj", "phase": "pre", "value": "positive", "side": "left"}, None
    )
    stale = {f for f, _m in changed.sign_problems}
    assert "note.O" in stale and "note.P" not in stale
    with pytest.raises(InvalidInput) as e:
        charting.sign(app, who, v.id, None)
    assert any(p.field == "note.O" and "compose again" in p.message for p in e.value.problems)
    # Composing again brings the untouched sections up to date and keeps the clinician's Plan.
    again = charting.act(app, who, v.id, "compose", {}, None)
    assert "TMJ" in again.document["note"]["O"] or "tmj" in again.document["note"]["O"].lower()
    assert again.document["note"]["P"] == "Blocking prone; walk daily."
    assert not {f for f, _m in again.sign_problems if f.startswith("note.")}
