"""The owner's page of script tokens, over HTTP as the owner uses it: the clinic's tokens listed with
what each may do and until when, a new one shown once (an owner's own needing the authenticator's code),
one revoked while the others keep working, and bad entries answered beside their fields."""

from __future__ import annotations

from datetime import timedelta

from sotchart.services import auth
from sotchart.services.context import App
from tests import factories
from tests.support import web


def _owner(app: App) -> tuple[factories.ClinicWithStaff, object]:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["owner"], app=app)
    return c, client


def _make(client, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/tokens", data={"csrf_token": web.csrf(client), **fields})


def test_the_owner_makes_lists_and_revokes_tokens(app: App) -> None:
    c, client = _owner(app)
    made = _make(client, email=c.emails["clinician"], name="nightly report", scope="read", days="30")  # type: ignore[arg-type]
    assert made.status_code == 201
    value = web.html(made).select_one("#token-value").text.strip()
    assert value.startswith("sot_")
    other = factories.token(app, c, "assistant", "front desk sync")
    rows = {r.select_one(".token-name").text: r for r in web.html(client.get("/tokens")).select("#tokens tbody tr")}  # type: ignore[attr-defined]
    assert set(rows) >= {"nightly report", "front desk sync"}
    assert "read only" in rows["nightly report"].text and value not in client.get("/tokens").text  # type: ignore[attr-defined]
    # The token reads, and cannot write.
    reader = web.client(app)
    assert reader.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200
    token_id = rows["nightly report"]["id"].removeprefix("token-")
    used = web.html(client.get("/tokens")).select_one(f"#token-{token_id}")  # type: ignore[attr-defined]
    assert "never" not in used.select("td")[3].text, used.text  # its last use is shown
    # The address alone does not make the page say a live token was revoked.
    assert web.html(client.get(f"/tokens?revoked={token_id}")).select_one("#revoked-notice") is None  # type: ignore[attr-defined]
    # Revoking it leaves the assistant's working.
    gone = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": web.csrf(client)})  # type: ignore[attr-defined]
    assert gone.status_code == 303 and gone.headers["location"] == f"/tokens?revoked={token_id}"
    assert reader.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    assert reader.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    page = web.html(client.get(f"/tokens?revoked={token_id}"))  # type: ignore[attr-defined]
    assert "“nightly report”" in page.select_one("#revoked-notice").text
    assert "revoked" in page.select_one(f"#token-{token_id}").text
    assert page.select_one(f"#token-{token_id} form") is None  # nothing left to revoke
    # From a tab that still showed it live: the list again, saying it is revoked.
    again = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": web.csrf(client)})  # type: ignore[attr-defined]
    assert again.status_code == 303 and again.headers["location"] == f"/tokens?revoked={token_id}"


def test_an_owners_token_needs_a_fresh_code_and_bad_entries_are_answered_beside_their_fields(app: App) -> None:
    c, client = _owner(app)
    owner = c.emails["owner"]
    no_code = _make(client, email=owner, name="export", scope="write", days="30")  # type: ignore[arg-type]
    assert no_code.status_code == 422
    page = web.html(no_code)
    assert "authenticator" in page.select_one("#code-error").text
    assert page.select_one("#name")["value"] == "export"  # what was typed is kept
    later = app.clock() + timedelta(seconds=30)
    app.clock = lambda: later
    code = auth.current_code(app, owner)
    ok = _make(client, email=owner, name="export", scope="write", days="30", code=code)  # type: ignore[arg-type]
    assert ok.status_code == 201, ok.text[:400]
    reused = _make(client, email=owner, name="export 2", scope="write", days="30", code=code)  # type: ignore[arg-type]
    assert reused.status_code == 422 and "used already" in reused.text  # a code is good once
    bad = _make(client, email=c.emails["clinician"], name="", scope="admin", days="400")  # type: ignore[arg-type]
    assert bad.status_code == 422
    page = web.html(bad)
    assert (
        page.select_one("#name-error")
        and page.select_one("#days-error")
        and "365" in page.select_one("#days-error").text
    )
    stranger = _make(client, email="someone@elsewhere.test", name="x", scope="read", days="1")  # type: ignore[arg-type]
    assert stranger.status_code == 422 and "No account" in stranger.text


def test_only_the_owner_sees_the_tokens_page(app: App) -> None:
    c = factories.clinic_with_staff(app)
    for role in ("clinician", "assistant", "researcher"):
        client = web.client(app)
        web.sign_in(client, c.emails[role])
        assert client.get("/tokens").status_code == 403
        assert 'href="/tokens"' not in client.get("/patients").text
