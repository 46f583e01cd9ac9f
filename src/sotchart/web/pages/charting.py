"""The visit screen: every action posts one small change; the server saves a revision and re-renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.charting import INTAKE_FIELDS, bp_lines, referral_findings
from sotchart.domain.charting_ops import amendment
from sotchart.domain.errors import Conflict, InvalidInput, StaleVersion
from sotchart.domain.patients import age_on
from sotchart.domain.roles import Action, allows
from sotchart.domain.signature import closing_lines
from sotchart.services import care_plans, charting, intake_review, protocol, visits
from sotchart.services.auth import SessionUser
from sotchart.services.context import App
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages import visit_view
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)
LIST_FIELDS = ("red_flags", "conditions", "symptoms", "spinal_regions", "extraspinal_regions", "keep_block")


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
    app: App,
    user: SessionUser,
    record: charting.VisitRecord,
    status_code: int = 200,
    message: str = "",
    problems: list[tuple[str, str]] | None = None,
    notice: str = "",
    amend_form: dict[str, str] | None = None,
) -> Response:
    pack = protocol.active(app.settings)
    position = visit_view.block_position(record.document, record.assessment, pack)
    ctx = {
        "record": record,
        "pack": pack,
        "doc": record.document,
        "a": record.assessment,
        "panel": visit_view.panel(record, pack),
        "recheck": visit_view.recheck_rows(record, pack),
        "marks": visit_view.block_marks((record.document.get("treatment") or {}).get("blocks") or [], position),
        "position": position,
        "bp_lines": bp_lines(record.document),
        "signature": closing_lines(str(record.visit.get("note") or "")),
        "letter_findings": referral_findings(record.assessment),
        "user_id": user.actor.user_id,
        "age": age_on(record.patient["birth_date"], record.visit["visit_date"]),
        "describe": visit_view.describe,
        "message": message,
        "notice": notice,
        "problems": problems or [],
        "amend_form": amend_form,
        "intake_fields": INTAKE_FIELDS,
        "tablet": intake_review.for_visit(app, user.actor, record.visit["id"]),
        "can_sign": allows(user.actor.role, Action.VISIT_SIGN),
        "editable": record.visit["status"] == "draft" and allows(user.actor.role, Action.VISIT_UPDATE),
        "desk_vitals": record.visit["status"] == "draft" and allows(user.actor.role, Action.VITALS_RECORD),
    }
    partial = bool(request.headers.get("hx-request"))
    if not partial:  # the page's own line, outside the part each step redraws
        ctx["plan_place"] = care_plans.visit_place(app, user.actor, record.visit)
    return render(request, "_visit_main.html" if partial else "visit_chart.html", status_code=status_code, **ctx)


@router.get("/visits/{visit_id}")
def chart_visit(
    request: Request, app: AppDep, user: PageUser, visit_id: RecordId, opened: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    notice = (
        "This patient already has a visit today: this is it. For a second visit today, use "
        "“Start a visit of another kind…” on the chart."
        if opened == "existing"
        else ""
    )
    return _page(request, app, user, charting.open_record(app, user.actor, visit_id), notice=notice)


def _rev(form: dict[str, str]) -> int | None:
    raw = form.pop("rev", "")
    return int(raw) if raw.isdigit() else None


def _run(request: Request, app, user, visit_id: int, raw, action, *, keep_form: bool = False) -> Response:  # type: ignore[no-untyped-def]
    form = _form_dict(raw)
    form.pop("csrf_token", None)
    rev = _rev(form)
    typed = dict(form) if keep_form else None
    try:
        record = action(form, rev)
    except StaleVersion as e:
        return _page(
            request, app, user, charting.open_record(app, user.actor, visit_id), 409, e.detail, amend_form=typed
        )
    except (InvalidInput, Conflict) as e:
        # 409 for a conflict (the page keeps what was typed), 422 for a value refused (it shows what is stored).
        status = 409 if isinstance(e, Conflict) else 422
        problems = [(p.field, p.message) for p in getattr(e, "problems", [])]
        return _page(
            request,
            app,
            user,
            charting.open_record(app, user.actor, visit_id),
            status,
            e.detail,
            problems,
            amend_form=typed,
        )
    if request.headers.get("hx-request"):
        return _page(request, app, user, record)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/act")
def act(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    return _run(
        request,
        app,
        user,
        visit_id,
        form,
        lambda f, rev: charting.act(app, user.actor, visit_id, f.pop("op", ""), f, rev),
    )


@router.post("/visits/{visit_id}/take-intake")
def take_intake(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    """The patient's tablet answers taken into the record, in one revision."""
    raw = str(form.get("intake_id") or "")
    return _run(
        request,
        app,
        user,
        visit_id,
        form,
        lambda f, rev: intake_review.take_into_visit(app, user.actor, visit_id, int(raw) if raw.isdigit() else 0, rev),
    )


@router.post("/visits/{visit_id}/override")
def override(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    return _run(
        request,
        app,
        user,
        visit_id,
        form,
        lambda f, rev: charting.override_gate(app, user.actor, visit_id, f.get("reason", "")),
    )


@router.post("/visits/{visit_id}/referral")
def referral(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    return _run(
        request,
        app,
        user,
        visit_id,
        form,
        lambda f, rev: charting.record_referral(app, user.actor, visit_id, f.get("to", ""), f.get("reason", "")),
    )


@router.post("/visits/{visit_id}/sign")
def sign(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    return _run(request, app, user, visit_id, form, lambda f, rev: charting.sign(app, user.actor, visit_id, rev))


@router.post("/visits/{visit_id}/amend")
def amend(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    def do(f: dict[str, str], rev: int | None) -> charting.VisitRecord:
        record = charting.open_record(app, user.actor, visit_id)
        doc = amendment(record.document, f)
        return charting.amend(app, user.actor, visit_id, doc, f.get("reason", ""), rev)

    return _run(request, app, user, visit_id, form, do, keep_form=True)


@router.get("/visits/{visit_id}/versions/{revision}")
def signed_version(request: Request, app: AppDep, user: PageUser, visit_id: RecordId, revision: RecordId) -> Response:
    """One signed version as it was signed, with what changed from the version before."""
    return render(request, "visit_version.html", signed=charting.signed_version(app, user.actor, visit_id, revision))


@router.post("/visits/{visit_id}/entered-in-error")
def entered_in_error(request: Request, app: AppDep, user: PageUser, form: FormDep, visit_id: RecordId) -> Response:
    def do(f: dict[str, str], rev: int | None) -> charting.VisitRecord:
        version = f.get("version", "")
        visits.mark_entered_in_error(
            app, user.actor, visit_id, f.get("reason", ""), int(version) if version.isdigit() else None
        )
        return charting.open_record(app, user.actor, visit_id)

    return _run(request, app, user, visit_id, form, do)
