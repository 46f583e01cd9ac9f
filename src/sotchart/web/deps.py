"""Who is asking: the session cookie (browser) or a bearer token (scripts), and the CSRF check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sotchart.domain.errors import Forbidden, NotSignedIn
from sotchart.services import auth
from sotchart.services.context import Actor, App

SESSION_COOKIE = "sotchart_session"
PRE_SESSION_COOKIE = "sotchart_presession"  # double-submit CSRF token for the sign-in form itself
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def get_app(request: Request) -> App:
    return request.app.state.sotchart  # type: ignore[no-any-return]


async def _app(request: Request) -> App:
    """The dependency's form: an `async def` that does no I/O runs on the event loop, where a plain `def`
    would cost every request a hop to the thread pool and back for one attribute."""
    return get_app(request)


AppDep = Annotated[App, Depends(_app)]

# A record's number in a path: bounded, so a number past the database's integer range is a 422, not a 500.
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The record's number")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def session_user(request: Request) -> auth.SessionUser | None:
    """Resolved once per request and cached on it."""
    if not hasattr(request.state, "session_user"):
        request.state.session_user = auth.current_session(
            get_app(request), request.cookies.get(SESSION_COOKIE), client_address(request)
        )
    return request.state.session_user  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def check_csrf(request: Request, expected: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden("This form has expired or did not come from sotchart. Reload the page and submit again.")


def current_actor(request: Request) -> Actor:
    """The API's caller: a bearer token, or a browser session with its CSRF header on changes. A plain
    `def`: FastAPI runs it in the thread pool, so its database reads never block the event loop."""
    token = _bearer(request)
    app = get_app(request)
    if token is not None:
        actor = auth.actor_for_token(app, token, client_address(request))
        if actor is None:
            raise NotSignedIn(
                "The bearer token is not valid, has expired or was revoked. The clinic's owner makes a new one on "
                "the Tokens page (or with `sotchart user token`)."
            )
        return actor
    su = session_user(request)
    if su is None or su.mfa:
        raise NotSignedIn("Sign in first (session ended or missing), or send a bearer token.")
    if request.method in UNSAFE:
        check_csrf(request, su.csrf_token, request.headers.get("x-csrf-token"))
    return su.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


async def page_user(request: Request) -> auth.SessionUser:
    """A page's signed-in user; forms must carry the session's CSRF token. The session is read in the
    thread pool (it is database work); only parsing the form happens on the event loop."""
    su = await run_in_threadpool(session_user, request)
    if su is None or su.mfa:
        raise SignInRequired()
    if request.method in UNSAFE:
        form = await request.form()
        submitted = form.get("csrf_token") or request.headers.get("x-csrf-token")
        check_csrf(request, su.csrf_token, submitted if isinstance(submitted, str) else None)
    return su


class SignInRequired(Exception):
    """Pages answer this with a redirect to the sign-in page (the API answers 401 instead)."""


PageUser = Annotated[auth.SessionUser, Depends(page_user)]


async def form_fields(request: Request) -> FormData:
    """The submitted form, parsed on the event loop (no database work), so handlers can be plain `def`."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_fields)]
