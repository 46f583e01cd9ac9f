"""The owner's staff page and each person's own account page, on both databases: accounts added with bad
input refused beside the field, roles changed, locked and unlocked, second factors reset, and the clinic
never left without an owner who can sign in; new recovery codes for one's own second factor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sotchart.domain.errors import Conflict
from sotchart.services import auth, users
from sotchart.services.context import App
from sotchart.services.policy import Actor
from tests import factories
from tests.support import web


def _owner(app: App):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    owner = web.client(app)
    web.sign_in(owner, c.emails["owner"], app=app)
    return c, owner


def _row(client, user_id: int):  # type: ignore[no-untyped-def]
    return web.html(client.get("/staff")).select_one(f"#staff-{user_id}")


def test_the_owner_adds_an_account_and_bad_input_changes_nothing(app: App) -> None:
    c, owner = _owner(app)
    token = web.csrf(owner)
    before = len(users.list_users(app, c.actor("owner")))
    form = {"csrf_token": token, "display_name": "Sam Front", "email": "not-an-email", "role": "assistant"}
    bad = owner.post("/staff", data=form | {"password": "short"})
    assert bad.status_code == 422
    page = web.html(bad)
    assert page.select_one("#email-error") is not None and page.select_one("#password-error") is not None
    assert page.select_one("#display_name")["value"] == "Sam Front"  # what was typed is kept
    assert page.select_one("#password").get("value") in (None, "")  # but never a password
    assert len(users.list_users(app, c.actor("owner"))) == before
    email = f"sam.front.{c.id}@clinic.test"
    good = owner.post("/staff", data=form | {"email": email, "password": "a long first password"})
    assert good.status_code == 303
    made = next(s for s in users.list_users(app, c.actor("owner")) if s.email == email)
    assert made.role == "assistant" and "Sam Front" in _row(owner, made.id).text
    again = owner.post("/staff", data=form | {"email": email, "password": "a long first password"})
    assert again.status_code == 409 and "already exists" in again.text
    # The new person signs in with what the owner gave them.
    sam = web.client(app)
    web.sign_in(sam, email, password="a long first password", app=app)
    assert sam.get("/today").status_code == 200


def test_roles_locks_and_second_factors_from_the_page(app: App) -> None:
    c, owner = _owner(app)
    token = web.csrf(owner)
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    desk_id = c.actor("assistant").user_id
    r = owner.post(f"/staff/{desk_id}/role", data={"csrf_token": token, "role": "clinician"})
    assert r.status_code == 303 and "done=role" in r.headers["location"]
    assert desk.get("/today", follow_redirects=False).status_code == 303  # signed in again with the new rights
    web.sign_in(desk, c.emails["assistant"], app=app)
    assert owner.post(f"/staff/{desk_id}/lock", data={"csrf_token": token}).status_code == 303
    assert "locked" in _row(owner, desk_id).text
    assert desk.get("/today", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert owner.post(f"/staff/{desk_id}/unlock", data={"csrf_token": token}).status_code == 303
    web.sign_in(desk, c.emails["assistant"], app=app)
    assert desk.get("/today").status_code == 200
    # The clinician's lost phone: reset, and the authenticator is set up again at the next sign-in.
    doc_id = c.actor("clinician").user_id
    assert owner.post(f"/staff/{doc_id}/reset-mfa", data={"csrf_token": token}).status_code == 303
    # Credentials and NPI: a wrong check digit is refused in the account's row, and nothing is saved.
    bad = owner.post(
        f"/staff/{doc_id}/professional", data={"csrf_token": token, "credentials": "DC", "npi": "1234567890"}
    )
    assert bad.status_code == 422
    row = web.html(bad).select_one(f"#staff-{doc_id}")
    assert "check digit" in row.select_one("#row-error").text
    good = owner.post(
        f"/staff/{doc_id}/professional", data={"csrf_token": token, "credentials": "DC", "npi": "1234567893"}
    )
    assert good.status_code == 303
    assert _row(owner, doc_id).select_one(f"#npi-{doc_id}")["value"] == "1234567893"


def test_the_clinic_keeps_an_owner_who_can_sign_in(app: App) -> None:
    c, owner = _owner(app)
    token = web.csrf(owner)
    me = c.actor("owner").user_id
    alone = owner.post(f"/staff/{me}/role", data={"csrf_token": token, "role": "clinician"})
    assert alone.status_code == 409 and "only owner" in alone.text
    assert owner.post(f"/staff/{me}/lock", data={"csrf_token": token}).status_code == 409
    assert users.own_account(app, c.actor("owner")).role == "owner"
    # With a second owner, the first may step down (and is signed out, to come back as a clinician).
    second = c.actor("clinician").user_id
    assert owner.post(f"/staff/{second}/role", data={"csrf_token": token, "role": "owner"}).status_code == 303
    assert owner.post(f"/staff/{me}/role", data={"csrf_token": token, "role": "clinician"}).status_code == 303
    # Locking the one owner left is refused whoever asks (the command line too).
    with pytest.raises(Conflict, match="only owner"):
        users.lock_user(app, Actor.console(c.id), second)


def test_new_recovery_codes_take_a_fresh_code(app: App) -> None:
    c, owner = _owner(app)
    token = web.csrf(owner)
    page = web.html(owner.get("/account"))
    assert c.emails["owner"] in page.select_one("#account").text
    wrong = owner.post("/account/recovery-codes", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422 and web.html(wrong).select_one("#code-error") is not None
    later = app.clock() + timedelta(seconds=30)  # the sign-in used this half-minute's code
    app.clock = lambda: later
    code = auth.current_code(app, c.emails["owner"])
    r = owner.post("/account/recovery-codes", data={"csrf_token": token, "code": code})
    assert r.status_code == 200
    codes = [li.text for li in web.html(r).select("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    # A person without an authenticator has nothing to renew; the page says who they are.
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    assert web.html(desk.get("/account")).select_one("#recovery") is None
