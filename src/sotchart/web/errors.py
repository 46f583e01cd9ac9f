"""Every error becomes an answer a person can act on: problem+json for the API, a page for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sotchart.domain.errors import FieldProblem, SotchartError
from sotchart.domain.protocol.reader import PackInvalid

log = logging.getLogger("sotchart.web")

_HTTP_HINTS = {
    404: "There is no page or record at this address. Check the link, or search for the patient.",
    405: "This address does not accept that kind of request.",
    413: "The request is too large. Shorten the text or send a smaller file.",
    415: "Send JSON (Content-Type: application/json) or a form.",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/fhir/", "/openapi.json")):
        return True
    return "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get(
        "accept", ""
    )


def problem(
    status: int,
    title: str,
    detail: str,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if problems:
        body["errors"] = [{"field": p.field, "message": p.message} for p in problems]
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


# Pydantic's messages for the mistakes people make in an address or a form, in words that say what to do.
_PLAIN = {
    "string_pattern_mismatch": "choose one of the values the page offers",
    "int_parsing": "use a whole number",
    "int_from_float": "use a whole number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "string_too_long": "is too long",
    "missing": "is missing",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


FHIR_ISSUE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "conflict",
    422: "invalid",
}


def _json_error(
    request: Request,
    status: int,
    title: str,
    detail: str,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """problem+json for the API; an OperationOutcome, as FHIR clients expect, under /fhir."""
    if not request.url.path.startswith("/fhir"):
        return problem(status, title, detail, problems, headers)
    issues: list[dict[str, Any]] = [
        {
            "severity": "error",
            "code": FHIR_ISSUE.get(status, "exception" if status >= 500 else "processing"),
            "diagnostics": f"{title}: {detail}",
        }
    ]
    issues += [
        {"severity": "error", "code": "invalid", "diagnostics": p.message, "expression": [p.field]}
        for p in problems or []
    ]
    return JSONResponse(
        {"resourceType": "OperationOutcome", "issue": issues},
        status_code=status,
        media_type="application/fhir+json",
        headers=headers,
    )


def install(app: FastAPI) -> None:
    from sotchart.web.pages.render import error_page  # the page renderer imports templates lazily

    @app.exception_handler(SotchartError)
    async def _sotchart(request: Request, exc: SotchartError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 and wants_json(request) else None
        if wants_json(request):
            return _json_error(request, exc.status, exc.title, exc.detail, exc.problems, headers)
        return error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(PackInvalid)
    async def _pack(request: Request, exc: PackInvalid) -> Response:
        log.error("protocol pack invalid: %s", exc)
        detail = (
            "The clinic's protocol pack is invalid, so the SOT engine cannot run. Run "
            "`sotchart protocol validate` on it and fix: " + "; ".join(str(p) for p in exc.problems[:3])
        )
        if wants_json(request):
            return _json_error(request, 500, "Protocol pack invalid", detail)
        return error_page(request, 500, "Protocol pack invalid", detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            msg = _PLAIN.get(str(err.get("type", "")), str(err.get("msg", "is not valid")))
            problems.append(FieldProblem(_field_name(tuple(err.get("loc", ()))), msg))
        detail = "Some entries need fixing: " + "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
        if wants_json(request):
            return _json_error(request, 422, "Some entries need fixing", detail, problems)
        return error_page(request, 422, "Some entries need fixing", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = (
            exc.detail
            if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed")
            else _HTTP_HINTS.get(exc.status_code, "The request could not be completed.")
        )
        title = {404: "Not found", 405: "Not allowed here", 413: "Too large"}.get(exc.status_code, "Request problem")
        if wants_json(request):
            return _json_error(request, exc.status_code, title, detail, headers=getattr(exc, "headers", None))
        return error_page(request, exc.status_code, title, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # A page that failed to show may follow a change that was saved (the redirect after a booking): only
        # a failed change can say it changed nothing.
        detail = (
            "Something went wrong on the server while showing this page. Reload it; if you had just saved "
            "something, look whether it is there before saving it again. If it keeps happening, tell the "
            "clinic's administrator the time it happened."
            if request.method == "GET"
            else "Something went wrong on the server and this change was not saved. Try again; if it keeps "
            "happening, tell the clinic's administrator the time it happened."
        )
        if wants_json(request):
            return _json_error(request, 500, "Server error", detail)
        return error_page(request, 500, "Server error", detail)
