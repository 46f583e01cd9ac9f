"""The application factory: nothing is built until create_app(settings) is called."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sotchart import __version__
from sotchart.services import reminders
from sotchart.services.context import App
from sotchart.services.kiosk import DEVICE_COOKIE
from sotchart.settings import Settings
from sotchart.web import errors
from sotchart.web.admission import Admission
from sotchart.web.api import assessments as assessments_api
from sotchart.web.api import charting as charting_api
from sotchart.web.api import questionnaires as questionnaires_api
from sotchart.web.api import router as api_router
from sotchart.web.deps import SignInRequired
from sotchart.web.fhir import routes as fhir_routes
from sotchart.web.middleware import BodyLimit, SecurityHeaders, ServerTiming, TabletLock
from sotchart.web.pages import analytics as analytics_pages
from sotchart.web.pages import api_docs as api_docs_pages
from sotchart.web.pages import calendar as calendar_pages
from sotchart.web.pages import care_plans as care_plan_pages
from sotchart.web.pages import charting as charting_pages
from sotchart.web.pages import examinations as examination_pages
from sotchart.web.pages import exports as export_pages
from sotchart.web.pages import kiosk as kiosk_pages
from sotchart.web.pages import reports as report_pages
from sotchart.web.pages import research as research_pages
from sotchart.web.pages import router as pages_router
from sotchart.web.pages import settings as settings_pages
from sotchart.web.pages import staff as staff_pages
from sotchart.web.pages import tokens as token_pages

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, app_handle: App | None = None) -> FastAPI:
    settings = settings or Settings()
    handle = app_handle or App.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A server sends the appointment messages that fall due; a handle passed in (tests) sends none.
        sender = (
            reminders.SenderLoop(handle, settings.reminder_interval_seconds).start()
            if app_handle is None and settings.reminder_interval_seconds
            else None
        )
        yield
        if sender is not None:
            sender.stop()
        if app_handle is None:  # a handle passed in belongs to the caller
            handle.close()

    app = FastAPI(
        lifespan=lifespan,
        title="sotchart",
        version=__version__,
        summary="The clinical system for chiropractors who practise Sacro Occipital Technique.",
        # The reference is served by pages/api_docs.py, for the signed-in only and from our own files.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sotchart = handle
    errors.install(app)

    @app.exception_handler(SignInRequired)
    async def _to_sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import urlsplit

        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            # A form sent after the session lapsed: come back to the page it was sent from (its address
            # takes only GET), where the browser's Back still holds what was typed.
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc in ("", request.url.netloc)
            target = (referer.path + ("?" + referer.query if referer.query else "")) if same_site else "/"
            target = target or "/"
        if request.headers.get("hx-request"):
            # htmx follows redirects inside the fragment; make it load the sign-in page whole instead, and come
            # back to the page the tap was made on (the tap itself waits in the browser, see visit.js).
            page = urlsplit(request.headers.get("hx-current-url", "")).path or "/"
            return Response(status_code=204, headers={"HX-Redirect": "/sign-in?next=" + _safe_next(page)})
        return RedirectResponse("/sign-in?next=" + _safe_next(target), status_code=303)

    app.include_router(api_router.router)
    app.include_router(assessments_api.router)
    app.include_router(charting_api.router)
    app.include_router(questionnaires_api.router)
    app.include_router(pages_router.router)
    app.include_router(calendar_pages.router)
    app.include_router(care_plan_pages.router)
    app.include_router(settings_pages.router)
    app.include_router(charting_pages.router)
    app.include_router(kiosk_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(examination_pages.router)
    app.include_router(research_pages.router)
    app.include_router(export_pages.router)
    app.include_router(fhir_routes.router)
    app.include_router(report_pages.router)
    app.include_router(api_docs_pages.router)
    app.include_router(token_pages.router)
    app.include_router(staff_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # Each added wraps those before it: the body's size is checked before anything reads it.
    app.add_middleware(TabletLock, cookie=DEVICE_COOKIE)
    app.add_middleware(ServerTiming)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        Admission,
        active=settings.max_active_requests,
        queued=settings.max_queued_requests,
        wait_seconds=settings.queue_wait_seconds,
    )
    if settings.proxies:
        # Outermost of all: the client's address is settled before anything (the audit, the throttle) reads it.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxies)
    return app


def _safe_next(path: str) -> str:
    from urllib.parse import quote

    # Only local paths: an attacker's link must not bounce a signed-in user to another site.
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    return quote(path, safe="/")
