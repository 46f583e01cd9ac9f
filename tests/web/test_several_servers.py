"""Several app servers on one database behind the proxy docs/deploy/haproxy-group.cfg configures (run as
written, only ports and paths changed): while visits stream in through the proxy, one server is killed with
kill -9 and started again. Afterwards every visit whose signature was acknowledged is signed in the
database, the audit chains verify against both servers' anchors, the analytics months equal a recount from
the visits, and a clinician's session went on across the switch of server."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx2 as httpx
from bench.load import CLINICS, load_clinics, record, run_step
from sqlalchemy import select

from sotchart.domain.roles import Role
from sotchart.services import analytics
from sotchart.services.context import Actor, App
from sotchart.store import analytics as store
from sotchart.store.tables import visit
from tests import factories
from tests.store.test_rollups import FAMILIES
from tests.support import cli
from tests.support.server import ServerProcess, free_port
from tests.web.test_behind_a_proxy import _certificate, _program, _sign_in, deploy_config, wait_for_proxy

PATIENTS = 20
DAYS_BACK = 40  # the visits are late notes of a past month, so the analytics count them from its rollups


def _haproxy(folder: Path, ports: tuple[int, int], tls: int, plain: int, log: IO[str]) -> subprocess.Popen[bytes]:
    _, _, both = _certificate(folder)
    replacements = (
        ("bind :443 ssl crt /etc/ssl/sotchart/sotchart.pem", f"bind 127.0.0.1:{tls} ssl crt {both}"),
        ("bind :80", f"bind 127.0.0.1:{plain}"),
        ("server app1 10.0.0.11:8000", f"server app1 127.0.0.1:{ports[0]}"),
        ("server app2 10.0.0.12:8000", f"server app2 127.0.0.1:{ports[1]}"),
    )
    conf = deploy_config("haproxy-group.cfg", replacements, folder / "haproxy.cfg")
    return subprocess.Popen([_program("haproxy"), "-db", "-f", str(conf)], stdout=log, stderr=log)


def _still_signed_in(browser: httpx.Client) -> None:
    """Six pages in a row (the proxy spreads them over both servers), each the clinician's, not the sign-in."""
    for _ in range(6):
        page = browser.get("/patients", follow_redirects=False)
        assert page.status_code == 200, (page.status_code, page.headers.get("location"))
        assert 'name="password"' not in page.text


def test_a_server_killed_in_the_middle_of_a_load_loses_nothing(fresh_app: App, tmp_path: Path) -> None:
    app = fresh_app
    clinics = load_clinics(app, patients_per_clinic=PATIENTS)
    doc = record(app.settings)
    staff = factories.clinic_with_staff(app)
    ports = (free_port(), free_port())
    anchors = (tmp_path / "anchor-app1", tmp_path / "anchor-app2")  # each server keeps its own

    def serve(n: int) -> ServerProcess:
        return ServerProcess(
            app,
            port=ports[n],
            SOTCHART_TRUSTED_PROXIES="127.0.0.1",
            SOTCHART_COOKIE_SECURE="true",
            SOTCHART_AUDIT_ANCHOR_FILE=str(anchors[n]),
        )

    servers = [serve(0), serve(1)]
    tls, plain = free_port(), free_port()
    proxy_log = (tmp_path / "haproxy.log").open("w")
    proxy = _haproxy(tmp_path, ports, tls, plain, proxy_log)
    url = f"https://127.0.0.1:{tls}"
    try:
        wait_for_proxy(url, proxy, "haproxy", tmp_path / "haproxy.log")
        browser = httpx.Client(base_url=url, verify=False, timeout=10)
        assert _sign_in(browser, staff.emails["clinician"], factories.PASSWORD).status_code == 303
        _still_signed_in(browser)

        def kill_and_restart() -> None:
            time.sleep(2.5)
            servers[0].kill9()
            time.sleep(2.0)
            servers[0] = serve(0)

        chaos = threading.Thread(target=kill_and_restart)
        result = []
        first = CLINICS * PATIENTS * DAYS_BACK
        # The generator's own event loop, in a thread of its own (this test's thread may hold another's).
        load = threading.Thread(
            target=lambda: result.append(asyncio.run(run_step(url, clinics, doc, 12, 10, first, ssl=False)))
        )
        chaos.start()
        load.start()
        load.join(120)
        chaos.join(60)
        step = result[0]
        time.sleep(2.5)  # the restarted server is back in the proxy's rotation after two good checks
        _still_signed_in(browser)
        browser.close()
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        proxy_log.close()
        for s in servers:
            s.stop()

    # Most visits went through although a server died under them; every acknowledged one is there, signed.
    assert step.visits_done >= 0.8 * 12 * 10, (step.statuses, step.samples)
    assert step.statuses.get("500", 0) == 0, step.samples
    with app.db.read() as conn:
        status = dict(conn.execute(select(visit.c.id, visit.c.status).where(visit.c.id.in_(step.signed))).all())
    assert len(status) == len(step.signed) == step.visits_done
    assert set(status.values()) == {"signed"}

    # Each server anchored what it wrote in its own file; this test's own process (the console that made
    # the clinics) is a third writer, with the data folder's anchor.
    assert all(a.stat().st_size for a in anchors)
    console = app.settings.resolved_audit_anchor
    verified = cli.run(
        app,
        "audit",
        "verify",
        "--anchor",
        str(anchors[1]),
        "--anchor",
        str(console),
        SOTCHART_AUDIT_ANCHOR_FILE=str(anchors[0]),
    )
    assert verified.returncode == 0, verified.stderr

    today = app.clock().date()
    for c in clinics:
        actor = Actor(None, c.clinic_id, Role.CLINICIAN, "test", "127.0.0.1")
        analytics.dashboard(app, actor)  # counts again the months the load changed
        f = store.Filters(c.clinic_id, today - timedelta(days=365), today)
        with app.db.read() as conn:
            assert store.stale_months(conn, f, today) == []
            counted = store.plan(f, today)
            from_visits = store.plan(f, today, stale=store.whole_months(f.start, f.end, today))
            assert counted.months, "the load's visits fall in whole past months"
            for family, measures in FAMILIES.items():
                assert store.read(conn, f, counted, family, measures) == store.read(
                    conn, f, from_visits, family, measures
                )
