"""A zip built for one download: written into its own temporary folder, sent, then removed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask


def zip_download(build: Callable[[Path], str], prefix: str) -> FileResponse:
    """`build(path)` writes the zip at `path` and returns the file name the browser saves it as. The
    folder goes once the response is sent, or at once when building fails."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    path = folder / "download.zip"
    try:
        filename = build(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=filename,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
