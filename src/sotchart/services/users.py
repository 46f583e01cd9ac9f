"""Managing staff accounts: add, list, lock, unlock, reset the second factor, issue script tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sotchart.domain import signature
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound
from sotchart.domain.roles import Action, Role
from sotchart.services import auth, identifiers, passwords
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import clinics as clinic_store
from sotchart.store import users as user_store

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
STAFF_ROLES = ("owner", "clinician", "assistant", "researcher")


@dataclass(frozen=True)
class StaffMember:
    id: int
    clinic_id: int
    email: str
    display_name: str
    role: str
    mfa: bool
    locked: bool
    credentials: str = ""
    npi: str | None = None


def _view(row: dict[str, Any], now: datetime) -> StaffMember:
    locked = auth.is_locked(row, now)
    return StaffMember(
        int(row["id"]),
        int(row["clinic_id"]),
        str(row["email"]),
        str(row["display_name"]),
        str(row["role"]),
        row["mfa_enrolled_at"] is not None,
        locked,
        str(row.get("credentials") or ""),
        row.get("npi"),
    )


def check_new_account(email: str, display_name: str, role: str, password: str) -> None:
    """Every problem with a new account at once, before anything is written."""
    problems = []
    if not _EMAIL.match(email.strip().lower()):
        problems.append(FieldProblem("email", "Enter an address like name@clinic.example."))
    if role not in STAFF_ROLES:
        problems.append(FieldProblem("role", f"Choose one of: {', '.join(STAFF_ROLES)}."))
    if not display_name.strip() or len(display_name) > 200:
        problems.append(FieldProblem("display_name", "Enter a name of at most 200 characters."))
    try:
        passwords.check_strength(password, passwords.context_words(email, display_name))
    except InvalidInput as e:
        problems.extend(e.problems)
    if problems:
        raise InvalidInput("The new account needs fixing.", problems)


def _professional(credentials: str, npi: str) -> dict[str, Any]:
    """How a signed note will name the person: credentials and NPI, checked before anything is written."""
    credentials, npi = credentials.strip(), npi.strip().replace(" ", "").replace("-", "")
    found = (signature.credentials_problem(credentials), identifiers.npi_problem(npi) if npi else None)
    problems = [p for p in found if p is not None]
    if problems:
        raise InvalidInput("The credentials or NPI need fixing.", problems)
    return {"credentials": credentials, "npi": npi or None}


def add_user(
    app: App,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: str,
    password: str,
    clinic_id: int | None = None,
    credentials: str = "",
    npi: str = "",
) -> StaffMember:
    email = email.strip().lower()
    check_new_account(email, display_name, role, password)
    professional = _professional(credentials, npi)
    pw_hash = passwords.hash_password(password)
    target_clinic = clinic_id if actor.role == Role.SYSTEM and clinic_id else actor.clinic_id
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        if target_clinic is None or clinic_store.get(u.conn, target_clinic) is None:
            raise InvalidInput(
                "Choose an existing clinic for the account.",
                [FieldProblem("clinic", "Run `sotchart init` first, or pass --clinic ID.")],
            )
        return create_in(u, target_clinic, email, display_name, role, pw_hash, professional)


def create_in(
    u: Unit,
    clinic_id: int,
    email: str,
    display_name: str,
    role: str,
    pw_hash: str,
    professional: dict[str, Any] | None = None,
) -> StaffMember:
    """The account, inside the caller's unit (a new clinic and its owner commit together)."""
    if user_store.by_email(u.conn, email):
        raise Conflict(f"An account with the email {email} already exists. Nothing was changed.")
    uid = user_store.create(
        u.conn,
        clinic_id=clinic_id,
        email=email,
        display_name=display_name.strip(),
        role=role,
        password_hash=pw_hash,
        now=u.now,
    )
    if professional:
        user_store.set_fields(u.conn, uid, u.now, **professional)
    u.audit("user.create", "user", uid, detail=f"role={role}")
    return _view(user_store.get(u.conn, uid) or {}, u.now)


def list_users(app: App, actor: Actor) -> list[StaffMember]:
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        clinic = None if actor.role == Role.SYSTEM else actor.clinic_id
        return [_view(r, u.now) for r in user_store.list_for_clinic(u.conn, clinic)]


