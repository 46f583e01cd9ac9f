"""`sotchart` commands: init, serve, demo, user, db, audit, backup, restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Column, Table

from sotchart.cli.common import app_handle, err, fail, load_settings, out
from sotchart.cli.protocol import evaluate, protocol_cli
from sotchart.cli.questionnaire import questionnaire_cli
from sotchart.reports import chart as chart_report
from sotchart.services import (
    audit,
    backup,
    clinics,
    database,
    demo,
    fhir_export,
    fhir_import,
    patients,
    reminders,
    research,
    users,
)
from sotchart.services.context import Actor, App

cli = typer.Typer(
    help="sotchart: the clinical system for SOT chiropractors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_cli = typer.Typer(help="Staff accounts.", no_args_is_help=True)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit log.", no_args_is_help=True)
clinic_cli = typer.Typer(help="The clinics of a group, in one database.", no_args_is_help=True)
reminders_cli = typer.Typer(help="Appointment confirmations and reminders.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(db_cli, name="db")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(clinic_cli, name="clinic")
cli.add_typer(reminders_cli, name="reminders")
cli.add_typer(protocol_cli, name="protocol")
cli.add_typer(questionnaire_cli, name="questionnaire")
cli.command("evaluate")(evaluate)


ClinicName = Annotated[str, typer.Option(prompt="Clinic name", help="The clinic's name")]
OwnerEmail = Annotated[str, typer.Option(prompt="Owner's email", help="The owner's sign-in email")]
OwnerName = Annotated[str, typer.Option(prompt="Owner's full name", help="The owner's name as shown in notes")]
OwnerPassword = Annotated[
    str,
    typer.Option(
        prompt="Owner's password (12+ characters)",
        hide_input=True,
        help="The owner's password, 12 characters or more",
        confirmation_prompt=True,
        envvar="SOTCHART_INIT_PASSWORD",
    ),
]


@cli.command()
def init(clinic_name: ClinicName, email: OwnerEmail, name: OwnerName, password: OwnerPassword) -> None:
    """Create or upgrade the database, then create the first clinic and its owner."""
    with app_handle() as app:
        database.upgrade(app)
        _add_clinic(app, clinic_name, email, name, password)


@clinic_cli.command("add")
def clinic_add(clinic_name: ClinicName, email: OwnerEmail, name: OwnerName, password: OwnerPassword) -> None:
    """Add another clinic of the group, with its owner: its staff see only its records."""
    with app_handle() as app:
        _add_clinic(app, clinic_name, email, name, password)


@clinic_cli.command("list")
def clinic_list() -> None:
    """The clinics in this database."""
    with app_handle() as app:
        rows = clinics.all_clinics(app, Actor.console())
    table = Table("id", "clinic")
    for c in rows:
        table.add_row(str(c.id), c.name)
    out.print(table)


@reminders_cli.command("send")
def reminders_send() -> None:
    """Send the confirmations and reminders that are due, through each clinic's mail server (for cron,
    when the servers' own sender is off: SOTCHART_REMINDER_INTERVAL_SECONDS=0)."""
    with app_handle() as app:
        done = reminders.send_due(app)
    out.print(f"sent {done.sent}, failed {done.failed} (tried again later), skipped {done.skipped}")


def _add_clinic(app: App, clinic_name: str, email: str, name: str, password: str) -> None:
    clinic, owner = clinics.create_clinic_with_owner(
        app, clinic_name=clinic_name, email=email, display_name=name, password=password
    )
    out.print(f"Created clinic [bold]{clinic.name}[/bold] (id {clinic.id}) and owner {owner.email}.")
    out.print("Owners set up a second factor (an authenticator app) at their first sign-in.")


