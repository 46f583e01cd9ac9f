"""Whoever can write the database file, but not read the audit key, tries to rewrite the audit log unseen,
as each of the six attacks once got past `sotchart audit verify`: they know the hash algorithm, drop the
append-only triggers and recompute the hash chain, but they have no key. Each is caught and named."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from sotchart.domain.audit import GENESIS, AuditEntry, entry_hash, hashed_fields
from sotchart.domain.errors import InvalidInput
from sotchart.services import audit, backup, patients
from sotchart.services.context import Actor, App
from tests import factories
from tests.cli.test_audit_verify import _drop_guards
from tests.support import cli


def _clinic_chain(conn: Connection) -> int:
    """The clinic's own chain, where its staff's work is logged."""
    return int(conn.execute(text("SELECT max(chain) FROM audit_event")).scalar_one())


def _rows(conn: Connection, chain: int) -> list[dict[str, object]]:
    rows = conn.execute(text("SELECT * FROM audit_event WHERE chain = :c ORDER BY seq"), {"c": chain})
    return [dict(r._mapping) for r in rows]


def _rechain(conn: Connection, chain: int) -> None:
    """Recompute every entry's hash and link in the chain, and its checkpoint, as the public algorithm says;
    the seals are left as they were (computing them needs the key)."""
    prev = GENESIS
    rows = _rows(conn, chain)
    for r in rows:
        e = AuditEntry(**r)  # type: ignore[arg-type]
        digest = entry_hash(prev, hashed_fields(e))
        conn.execute(
            text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE chain = :c AND seq = :s"),
            {"p": prev, "h": digest, "c": chain, "s": e.seq},
        )
        prev = digest
    last = rows[-1] if rows else None
    conn.execute(
        text("UPDATE audit_head SET seq = :s, hash = :h, mac = :m WHERE id = :c"),
        {"s": last["seq"] if last else 0, "h": prev, "m": last["mac"] if last else None, "c": chain},
    )


def _cut_newest_and_move_the_checkpoint_back(conn: Connection) -> None:
    chain = _clinic_chain(conn)
    conn.execute(text("DELETE FROM audit_event WHERE chain = :c AND seq > 3"), {"c": chain})
    _rechain(conn, chain)


def _edit_and_recompute(conn: Connection) -> None:
    chain = _clinic_chain(conn)
    conn.execute(
        text("UPDATE audit_event SET actor_label = 'innocent@x.test' WHERE chain = :c AND seq = 2"), {"c": chain}
    )
    _rechain(conn, chain)


def _delete_a_patients_reads_and_renumber(conn: Connection) -> None:
    chain = _clinic_chain(conn)
    conn.execute(text("DELETE FROM audit_event WHERE action = 'patient.read'"))
    for n, r in enumerate(_rows(conn, chain), start=1):
        conn.execute(
            text("UPDATE audit_event SET seq = :n WHERE chain = :c AND seq = :s"), {"n": -n, "c": chain, "s": r["seq"]}
        )
    conn.execute(text("UPDATE audit_event SET seq = -seq WHERE chain = :c"), {"c": chain})
    _rechain(conn, chain)


def _append_a_forged_entry(conn: Connection) -> None:
    chain = _clinic_chain(conn)
    last = _rows(conn, chain)[-1]
    forged = {**last, "seq": int(last["seq"]) + 1, "detail": "forged", "mac": secrets.token_hex(32)}  # type: ignore[call-overload]
    conn.execute(
        text(
            "INSERT INTO audit_event (chain, seq, at, clinic_id, actor_id, actor_label, action, record_type, "
            "record_id, patient_id, outcome, address, detail, prev_hash, hash, mac) VALUES (:chain, :seq, :at, "
            ":clinic_id, :actor_id, :actor_label, :action, :record_type, :record_id, :patient_id, :outcome, "
            ":address, :detail, :prev_hash, :hash, :mac)"
        ),
        forged,
    )
    _rechain(conn, chain)


def _move_an_entry_to_another_clinics_chain(conn: Connection) -> None:
    """An entry of the clinic taken out of its chain and appended to the shared one, both chains recomputed."""
    chain = _clinic_chain(conn)
    moved = _rows(conn, chain)[-1]
    shared = _rows(conn, 0)
    conn.execute(
        text("UPDATE audit_event SET chain = 0, seq = :n WHERE chain = :c AND seq = :s"),
        {"n": int(shared[-1]["seq"]) + 1, "c": chain, "s": moved["seq"]},  # type: ignore[call-overload]
    )
    _rechain(conn, chain)
    _rechain(conn, 0)


def _delete_the_whole_log(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event"))
    conn.execute(text("DELETE FROM audit_head"))


ATTACKS: list[tuple[Callable[[Connection], None], str]] = [
    (_cut_newest_and_move_the_checkpoint_back, "newest entries cut off"),
    (_edit_and_recompute, "seal does not match"),
    (_delete_a_patients_reads_and_renumber, "seal does not match"),
    (_append_a_forged_entry, "seal does not match"),
    (_delete_the_whole_log, "log deleted"),
    (_move_an_entry_to_another_clinics_chain, "seal does not match"),
]


def _a_clinics_log(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    for _ in range(4):
        patients.open_chart(app, c.actor("clinician"), p.id)
    factories.patient(app, c)
    assert audit.verify(app, Actor.console())[0] is None


@contextmanager
def _as_the_file_holder(app: App) -> Iterator[Connection]:
    """A connection of the attacker's own: the database's URL, none of the application's keys."""
    engine = create_engine(app.db.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.mark.parametrize(("attack", "named"), ATTACKS, ids=[a.__name__.strip("_") for a, _ in ATTACKS])
def test_an_attack_on_the_log_is_caught(fresh_app: App, attack: Callable[[Connection], None], named: str) -> None:
    _a_clinics_log(fresh_app)
    with _as_the_file_holder(fresh_app) as conn:
        _drop_guards(conn)
        attack(conn)
    bad = cli.run(fresh_app, "audit", "verify")
    assert bad.returncode == 1, bad.stdout
    assert named in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_a_forged_backup_is_not_restored(fresh_app: App, tmp_path: Path) -> None:
    _a_clinics_log(fresh_app)
    copy = tmp_path / "backup.db"
    backup.backup(fresh_app, Actor.console(), copy)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        _drop_guards(conn)
        _edit_and_recompute(conn)
    engine.dispose()
    with pytest.raises(InvalidInput, match="seal does not match") as refused:
        backup.restore(fresh_app, Actor.console(), copy)
    assert "Nothing was changed" in str(refused.value)
    assert audit.verify(fresh_app, Actor.console())[0] is None


def test_an_edited_or_missing_anchor_is_reported(fresh_app: App) -> None:
    _a_clinics_log(fresh_app)
    anchor = fresh_app.settings.resolved_audit_anchor
    with anchor.open("a") as f:
        f.write(f"999999 {'0' * 64} {'0' * 32}\n")
    bad = cli.run(fresh_app, "audit", "verify")
    assert bad.returncode == 1 and "was not written with the key" in bad.stderr, bad.stderr
    assert "broken at its anchor" in bad.stderr
    # Another server's anchor that is not there is a mistake in the command, not a break in the log.
    wrong = cli.run(fresh_app, "audit", "verify", "--anchor", str(anchor) + ".elsewhere")
    assert wrong.returncode == 2 and "No anchor file at" in wrong.stderr and "Traceback" not in wrong.stderr
    anchor.unlink()
    gone = cli.run(fresh_app, "audit", "verify")
    assert gone.returncode == 1 and "anchor file" in gone.stderr and "missing" in gone.stderr, gone.stderr


def test_stripping_every_seal_and_deleting_the_anchor_is_reported(fresh_app: App) -> None:
    """The log made to look like one written before sealing began: every seal removed, the checkpoint's
    too, the hash chain intact, and the anchor file deleted. Only the missing anchor can show it."""
    _a_clinics_log(fresh_app)
    with _as_the_file_holder(fresh_app) as conn:
        _drop_guards(conn)
        conn.execute(text("UPDATE audit_event SET mac = NULL"))
        conn.execute(text("UPDATE audit_head SET mac = NULL"))
    fresh_app.settings.resolved_audit_anchor.unlink()
    stripped = cli.run(fresh_app, "audit", "verify")
    assert stripped.returncode == 1, stripped.stdout
    assert "anchor file" in stripped.stderr and "missing" in stripped.stderr, stripped.stderr
