"""`kill -9` of `sotchart serve` itself (its supervisor, not the process group): the workers go with it, so
the port is free for the server to start again and a proxy's health checks see the server gone. Workers
once lived on as orphans, still answering, and the restart failed with "address already in use"."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from sotchart.services.context import App
from tests.support.server import ServerProcess


def _alive(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_workers_end_with_their_supervisor(app: App) -> None:
    first = ServerProcess(app, workers=2)
    workers: list[str] = []
    try:
        # Killed while one worker may still be starting (only one answered /healthz): that one must go too.
        workers += Path(f"/proc/{first.proc.pid}/task/{first.proc.pid}/children").read_text().split()
        assert len(workers) >= 2
        os.kill(first.proc.pid, signal.SIGKILL)  # the supervisor alone
        first.proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a worker outlived its supervisor"
        again = ServerProcess(app, workers=1, port=first.port)  # raises if the port is still held
        again.stop()
    finally:
        for w in workers:  # so a failure here leaves no orphan to spoil the next test
            with contextlib.suppress(OSError):
                os.kill(int(w), signal.SIGKILL)
        first.stop()
