"""What every use case runs with: the database, the settings, a clock, and who is acting."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sotchart.domain.errors import Forbidden, NotFound, NotSignedIn, StorageUnavailable
from sotchart.domain.roles import Action
from sotchart.services.audit_writer import AuditWriter
from sotchart.services.audit_writer import event as audit_event
from sotchart.services.policy import Actor as Actor  # re-exported: services take an Actor from here
from sotchart.services.policy import require as require
from sotchart.settings import Settings
from sotchart.store import Database
from sotchart.store import audit as audit_store
from sotchart.store import clinics as clinic_store
from sotchart.store.audit_anchor import AnchorFile


def system_clock() -> datetime:
    return datetime.now(UTC)


def protect_files(settings: Settings) -> None:
    """Patient data on disk is for this service's user alone: every file the process writes from here on
    (the database and its WAL, backups, exports, the anchor, the key) is created 0600 and the data folder is
    0700; files an earlier version left readable by others are tightened."""
    os.umask(0o077)
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)
    files = [f for f in folder.iterdir() if f.is_file()]
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        # A SQLite file kept elsewhere, with its write-ahead log and shared memory beside it.
        db = Path(url.removeprefix("sqlite:///"))
        files += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    for f in files:
        if f.is_file() and f.stat().st_uid == os.getuid() and f.stat().st_mode & 0o077:
            f.chmod(0o600)


def audit_key(settings: Settings) -> bytes:
    """The audit log's key, derived from the secret key (which lives in the environment, or in a 0600 file
    beside the database in development) for this one purpose, so no other use of the secret can make a seal."""
    return hmac.new(settings.resolved_secret_key().encode(), b"sotchart audit log seal v1", hashlib.sha256).digest()


@dataclass
class App:
    """The running application's handles; built once by create_app or the CLI, never at import time."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime] = system_clock
    _audit_writer: AuditWriter | None = field(default=None, repr=False)
    _zones: dict[int | None, ZoneInfo] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # The audit log is sealed with a key kept outside the database and anchored in a file outside it.
        self.db.audit_key = audit_key(self.settings)
        self.db.audit_anchor = AnchorFile(self.settings.resolved_audit_anchor, self.db.audit_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> App:
        try:
            protect_files(settings)
        except OSError as e:
            raise StorageUnavailable(
                f"sotchart cannot use its data folder {settings.data_dir.absolute()}: {e.strerror} ({e.filename}). "
                f"It must belong to the user sotchart runs as (uid {os.getuid()}), on a disk mounted read-write."
            ) from None
        # A connection for each request a worker handles at once, and a few for the audit writer and the
        # odd request that holds two (its read, then its audit).
        pool = settings.max_active_requests + 4
        return cls(settings=settings, db=Database(settings.resolved_database_url, pool_size=pool, max_overflow=4))

    @property
    def audit_writer(self) -> AuditWriter:
        if self._audit_writer is None:
            self._audit_writer = AuditWriter(self.db)
        return self._audit_writer

    def zone(self, conn: Any, clinic_id: int | None) -> ZoneInfo:
        """The clinic's time zone (its own, or the installation's), read once per process."""
        if clinic_id not in self._zones:
            own = clinic_store.time_zone(conn, clinic_id) if clinic_id is not None else None
            self._zones[clinic_id] = ZoneInfo(own or self.settings.time_zone)
        return self._zones[clinic_id]

    def zone_changed(self, clinic_id: int) -> None:
        """Read the clinic's zone again next time (its settings changed it)."""
        self._zones.pop(clinic_id, None)

    def close(self) -> None:
        if self._audit_writer is not None:
            self._audit_writer.close()
        self.db.dispose()


@dataclass
class Unit:
    """One use case's transaction, with the audit events that commit (or roll back) with it."""

    app: App
    actor: Actor
    conn: Any
    now: datetime
    _events: int = field(default=0)
    # A read-only unit keeps its audit events here and writes them right after the read, before any
    # data is handed back; a write unit writes them in its own transaction.
    pending: list[dict[str, Any]] | None = None
    # unit()'s write units keep their events here and append them as their last statements: the audit
    # chain's head is locked until the commit, so taking it last keeps the chain's other writers waiting
    # for little more than the commit itself. Elsewhere (None) an event is appended at once.
    to_append: list[dict[str, Any]] | None = None
    # What the use case has already looked up in this transaction (a signer's name and NPI, asked for by
    # the signature and again by the answer), so it is read once.
    seen: dict[Any, Any] = field(default_factory=dict)

    def require(self, action: Action) -> None:
        require(self.actor, action)

    def today(self) -> date:
        """Today in the clinic's own time zone: a visit at 8 pm in Chicago is dated that day, not UTC's next."""
        return self.now.astimezone(self.app.zone(self.conn, self.actor.clinic_id)).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The clinic's day as moments: from its midnight to the next, in its own zone."""
        start = datetime.combine(day, time(0), tzinfo=self.app.zone(self.conn, self.actor.clinic_id))
        return start, start + timedelta(days=1)

    def clinic_id(self) -> int:
        if self.actor.clinic_id is None:
            raise Forbidden("Choose a clinic for this action.")
        return self.actor.clinic_id

    def audit(
        self,
        action: str,
        record_type: str,
        record_id: object,
        *,
        patient_id: int | None = None,
        outcome: str = "success",
        detail: str = "",
    ) -> None:
        event = audit_event(
            at=self.now,
            clinic_id=self.actor.clinic_id,
            actor_id=self.actor.user_id,
            actor_label=self.actor.label,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            patient_id=patient_id,
            outcome=outcome,
            address=self.actor.address,
            detail=detail,
        )
        if self.pending is not None:
            self.pending.append(event)  # a read: written by the group committer once the read is done
        elif self.to_append is not None:
            self.to_append.append(event)
        else:
            audit_store.append_all(self.conn, [event])
        self._events += 1

    def append_audit(self) -> None:
        """Append the write unit's kept events, in the order they happened, inside its transaction."""
        if self.to_append:
            audit_store.append_all(self.conn, self.to_append)
        self.to_append = None

    def audit_shown(self, action: str, patient_ids: Iterable[int], detail: str = "") -> None:
        """One entry per patient a list put on screen (a search, Today, the kiosk), so each patient's own
        access trail shows who saw their name, birth date and contact details, and when."""
        for pid in dict.fromkeys(patient_ids):
            self.audit(action, "patient", pid, patient_id=pid, detail=detail)


@contextmanager
def before_actor(app: App, *, read: bool = False) -> Iterator[Any]:
    """The other door, for the few use cases that run before there is an actor to authorise: checking a
    password, a session, a token or a kiosk link, and the console's first look at an empty database. The
    caller decides and audits; everything else goes through `unit()`. Only this module opens a connection."""
    with app.db.read() if read else app.db.transaction() as conn:
        yield conn


def background_transaction(app: App) -> Any:
    """A transaction for the process's own upkeep (counting the analytics months again): no actor, no record."""
    return app.db.transaction()


@contextmanager
def unit(
    app: App, actor: Actor, action: Action, record_type: str, record_id: object = "", *, read: bool = False
) -> Iterator[Unit]:
    """Run a use case in one transaction; a denial is rolled back and then audited on its own.
    `read=True` runs a use case that changes no record (opening a chart, a search) without taking the
    write lock; its audit events are written as soon as the read is done."""
    now = app.clock()
    pending: list[dict[str, Any]] | None = [] if read else None
    try:
        with app.db.read() if read else app.db.transaction() as conn:
            u = Unit(app, actor, conn, now, pending=pending, to_append=None if read else [])
            # Only a real Action reaches the database: the right is checked before anything is read.
            if not isinstance(action, Action):
                raise TypeError(f"unit() needs an Action, not {action!r}")
            u.require(action)
            yield u
            u.append_audit()
    except (Forbidden, NotFound, NotSignedIn) as denial:
        with app.db.transaction() as conn:
            Unit(app, actor, conn, now).audit(
                action.value, record_type, record_id, outcome="denied", detail=type(denial).__name__
            )
        raise
    if pending:
        app.audit_writer.write(pending)
