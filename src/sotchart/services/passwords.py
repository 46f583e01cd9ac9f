"""Password hashing with argon2id; hashes are upgraded at sign-in when the parameters change."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sotchart.domain.errors import FieldProblem, InvalidInput

# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash. A password a person chose is checked first, once, where the account is checked
    (users.check_new_account): zxcvbn is not cheap to run twice."""
    return _hasher.hash(password)


# NIST SP 800-63B §5.1.1.2: refuse passwords found in lists of common or breached ones, repetitive or
# sequential characters, and context-specific words (the service's name, the user's own name and email).
# zxcvbn (Dropbox's estimator, its frequency lists included) scores all of these; 3 is "safely unguessable:
# moderate protection from offline slow-hash scenario" (< 10^10 guesses), which argon2id makes offline.
MIN_SCORE = 3
# zxcvbn's run time grows with length; what makes a long password guessable shows in its first 100 characters.
SCORED_LENGTH = 100


def context_words(*values: str) -> list[str]:
    """The words a guesser would try first for this person: each value, and its parts."""
    words = {"sotchart", "sot", "chiropractic", "chiropractor", "clinic"}
    for value in values:
        value = value.strip().lower()
        if value:
            parts = [w for w in re.split(r"[\s@._+-]+", value) if len(w) > 2]
            words.update([value, *parts, "".join(parts), value.split("@")[0].replace(".", "")])
    return sorted(words)


def check_strength(password: str, context: Sequence[str] = ()) -> None:
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
    from zxcvbn import zxcvbn  # its word lists (14 MB) load when a password is chosen, not in every worker

    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=list(context))
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        why = str(feedback.get("warning") or "It is too easy to guess.").rstrip(".")
        tips = " ".join(feedback.get("suggestions") or []) or "Use a phrase of several uncommon words."
        raise InvalidInput(
            "The password is too easy to guess.",
            [FieldProblem("password", f"{why}. {tips} Avoid your name, your email and the clinic's name.")],
        )


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
