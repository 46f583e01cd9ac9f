"""The audit log's hash chain: how an entry is hashed and how a chain is checked, as pure functions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str  # ISO 8601 with offset, as stored
    clinic_id: int | None
    actor_id: int | None
    actor_label: str
    action: str
    record_type: str
    record_id: str
    patient_id: int | None
    outcome: str
    address: str
    detail: str
    prev_hash: str
    hash: str


def entry_hash(prev_hash: str, fields: dict[str, object]) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry's fields (sorted keys, no spaces)."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def hashed_fields(e: AuditEntry) -> dict[str, object]:
    return {
        "seq": e.seq,
        "at": e.at,
        "clinic_id": e.clinic_id,
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "action": e.action,
        "record_type": e.record_type,
        "record_id": e.record_id,
        "patient_id": e.patient_id,
        "outcome": e.outcome,
        "address": e.address,
        "detail": e.detail,
    }


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(entries: Iterable[AuditEntry], head_seq: int | None, head_hash: str | None) -> ChainBreak | None:
    """First entry where the chain breaks, or None. Entries must come in stored (seq) order.

    Editing an entry changes its hash; deleting or inserting one breaks the sequence or the link
    to the previous hash; reordering breaks the links; deleting the newest entries is caught by
    the head checkpoint that every append updates in the same transaction.
    """
    prev_hash = GENESIS
    expected_seq = 1
    last_seq = 0
    for e in entries:
        if e.seq != expected_seq:
            return ChainBreak(
                expected_seq if e.seq > expected_seq else e.seq,
                f"entry {expected_seq} is missing or out of order (found {e.seq})",
            )
        if e.prev_hash != prev_hash:
            return ChainBreak(e.seq, "its link to the previous entry does not match (inserted, removed or reordered)")
        if entry_hash(prev_hash, hashed_fields(e)) != e.hash:
            return ChainBreak(e.seq, "its content does not match its hash (edited)")
        prev_hash = e.hash
        last_seq = e.seq
        expected_seq += 1
    if (head_seq or 0) != last_seq or (head_seq and head_hash != prev_hash):
        return ChainBreak(
            last_seq + 1 if (head_seq or 0) > last_seq else last_seq,
            f"the log ends at entry {last_seq} but the checkpoint says {head_seq or 0} "
            "(newest entries removed or checkpoint altered)",
        )
    return None
