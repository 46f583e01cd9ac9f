"""Password hashing with argon2id; hashes are upgraded at sign-in when the parameters change."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sotchart.domain.errors import FieldProblem, InvalidInput

# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            "The password is too short.",
            [
                FieldProblem(
                    "password",
                    f"Use at least {MIN_LENGTH} characters; a phrase of several words is easiest to remember.",
                )
            ],
        )
    if len(password) > 1024:
        raise InvalidInput("The password is too long.", [FieldProblem("password", "Use at most 1024 characters.")])


def verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so an unknown user costs the time a wrong password does."""
    return _hasher.hash(secrets.token_urlsafe(16))


def rehash(password: str) -> str:
    return _hasher.hash(password)
