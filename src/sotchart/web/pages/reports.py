"""PDF reports for a visit and a patient: the patient's visit summary, a referral letter, a progress report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sotchart.domain.charting import bp_lines, care_lines, referral_findings
from sotchart.domain.errors import Conflict
from sotchart.domain.findings import is_positive
from sotchart.reports.chart import progress_pdf
from sotchart.reports.pdf import render_pdf
from sotchart.services import billing, charting, protocol
from sotchart.web.deps import AppDep, PageUser, RecordId

router = APIRouter(include_in_schema=False)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.get("/visits/{visit_id}/summary.pdf")
def visit_summary(app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    r = charting.open_record(app, user.actor, visit_id)
    pack = protocol.active(app.settings)
    procs = [
        pack.procedures[c].name
        for c in (r.document.get("treatment") or {}).get("procedures") or []
        if c in pack.procedures
    ]
    findings = [f for f in r.document.get("findings") or [] if f.get("phase") == "pre"]
    pdf = render_pdf(
        "visit_summary.html",
        clinic_name=user.clinic_name,
        today=r.visit["visit_date"],
        visit=r.visit,
        patient=r.patient,
        doc=r.document,
        a=r.assessment,
        procedures=procs,
        bp=bp_lines(r.document),
        pre_count=len(findings),
        positive_count=sum(1 for f in findings if is_positive(f, "pre")),
    )
    return _pdf(pdf, f"visit-{r.visit['visit_date']}.pdf")


@router.get("/visits/{visit_id}/referral.pdf")
def referral(app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    r = charting.open_record(app, user.actor, visit_id)
    ref = (r.document.get("gate") or {}).get("referral")
    if not ref:
        raise Conflict("No referral is recorded for this visit. Record one on the visit screen first.")
    pdf = render_pdf(
        "referral.html",
        clinic_name=user.clinic_name,
        today=r.visit["visit_date"],
        visit=r.visit,
        patient=r.patient,
        referral=ref,
        sender=r.referred_by or ref.get("by", ""),
        a=r.assessment,
        bp=bp_lines(r.document),
        care=care_lines(r.document, charting.indicator_names(app)),
        findings=referral_findings(r.assessment),
    )
    return _pdf(pdf, f"referral-{r.visit['visit_date']}.pdf")


@router.get("/patients/{patient_id}/progress.pdf")
def progress(app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    chart_number, pdf = progress_pdf(app, user.actor, patient_id, user.clinic_name)
    return _pdf(pdf, f"progress-{chart_number}.pdf")


@router.get("/visits/{visit_id}/superbill.pdf")
def superbill(app: AppDep, user: PageUser, visit_id: RecordId) -> Response:
    bill = billing.superbill(app, user.actor, visit_id)
    r = bill["record"]
    pdf = render_pdf(
        "superbill.html",
        clinic_name=user.clinic_name,
        today=r.visit["visit_date"],
        visit=r.visit,
        patient=r.patient,
        bill=bill,
    )
    return _pdf(pdf, f"superbill-{r.visit['visit_date']}.pdf")
