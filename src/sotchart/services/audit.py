"""Checking the audit log's chain, and reading a patient's access history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sotchart.domain.audit import AuditEntry, ChainBreak, verify_chain
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import audit as audit_store


def verify(app: App, actor: Actor) -> tuple[ChainBreak | None, int]:
    """The first break in the chain (or None) and the number of entries checked."""
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        head_seq, head_hash = audit_store.head(u.conn)
        n = 0

        def counted() -> Iterator[Any]:
            nonlocal n
            for e in audit_store.iter_entries(u.conn):
                n += 1
                yield e

        result = verify_chain(counted(), head_seq, head_hash)
    return result, n


def patient_trail(app: App, actor: Actor, patient_id: int, limit: int = 50) -> list[AuditEntry]:
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        return audit_store.for_patient(u.conn, patient_id, limit)
