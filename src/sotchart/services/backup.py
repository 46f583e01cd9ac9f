"""Backing up the whole database while it is in use, and restoring a verified copy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sotchart.domain.audit import ChainBreak, chain_name, verify_chains
from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import Database, migrate
from sotchart.store import audit as audit_store
from sotchart.store import backup as backup_store
from sotchart.store.backup import Progress


@dataclass(frozen=True)
class BackupReport:
    path: Path
    row_counts: dict[str, int]
    audit_entries: int


def _verify_copy(path: Path, key: bytes | None) -> tuple[dict[str, int], int]:
    """Refuse a copy that is damaged, from a newer sotchart, or whose audit log is broken or not sealed with
    this installation's key (a forged backup, or one from another installation)."""
    if not path.is_file():
        raise InvalidInput(f"No backup file at {path}. Give the path of a file made by `sotchart backup`.")
    ok, message = backup_store.integrity_ok(path)
    if not ok:
        raise InvalidInput(f"The backup {path} is damaged: {message}. Nothing was changed.")
    copy = Database(f"sqlite:///{path}")
    try:
        current = migrate.current_revision(copy)
        if current is None:
            raise InvalidInput(f"{path} is not a sotchart backup (no schema version). Nothing was changed.")
        if current != migrate.head_revision():
            raise InvalidInput(
                f"{path} has schema {current}, this sotchart expects {migrate.head_revision()}. "
                "Restore with the sotchart version that made it. Nothing was changed."
            )
        with copy.engine.connect() as conn:
            heads = audit_store.heads(conn)
            entries = {c: list(audit_store.iter_entries(conn, c)) for c in audit_store.chains(conn, heads)}
            brk: ChainBreak | None = verify_chains(
                ((c, iter(es), heads.get(c)) for c, es in entries.items()), key=key, newest_sealed=True
            )
            counts = backup_store.row_counts(conn)
    finally:
        copy.dispose()
    if brk:
        hint = (
            " If the backup is sound, it was sealed with another key: give this installation the "
            "SOTCHART_SECRET_KEY of the one that made it."
            if "seal" in brk.reason
            else ""
        )
        raise InvalidInput(
            f"The backup's audit log is broken at {brk.where()}: {brk.reason}. Nothing was changed.{hint}"
        )
    return counts, sum(len(es) for es in entries.values())


def backup(app: App, actor: Actor, dest: Path, progress: Progress | None = None) -> BackupReport:
    dest = dest.resolve()
    if dest.exists():
        raise Conflict(f"{dest} already exists. Choose a new file name; backups are never overwritten.")
    if not dest.parent.is_dir():
        raise InvalidInput(f"The folder {dest.parent} does not exist. Create it or choose another path.")
    with unit(app, actor, Action.BACKUP, "database") as u:
        u.audit("backup", "database", "", detail=f"to {dest.name}")
    tmp = dest.with_name(dest.name + ".partial")
    try:
        if app.db.is_sqlite:
            backup_store.sqlite_online_copy(app.db, tmp)
        else:
            target = Database(f"sqlite:///{tmp}")
            try:
                migrate.upgrade(target)
                src = app.db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
                try:
                    with src.begin(), target.transaction() as dst:
                        backup_store.copy_rows(src, dst, progress)
                finally:
                    src.close()
            finally:
                target.dispose()
        counts, n_audit = _verify_copy(tmp, app.db.audit_key)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.writer").unlink(missing_ok=True)  # the copy's own writer lock, used by this process alone
    return BackupReport(dest, counts, n_audit)


def restore(app: App, actor: Actor, source: Path, progress: Progress | None = None) -> BackupReport:
    """Verify first; then SQLite is overwritten in place (its old content kept beside it), and PostgreSQL
    is filled only when empty, so a restore never mixes two databases' rows."""
    source = source.resolve()
    # The right to restore is checked (and a refusal audited) before anything of the database is touched.
    with unit(app, actor, Action.BACKUP, "database"):
        pass
    counts, n_audit = _verify_copy(source, app.db.audit_key)
    migrate.upgrade(app.db)
    if app.db.is_sqlite:
        keep = Path(str(app.db.url.database) + ".before-restore-" + datetime.now().strftime("%Y%m%d%H%M%S"))  # noqa: DTZ005 - a local file name
        backup_store.sqlite_online_copy(app.db, keep)
        backup_store.sqlite_online_restore(source, app.db)
    else:
        with app.db.transaction() as conn:
            existing = backup_store.row_counts(conn)
        if any(existing.values()):
            raise Conflict(
                "The PostgreSQL database already holds records. Restore into a new, empty database "
                "(create it, point SOTCHART_DATABASE_URL at it, run `sotchart db upgrade`). Nothing was changed."
            )
        copy = Database(f"sqlite:///{source}")
        try:
            with copy.engine.connect() as src, app.db.transaction() as dst:
                backup_store.copy_rows(src, dst, progress)
                backup_store.reset_sequences(dst)
        finally:
            copy.dispose()
    # The anchor now follows the restored log; the restore's own entry says where it stood before.
    before = app.db.audit_anchor.read().anchors if app.db.audit_anchor else {}
    with app.db.read() as conn:
        heads = audit_store.heads(conn)
    if app.db.audit_anchor is not None:
        app.db.audit_anchor.reset({c: (h.seq, h.mac) for c, h in heads.items() if h.mac})
    with unit(app, actor, Action.BACKUP, "database") as u:
        stood = ", ".join(f"{chain_name(c)} at entry {a.seq}" for c, a in sorted(before.items()))
        was = f"; the log stood with {stood} before" if stood else ""
        u.audit("restore", "database", "", detail=f"from {source.name}{was}")
    return BackupReport(source, counts, n_audit)
