"""The research export, downloaded by researchers (and clinicians and owners) from the web."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sotchart.domain import deidentify
from sotchart.services import research
from sotchart.web.deps import AppDep, PageUser
from sotchart.web.pages.downloads import zip_download
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


@router.get("/research")
def research_page(request: Request, app: AppDep, user: PageUser) -> Response:
    research.may_export(app, user.actor)  # through the one door: a refusal is audited like any other
    return render(request, "research.html", safe_harbor=deidentify.SAFE_HARBOR, dictionary=deidentify.DICTIONARY)


@router.get("/research/export.zip")
def research_download(
    app: AppDep, user: PageUser, dates: Annotated[str, Query(max_length=10, pattern="^(|shifted)$")] = ""
) -> Response:
    """Strict Safe Harbor by default; `?dates=shifted` asks for dates shifted per patient instead."""

    def build(path: Path) -> str:
        report = research.export(app, user.actor, path, strict=dates != "shifted")
        return f"sotchart-research-{'strict-' if report.strict else ''}{app.clock().date().isoformat()}.zip"

    return zip_download(build, "sotchart-research-")
