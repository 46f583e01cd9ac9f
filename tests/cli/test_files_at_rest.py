"""Patient data on disk is readable by the service's user alone: the database, its side files, the key,
the audit anchor and backups were 0644 (every local user could read them)."""

from __future__ import annotations

import stat
from pathlib import Path

from sotchart.services.context import App
from tests import factories
from tests.support import cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_the_services_alone(fresh_app: App, tmp_path: Path) -> None:
    factories.patient(fresh_app, factories.clinic_with_staff(fresh_app))
    data = fresh_app.settings.data_dir
    left_open = data / "notes-from-an-older-version.txt"
    left_open.write_text("x")
    left_open.chmod(0o644)
    data.chmod(0o755)
    copy = tmp_path / "elsewhere" / "backup.db"
    copy.parent.mkdir()
    r = cli.run(fresh_app, "backup", str(copy))
    assert r.returncode == 0, r.stderr
    assert _mode(data) == 0o700
    assert _mode(copy) == 0o600
    files = [f for f in data.iterdir() if f.is_file()]
    assert files and all(_mode(f) == 0o600 for f in files), {f.name: oct(_mode(f)) for f in files}
    if fresh_app.db.is_sqlite:
        db = Path(str(fresh_app.db.url.database))
        for f in (db, db.with_name(db.name + "-wal")):
            if f.exists():
                assert _mode(f) & 0o077 == 0, f"{f.name} is {oct(_mode(f))}"
