"""The kiosk pages: a patient fills questionnaires on a tablet; the link shows nothing else of the chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.errors import InvalidInput, NotFound
from sotchart.services import kiosk
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=10, max_length=100)]


@router.post("/patients/{patient_id}/kiosk")
def open_kiosk(app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    token = kiosk.open_kiosk(app, user.actor, patient_id)
    return RedirectResponse(f"/kiosk/{token}", status_code=303)


@router.get("/kiosk/{token}")
def kiosk_page(request: Request, app: AppDep, token: Token) -> Response:
    try:
        k = kiosk.view(app, token)
    except NotFound as e:
        return render(request, "kiosk.html", status_code=404, gone=e.detail, token="", form={})
    return render(request, "kiosk.html", k=k, token=token, form={})


@router.post("/kiosk/{token}")
def kiosk_submit(request: Request, app: AppDep, raw: FormDep, token: Token) -> Response:
    form = {k: str(v) for k, v in raw.items()}
    try:
        kiosk.submit(app, token, form)
    except NotFound as e:
        return render(request, "kiosk.html", status_code=404, gone=e.detail, token="", form={})
    except InvalidInput as e:
        return render(
            request,
            "kiosk.html",
            status_code=422,
            k=kiosk.view(app, token),
            token=token,
            form=form,
            message=e.detail,
            problems=[(p.field, p.message) for p in e.problems],
        )
    return render(request, "kiosk.html", done=True, token="", form={})
