"""Secrets kept in the database (second-factor secrets, a clinic's mail password) are encrypted with a key
derived from the secret key, which lives outside the database."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from sotchart.services.context import App


def _fernet(app: App) -> Fernet:
    key = hashlib.sha256(app.settings.resolved_secret_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(app: App, secret: str) -> str:
    return _fernet(app).encrypt(secret.encode()).decode()


def open_sealed(app: App, value: str) -> str:
    """The secret; cryptography's InvalidToken when the value was sealed with another key."""
    return _fernet(app).decrypt(value.encode()).decode()