@cli.command("demo")
def demo_cmd(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when there is no clinic yet")] = False,
) -> None:
    """Load the demo clinic: synthetic patients (one with 1,000 visits), staff and visits."""
    with app_handle() as app:
        database.upgrade(app)
        if demo.demo_present(app) or (if_empty and clinics.clinic_count(app) > 0):
            out.print("The demo clinic (or another clinic) is already there; nothing loaded.")
        else:
            with out.status("Loading the demo clinic…"):
                demo.load_demo(app)
            out.print(f"Loaded [bold]{demo.DEMO_CLINIC}[/bold].")
        if demo.demo_present(app):
            out.print("Demo sign-in (password for all: [bold]" + demo.DEMO_PASSWORD + "[/bold]):")
            for email, _name, role in demo.STAFF:
                note = " (sets up a second factor at first sign-in)" if role == "owner" else ""
                out.print(f"  {role:<10} {email}{note}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes")] = None,
) -> None:
    """Serve the pages and the JSON API (after bringing the schema up to date).

    The workers run under uvicorn's supervisor even when there is one: a worker that dies (SQLite's shared
    memory file cut short under it ends a process with SIGBUS) is logged and started again, while the
    clinic's other requests go on."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    s = load_settings()
    with app_handle() as app:
        database.ready(app)
        database.upgrade(app)
    h, p = host or s.host, port or s.port
    out.print(f"sotchart on http://{h}:{p}  (Ctrl+C stops)")
    config = uvicorn.Config(
        "sotchart.web.asgi:create",
        factory=True,
        host=h,
        port=p,
        workers=workers or s.workers,
        log_level="warning",
        proxy_headers=False,  # SOTCHART_TRUSTED_PROXIES decides whom to believe (web/app.py)
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()


# --- users ---


@user_cli.command("add")
def user_add(
    email: str,
    name: Annotated[str, typer.Option(help="Full name as shown in notes")],
    role: Annotated[str, typer.Option(help="owner, clinician, assistant or researcher")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="12 characters or more",
            envvar="SOTCHART_NEW_PASSWORD",
        ),
    ],
    clinic: Annotated[int | None, typer.Option(help="Clinic id (default: the first clinic)")] = None,
    credentials: Annotated[str, typer.Option(help='Shown after the name in signed notes, e.g. "DC"')] = "",
    npi: Annotated[str, typer.Option(help="The individual NPI (10 digits)")] = "",
) -> None:
    """Add a staff account."""
    with app_handle() as app:
        clinic_id = clinic or (c.id if (c := clinics.first_clinic(app)) else None)
        m = users.add_user(
            app,
            Actor.console(clinic_id),
            email=email,
            display_name=name,
            role=role,
            password=password,
            clinic_id=clinic_id,
            credentials=credentials,
            npi=npi,
        )
        out.print(f"Added {m.email} ({m.role}) to clinic {m.clinic_id}.")


@user_cli.command("professional")
def user_professional(
    email: str,
    credentials: Annotated[str, typer.Option(help='Shown after the name in signed notes, e.g. "DC"')] = "",
    npi: Annotated[str, typer.Option(help="The individual NPI (10 digits); empty removes it")] = "",
) -> None:
    """Set the credentials and NPI that the account's signed notes name."""
    with app_handle() as app:
        m = users.set_professional(app, Actor.console(), email, credentials=credentials, npi=npi)
        out.print(f"{m.display_name}{', ' + m.credentials if m.credentials else ''}: NPI {m.npi or 'none'}.")


@user_cli.command("list")
def user_list() -> None:
    """List staff accounts."""
    with app_handle() as app:
        # Emails and NPIs are copied from here: they never wrap; a name may.
        t = Table("clinic", Column("email", no_wrap=True), "name", Column("NPI", no_wrap=True), "role", "2FA", "locked")
        for m in users.list_users(app, Actor.console()):
            t.add_row(
                str(m.clinic_id),
                m.email,
                f"{m.display_name}, {m.credentials}" if m.credentials else m.display_name,
                m.npi or "",
                m.role,
                "yes" if m.mfa else "no",
                "yes" if m.locked else "",
            )
        out.print(t)


@user_cli.command("lock")
def user_lock(email: str, unlock: Annotated[bool, typer.Option("--unlock", help="Unlock instead")] = False) -> None:
    """Lock an account (ending its sessions), or unlock it."""
    with app_handle() as app:
        users.lock_user(app, Actor.console(), email, locked=not unlock)
        out.print(f"{'Unlocked' if unlock else 'Locked'} {email}.")


