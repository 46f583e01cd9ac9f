"""The API reference in Chromium: behind sign-in, drawn from sotchart's own files with nothing blocked by
the content policy (it once loaded Swagger UI from a CDN the policy refused, and showed a blank page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sotchart.services.context import App
from tests import factories
from tests.browser.test_front_desk import sign_in

pytestmark = pytest.mark.browser


def test_the_api_reference_draws_for_the_signed_in_with_nothing_refused(
    browser: Browser, live_server: str, app: App
) -> None:
    c = factories.clinic_with_staff(app)
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on(
        "request",
        lambda r: problems.append(f"elsewhere: {r.url}") if not r.url.startswith((live_server, "data:")) else None,
    )
    page.goto(f"{live_server}/api/docs")
    expect(page).to_have_url(f"{live_server}/sign-in?next=/api/docs")
    sign_in(page, live_server, c.emails["clinician"])
    page.goto(f"{live_server}/api/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/patients").first).to_be_visible()
    expect(page.get_by_role("link", name="← Back to sotchart")).to_be_visible()
    assert not problems, problems
