"""Rendering pages from the Jinja2 templates, with the signed-in user and CSRF token in reach."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from sotchart.domain.roles import Action, allows
from sotchart.reports.templates import TEMPLATES, environment

__all__ = ["TEMPLATES", "environment", "error_page", "render"]


# The top menu: each page with the right it needs, so a role is shown only what it may open.
MENU: tuple[tuple[str, str, Action], ...] = (
    ("Today", "/today", Action.PATIENT_SEARCH),
    ("Calendar", "/calendar", Action.CALENDAR_READ),
    ("Patients", "/patients", Action.PATIENT_SEARCH),
    ("Analytics", "/analytics", Action.ANALYTICS_READ),
    ("Research", "/research", Action.DEIDENTIFIED_READ),
    ("Settings", "/settings", Action.CLINIC_SETTINGS),
    ("Staff", "/staff", Action.USER_MANAGE),
)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    su = getattr(request.state, "session_user", None)
    context.setdefault("user", su if su is not None and not su.mfa else None)
    role = context["user"].actor.role if context["user"] is not None else None
    context["menu"] = [(label, path) for label, path, action in MENU if role is not None and allows(role, action)]
    context.setdefault("csrf_token", su.csrf_token if su is not None else "")
    context["request_path"] = request.url.path
    production = request.app.state.sotchart.settings.environment == "production"
    html = environment(reload=not production).get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    if request.headers.get("hx-request"):
        # Inside a page, show the message where the fragment would have gone.
        return render(request, "_error.html", status_code=status_code, title=title, detail=detail)
    return render(request, "error.html", status_code=status_code, title=title, detail=detail)
