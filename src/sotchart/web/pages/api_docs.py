"""The API's reference for whoever is signed in: the OpenAPI description and Swagger UI, served from
sotchart's own files. The description lists every route and field, which is no one's business but the
clinic's staff and their scripts; and the page loads nothing from elsewhere, as the content policy says."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from sotchart.web.deps import ActorDep, PageUser
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi(request: Request, actor: ActorDep) -> JSONResponse:
    """For a signed-in browser or a bearer token of any scope."""
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@router.get("/api/docs")
def api_docs(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "api_docs.html")
