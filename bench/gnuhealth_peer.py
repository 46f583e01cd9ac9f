"""GNU Health's side of `python -m bench peer`: recording patient evaluations in process on trytond.

Runs under the peer virtualenv only (`make peer-venv`: GNU Health 5.0 on trytond 7.0), never under
sotchart's, and imports nothing of sotchart. Given an empty PostgreSQL database, it activates the `health`
module with `trytond-admin` (the way GNU Health's installer does), sets up what an evaluation needs (a
company and its health institution, a health professional linked to the admin user, patients, a few health
conditions), then records evaluations for a fixed time with a fixed number of threads.

An evaluation is what the GNU Health client sends for one: create it with its fields (vital signs, chief
complaint, present illness, signs and symptoms, main condition, summary, plan) in one transaction, then
press "End evaluation" (`end_evaluation`, state `done`, `signed_by` set, a Page of Life entry written) in a
second one; each as the RPC dispatcher runs it: as the user, access checked, retried on a serialization
failure. Prints one JSON line per thread count.

`.peer-venv/bin/python bench/gnuhealth_peer.py --db-url postgresql+psycopg://user@host:port/db
    [--seconds 10] [--threads 1,4] [--patients 100]`"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

PASSWORD = "peer bench admin password 1234"
EMAIL = ("--email", "admin@peer.test")


def trytond_uri(db_url: str) -> tuple[str, str]:
    """trytond's `[database] uri` (the server, no database) and the database name, from a SQLAlchemy URL."""
    parts = urlsplit(db_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme != "postgresql":
        raise SystemExit(f"gnuhealth_peer: a PostgreSQL URL is needed, not {db_url!r}")
    return f"postgresql://{parts.netloc}/", parts.path.lstrip("/")


def write_config(folder: Path, uri: str) -> Path:
    conf = folder / "trytond.conf"
    conf.write_text(f"[database]\nuri = {uri}\npath = {folder / 'filestore'}\n")
    return conf


def activate_health(conf: Path, db: str, folder: Path) -> float:
    """`trytond-admin --all -u health --activate-dependencies`, the admin's password from TRYTONPASSFILE and
    e-mail address given, so that it asks nothing."""
    passfile = folder / "admin-password"
    passfile.write_text(PASSWORD + "\n")
    admin = Path(sys.executable).with_name("trytond-admin")
    started = time.perf_counter()
    done = subprocess.run(
        [str(admin), "-c", str(conf), "-d", db, "--all", "-u", "health", "--activate-dependencies", *EMAIL],
        env={**os.environ, "TRYTONPASSFILE": str(passfile)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"gnuhealth_peer: trytond-admin failed with exit status {done.returncode}")
    return time.perf_counter() - started


CONDITIONS = [
    ("M54.5", "Low back pain"),
    ("M54.4", "Lumbago with sciatica"),
    ("R52", "Pain, unspecified"),
    ("M62.83", "Muscle spasm"),
]


def set_up(db: str, patients: int) -> tuple[int, dict, list[int], list[int]]:
    """The company and health institution, the admin user as a health professional, the patients and the
    health conditions; returns the admin's id, their context (as the client gets it), patients, conditions."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(db)
    with Transaction().start(db, 0, context={}):
        User = pool.get("res.user")
        Party = pool.get("party.party")
        Currency = pool.get("currency.currency")
        Company = pool.get("company.company")
        Institution = pool.get("gnuhealth.institution")
        Professional = pool.get("gnuhealth.healthprofessional")
        Patient = pool.get("gnuhealth.patient")
        Pathology = pool.get("gnuhealth.pathology")

        (admin,) = User.search([("login", "=", "admin")])
        (currency,) = Currency.create([{"name": "Euro", "code": "EUR", "symbol": "€"}])
        (site,) = Party.create([{"name": "Peer Bench Clinic", "is_institution": True, "fed_country": None}])
        (company,) = Company.create([{"party": site.id, "currency": currency.id, "timezone": "UTC"}])
        User.write([admin], {"companies": [("add", [company.id])], "company": company.id})
        (institution,) = Institution.create(
            [{"party": site.id, "code": "PEER-1", "institution_type": "clinic", "public_level": "private"}]
        )
        (doctor,) = Party.create(
            [
                {
                    "name": "Ana",
                    "lastname": "Peer",
                    "is_person": True,
                    "is_healthprof": True,
                    "gender": "f",
                    "internal_user": admin.id,
                    "fed_country": "XXX",
                }
            ]
        )
        Professional.create([{"party": doctor.id, "institution": institution.id}])
        rng = random.Random(7)
        for k in range(patients):
            # The party's create makes the patient (create_target), one party at a time as the client does.
            Party.create(
                [
                    {
                        "name": f"C{k}",
                        "lastname": f"Peerpatient{k}",
                        "is_person": True,
                        "is_patient": True,
                        "create_target": True,
                        "gender": rng.choice(["f", "m"]),
                        "dob": date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                        "fed_country": "XXX",
                    }
                ]
            )
        conditions = Pathology.create([{"code": code, "name": name} for code, name in CONDITIONS])
        patient_ids = [p.id for p in Patient.search([])]
        condition_ids = [c.id for c in conditions]
        admin_id = admin.id
    with Transaction().start(db, admin_id, context={}):
        context = pool.get("res.user").get_preferences(context_only=True)
    return admin_id, context, patient_ids, condition_ids


def evaluation_values(patient: int, conditions: list[int], rng: random.Random) -> dict:
    """What a clinician fills in on the evaluation form for an outpatient visit."""
    weight, height = round(rng.uniform(55, 95), 1), round(rng.uniform(155, 190), 1)
    return {
        "patient": patient,
        "evaluation_start": datetime.now(UTC).replace(tzinfo=None),  # trytond keeps naive UTC
        "visit_type": "new",
        "urgency": "a",
        "evaluation_type": "outpatient",
        "chief_complaint": "Low back pain",
        "notes_complaint": "Pain in the lower back, worse on bending, for three weeks.",
        "present_illness": "Started after gardening three weeks ago; no trauma, no fever, no leg weakness. "
        "Paracetamol helps a little. Sleep disturbed.",
        "systolic": rng.randint(110, 140),
        "diastolic": rng.randint(70, 90),
        "bpm": rng.randint(60, 85),
        "respiratory_rate": rng.randint(12, 18),
        "osat": rng.randint(96, 99),
        "temperature": round(rng.uniform(36.2, 37.2), 1),
        "weight": weight,
        "height": height,
        "bmi": round(weight / (height / 100) ** 2, 2),  # the form's on_change computes it
        "signs_and_symptoms": [
            (
                "create",
                [
                    {"sign_or_symptom": "symptom", "clinical": conditions[0], "comments": "Worse on bending"},
                    {"sign_or_symptom": "sign", "clinical": conditions[3], "comments": "Right paravertebral"},
                ],
            )
        ],
        "diagnosis": conditions[0],
        "evaluation_summary": "Tender right lumbar paravertebral muscles, limited flexion, straight leg raise "
        "negative both sides, reflexes and power normal.",
        "info_diagnosis": "Mechanical low back pain without red flags.",
        "directions": "Heat, gentle mobility exercises, paracetamol as needed; review in two weeks.",
        "notes": "Advised on lifting and posture.",
    }


def dispatch(db: str, user: int, context: dict, call, stats: dict) -> object:
    """One call as trytond's RPC dispatcher runs it: one transaction, access checked, committed, retried
    on a serialization failure (`[database] retry`, 5)."""
    from trytond import backend
    from trytond.transaction import Transaction, TransactionError

    extras: dict = {}
    for attempt in range(6):
        if attempt:
            time.sleep(0.02 * attempt)
        with Transaction().start(db, user, context={**context, "_check_access": True}, **extras) as transaction:
            try:
                result = call()
            except TransactionError as e:
                transaction.rollback()
                e.fix(extras)
                continue
            except backend.DatabaseOperationalError:
                if attempt == 5:
                    raise
                transaction.rollback()
                stats["retries"] += 1
                continue
        return result
    raise RuntimeError("gave up after 5 retries")


def run(db: str, user: int, context: dict, patients: list[int], conditions: list[int], seconds: float, threads: int):
    from trytond.pool import Pool

    Evaluation = Pool(db).get("gnuhealth.patient.evaluation")
    latencies: list[float] = []
    stats = {"retries": 0, "errors": 0, "first_error": ""}
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        while time.perf_counter() < stop_at:
            k = next(counter)
            values = evaluation_values(patients[k % len(patients)], conditions, rng)
            started = time.perf_counter()
            try:
                (ev_id,) = dispatch(db, user, context, lambda v=values: [e.id for e in Evaluation.create([v])], stats)
                dispatch(db, user, context, lambda i=ev_id: Evaluation.end_evaluation(Evaluation.browse([i])), stats)
            except Exception as e:  # counted and shown: the run goes on
                with lock:
                    stats["errors"] += 1
                    stats["first_error"] = stats["first_error"] or f"{type(e).__name__}: {e}"[:500]
                continue
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    return latencies, wall, stats


def check_done(db: str, user: int, context: dict) -> dict:
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(db)
    with Transaction().start(db, user, context=context, readonly=True):
        Evaluation = pool.get("gnuhealth.patient.evaluation")
        return {
            "done": Evaluation.search_count([("state", "=", "done")]),
            "in_progress": Evaluation.search_count([("state", "=", "in_progress")]),
            "pages_of_life": pool.get("gnuhealth.pol").search_count([]),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", required=True, help="an empty PostgreSQL database (SQLAlchemy URL)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", default="1", help="thread counts, comma separated: one JSON line each")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--skip-init", action="store_true", help="the database has `health` activated already")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    uri, db = trytond_uri(args.db_url)
    with tempfile.TemporaryDirectory(prefix="gnuhealth-peer-") as tmp:
        folder = Path(tmp)
        conf = write_config(folder, uri)
        init_s = 0.0 if args.skip_init else activate_health(conf, db, folder)
        from trytond.config import config

        config.update_etc(str(conf))
        import trytond
        from trytond.pool import Pool

        Pool.start()
        Pool(db).init()
        user, context, patients, conditions = set_up(db, args.patients)
        # A short warm-up, as sotchart's side has: caches filled, connections open.
        run(db, user, context, patients, conditions, min(1.0, args.seconds / 5), max(thread_counts))
        for threads in thread_counts:
            latencies, wall, stats = run(db, user, context, patients, conditions, args.seconds, threads)
            print(
                json.dumps(
                    {
                        "evaluations": len(latencies),
                        "seconds": round(wall, 3),
                        "per_s": round(len(latencies) / wall, 2),
                        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
                        "threads": threads,
                        "retries": stats["retries"],
                        "errors": stats["errors"],
                        "first_error": stats["first_error"],
                        "init_s": round(init_s, 1),
                        "patients": len(patients),
                        "states": check_done(db, user, context),
                        "trytond": trytond.__version__,
                        "gnuhealth": importlib.metadata.version("gnuhealth"),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
