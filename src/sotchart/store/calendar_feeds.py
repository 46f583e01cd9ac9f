"""A clinician's calendar feed: the hashed token in its address, one live per clinician."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from sotchart.store.tables import app_user, calendar_feed


def replace(conn: Connection, *, token_hash: str, clinic_id: int, user_id: int, now: datetime) -> None:
    """The clinician's new feed; the address they had before stops working."""
    conn.execute(
        update(calendar_feed)
        .where(and_(calendar_feed.c.user_id == user_id, calendar_feed.c.revoked_at.is_(None)))
        .values(revoked_at=now)
    )
    conn.execute(insert(calendar_feed).values(id=token_hash, clinic_id=clinic_id, user_id=user_id, created_at=now))


def revoke(conn: Connection, *, user_id: int, now: datetime) -> int:
    result = conn.execute(
        update(calendar_feed)
        .where(and_(calendar_feed.c.user_id == user_id, calendar_feed.c.revoked_at.is_(None)))
        .values(revoked_at=now)
    )
    return int(result.rowcount)


def live(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The feed and its clinician, if the address is live and the account not disabled."""
    row = conn.execute(
        select(calendar_feed, app_user.c.role, app_user.c.email, app_user.c.disabled_at)
        .join(app_user, app_user.c.id == calendar_feed.c.user_id)
        .where(and_(calendar_feed.c.id == token_hash, calendar_feed.c.revoked_at.is_(None)))
    ).first()
    return dict(row._mapping) if row and row.disabled_at is None else None


def has_live(conn: Connection, user_id: int) -> datetime | None:
    return conn.execute(
        select(calendar_feed.c.created_at).where(
            and_(calendar_feed.c.user_id == user_id, calendar_feed.c.revoked_at.is_(None))
        )
    ).scalar()
