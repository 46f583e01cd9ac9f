"""The only package that talks to the database (SQLAlchemy Core, Alembic migrations)."""

from sotchart.store.database import Database

__all__ = ["Database"]
