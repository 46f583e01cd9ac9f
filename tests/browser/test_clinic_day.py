"""In Chromium, the clinic's day: the desk registers a new patient and books them, drags the booking to
another time, hands the tablet over from Today; the patient checks in and gives intake and signed consent on
the tablet, which reaches no clinic page; the clinician takes it into the visit opened from the appointment,
charts and signs; the care plan books its series with the re-exam; a cancellation and a no-show show on Today
and in the practice's figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from sotchart.services import appointments
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in
from tests.browser.test_visit import click_choice, shot

pytestmark = pytest.mark.browser
MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the server's clock; the clinic's zone is UTC


def test_book_drag_check_in_open_chart_and_sign(browser: Browser, live_server: str, app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    desk = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(desk, live_server, c.emails["assistant"])
    desk.get_by_role("button", name="New patient").click()
    desk.get_by_label("Family name").fill("Ashworth")
    desk.get_by_label("Given name").fill("Imogen")
    desk.get_by_label("Date of birth").fill("1984-02-11")
    desk.get_by_role("button", name="Register patient").click()
    expect(desk.get_by_role("heading", name="Ashworth, Imogen")).to_be_visible()

    desk.get_by_role("button", name="Book appointment").click()
    desk.get_by_label("Date and time").fill("2026-12-07T09:30")
    desk.get_by_label("Kind").select_option("new-patient")
    desk.get_by_label("Clinician").select_option(str(c.actor("clinician").user_id))
    desk.get_by_label("Date and time").press("Enter")  # Enter in a box books, as a form should
    expect(desk.locator("#booked-notice")).to_be_visible()
    row = desk.locator("#day-appointments tbody tr", has_text="Ashworth")
    expect(row).to_contain_text("09:30–10:15")
    event = desk.locator(".ec-event", has_text="Ashworth")
    expect(event).to_be_visible()
    shot(desk, "calendar-day")

    # Drag the booking down by six 15-minute slots: 09:30 becomes 11:00, and the list says so after a reload.
    box = event.bounding_box()
    assert box is not None
    slot = desk.evaluate(
        "document.querySelector('.ec-time-grid .ec-time, .ec-sidebar .ec-time')?.getBoundingClientRect().height || 24"
    )
    desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    desk.mouse.down()
    desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5 + 3 * slot, steps=8)
    desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5 + 6 * slot, steps=8)
    desk.mouse.up()
    expect(desk.locator("#calendar-message")).to_be_hidden()
    desk.wait_for_timeout(500)
    desk.reload()
    expect(desk.locator("#day-appointments tbody tr", has_text="Ashworth")).to_contain_text("11:00–11:45")

    desk.get_by_role("link", name="Today", exact=True).first.click()
    today_row = desk.locator("#day-list tbody tr", has_text="Ashworth")
    expect(today_row).to_contain_text("booked")
    # The desk hands the tablet over from Today: a code and its QR for this patient's check-in and intake.
    today_row.get_by_role("button", name="Tablet").click()
    expect(desk.locator("#tablet-qr")).to_be_visible()
    code = desk.locator("#tablet-code").inner_text()
    shot(desk, "tablet-handover")

    pad = browser.new_context(viewport={"width": 820, "height": 1180})  # the clinic's tablet, its own device
    tablet = pad.new_page()
    tablet.goto(live_server + "/tablet")
    tablet.get_by_label("Your code").fill(code.lower())
    tablet.get_by_label("Your code").press("Enter")
    expect(tablet.get_by_role("heading", name="Check in")).to_be_visible()
    expect(tablet.locator("body")).not_to_contain_text("Ashworth")  # the first name only, nothing of the chart
    tablet.get_by_role("button", name="I'm here: check me in").click()
    tablet.get_by_label("What brings you in today?").fill("Low back pain for 2 weeks, worse sitting")
    tablet.get_by_role("button", name="Next").click()
    expect(tablet.get_by_role("heading", name="Health questions")).to_be_visible()
    tablet.go_back()  # Back stays on the tablet, with what was typed
    expect(tablet.get_by_label("What brings you in today?")).to_have_value("Low back pain for 2 weeks, worse sitting")
    tablet.get_by_role("button", name="Next").click()
    radios = tablet.locator("input[type=radio][value=no]")
    for i in range(radios.count() - 1):  # one left unanswered: the page asks for it, keeping the others
        radios.nth(i).check()
    tablet.get_by_role("button", name="Next").click()
    expect(tablet.locator("#tablet-message")).to_contain_text("1 question still need")
    tablet.locator("input[type=radio][value=no]").last.check()
    tablet.get_by_role("button", name="Next").click()
    expect(tablet.get_by_role("heading", name="Consent")).to_be_visible()
    canvas = tablet.locator("#signature-pad").bounding_box()
    assert canvas is not None
    tablet.mouse.move(canvas["x"] + 40, canvas["y"] + 60)
    tablet.mouse.down()
    for dx, dy in ((120, 30), (220, 80), (320, 20), (420, 70)):
        tablet.mouse.move(canvas["x"] + dx, canvas["y"] + dy, steps=5)
    tablet.mouse.up()
    tablet.get_by_label("I have read this and I agree.").check()
    shot(tablet, "tablet-consent")
    tablet.get_by_role("button", name="Sign and go on").click()
    expect(tablet.get_by_role("heading", name="Questionnaires")).to_be_visible()
    # Locked to the patient's task: any clinic page typed in the address bar leads back to the tablet.
    for path in ("/today", "/patients", "/sign-in", "/calendar"):
        tablet.goto(live_server + path)
        expect(tablet).to_have_url(live_server + "/tablet")
    tablet.locator("#q-nrs-pain input[type=radio]").nth(6).check()
    tablet.get_by_role("button", name="Next").click()
    tablet.get_by_role("button", name="Send to my clinician").dblclick()  # sent once
    expect(tablet.locator("#tablet-done")).to_contain_text("Thank you")
    shot(tablet, "tablet-done")
    pad.close()

    desk.goto(live_server + "/today")
    row = desk.locator("#day-list tbody tr", has_text="Ashworth")
    expect(row).to_contain_text("arrived")
    expect(row).to_contain_text("tablet answers in")

    doctor = browser.new_page(viewport={"width": 820, "height": 1180})  # the clinician's tablet
    sign_in(doctor, live_server, c.emails["clinician"])
    doctor.goto(live_server + "/today")
    doctor.locator("#day-list tbody tr", has_text="Ashworth").get_by_role("button", name="Open visit").click()
    expect(doctor.get_by_role("heading", name="Vitals and safety")).to_be_visible()
    expect(doctor.locator("h1")).to_contain_text("new-patient")
    expect(doctor.locator("#step-tablet")).to_contain_text("Low back pain for 2 weeks")
    expect(doctor.locator("#step-tablet img.tablet-signature")).to_be_visible()
    shot(doctor, "visit-tablet-intake")
    doctor.get_by_role("button", name="Take into the record").click()
    expect(doctor.locator("#tablet-taken")).to_be_visible()
    expect(doctor.get_by_label("Complaint and the symptoms causing the visit")).to_have_value(
        "Low back pain for 2 weeks, worse sitting"
    )
    expect(doctor.locator("#consent")).to_contain_text("on the patient's tablet")
    doctor.get_by_label("Systolic", exact=True).fill("122")
    doctor.get_by_label("Diastolic", exact=True).fill("78")
    doctor.get_by_label("Pulse", exact=True).fill("70")
    doctor.get_by_label("Pulse", exact=True).press("Tab")
    doctor.locator("#step-subjective").get_by_role("button", name="5", exact=True).click()
    click_choice(doctor, "posture-pelvis", "locked")
    click_choice(doctor, "posture-pelvis", "normal", recheck=True)
    doctor.get_by_role("button", name="Compose the empty sections from the record").click()
    expect(doctor.locator("#note-O")).to_be_visible()
    doctor.get_by_role("button", name="Sign note").click()
    expect(doctor.locator("#visit-status")).to_have_text("signed")

    desk.reload()
    expect(desk.locator("#day-list tbody tr", has_text="Ashworth")).to_contain_text("done")


def test_the_plan_books_its_series_and_today_shows_the_misses(page: Page, live_server: str, app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Planfollower", given_name="Theo")
    factories.care_plan(app, c, p.id, frequency="3 a week for 2 weeks, then 2 a week for 3 weeks")
    for name, status in (("Cancelson", "cancelled"), ("Noshowell", "no-show")):
        other = factories.patient(app, c, family_name=name)
        a = factories.appointment(app, c, other.id, starts_at="2026-12-07T09:00")
        app.clock = lambda: MONDAY_8.replace(hour=9, minute=20)  # a no-show is marked once their time has passed
        appointments.set_status(app, c.actor("assistant"), a["id"], status, reason="Called: car trouble")
        app.clock = lambda: MONDAY_8
    sign_in(page, live_server, c.emails["assistant"])
    page.goto(f"{live_server}/patients/{p.id}")
    page.get_by_role("button", name="Book the plan's visits").click()
    rows = page.locator("#series-table tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.nth(11)).to_contain_text("Re-examination")
    page.get_by_role("button", name="Book 12 appointments").click()
    expect(page.locator("#plan-progress")).to_contain_text("12 booked ahead")
    page.goto(f"{live_server}/calendar?view=week&day=2026-12-14")
    expect(page.locator("#list-h")).to_contain_text("(3 booked)")  # Mon, Wed, Fri of the second week
    page.goto(f"{live_server}/today")
    expect(page.locator("#day-list tbody tr", has_text="Cancelson")).to_contain_text("cancelled")
    expect(page.locator("#day-list tbody tr", has_text="Noshowell")).to_contain_text("no-show")
    expect(page.locator("#day-counts")).to_contain_text("1 cancelled · 1 no-show")
    shot(page, "today-with-misses")
    # The owner's figures count them too, beside the 12 booked ahead.
    page.context.clear_cookies()
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/analytics?start=2026-12-01&end=2027-01-31")
    expect(page.locator("#cancellations")).to_have_text(re.compile(r"^1\s*7\.1 %$"))  # 1 of 14
    expect(page.locator("#no-shows")).to_have_text(re.compile(r"^1\s*100\.0 %$"))  # the one due did not come
    expect(page.locator("#cancel-reasons")).to_contain_text("Called: car trouble")
    expect(page.locator("#appointments-total")).to_have_text("14")  # 12 of the plan, the two missed
    shot(page, "analytics-practice")
