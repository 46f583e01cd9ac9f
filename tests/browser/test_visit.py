"""In Chromium: chart a new-patient visit (with a blocked safety gate and its override) and a follow-up
(carry-forward, changed indicators, template blocks, recheck, sign), amend after signing, and reload
every page to find exactly what was entered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser
# `make screenshots` writes them into docs/ (committed); a plain test run keeps them in test-results/.
SHOTS = Path(os.environ.get("SOTCHART_SCREENSHOTS") or Path(__file__).parents[2] / "test-results" / "screenshots")


def shot(page: Page, name: str, selector: str = "") -> None:
    """The whole page, or one part of it (a full-page picture of a long page hides its sticky banner)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if selector:
        page.locator(selector).screenshot(path=str(SHOTS / f"{name}.png"))
    else:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_saved(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def click_choice(page: Page, code: str, label: str, recheck: bool = False) -> None:
    row = page.locator(f"#{'recheck' if recheck else 'ind'}-{code}")
    row.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(f"#{'recheck' if recheck else 'ind'}-{code} button.on", has_text=label)).to_be_visible()


def test_new_patient_then_follow_up_visit(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Okonkwo", given_name="Adaeze", birth_date="1979-03-02")
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/patients/{p.id}")
    # A first visit opens the patient's first episode of care, with its complaint.
    page.get_by_label("Complaint", exact=True).fill("Low back pain")
    page.get_by_role("button", name="Start this visit").click()
    expect(page.get_by_role("heading", name="Vitals and safety")).to_be_visible()

    # 0. Intake: the complaint and consent (a new-patient visit cannot be signed without them).
    page.get_by_label("Complaint and the symptoms causing the visit").fill("Low back pain for 3 weeks, worse sitting")
    page.get_by_role("button", name="Record consent to examination and care").click()
    expect(page.locator("#consent")).to_contain_text("given")

    # 1. Vitals in crisis range: the gate closes.
    page.get_by_label("Systolic", exact=True).fill("192")
    page.get_by_label("Diastolic", exact=True).fill("106")
    page.get_by_label("Pulse", exact=True).fill("84")
    page.get_by_label("Pulse", exact=True).press("Tab")
    expect(page.locator("#bp-band")).to_have_text("hypertensive-crisis")
    expect(page.locator("#safety-gate")).to_be_visible()
    expect(page.locator("#use-template, #step-treatment button").first).to_be_disabled()
    shot(page, "1-safety-gate")
    page.locator("#safety-gate textarea[name=reason]").nth(1).fill(
        "Rechecked after 5 minutes seated: 176/98, no symptoms; GP informed, low-force blocking only"
    )
    page.get_by_role("button", name="Sign override").click()
    expect(page.locator("#gate-cleared")).to_contain_text("override")

    # 2–3. Pain, indicators, category.
    page.locator("#step-subjective").get_by_role("button", name="6", exact=True).click()
    click_choice(page, "posture-pelvis", "locked")
    click_choice(page, "leg-length-prone", "short R")
    click_choice(page, "heel-tension", "positive R")
    click_choice(page, "first-rib-motion", "positive")
    expect(page.locator("#cat-1")).to_contain_text("4 finding(s)")
    shot(page, "2-indicators-and-evidence")
    page.locator("#cat-1").get_by_role("button", name="Confirm 1 right").click()
    expect(page.locator("#confirmed")).to_contain_text("Category 1 right")

    # 4. Blocks from the sourced template, drawn on the diagram.
    page.get_by_role("button", name="Place the template's blocks").click()
    expect(page.locator(".block-diagram figcaption")).to_contain_text("2 block(s)")
    expect(page.locator(".block-mark")).to_have_count(2)
    shot(page, "3-blocking")

    # 5. Recheck.
    click_choice(page, "leg-length-prone", "even", recheck=True)
    click_choice(page, "heel-tension", "negative", recheck=True)
    click_choice(page, "posture-pelvis", "normal", recheck=True)
    click_choice(page, "first-rib-motion", "negative", recheck=True)
    expect(page.locator("#recheck-summary")).to_contain_text("4 resolved")
    shot(page, "4-recheck")

    # 6. Note: refused with the list of what is missing, then composed and signed.
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator("#missing")).to_contain_text("Write the S section")
    page.get_by_role("button", name="Compose the empty sections from the record").click()
    expect(page.locator("#note-O")).to_contain_text("Leg length, prone: short right")
    shot(page, "5-note")
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator("#visit-status")).to_have_text("signed")
    page.reload()
    expect(page.locator("#signed-O")).to_contain_text("Heel (Achilles) tension: positive right")
    # Blocking alone is not coded as spinal manipulation; the clinician did not record a region as manipulated.
    expect(page.locator(".signed-note")).to_contain_text("CPT: —")

    # Amendment after signing: a new version with a reason; the original stays.
    page.locator("#amend summary").click()
    page.locator("#amend-P").fill(page.locator("#amend-P").input_value() + " Home: walk 20 minutes daily.")
    page.get_by_label("Reason for the amendment").fill("Home advice was given but not charted")
    page.get_by_role("button", name="Sign amendment").click()
    expect(page.locator("#visit-status")).to_have_text("amended")
    expect(page.locator("#note-history")).to_contain_text("amendment")
    expect(page.locator("#signed-P")).to_contain_text("walk 20 minutes")
    shot(page, "6-signed-and-amended")

    # Follow-up: last visit's findings offered, three changed, two confirmed. Start visit again opens
    # today's visit (no second one by a second click); a second visit today is asked for on purpose.
    page.goto(f"{live_server}/patients/{p.id}")
    page.get_by_role("button", name="Start visit").click()
    expect(page.locator("#visit-notice")).to_contain_text("already has a visit today")
    page.goto(f"{live_server}/patients/{p.id}")
    page.locator("#start-visit-options summary").click()
    page.get_by_label("A second visit on the same day").check()
    page.get_by_role("button", name="Start this visit").click()
    expect(page.locator("#ind-posture-pelvis .suggestion")).to_contain_text("locked")
    page.get_by_label("Systolic", exact=True).fill("132")
    page.get_by_label("Diastolic", exact=True).fill("84")
    page.get_by_label("Pulse", exact=True).fill("72")
    page.get_by_label("Pulse", exact=True).press("Tab")
    expect(page.locator("#bp-band")).to_have_text("stage-1")
    page.locator("#step-subjective").get_by_role("button", name="3", exact=True).click()
    page.locator("#ind-posture-pelvis").get_by_role("button", name="Same").click()
    page.locator("#ind-first-rib-motion").get_by_role("button", name="Same").click()
    click_choice(page, "leg-length-prone", "short L")
    click_choice(page, "heel-tension", "positive L")
    click_choice(page, "inguinal-tender", "positive L")
    expect(page.locator("#changes")).to_contain_text("Leg length, prone")
    shot(page, "7-follow-up-carry-forward")
    page.reload()
    expect(page.locator("#ind-leg-length-prone button.on")).to_have_text("short L")
    expect(page.locator("#ind-posture-pelvis button.on")).to_have_text("locked")
    expect(page.get_by_label("Systolic", exact=True)).to_have_value("132")
    expect(page.locator("#step-subjective button.on")).to_have_text("3")

    # The follow-up is finished and signed too: category, template blocks, recheck, note.
    page.locator("#cat-1").get_by_role("button", name="Confirm 1 left").click()
    expect(page.locator("#confirmed")).to_contain_text("Category 1 left")
    page.get_by_role("button", name="Place the template's blocks").click()
    expect(page.locator(".blocks li")).to_have_count(2)
    expect(page.locator(".blocks")).to_contain_text("iliac-crest right")
    for code, label in (
        ("posture-pelvis", "normal"),
        ("leg-length-prone", "even"),
        ("heel-tension", "negative"),
        ("first-rib-motion", "negative"),
        ("inguinal-tender", "negative"),
    ):
        click_choice(page, code, label, recheck=True)
    expect(page.locator("#recheck-summary")).to_contain_text("5 resolved")
    page.get_by_role("button", name="Compose the empty sections from the record").click()
    expect(page.locator("#note-A")).to_contain_text("Leg length, prone: short right → short left")
    page.get_by_role("button", name="Sign note").click()
    expect(page.locator("#visit-status")).to_have_text("signed")
    page.reload()
    expect(page.locator("#signed-A")).to_contain_text("category 1 right → 1 left")

    # The chart's timeline shows both visits as charted.
    page.goto(f"{live_server}/patients/{p.id}")
    rows = page.locator("#visit-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Cat 1 left")
    expect(rows.nth(1)).to_contain_text("Cat 1 right")
    expect(rows.nth(1)).to_contain_text("amended")
