"""The anchor file under many writers at once: appends side by side, cut back to each chain's newest line
when it grows, never failing a writer and never losing a chain's newest seal. (Two writers once cut it
back at the same moment through one temporary file, and the second's rename failed after its commit.)"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sotchart.store import audit_anchor
from sotchart.store.audit_anchor import AnchorFile


def test_writers_at_once_past_the_cut_back_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_anchor, "MAX_BYTES", 1500)  # cut back every dozen lines or so
    anchor = AnchorFile(tmp_path / "audit-anchor", b"k" * 32)
    errors: list[BaseException] = []

    def writer(chain: int) -> None:
        try:
            for seq in range(1, 301):
                anchor.record({chain: (seq, f"{chain:02d}{seq:062d}"), 0: (chain * 1000 + seq, "0" * 64)})
        except BaseException as err:  # handed to the test's thread
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(c,)) for c in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    reading = anchor.read()
    assert not reading.problem
    assert {c: a.seq for c, a in reading.anchors.items() if c} == dict.fromkeys(range(1, 7), 300)
    assert reading.anchors[0].seq == 6300
    assert (tmp_path / "audit-anchor").stat().st_size <= 1500 + 6 * 2 * 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit-anchor", "audit-anchor.lock"]
