"""In Chromium: leaving the visit screen while a field holds typing that was not saved asks first; once the
field is saved, leaving does not ask."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def test_leaving_with_unsaved_typing_asks_first(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    field = page.get_by_label("Complaint and the symptoms causing the visit")
    field.click()
    field.press_sequentially("Sore neck since Monday")  # real key presses, as a clinician types
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()  # stay on the page: the typing is still there
    expect(field).to_have_value("Sore neck since Monday")


def test_a_saved_field_leaves_without_asking(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    field = page.get_by_label("Complaint and the symptoms causing the visit")
    field.click()
    field.press_sequentially("Sore neck")
    with page.expect_response(lambda r: r.url.endswith(f"/visits/{v.id}/act") and r.ok):
        field.press("Tab")  # the change posts the field
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.goto(f"{live_server}/today")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    assert asked == []


def test_two_tabs_on_one_box_keep_both_texts(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    sign_in(page, live_server, c.emails["clinician"])
    other = page.context.new_page()
    for tab in (page, other):
        tab.goto(f"{live_server}/visits/{v.id}")
    first = page.get_by_label("Subjective", exact=True)
    first.fill("Better since Monday.")
    with page.expect_response(lambda r: r.url.endswith("/act") and r.ok):
        first.press("Tab")
    second = other.get_by_label("Subjective", exact=True)
    second.click()
    second.press_sequentially("New tingling in the left hand.")
    with other.expect_response(lambda r: r.url.endswith("/act")):
        second.press("Tab")
    # The second tab is told, and its typing is still in its box: nothing is overwritten, nothing lost.
    expect(other.locator("#visit-message")).to_contain_text("changed elsewhere")
    expect(other.get_by_label("Subjective", exact=True)).to_have_value("New tingling in the left hand.")
    page.reload()
    expect(page.get_by_label("Subjective", exact=True)).to_have_value("Better since Monday.")


@pytest.mark.parametrize("label", ["CMRT level", "Block note", "Leg length, prone mm"])
def test_typing_in_a_small_box_of_the_treatment_asks_before_leaving(
    page: Page, live_server: str, app: App, label: str
) -> None:
    # The CMRT level, a block's note and a finding's mm once lost their typing with no warning.
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    box = page.get_by_label(label, exact=True).first
    box.click()
    box.press_sequentially("T8" if label == "CMRT level" else "7" if "mm" in label else "left of sacrum")
    with page.expect_event("dialog") as leaving:
        page.close(run_before_unload=True)
    assert leaving.value.type == "beforeunload"
    leaving.value.dismiss()


def test_typing_in_the_new_patient_form_or_an_amendment_asks_before_leaving(
    page: Page, live_server: str, app: App
) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    charting.sign(app, c.actor("clinician"), v.id, None)
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/patients/new")
    page.get_by_label("Family name").press_sequentially("Okonkwo")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.get_by_role("link", name="Today").first.click(no_wait_after=True)
    expect(page.get_by_label("Family name")).to_have_value("Okonkwo")  # stayed: the typing is there
    assert asked == ["beforeunload"]
    page.goto(f"{live_server}/visits/{v.id}")
    page.get_by_text("Amend this note").click()
    page.get_by_label("Reason for the amendment").press_sequentially("Pain was 5, not 6")
    with page.expect_event("dialog") as leaving:
        page.close(run_before_unload=True)
    assert leaving.value.type == "beforeunload"
    leaving.value.dismiss()
