"""The command line, run as a real process: init, users, tokens, db check, and clear errors."""

from __future__ import annotations

import subprocess
import zipfile

from sqlalchemy import text

from sotchart.services.context import App
from tests.support import cli, web


def test_init_then_user_management_then_token(fresh_app: App) -> None:
    r = cli.run(
        fresh_app,
        "init",
        "--clinic-name",
        "Bayview SOT",
        "--email",
        "owner@bayview.test",
        "--name",
        "Dr Owner",
        SOTCHART_INIT_PASSWORD="a long enough passphrase",
    )
    assert r.returncode == 0, r.stderr
    assert "Bayview SOT" in r.stdout
    r = cli.run(
        fresh_app,
        "user",
        "add",
        "clin@bayview.test",
        "--name",
        "Dr Clin",
        "--role",
        "clinician",
        "--credentials",
        "DC",
        SOTCHART_NEW_PASSWORD="another long passphrase",
    )
    assert r.returncode == 0, r.stderr
    # The NPI a signed note names is checked by its check digit; a wrong one says so and changes nothing.
    bad = cli.run(fresh_app, "user", "professional", "clin@bayview.test", "--credentials", "DC", "--npi", "1234567890")
    assert bad.returncode == 2 and "check digit" in bad.stderr and "Traceback" not in bad.stderr
    ok = cli.run(fresh_app, "user", "professional", "clin@bayview.test", "--credentials", "DC", "--npi", "1234567893")
    assert ok.returncode == 0 and "NPI 1234567893" in ok.stdout, ok.stderr
    listed = cli.run(fresh_app, "user", "list")
    assert "clin@bayview.test" in listed.stdout and "owner@bayview.test" in listed.stdout
    assert "1234567893" in listed.stdout
    token = cli.run(fresh_app, "user", "token", "clin@bayview.test", "--name", "nightly").stdout.strip()
    assert token.startswith("sot_")
    reader = cli.run(
        fresh_app, "user", "token", "clin@bayview.test", "--name", "report", "--scope", "read", "--days", "7"
    )
    assert reader.returncode == 0, reader.stderr
    listed_tokens = cli.run(fresh_app, "user", "tokens")
    assert "nightly" in listed_tokens.stdout and "report" in listed_tokens.stdout and token not in listed_tokens.stdout
    report_id = next(ln.split()[1] for ln in listed_tokens.stdout.splitlines() if "report" in ln)
    assert cli.run(fresh_app, "user", "revoke-token", report_id).returncode == 0
    assert "revoked" in cli.run(fresh_app, "user", "tokens", "clin@bayview.test").stdout
    client = web.client(fresh_app)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "clinician"
    assert cli.run(fresh_app, "user", "lock", "clin@bayview.test").returncode == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert cli.run(fresh_app, "user", "lock", "--unlock", "clin@bayview.test").returncode == 0
    assert cli.run(fresh_app, "user", "reset-mfa", "owner@bayview.test").returncode == 0
    assert cli.run(fresh_app, "audit", "verify").returncode == 0


def test_bad_input_exits_2_with_a_message(fresh_app: App) -> None:
    r = cli.run(
        fresh_app,
        "init",
        "--clinic-name",
        "X",
        "--email",
        "not-an-email",
        "--name",
        "Y",
        SOTCHART_INIT_PASSWORD="short",
    )
    assert r.returncode == 2
    assert "email" in r.stderr and "password" in r.stderr and "Traceback" not in r.stderr
    r = cli.run(fresh_app, "user", "lock", "nobody@nowhere.test")
    assert r.returncode == 1 and "No account" in r.stderr and "Traceback" not in r.stderr


def test_bad_setting_is_named(fresh_app: App) -> None:
    r = cli.run(fresh_app, "db", "current", SOTCHART_SESSION_IDLE_MINUTES="forever")
    assert r.returncode == 2 and "SOTCHART_SESSION_IDLE_MINUTES" in r.stderr and "Traceback" not in r.stderr


