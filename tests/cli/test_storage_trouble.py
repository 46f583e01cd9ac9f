"""When the database's files cannot be written, sotchart says so and what to fix; it once printed a
traceback on a read-only database, and when its shared-memory file was cut short under it the server died
of SIGBUS with nothing logged. These run a real `sotchart serve` on a real SQLite file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup

from tests.support.server import free_port

NOBODY = 65534


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder outside pytest's own (which only root may enter), so another user can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="sotchart-storage-"))
    folder.chmod(0o755)
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOTCHART_")}
    return env | {"SOTCHART_DATA_DIR": str(data), "SOTCHART_SECRET_KEY": "storage-test-" + "k" * 32}


def _sotchart(
    data: Path, *args: str, other_user: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The command line; with `other_user`, as a user who does not own the files (root's permissions
    would let it write anything, so a root test drops to nobody)."""
    command = [sys.executable, "-m", "sotchart", *args]
    if other_user and os.getuid() == 0:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    return subprocess.run(command, env=_env(data), text=True, capture_output=True, timeout=timeout)


def _made(data: Path) -> Path:
    made = _sotchart(data, "db", "upgrade")
    assert made.returncode == 0, made.stderr
    return data / "sotchart.db"


def test_a_read_only_database_is_refused_at_start_with_what_to_fix(data_dir: Path) -> None:
    db = _made(data_dir)
    data_dir.chmod(0o755)
    db.chmod(0o444)
    if os.getuid() != 0:
        data_dir.chmod(0o555)
    r = _sotchart(data_dir, "serve", "--port", str(free_port()), other_user=True)
    assert r.returncode == 1
    assert "cannot write its database" in r.stderr and str(db) in r.stderr and "read-write" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_a_data_folder_that_is_not_the_services_is_refused_with_what_to_fix(data_dir: Path) -> None:
    _made(data_dir)
    if os.getuid() != 0:
        data_dir.chmod(0o000)
    try:
        r = _sotchart(data_dir, "serve", "--port", str(free_port()), other_user=True)
    finally:
        data_dir.chmod(0o700)
    assert r.returncode == 1
    assert "cannot use its data folder" in r.stderr and "Permission denied" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def _failed_sign_in(url: str) -> int:
    with httpx.Client(base_url=url, timeout=10) as client:
        form = BeautifulSoup(client.get("/sign-in").text, "html.parser")
        pre = str(form.select_one("input[name=pre_token]")["value"])  # type: ignore[index]
        data = {"email": "someone@clinic.test", "password": "not-a-password", "pre_token": pre, "next": "/"}
        return client.post("/sign-in", data=data).status_code


def test_a_worker_killed_by_its_files_is_logged_and_replaced(data_dir: Path) -> None:
    _made(data_dir)
    port = free_port()
    log = data_dir.parent / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sotchart", "serve", "--port", str(port)],
            env=_env(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server, log)
        assert _failed_sign_in(url) == 401  # the database is open, its shared memory mapped
        shm = data_dir / "sotchart.db-shm"
        assert shm.exists()
        os.truncate(shm, 0)  # the mapped file cut short: the next read of it is a SIGBUS
        with pytest.raises(httpx.HTTPError):
            _failed_sign_in(url)
        _wait_for(url, server, log)
        assert _failed_sign_in(url) == 401, "a new worker answers"
        assert "Fatal Python error: Bus error" in log.read_text(), log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
        assert server.poll() is None, log.read_text()
    raise AssertionError("the server did not answer in 60 s: " + log.read_text())
