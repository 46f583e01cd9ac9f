"""In Chromium: a tap made after the session lapsed is not lost. The sign-in comes back to the visit, which
offers the tap again; saved, it is in the record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def test_a_tap_after_the_session_lapsed_is_offered_again(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/visits/{v.id}")
    expect(page.get_by_role("heading", name="Vitals and safety")).to_be_visible()
    real = app.clock
    later = real() + timedelta(minutes=app.settings.session_idle_minutes + 5)
    app.clock = lambda: later  # the clinician was called away; the session has ended
    try:
        page.locator("#step-subjective").get_by_role("button", name="7", exact=True).click()
        expect(page).to_have_url(f"{live_server}/sign-in?next=/visits/{v.id}")
        page.get_by_label("Email").fill(c.emails["clinician"])
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{live_server}/visits/{v.id}")
        offer = page.locator("#pending-tap")
        expect(offer).to_contain_text("session ended before this was saved")
        offer.get_by_role("button", name="Save it now").click()
        expect(page.locator("#step-subjective button.on")).to_have_text("7")
    finally:
        app.clock = real
    assert charting.open_record(app, c.actor("clinician"), v.id).document["pain"] == 7
