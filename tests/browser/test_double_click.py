"""In Chromium, a double click is one press: a double-clicked "Add block" once also saved a block nobody
placed (the form's defaults, as drawn again after the first press), and a double-clicked occipital-fibre
"Add" saved nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def test_a_double_clicked_add_block_places_one_block(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    v = factories.charted_visit(app, c, factories.patient(app, c).id, treatment={"procedures": ["blocking"]})
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    page.get_by_label("Block site").select_option(label="Greater trochanter")
    page.get_by_label("Block side").select_option("right")
    with page.expect_response(lambda r: r.url.endswith("/act") and r.ok):
        page.get_by_role("button", name="Add block").dblclick()
    page.wait_for_timeout(1000)  # a second request, if one were sent, has had time to land
    blocks = charting.open_record(app, c.actor("clinician"), v.id).document["treatment"]["blocks"]
    assert blocks == [{"site": "greater-trochanter", "side": "right"}]
    expect(page.locator("ul.blocks li")).to_have_count(1)


def test_a_double_clicked_fibre_add_records_the_fibre(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    v = factories.visit(app, c, factories.patient(app, c).id, kind="new-patient")
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    row = page.locator("#ind-occipital-fiber")
    row.get_by_label("Side").select_option("right")
    row.get_by_label("Line").fill("1")
    row.get_by_label("Area").fill("3")
    with page.expect_response(lambda r: r.url.endswith("/act") and r.ok):
        row.get_by_role("button", name="Add").dblclick()
    page.wait_for_timeout(1000)
    fibres = [
        f
        for f in charting.open_record(app, c.actor("clinician"), v.id).document["findings"]
        if f["code"] == "occipital-fiber"
    ]
    assert fibres == [
        {"code": "occipital-fiber", "phase": "pre", "value": "positive", "side": "right", "line": 1, "area": 3}
    ]
    expect(page.locator("#ind-occipital-fiber .entry")).to_have_count(1)
