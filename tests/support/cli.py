"""Running the real `sotchart` command in a subprocess, against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sotchart.services.context import App


def env_for(app: App, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOTCHART_")}
    env.update(
        {
            "SOTCHART_DATABASE_URL": app.db.url.render_as_string(hide_password=False),
            "SOTCHART_DATA_DIR": str(app.settings.data_dir),
            "SOTCHART_SECRET_KEY": app.settings.secret_key or "",
            "SOTCHART_ENVIRONMENT": "test",
            "SOTCHART_TIME_ZONE": app.settings.time_zone,
        }
    )
    env.update(extra)
    return env


def run(app: App, *args: str, input_text: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sotchart", *args],
        env=env_for(app, **extra),
        text=True,
        capture_output=True,
        input=input_text,
        timeout=300,
        cwd=Path(__file__).parent,
    )
