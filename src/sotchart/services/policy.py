"""The one authorization layer's core: who is acting, and the role check every surface passes through.
Kept free of the database so light surfaces (the engine's CLI) can use it without loading the store."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sotchart.domain.errors import Forbidden
from sotchart.domain.roles import ACTION_WORDS, READ_ACTIONS, Action, Role, allows


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, a script's token, or the operator at the console."""

    user_id: int | None
    clinic_id: int | None
    role: Role
    label: str
    address: str = ""
    scope: str = "write"  # a read token's actor may only read, whatever its role allows

    @classmethod
    def console(cls, clinic_id: int | None = None) -> Actor:
        return cls(None, clinic_id, Role.SYSTEM, f"console:{getpass.getuser()}", "local")


def require(actor: Actor, action: Action) -> None:
    """Refuse an action the actor's role does not allow, with a message that says what to do."""
    if not allows(actor.role, action):
        raise Forbidden(
            f"Your role ({actor.role.value}) does not allow {ACTION_WORDS[action]}. "
            "Ask the clinic's owner if you need it."
        )
    if actor.scope == "read" and action not in READ_ACTIONS:
        raise Forbidden(
            f"This token may only read; {ACTION_WORDS[action]} changes records. Use a write token (the owner "
            "makes one on the Tokens page, or with `sotchart user token --scope write`)."
        )
