"""Schema upgrades and drift checks, for `sotchart db` and start-up."""

from __future__ import annotations

from sotchart.services.context import App
from sotchart.store import migrate
from sotchart.store.migrate import DriftReport


def ready(app: App) -> None:
    """Whether the database can be written now; StorageUnavailable, saying what to fix, if not."""
    app.db.check_writable()


def upgrade(app: App) -> str:
    migrate.upgrade(app.db)
    return migrate.current_revision(app.db) or ""


def check(app: App) -> DriftReport:
    return migrate.check(app.db)


def current(app: App) -> tuple[str | None, str]:
    return migrate.current_revision(app.db), migrate.head_revision()


def describe(app: App) -> dict[str, object]:
    return app.db.describe()
