"""Checking the audit log's chain, and reading a patient's access history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sotchart.domain.audit import AuditEntry, ChainBreak, verify_chain
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import audit as audit_store


def verify(app: App, actor: Actor) -> tuple[ChainBreak | None, int]:
    """The first break in the chain (or None) and the number of entries checked: the hash chain, the seals
    with the key, the checkpoint in the database and the anchor outside it."""
    reading = app.db.audit_anchor.read() if app.db.audit_anchor else None
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        head_seq, head_hash = audit_store.head(u.conn)
        n = 0

        def counted() -> Iterator[Any]:
            nonlocal n
            for e in audit_store.iter_entries(u.conn):
                n += 1
                yield e

        if reading is not None and reading.problem:
            return ChainBreak(0, reading.problem + " (the anchor was altered)"), 0
        head_mac = audit_store.head_mac(u.conn)
        result = verify_chain(
            counted(),
            head_seq,
            head_hash,
            key=app.db.audit_key,
            head_mac=head_mac,
            anchor=reading.anchor if reading else None,
        )
        if result is None and reading is not None and reading.anchor is None and head_seq:
            # Every commit that audits writes the anchor, so a log with entries and no anchor has lost it.
            # Even when no entry carries a seal: a log stripped of its seals looks like one from before
            # sealing began, and only the anchor tells them apart (after an upgrade, the first write makes it).
            path = app.db.audit_anchor.path if app.db.audit_anchor else "?"
            result = ChainBreak(
                head_seq,
                f"the anchor file {path} is missing, so nothing shows the newest entries are all there or that "
                "their seals were not stripped (restore the file from a backup of the anchor, or investigate who "
                "removed it; just after upgrading from a version before sealing, any change made in sotchart "
                "writes it)",
            )
    return result, n


def patient_trail(app: App, actor: Actor, patient_id: int, limit: int = 50) -> list[AuditEntry]:
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        return audit_store.for_patient(u.conn, patient_id, limit)
