"""Group commit for the audit events of reads: many requests' events are appended in one transaction,
so fifty clinicians opening charts at once cost a handful of disk flushes, not fifty. Each caller still
waits until its own events are committed before it may hand any data back."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sotchart.store import Database
from sotchart.store import audit as audit_store


@dataclass
class _Request:
    events: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class AuditWriter:
    """One per process. `write()` blocks until the events are durable, or raises what went wrong."""

    MAX_BATCH = 500

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[_Request] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def write(self, events: list[dict[str, Any]]) -> None:
        request = _Request(events)
        with self._cond:
            if self._closed:
                raise RuntimeError("the audit writer is closed")
            self._queue.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sotchart-audit", daemon=True)
                self._thread.start()
            self._cond.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue[: self.MAX_BATCH], self._queue[self.MAX_BATCH :]
            try:
                with self.db.transaction() as conn:
                    audit_store.append_all(conn, [e for request in batch for e in request.events])
            except BaseException as err:
                for request in batch:
                    request.error = err
            for request in batch:
                request.done.set()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)


def event(
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
    detail: str,
) -> dict[str, Any]:
    return {
        "at": at,
        "clinic_id": clinic_id,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "patient_id": patient_id,
        "outcome": outcome,
        "address": address,
        "detail": detail,
    }
