"""In Chromium, at a desk and at a tablet size: an emergency finding closes treatment and the referral keeps it
closed; a recorded red flag cannot be unticked, only withdrawn with a reason; a crisis reading is kept and
the recheck after rest is added beside it; an absolute contraindication waits for a second clinician."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from sotchart.services import patients
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in
from tests.browser.test_visit import SHOTS, shot

pytestmark = pytest.mark.browser
SIZES = {"desk": {"width": 1440, "height": 900}, "tablet": {"width": 820, "height": 1180}}


def open_screen(page: Page, app: App, live_server: str) -> tuple[factories.ClinicWithStaff, int]:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Gatekeeper", given_name="Iris")
    patients.add_alert(app, c.actor("assistant"), p.id, "allergy", "Latex")
    v = factories.visit(app, c, p.id)
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    return c, v.id


def tick(page: Page, name: str) -> None:
    screen = page.locator("details.screen")
    if screen.get_attribute("open") is None:
        screen.locator("summary").click()
    expect(page.get_by_label(name, exact=True)).to_be_visible()
    # A click, not check(): once recorded, the box leaves the list (it is listed as recorded instead).
    with page.expect_response(lambda r: r.url.endswith("/act") and r.ok):
        page.get_by_label(name, exact=True).click()


@pytest.mark.parametrize("size", SIZES)
def test_an_emergency_referral_keeps_treatment_closed(page: Page, live_server: str, app: App, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    open_screen(page, app, live_server)
    page.get_by_label("Systolic", exact=True).fill("128")
    page.get_by_label("Diastolic", exact=True).fill("82")
    page.get_by_label("Diastolic", exact=True).press("Tab")
    expect(page.locator("#bp-band")).to_have_text("stage-1")
    tick(page, "Saddle anaesthesia or perianal sensory loss")
    gate = page.locator("#safety-gate")
    expect(gate).to_have_attribute("data-state", "emergency")
    expect(gate).to_contain_text("cannot be overridden")
    expect(gate.get_by_role("button", name="Sign override")).to_have_count(0)
    # The letter's draft states what was found, not what was (or was not) done.
    letter = gate.get_by_label("Referral letter")
    expect(letter).to_contain_text("Saddle anaesthesia")
    assert "manipulation" not in letter.input_value()
    gate.get_by_label("Refer to").fill("Emergency department, St Mary's")
    gate.get_by_role("button", name="Record referral").click()
    expect(gate).to_have_attribute("data-state", "emergency-referred")
    expect(page.locator("#gate-referral")).to_contain_text("St Mary's")
    # Treatment stays closed: its controls are disabled and the template is not offered.
    expect(page.locator("#step-treatment").get_by_role("button", name="lumbar")).to_be_disabled()
    expect(page.locator("#blocking-reason")).to_contain_text("Emergency referral")
    expect(page.locator("#codes")).to_contain_text("CPT—")
    page.locator("details.screen > summary").click()  # fold the checklist away for the picture
    page.locator("#step-safety").scroll_into_view_if_needed()
    shot(page, f"gate-emergency-{size}", "#step-safety")
    # While the visit scrolls, the banner keeps who this is, their age, alerts and the safety action in view.
    page.locator("#step-recheck").scroll_into_view_if_needed()
    banner = page.locator("#patient-banner")
    expect(banner).to_be_in_viewport()
    expect(banner).to_contain_text("Gatekeeper, Iris")
    expect(banner).to_contain_text("Latex")
    page.screenshot(path=str(SHOTS / f"banner-{size}.png"))
    page.reload()
    expect(page.locator("#safety-gate")).to_have_attribute("data-state", "emergency-referred")


def test_a_red_flag_is_withdrawn_only_with_a_reason(page: Page, live_server: str, app: App) -> None:
    open_screen(page, app, live_server)
    tick(page, "History of cancer")
    expect(page.locator("#safety-gate")).to_have_attribute("data-state", "on-hold")
    # It is listed as recorded; there is no box left to untick.
    recorded = page.locator("#recorded-history-of-cancer")
    expect(recorded).to_contain_text("History of cancer")
    expect(page.get_by_label("History of cancer", exact=True)).to_have_count(0)
    recorded.locator("summary", has_text="Withdraw").click()
    reason = recorded.get_by_label("Reason to withdraw history-of-cancer")
    reason.fill("Ticked for the wrong patient: she has never had cancer")
    reason.press("Enter")  # Enter in the box submits that form, and only that form
    expect(page.locator("#withdrawn")).to_contain_text("Ticked for the wrong patient")
    expect(page.locator("#safety-gate")).to_have_count(0)


def test_a_crisis_reading_stays_and_the_recheck_is_added(page: Page, live_server: str, app: App) -> None:
    open_screen(page, app, live_server)
    page.get_by_label("Systolic", exact=True).fill("194")
    page.get_by_label("Diastolic", exact=True).fill("108")
    page.get_by_label("Diastolic", exact=True).press("Tab")
    expect(page.locator("#safety-gate")).to_have_attribute("data-state", "on-hold")
    # Typing a calmer reading over it is refused beside the field, and the crisis reading comes back.
    page.get_by_label("Systolic", exact=True).fill("150")
    page.get_by_label("Systolic", exact=True).press("Tab")
    expect(page.locator("#visit-message")).to_contain_text("194/108 mmHg stays in the record")
    expect(page.get_by_label("Systolic", exact=True)).to_have_value("194")
    recheck = page.locator("#bp-recheck")
    recheck.get_by_label("Systolic after rest").fill("168")
    recheck.get_by_label("Diastolic after rest").fill("96")
    recheck.get_by_role("button", name="Record recheck").click()
    expect(page.locator("#bp-series")).to_contain_text("194/108")
    expect(page.locator("#bp-series")).to_contain_text("168/96")
    expect(page.locator("#safety-gate")).to_have_count(0)
    shot(page, "gate-bp-series", "#step-safety")


def test_an_absolute_contraindication_waits_for_a_second_clinician(
    page: Page, browser: Browser, live_server: str, app: App
) -> None:
    c, vid = open_screen(page, app, live_server)
    tick(page, "Internal fixation / stabilisation devices (absolute)")
    gate = page.locator("#safety-gate")
    expect(gate).to_contain_text("second clinician")
    gate.get_by_label("Override reason").fill(
        "L4-5 fusion in 2019: cervical and thoracic care only, no lumbar or pelvic thrust; surgeon's letter on file"
    )
    gate.get_by_role("button", name="Ask for an override").click()
    expect(gate).to_have_attribute("data-state", "awaiting-confirmation")
    expect(page.locator("#confirm-override")).to_have_count(0)  # not by the one who asked
    # A second clinician, signed in on another device, confirms it.
    second = factories.second_clinician(app, c)
    other = browser.new_page()
    sign_in(other, live_server, second)
    other.goto(f"{live_server}/visits/{vid}")
    other.get_by_role("button", name="Confirm the override as second clinician").click()
    expect(other.locator("#gate-cleared")).to_contain_text("confirmed by Second Clinician")
    page.reload()
    expect(page.locator("#gate-cleared")).to_contain_text("confirmed by")
    other.close()
