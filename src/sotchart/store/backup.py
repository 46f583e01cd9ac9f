"""Consistent copies of the whole database into a single SQLite file, and back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, tuple_

from sotchart.store.database import Database
from sotchart.store.tables import metadata

Progress = Callable[[str, int], None]


def table_names() -> list[str]:
    return [t.name for t in metadata.sorted_tables]


def row_counts(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in metadata.sorted_tables}


def sqlite_online_copy(source: Database, dest_path: Path) -> None:
    """SQLite's backup API in one step: a consistent snapshot while other connections keep writing (WAL)."""
    raw = source.engine.raw_connection()
    try:
        dst = sqlite3.connect(dest_path)
        try:
            raw.driver_connection.backup(dst, pages=-1)  # type: ignore[union-attr]
        finally:
            dst.close()
    finally:
        raw.close()


def sqlite_online_restore(backup_path: Path, target: Database) -> None:
    """Write a verified backup into the live SQLite database through SQLite's own locking."""
    src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    raw = target.engine.raw_connection()
    try:
        src.backup(raw.driver_connection, pages=-1)  # type: ignore[arg-type]
    finally:
        raw.close()
        src.close()
    target.engine.dispose()  # pooled connections must not keep pages of the old content


def copy_rows(src: Connection, dst: Connection, progress: Progress | None = None, batch: int = 5000) -> None:
    """Copy every table in foreign-key order; the destination is already migrated and empty."""
    for table in metadata.sorted_tables:
        # Pages by the whole primary key: a table keyed by two columns (the audit log's chain and seq)
        # has many rows for each value of the first.
        key = list(table.primary_key.columns)
        last: tuple[Any, ...] | None = None
        while True:
            q = select(table).order_by(*key).limit(batch)
            if last is not None:
                q = q.where(tuple_(*key) > tuple_(*last))
            rows = [dict(r._mapping) for r in src.execute(q)]
            if not rows:
                break
            dst.execute(insert(table), rows)
            last = tuple(rows[-1][c.name] for c in key)
            if progress:
                progress(table.name, len(rows))


def postgres_snapshot(conn: Connection) -> None:
    """Make the transaction see one instant of the database, however long the copy takes."""
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def reset_sequences(conn: Connection) -> None:
    """After rows were copied in with their ids, new rows must continue after the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        for col in table.primary_key.columns:
            if col.autoincrement is True or (col.autoincrement == "auto" and col.type.python_type is int):
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
                ).scalar()
                if seq:
                    quote = conn.dialect.identifier_preparer.quote
                    largest = f"SELECT max({quote(col.name)}) FROM {quote(table.name)}"  # noqa: S608 - our own names
                    conn.execute(text(f"SELECT setval(:seq, COALESCE(({largest}), 0) + 1, false)"), {"seq": seq})


def integrity_ok(path: Path) -> tuple[bool, str]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return False, f"not a readable SQLite database ({e})"
    return result == "ok", str(result)
