"""A patient's reports as PDF: the progress report, and the whole chart (demographics, alerts, progress
charts, questionnaires and every visit's note) for a patient's export and the clinic's own records."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sotchart.domain.patients import file_name_part
from sotchart.reports import charts
from sotchart.reports.pdf import render_pdf
from sotchart.services import patients, questionnaires
from sotchart.services.context import Actor, App


def _course(app: App, actor: Actor, patient_id: int) -> dict[str, Any]:
    """What both reports draw: the chart, the questionnaires' courses, and the progress charts."""
    chart = patients.open_chart(app, actor, patient_id)
    outcomes = questionnaires.courses(app, actor, patient_id)
    return {
        "chart": chart,
        "today": chart.today,
        "outcomes": outcomes,
        "charts": charts.progress(chart.progress, outcomes),
    }


def progress_pdf(app: App, actor: Actor, patient_id: int, clinic_name: str = "") -> tuple[str, bytes]:
    """The progress report; returned with the patient's chart number, for the file's name."""
    context = _course(app, actor, patient_id)
    return context["chart"].patient.chart_number, render_pdf("progress.html", clinic_name=clinic_name, **context)


def chart_pdf(app: App, actor: Actor, patient_id: int, clinic_name: str = "") -> tuple[str, bytes]:
    """The whole chart; returned with the patient's chart number, for the file's name."""
    context = _course(app, actor, patient_id)
    pdf = render_pdf(
        "chart.html", clinic_name=clinic_name, notes=patients.chart_notes(app, actor, patient_id), **context
    )
    return context["chart"].patient.chart_number, pdf


def add_chart_pdfs(
    zip_path: Path,
    app: App,
    actor: Actor,
    patient_ids: list[int],
    clinic_name: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append pdf/<chart number>-<id>.pdf for each patient to an export zip; returns how many were added."""
    with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for pid in patient_ids:
            chart_number, pdf = chart_pdf(app, actor, pid, clinic_name)
            # Member names are made from safe identifiers, whatever a chart number once held.
            z.writestr(f"pdf/{file_name_part(chart_number)}-{pid}.pdf", pdf)
            if progress:
                progress(1)
    return len(patient_ids)
