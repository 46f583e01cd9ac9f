"""Database triggers that keep the promises the code makes, even against a stray SQL statement:
clinical rows are never deleted, a signed note's text never changes, the audit log only grows."""

from __future__ import annotations

from sqlalchemy import Connection

NO_DELETE = ("clinic", "app_user", "patient", "patient_alert", "episode", "visit")
_SIGNED_NOTE_CHANGED = (
    "OLD.status <> 'draft' AND (NEW.note IS DISTINCT FROM OLD.note "
    "OR NEW.visit_date IS DISTINCT FROM OLD.visit_date OR NEW.patient_id IS DISTINCT FROM OLD.patient_id)"
)


def install_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in NO_DELETE:
            conn.exec_driver_sql(
                f"CREATE TRIGGER guard_{table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'clinical rows are never deleted: mark {table} entered-in-error'); END"
            )
        install_audit_guards(conn)
        conn.exec_driver_sql(
            "CREATE TRIGGER guard_visit_signed BEFORE UPDATE ON visit WHEN "
            + _SIGNED_NOTE_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
            + " BEGIN SELECT RAISE(ABORT, 'a signed note never changes: record an amendment'); END"
        )
        return
    # %% because the driver reads a lone % as a parameter placeholder.
    conn.exec_driver_sql(
        """
        CREATE FUNCTION sotchart_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '%%', TG_ARGV[0]; END $$
        """
    )
    for table in NO_DELETE:
        conn.exec_driver_sql(
            f"CREATE TRIGGER guard_{table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION sotchart_refuse('clinical rows are never deleted: mark {table} entered-in-error')"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER guard_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "EXECUTE FUNCTION sotchart_refuse('clinical rows are never deleted')"
        )
    install_audit_guards(conn)
    conn.exec_driver_sql(
        "CREATE TRIGGER guard_visit_signed BEFORE UPDATE ON visit FOR EACH ROW WHEN ("
        + _SIGNED_NOTE_CHANGED
        + ") EXECUTE FUNCTION sotchart_refuse('a signed note never changes: record an amendment')"
    )


def install_audit_guards(conn: Connection) -> None:
    """The audit log only grows (on PostgreSQL, after install_guards has made sotchart_refuse)."""
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER guard_audit_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        return
    conn.exec_driver_sql(
        "CREATE TRIGGER guard_audit_append_only BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW "
        "EXECUTE FUNCTION sotchart_refuse('the audit log is append-only')"
    )


def remove_audit_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS guard_audit_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS guard_audit_no_delete")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS guard_audit_append_only ON audit_event")


def remove_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in NO_DELETE:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS guard_{table}_no_delete")
        for name in ("guard_audit_no_update", "guard_audit_no_delete", "guard_visit_signed"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS sotchart_refuse() CASCADE")


# Revision 0002: revisions and signed findings only grow; an amendment (a newer revision) may move a
# signed visit's current note forward, while the signed revision itself stays as it was.
APPEND_ONLY_0002 = ("visit_revision", "visit_finding")
_SIGNED_NOTE_CHANGED_0002 = _SIGNED_NOTE_CHANGED + " AND NOT (NEW.status = 'amended' AND NEW.revision > OLD.revision)"


def install_guards_0002(conn: Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    for table in APPEND_ONLY_0002:
        append_only(conn, table)
    if sqlite:
        conn.exec_driver_sql("DROP TRIGGER guard_visit_signed")
        conn.exec_driver_sql(
            "CREATE TRIGGER guard_visit_signed BEFORE UPDATE ON visit WHEN "
            + _SIGNED_NOTE_CHANGED_0002.replace("IS DISTINCT FROM", "IS NOT")
            + " BEGIN SELECT RAISE(ABORT, 'a signed note never changes: record an amendment'); END"
        )
    else:
        conn.exec_driver_sql("DROP TRIGGER guard_visit_signed ON visit")
        conn.exec_driver_sql(
            "CREATE TRIGGER guard_visit_signed BEFORE UPDATE ON visit FOR EACH ROW WHEN ("
            + _SIGNED_NOTE_CHANGED_0002
            + ") EXECUTE FUNCTION sotchart_refuse('a signed note never changes: record an amendment')"
        )


def remove_guards_0002(conn: Connection) -> None:
    for table in APPEND_ONLY_0002:
        drop_append_only(conn, table)


def append_only(conn: Connection, table: str) -> None:
    """Refuse UPDATE and DELETE on a table whose rows are clinical history."""
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER guard_{table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows never change: clinical history is kept'); END"
            )
        return
    conn.exec_driver_sql(
        f"CREATE TRIGGER guard_{table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION sotchart_refuse('{table} rows never change: clinical history is kept')"
    )


def drop_append_only(conn: Connection, table: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS guard_{table}_no_update")
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS guard_{table}_no_delete")
    else:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS guard_{table}_append_only ON {table}")
