"""Compare-and-set on a row's version, shared by every table that carries one (patients, visits): the
update happens only if nobody saved since the caller read the row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, update


def update_if_version(
    conn: Connection,
    table: Table,
    *,
    row_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
    clinic_id: int | None = None,
) -> dict[str, Any] | None:
    """The columns written (the values, the new version, who and when), so the caller can answer with the
    row as it now stands without reading it back; None when someone else saved first (the version moved),
    and nothing is changed."""
    conds = [table.c.id == row_id, table.c.version == expected_version]
    if clinic_id is not None:
        conds.append(table.c.clinic_id == clinic_id)
    written = {**values, "version": expected_version + 1, "updated_at": now, "updated_by": actor_id}
    result = conn.execute(update(table).where(and_(*conds)).values(**written))
    return written if result.rowcount == 1 else None
