"""Staff accounts, their sign-in sessions and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, delete, func, insert, select, update

from sotchart.store.tables import api_token, app_user, mfa_recovery_code, sign_in_throttle, user_session
from sotchart.store.types import dialect_insert


def create(
    conn: Connection, *, clinic_id: int, email: str, display_name: str, role: str, password_hash: str, now: datetime
) -> int:
    return int(
        conn.execute(
            insert(app_user)
            .values(
                clinic_id=clinic_id,
                email=email,
                display_name=display_name,
                role=role,
                password_hash=password_hash,
                failed_attempts=0,
                created_at=now,
                updated_at=now,
            )
            .returning(app_user.c.id)
        ).scalar_one()
    )


def by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(select(app_user).where(app_user.c.email == email)).first()
    return dict(row._mapping) if row else None


def get(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(app_user).where(app_user.c.id == user_id)).first()
    return dict(row._mapping) if row else None


def list_for_clinic(conn: Connection, clinic_id: int | None) -> list[dict[str, Any]]:
    q = select(app_user).order_by(app_user.c.clinic_id, app_user.c.email)
    if clinic_id is not None:
        q = q.where(app_user.c.clinic_id == clinic_id)
    return [dict(r._mapping) for r in conn.execute(q)]


def set_fields(conn: Connection, user_id: int, now: datetime, **values: Any) -> None:
    conn.execute(update(app_user).where(app_user.c.id == user_id).values(**values, updated_at=now))


def record_failure(conn: Connection, user_id: int, now: datetime, lock_after: int, lock_until: datetime) -> int:
    """Count a failed sign-in atomically; lock the account when the count reaches the limit."""
    conn.execute(
        update(app_user)
        .where(app_user.c.id == user_id)
        .values(failed_attempts=app_user.c.failed_attempts + 1, updated_at=now)
    )
    attempts = int(conn.execute(select(app_user.c.failed_attempts).where(app_user.c.id == user_id)).scalar_one())
    if attempts >= lock_after:
        conn.execute(
            update(app_user).where(app_user.c.id == user_id).values(locked_until=lock_until, failed_attempts=0)
        )
    return attempts


# --- the sign-in throttle ---


def blocked_until(conn: Connection, keys: list[str], now: datetime) -> datetime | None:
    """The latest time any of these keys is refused until, if one is refused now."""
    until = conn.execute(
        select(func.max(sign_in_throttle.c.blocked_until)).where(
            sign_in_throttle.c.key.in_(keys), sign_in_throttle.c.blocked_until > now
        )
    ).scalar()
    return until if isinstance(until, datetime) else None


def count_throttled_failure(
    conn: Connection, key: str, now: datetime, *, limit: int, window_start: datetime, block_until: datetime
) -> int:
    """Count a failure against the key atomically (a count older than the window starts again at one);
    refuse the key until `block_until` when the count reaches the limit. Returns the count."""
    t = sign_in_throttle.c
    stale = t.window_started_at < window_start
    stmt = dialect_insert(conn)(sign_in_throttle).values(key=key, failures=1, window_started_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((stale, 1), else_=t.failures + 1),
                "window_started_at": case((stale, now), else_=t.window_started_at),
            },
        )
    )
    failures = int(conn.execute(select(t.failures).where(t.key == key)).scalar_one())
    if failures >= limit:
        conn.execute(update(sign_in_throttle).where(t.key == key).values(blocked_until=block_until, failures=0))
    return failures


def clear_throttle(conn: Connection, keys: list[str]) -> None:
    conn.execute(delete(sign_in_throttle).where(sign_in_throttle.c.key.in_(keys)))


def clear_account_throttles(conn: Connection, user_id: int) -> None:
    """Every address's count against the account (when the owner unlocks it)."""
    conn.execute(delete(sign_in_throttle).where(sign_in_throttle.c.key.like(f"account:{user_id}:%")))


# --- sessions ---


def create_session(
    conn: Connection, *, session_hash: str, user_id: int, csrf_token: str, mfa_passed: bool, now: datetime, address: str
) -> None:
    conn.execute(
        insert(user_session).values(
            id=session_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            mfa_passed=mfa_passed,
            created_at=now,
            last_seen_at=now,
            address=address[:64],
        )
    )


def get_session(conn: Connection, session_hash: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(user_session).where(and_(user_session.c.id == session_hash, user_session.c.ended_at.is_(None)))
    ).first()
    return dict(row._mapping) if row else None


def touch_session(conn: Connection, session_hash: str, now: datetime) -> None:
    conn.execute(update(user_session).where(user_session.c.id == session_hash).values(last_seen_at=now))


def end_session(conn: Connection, session_hash: str, now: datetime) -> None:
    conn.execute(update(user_session).where(user_session.c.id == session_hash).values(ended_at=now))


