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


HOW_TO = (
    'Sign in to sotchart in this browser and "Try it out" acts as you; a program sends a script token '
    "instead (Authorize, then paste it: the owner makes tokens on the Tokens page). Every update names the "
    "version it changes: send `If-Match` with the `ETag` of the record you read (428 without it, 412 when "
    "someone changed it first). Errors are `application/problem+json` with each field to fix. See docs/api.md."
)


@router.get("/openapi.json")
def openapi(request: Request, actor: ActorDep) -> JSONResponse:
    """For a signed-in browser or a bearer token of any scope."""
    schema: dict[str, Any] = request.app.openapi()
    if "bearer" not in schema.setdefault("components", {}).get("securitySchemes", {}):
        # Once per process (FastAPI keeps the schema): how to authenticate, so Swagger UI offers Authorize.
        schema["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "A script token (sot_…), read or write, made by the clinic's owner.",
        }
        schema["security"] = [{"bearer": []}, {}]  # a token, or the signed-in browser's session
        schema["info"]["description"] = HOW_TO
    return JSONResponse(schema)


@router.get("/api/docs")
def api_docs(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "api_docs.html")
