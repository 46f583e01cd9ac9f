"""Signing in and out: passwords, the second factor, sessions, lockout and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from cryptography.fernet import InvalidToken

from sotchart.domain.errors import FieldProblem, InvalidInput, NotSignedIn
from sotchart.domain.roles import Role
from sotchart.services import passwords, secrets_at_rest
from sotchart.services.context import Actor, App, Unit, before_actor
from sotchart.store import clinics as clinic_store
from sotchart.store import users as user_store

SIGN_IN_FAILED = (
    "Sign-in failed. Check the email address and password and try again. "
    "After several failed tries an account is locked for a while; the clinic's owner can unlock it."
)
ISSUER = "sotchart"


@dataclass(frozen=True)
class Session:
    token: str  # the cookie value; only its hash is stored
    csrf_token: str
    mfa: str  # "" (done), "verify" (enter a code) or "enroll" (set up a code first)


@dataclass(frozen=True)
class SessionUser:
    actor: Actor
    csrf_token: str
    mfa: str
    display_name: str
    clinic_name: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mfa_state(app: App, user: dict[str, object]) -> str:
    if user["mfa_enrolled_at"] is not None:
        return "verify"
    if user["role"] in app.settings.mfa_roles:
        return "enroll"
    return ""


def _audit(
    app: App, u: Unit | None, action: str, user: dict[str, object] | None, outcome: str, address: str, detail: str = ""
) -> None:
    actor = Actor(
        user_id=int(user["id"]) if user else None,  # type: ignore[call-overload]
        clinic_id=int(user["clinic_id"]) if user else None,  # type: ignore[call-overload]
        role=Role(str(user["role"])) if user else Role.SYSTEM,
        label=str(user["email"]) if user else "unknown",
        address=address,
    )
    if u is not None:
        Unit(app, actor, u.conn, u.now).audit(
            action, "user", user["id"] if user else "", outcome=outcome, detail=detail
        )
        return
    with before_actor(app) as conn:
        Unit(app, actor, conn, app.clock()).audit(
            action, "user", user["id"] if user else "", outcome=outcome, detail=detail
        )


def _throttle_keys(user_id: int | None, address: str) -> list[str]:
    """What a failed sign-in from this address counts against: the address, and the account from it."""
    keys = [f"address:{address}"[:120]]
    if user_id is not None:
        keys.append(f"account:{user_id}:{address}"[:120])
    return keys


def _count_failure(app: App, conn: Any, keys: list[str], now: datetime) -> int:
    """Count one failure against each key; the account's count (from this address) is returned, or the
    address's when there is no account. An address is refused after `address_attempts`, an account from
    an address after `lockout_attempts`, each for `lockout_minutes`."""
    s = app.settings
    window = timedelta(minutes=s.lockout_minutes)
    counts = [
        user_store.count_throttled_failure(
            conn,
            key,
            now,
            limit=s.address_attempts if key.startswith("address:") else s.lockout_attempts,
            window_start=now - window,
            block_until=now + window,
        )
        for key in keys
    ]
    return counts[-1]


def sign_in(app: App, email: str, password: str, address: str) -> Session:
    """A new session (a fresh id every time), or NotSignedIn with the same message for every failure.

    Wrong passwords lock the account for the address they came from, not for everyone: whoever knows a
    colleague's email could otherwise keep them out (ASVS 5.0 V6.3.1 asks for no mass lockout). An address
    that fails across accounts is refused for a while, which stops spraying one password over many."""
    email = email.strip().lower()
    if not email or not password or len(email) > 254 or len(password) > 1024:
        raise NotSignedIn(SIGN_IN_FAILED)
    now = app.clock()
    with before_actor(app, read=True) as conn:
        user = user_store.by_email(conn, email)
        keys = _throttle_keys(int(user["id"]) if user else None, address)
        throttled = user_store.blocked_until(conn, keys, now) is not None
    if user is None:
        passwords.verify(passwords.dummy_hash(), password)
        with before_actor(app) as conn:
            if not throttled:
                _count_failure(app, conn, keys, now)
            u = Unit(app, Actor.console(), conn, now)
            _audit(app, u, "sign-in", None, "failure", address, "address refused" if throttled else "unknown account")
        raise NotSignedIn(SIGN_IN_FAILED)
    locked = is_locked(user, now) or throttled
    # Verify even when locked, so a locked account answers in the same time as any other failure.
    good = passwords.verify(user["password_hash"], password)
    with before_actor(app) as conn:
        u = Unit(app, Actor.console(), conn, now)
        if locked or not good:
            if not locked:
                _count_failure(app, conn, keys, now)
            why = "address refused" if throttled else "locked" if locked else "wrong password"
            _audit(app, u, "sign-in", user, "failure", address, why)
        else:
            mfa = _mfa_state(app, user)
            # With a second factor still to give, the failures stay counted: a known password must not
            # reset the count of wrong codes (the code clears it, once right).
            changes: dict[str, object] = {} if mfa else {"failed_attempts": 0, "locked_until": None}
            if not mfa:
                user_store.clear_throttle(conn, keys[1:])
            if passwords.needs_rehash(user["password_hash"]):
                changes["password_hash"] = passwords.hash_password(password)
            if changes:
                user_store.set_fields(conn, user["id"], now, **changes)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            user_store.create_session(
                conn,
                session_hash=_digest(token),
                user_id=user["id"],
                csrf_token=csrf,
                mfa_passed=not mfa,
                now=now,
                address=address,
            )
            _audit(app, u, "sign-in", user, "success" if not mfa else "password-ok", address)
            return Session(token, csrf, mfa)
    raise NotSignedIn(SIGN_IN_FAILED)


def current_session(app: App, token: str | None, address: str) -> SessionUser | None:
    """The session's user, or None when it is unknown, ended, idle too long or too old."""
    if not token or len(token) > 200:
        return None
    now = app.clock()
    s = app.settings
    # Read first, without the write lock; write only to end the session or move its idle clock.
    with before_actor(app, read=True) as conn:
        sess = user_store.get_session(conn, _digest(token))
        if sess is None:
            return None
        user = user_store.get(conn, sess["user_id"])
        clinic = clinic_store.get(conn, user["clinic_id"]) if user else None
    idle = now - sess["last_seen_at"] > timedelta(minutes=s.session_idle_minutes)
    too_old = now - sess["created_at"] > timedelta(hours=s.session_max_hours)
    if idle or too_old or user is None or user["disabled_at"] is not None:
        with before_actor(app) as conn:
            user_store.end_session(conn, sess["id"], now)
        return None
    # Touch at most every 15 s: the idle clock stays accurate without a write per request.
    if now - sess["last_seen_at"] > timedelta(seconds=15):
        with before_actor(app) as conn:
            user_store.touch_session(conn, sess["id"], now)
    mfa = "" if sess["mfa_passed"] else _mfa_state(app, user)
    actor = Actor(user["id"], user["clinic_id"], Role(user["role"]), user["email"], address)
    return SessionUser(actor, sess["csrf_token"], mfa, user["display_name"], clinic["name"] if clinic else "")


