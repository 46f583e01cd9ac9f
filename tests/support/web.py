"""Helpers for driving the app over HTTP in tests: sign in as a role, read forms' CSRF tokens."""

from __future__ import annotations

import itertools
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from sotchart.services import auth
from sotchart.services.context import App
from sotchart.web.app import create_app
from tests.factories import PASSWORD

_machines = itertools.count(1)


def client(app: App, address: str | None = None) -> TestClient:
    """A browser on a machine of its own (its own address, as the sign-in throttle sees it), unless given."""
    n = next(_machines)
    return TestClient(
        create_app(app.settings, app_handle=app),
        raise_server_exceptions=False,
        follow_redirects=False,
        client=(address or f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 50000),
    )


def html(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def sign_in_form(c: TestClient) -> str:
    page = c.get("/sign-in")
    return str(html(page).select_one("input[name=pre_token]")["value"])


def sign_in(c: TestClient, email: str, password: str = PASSWORD, app: App | None = None):  # type: ignore[no-untyped-def]
    pre = sign_in_form(c)
    r = c.post("/sign-in", data={"email": email, "password": password, "pre_token": pre, "next": "/"})
    if r.status_code == 303 and r.headers["location"] in ("/sign-in/code", "/sign-in/enroll") and app is not None:
        _pass_second_factor(c, app, email, r.headers["location"])
    return r


def _pass_second_factor(c: TestClient, app: App, email: str, where: str) -> None:
    page = html(c.get(where))
    token = str(page.select_one("input[name=csrf_token]")["value"])
    shown = page.select_one("#mfa-secret")  # while setting up, the secret is the one this page shows
    code = auth.current_code(app, email, shown.text.strip() if shown else "")
    r = c.post(where, data={"code": code, "csrf_token": token})
    assert r.status_code in (200, 303), r.text
    if r.status_code == 200:  # set up just now: the recovery codes are shown once
        assert html(r).select_one("#recovery-codes") is not None, r.text[:500]


def csrf(c: TestClient) -> str:
    page = c.get("/patients")
    el = html(page).select_one("input[name=csrf_token]")
    assert el is not None, page.text[:500]
    return str(el["value"])


def routes(fastapi_app: Any) -> list[Any]:
    """Every route of the app, the included routers' too (FastAPI keeps those behind a wrapper)."""
    out: list[Any] = []

    def walk(items: Any) -> None:
        for r in items:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            else:
                out.append(r)

    walk(fastapi_app.routes)
    return out


def form_values(form: Any) -> dict[str, Any]:
    """What a browser would send for a form as drawn: text and hidden inputs, each select's chosen option,
    textareas, and the ticked checkboxes (a list under their name)."""
    data: dict[str, Any] = {}
    for el in form.select("input[name], textarea[name], select[name]"):
        name = el["name"]
        if el.name == "input" and el.get("type") in ("checkbox", "radio"):
            if el.has_attr("checked"):
                data.setdefault(name, []).append(el.get("value", "on"))
        elif el.name == "textarea":
            data[name] = el.text
        elif el.name == "select":
            option = el.select_one("option[selected]") or el.select_one("option")
            data[name] = (option.get("value") if option.has_attr("value") else option.text) if option else ""
        elif el.get("type") not in ("submit", "button"):
            data[name] = el.get("value", "")
    return data
