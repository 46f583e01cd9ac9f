"""An owner downloads one patient's whole record: FHIR R4, each table as CSV, and the chart as a PDF."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from sotchart.reports.chart import add_chart_pdfs
from sotchart.services import fhir_export
from sotchart.web.deps import AppDep, PageUser
from sotchart.web.pages.charting import RecordId

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/export.zip")
def patient_export(app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    folder = Path(tempfile.mkdtemp(prefix="sotchart-export-"))
    try:
        report = fhir_export.export(app, user.actor, folder / "export.zip", patient_id=patient_id)
        add_chart_pdfs(report.path, app, user.actor, [patient_id], user.clinic_name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        report.path,
        media_type="application/zip",
        filename=f"patient-{patient_id}-record.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
