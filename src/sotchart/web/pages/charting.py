"""The visit screen: every action posts one small change; the server saves a revision and re-renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.charting import INTAKE_FIELDS
from sotchart.domain.errors import Conflict, InvalidInput, StaleVersion
from sotchart.domain.roles import Action, allows
from sotchart.services import charting, protocol, visits
from sotchart.web.deps import AppDep, PageUser
from sotchart.web.pages import visit_view
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LIST_FIELDS = ("red_flags", "conditions", "symptoms")


def _form_dict(form) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out: dict[str, str] = {}
    for key in set(form.keys()):
        values = [str(v) for v in form.getlist(key)]
        out[key] = ",".join(values) if key in LIST_FIELDS else values[-1]
    choice = out.pop("choice", "")
    if choice:  # one button carries value and side together, e.g. "positive|left"
        value, _, side = choice.partition("|")
        out["value"], out["side"] = value, side
    return out


def _page(
    request: Request,
    app,
    user,
    record: charting.VisitRecord,
    status_code: int = 200,  # type: ignore[no-untyped-def]
    message: str = "",
    problems: list[tuple[str, str]] | None = None,
) -> Response:
    pack = protocol.active(app.settings)
    ctx = {
        "record": record,
        "pack": pack,
        "doc": record.document,
        "a": record.assessment,
        "panel": visit_view.panel(record, pack),
        "recheck": visit_view.recheck_rows(record, pack),
        "marks": visit_view.block_marks(
            (record.document.get("treatment") or {}).get("blocks") or [],
            (record.document.get("treatment") or {}).get("position")
            or ((record.assessment.get("blocking") or {}).get("position") or "prone"),
        ),
        "describe": visit_view.describe,
        "message": message,
        "problems": problems or [],
        "intake_fields": INTAKE_FIELDS,
        "can_sign": allows(user.actor.role, Action.VISIT_SIGN),
        "editable": record.visit["status"] == "draft" and allows(user.actor.role, Action.VISIT_UPDATE),
    }
    template = "_visit_main.html" if request.headers.get("hx-request") else "visit_chart.html"
    return render(request, template, status_code=status_code, **ctx)


@router.get("/visits/{visit_id}")
def chart_visit(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    return _page(request, app, user, charting.open_record(app, user.actor, visit_id))


def _rev(form: dict[str, str]) -> int | None:
    raw = form.pop("rev", "")
    return int(raw) if raw.isdigit() else None


async def _run(request: Request, app, user, visit_id: int, action) -> Response:  # type: ignore[no-untyped-def]
    form = _form_dict(await request.form())
    form.pop("csrf_token", None)
    rev = _rev(form)
    try:
        record = action(form, rev)
    except StaleVersion as e:
        return _page(request, app, user, charting.open_record(app, user.actor, visit_id), 409, e.detail)
    except (InvalidInput, Conflict) as e:
        problems = [(p.field, p.message) for p in getattr(e, "problems", [])]
        return _page(request, app, user, charting.open_record(app, user.actor, visit_id), 422, e.detail, problems)
    if request.headers.get("hx-request"):
        return _page(request, app, user, record)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/act")
async def act(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    return await _run(
        request, app, user, visit_id, lambda f, rev: charting.act(app, user.actor, visit_id, f.pop("op", ""), f, rev)
    )


@router.post("/visits/{visit_id}/override")
async def override(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    return await _run(
        request,
        app,
        user,
        visit_id,
        lambda f, rev: charting.override_gate(app, user.actor, visit_id, f.get("reason", "")),
    )


@router.post("/visits/{visit_id}/referral")
async def referral(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    return await _run(
        request,
        app,
        user,
        visit_id,
        lambda f, rev: charting.record_referral(app, user.actor, visit_id, f.get("to", ""), f.get("reason", "")),
    )


@router.post("/visits/{visit_id}/sign")
async def sign(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    return await _run(request, app, user, visit_id, lambda f, rev: charting.sign(app, user.actor, visit_id, rev))


@router.post("/visits/{visit_id}/amend")
async def amend(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    def do(f: dict[str, str], rev: int | None) -> charting.VisitRecord:
        record = charting.open_record(app, user.actor, visit_id)
        doc = dict(record.document)
        doc["note"] = {s: f.get(s, doc.get("note", {}).get(s, "")) for s in ("S", "O", "A", "P")}
        return charting.amend(app, user.actor, visit_id, doc, f.get("reason", ""), rev)

    return await _run(request, app, user, visit_id, do)


@router.post("/visits/{visit_id}/entered-in-error")
async def entered_in_error(request: Request, app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    form = _form_dict(await request.form())
    visits.mark_entered_in_error(app, user.actor, visit_id, form.get("reason", ""), None)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)
