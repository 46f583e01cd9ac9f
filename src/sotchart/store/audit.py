"""Appending to and reading the hash-chained audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, insert, select, text, update

from sotchart.domain.audit import GENESIS, AuditEntry, entry_hash, entry_mac
from sotchart.store.tables import audit_event, audit_head

# Keys in Connection.info, set by Database.transaction: the audit key, and where append leaves the newest
# (seq, seal) for the anchor written after the commit.
SEAL_KEY = "sotchart_audit_key"
NEWEST = "sotchart_audit_newest"


def append(
    conn: Connection,
    *,
    at: datetime,
    clinic_id: int | None,
    actor_id: int | None,
    actor_label: str,
    action: str,
    record_type: str,
    record_id: str,
    patient_id: int | None,
    outcome: str,
    address: str,
    detail: str = "",
) -> int:
    """Append one event inside the caller's transaction, so the event and the change commit together."""
    if conn.dialect.name == "postgresql":
        # Row lock on the head serialises appenders; SQLite's BEGIN IMMEDIATE already has.
        head = conn.execute(text("SELECT seq, hash, mac FROM audit_head WHERE id = 1 FOR UPDATE")).first()
    else:
        head = conn.execute(
            select(audit_head.c.seq, audit_head.c.hash, audit_head.c.mac).where(audit_head.c.id == 1)
        ).first()
    prev_seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
    prev_mac = (head[2] if head else None) or GENESIS
    fields: dict[str, object] = {
        "seq": prev_seq + 1,
        "at": at.isoformat(timespec="microseconds"),
        "clinic_id": clinic_id,
        "actor_id": actor_id,
        "actor_label": actor_label[:254],
        "action": action,
        "record_type": record_type,
        "record_id": record_id[:40],
        "patient_id": patient_id,
        "outcome": outcome,
        "address": address[:64],
        "detail": detail[:500],
    }
    digest = entry_hash(prev_hash, fields)
    key = conn.info.get(SEAL_KEY)
    mac = entry_mac(key, prev_mac, digest) if key else None
    conn.execute(insert(audit_event).values(**fields, prev_hash=prev_hash, hash=digest, mac=mac))
    if head:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=prev_seq + 1, hash=digest, mac=mac))
    else:
        conn.execute(insert(audit_head).values(id=1, seq=prev_seq + 1, hash=digest, mac=mac))
    newest = conn.info.get(NEWEST)
    if newest is not None and mac is not None:
        newest[:] = [prev_seq + 1, mac]
    return prev_seq + 1


def head(conn: Connection) -> tuple[int | None, str | None]:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return (row[0], row[1]) if row else (None, None)


def head_mac(conn: Connection) -> str | None:
    return conn.execute(select(audit_head.c.mac).where(audit_head.c.id == 1)).scalar()


def iter_entries(conn: Connection, batch: int = 5000) -> Iterator[AuditEntry]:
    """Every entry in stored order, fetched in batches so memory stays flat on a long log."""
    after = -1
    cols = [c for c in audit_event.c]
    while True:
        rows = conn.execute(
            select(*cols).where(audit_event.c.seq > after).order_by(audit_event.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield AuditEntry(**r._mapping)
        after = rows[-1].seq


def for_patient(conn: Connection, patient_id: int, limit: int = 50) -> list[AuditEntry]:
    rows = conn.execute(
        select(audit_event)
        .where(audit_event.c.patient_id == patient_id)
        .order_by(audit_event.c.seq.desc())
        .limit(limit)
    ).all()
    return [AuditEntry(**r._mapping) for r in rows]


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())
