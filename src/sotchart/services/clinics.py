"""Setting up a clinic and its first owner."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sotchart.domain.appointments import DEFAULT_TYPES
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action, Role
from sotchart.services import passwords, users
from sotchart.services.context import Actor, App, Unit, before_actor, unit
from sotchart.store import appointments as appointment_store
from sotchart.store import clinics as clinic_store


@dataclass(frozen=True)
class Clinic:
    id: int
    name: str


def create_clinic(app: App, actor: Actor, name: str) -> Clinic:
    name = _clinic_name(name)
    with unit(app, actor, Action.USER_MANAGE, "clinic") as u:
        return _create_in(u, name)


def create_clinic_with_owner(
    app: App, *, clinic_name: str, email: str, display_name: str, password: str
) -> tuple[Clinic, users.StaffMember]:
    """The clinic and its owner in one transaction: an owner refused (an email already taken) leaves no
    clinic behind without one."""
    name, email = _clinic_name(clinic_name), email.strip().lower()
    users.check_new_account(email, display_name, "owner", password)
    pw_hash = passwords.hash_password(password)
    with unit(app, Actor.console(), Action.USER_MANAGE, "clinic") as u:
        clinic = _create_in(u, name)
        owner = users.create_in(u, clinic.id, email, display_name, "owner", pw_hash)
    return clinic, owner


def _create_in(u: Unit, name: str) -> Clinic:
    cid = clinic_store.create(u.conn, name=name, now=u.now)
    appointment_store.add_types(u.conn, cid, [asdict(t) for t in DEFAULT_TYPES])
    u.audit("clinic.create", "clinic", cid)
    return Clinic(cid, name)


def _clinic_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("Name the clinic.", [FieldProblem("clinic_name", "Use 1 to 200 characters.")])
    return name


def clinic_count(app: App) -> int:
    with before_actor(app) as conn:
        return clinic_store.count(conn)


def all_clinics(app: App, actor: Actor) -> list[Clinic]:
    """Every clinic of the group: the console's view (staff see only their own clinic)."""
    with unit(app, actor, Action.USER_MANAGE, "clinic", read=True) as u:
        rows = clinic_store.all_rows(u.conn)
    return [Clinic(r["id"], r["name"]) for r in rows if actor.role == Role.SYSTEM or r["id"] == actor.clinic_id]


def first_clinic(app: App) -> Clinic | None:
    with before_actor(app) as conn:
        row = clinic_store.first(conn)
    return Clinic(row["id"], row["name"]) if row else None
