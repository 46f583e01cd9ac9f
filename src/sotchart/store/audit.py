"""Appending to and reading the hash-chained audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update

from sotchart.domain.audit import GENESIS, AuditEntry, Head, chain_of, entry_hash, entry_mac
from sotchart.store.tables import audit_event, audit_head
from sotchart.store.types import dialect_insert

# Keys in Connection.info, set by Database.transaction: the audit key, and where append leaves each chain's
# newest (seq, seal) for the anchor written after the commit.
SEAL_KEY = "sotchart_audit_key"
NEWEST = "sotchart_audit_newest"


# Built once: appending is on the path of every write, and building a statement costs more than running it.
_HEAD = (
    select(audit_head.c.seq, audit_head.c.hash, audit_head.c.mac)
    .where(audit_head.c.id == bindparam("chain"))
    .with_for_update()
)
_INSERT = insert(audit_event)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == bindparam("chain"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), mac=bindparam("new_mac"))
)


def append_all(conn: Connection, events: Iterable[dict[str, Any]]) -> None:
    """Append events (audit_writer.event's dicts) in their order, inside the caller's transaction: each
    chain's head is taken once, its entries inserted together, and the head moved once."""
    by_chain: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        by_chain.setdefault(chain_of(e["clinic_id"]), []).append(e)
    key = conn.info.get(SEAL_KEY)
    newest = conn.info.get(NEWEST)
    for chain, chained in by_chain.items():
        head = _lock_head(conn, chain)
        seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
        prev_mac = (head[2] if head else None) or GENESIS
        mac: str | None = None
        rows = []
        for e in chained:
            seq += 1
            fields: dict[str, object] = {
                "seq": seq,
                "at": e["at"].isoformat(timespec="microseconds"),
                "clinic_id": e["clinic_id"],
                "actor_id": e["actor_id"],
                "actor_label": e["actor_label"][:254],
                "action": e["action"],
                "record_type": e["record_type"],
                "record_id": e["record_id"][:40],
                "patient_id": e["patient_id"],
                "outcome": e["outcome"],
                "address": e["address"][:64],
                "detail": e.get("detail", "")[:500],
            }
            digest = entry_hash(prev_hash, fields)
            mac = entry_mac(key, prev_mac, digest) if key else None
            rows.append({**fields, "chain": chain, "prev_hash": prev_hash, "hash": digest, "mac": mac})
            prev_hash, prev_mac = digest, mac or prev_mac
        conn.execute(_INSERT, rows)
        conn.execute(_MOVE_HEAD, {"chain": chain, "new_seq": seq, "new_hash": prev_hash, "new_mac": mac})
        if newest is not None and mac is not None:
            newest[chain] = (seq, mac)


def _lock_head(conn: Connection, chain: int) -> tuple[int, str, str | None] | None:
    """The chain's head, held until the commit (None for a chain's first entry, whose head row is made
    here). On PostgreSQL the row lock makes one clinic's appenders take turns while other clinics' go on;
    SQLite's BEGIN IMMEDIATE has already serialised every writer."""
    row = conn.execute(_HEAD, {"chain": chain}).first()
    if row is not None and row[0] > 0:
        return (row[0], row[1], row[2])
    if row is None:
        made = dialect_insert(conn)(audit_head).values(id=chain, seq=0, hash=GENESIS, mac=None)
        conn.execute(made.on_conflict_do_nothing(index_elements=["id"]))
        if conn.dialect.name == "postgresql":
            # Two first appenders of a new chain: the loser of the insert waits here for the winner's head.
            row = conn.execute(_HEAD, {"chain": chain}).first()
            if row is not None and row[0] > 0:
                return (row[0], row[1], row[2])
    return None


def heads(conn: Connection) -> dict[int, Head]:
    """Every chain's checkpoint (a chain made but never appended to has none)."""
    rows = conn.execute(select(audit_head.c.id, audit_head.c.seq, audit_head.c.hash, audit_head.c.mac)).all()
    return {r.id: Head(r.seq, r.hash, r.mac) for r in rows if r.seq > 0}


def chains(conn: Connection, known: dict[int, Head]) -> list[int]:
    """Every chain that has entries or one of the checkpoints `heads` read."""
    have = set(conn.execute(select(audit_event.c.chain).distinct()).scalars())
    return sorted(have | set(known))


def iter_entries(conn: Connection, chain: int | None = None, batch: int = 5000) -> Iterator[AuditEntry]:
    """A chain's entries in stored order (every chain's, one after another, without `chain`), fetched in
    batches so memory stays flat on a long log."""
    for c in [chain] if chain is not None else chains(conn, heads(conn)):
        after = -1
        cols = [col for col in audit_event.c]
        while True:
            rows = conn.execute(
                select(*cols)
                .where(audit_event.c.chain == c, audit_event.c.seq > after)
                .order_by(audit_event.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                break
            for r in rows:
                yield AuditEntry(**r._mapping)
            after = rows[-1].seq


def for_patient(conn: Connection, patient_id: int, limit: int = 50) -> list[AuditEntry]:
    rows = conn.execute(
        select(audit_event)
        .where(audit_event.c.patient_id == patient_id)
        .order_by(audit_event.c.at.desc(), audit_event.c.seq.desc())
        .limit(limit)
    ).all()
    return [AuditEntry(**r._mapping) for r in rows]


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())
