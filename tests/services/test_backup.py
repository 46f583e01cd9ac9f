"""Backup while the clinic keeps writing; restore verifies first and gives identical row counts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from sotchart.domain.errors import InvalidInput
from sotchart.services import audit, backup, patients
from sotchart.services.context import Actor, App
from sotchart.store import Database, migrate
from sotchart.store import audit as audit_store
from sotchart.store import backup as backup_store
from tests import factories
from tests.conftest import make_settings
from tests.support import cli


def _counts(db: Database) -> dict[str, int]:
    with db.transaction() as conn:
        return backup_store.row_counts(conn)


@pytest.mark.slow
def test_backup_during_writes_then_restore(fresh_app: App, db_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(fresh_app)
    for i in range(20):
        factories.patient(fresh_app, c, family_name=f"Before{i}")
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            p = factories.patient(fresh_app, c, family_name=f"During{i}")
            patients.open_chart(fresh_app, c.actor("clinician"), p.id)
            written.append(p.id)

    t = threading.Thread(target=keep_writing)
    t.start()
    try:
        dest = tmp_path / "clinic.backup"
        r = cli.run(fresh_app, "backup", str(dest))
        assert r.returncode == 0, r.stderr
    finally:
        stop.set()
        t.join()
    assert written, "the writer made no writes while the backup ran"
    copy = Database(f"sqlite:///{dest}")
    backed_up = _counts(copy)
    copy.dispose()
    assert backed_up["patient"] >= 20

    # Restore into a new, empty database of the same kind.
    target_url = db_factory.new_migrated()
    restored = cli.run(fresh_app, "restore", str(dest), SOTCHART_DATABASE_URL=target_url)
    assert restored.returncode == 0, restored.stderr
    target = Database(target_url)
    try:
        after = _counts(target)
        # The restore's own audit event is the only row added on top of the copy.
        assert after == {**backed_up, "audit_event": backed_up["audit_event"] + 1}
    finally:
        target.dispose()
    assert cli.run(fresh_app, "audit", "verify", SOTCHART_DATABASE_URL=target_url).returncode == 0
    # New rows after a restore get new ids (PostgreSQL's sequences were moved past the copied ids).
    restored_app = App.from_settings(fresh_app.settings.model_copy(update={"database_url": target_url}))
    try:
        factories.patient(restored_app, c, family_name="Afterrestore")
    finally:
        restored_app.close()


def test_damaged_or_tampered_backup_is_refused_and_nothing_changes(fresh_app: App, tmp_path: Path) -> None:
    c = factories.clinic_with_staff(fresh_app)
    factories.patient(fresh_app, c)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    before = _counts(fresh_app.db)
    with pytest.raises(InvalidInput, match=r"damaged|not a sotchart"):
        backup.restore(fresh_app, Actor.console(), junk)
    good = tmp_path / "good.backup"
    backup.backup(fresh_app, Actor.console(), good)
    before = _counts(fresh_app.db)  # the backup itself is an audited event
    tampered = Database(f"sqlite:///{good}")
    with tampered.transaction() as conn:
        conn.execute(text("DROP TRIGGER guard_audit_no_update"))
        conn.execute(text("UPDATE audit_event SET detail = 'rewritten' WHERE seq = 2"))
    tampered.dispose()
    with pytest.raises(InvalidInput, match="audit log is broken at entry 2"):
        backup.restore(fresh_app, Actor.console(), good)
    assert _counts(fresh_app.db) == before


def test_backup_never_overwrites(fresh_app: App, tmp_path: Path) -> None:
    factories.clinic_with_staff(fresh_app)
    dest = tmp_path / "once.backup"
    backup.backup(fresh_app, Actor.console(), dest)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("once")] == ["once.backup"]  # nothing beside it
    r = cli.run(fresh_app, "backup", str(dest))
    assert r.returncode == 1 and "already exists" in r.stderr


def test_restore_checks_the_right_before_touching_the_database(fresh_app: App, tmp_path: Path) -> None:
    # A clinician may not restore: the refusal comes before the database is replaced, and is audited.
    from sotchart.domain.errors import Forbidden

    c = factories.clinic_with_staff(fresh_app)
    good = tmp_path / "good.backup"
    backup.backup(fresh_app, Actor.console(), good)
    factories.patient(fresh_app, c, family_name="Afterthebackup")
    before = _counts(fresh_app.db)
    with pytest.raises(Forbidden):
        backup.restore(fresh_app, c.actor("clinician"), good)
    after = _counts(fresh_app.db)
    assert after["patient"] == before["patient"] and after["audit_event"] == before["audit_event"] + 1


def test_a_copy_pages_through_a_chain_longer_than_a_page(fresh_app: App, tmp_path: Path) -> None:
    """The audit log is keyed by chain and seq: a copy that paged by the chain alone kept one page of each
    chain. Copied a few rows at a time, every entry of every chain arrives and the copy verifies."""
    c = factories.clinic_with_staff(fresh_app)
    p = factories.patient(fresh_app, c)
    for _ in range(5):
        patients.open_chart(fresh_app, c.actor("clinician"), p.id)
    target = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        migrate.upgrade(target)
        with fresh_app.db.read() as src, target.transaction() as dst:
            backup_store.copy_rows(src, dst, batch=3)
        assert _counts(target) == _counts(fresh_app.db)
        with target.read() as conn:
            assert len(list(audit_store.iter_entries(conn, c.id))) > 3
    finally:
        target.dispose()
    restored = App.from_settings(make_settings(f"sqlite:///{tmp_path / 'copy.db'}", fresh_app.settings.data_dir))
    try:
        assert audit.verify(restored, Actor.console())[0] is None
    finally:
        restored.close()
