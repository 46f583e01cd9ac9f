"""The hash chain catches every kind of tampering, and accepts an untouched log."""

from dataclasses import replace

from sotchart.domain.audit import (
    GENESIS,
    Anchor,
    AuditEntry,
    ChainBreak,
    Head,
    entry_hash,
    hashed_fields,
    verify_chain,
    verify_chains,
)


def chain(n: int) -> list[AuditEntry]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        e = AuditEntry(
            i,
            f"2026-01-01T00:00:{i:02d}+00:00",
            1,
            2,
            "a@b.test",
            "patient.read",
            "patient",
            str(i),
            i,
            "success",
            "127.0.0.1",
            "",
            prev,
            "",
        )
        e = replace(e, hash=entry_hash(prev, hashed_fields(e)))
        out.append(e)
        prev = e.hash
    return out


def test_intact_chain_verifies() -> None:
    c = chain(5)
    assert verify_chain(c, 5, c[-1].hash) is None


def test_edit_is_caught_at_the_edited_entry() -> None:
    c = chain(5)
    c[2] = replace(c[2], actor_label="someone-else")
    brk = verify_chain(c, 5, c[-1].hash)
    assert brk is not None and brk.seq == 3 and "edited" in brk.reason


def test_deletion_in_the_middle_is_caught() -> None:
    c = chain(5)
    del c[1]
    brk = verify_chain(c, 5, c[-1].hash)
    assert brk is not None and brk.seq == 2


def test_cutting_off_the_newest_entries_is_caught_by_the_checkpoint() -> None:
    c = chain(5)
    brk = verify_chain(c[:3], 5, c[-1].hash)
    assert brk is not None and "checkpoint" in brk.reason


def test_reorder_is_caught() -> None:
    c = chain(5)
    c[1], c[2] = replace(c[2], seq=2), replace(c[1], seq=3)
    brk = verify_chain(c, 5, c[-1].hash)
    assert brk is not None and brk.seq == 2


def test_inserted_entry_is_caught() -> None:
    c = chain(5)
    forged = replace(c[1], detail="forged")
    c.insert(2, forged)
    c = [replace(e, seq=i + 1) for i, e in enumerate(c)]
    brk = verify_chain(c, 6, c[-1].hash)
    assert brk is not None and brk.seq <= 3


def _head(c: list[AuditEntry]) -> Head:
    return Head(c[-1].seq, c[-1].hash, c[-1].mac)


def test_each_chain_is_checked_and_a_break_names_its_chain() -> None:
    clinic_one, shared = chain(4), [replace(e, clinic_id=None) for e in chain(3)]
    assert verify_chains([(0, shared, None), (1, clinic_one, _head(clinic_one))]) is not None  # shared: no head
    shared = chain(3)  # entries of clinic 1 written before the split: the shared chain holds any clinic's
    assert verify_chains([(0, shared, _head(shared)), (1, clinic_one, _head(clinic_one))]) is None
    edited = [*clinic_one[:2], replace(clinic_one[2], detail="x"), clinic_one[3]]
    brk = verify_chains([(0, shared, _head(shared)), (1, edited, _head(clinic_one))])
    assert brk is not None and (brk.chain, brk.seq) == (1, 3) and brk.where() == "entry 3 of clinic 1's chain"


def test_an_entry_of_another_clinic_in_a_clinics_chain_is_a_break() -> None:
    c = chain(3)  # entries of clinic 1
    brk = verify_chains([(2, c, _head(c))])
    assert brk is not None and brk.chain == 2 and brk.seq == 1 and "another clinic's chain" in brk.reason


def test_the_anchor_names_every_chain_and_every_chain_is_anchored() -> None:
    c = chain(3)
    anchored = {1: Anchor(3, "m")}
    assert verify_chains([(1, c, _head(c))], anchors={**anchored, 7: Anchor(2, "m")}) == ChainBreak(
        1,
        "the log holds no such chain but the anchor outside the database records 2 entries of it (log deleted)",
        7,
    )
    unanchored = verify_chains([(1, c, _head(c))], anchors={})
    assert unanchored is not None and unanchored.chain == 1 and "records nothing of this chain" in unanchored.reason
    assert verify_chains([(1, c, _head(c))], anchors=anchored) is None
