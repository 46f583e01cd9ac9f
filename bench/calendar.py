"""The calendar's week with 20 clinicians × 40 appointments a day (target: the week view's server time
p95 ≤ 100 ms), and the actions a receptionist needs to book a 12-visit care-plan series (target ≤ 6).

Every figure is the real page or feed over HTTP from `sotchart serve --workers 2`, asked for by a signed-in
browser's session one request after another: `client` is what the client waited (send to last byte),
`server` the app's own Server-Timing (to the first byte). The week holds 20 × 40 × 7 = 5,600 appointments
(weekends included, the harsher case). The actions are counted by walking the pages as a person would:
each link followed, each field typed and each button pressed is one."""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
from bs4 import BeautifulSoup
from sqlalchemy import insert, select

from bench.common import header, summary_ms, table
from sotchart.domain.patients import search_key
from sotchart.domain.roles import Role
from sotchart.services import clinics, users, visits
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate
from sotchart.store.tables import appointment, appointment_type, patient

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer
from tests.support.server import ServerProcess

PASSWORD = "bench password 123"
CLINICIANS = 20
PER_DAY = 40
ROUNDS = 40
WEEK = date(2027, 3, 1)  # a Monday, in the future of any run, so the series can be booked


def load(app: App) -> tuple[int, list[int], int]:
    """The clinic, its clinicians and a desk account, 2,000 patients and the week's appointments."""
    console = Actor.console()
    clinic = clinics.create_clinic(app, console, "Calendar bench clinic")
    desk = Actor.console(clinic.id)
    ids = [
        users.add_user(
            app,
            desk,
            email=f"dc{i}@bench.test",
            display_name=f"Dr Bench {i:02d}",
            role="clinician",
            password=PASSWORD,
            clinic_id=clinic.id,
        ).id
        for i in range(CLINICIANS)
    ]
    users.add_user(
        app,
        desk,
        email="desk@bench.test",
        display_name="Bench Desk",
        role="assistant",
        password=PASSWORD,
        clinic_id=clinic.id,
    )
    rng = random.Random(5)
    now = datetime.now(UTC)
    with app.db.transaction() as conn:
        pids = []
        for i in range(2000):
            family, given = f"Bench{rng.randint(0, 99999):05d}", rng.choice(("Ann", "Bo", "Cy", "Di"))
            pids.append(
                conn.execute(
                    insert(patient)
                    .values(
                        clinic_id=clinic.id,
                        chart_number=f"B{i:06d}",
                        family_name=family,
                        given_name=given,
                        family_key=search_key(family),
                        given_key=search_key(given),
                        birth_date=date(1970, 1, 1) + timedelta(days=i),
                        sex="female",
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(patient.c.id)
                ).scalar_one()
            )
        follow_up = conn.execute(
            select(appointment_type.c.id).where(
                appointment_type.c.clinic_id == clinic.id, appointment_type.c.code == "follow-up"
            )
        ).scalar_one()
        zone = ZoneInfo(app.settings.time_zone)
        rows = []
        for d in range(7):
            for c, cid in enumerate(ids):
                for k in range(PER_DAY):
                    start = datetime.combine(WEEK + timedelta(days=d), datetime.min.time(), tzinfo=zone) + timedelta(
                        hours=8, minutes=15 * k
                    )
                    rows.append(
                        {
                            "clinic_id": clinic.id,
                            "patient_id": pids[(d * 800 + c * 40 + k) % len(pids)],
                            "clinician_id": cid,
                            "type_id": follow_up,
                            "starts_at": start,
                            "ends_at": start + timedelta(minutes=15),
                            "status": "booked" if k % 20 else "cancelled",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
        conn.execute(insert(appointment), rows)
    return clinic.id, ids, pids[0]


def _signed_in(base: str, email: str) -> httpx.Client:
    h = httpx.Client(base_url=base, timeout=60)
    form = h.get("/sign-in").text
    pre = form.split('name="pre_token" value="')[1].split('"')[0]
    r = h.post("/sign-in", data={"email": email, "password": PASSWORD, "pre_token": pre, "next": "/"})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return h


def _time(h: httpx.Client, path: str, label: str, check: str) -> dict[str, object]:
    client, server = [], []
    for _ in range(3):  # warm both workers
        h.get(path)
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        r = h.get(path)
        client.append(time.perf_counter() - t0)
        assert r.status_code == 200 and check in r.text, (path, r.status_code, r.text[:300])
        server.append(float(r.headers["server-timing"].split("dur=")[1]) / 1000)
    c, s = summary_ms(client), summary_ms(server)
    return {
        "measure": label,
        "n": c["n"],
        "server p50": s["p50"],
        "server p95": s["p95"],
        "client p50": c["p50"],
        "client p95": c["p95"],
        "KB": round(len(r.content) / 1024),
    }


def _form(page: str, selector: str) -> tuple[str, dict[str, str]]:
    form = BeautifulSoup(page, "html.parser").select_one(selector)
    assert form is not None, selector
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "checkbox"}
    for s in form.select("select[name]"):
        chosen = s.select_one("option[selected]") or s.select_one("option")
        data[s["name"]] = chosen.get("value", "") if chosen else ""
    return str(form.get("action")), {k: str(v) for k, v in data.items()}


def series_actions(app: App, base: str, patient_id: int) -> list[dict[str, object]]:
    """Walk the pages: the clinician sets the plan from the chart; the desk books its 12 visits."""
    rows = []
    dc = _signed_in(base, "dc0@bench.test")
    chart = dc.get(f"/patients/{patient_id}").text
    steps = 0
    link = BeautifulSoup(chart, "html.parser").select_one("#set-plan")
    assert link is not None, "the chart offers no care plan"
    page = dc.get(str(link["href"])).text
    steps += 1  # follow "Set a care plan"
    action, data = _form(page, "#care-plan-form")
    data["frequency"] = "3 a week for 2 weeks, then 2 a week for 3 weeks"
    steps += 1  # type the frequency
    r = dc.post(action, data=data)
    steps += 1  # "Save the plan and book its visits"
    assert r.status_code == 303, r.text[:500]
    rows.append({"who": "clinician", "task": "set a 12-visit care plan from the chart", "actions": steps})
    plan_series = r.headers["location"]
    desk = _signed_in(base, "desk@bench.test")
    steps = 0
    chart = desk.get(f"/patients/{patient_id}").text
    link = BeautifulSoup(chart, "html.parser").select_one("#book-series-link")
    assert link is not None and str(link["href"]) == plan_series
    page = desk.get(plan_series + f"?first_date={WEEK + timedelta(days=7)}").text
    steps += 1  # follow "Book the plan's visits"
    action, data = _form(page, "#series-form")
    booked = sum(1 for k in data if k.startswith("starts_at_"))
    r = desk.post(action, data=data)
    steps += 1  # "Book 12 appointments"
    assert r.status_code == 303, r.text[:800]
    rows.append({"who": "receptionist", "task": f"book the plan's series ({booked} visits)", "actions": steps})
    return rows


def run_one(url: str, data_dir: Path) -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, object]]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="bench-" + "k" * 40)
    app = App.from_settings(settings)
    try:
        migrate.upgrade(app.db)
        clinic_id, ids, first_patient = load(app)
        clinic_actor = Actor(ids[0], clinic_id, Role.CLINICIAN, "dc0@bench.test", "127.0.0.1")
        visits.start_episode(app, clinic_actor, first_patient, "Low back pain")
        server = ServerProcess(app, workers=2)
        try:
            h = _signed_in(server.url, "desk@bench.test")
            day, end = WEEK.isoformat(), (WEEK + timedelta(days=7)).isoformat()
            rows = [
                _time(h, f"/calendar?view=week&day={day}", "week view, all 20 clinicians (page)", 'id="week-table"'),
                _time(
                    h,
                    f"/calendar?view=week&day={day}&clinician={ids[3]}",
                    "week view, one clinician (page)",
                    "week-table",
                ),
                _time(
                    h,
                    f"/calendar/events?start={day}&end={end}&clinician={ids[3]}",
                    "week's events, one clinician (JSON)",
                    '"id"',
                ),
                _time(h, f"/calendar/events?start={day}&end={end}", "week's events, all 20 clinicians (JSON)", '"id"'),
                _time(h, f"/calendar?day={day}", "day view, all 20 clinicians (page)", 'id="day-appointments"'),
            ]
            actions = series_actions(app, server.url, first_patient)
        finally:
            server.stop()
        return rows, actions, app.db.describe()
    finally:
        app.close()


def main() -> None:
    title = f"Calendar: {CLINICIANS} clinicians × {PER_DAY} appointments a day (target: week view server p95 ≤ 100 ms)"
    with tempfile.TemporaryDirectory() as d:
        rows, actions, db = run_one(f"sqlite:///{d}/bench.db", Path(d))
        header(title, db)
        table(rows)
        header("Actions to set and book a 12-visit care-plan series (target ≤ 6)")
        table(actions)
    pg = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as d:
            rows, _actions, db = run_one(pg.create_database("bench"), Path(d))
            header(title + ", PostgreSQL", db)
            table(rows)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
