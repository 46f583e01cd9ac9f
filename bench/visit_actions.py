"""A follow-up SOT visit charted in Chromium, counting every user action (a click or a field filled) and
reading each answer's server time (Server-Timing). Targets: ≤ 20 actions; every screen ≤ 1 s server time.

The visit: carry-forward from last visit with three indicators changed and two confirmed, pain score,
vitals, category confirmed, the sourced block template placed, every positive indicator rechecked,
the note composed from the record, and signed."""

from __future__ import annotations

import contextlib
import re
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from bench.common import header, table
from sotchart.domain.roles import Role
from sotchart.services import charting, clinics, patients, users, visits
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate
from sotchart.web.app import create_app

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "bench password for the visit"
LAST_VISIT = {
    "vitals": {"systolic": 126, "diastolic": 80, "pulse": 70},
    "pain": 6,
    "subjective": "Low back pain",
    "findings": [
        {"code": "posture-pelvis", "phase": "pre", "value": "locked"},
        {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 5},
        {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"},
        {"code": "first-rib-motion", "phase": "pre", "value": "positive"},
        {"code": "tmj", "phase": "pre", "value": "positive", "side": "left"},
        {"code": "leg-length-prone", "phase": "post", "value": "even"},
    ],
    "confirmed_category": {"category": 1, "side": "right"},
    "treatment": {
        "spinal_regions": ["pelvic"],
        "blocks": [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}],
    },
    "note": {"S": "Low back pain.", "O": "As charted.", "A": "Category 1 right.", "P": "Blocking."},
    "intake": {"history.symptoms": "Low back pain for 3 weeks", "consent": "given in writing"},
}


class Counter:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.actions: list[str] = []
        self.timings: list[tuple[str, float]] = []
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        timing = response.headers.get("server-timing", "")
        m = re.search(r"dur=([0-9.]+)", timing)
        if m and "/static/" not in response.url:
            path = re.sub(r"\d+", "N", response.url.split("//", 1)[1].split("/", 1)[1])
            self.timings.append((f"{response.request.method} /{path}", float(m.group(1))))

    def click(self, label: str, locator: Any) -> None:
        self.actions.append(label)
        locator.click()
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        expect(self.page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)

    def fill(self, label: str, locator: Any, value: str) -> None:
        self.actions.append(label)
        locator.fill(value)


def run() -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, object]]:
    with tempfile.TemporaryDirectory() as d:
        settings = Settings(environment="test", data_dir=Path(d), secret_key="bench-" + "k" * 40, time_zone="UTC")
        app = App.from_settings(settings)
        migrate.upgrade(app.db)
        clinic = clinics.create_clinic(app, Actor.console(), "Bench clinic")
        users.add_user(
            app,
            Actor.console(clinic.id),
            email="dc@bench.test",
            display_name="Dr Bench",
            role="clinician",
            password=PASSWORD,
            clinic_id=clinic.id,
        )
        member = users.list_users(app, Actor.console(clinic.id))[0]
        dc = Actor(member.id, clinic.id, Role.CLINICIAN, "dc@bench.test")
        p = patients.register_patient(
            app, dc, {"family_name": "Follow", "given_name": "Up", "birth_date": "1980-01-01"}
        )
        week_ago = (app.clock().date() - timedelta(days=7)).isoformat()
        episode = visits.start_episode(app, dc, p.id, "Low back pain", week_ago)
        last = visits.create_visit(
            app, dc, p.id, {"kind": "new-patient", "visit_date": week_ago, "episode_id": episode}
        )
        charting.save_record(app, dc, last.id, LAST_VISIT, 0)
        charting.sign(app, dc, last.id, 1)
        web = create_app(settings, app_handle=app)
        server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "/sign-in")
                page.get_by_label("Email").fill("dc@bench.test")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.goto(f"{base}/patients/{p.id}")
                c = Counter(page)
                c.click("start visit", page.get_by_role("button", name="Start visit"))
                c.fill("systolic", page.get_by_label("Systolic", exact=True), "128")
                c.fill("diastolic", page.get_by_label("Diastolic", exact=True), "82")
                c.fill("pulse", page.get_by_label("Pulse", exact=True), "72")
                c.click("pain 3", page.locator("#step-subjective").get_by_role("button", name="3", exact=True))
                c.click("same: first rib", page.locator("#ind-first-rib-motion").get_by_role("button", name="Same"))
                c.click("same: tmj", page.locator("#ind-tmj").get_by_role("button", name="Same"))
                c.click(
                    "changed: posture",
                    page.locator("#ind-posture-pelvis").get_by_role("button", name="unstable", exact=True),
                )
                c.click(
                    "changed: leg length",
                    page.locator("#ind-leg-length-prone").get_by_role("button", name="short L", exact=True),
                )
                c.click(
                    "changed: heel tension",
                    page.locator("#ind-heel-tension").get_by_role("button", name="positive L", exact=True),
                )
                c.click("confirm category", page.locator("#cat-1").get_by_role("button", name="Confirm 1 left"))
                c.click("place template blocks", page.get_by_role("button", name="Place the template's blocks"))
                for code, label in (
                    ("posture-pelvis", "normal"),
                    ("leg-length-prone", "even"),
                    ("heel-tension", "negative"),
                    ("first-rib-motion", "negative"),
                    ("tmj", "negative"),
                ):
                    c.click(
                        f"recheck {code}",
                        page.locator(f"#recheck-{code}").get_by_role("button", name=label, exact=True),
                    )
                c.click("compose note", page.get_by_role("button", name="Compose the empty sections from the record"))
                c.click("sign", page.get_by_role("button", name="Sign note"))
                with contextlib.suppress(AssertionError):  # the table reports whatever status it found
                    expect(page.locator("#visit-status")).to_have_text("signed")
                status = page.locator("#visit-status").text_content()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            db = app.db.describe()
            app.close()
    by_screen: dict[str, list[float]] = {}
    for name, ms in c.timings:
        by_screen.setdefault(name, []).append(ms)
    screens = [
        {"screen": k, "requests": len(v), "median ms": statistics.median(v), "max ms": max(v)}
        for k, v in sorted(by_screen.items())
    ]
    actions = [
        {
            "user actions": len(c.actions),
            "target": "≤ 20",
            "visit status at the end": status,
            "slowest answer ms": max(ms for _, ms in c.timings),
        }
    ]
    return actions, screens, db


def main() -> None:
    actions, screens, db = run()
    header("Follow-up SOT visit in Chromium: user actions and server time per screen", db)
    table(actions)
    print()
    table(screens)


if __name__ == "__main__":
    main()
