"""Build and check the schema through Alembic; the schema is never made by create_all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sotchart.store.database import Database
from sotchart.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database) -> None:
    command.upgrade(_config(db), "head")


def head_revision() -> str:
    script = ScriptDirectory.from_config(_bare_config())
    return script.get_current_head() or ""


def _bare_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass
class DriftReport:
    current: str | None
    head: str
    differences: list[str]

    @property
    def ok(self) -> bool:
        return self.current == self.head and not self.differences


def check(db: Database) -> DriftReport:
    """Compare the live schema with the tables the code expects, and the revision with the newest one."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
        current = ctx.get_current_revision()
    return DriftReport(current, head_revision(), [str(d) for d in diffs])