def sign_out(app: App, token: str | None, address: str) -> None:
    if not token:
        return
    now = app.clock()
    with before_actor(app) as conn:
        sess = user_store.get_session(conn, _digest(token))
        if sess is None:
            return
        user_store.end_session(conn, sess["id"], now)
        user = user_store.get(conn, sess["user_id"])
        _audit(app, Unit(app, Actor.console(), conn, now), "sign-out", user, "success", address)


# --- second factor (TOTP) ---
#
# OWASP ASVS 5.0 (V6, level 2) asks that second-factor attempts be limited and that recovery exist. Five
# wrong codes end the half-signed-in session (the password must be given again), and every wrong code
# counts towards the account's lockout, which a correct password alone no longer clears: with the
# defaults a guesser gets 5 tries per 15 minutes against 3 valid codes in a million.

MFA_SESSION_ATTEMPTS = 5
ENROL_FRESH_MINUTES = 10  # setting up a second factor needs a password given this recently
RECOVERY_CODES = 10


@dataclass(frozen=True)
class CodeAccepted:
    recovery_codes: list[str]  # shown once, when a second factor has just been set up
    used_recovery_code: bool = False


def _pending_session(conn: Any, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    sess = user_store.get_session(conn, _digest(token))
    if sess is None:
        raise NotSignedIn("Your session has ended. Sign in again.")
    user = user_store.get(conn, int(sess["user_id"]))
    assert user is not None
    return sess, user


def is_locked(user: dict[str, Any], now: datetime) -> bool:
    """Locked by the owner, or for a while after too many failures: the one definition sign-in, the second
    factor and the staff list use."""
    until = user["locked_until"]
    return user["disabled_at"] is not None or (isinstance(until, datetime) and until > now)


def begin_enrollment(app: App, token: str) -> tuple[str, str]:
    """The TOTP secret being set up in this session: (secret, otpauth URI). It is made once per session and
    kept with the session until a code confirms it, so a reload shows the same one and another session
    (whoever else knows the password) can neither see nor bind it."""
    now = app.clock()
    with before_actor(app) as conn:
        sess, user = _pending_session(conn, token)
        if user["mfa_enrolled_at"] is not None:
            raise InvalidInput("A second factor is already set up. Ask the owner to reset it if the device is lost.")
        created = sess["created_at"]
        assert isinstance(created, datetime)
        if now - created > timedelta(minutes=ENROL_FRESH_MINUTES):
            user_store.end_session(conn, str(sess["id"]), now)
            raise NotSignedIn("Setting up a second factor needs a fresh sign-in. Sign in again with your password.")
        if sess.get("mfa_pending"):
            secret = _decrypt(app, str(sess["mfa_pending"]))
        else:
            secret = pyotp.random_base32()
            user_store.set_session_fields(conn, str(sess["id"]), mfa_pending=secrets_at_rest.seal(app, secret))
    uri = pyotp.TOTP(secret).provisioning_uri(name=str(user["email"]), issuer_name=ISSUER)
    return secret, uri


def _recovery_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch in "0123456789abcdef")


