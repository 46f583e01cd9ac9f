"""In Chromium with JavaScript turned off: the intake and the S/O/A/P boxes save with their own button, and
what was typed is there after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def test_the_note_and_intake_save_without_javascript(browser: Browser, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    intake = page.get_by_label("Complaint and the symptoms causing the visit")
    intake.fill("Neck pain since a fall on Saturday")
    with page.expect_navigation():
        intake.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
    expect(page.get_by_label("Complaint and the symptoms causing the visit")).to_have_value(
        "Neck pain since a fall on Saturday"
    )
    for label, text in (("Subjective", "Sore turning left."), ("Plan", "Review in one week.")):
        box = page.get_by_label(label, exact=True)
        box.fill(text)
        with page.expect_navigation():  # the form posts, and the server answers with the visit again
            box.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
        expect(page.get_by_label(label, exact=True)).to_have_value(text)
    page.reload()
    expect(page.get_by_label("Subjective", exact=True)).to_have_value("Sore turning left.")
    expect(page.get_by_label("Plan", exact=True)).to_have_value("Review in one week.")
    # Vitals too: typed, saved with the form's button, judged by the screen.
    page.get_by_label("Systolic", exact=True).fill("126")
    page.get_by_label("Diastolic", exact=True).fill("80")
    page.get_by_label("Systolic", exact=True).locator("xpath=ancestor::form").get_by_role("button", name="Save").click()
    expect(page.locator("#bp-band")).to_have_text("stage-1")
    context.close()
