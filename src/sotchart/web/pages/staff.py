"""The owner's page of staff accounts (add one, change its role, lock or unlock it, reset a lost second
factor, the credentials and NPI its signed notes name) and each person's own account page (new recovery
codes). The same use cases as `sotchart user ...`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.services import users
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
NEW_FIELDS = ("email", "display_name", "role", "password", "credentials", "npi")
DONE = {
    "added": "The account is added. Give its holder the email and password; they set up their own "
    "authenticator at first sign-in if their role needs one.",
    "role": "The role is changed; the account's sessions ended, so it signs in again with its new rights.",
    "locked": "The account is locked: its sessions and script tokens ended.",
    "unlocked": "The account is unlocked.",
    "reset-mfa": "The second factor is reset: at the next sign-in its holder sets up the authenticator again.",
    "professional": "The credentials and NPI are saved; notes signed before keep the line they were signed with.",
}


def _page(
    request: Request,
    app: Any,
    user: Any,
    *,
    status_code: int = 200,
    error: InvalidInput | Conflict | None = None,
    about: int | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    problems = error.problems if isinstance(error, InvalidInput) else []
    return render(
        request,
        "staff.html",
        status_code=status_code,
        staff=users.list_users(app, user.actor),
        roles=users.STAFF_ROLES,
        mfa_roles=app.settings.mfa_roles,
        me=user.actor.user_id,
        about=about,
        summary=error.detail if error else "",
        problems={p.field: p.message for p in problems},
        values=values or {"role": "clinician"},
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


def _done(what: str, user_id: int) -> Response:
    return RedirectResponse(f"/staff?done={what}#staff-{user_id}", status_code=303)


@router.get("/staff")
def staff_page(request: Request, app: AppDep, user: PageUser) -> Response:
    return _page(request, app, user)


@router.post("/staff")
def add_account(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    values = {k: str(form.get(k, "")) for k in NEW_FIELDS}
    try:
        made = users.add_user(
            app,
            user.actor,
            email=values["email"],
            display_name=values["display_name"],
            role=values["role"],
            password=values["password"],
            credentials=values["credentials"],
            npi=values["npi"],
        )
    except InvalidInput as e:
        return _page(request, app, user, status_code=422, error=e, values=values | {"password": ""})
    except Conflict as e:
        return _page(request, app, user, status_code=409, error=e, values=values | {"password": ""})
    return _done("added", made.id)


def _act(request: Request, app: Any, user: Any, user_id: int, what: str, action: Any) -> Response:
    try:
        action()
    except InvalidInput as e:
        return _page(request, app, user, status_code=422, error=e, about=user_id)
    except Conflict as e:
        return _page(request, app, user, status_code=409, error=e, about=user_id)
    return _done(what, user_id)


@router.post("/staff/{user_id}/role")
def change_role(request: Request, app: AppDep, user: PageUser, form: FormDep, user_id: RecordId) -> Response:
    role = str(form.get("role", ""))
    return _act(request, app, user, user_id, "role", lambda: users.change_role(app, user.actor, user_id, role))


@router.post("/staff/{user_id}/lock")
def lock(request: Request, app: AppDep, user: PageUser, user_id: RecordId) -> Response:
    return _act(request, app, user, user_id, "locked", lambda: users.lock_user(app, user.actor, user_id))


@router.post("/staff/{user_id}/unlock")
def unlock(request: Request, app: AppDep, user: PageUser, user_id: RecordId) -> Response:
    return _act(
        request, app, user, user_id, "unlocked", lambda: users.lock_user(app, user.actor, user_id, locked=False)
    )


@router.post("/staff/{user_id}/reset-mfa")
def reset_mfa(request: Request, app: AppDep, user: PageUser, user_id: RecordId) -> Response:
    return _act(request, app, user, user_id, "reset-mfa", lambda: users.reset_mfa(app, user.actor, user_id))


@router.post("/staff/{user_id}/professional")
def professional(request: Request, app: AppDep, user: PageUser, form: FormDep, user_id: RecordId) -> Response:
    credentials, npi = str(form.get("credentials", "")), str(form.get("npi", ""))
    return _act(
        request,
        app,
        user,
        user_id,
        "professional",
        lambda: users.set_professional(app, user.actor, user_id, credentials=credentials, npi=npi),
    )


@router.get("/account")
def account_page(request: Request, app: AppDep, user: PageUser) -> Response:
    return _account(request, app, user)


def _account(request: Request, app: Any, user: Any, *, status_code: int = 200, error: Any = None) -> Response:
    return render(
        request,
        "account.html",
        status_code=status_code,
        me=users.own_account(app, user.actor),
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
    )


@router.post("/account/recovery-codes")
def new_recovery_codes(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    try:
        codes = users.renew_recovery_codes(app, user.actor, str(form.get("code", "")))
    except InvalidInput as e:
        return _account(request, app, user, status_code=422, error=e)
    return render(request, "mfa_recovery.html", codes=codes, used=False, renewed=True)
