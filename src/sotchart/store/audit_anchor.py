"""The audit log's anchor: the newest (seq, seal) written to a file outside the database after every commit
that added audit entries. A seal shows an entry was not forged; only something outside the database can
show that the newest entries were not cut off, or the whole log swapped for an older one.

Each line is `seq seal tag`, the tag an HMAC of the line with the audit key, so the file cannot be
extended by hand either. Lines are appended (one write, under PIPE_BUF, so two workers' lines never
interleave) and the file is cut back to its newest line once it passes MAX_BYTES."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from sotchart.domain.audit import Anchor

MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class AnchorReading:
    anchor: Anchor | None
    problem: str = ""  # the file is there but something in it is not the anchor's own writing


class AnchorFile:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def _tag(self, seq: int, mac: str) -> str:
        return hmac.new(self._key, f"anchor:{seq}:{mac}".encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def _line(self, seq: int, mac: str) -> str:
        return f"{seq} {mac} {self._tag(seq, mac)}\n"

    def record(self, seq: int, mac: str) -> None:
        """Append the newest entry's seal. Not fsynced: the database is, and an anchor a moment behind the
        database after a power cut is harmless (the log ahead of its anchor is not a break)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, self._line(seq, mac).encode("ascii"))
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > MAX_BYTES:
            self.reset(seq, mac)

    def reset(self, seq: int, mac: str) -> None:
        """Replace the file by one line (after a restore, or when it grew): written beside it, then renamed."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, self._line(seq, mac).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def read(self) -> AnchorReading:
        """The newest anchored entry, or why the file cannot be trusted."""
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return AnchorReading(None)
        except (OSError, UnicodeDecodeError) as e:
            return AnchorReading(None, f"the anchor file {self.path} cannot be read ({e})")
        newest: Anchor | None = None
        for n, line in enumerate(text.splitlines(), start=1):
            parts = line.split()
            if len(parts) != 3 or not parts[0].isdigit():
                return AnchorReading(None, f"line {n} of the anchor file {self.path} is not an anchor line")
            seq, mac, tag = int(parts[0]), parts[1], parts[2]
            if not hmac.compare_digest(self._tag(seq, mac), tag):
                return AnchorReading(None, f"line {n} of the anchor file {self.path} was not written with the key")
            if newest is None or seq > newest.seq:
                newest = Anchor(seq, mac)
        return AnchorReading(newest)