@user_cli.command("reset-mfa")
def user_reset_mfa(email: str) -> None:
    """Remove an account's second factor; it sets up a new one at next sign-in."""
    with app_handle() as app:
        users.reset_mfa(app, Actor.console(), email)
        out.print(f"Second factor of {email} removed; a new one is set up at the next sign-in.")


@user_cli.command("token")
def user_token(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "script",
    scope: Annotated[str, typer.Option(help="read (look only) or write (what the account's role allows)")] = "write",
    days: Annotated[int, typer.Option(help="Days until it expires (1 to 365)")] = 90,
    code: Annotated[
        str, typer.Option(help="For an account with a second factor: the code its authenticator app shows now")
    ] = "",
) -> None:
    """Create a bearer token for scripts, acting as this account. Shown once."""
    with app_handle() as app:
        token = users.issue_token(app, Actor.console(), email, name, scope=scope, days=days, code=code)
    print(token)


@user_cli.command("tokens")
def user_tokens(email: Annotated[str, typer.Argument(help="One account's tokens (default: all)")] = "") -> None:
    """List tokens (never their values): live, expired and revoked."""
    with app_handle() as app:
        now = app.clock()
        t = Table("id", Column("email", no_wrap=True), "name", "scope", "expires", "state")
        for k in users.list_tokens(app, Actor.console(), email):
            t.add_row(
                str(k.id),
                k.email,
                k.name,
                k.scope,
                k.expires_at.date().isoformat() if k.expires_at else "never",
                k.state(now),
            )
        out.print(t)


@user_cli.command("revoke-token")
def user_revoke_token(token_id: int) -> None:
    """Revoke one token; the account's other tokens keep working."""
    with app_handle() as app:
        users.revoke_token(app, Actor.console(), token_id)
        out.print(f"Token {token_id} revoked.")


# --- database ---


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest version."""
    with app_handle() as app:
        out.print(f"Schema at {database.upgrade(app)}.")


@db_cli.command("check")
def db_check() -> None:
    """Fail when the tables and the migrations disagree."""
    with app_handle() as app:
        report = database.check(app)
    if report.ok:
        out.print(f"Schema {report.current} matches the code.")
        return
    if report.current != report.head:
        err.print(
            f"Schema is at {report.current or 'nothing'}, the code expects {report.head}: run `sotchart db upgrade`."
        )
    for d in report.differences:
        err.print(f"  drift: {d}")
    raise typer.Exit(1)


@db_cli.command("current")
def db_current() -> None:
    """Show the schema version."""
    with app_handle() as app:
        current, head = database.current(app)
    out.print(f"current: {current or '(empty)'}  newest: {head}")


# --- audit, backup, restore ---


@audit_cli.command("verify")
def audit_verify(
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            help="Another server's anchor file to check against as well, for a group of servers on one database "
            "(each keeps its own); give it once for each"
        ),
    ] = None,
) -> None:
    """Check the audit log's chains; exits 1 naming the chain and its first bad entry."""
    with app_handle() as app:
        brk, n = audit.verify(app, Actor.console(), anchor or [])
    if brk:
        fail(f"Audit log broken at {brk.where()}: {brk.reason}.")
    out.print(f"Audit log intact: {n} entries.")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} rows"), console=err, transient=True
    )


@cli.command("backup")
def backup_cmd(path: Path) -> None:
    """Write a consistent copy of the whole database to PATH (a SQLite file), even while in use."""
    with app_handle() as app, _progress() as bar:
        task = bar.add_task("copying", total=None)
        report = backup.backup(
            app, Actor.console(), path, lambda table, n: bar.update(task, advance=n, description=table)
        )
    out.print(
        f"Backup written to {report.path}: {sum(report.row_counts.values())} rows, "
        f"{report.audit_entries} audit entries, chain verified."
    )


@cli.command("restore")
def restore_cmd(path: Path) -> None:
    """Verify a backup (integrity and audit chain), then restore it."""
    with app_handle() as app, _progress() as bar:
        task = bar.add_task("restoring", total=None)
        report = backup.restore(
            app, Actor.console(), path, lambda table, n: bar.update(task, advance=n, description=table)
        )
    out.print(f"Restored {sum(report.row_counts.values())} rows from {report.path}; audit chain verified.")


