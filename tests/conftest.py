"""The whole suite runs on SQLite and on a real PostgreSQL server that this session starts.

Each test gets an App on a migrated database shared by the session and makes its own clinic, so
tests stay independent without a database per test; tests that need a pristine database (audit
tampering, backup, restore, crash) ask for `fresh_app`.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sotchart.services.context import App
from sotchart.settings import Settings
from sotchart.store import Database, migrate
from tests.support.postgres import PostgresServer

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("SOTCHART_TEST_DB", "sqlite,postgresql"),
        help="Comma-separated databases to run the suite on (sqlite, postgresql)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"--db: unknown {sorted(unknown)}; use {', '.join(BACKENDS)}")
        metafunc.parametrize("backend", chosen, scope="session")


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sotchart-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


class DatabaseFactory:
    """Makes new, migrated databases of one backend."""

    def __init__(self, backend: str, root: Path, request: pytest.FixtureRequest) -> None:
        self.backend = backend
        self.root = root
        self.request = request

    def new_url(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / (name + '.db')}"
        server: PostgresServer = self.request.getfixturevalue("postgres_server")
        return server.create_database(name)

    def new_migrated(self) -> str:
        url = self.new_url()
        db = Database(url)
        try:
            migrate.upgrade(db)
        finally:
            db.dispose()
        return url


@pytest.fixture(scope="session")
def db_factory(backend: str, tmp_root: Path, request: pytest.FixtureRequest) -> DatabaseFactory:
    return DatabaseFactory(backend, tmp_root, request)


@pytest.fixture(scope="session")
def shared_database(db_factory: DatabaseFactory) -> Iterator[Database]:
    db = Database(db_factory.new_migrated())
    yield db
    db.dispose()


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    # Tests date their visits by the UTC clock; a clinic's own zone is tested on its own (test_time_zone).
    overrides.setdefault("time_zone", "UTC")
    return Settings(
        environment="test", database_url=url, data_dir=data_dir, secret_key="test-secret-key-" + "x" * 32, **overrides
    )  # type: ignore[arg-type]


@pytest.fixture
def app(shared_database: Database, tmp_path: Path) -> Iterator[App]:
    a = App(
        settings=make_settings(str(shared_database.url.render_as_string(hide_password=False)), tmp_path),
        db=shared_database,
    )
    yield a
    if a._audit_writer is not None:  # the shared database outlives the test; only the writer thread ends
        a._audit_writer.close()


@pytest.fixture
def fresh_app(db_factory: DatabaseFactory, tmp_path: Path) -> Iterator[App]:
    url = db_factory.new_migrated()
    a = App.from_settings(make_settings(url, tmp_path))
    yield a
    a.close()
