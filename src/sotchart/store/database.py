"""The database handle: one engine, durable settings, and one transaction per use case."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import ExceptionContext, make_url

from sotchart.domain.errors import StorageUnavailable
from sotchart.store import audit
from sotchart.store.audit_anchor import AnchorFile

log = logging.getLogger("sotchart.audit")

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",  # an acknowledged write survives power loss, not just a crash
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


class Database:
    """A small explicit object over the engine; `transaction()` is the unit of work."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            db_path = self.url.database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=max_overflow, connect_args={"check_same_thread": False}
            )
            self._writers = WriterQueue(db_path) if db_path and db_path != ":memory:" else None
            event.listen(self.engine, "connect", self._sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
            event.listen(self.engine, "handle_error", self._storage_trouble)
        else:
            self._writers = None
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)

    # Set by the application: the audit log's key, and the file its newest seal is anchored in.
    audit_key: bytes | None = None
    audit_anchor: AnchorFile | None = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Commit on success, roll back on any error; every write of a use case goes in one of these. The
        audit entries it appends are sealed with the key, and once it has committed the newest seal is
        anchored outside the database."""
        newest: dict[int, tuple[int, str]] = {}
        with self._writers.turn() if self._writers is not None else nullcontext(), self.engine.begin() as conn:
            conn.info[audit.SEAL_KEY] = self.audit_key
            conn.info[audit.NEWEST] = newest
            yield conn
        if newest and self.audit_anchor is not None:
            try:
                self.audit_anchor.record(newest)
            except OSError as e:
                # The change is committed: answering it as failed would have the client send it again. The
                # anchor stays behind (verify reports it if it lacks a chain); the log says why, loudly.
                log.error("the audit anchor %s could not be written after a commit: %s", self.audit_anchor.path, e)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit: on SQLite a deferred transaction, so readers never wait for the write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(sotchart_read=True)
            with conn.begin():
                yield conn

    def _sqlite_on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself instead of pysqlite's implicit, deferred one.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cur.execute(pragma)
        except sqlite3.OperationalError as e:  # the first write (WAL mode) is where a read-only file shows
            raise self._unavailable(e) from None
        finally:
            cur.close()

    def _storage_trouble(self, context: ExceptionContext) -> None:
        """SQLite's errors about the file itself, wherever they come up, as one clear message."""
        original = context.original_exception
        if isinstance(original, sqlite3.OperationalError) and _is_file_trouble(original):
            raise self._unavailable(original) from None

    def _unavailable(self, e: Exception) -> StorageUnavailable:
        where = self.url.database or "?"
        return StorageUnavailable(
            f"sotchart cannot write its database {where}: {e}. The file, the folder it is in and the -wal and "
            f"-shm files beside it must belong to the user sotchart runs as (uid {os.getuid()}), on a disk "
            "that is mounted read-write and not full. Nothing was changed."
        )

    def check_writable(self) -> None:
        """Take the write lock once and let it go, so a server never starts on a database it cannot write."""
        try:
            with self.engine.begin() as conn:  # on SQLite the "begin" listener takes the write lock (IMMEDIATE)
                read_only = not self.is_sqlite and conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        except exc.OperationalError as e:  # PostgreSQL not there, or not letting us in
            raise StorageUnavailable(
                f"sotchart cannot reach its database at {self.url.render_as_string(hide_password=True)}: "
                f"{str(e.orig).strip().splitlines()[0] if e.orig else e}. Check SOTCHART_DATABASE_URL and that "
                "the server is running."
            ) from None
        if read_only:
            raise StorageUnavailable(
                f"The PostgreSQL database {self.url.database} is read-only (a standby, or "
                "default_transaction_read_only is on); point SOTCHART_DATABASE_URL at the primary."
            )

    def dispose(self) -> None:
        self.engine.dispose()

    def describe(self) -> dict[str, Any]:
        """Backend and durability settings, printed beside every benchmark figure."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                return {
                    "database": "sqlite",
                    "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                    "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                        conn.exec_driver_sql("PRAGMA synchronous").scalar_one(), "?"
                    ),
                }
            return {
                "database": "postgresql " + str(conn.exec_driver_sql("SHOW server_version").scalar()),
                "synchronous_commit": conn.exec_driver_sql("SHOW synchronous_commit").scalar(),
                "fsync": conn.exec_driver_sql("SHOW fsync").scalar(),
            }


class WriterQueue:
    """SQLite has one writer at a time. Left to itself, a writer that finds the database locked sleeps
    and tries again (1, 2, 5 … 100 ms apart), so under load the lock sits free while writers sleep and the
    slowest wait for seconds. Here writers queue instead: one thread of each process at a time, and across
    the server's processes an exclusive lock on a file beside the database, which the kernel hands to the
    next waiter the moment it is let go (and lets go by itself if a process dies holding it)."""

    WAIT_S = 10.0  # as long as SQLite's own busy_timeout would have let a writer wait

    def __init__(self, db_path: str) -> None:
        self._path = db_path + ".writer"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        if not self._thread_lock.acquire(timeout=self.WAIT_S):
            raise StorageUnavailable(
                f"The database stayed busy for {self.WAIT_S:.0f} s (another change was still being written). "
                "Nothing was changed; try again in a moment."
            )
        try:
            if self._pid != os.getpid():  # a worker forked from the supervisor: a lock of its own, not a shared one
                try:
                    self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
                except OSError as e:
                    raise StorageUnavailable(
                        f"sotchart cannot write {self._path}, the lock file beside its database: {e.strerror}. "
                        f"The folder must belong to the user sotchart runs as (uid {os.getuid()}). Nothing was changed."
                    ) from None
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


FILE_TROUBLE = ("readonly database", "unable to open database file", "disk i/o error", "database or disk is full")


def _is_file_trouble(e: sqlite3.OperationalError) -> bool:
    return any(words in str(e).lower() for words in FILE_TROUBLE)


def _sqlite_begin_immediate(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of one
    # failing at once with "database is locked" when its read transaction tries to upgrade.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("sotchart_read") else "BEGIN IMMEDIATE")