@cli.command("export")
def export_cmd(
    path: Path,
    patient: Annotated[
        int | None, typer.Option(help="Export one patient's record (by id) instead of the clinic's")
    ] = None,
    clinic: Annotated[int | None, typer.Option(help="Clinic id (default: the first clinic)")] = None,
    pdf: Annotated[
        bool | None,
        typer.Option("--pdf/--no-pdf", help="Add a whole-chart PDF per patient (default: only with --patient)"),
    ] = None,
) -> None:
    """Write the clinic's (or one patient's) record to PATH, zipped: FHIR R4 NDJSON with a Bulk Data manifest,
    each table as CSV, and a whole-chart PDF per patient."""
    with app_handle() as app, _progress() as bar:
        first = clinics.first_clinic(app)
        clinic_id = clinic or (first.id if first else None)
        actor = Actor.console(clinic_id)
        task = bar.add_task("exporting", total=None)
        report = fhir_export.export(
            app,
            actor,
            path,
            patient_id=patient,
            progress=lambda kind, n: bar.update(task, advance=n, description=kind or "zipping"),
        )
        pdfs = 0
        if pdf if pdf is not None else patient is not None:
            ids = [patient] if patient is not None else patients.patient_ids(app, actor)
            bar.update(task, description="chart PDFs")
            name = first.name if first and first.id == clinic_id else ""
            pdfs = chart_report.add_chart_pdfs(path, app, actor, ids, name, lambda n: bar.update(task, advance=n))
    out.print(
        f"Export written to {report.path}: {report.resources:,} FHIR resources in {report.seconds:.1f} s "
        f"({', '.join(f'{n:,} {k}' for k, n in sorted(report.counts.items()))}), each table as CSV"
        + (f", and {pdfs} chart PDF(s)." if pdfs else ".")
    )


@cli.command("import")
def import_cmd(
    path: Path,
    clinic: Annotated[int | None, typer.Option(help="Clinic id to import into (default: the first clinic)")] = None,
) -> None:
    """Read a FHIR export (the zip `sotchart export` writes) into a clinic, each patient whole or not at all."""
    with app_handle() as app, _progress() as bar:
        clinic_id = clinic or (c.id if (c := clinics.first_clinic(app)) else None)
        task = bar.add_task("importing", total=None)
        report = fhir_import.import_export(
            app, Actor.console(clinic_id), path, progress=lambda what, n: bar.update(task, advance=n, description=what)
        )
    out.print(f"Imported {report.patients} patient(s), {report.resources:,} resources, in {report.seconds:.1f} s.")
    if report.failed:
        out.print(f"[bold red]{len(report.failed)} problem(s); those patients were not imported:[/bold red]")
        for p in report.failed[:100]:
            out.print(f"  {p}")
        raise typer.Exit(1)


research_cli = typer.Typer(help="De-identified data for research.", no_args_is_help=True)
cli.add_typer(research_cli, name="research")


@research_cli.command("export")
def research_export_cmd(
    path: Path,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--shifted-dates",
            help="Strict Safe Harbor (the default): years and day numbers only; --shifted-dates keeps dates "
            "shifted per patient, which is not Safe Harbor",
        ),
    ] = True,
    clinic: Annotated[int | None, typer.Option(help="Clinic id (default: the first clinic)")] = None,
) -> None:
    """Write the de-identified research export (CSV, Parquet, data dictionary) to PATH as a zip."""
    with app_handle() as app, _progress() as bar:
        clinic_id = clinic or (c.id if (c := clinics.first_clinic(app)) else None)
        task = bar.add_task("exporting", total=None)
        report = research.export(
            app, Actor.console(clinic_id), path, strict=strict, progress=lambda what: bar.update(task, description=what)
        )
    out.print(
        f"Research export written to {report.path}: "
        + ", ".join(f"{n} {table}" for table, n in report.rows.items())
        + (" (years and day numbers only)." if strict else " (dates shifted per patient).")
    )


def main() -> None:
    cli()
