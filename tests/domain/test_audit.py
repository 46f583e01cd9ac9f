"""The hash chain catches every kind of tampering, and accepts an untouched log."""

from dataclasses import replace

from sotchart.domain.audit import GENESIS, AuditEntry, entry_hash, hashed_fields, verify_chain


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
