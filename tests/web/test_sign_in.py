"""Sign-in: no user enumeration, lockout, a fresh session id, idle timeout, CSRF, second factor."""

from datetime import timedelta

from sotchart.domain.audit import AuditEntry
from sotchart.services import users
from sotchart.services.context import App
from sotchart.store import audit as audit_store
from sotchart.web.deps import SESSION_COOKIE
from tests import factories
from tests.support import web


def test_unknown_user_and_wrong_password_get_the_same_answer(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    unknown = web.sign_in(client, "nobody@clinic.test", "whatever-password")
    wrong = web.sign_in(client, c.emails["clinician"], "wrong-password-123")
    assert unknown.status_code == wrong.status_code == 401
    assert web.html(unknown).select_one("#sign-in-error").text == web.html(wrong).select_one("#sign-in-error").text
    assert SESSION_COOKIE not in client.cookies


def test_lockout_after_repeated_failures_looks_like_any_failure(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    limit = app.settings.lockout_attempts
    assert limit <= 10
    for _ in range(limit):
        assert web.sign_in(client, c.emails["clinician"], "wrong-password-123").status_code == 401
    locked = web.sign_in(client, c.emails["clinician"], factories.PASSWORD)
    assert locked.status_code == 401
    unknown = web.sign_in(client, "nobody@clinic.test", factories.PASSWORD)
    assert web.html(locked).select_one("#sign-in-error").text == web.html(unknown).select_one("#sign-in-error").text
    # After the lock period the right password works again.
    later = app.clock() + timedelta(minutes=app.settings.lockout_minutes + 1)
    app.clock = lambda: later
    assert web.sign_in(client, c.emails["clinician"], factories.PASSWORD).status_code == 303


def test_someone_who_knows_an_email_cannot_lock_its_owner_out(app: App) -> None:
    """Wrong passwords lock the account for the address they came from; the colleague at the front desk
    still signs in from hers (ASVS 5.0 V6.3.1: no mass lockout), and the owner's unlock clears them."""
    c = factories.clinic_with_staff(app)
    email = c.emails["clinician"]
    for _ in range(app.settings.lockout_attempts + 3):
        assert web.sign_in(web.client(app, "198.51.100.7"), email, "wrong-password-123").status_code == 401
    assert web.sign_in(web.client(app, "198.51.100.7"), email).status_code == 401  # locked for the guesser
    assert web.sign_in(web.client(app, "192.0.2.10"), email).status_code == 303  # not for the clinician
    users.lock_user(app, c.actor("owner"), email, locked=False)
    assert web.sign_in(web.client(app, "198.51.100.7"), email).status_code == 303
    trail = [e for e in _sign_ins(app) if e.address == "198.51.100.7" and e.outcome == "failure"]
    assert {e.detail for e in trail} == {"wrong password", "address refused"}


def test_spraying_one_password_over_many_accounts_is_refused_from_that_address(app: App) -> None:
    """One address trying a password on account after account (each below its own lockout) is refused
    after `address_attempts` failures, with the same answer as any failure, including for an account whose
    password it then guesses right; other addresses are not affected."""
    c = factories.clinic_with_staff(app)
    spray = web.client(app, "203.0.113.9")
    for n in range(app.settings.address_attempts):
        assert web.sign_in(spray, f"guess{n}@clinic.test", "Summer2026!Summer").status_code == 401
    right = web.sign_in(spray, c.emails["clinician"])
    assert right.status_code == 401
    unknown = web.sign_in(spray, "nobody@clinic.test", "Summer2026!Summer")
    assert web.html(right).select_one("#sign-in-error").text == web.html(unknown).select_one("#sign-in-error").text
    assert web.sign_in(web.client(app, "203.0.113.10"), c.emails["clinician"]).status_code == 303
    later = app.clock() + timedelta(minutes=app.settings.lockout_minutes + 1)
    app.clock = lambda: later
    assert web.sign_in(spray, c.emails["clinician"]).status_code == 303


def _sign_ins(app: App) -> list[AuditEntry]:
    with app.db.read() as conn:
        return [e for e in audit_store.iter_entries(conn) if e.action == "sign-in"]


def test_sign_in_issues_a_fresh_httponly_samesite_session(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-session-id")
    r = web.sign_in(client, c.emails["clinician"])
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    # A browser-session cookie: closing the browser ends it (the server ends the session by its own clock).
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower(), cookie
    issued = cookie.split(";")[0].split("=", 1)[1]
    assert issued != "attacker-chosen-session-id" and len(issued) >= 40
    fresh = web.client(app)
    fresh.cookies.set(SESSION_COOKIE, issued)
    assert fresh.get("/patients").status_code == 200


def test_idle_session_ends(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    assert client.get("/patients").status_code == 200
    start = app.clock()
    app.clock = lambda: start + timedelta(minutes=app.settings.session_idle_minutes - 1)
    assert client.get("/patients").status_code == 200  # activity keeps it alive
    app.clock = lambda: start + timedelta(minutes=2 * app.settings.session_idle_minutes)
    r = client.get("/patients")
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")
    assert client.get("/api/v1/me").status_code == 401


def test_a_busy_session_still_ends_after_its_maximum(app: App) -> None:
    """Used every ten minutes all day, a session ends at `session_max_hours` and asks for the password."""
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    start = app.clock()
    step = timedelta(minutes=10)
    at = start
    while at + step < start + timedelta(hours=app.settings.session_max_hours):
        at += step
        app.clock = lambda at=at: at  # type: ignore[misc]
        assert client.get("/patients").status_code == 200, at - start
    app.clock = lambda: start + timedelta(hours=app.settings.session_max_hours, minutes=1)
    r = client.get("/patients")
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")


def test_form_without_csrf_token_is_refused_and_changes_nothing(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["assistant"])
    data = {"family_name": "Csrfvictim", "given_name": "A", "birth_date": "1990-01-01"}
    assert client.post("/patients/new", data=data).status_code == 403
    assert client.post("/patients/new", data={**data, "csrf_token": "forged"}).status_code == 403
    api = client.post("/api/v1/patients", json=data)
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/problem+json")
    found = client.get("/api/v1/patients", params={"q": "csrfvictim"}).json()["patients"]
    assert found == []
    ok = client.post("/patients/new", data={**data, "csrf_token": web.csrf(client)})
    assert ok.status_code == 303


def test_sign_in_form_itself_needs_its_token(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    r = client.post(
        "/sign-in",
        data={"email": c.emails["clinician"], "password": factories.PASSWORD, "pre_token": "forged", "next": "/"},
    )
    assert r.status_code == 403


def test_owner_must_set_up_a_second_factor_then_use_it(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    r = web.sign_in(client, c.emails["owner"])
    assert r.headers["location"] == "/sign-in/enroll"
    assert client.get("/patients").status_code == 303  # not signed in until the code is confirmed
    page = client.get("/sign-in/enroll")
    assert web.html(page).select_one("svg") is not None
    token = str(web.html(page).select_one("input[name=csrf_token]")["value"])
    bad = client.post("/sign-in/enroll", data={"code": "000000", "csrf_token": token})
    assert bad.status_code == 422
    from sotchart.services import auth

    secret = web.html(page).select_one("#mfa-secret").text.strip()
    # A reload of the page shows the same secret: it is made once for this sign-in.
    assert web.html(client.get("/sign-in/enroll")).select_one("#mfa-secret").text.strip() == secret
    ok = client.post(
        "/sign-in/enroll", data={"code": auth.current_code(app, c.emails["owner"], secret), "csrf_token": token}
    )
    assert ok.status_code == 200 and len(web.html(ok).select("#recovery-codes li")) == 10
    assert client.get("/patients").status_code == 200
    # Next time the owner is asked for a code, not a new enrollment.
    fresh = web.client(app)
    r2 = web.sign_in(fresh, c.emails["owner"])
    assert r2.headers["location"] == "/sign-in/code"


def test_sign_out_ends_the_session(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    cookie = client.cookies.get(SESSION_COOKIE)
    r = client.post("/sign-out", data={"csrf_token": web.csrf(client)})
    assert r.status_code == 303
    replay = web.client(app)
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/patients").status_code == 303


def test_password_hash_is_upgraded_when_the_parameters_change(app: App) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import text

    c = factories.clinic_with_staff(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(factories.PASSWORD)
    with app.db.transaction() as conn:
        conn.execute(
            text("UPDATE app_user SET password_hash = :h WHERE email = :e"), {"h": weak, "e": c.emails["clinician"]}
        )
    assert web.sign_in(web.client(app), c.emails["clinician"]).status_code == 303
    with app.db.transaction() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM app_user WHERE email = :e"), {"e": c.emails["clinician"]}
        ).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$") and "m=65536" in stored
    assert web.sign_in(web.client(app), c.emails["clinician"]).status_code == 303


def test_a_second_factor_code_works_once(app: App) -> None:
    from datetime import UTC, datetime

    from sotchart.services import auth

    c = factories.clinic_with_staff(app)
    # A fixed instant 5 s into a 30-second step, so every code below belongs to the step the test means.
    step_start = int(app.clock().timestamp()) // 30 * 30
    frozen = datetime.fromtimestamp(step_start + 5, UTC)
    app.clock = lambda: frozen
    first = web.client(app)
    web.sign_in(first, c.emails["owner"], app=app)  # enrols and uses the current code
    assert first.get("/patients").status_code == 200
    used = auth.current_code(app, c.emails["owner"])
    second = web.client(app)
    assert web.sign_in(second, c.emails["owner"]).headers["location"] == "/sign-in/code"
    token = str(web.html(second.get("/sign-in/code")).select_one("input[name=csrf_token]")["value"])
    replay = second.post("/sign-in/code", data={"code": used, "csrf_token": token})
    assert replay.status_code == 422  # the same code again, inside its 30 seconds
    later = frozen + timedelta(seconds=30)
    app.clock = lambda: later
    fresh = second.post("/sign-in/code", data={"code": auth.current_code(app, c.emails["owner"]), "csrf_token": token})
    assert fresh.status_code == 303
    assert second.get("/patients").status_code == 200


def test_guessable_passwords_are_refused_with_what_to_do(app: App) -> None:
    # Only the length was checked: these were all accepted.
    from sotchart.domain.errors import InvalidInput
    from sotchart.services import users
    from sotchart.services.context import Actor

    c = factories.clinic_with_staff(app)
    for guessable in ("password1234", "aaaaaaaaaaaa", "123456789012", "maria.garcia@clinic.test", "mariagarcia2026"):
        try:
            users.add_user(
                app,
                Actor.console(c.id),
                email="maria.garcia@clinic.test",
                display_name="Maria Garcia",
                role="clinician",
                password=guessable,
            )
        except InvalidInput as e:
            problem = next(p for p in e.problems if p.field == "password")
            assert "guess" in problem.message or "Avoid your name" in problem.message, (guessable, problem.message)
        else:
            raise AssertionError(f"{guessable!r} was accepted")
    ok = users.add_user(
        app,
        Actor.console(c.id),
        email="maria.garcia@clinic.test",
        display_name="Maria Garcia",
        role="clinician",
        password="lighthouse cobalt marmalade",
    )
    assert ok.email == "maria.garcia@clinic.test"


def test_production_sends_secure_cookies_hsts_and_its_own_links(shared_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The Host header was echoed in FHIR links; the session cookie was Secure only when a setting said so.
    from sotchart.services.context import App as AppHandle
    from sotchart.settings import Settings

    url = shared_database.url.render_as_string(hide_password=False)
    settings = Settings(
        environment="production",
        database_url=url,
        data_dir=tmp_path,
        secret_key="p" * 48,
        public_url="https://sotchart.clinic.example",
        time_zone="UTC",
    )
    prod = AppHandle(settings=settings, db=shared_database)
    c = factories.clinic_with_staff(prod)
    patient = factories.patient(prod, c)
    client = web.client(prod)
    r = web.sign_in(client, c.emails["clinician"])
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    token = factories.token(prod, c, "clinician")
    bundle = client.get(
        f"/fhir/Patient/p{patient.id}/$everything",
        headers={"Authorization": f"Bearer {token}", "Host": "attacker.example"},
    ).json()
    links = [x["url"] for x in bundle.get("link", [])] + [e["fullUrl"] for e in bundle.get("entry", [])]
    assert links and all(u.startswith("https://sotchart.clinic.example/fhir") for u in links), links
