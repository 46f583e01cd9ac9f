"""In Chromium: sign in, register a patient, find them by search, open the chart, page older visits."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sotchart.services.context import App
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parents[2] / "test-results"


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/patients")
    expect(page).to_have_url(base + "/sign-in?next=/patients")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def test_register_search_and_open_the_chart(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    sign_in(page, live_server, c.emails["assistant"])

    page.get_by_role("button", name="New patient").click()
    page.get_by_label("Family name").fill("Vandersloot")
    page.get_by_label("Given name").fill("Marguerite")
    page.get_by_label("Date of birth").fill("1968-09-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone").fill("+1 555 0142")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Vandersloot, Marguerite")).to_be_visible()

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Name, chart number, phone, email or date of birth").fill("vanders")
    result = page.locator("a.patient-link", has_text="Vandersloot, Marguerite")
    expect(result).to_be_visible()  # htmx answered while typing, no submit
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "patient-search.png"), full_page=True)
    result.click()
    expect(page.get_by_role("heading", name="Vandersloot, Marguerite")).to_be_visible()
    expect(page.locator(".facts").first).to_contain_text("14 Sep 1968")
    expect(page.locator(".facts").nth(1)).to_contain_text("+1 555 0142")
    page.reload()
    expect(page.get_by_role("heading", name="Vandersloot, Marguerite")).to_be_visible()


def test_form_errors_keep_what_was_typed(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    sign_in(page, live_server, c.emails["assistant"])
    page.goto(live_server + "/patients/new")
    page.get_by_label("Family name").fill("Keepme")
    page.get_by_label("Given name").fill("Typed")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator(".field-error")).to_contain_text("future")
    expect(page.get_by_label("Family name")).to_have_value("Keepme")
    expect(page.get_by_label("Given name")).to_have_value("Typed")


def test_long_chart_pages_older_visits(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Longhistory")
    from datetime import date, timedelta

    for k in range(60):
        factories.visit(app, c, p.id, visit_date=(date(2025, 1, 1) + timedelta(days=k)).isoformat())
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/patients/{p.id}")
    rows = page.locator("#visit-rows tr:not(#more-row)")
    expect(rows).to_have_count(app.settings.page_size)
    page.screenshot(path=str(SHOTS / "chart.png"), full_page=True)
    page.get_by_role("link", name="Older visits").click()
    expect(rows).to_have_count(60)


def test_a_double_click_on_register_makes_one_patient(page: Page, live_server: str, app: App) -> None:
    from sotchart.services import patients

    c = factories.clinic_with_staff(app)
    sign_in(page, live_server, c.emails["assistant"])
    page.goto(f"{live_server}/patients/new")
    page.get_by_label("Family name").fill("Doubletap")
    page.get_by_label("Given name").fill("Quinn")
    page.get_by_label("Date of birth").fill("1971-06-30")
    page.get_by_role("button", name="Register patient").dblclick()
    expect(page.get_by_role("heading", name="Doubletap, Quinn")).to_be_visible()
    page.wait_for_load_state("networkidle")
    found = patients.search_patients(app, c.actor("assistant"), patients.SearchQuery(text="Doubletap"))
    assert len(found) == 1
    # Registering the same person again asks first, naming the chart.
    page.goto(f"{live_server}/patients/new")
    page.get_by_label("Family name").fill("Doubletap")
    page.get_by_label("Given name").fill("Quinn")
    page.get_by_label("Date of birth").fill("1971-06-30")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#possible-duplicate")).to_contain_text("Same name and birth date as chart")
