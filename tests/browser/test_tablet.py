"""In Chromium at a tablet's size (820 × 1180): no page is wider than the screen. Today's list and the
chart's visits once ran 160 px past the right edge, hiding the clinician and whether a note was signed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_no_page_is_wider_than_a_tablet(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Featherstonehaugh-Worthington", given_name="Maximiliana")
    v = factories.visit(app, c, p.id, kind="new-patient", complaint="Low back pain radiating to the left calf")
    charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0)
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, live_server, c.emails["clinician"])
    for path in ("/today", f"/patients/{p.id}", f"/patients?q={p.family_name[:6]}", f"/visits/{v.id}"):
        page.goto(live_server + path)
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => !e.closest('.table-scroll') && "
            "e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
            ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + "
            "e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert _overflow(page) <= 1, f"{path} is {_overflow(page)} px wider than the screen: {wide}"
