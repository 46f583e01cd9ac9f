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

from bench import practice
from bench.common import header, summary_ms, table
from bench.practice import COMPLAINTS
from sotchart.domain.roles import Action
from sotchart.services import analytics, business
from sotchart.services.context import App, unit
from sotchart.services.policy import Actor
from sotchart.settings import Settings
from sotchart.store import analytics as store
from sotchart.store import migrate, rollups
from sotchart.store.tables import visit, visit_finding, visit_treatment

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer

N_VISITS = int(os.environ.get("BENCH_VISITS", "1000000"))
VISITS_PER_EPISODE = 10
CODES = ("posture-pelvis", "leg-length-prone", "heel-tension", "arm-fossa", "inguinal-tender", "tmj")
CARE = ("blocking", "cmrt", "cranial", "spinal-adjustment")


def _today() -> date:
    return datetime.now(UTC).date()


def load(app: App) -> tuple[int, list[int]]:
    rng = random.Random(5)
    clinic_id, clinicians = practice.clinic_with_clinicians(app, "Analytics clinic")
    now = datetime.now(UTC)
    n_episodes = N_VISITS // VISITS_PER_EPISODE
    # Five years of care ending today, so the current month is counted from the visits as in a clinic.
    start = _today() - timedelta(days=5 * 365)
    span = (_today() - start).days - 3 * VISITS_PER_EPISODE
    days0 = [start + timedelta(days=rng.randint(0, span)) for _ in range(n_episodes)]
    practice.patients_with_episodes(app, clinic_id, days0)
    vid = 0
    for chunk in range(0, n_episodes, 2000):
        visits, findings, care = [], [], []
        for e in range(chunk, min(chunk + 2000, n_episodes)):
            pain, cat = rng.randint(4, 9), rng.choice((1, 1, 2, 3))
            for k in range(VISITS_PER_EPISODE):
                vid += 1
                pain = max(0, pain + rng.choice((-1, -1, 0, 1)))
                if rng.random() < 0.15:
                    cat = rng.choice((1, 2, 3))
                cleared = 0
                for code in rng.sample(CODES, 2):
                    base = {
                        "clinic_id": clinic_id,
                        "patient_id": e + 1,
                        "visit_id": vid,
                        "revision": 1,
                        "code": code,
                        "created_at": now,
                    }
                    after = rng.choice(("negative", "positive"))
                    cleared += after == "negative"
                    findings.append({**base, "phase": "pre", "value": "positive", "side": "right"})
                    findings.append({**base, "phase": "post", "value": after, "side": "right"})
                visits.append(
                    {
                        "id": vid,
                        "clinic_id": clinic_id,
                        "patient_id": e + 1,
                        "episode_id": e + 1,
                        "clinician_id": clinicians[e % 2],
                        "visit_date": days0[e] + timedelta(days=3 * k),
                        "kind": "follow-up",
                        "status": "signed",
                        "complaint": COMPLAINTS[e % len(COMPLAINTS)],
                        "revision": 1,
                        "category": cat,
                        "category_side": "right",
                        "pain": pain,
                        "indicators_pre": 2,
                        "indicators_post": 2 - cleared,
                        "indicators_rechecked": 2,
                        "indicators_cleared": cleared,
                        "safety_action": "refer-before-treatment" if rng.random() < 0.01 else "clear",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for kind in rng.sample(CARE, rng.randint(1, 2)):
                    care.append({"clinic_id": clinic_id, "visit_id": vid, "revision": 1, "kind": kind})
        with app.db.transaction() as conn:
            conn.execute(insert(visit), visits)
            conn.execute(insert(visit_finding), findings)
            conn.execute(insert(visit_treatment), care)
    with app.db.transaction() as conn:
        conn.exec_driver_sql("ANALYZE")
    return clinic_id, clinicians


READS = {
    "overview (visits, stops)": ("visits", ("visits", "stops", "emergencies")),
    "indicators cleared": ("clearing", ("positive", "rechecked", "cleared")),
    "cleared by care given": ("care", ("care",)),
    "category transitions": ("transitions", ("transition",)),
    "pain responders / MCID": ("episodes", ("episodes", "responders", "mcid-at")),
}


def _filters(clinic_id: int, clinicians: list[int], i: int) -> store.Filters:
    """All five years, the last year, one complaint, one clinician: in turn."""
    today = _today()
    five_years = today - timedelta(days=5 * 365)
    return [
        store.Filters(clinic_id, five_years, today),
        store.Filters(clinic_id, today - timedelta(days=365), today),
        store.Filters(clinic_id, five_years, today, complaints=(COMPLAINTS[i % len(COMPLAINTS)],)),
        store.Filters(clinic_id, five_years, today, clinician_id=clinicians[i % 2]),
    ][i % 4]


def run_queries(app: App, clinic_id: int, clinicians: list[int], rounds: int = 12) -> list[dict[str, object]]:
    rows = []
    today = _today()
    timed = {
        **{
            name: (lambda conn, f, p, fam=fam, ms=ms: store.read(conn, f, p, fam, ms))
            for name, (fam, ms) in READS.items()
        },
        "patients seen (distinct)": lambda conn, f, p: store.distinct_patients(conn, f, p, "patient"),
        "patients referred (distinct)": lambda conn, f, p: store.distinct_patients(conn, f, p, "referred"),
    }
    for name, fn in timed.items():
        samples = []
        for i in range(rounds):
            f = _filters(clinic_id, clinicians, i)
            with app.db.read() as conn:
                t0 = time.perf_counter()
                fn(conn, f, store.plan(f, today, store.stale_months(conn, f, today)))
                samples.append(time.perf_counter() - t0)
        rows.append({"query": name, **summary_ms(samples)})
    owner = Actor.console(clinic_id)
    samples = []
    for i in range(rounds):
        f = _filters(clinic_id, clinicians, i)
        t0 = time.perf_counter()
        with unit(app, owner, Action.ANALYTICS_READ, "analytics", read=True) as u:
            business.figures(u, f, with_reasons=True)
        samples.append(time.perf_counter() - t0)
    rows.append({"query": "business figures (visits, new patients, plans, appointments)", **summary_ms(samples)})
    samples = []
    for i in range(rounds):
        f = _filters(clinic_id, clinicians, i)
        t0 = time.perf_counter()
        analytics.dashboard(
            app,
            owner,
            start=f.start.isoformat(),
            end=f.end.isoformat(),
            clinician_id=f.clinician_id,
            complaint=f.complaints[0] if f.complaints else "",
        )
        samples.append(time.perf_counter() - t0)
    rows.append({"query": "whole dashboard (service)", **summary_ms(samples)})
    return rows


def count_months(app: App, clinic_id: int) -> tuple[float, int]:
    """What the first dashboard after an upgrade does: count every month of the five years."""
    today = _today()
    with app.db.read() as conn:
        months = store.stale_months(conn, store.Filters(clinic_id, today - timedelta(days=5 * 365 + 31), today), today)
    t0 = time.perf_counter()
    for m in months:
        with app.db.transaction() as conn:
            rollups.rebuild(conn, clinic_id, m, datetime.now(UTC))
    return time.perf_counter() - t0, len(months)


def one(url: str, d: Path, label: str) -> None:
    app = App.from_settings(Settings(environment="test", data_dir=d, database_url=url, secret_key="k" * 40))
    try:
        migrate.upgrade(app.db)
        t0 = time.perf_counter()
        clinic_id, clinicians = load(app)
        load_s = time.perf_counter() - t0
        count_s, months = count_months(app, clinic_id)
        header(
            f"Analytics over {N_VISITS:,} signed visits on {label} (target: each p95 ≤ 1 s). "
            f"Loading took {load_s:.0f} s; counting all {months} months once took {count_s:.1f} s",
            app.db.describe(),
        )
        table(run_queries(app, clinic_id, clinicians))
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