def _target(u: Unit, who: str | int) -> dict[str, Any]:
    """The account by its email (the command line) or its id (the staff page), in the actor's clinic."""
    row = user_store.get(u.conn, who) if isinstance(who, int) else user_store.by_email(u.conn, who.strip().lower())
    if row is None or (u.actor.role != Role.SYSTEM and row["clinic_id"] != u.actor.clinic_id):
        named = f"the email {who.strip().lower()}" if isinstance(who, str) else f"the number {who}"
        raise NotFound(f"No account with {named} in this clinic.")
    return row


def _keep_an_owner(u: Unit, row: dict[str, Any], doing: str) -> None:
    """A clinic always keeps one owner who can sign in: only an owner adds staff, resets a lost second
    factor or changes these settings, and nobody else could undo the mistake."""
    if row["role"] != Role.OWNER.value:
        return
    others = [
        r
        for r in user_store.list_for_clinic(u.conn, int(row["clinic_id"]))
        if r["id"] != row["id"] and r["role"] == Role.OWNER.value and r["disabled_at"] is None
    ]
    if not others:
        raise Conflict(
            f"{row['display_name']} is the clinic's only owner who can sign in; {doing} would leave nobody "
            "to manage its accounts. Make another account an owner first."
        )


def lock_user(app: App, actor: Actor, email: str | int, *, locked: bool = True) -> None:
    """Locking ends every session of the account at once; unlocking also clears failed attempts."""
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        row = _target(u, email)
        if locked:
            if row["id"] == actor.user_id:
                raise Conflict("You cannot lock your own account: another owner can, or sign out.")
            _keep_an_owner(u, row, "locking the account")
            user_store.set_fields(u.conn, row["id"], u.now, disabled_at=u.now)
            user_store.end_all_sessions(u.conn, row["id"], u.now)
            # Unlocking later must not bring back what the account's tokens could do: they end with the lock.
            user_store.revoke_tokens(u.conn, now=u.now, user_id=row["id"])
        else:
            user_store.set_fields(u.conn, row["id"], u.now, disabled_at=None, locked_until=None, failed_attempts=0)
            user_store.clear_account_throttles(u.conn, row["id"])
        u.audit("user.lock" if locked else "user.unlock", "user", row["id"])


def reset_mfa(app: App, actor: Actor, email: str | int) -> None:
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        row = _target(u, email)
        user_store.set_fields(u.conn, row["id"], u.now, mfa_secret=None, mfa_enrolled_at=None)
        user_store.replace_recovery_codes(u.conn, row["id"], [], u.now)  # the old codes die with the old device
        user_store.end_all_sessions(u.conn, row["id"], u.now)
        u.audit("user.reset-mfa", "user", row["id"])


def own_account(app: App, actor: Actor) -> StaffMember:
    with unit(app, actor, Action.OWN_ACCOUNT, "user", actor.user_id or "", read=True) as u:
        return _view(_own(u), u.now)


def _own(u: Unit) -> dict[str, Any]:
    row = user_store.get(u.conn, u.actor.user_id) if u.actor.user_id else None
    if row is None:
        raise NotFound("This is not a staff account.")
    return row


def renew_recovery_codes(app: App, actor: Actor, code: str) -> list[str]:
    """Ten new recovery codes for one's own second factor, the old ones ended; it takes a fresh code from
    the authenticator, so a session left open on a shared desk cannot mint a way back in."""
    with unit(app, actor, Action.OWN_ACCOUNT, "user", actor.user_id or "") as u:
        row = _own(u)
        auth.confirm_second_factor(app, u.conn, row, code, act="New recovery codes")
        codes = auth.new_recovery_codes(u.conn, int(row["id"]), u.now)
        u.audit("user.recovery-codes", "user", row["id"])
        return codes


def set_professional(app: App, actor: Actor, email: str | int, *, credentials: str, npi: str) -> StaffMember:
    """Set the credentials and NPI a signed note names. Notes already signed keep the line they were
    signed with: a signed note never changes."""
    values = _professional(credentials, npi)
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        row = _target(u, email)
        user_store.set_fields(u.conn, row["id"], u.now, **values)
        u.audit("user.professional", "user", row["id"], detail=f"credentials={values['credentials']!r}")
        return _view(user_store.get(u.conn, row["id"]) or {}, u.now)


