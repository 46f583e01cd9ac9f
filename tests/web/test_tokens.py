"""Script tokens, attacked and managed as the issue found them: they could not be revoked one at a time,
never expired, came back when their account was unlocked, and an owner's needed no second factor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.services import auth, users
from sotchart.services.context import Actor, App
from tests import factories
from tests.support import web


def _me(app: App, token: str) -> int:
    return web.client(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_expires(app: App) -> None:
    c = factories.clinic_with_staff(app)
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "nightly", days=7)
    assert _me(app, token) == 200
    later = app.clock() + timedelta(days=7, seconds=1)
    app.clock = lambda: later
    assert _me(app, token) == 401
    [info] = users.list_tokens(app, Actor.console(c.id), c.emails["clinician"])
    assert info.state(later) == "expired" and info.scope == "write"
    with pytest.raises(InvalidInput) as e:
        users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "forever", days=10_000)
    assert e.value.problems[0].field == "days"


def test_one_token_is_revoked_and_the_others_keep_working(app: App) -> None:
    c = factories.clinic_with_staff(app)
    nightly = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "nightly")
    report = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "report", scope="read")
    ids = {t.name: t.id for t in users.list_tokens(app, Actor.console(c.id))}
    users.revoke_token(app, Actor.console(c.id), ids["nightly"])
    assert _me(app, nightly) == 401 and _me(app, report) == 200
    # Another clinic's owner cannot revoke (or even see) this clinic's tokens.
    other = factories.clinic_with_staff(app)
    from sotchart.domain.errors import NotFound

    with pytest.raises(NotFound):
        users.revoke_token(app, other.actor("owner"), ids["report"])


def test_unlocking_an_account_does_not_bring_its_tokens_back(app: App) -> None:
    c = factories.clinic_with_staff(app)
    token = users.issue_token(app, Actor.console(c.id), c.emails["assistant"], "desk")
    users.lock_user(app, Actor.console(c.id), c.emails["assistant"])
    assert _me(app, token) == 401
    users.lock_user(app, Actor.console(c.id), c.emails["assistant"], locked=False)
    assert _me(app, token) == 401
    assert [t.state(app.clock()) for t in users.list_tokens(app, Actor.console(c.id), c.emails["assistant"])] == [
        "revoked"
    ]


def test_an_owners_token_needs_a_fresh_code_from_the_owners_second_factor(app: App) -> None:
    c = factories.clinic_with_staff(app)
    # Before the owner has set up a second factor: refused, saying what to do.
    with pytest.raises(InvalidInput, match="set up a second factor"):
        users.issue_token(app, Actor.console(c.id), c.emails["owner"], "export")
    web.sign_in(web.client(app), c.emails["owner"], app=app)  # sets it up
    with pytest.raises(InvalidInput) as e:
        users.issue_token(app, Actor.console(c.id), c.emails["owner"], "export", code="000000")
    assert e.value.problems[0].field == "code"
    fresh = auth.current_code(app, c.emails["owner"], steps_ahead=1)
    token = users.issue_token(app, Actor.console(c.id), c.emails["owner"], "export", code=fresh)
    assert _me(app, token) == 200
    # The code is used up: the same one does not make a second token.
    with pytest.raises(InvalidInput):
        users.issue_token(app, Actor.console(c.id), c.emails["owner"], "export again", code=fresh)
