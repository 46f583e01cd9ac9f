"""The audit log's anchor: each chain's newest (seq, seal) written to a file outside the database after every
commit that added audit entries. A seal shows an entry was not forged; only something outside the database
can show that the newest entries were not cut off, or the whole log swapped for an older one.

Each line is `chain seq seal tag`, the tag an HMAC of the line with the audit key, so the file cannot be
extended by hand either (a line of three fields, from before the log had a chain per clinic, is chain 0's).
A commit's lines are appended in one write, so two workers' lines never interleave, and the file is cut back
to each chain's newest line once it passes MAX_BYTES."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sotchart.domain.audit import Anchor

MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class AnchorReading:
    anchors: dict[int, Anchor]  # chain -> its newest anchored entry
    problem: str = ""  # the file is there but something in it is not the anchor's own writing
    present: bool = True  # False when there is no anchor file at all


class AnchorFile:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def _tag(self, chain: int | None, seq: int, mac: str) -> str:
        body = f"anchor:{seq}:{mac}" if chain is None else f"anchor:{chain}:{seq}:{mac}"
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def _lines(self, newest: dict[int, tuple[int, str]]) -> bytes:
        return "".join(
            f"{chain} {seq} {mac} {self._tag(chain, seq, mac)}\n" for chain, (seq, mac) in sorted(newest.items())
        ).encode("ascii")

    def record(self, newest: dict[int, tuple[int, str]]) -> None:
        """Append the newest seal of each chain the commit wrote to. Not fsynced: the database is, and an
        anchor a moment behind the database after a power cut is harmless (a chain ahead of its anchor is
        not a break)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked(fcntl.LOCK_SH):  # appends go side by side; a cut-back waits for them
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, self._lines(newest))
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
        if size > MAX_BYTES:
            with self._locked(fcntl.LOCK_EX):
                # Another writer may have cut it back while this one waited.
                if self.path.stat().st_size > MAX_BYTES:
                    reading = self.read()
                    if not reading.problem:
                        self._replace({c: (a.seq, a.mac) for c, a in reading.anchors.items()})

    def reset(self, newest: dict[int, tuple[int, str]]) -> None:
        """Replace the file by one line per chain (after a restore)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked(fcntl.LOCK_EX):
            self._replace(newest)

    def _replace(self, newest: dict[int, tuple[int, str]]) -> None:
        """Written beside the file under a name of this writer's own, then renamed over it."""
        tmp = self.path.with_name(f"{self.path.name}.new-{os.getpid()}-{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, self._lines(newest))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    @contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        """Shared for appending, exclusive for cutting the file back: a line appended between a cut-back's
        read and its rename would be lost (every process and thread has its own lock on the lock file)."""
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)  # closing lets the lock go

    def read(self) -> AnchorReading:
        """Each chain's newest anchored entry, or why the file cannot be trusted."""
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return AnchorReading({}, present=False)
        except (OSError, UnicodeDecodeError) as e:
            return AnchorReading({}, f"the anchor file {self.path} cannot be read ({e})")
        newest: dict[int, Anchor] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            parts = line.split()
            if len(parts) == 3:
                parts = ["", *parts]
            if len(parts) != 4 or not parts[1].isdigit() or not (parts[0] == "" or parts[0].isdigit()):
                return AnchorReading({}, f"line {n} of the anchor file {self.path} is not an anchor line")
            chain, seq, mac, tag = int(parts[0] or 0), int(parts[1]), parts[2], parts[3]
            if not hmac.compare_digest(self._tag(chain if parts[0] else None, seq, mac), tag):
                return AnchorReading({}, f"line {n} of the anchor file {self.path} was not written with the key")
            if chain not in newest or seq > newest[chain].seq:
                newest[chain] = Anchor(seq, mac)
        return AnchorReading(newest)


def merged(readings: list[AnchorReading]) -> AnchorReading:
    """Several servers' anchors as one: each chain's newest entry any of them recorded. A group's servers
    each keep their own file (appends from several machines to one shared file could interleave)."""
    problems = [r.problem for r in readings if r.problem]
    if problems:
        return AnchorReading({}, problems[0])
    newest: dict[int, Anchor] = {}
    for r in readings:
        for chain, a in r.anchors.items():
            if chain not in newest or a.seq > newest[chain].seq:
                newest[chain] = a
    return AnchorReading(newest, present=any(r.present for r in readings))