def end_all_sessions(conn: Connection, user_id: int, now: datetime) -> None:
    conn.execute(
        update(user_session)
        .where(and_(user_session.c.user_id == user_id, user_session.c.ended_at.is_(None)))
        .values(ended_at=now)
    )


def set_session_mfa(conn: Connection, session_hash: str, passed: bool) -> None:
    conn.execute(
        update(user_session).where(user_session.c.id == session_hash).values(mfa_passed=passed, mfa_pending=None)
    )


def set_session_fields(conn: Connection, session_hash: str, **values: Any) -> None:
    conn.execute(update(user_session).where(user_session.c.id == session_hash).values(**values))


def count_mfa_failure(conn: Connection, session_hash: str) -> int:
    """One more wrong code in this session, counted atomically; the session's total."""
    conn.execute(
        update(user_session)
        .where(user_session.c.id == session_hash)
        .values(mfa_failures=user_session.c.mfa_failures + 1)
    )
    return int(conn.execute(select(user_session.c.mfa_failures).where(user_session.c.id == session_hash)).scalar_one())


# --- recovery codes ---


def replace_recovery_codes(conn: Connection, user_id: int, hashes: list[str], now: datetime) -> None:
    """New codes replace every unused old one (marked used now, never deleted)."""
    conn.execute(
        update(mfa_recovery_code)
        .where(and_(mfa_recovery_code.c.user_id == user_id, mfa_recovery_code.c.used_at.is_(None)))
        .values(used_at=now)
    )
    if hashes:
        conn.execute(
            insert(mfa_recovery_code), [{"user_id": user_id, "code_hash": h, "created_at": now} for h in hashes]
        )


def use_recovery_code(conn: Connection, user_id: int, code_hash: str, now: datetime) -> bool:
    """True when the code was the user's and unused; it is used up at once."""
    result = conn.execute(
        update(mfa_recovery_code)
        .where(
            and_(
                mfa_recovery_code.c.user_id == user_id,
                mfa_recovery_code.c.code_hash == code_hash,
                mfa_recovery_code.c.used_at.is_(None),
            )
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


def unused_recovery_codes(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(mfa_recovery_code)
            .where(and_(mfa_recovery_code.c.user_id == user_id, mfa_recovery_code.c.used_at.is_(None)))
        ).scalar_one()
    )


# --- API tokens ---


def create_token(
    conn: Connection, *, user_id: int, name: str, token_hash: str, now: datetime, scope: str, expires_at: datetime
) -> int:
    return int(
        conn.execute(
            insert(api_token)
            .values(
                user_id=user_id, name=name, token_hash=token_hash, created_at=now, scope=scope, expires_at=expires_at
            )
            .returning(api_token.c.id)
        ).scalar_one()
    )


def tokens_of(conn: Connection, user_ids: list[int]) -> list[dict[str, Any]]:
    q = select(api_token, app_user.c.email).join(app_user, app_user.c.id == api_token.c.user_id)
    rows = conn.execute(q.where(api_token.c.user_id.in_(user_ids)).order_by(api_token.c.id)).all()
    return [dict(r._mapping) for r in rows]


def revoke_tokens(conn: Connection, *, now: datetime, user_id: int | None = None, token_id: int | None = None) -> int:
    """Revoke one token, or every live token of a user; the rows stay, with when they were revoked."""
    conds: list[ColumnElement[bool]] = [api_token.c.revoked_at.is_(None)]
    if token_id is not None:
        conds.append(api_token.c.id == token_id)
    if user_id is not None:
        conds.append(api_token.c.user_id == user_id)
    return int(conn.execute(update(api_token).where(and_(*conds)).values(revoked_at=now)).rowcount)


def user_for_token(conn: Connection, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The account of a live token (not revoked, not expired), with the token's id and scope."""
    row = conn.execute(
        select(
            app_user,
            api_token.c.id.label("token_id"),
            api_token.c.scope.label("token_scope"),
            api_token.c.last_used_at.label("token_last_used_at"),
        )
        .join(api_token, api_token.c.user_id == app_user.c.id)
        .where(
            and_(
                api_token.c.token_hash == token_hash,
                api_token.c.revoked_at.is_(None),
                (api_token.c.expires_at.is_(None)) | (api_token.c.expires_at > now),
            )
        )
    ).first()
    return dict(row._mapping) if row else None


def mark_token_used(conn: Connection, token_id: int, now: datetime, since: datetime) -> None:
    """Note when the token was last used, unless it was noted after `since` (one write a minute, not one
    per request)."""
    conn.execute(
        update(api_token)
        .where(
            api_token.c.id == token_id,
            api_token.c.last_used_at.is_(None) | (api_token.c.last_used_at < since),
        )
        .values(last_used_at=now)
    )
