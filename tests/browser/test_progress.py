"""In Chromium: the chart page draws the progress charts (pain with its MCID line, questionnaires,
indicators before and after, category per visit), and the analytics page shows the practice's counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from sotchart.services import questionnaires, visits
from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in
from tests.browser.test_visit import shot

pytestmark = pytest.mark.browser


def test_progress_charts_and_practice_analytics(page: Page, live_server: str, app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Chartwell", given_name="Iris")
    episode = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    today = app.clock().date()
    course = [(8, 1, False), (7, 1, True), (6, 2, False), (5, 2, True), (3, 2, True)]
    for k, (pain, category, cleared) in enumerate(course):
        day = (today - timedelta(days=7 * (len(course) - k))).isoformat()
        factories.signed_visit(app, c, p.id, episode, day, pain=pain, category=category, cleared=cleared)
    first = (today - timedelta(days=35)).isoformat()
    questionnaires.record(
        app, c.actor("assistant"), p.id, "psfs", [3, 4], answered_on=first, activities=["Sitting", "Lifting"]
    )
    questionnaires.record(app, c.actor("assistant"), p.id, "psfs", [6, 7], activities=["Sitting", "Lifting"])

    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/patients/{p.id}")
    charts = page.locator("#progress-charts")
    expect(charts).to_be_visible()
    pain = page.locator("#chart-pain")
    expect(pain).to_be_visible()
    expect(pain.locator("circle.dot")).to_have_count(5)
    expect(pain.locator("text.threshold-label")).to_have_text("MCID 6")
    expect(page.locator("#chart-q-psfs")).to_be_visible()
    expect(page.locator("#chart-indicators g.pair")).to_have_count(5)
    expect(page.locator("#chart-categories rect.cat-2")).to_have_count(3 + 1)  # three visits and the legend
    box = pain.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60  # drawn, not collapsed
    shot(page, "progress-charts")

    page.goto(f"{live_server}/analytics")
    expect(page.get_by_role("heading", name="Practice analytics")).to_be_visible()
    expect(page.locator("#overview dd").first).to_have_text("5")
    expect(page.locator("#clearing-care tbody tr")).to_have_count(1)
    expect(page.locator("#transitions tbody tr")).to_have_count(3)  # 1→1, 1→2, 2→2
    shot(page, "practice-analytics")