def test_db_check_passes_then_fails_on_drift(fresh_app: App) -> None:
    ok = cli.run(fresh_app, "db", "check")
    assert ok.returncode == 0, ok.stderr
    from sotchart.store.migrate import head_revision

    current = cli.run(fresh_app, "db", "current").stdout
    assert f"current: {head_revision()}" in current and f"newest: {head_revision()}" in current
    with fresh_app.db.transaction() as conn:
        conn.execute(text("ALTER TABLE patient ADD COLUMN shadow_column INTEGER"))
    drift = cli.run(fresh_app, "db", "check")
    assert drift.returncode == 1 and "shadow_column" in drift.stderr


def test_demo_loads_once(fresh_app: App) -> None:
    r = cli.run(fresh_app, "demo")
    assert r.returncode == 0 and "owner@demo.sotchart.test" in r.stdout
    again = cli.run(fresh_app, "demo", "--if-empty")
    assert again.returncode == 0 and "nothing loaded" in again.stdout
    with fresh_app.db.transaction() as conn:
        most = conn.execute(text("SELECT max(n) FROM (SELECT count(*) AS n FROM visit GROUP BY patient_id) t")).scalar()
    assert most == 1000
    # The de-identified research export of the demo clinic, from the command line.
    out = fresh_app.settings.data_dir / "research.zip"
    r = cli.run(fresh_app, "research", "export", str(out))
    assert r.returncode == 0 and "Research export written" in r.stdout, r.stderr
    with zipfile.ZipFile(out) as z:
        assert "csv/visits.csv" in z.namelist() and "parquet/findings.parquet" in z.namelist()
        assert "Demo" not in z.read("csv/patients.csv").decode()


def test_export_then_import_from_the_command_line(fresh_app: App, db_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sotchart.services import demo
    from tests.conftest import make_settings

    demo.load_demo(fresh_app, patients=3, long_history_visits=20)
    path = tmp_path / "practice.zip"
    r = cli.run(fresh_app, "export", str(path))
    assert r.returncode == 0 and "FHIR resources" in r.stdout and "each table as CSV" in r.stdout, r.stderr
    with zipfile.ZipFile(path) as z:
        assert "manifest.json" in z.namelist() and not any(n.startswith("pdf/") for n in z.namelist())
    target = App.from_settings(make_settings(db_factory.new_migrated(), tmp_path / "target"))
    try:
        r = cli.run(
            target,
            "init",
            "--clinic-name",
            "New home",
            "--email",
            "owner@newhome.test",
            "--name",
            "Dr New",
            SOTCHART_INIT_PASSWORD="a long enough passphrase",
        )
        assert r.returncode == 0, r.stderr
        r = cli.run(target, "import", str(path))
        assert r.returncode == 0 and "Imported 3 patient(s)" in r.stdout, r.stdout + r.stderr
        again = cli.run(target, "import", str(path))
        assert again.returncode == 1 and "already holds" in again.stdout
        broken = tmp_path / "broken.zip"
        broken.write_bytes(b"PK not really")
        bad = cli.run(target, "import", str(broken))
        assert bad.returncode == 2 and "not a readable zip" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr
    finally:
        target.close()


def test_a_group_adds_its_clinics_each_with_its_owner(fresh_app: App) -> None:
    def add(command: str, clinic: str, email: str) -> subprocess.CompletedProcess[str]:
        args = [command, "add"] if command == "clinic" else [command]
        return cli.run(
            fresh_app,
            *args,
            "--clinic-name",
            clinic,
            "--email",
            email,
            "--name",
            "Dr Owner",
            SOTCHART_INIT_PASSWORD="a long enough passphrase",
        )

    assert add("init", "Bayview SOT", "owner@bayview.test").returncode == 0
    second = add("clinic", "Hillside SOT", "owner@hillside.test")
    assert second.returncode == 0 and "Hillside SOT" in second.stdout, second.stderr
    again = add("clinic", "Hillside again", "owner@hillside.test")
    assert again.returncode != 0 and "Traceback" not in again.stderr and "owner@hillside.test" in again.stderr
    listed = cli.run(fresh_app, "clinic", "list").stdout
    assert "Bayview SOT" in listed and "Hillside SOT" in listed and "Hillside again" not in listed
