"""The audit log's chain: how an entry is hashed and sealed, and how a chain is checked, as pure functions.

Two chains run side by side. The hash chain (SHA-256, no key) shows the order and content of the entries to
anyone. The seal is an HMAC-SHA256 over the previous seal and the entry's hash, with a key kept outside the
database: whoever can write the database file but not read the key can edit, forge or renumber entries
and recompute the hash chain, but cannot make the seals match. What a seal cannot show, that the newest
entries were cut off or the whole log replaced by an older one, the anchor shows: the newest (seq, seal)
written outside the database after every commit.

The log is split into chains, one per clinic, so that writers of different clinics never wait for one
another at the chain's head. Chain 0 holds what belongs to no clinic (sign-ins before a clinic is known,
the console's work), and every entry written before the log was split. Each chain is checked on its own, the
same way, and an entry of one clinic in another's chain is a break."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

GENESIS = "0" * 64
SHARED_CHAIN = 0


def chain_of(clinic_id: int | None) -> int:
    """The chain an entry of this clinic is appended to."""
    return clinic_id if clinic_id is not None else SHARED_CHAIN


def chain_name(chain: int) -> str:
    return f"clinic {chain}'s chain" if chain != SHARED_CHAIN else "the shared chain"


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
    mac: str | None = None  # the seal; None on entries written before the log was keyed
    chain: int = SHARED_CHAIN


def entry_mac(key: bytes, prev_mac: str, entry_hash: str) -> str:
    """The seal of an entry: HMAC-SHA256 over the previous seal and the entry's hash (which covers its
    fields and its link to the previous entry)."""
    return hmac.new(key, (prev_mac + entry_hash).encode("ascii"), hashlib.sha256).hexdigest()


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
    chain: int = SHARED_CHAIN

    def where(self) -> str:
        """Where the break is, as a message names it (seq 0: the anchor itself, before any entry)."""
        return f"entry {self.seq} of {chain_name(self.chain)}" if self.seq else "its anchor"


@dataclass(frozen=True)
class Head:
    """A chain's checkpoint in the database: its newest entry's number, hash and seal."""

    seq: int
    hash: str
    mac: str | None


@dataclass(frozen=True)
class Anchor:
    """The newest entry as recorded outside the database."""

    seq: int
    mac: str


def verify_chains(
    chains: Iterable[tuple[int, Iterable[AuditEntry], Head | None]],
    *,
    key: bytes | None = None,
    anchors: dict[int, Anchor] | None = None,
    newest_sealed: bool = False,
) -> ChainBreak | None:
    """The first break in any of the chains (each given with its entries in seq order and its checkpoint),
    or None. With `anchors` (what the file outside the database records, chain by chain), a chain the
    anchor names must be there, and a chain with entries must be named by the anchor: every commit that
    appends to a chain anchors it."""
    seen: set[int] = set()
    for chain, entries, head in chains:
        seen.add(chain)
        anchor = anchors.get(chain) if anchors is not None else None
        brk = verify_chain(
            entries,
            head.seq if head else None,
            head.hash if head else None,
            key=key,
            head_mac=head.mac if head else None,
            anchor=anchor,
            newest_sealed=newest_sealed,
            chain=chain,
        )
        if brk is not None:
            return brk
        if anchors is not None and anchor is None and head is not None and head.seq:
            return ChainBreak(
                head.seq,
                "the anchor outside the database records nothing of this chain, so nothing shows its newest "
                "entries are all there or that their seals were not stripped (newest entries or the anchor's "
                "line removed)",
                chain,
            )
    for chain, anchor in sorted((anchors or {}).items()):
        if chain not in seen:
            return ChainBreak(
                1,
                f"the log holds no such chain but the anchor outside the database records {anchor.seq} entries "
                "of it (log deleted)",
                chain,
            )
    return None


def verify_chain(
    entries: Iterable[AuditEntry],
    head_seq: int | None,
    head_hash: str | None,
    *,
    key: bytes | None = None,
    head_mac: str | None = None,
    anchor: Anchor | None = None,
    newest_sealed: bool = False,
    chain: int = SHARED_CHAIN,
) -> ChainBreak | None:
    """First entry where the chain breaks, or None. Entries must come in stored (seq) order.

    Editing an entry changes its hash; deleting or inserting one breaks the sequence or the link to the
    previous hash; reordering breaks the links. With the key, an entry whose seal does not match was
    edited, forged or renumbered by someone without the key, even if the hash chain was recomputed; once
    sealed entries begin, an unsealed one was added or stripped. The head checkpoint in the database, and
    the anchor outside it, show that the newest entries are all there. With `newest_sealed`, a log whose
    newest entry carries no seal is a break (a backup this version made audits itself first, so it is).
    """
    brk = _first_break(entries, head_seq, head_hash, key, head_mac, anchor, newest_sealed, chain)
    return replace(brk, chain=chain) if brk is not None else None


def _first_break(
    entries: Iterable[AuditEntry],
    head_seq: int | None,
    head_hash: str | None,
    key: bytes | None,
    head_mac: str | None,
    anchor: Anchor | None,
    newest_sealed: bool,
    chain: int,
) -> ChainBreak | None:
    prev_hash, prev_mac = GENESIS, GENESIS
    expected_seq = 1
    last_seq = 0
    sealed = False
    anchored_mac: str | None = None  # the seal of the entry the anchor names, as the log holds it
    for e in entries:
        if e.seq != expected_seq:
            return ChainBreak(
                expected_seq if e.seq > expected_seq else e.seq,
                f"entry {expected_seq} is missing or out of order (found {e.seq})",
            )
        if chain != SHARED_CHAIN and e.clinic_id != chain:
            return ChainBreak(e.seq, f"it is an entry of clinic {e.clinic_id} in another clinic's chain (moved)")
        if e.prev_hash != prev_hash:
            return ChainBreak(e.seq, "its link to the previous entry does not match (inserted, removed or reordered)")
        if entry_hash(prev_hash, hashed_fields(e)) != e.hash:
            return ChainBreak(e.seq, "its content does not match its hash (edited)")
        if key is not None:
            if e.mac is None and sealed:
                return ChainBreak(e.seq, "it has no seal although the entries before it do (forged or stripped)")
            if e.mac is not None:
                if not hmac.compare_digest(entry_mac(key, prev_mac, e.hash), e.mac):
                    return ChainBreak(
                        e.seq,
                        "its seal does not match: edited, forged or renumbered, and the hash chain recomputed, "
                        "by someone without the key",
                    )
                sealed, prev_mac = True, e.mac
                if anchor is not None and e.seq == anchor.seq:
                    anchored_mac = e.mac
        prev_hash = e.hash
        last_seq = e.seq
        expected_seq += 1
    if (head_seq or 0) != last_seq or (head_seq and head_hash != prev_hash):
        return ChainBreak(
            last_seq + 1 if (head_seq or 0) > last_seq else last_seq,
            f"the log ends at entry {last_seq} but the checkpoint says {head_seq or 0} "
            "(newest entries removed or checkpoint altered)",
        )
    if key is not None and newest_sealed and last_seq and not sealed:
        return ChainBreak(last_seq, "its newest entries carry no seal (not made by this installation)")
    if key is not None and sealed and head_mac != prev_mac:
        return ChainBreak(last_seq, "the checkpoint's seal does not match the newest entry (checkpoint altered)")
    if anchor is not None:
        if last_seq == 0:
            return ChainBreak(
                1, f"the log is empty but the anchor outside the database records {anchor.seq} entries (log deleted)"
            )
        if anchor.seq > last_seq:
            return ChainBreak(
                last_seq + 1,
                f"the log ends at entry {last_seq} but the anchor outside the database records entry {anchor.seq} "
                "(newest entries cut off and the checkpoint moved back)",
            )
        if key is not None and anchored_mac != anchor.mac:
            return ChainBreak(
                anchor.seq,
                "its seal differs from the one the anchor outside the database recorded (the log was replaced)",
            )
    return None
