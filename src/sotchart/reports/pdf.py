"""Rendering a report template to PDF bytes. The same Jinja environment as the pages, a print stylesheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sotchart.reports.templates import environment

STATIC = Path(__file__).parents[1] / "web" / "static"


def render_pdf(template: str, **context: Any) -> bytes:
    # WeasyPrint is imported by the first PDF a worker makes, not by every worker at its start (40 MB each).
    from weasyprint import HTML

    html = environment().get_template(f"reports/{template}").render(**context)
    # base_url lets the template load the print stylesheet from the package's static folder, never the network.
    return HTML(string=html, base_url=str(STATIC)).write_pdf()  # type: ignore[no-any-return]
