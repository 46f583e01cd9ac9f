"""The clinic's mail settings and the appointment messages' outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from sotchart.store.tables import app_user, appointment, appointment_message, appointment_type, clinic_mail, patient
from sotchart.store.types import dialect_insert


def set_mail(conn: Connection, clinic_id: int, values: dict[str, Any], now: datetime) -> None:
    stmt = dialect_insert(conn)(clinic_mail).values(clinic_id=clinic_id, **values, updated_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=["clinic_id"], set_={**values, "updated_at": now}))


def mail_of(conn: Connection, clinic_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(clinic_mail).where(clinic_mail.c.clinic_id == clinic_id)).first()
    return dict(row._mapping) if row else None


def add_messages(
    conn: Connection, clinic_id: int, appointment_id: int, recipient: str, rows: list[dict[str, Any]], now: datetime
) -> None:
    conn.execute(
        insert(appointment_message),
        [
            {
                "clinic_id": clinic_id,
                "appointment_id": appointment_id,
                "channel": "email",
                "recipient": recipient,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                **r,
            }
            for r in rows
        ],
    )


def recipient_of(conn: Connection, appointment_id: int) -> str:
    return str(
        conn.execute(
            select(appointment_message.c.recipient)
            .where(appointment_message.c.appointment_id == appointment_id)
            .order_by(appointment_message.c.id.desc())
            .limit(1)
        ).scalar()
        or ""
    )


def _pending(appointment_id: int, kind: str | None = None) -> Any:
    conds = [appointment_message.c.appointment_id == appointment_id, appointment_message.c.status == "pending"]
    if kind:
        conds.append(appointment_message.c.kind == kind)
    return and_(*conds)


def redate_reminders(conn: Connection, appointment_id: int, due_at: datetime) -> None:
    conn.execute(update(appointment_message).where(_pending(appointment_id, "reminder")).values(due_at=due_at))


def cancel_pending(conn: Connection, appointment_id: int) -> None:
    conn.execute(update(appointment_message).where(_pending(appointment_id)).values(status="cancelled"))


def due(conn: Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    q = (
        select(appointment_message)
        .where(and_(appointment_message.c.status == "pending", appointment_message.c.due_at <= now))
        .order_by(appointment_message.c.due_at)
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def claim(conn: Connection, message_id: int, now: datetime) -> dict[str, Any] | None:
    """Take the message for sending, if no other sender has: what the message says, or None."""
    taken = conn.execute(
        update(appointment_message)
        .where(and_(appointment_message.c.id == message_id, appointment_message.c.status == "pending"))
        .values(status="sending", claimed_at=now)
    )
    if taken.rowcount != 1:
        return None
    row = conn.execute(
        select(
            appointment.c.patient_id,
            appointment.c.starts_at,
            appointment.c.ends_at,
            appointment.c.updated_at,
            appointment.c.status.label("appointment_status"),
            patient.c.given_name,
            app_user.c.display_name.label("clinician_name"),
            appointment_type.c.name.label("type_name"),
        )
        .join(appointment, appointment.c.id == appointment_message.c.appointment_id)
        .join(patient, patient.c.id == appointment.c.patient_id)
        .join(app_user, app_user.c.id == appointment.c.clinician_id)
        .join(appointment_type, appointment_type.c.id == appointment.c.type_id)
        .where(appointment_message.c.id == message_id)
    ).first()
    return dict(row._mapping) if row else None


def finish(
    conn: Connection, message_id: int, *, status: str, now: datetime, error: str, retry_at: datetime | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = now
    if status != "sending":
        values["attempts"] = appointment_message.c.attempts + (0 if status in ("sent", "cancelled") else 1)
    if retry_at is not None:
        values["due_at"] = retry_at
    conn.execute(update(appointment_message).where(appointment_message.c.id == message_id).values(**values))


def release_stale_claims(conn: Connection, before: datetime) -> None:
    """A sender that died between its claim and its send: the message goes back to be sent (at most twice)."""
    conn.execute(
        update(appointment_message)
        .where(and_(appointment_message.c.status == "sending", appointment_message.c.claimed_at < before))
        .values(status="pending")
    )


def messages_of(conn: Connection, appointment_id: int) -> list[dict[str, Any]]:
    q = select(appointment_message).where(appointment_message.c.appointment_id == appointment_id)
    return [dict(r._mapping) for r in conn.execute(q.order_by(appointment_message.c.id))]


def series_times(conn: Connection, appointment_id: int) -> list[datetime]:
    """The start of every booked appointment of the care plan this appointment belongs to."""
    plan = select(appointment.c.care_plan_id).where(appointment.c.id == appointment_id).scalar_subquery()
    q = (
        select(appointment.c.starts_at)
        .where(and_(appointment.c.care_plan_id == plan, appointment.c.status == "booked"))
        .order_by(appointment.c.starts_at)
    )
    return [r[0] for r in conn.execute(q)]
