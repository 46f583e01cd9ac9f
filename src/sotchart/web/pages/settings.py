"""The clinic's settings page, for its owner (address, hours, time zone, rooms, mail), and a clinician's own
calendar feed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain import appointments as rules
from sotchart.domain.errors import InvalidInput, NotFound
from sotchart.services import calendar_feeds, clinic_settings, reminders
from sotchart.web.deps import AppDep, FormDep, PageUser, client_address
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
MAIL_FIELDS = ("host", "port", "security", "username", "password", "sender", "reminder_hours")


def _page(
    request: Request,
    app: Any,
    user: Any,
    *,
    status_code: int = 200,
    error: Any = None,
    section: str = "",
    values: Any = None,
) -> Response:
    return render(
        request,
        "settings.html",
        status_code=status_code,
        s=clinic_settings.read(app, user.actor),
        weekdays=list(zip(rules.WEEKDAYS, rules.WEEKDAY_NAMES, strict=True)),
        section=section,
        values=values or {},
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
        saved=request.query_params.get("saved", ""),
    )


@router.get("/settings")
def settings_page(request: Request, app: AppDep, user: PageUser) -> Response:
    return _page(request, app, user)


def _saved(section: str) -> Response:
    return RedirectResponse(f"/settings?saved={section}#{section}", status_code=303)


@router.post("/settings/clinic")
def save_clinic(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    data = {k: str(v) for k, v in form.items()}
    try:
        clinic_settings.save_details(app, user.actor, data)
    except InvalidInput as e:
        return _page(request, app, user, status_code=422, error=e, section="clinic", values=data)
    return _saved("clinic")


@router.post("/settings/rooms")
def add_room(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    try:
        clinic_settings.add_room(app, user.actor, str(form.get("room", "")))
    except InvalidInput as e:
        return _page(
            request, app, user, status_code=422, error=e, section="rooms", values={"room": str(form.get("room", ""))}
        )
    return _saved("rooms")


@router.post("/settings/mail")
def save_mail(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    data = {k: str(form.get(k, "")) for k in MAIL_FIELDS}
    try:
        reminders.set_mail(app, user.actor, data, keep_password=not data["password"])
    except InvalidInput as e:
        return _page(request, app, user, status_code=422, error=e, section="mail", values=data | {"password": ""})
    return _saved("mail")


@router.post("/settings/mail/test")
def test_mail(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    try:
        reminders.send_test(app, user.actor, str(form.get("to", "")))
    except InvalidInput as e:
        return _page(
            request, app, user, status_code=422, error=e, section="mail", values={"to": str(form.get("to", ""))}
        )
    return _saved("mail-test")


# --- a clinician's calendar feed ---


@router.get("/calendar/feed")
def feed_page(request: Request, app: AppDep, user: PageUser) -> Response:
    return render(
        request, "calendar_feed.html", since=calendar_feeds.feed_since(app, user.actor), address="", problems={}
    )


@router.post("/calendar/feed")
def new_feed(request: Request, app: AppDep, user: PageUser) -> Response:
    try:
        token = calendar_feeds.issue_feed(app, user.actor)
    except InvalidInput as e:
        return render(
            request, "calendar_feed.html", status_code=422, since=None, address="", summary=e.detail, problems={}
        )
    address = str(request.base_url).rstrip("/") + f"/calendar/feed/{token}.ics"
    # Shown once: only the token's hash is kept.
    return render(request, "calendar_feed.html", since=None, address=address, problems={})


@router.post("/calendar/feed/stop")
def stop_feed(request: Request, app: AppDep, user: PageUser) -> Response:
    calendar_feeds.stop_feed(app, user.actor)
    return RedirectResponse("/calendar/feed", status_code=303)


@router.get("/calendar/feed/{token}.ics")
def feed(request: Request, app: AppDep, token: str) -> Response:
    """The feed itself: the address is the key (a phone's calendar sends no cookie)."""
    body = calendar_feeds.feed_ics(app, token[:100], client_address(request))
    if body is None:
        raise NotFound("This calendar address is not (or no longer) in use. Make a new one in sotchart.")
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "no-store"})