def change_role(app: App, actor: Actor, email: str | int, role: str) -> None:
    if role not in STAFF_ROLES:
        raise InvalidInput("Unknown role.", [FieldProblem("role", f"Choose one of: {', '.join(STAFF_ROLES)}.")])
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        row = _target(u, email)
        if row["role"] == role:
            return
        if role != Role.OWNER.value:
            _keep_an_owner(u, row, f"making the account {role}")
        user_store.set_fields(u.conn, row["id"], u.now, role=role)
        user_store.end_all_sessions(u.conn, row["id"], u.now)
        u.audit("user.role", "user", row["id"], detail=f"{row['role']}->{role}")


TOKEN_SCOPES = ("read", "write")
TOKEN_DAYS_MAX = 365


@dataclass(frozen=True)
class TokenInfo:
    id: int
    email: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


def issue_token(
    app: App, actor: Actor, email: str, name: str, *, scope: str = "write", days: int = 90, code: str = ""
) -> str:
    """A bearer token for scripts, shown once; only its hash is kept. It reads only, or writes as far as
    its account's role allows; it expires; an account that signs in with a second factor gets one only
    with a fresh code from that factor."""
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(FieldProblem("name", "Name the token (at most 100 characters), e.g. the script that uses it."))
    if scope not in TOKEN_SCOPES:
        problems.append(FieldProblem("scope", "Choose read or write."))
    if not 1 <= days <= TOKEN_DAYS_MAX:
        problems.append(FieldProblem("days", f"A token lasts 1 to {TOKEN_DAYS_MAX} days."))
    if problems:
        raise InvalidInput("The token needs fixing.", problems)
    with unit(app, actor, Action.USER_MANAGE, "user") as u:
        try:
            row = _target(u, email)
        except NotFound as e:  # the form's account field names it: say so beside it
            raise InvalidInput("The token needs fixing.", [FieldProblem("email", e.detail)]) from None
        if row["role"] in app.settings.mfa_roles:
            auth.confirm_second_factor(app, u.conn, row, code)
        token, digest = auth.new_token_value()
        tid = user_store.create_token(
            u.conn,
            user_id=row["id"],
            name=name.strip(),
            token_hash=digest,
            now=u.now,
            scope=scope,
            expires_at=u.now + timedelta(days=days),
        )
        u.audit("user.token", "api_token", tid, detail=f"for user {row['id']} scope={scope} days={days}")
        return token


def list_tokens(app: App, actor: Actor, email: str = "") -> list[TokenInfo]:
    """The clinic's tokens (or one account's), live, expired and revoked alike, never their values."""
    with unit(app, actor, Action.USER_MANAGE, "user", read=True) as u:
        if email:
            ids = [int(_target(u, email)["id"])]
        else:
            clinic = None if actor.role == Role.SYSTEM else actor.clinic_id
            ids = [int(r["id"]) for r in user_store.list_for_clinic(u.conn, clinic)]
        rows = user_store.tokens_of(u.conn, ids) if ids else []
        zone = u.app.zone(u.conn, actor.clinic_id)  # times in the clinic's own zone, as everywhere on screen

        def local(at: datetime | None) -> datetime | None:
            return at.astimezone(zone) if at is not None else None

        return [
            TokenInfo(
                int(r["id"]),
                str(r["email"]),
                str(r["name"]),
                str(r["scope"]),
                r["created_at"].astimezone(zone),
                local(r["expires_at"]),
                local(r["last_used_at"]),
                local(r["revoked_at"]),
            )
            for r in rows
        ]


def revoke_token(app: App, actor: Actor, token_id: int) -> None:
    with unit(app, actor, Action.USER_MANAGE, "api_token", token_id) as u:
        clinic = None if actor.role == Role.SYSTEM else actor.clinic_id
        ids = [int(r["id"]) for r in user_store.list_for_clinic(u.conn, clinic)]
        mine = {int(t["id"]) for t in user_store.tokens_of(u.conn, ids)} if ids else set()
        if token_id not in mine:
            raise NotFound(f"No token {token_id} in this clinic. The Tokens page and `sotchart user tokens` list them.")
        if not user_store.revoke_tokens(u.conn, now=u.now, token_id=token_id):
            raise Conflict(f"Token {token_id} is already revoked.")
        u.audit("user.token-revoke", "api_token", token_id)
