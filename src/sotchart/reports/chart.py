"""The whole chart of a patient as one PDF (demographics, alerts, progress charts, questionnaires and every
visit's note), for a patient's export and for the clinic's own records."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from sotchart.reports import charts
from sotchart.reports.pdf import render_pdf
from sotchart.services import patients, questionnaires
from sotchart.services.context import Actor, App


def chart_pdf(app: App, actor: Actor, patient_id: int, clinic_name: str = "") -> bytes:
    chart = patients.open_chart(app, actor, patient_id)
    outcomes = questionnaires.courses(app, actor, patient_id)
    return render_pdf(
        "chart.html",
        clinic_name=clinic_name,
        today=chart.today,
        chart=chart,
        outcomes=outcomes,
        notes=patients.chart_notes(app, actor, patient_id),
        charts=charts.progress(chart.progress, outcomes),
    )


def add_chart_pdfs(
    zip_path: Path,
    app: App,
    actor: Actor,
    patient_ids: list[int],
    clinic_name: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append pdf/<chart number>.pdf for each patient to an export zip; returns how many were added."""
    with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for pid in patient_ids:
            chart = patients.open_chart(app, actor, pid)
            z.writestr(f"pdf/{chart.patient.chart_number}.pdf", chart_pdf(app, actor, pid, clinic_name))
            if progress:
                progress(1)
    return len(patient_ids)
