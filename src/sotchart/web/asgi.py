"""Entry point for uvicorn's worker processes: each builds its own app from the environment."""

import faulthandler

from fastapi import FastAPI

from sotchart.settings import Settings
from sotchart.web.app import create_app


def create() -> FastAPI:
    # A fatal signal (SIGBUS, SIGSEGV) ends a worker without Python's own error handling: print where it
    # was to the server's log, so a death is never silent (the supervisor then starts another).
    faulthandler.enable()
    return create_app(Settings())