def new_recovery_codes(conn: Any, user_id: int, now: datetime) -> list[str]:
    """Ten single-use codes of 40 random bits, shown once; only their hashes are kept."""
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    user_store.replace_recovery_codes(conn, user_id, [_recovery_hash(user_id, c) for c in codes], now)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def check_code(app: App, token: str, code: str, address: str) -> CodeAccepted:
    """Verify a six-digit code, or a recovery code, for the session (confirming set-up on first use).
    A wrong code counts against the session and the account; too many end the session."""
    now = app.clock()
    digits = "".join(ch for ch in code if ch.isdigit())
    with before_actor(app) as conn:
        sess, user = _pending_session(conn, token)
        u = Unit(app, Actor.console(), conn, now)
        uid = int(user["id"])
        keys = _throttle_keys(uid, address)
        if is_locked(user, now) or user_store.blocked_until(conn, keys, now) is not None:
            user_store.end_session(conn, str(sess["id"]), now)
            _audit(app, u, "sign-in.mfa", user, "failure", address, "locked")
            raise NotSignedIn(SIGN_IN_FAILED)
        enrolling = user["mfa_enrolled_at"] is None
        secret = (
            _decrypt(app, str(sess["mfa_pending"])) if enrolling and sess.get("mfa_pending") else _secret(app, user)
        )
        step = _fresh_step(secret, digits, user, now)
        ok = step is not None
        spare = _normal_recovery(code)
        recovered = (
            not ok
            and not enrolling
            and len(spare) == 10
            and user_store.use_recovery_code(conn, uid, _recovery_hash(uid, spare), now)
        )
        if ok or recovered:
            codes: list[str] = []
            changes: dict[str, object] = {"failed_attempts": 0, "locked_until": None}
            user_store.clear_throttle(conn, keys[1:])
            if enrolling:
                changes |= {"mfa_enrolled_at": now, "mfa_secret": secrets_at_rest.seal(app, secret)}
                codes = new_recovery_codes(conn, uid, now)
                _audit(app, u, "mfa.enroll", user, "success", address)
            if ok:
                changes["mfa_last_step"] = step
            user_store.set_fields(conn, uid, now, **changes)
            user_store.set_session_mfa(conn, str(sess["id"]), True)
            _audit(app, u, "sign-in", user, "success", address, "recovery code" if recovered else "second factor")
            return CodeAccepted(codes, bool(recovered))
        # A wrong code locks the account for every address (whoever gives it knows the password), and
        # counts with the wrong passwords from this address too.
        s = app.settings
        failed = user_store.record_failure(
            conn, uid, now, s.lockout_attempts, now + timedelta(minutes=s.lockout_minutes)
        )
        failed = max(failed, _count_failure(app, conn, keys, now))
        tries = user_store.count_mfa_failure(conn, str(sess["id"]))
        _audit(app, u, "sign-in.mfa", user, "failure", address, f"wrong code {tries}")
        fresh = user_store.get(conn, uid)
        refused = user_store.blocked_until(conn, keys, now) is not None
        if tries >= MFA_SESSION_ATTEMPTS or refused or (fresh is not None and is_locked(fresh, now)):
            user_store.end_session(conn, str(sess["id"]), now)
            ended = True
        else:
            ended = False
    if ended:
        raise NotSignedIn("Too many wrong codes. Sign in again with your password; the account may be locked a while.")
    # Fewer tries may be left than this session's five: the account counts wrong codes and passwords too.
    left = min(MFA_SESSION_ATTEMPTS - tries, app.settings.lockout_attempts - failed)
    raise InvalidInput(
        "That code did not match.",
        [
            FieldProblem(
                "code",
                f"Enter the 6-digit code your authenticator app shows now, or a recovery code. "
                f"{left} {'try' if left == 1 else 'tries'} left before you sign in again.",
            )
        ],
    )


