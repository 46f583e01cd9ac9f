"""Entry point for uvicorn's worker processes: each builds its own app from the environment."""

from fastapi import FastAPI

from sotchart.settings import Settings
from sotchart.web.app import create_app


def create() -> FastAPI:
    return create_app(Settings())
