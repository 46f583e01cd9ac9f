"""Every practice-analytics query over a synthetic practice of 1,000,000 signed visits (target: each p95
≤ 1 s), on SQLite and PostgreSQL. `BENCH_VISITS` sets a smaller practice for a quick look."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import header, summary_ms, table
from sotchart.services import clinics, users
from sotchart.services.context import App
from sotchart.services.policy import Actor
from sotchart.settings import Settings
from sotchart.store import analytics as store
from sotchart.store import migrate
from sotchart.store.tables import episode, patient, visit, visit_finding

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer

N_VISITS = int(os.environ.get("BENCH_VISITS", "1000000"))
VISITS_PER_EPISODE = 10
CODES = ("posture-pelvis", "leg-length-prone", "heel-tension", "arm-fossa", "inguinal-tender", "tmj")
COMPLAINTS = ("Low back pain", "Neck pain", "Sciatica", "Headache", "Pelvic pain")


def load(app: App) -> int:
    rng = random.Random(5)
    clinic = clinics.create_clinic(app, Actor.console(), "Analytics clinic")
    member = users.add_user(
        app,
        Actor.console(clinic.id),
        email="dc@bench.test",
        display_name="Dr Bench",
        role="clinician",
        password="bench password 123",
        clinic_id=clinic.id,
    )
    now = datetime.now(UTC)
    n_episodes = N_VISITS // VISITS_PER_EPISODE
    start = date(2021, 1, 1)
    with app.db.transaction() as conn:
        conn.execute(
            insert(patient),
            [
                {
                    "id": i + 1,
                    "clinic_id": clinic.id,
                    "chart_number": f"P{i + 1:07d}",
                    "family_name": "Bench",
                    "given_name": str(i),
                    "family_key": "bench",
                    "given_key": str(i),
                    "birth_date": date(1970, 1, 1),
                    "sex": "unknown",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n_episodes)
            ],
        )
        conn.execute(
            insert(episode),
            [
                {
                    "id": i + 1,
                    "clinic_id": clinic.id,
                    "patient_id": i + 1,
                    "complaint": COMPLAINTS[i % len(COMPLAINTS)],
                    "start_date": start,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n_episodes)
            ],
        )
    vid = 0
    for chunk in range(0, n_episodes, 2000):
        visits, findings = [], []
        for e in range(chunk, min(chunk + 2000, n_episodes)):
            pain, cat = rng.randint(4, 9), rng.choice((1, 1, 2, 3))
            day0 = start + timedelta(days=rng.randint(0, 1400))
            for k in range(VISITS_PER_EPISODE):
                vid += 1
                pain = max(0, pain + rng.choice((-1, -1, 0, 1)))
                if rng.random() < 0.15:
                    cat = rng.choice((1, 2, 3))
                visits.append(
                    {
                        "id": vid,
                        "clinic_id": clinic.id,
                        "patient_id": e + 1,
                        "episode_id": e + 1,
                        "clinician_id": member.id,
                        "visit_date": day0 + timedelta(days=3 * k),
                        "kind": "follow-up",
                        "status": "signed",
                        "complaint": COMPLAINTS[e % len(COMPLAINTS)],
                        "revision": 1,
                        "category": cat,
                        "category_side": "right",
                        "pain": pain,
                        "indicators_pre": 2,
                        "indicators_post": 1,
                        "safety_action": "refer-before-treatment" if rng.random() < 0.01 else "clear",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for code in rng.sample(CODES, 2):
                    base = {
                        "clinic_id": clinic.id,
                        "patient_id": e + 1,
                        "visit_id": vid,
                        "revision": 1,
                        "code": code,
                        "created_at": now,
                    }
                    findings.append({**base, "phase": "pre", "value": "positive", "side": "right"})
                    findings.append(
                        {**base, "phase": "post", "value": rng.choice(("negative", "positive")), "side": "right"}
                    )
        with app.db.transaction() as conn:
            conn.execute(insert(visit), visits)
            conn.execute(insert(visit_finding), findings)
    with app.db.transaction() as conn:
        if app.db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    return clinic.id


def run_queries(app: App, clinic_id: int, rounds: int = 5) -> list[dict[str, object]]:
    rng = random.Random(9)
    rows = []
    for name, fn in (
        ("overview", store.overview),
        ("indicators cleared", store.clearing_by_indicator),
        ("category transitions", store.category_transitions),
        ("pain responders / MCID", store.pain_course),
    ):
        samples = []
        for i in range(rounds):
            f = store.Filters(
                clinic_id, date(2021, 1, 1), date(2025, 12, 31), complaint=rng.choice(COMPLAINTS) if i % 2 else ""
            )
            with app.db.read() as conn:
                t0 = time.perf_counter()
                fn(conn, f)
                samples.append(time.perf_counter() - t0)
        rows.append({"query": name, **summary_ms(samples)})
    return rows


def one(url: str, d: Path, label: str) -> None:
    app = App.from_settings(Settings(environment="test", data_dir=d, database_url=url, secret_key="k" * 40))
    try:
        migrate.upgrade(app.db)
        t0 = time.perf_counter()
        clinic_id = load(app)
        load_s = time.perf_counter() - t0
        header(
            f"Analytics over {N_VISITS:,} signed visits on {label} (target: each p95 ≤ 1 s; load {load_s:.0f} s)",
            app.db.describe(),
        )
        table(run_queries(app, clinic_id))
    finally:
        app.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        one(f"sqlite:///{d}/a.db", Path(d), "SQLite")
    pg = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as d:
            one(pg.create_database("analytics"), Path(d), "PostgreSQL")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
