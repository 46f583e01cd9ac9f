"""Entry point for uvicorn's worker processes: each builds its own app from the environment."""

import ctypes
import faulthandler
import multiprocessing
import os
import signal
import sys

from fastapi import FastAPI

from sotchart.settings import Settings
from sotchart.web.app import create_app


def create() -> FastAPI:
    # A fatal signal (SIGBUS, SIGSEGV) ends a worker without Python's own error handling: print where it
    # was to the server's log, so a death is never silent (the supervisor then starts another).
    faulthandler.enable()
    _end_with_the_supervisor()
    return create_app(Settings())


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _end_with_the_supervisor() -> None:
    """A worker whose supervisor is killed (`kill -9` of `sotchart serve`) goes too, instead of living on as
    an orphan that keeps the port, still answering, so neither the proxy's checks notice the server is gone
    nor can it be started again ("address already in use")."""
    if not sys.platform.startswith("linux"):
        return
    # The supervisor's pid as multiprocessing handed it over at the spawn, not getppid() read now: a worker
    # still importing when the supervisor was killed has already been handed to init, and would take init
    # for its supervisor.
    parent = multiprocessing.parent_process()
    supervisor = parent.pid if parent is not None else os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request above was in place
        os.kill(os.getpid(), signal.SIGTERM)
