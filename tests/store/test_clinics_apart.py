"""Writers of different clinics do not take turns at a shared row: each clinic's audit entries go to its
own chain, and a signing marks its months changed by inserting a row, not by updating a shared counter.
On PostgreSQL, a transaction holding one clinic's chain lets another clinic's writer through; on SQLite
every writer of the one file takes its turn anyway (the writer queue), and the test shows that too."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from alembic import command
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text

from sotchart.domain.audit import GENESIS, chain_of, entry_hash, entry_mac
from sotchart.services import audit, patients
from sotchart.services.audit_writer import event
from sotchart.services.context import Actor, App
from sotchart.store import audit as audit_store
from sotchart.store import migrate, rollups
from tests import factories

# audit_event as revision 0014 had it: one chain, its entries numbered by seq alone.
audit_event_0014 = Table(
    "audit_event",
    MetaData(),
    *(Column(n, Integer) for n in ("seq", "clinic_id", "actor_id", "patient_id")),
    *(Column(n, String) for n in ("at", "actor_label", "action", "record_type", "record_id", "outcome")),
    *(Column(n, String) for n in ("address", "detail", "prev_hash", "hash", "mac")),
)


def _entry(app: App, clinic_id: int) -> dict[str, object]:
    return event(
        at=app.clock(),
        clinic_id=clinic_id,
        actor_id=None,
        actor_label="test",
        action="test.write",
        record_type="test",
        record_id="1",
        patient_id=None,
        outcome="success",
        address="127.0.0.1",
        detail="",
    )


def test_each_clinics_entries_go_to_its_own_chain(fresh_app: App) -> None:
    one, two = factories.clinic_with_staff(fresh_app), factories.clinic_with_staff(fresh_app)
    for c in (one, two, one):
        p = factories.patient(fresh_app, c)
        patients.open_chart(fresh_app, c.actor("clinician"), p.id)
    with fresh_app.db.read() as conn:
        heads = audit_store.heads(conn)
        by_chain = {ch: list(audit_store.iter_entries(conn, ch)) for ch in audit_store.chains(conn, heads)}
    assert set(heads) == {0, one.id, two.id}
    assert {e.clinic_id for e in by_chain[one.id]} == {one.id} and {e.clinic_id for e in by_chain[two.id]} == {two.id}
    assert [e.seq for e in by_chain[one.id]] == list(range(1, len(by_chain[one.id]) + 1))
    assert all(e.clinic_id is None for e in by_chain[0])  # the clinics' creation, by the console
    assert fresh_app.db.audit_anchor is not None
    anchored = fresh_app.db.audit_anchor.read().anchors
    assert {c: a.seq for c, a in anchored.items()} == {c: h.seq for c, h in heads.items()}
    assert audit.verify(fresh_app, Actor.console()) == (None, sum(len(es) for es in by_chain.values()))


def test_a_clinics_writer_does_not_wait_for_another_clinics(fresh_app: App) -> None:
    one, two = factories.clinic_with_staff(fresh_app), factories.clinic_with_staff(fresh_app)
    month = "2026-12"
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def clinic_one_signing() -> None:
        try:
            with fresh_app.db.transaction() as conn:
                audit_store.append_all(conn, [_entry(fresh_app, one.id)])
                rollups.mark_changed(conn, one.id, [month])
                holding.set()
                release.wait(10)
        except BaseException as err:  # handed to the test's thread
            errors.append(err)
            holding.set()

    first = threading.Thread(target=clinic_one_signing)
    first.start()
    assert holding.wait(10)
    if fresh_app.db.is_sqlite:
        threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with fresh_app.db.transaction() as conn:
        if not fresh_app.db.is_sqlite:
            conn.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting at all would fail, not hang
        audit_store.append_all(conn, [_entry(fresh_app, two.id)])
        rollups.mark_changed(conn, two.id, [month])
        rollups.mark_changed(conn, one.id, [month])  # the same clinic and month as the open transaction
    waited = time.monotonic() - started
    release.set()
    first.join(10)
    assert not errors, errors
    if fresh_app.db.is_sqlite:
        assert waited >= 0.4  # one writer at a time in the one file, whatever the clinic
    else:
        assert waited < 1.0  # went through while clinic one's chain head and month were held
    with fresh_app.db.read() as conn:
        heads = audit_store.heads(conn)
        assert rollups.stale_months(conn, one.id, [month]) == [month]
    assert heads[chain_of(one.id)].seq > 0 and heads[chain_of(two.id)].seq > 0
    assert audit.verify(fresh_app, Actor.console())[0] is None


def test_a_log_of_one_chain_upgrades_to_chains_per_clinic(fresh_app: App) -> None:
    """The log as sotchart wrote it before chains per clinic (one chain, its head row 1, a three-field
    anchor line) becomes the shared chain, still verifying; new entries go to the clinics' own chains."""
    app = fresh_app
    assert app.db.audit_key is not None and app.db.audit_anchor is not None
    cfg = migrate._config(app.db)
    command.downgrade(cfg, "0014")
    prev, mac = GENESIS, GENESIS
    with app.db.engine.begin() as conn:
        for seq in (1, 2, 3):
            fields = {**_entry(app, 1), "seq": seq, "at": f"2026-11-0{seq}T09:00:00.000000+00:00"}
            digest = entry_hash(prev, fields)
            mac = entry_mac(app.db.audit_key, mac, digest)
            conn.execute(insert(audit_event_0014).values(**fields, prev_hash=prev, hash=digest, mac=mac))
            prev = digest
        conn.execute(text("INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, 3, :h, :m)"), {"h": prev, "m": mac})
    tag = hmac.new(app.db.audit_key, f"anchor:3:{mac}".encode(), hashlib.sha256).hexdigest()[:32]
    app.db.audit_anchor.path.write_text(f"3 {mac} {tag}\n", encoding="ascii")
    command.upgrade(cfg, "head")
    assert audit.verify(app, Actor.console()) == (None, 3)
    c = factories.clinic_with_staff(app)
    factories.patient(app, c)
    brk, n = audit.verify(app, Actor.console())
    assert brk is None and n > 3
    with app.db.read() as conn:
        assert set(audit_store.heads(conn)) == {0, c.id}
        assert [e.seq for e in audit_store.iter_entries(conn, 0)][:3] == [1, 2, 3]