def _decrypt(app: App, value: str) -> str:
    try:
        return secrets_at_rest.open_sealed(app, value)
    except InvalidToken:
        return ""


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (one before, now or one after, for clock drift) whose code this is, if any."""
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _fresh_step(secret: str, code: str, user: dict[str, Any], now: datetime) -> int | None:
    """The time step of a code that matches and was not used before (a code is good once), else None."""
    step = _matching_step(secret, code, now)
    return step if step is not None and step > int(user["mfa_last_step"] or -1) else None


def _secret(app: App, user: dict[str, object]) -> str:
    return _decrypt(app, str(user["mfa_secret"])) if user["mfa_secret"] else ""


def current_code(app: App, email: str, secret: str = "", *, steps_ahead: int = 0) -> str:
    """The code a user's authenticator would show now (for the demo sign-in and for tests); during set-up,
    pass the secret the enrolment page showed. `steps_ahead=1` is the next 30-second code, which is
    accepted for clock drift: a second act needing a fresh code within the same half-minute."""
    at = app.clock() + timedelta(seconds=30 * steps_ahead)
    if secret:
        return pyotp.TOTP(secret).at(at)
    with before_actor(app, read=True) as conn:
        user = user_store.by_email(conn, email.lower())
    if not user or not user["mfa_secret"]:
        raise InvalidInput(f"{email} has no second factor set up.")
    return pyotp.TOTP(_secret(app, user)).at(at)


# --- API tokens for scripts ---


TOKEN_USE_NOTED = timedelta(minutes=1)


def actor_for_token(app: App, token: str, address: str) -> Actor | None:
    """The token's account as an actor with the token's scope, while the token is live (not revoked,
    not expired) and the account not locked."""
    if not token or len(token) > 200:
        return None
    now = app.clock()
    with before_actor(app, read=True) as conn:
        user = user_store.user_for_token(conn, _digest(token), now)
    if user is None or user["disabled_at"] is not None:
        return None
    last = user["token_last_used_at"]
    if last is None or now - last > TOKEN_USE_NOTED:
        # The owner's list says when each token was last used: noted at most once a minute per token.
        with before_actor(app) as conn:
            user_store.mark_token_used(conn, int(user["token_id"]), now, now - TOKEN_USE_NOTED)
    return Actor(
        user["id"], user["clinic_id"], Role(user["role"]), user["email"], address, scope=str(user["token_scope"])
    )


def confirm_second_factor(
    app: App, conn: Any, user: dict[str, Any], code: str, *, act: str = "A token for this account"
) -> None:
    """A fresh code from the account's own authenticator, for an act that needs the second factor outside
    a sign-in (a token for an owner, new recovery codes). The code is used up, as at sign-in."""
    now = app.clock()
    step = _fresh_step(_secret(app, user), "".join(ch for ch in code if ch.isdigit()), user, now)
    if user["mfa_enrolled_at"] is None:
        raise InvalidInput(
            f"{user['email']} must set up a second factor (sign in once) first: {act[0].lower() + act[1:]} needs it.",
            [FieldProblem("code", "Sign in as this account and set up the authenticator first.")],
        )
    if step is None:
        given = bool(code.strip())
        raise InvalidInput(
            "That code did not match, or was used already."
            if given
            else f"{act} needs the code its authenticator shows now.",
            [
                FieldProblem(
                    "code",
                    "Wait for the authenticator app to show a new code and enter that one (each code is good once)."
                    if given
                    else "Enter the 6-digit code the account holder's authenticator app shows now.",
                )
            ],
        )
    user_store.set_fields(conn, int(user["id"]), now, mfa_last_step=step)


def new_token_value() -> tuple[str, str]:
    token = "sot_" + secrets.token_urlsafe(32)
    return token, _digest(token)
