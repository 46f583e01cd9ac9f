"""Setting up a clinic and its first owner."""

from __future__ import annotations

from dataclasses import dataclass

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action
from sotchart.services import users
from sotchart.services.context import Actor, App, before_actor, unit
from sotchart.store import clinics as clinic_store


@dataclass(frozen=True)
class Clinic:
    id: int
    name: str


def create_clinic(app: App, actor: Actor, name: str) -> Clinic:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("Name the clinic.", [FieldProblem("clinic_name", "Use 1 to 200 characters.")])
    with unit(app, actor, Action.USER_MANAGE, "clinic") as u:
        cid = clinic_store.create(u.conn, name=name, now=u.now)
        u.audit("clinic.create", "clinic", cid)
    return Clinic(cid, name)


def create_clinic_with_owner(
    app: App, *, clinic_name: str, email: str, display_name: str, password: str
) -> tuple[Clinic, users.StaffMember]:
    users.check_new_account(email, display_name, "owner", password)
    console = Actor.console()
    clinic = create_clinic(app, console, clinic_name)
    owner = users.add_user(
        app,
        Actor.console(clinic.id),
        email=email,
        display_name=display_name,
        role="owner",
        password=password,
        clinic_id=clinic.id,
    )
    return clinic, owner


def clinic_count(app: App) -> int:
    with before_actor(app) as conn:
        return clinic_store.count(conn)


def first_clinic(app: App) -> Clinic | None:
    with before_actor(app) as conn:
        row = clinic_store.first(conn)
    return Clinic(row["id"], row["name"]) if row else None
