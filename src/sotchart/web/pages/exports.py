"""An owner downloads one patient's whole record: FHIR R4, each table as CSV, and the chart as a PDF."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from sotchart.reports.chart import add_chart_pdfs
from sotchart.services import fhir_export
from sotchart.web.deps import AppDep, PageUser, RecordId
from sotchart.web.pages.downloads import zip_download

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/export.zip")
def patient_export(app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    def build(path: Path) -> str:
        report = fhir_export.export(app, user.actor, path, patient_id=patient_id)
        add_chart_pdfs(report.path, app, user.actor, [patient_id], user.clinic_name)
        return f"patient-{patient_id}-record.zip"

    return zip_download(build, "sotchart-export-")
