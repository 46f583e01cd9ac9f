"""Nothing typed is lost or silently overwritten: two tabs on one box, a measure typed without a result
button, a field saved a moment before "Sign", a second signature racing the first."""

from __future__ import annotations

import pytest

from sotchart.domain.errors import Conflict, InvalidInput, StaleVersion
from sotchart.services import charting
from sotchart.services.context import App
from tests import factories


def test_two_tabs_on_one_box_do_not_overwrite_each_other(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    charting.act(app, who, v.id, "text", {"name": "S", "value": "Better.", "base": ""}, None)
    # Tab B was opened before tab A saved: its box still held "" when the clinician typed into it.
    with pytest.raises(Conflict, match="changed elsewhere") as e:
        charting.act(app, who, v.id, "text", {"name": "S", "value": "Worse on Monday.", "base": ""}, None)
    assert "Better." in e.value.detail
    assert charting.open_record(app, who, v.id).document["note"]["S"] == "Better."
    # Saving again from a box that shows the stored text is fine, and so is saving the same text twice.
    saved = charting.act(
        app, who, v.id, "text", {"name": "S", "value": "Better; worse on Monday.", "base": "Better."}, None
    )
    assert saved.document["note"]["S"] == "Better; worse on Monday."
    charting.act(app, who, v.id, "text", {"name": "S", "value": "Better; worse on Monday.", "base": "Better."}, None)


def test_a_measure_typed_without_a_result_keeps_the_result(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    # Enter (or Tab) in the mm box before any result: refused, beside the field, nothing written.
    with pytest.raises(InvalidInput) as e:
        charting.act(app, who, v.id, "finding", {"code": "leg-length-prone", "phase": "pre", "mm": "6"}, None)
    assert e.value.problems[0].field == "leg-length-prone.value"
    charting.act(
        app, who, v.id, "finding", {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right"}, None
    )
    # Enter in the mm box submitted with no result button: the result stays "short R", the mm is saved.
    record = charting.act(app, who, v.id, "finding", {"code": "leg-length-prone", "phase": "pre", "mm": "6"}, None)
    [f] = record.document["findings"]
    assert (f["value"], f["side"], f["mm"]) == ("short", "right", 6.0)
    # A grade box emptied on purpose clears the grade only.
    charting.act(
        app,
        who,
        v.id,
        "finding",
        {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "left", "grade": "2"},
        None,
    )
    record = charting.act(app, who, v.id, "finding", {"code": "heel-tension", "phase": "pre", "grade": ""}, None)
    heel = next(f for f in record.document["findings"] if f["code"] == "heel-tension")
    assert heel["value"] == "positive" and heel["side"] == "left" and "grade" not in heel


def test_a_field_saved_just_before_sign_is_no_conflict(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    doc = factories.full_record()
    doc["note"]["P"] = ""
    drawn = charting.save_record(app, who, v.id, doc, 0).revision
    # The P box's change posts a moment before the Sign button's request, both drawn at the same revision.
    charting.act(app, who, v.id, "text", {"name": "P", "value": "Blocking prone.", "base": ""}, drawn)
    signed = charting.sign(app, who, v.id, drawn)
    assert signed.visit["status"] == "signed" and "Blocking prone." in signed.visit["note"]


def test_someone_elses_save_before_sign_is_named(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    drawn = charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0).revision
    charting.act(app, c.actor("owner"), v.id, "pain", {"pain": "3"}, drawn)
    with pytest.raises(StaleVersion, match=r"Owner .* saved this visit"):
        charting.sign(app, c.actor("clinician"), v.id, drawn)
    assert charting.open_record(app, c.actor("clinician"), v.id).visit["status"] == "draft"


def test_a_conflict_shows_where_two_long_texts_part(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    who = c.actor("clinician")
    opening = "Low back pain since gardening, worse sitting, better walking. " * 8  # ~500 characters alike
    charting.act(
        app, who, v.id, "text", {"name": "S", "value": opening + "Tingling in the left foot.", "base": ""}, None
    )
    with pytest.raises(Conflict) as e:
        charting.act(app, who, v.id, "text", {"name": "S", "value": opening + "No tingling.", "base": ""}, None)
    assert "Tingling in the left foot." in e.value.detail


def test_an_out_of_date_tab_cannot_sign(app: App) -> None:
    # A second tab drawn before the clinician changed the Plan in the first signed the record it never showed.
    from datetime import timedelta

    c = factories.clinic_with_staff(app)
    who = c.actor("clinician")
    v = factories.charted_visit(app, c, factories.patient(app, c).id)
    tab_two = charting.open_record(app, who, v.id).revision
    charting.act(
        app, who, v.id, "text", {"name": "P", "value": "Blocking prone; ice 10 min.", "base": "Blocking prone."}, None
    )
    later = app.clock() + timedelta(seconds=charting.CROSSING_SECONDS + 5)
    app.clock = lambda: later
    with pytest.raises(StaleVersion, match="in another tab"):
        charting.sign(app, who, v.id, tab_two)
    assert charting.open_record(app, who, v.id).visit["status"] == "draft"
    # Two saves since the page was drawn are never one field crossing the Sign press, however quick.
    charting.act(app, who, v.id, "pain", {"pain": "4"}, None)
    with pytest.raises(StaleVersion):
        charting.sign(app, who, v.id, tab_two)
