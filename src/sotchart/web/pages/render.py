"""Rendering pages from the Jinja2 templates, with the signed-in user and CSRF token in reach."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sotchart import __version__

TEMPLATES = Path(__file__).parent.parent / "templates"


def _date(value: date | datetime | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return ""
    return value.strftime(fmt)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["d"] = _date
    env.globals["version"] = __version__
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    su = getattr(request.state, "session_user", None)
    context.setdefault("user", su if su is not None and not su.mfa else None)
    context.setdefault("csrf_token", su.csrf_token if su is not None else "")
    context["request_path"] = request.url.path
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    if request.headers.get("hx-request"):
        # Inside a page, show the message where the fragment would have gone.
        return render(request, "_error.html", status_code=status_code, title=title, detail=detail)
    return render(request, "error.html", status_code=status_code, title=title, detail=detail)
