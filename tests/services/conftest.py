"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest

from sotchart.services.context import App
from tests import factories


@pytest.fixture
def setting(app: App):  # type: ignore[no-untyped-def]
    """A clinic with its staff, a registered patient and a new-patient visit to chart."""
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    return c, p, v
