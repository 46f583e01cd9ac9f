"""The owner's page of script tokens: who has one, what it may do, until when, and when it was last used;
a new one (shown once), and revoking one without touching the others. The same use cases as
`sotchart user token`, `tokens` and `revoke-token`."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.services import users
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    app: AppDep,
    user: PageUser,
    *,
    status_code: int = 200,
    made: str = "",
    error: InvalidInput | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    tokens = users.list_tokens(app, user.actor)
    staff = users.list_users(app, user.actor)
    return render(
        request,
        "tokens.html",
        status_code=status_code,
        tokens=tokens,
        staff=[s for s in staff if not s.locked],
        mfa_roles=app.settings.mfa_roles,
        now=app.clock(),
        made=made,
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
        values=values or {"email": user.actor.label, "scope": "read", "days": "90"},
        revoked=_revoked(tokens, request.query_params.get("revoked", "")),
        days_max=users.TOKEN_DAYS_MAX,
    )


def _revoked(tokens: list[users.TokenInfo], asked: str) -> users.TokenInfo | None:
    """The token the last revoke was about, only if it is this clinic's and revoked (the address alone
    must not make the page say so)."""
    return next((t for t in tokens if str(t.id) == asked and t.revoked_at is not None), None)


@router.get("/tokens")
def tokens_page(request: Request, app: AppDep, user: PageUser) -> Response:
    return _page(request, app, user)


@router.post("/tokens")
def make_token(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    values = {k: str(form.get(k, "")).strip() for k in ("email", "name", "scope", "days")}
    days = int(values["days"]) if values["days"].isdigit() and len(values["days"]) < 6 else 0
    try:
        token = users.issue_token(
            app,
            user.actor,
            values["email"],
            values["name"],
            scope=values["scope"],
            days=days,
            code=str(form.get("code", "")),
        )
    except InvalidInput as e:
        return _page(request, app, user, status_code=422, error=e, values=values)
    return _page(request, app, user, status_code=201, made=token)


@router.post("/tokens/{token_id}/revoke")
def revoke(app: AppDep, user: PageUser, form: FormDep, token_id: RecordId) -> Response:
    # Revoked already (from another tab): the list says so, as after revoking it here.
    with contextlib.suppress(Conflict):
        users.revoke_token(app, user.actor, token_id)
    return RedirectResponse(f"/tokens?revoked={token_id}", status_code=303)
