"""The patient's tablet, and the desk's side of handing it over.

The desk makes a short code for one patient and one task (POST /patients/{id}/kiosk) and shows it with its QR.
The tablet opens /tablet, types the code (or scans the QR) and gets its own device cookie; from then on that
browser reaches only /tablet (web/middleware.TabletLock), and any staff session it carried is signed out."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain import intake as intake_rules
from sotchart.domain.errors import Conflict, InvalidInput, NotFound
from sotchart.services import auth, intake_review, kiosk
from sotchart.web.deps import SESSION_COOKIE, AppDep, FormDep, PageUser, RecordId, client_address
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
SessionId = Annotated[str, Path(min_length=32, max_length=32, pattern="^[0-9a-f]+$")]
STEP = Annotated[str, Path(pattern="^(checkin|history|screen|consent|questionnaires)$")]


# --- the desk ---


def _qr(request: Request, code: str) -> str:
    import segno  # loaded when a tablet is handed over, not in every worker

    target = f"{request.base_url}tablet?code={quote(code)}"
    return str(segno.make(target, error="m").svg_data_uri(scale=6, border=2))


def _handover_page(request: Request, h: kiosk.Handover, status_code: int = 200) -> Response:
    return render(
        request,
        "tablet_handover.html",
        status_code=status_code,
        h=h,
        code=intake_rules.shown_code(h.code) if h.code else "",
        qr=_qr(request, h.code) if h.code else "",
        tablet_address=f"{request.base_url}tablet",
    )


@router.post("/patients/{patient_id}/kiosk")
def open_kiosk(app: AppDep, user: PageUser, form: FormDep, request: Request, patient_id: RecordId) -> Response:
    raw = str(form.get("appointment_id") or "")
    h = kiosk.open_tablet(app, user.actor, patient_id, str(form.get("task") or ""), int(raw) if raw.isdigit() else None)
    return _handover_page(request, h)


@router.get("/kiosk-sessions/{session_id}")
def handover_page(request: Request, app: AppDep, user: PageUser, session_id: SessionId) -> Response:
    return _handover_page(request, kiosk.handover(app, user.actor, session_id))


@router.post("/kiosk-sessions/{session_id}/code")
def another_code(request: Request, app: AppDep, user: PageUser, session_id: SessionId) -> Response:
    return _handover_page(request, kiosk.new_code(app, user.actor, session_id))


@router.post("/kiosk-sessions/{session_id}/end")
def end_session(app: AppDep, user: PageUser, session_id: SessionId) -> Response:
    kiosk.end_at_desk(app, user.actor, session_id)
    return RedirectResponse(f"/kiosk-sessions/{session_id}", status_code=303)


@router.get("/intakes/{intake_id}/signature.png")
def signature(app: AppDep, user: PageUser, intake_id: RecordId) -> Response:
    return Response(intake_review.signature_png(app, user.actor, intake_id), media_type="image/png")


# --- the tablet ---


def _device(request: Request) -> str | None:
    return request.cookies.get(kiosk.DEVICE_COOKIE)


def _form_key(device: str) -> str:
    """The tablet's forms carry this (the cookie is SameSite=Strict as well): a page elsewhere cannot post."""
    return hashlib.sha256(("tablet-form:" + device).encode()).hexdigest()[:32]


def _entry(request: Request, status_code: int = 200, *, code: str = "", message: str = "", gone: str = "") -> Response:
    resp = render(request, "tablet.html", status_code=status_code, t=None, code=code, message=message, gone=gone)
    if _device(request):
        resp.delete_cookie(kiosk.DEVICE_COOKIE, path="/")
    return resp


def _step_page(
    request: Request,
    t: kiosk.Tablet,
    device: str,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    message: str = "",
    problems: list[tuple[str, str]] | None = None,
) -> Response:
    return render(
        request,
        "tablet.html",
        status_code=status_code,
        t=t,
        key=_form_key(device),
        form=form or {},
        message=message,
        problems=dict(problems or []),
        step_words=kiosk.STEP_WORDS,
        answers=intake_rules.ANSWERS,
        history_questions=list(intake_rules.HISTORY_QUESTIONS.items()),
        pregnancy_question=intake_rules.PREGNANCY_QUESTION,
    )


@router.get("/tablet")
def tablet_page(
    request: Request,
    app: AppDep,
    step: Annotated[str, Query(max_length=20)] = "",
    code: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    device = _device(request)
    if not device:
        return _entry(request, code=code)
    try:
        t = kiosk.tablet(app, device, step)
    except NotFound as e:
        return _entry(request, gone=e.detail)
    return _step_page(request, t, device)


@router.post("/tablet")
def tablet_claim(request: Request, app: AppDep, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        device = kiosk.claim(app, code, client_address(request))
    except InvalidInput as e:
        return _entry(request, 422, code=code, message=e.detail)
    resp = RedirectResponse("/tablet", status_code=303)
    resp.set_cookie(
        kiosk.DEVICE_COOKIE,
        device,
        httponly=True,
        samesite="strict",
        secure=app.settings.secure_cookies,
        path="/",
    )
    # The tablet is the patient's now: a staff member's session on this browser ends here, so Back or the
    # address bar leads to no clinic page.
    if request.cookies.get(SESSION_COOKIE):
        auth.sign_out(app, request.cookies.get(SESSION_COOKIE), client_address(request))
        resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _checked(request: Request, form: dict[str, str]) -> str | None:
    device = _device(request)
    if not device or not hmac.compare_digest(form.get("key", ""), _form_key(device)):
        return None
    return device


@router.post("/tablet/send")
def tablet_send(request: Request, app: AppDep, raw: FormDep) -> Response:
    form = {k: str(v) for k, v in raw.items()}
    device = _checked(request, form)
    try:
        if device is None:
            raise NotFound(kiosk.GONE)
        kiosk.send(app, device)
    except NotFound as e:
        return _entry(request, 404, gone=e.detail)
    except (InvalidInput, Conflict) as e:
        assert device is not None
        problems = [(p.field, p.message) for p in getattr(e, "problems", [])]
        return _step_page(request, kiosk.tablet(app, device, "send"), device, 422, message=e.detail, problems=problems)
    resp = render(request, "tablet.html", t=None, done=True, code="", message="", gone="")
    resp.delete_cookie(kiosk.DEVICE_COOKIE, path="/")
    return resp


@router.post("/tablet/{step}")
def tablet_step(request: Request, app: AppDep, raw: FormDep, step: STEP) -> Response:
    form = {k: str(v) for k, v in raw.items()}
    device = _checked(request, form)
    try:
        if device is None:
            raise NotFound(kiosk.GONE)
        following = kiosk.save_step(app, device, step, form)
    except NotFound as e:
        return _entry(request, 404, gone=e.detail)
    except (InvalidInput, Conflict) as e:
        assert device is not None
        problems = [(p.field, p.message) for p in getattr(e, "problems", [])]
        shown = kiosk.tablet(app, device, step)
        return _step_page(request, shown, device, 422, form=form, message=e.detail, problems=problems)
    # Each step at its own address, so the tablet's Back shows the page before, with what was given.
    return RedirectResponse(f"/tablet?step={following}", status_code=303)
