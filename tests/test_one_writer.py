"""Every way a visit becomes signed (a route, a CLI command, the demo, an import) goes through the one
signing writer, `services.charting.write_signed`, and its checks. The routes and commands are found by
enumeration, so a new one fails here until it is listed and shown to use the writer."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from sotchart.cli.main import cli
from sotchart.services import charting, demo, fhir_export, fhir_import, users
from sotchart.services.context import Actor, App
from sotchart.web.app import create_app
from tests import factories
from tests.support import web

SRC = Path(__file__).parents[1] / "src" / "sotchart"
# The routes that sign, amend or import a visit, and how each is driven below.
SIGNING_ROUTES = {
    ("POST", "/visits/{visit_id}/sign"),
    ("POST", "/visits/{visit_id}/amend"),
    ("POST", "/api/v1/visits/{visit_id}/sign"),
    ("POST", "/api/v1/visits/{visit_id}/record/sign"),
}
SIGNING_COMMANDS = {"demo", "import"}
# The store calls that write a signed record; only the writer may make them.
SIGNED_WRITES = ("write_findings", "write_treatments")


def test_every_signing_route_and_command_is_known(app: App) -> None:
    routes = {
        (method, r.path)
        for r in web.routes(create_app(app.settings, app_handle=app))
        for method in getattr(r, "methods", set())
        if re.search(r"/(sign|amend|import)$", getattr(r, "path", "")) and method in ("POST", "PUT", "PATCH")
    }
    assert routes == SIGNING_ROUTES
    commands = {c.name or c.callback.__name__ for c in cli.registered_commands if c.callback}
    assert {"demo", "import"} <= commands
    assert not {name for name in commands if re.search(r"sign|amend|import", name)} - SIGNING_COMMANDS


def _calls_in(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            out.append((name, node))
    return out


def test_only_the_writer_writes_a_signed_record() -> None:
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "store":
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            names = {n for n, _c in _calls_in(fn)}
            if names & set(SIGNED_WRITES):
                assert (path.name, fn.name) == ("charting.py", "write_signed"), f"{path}:{fn.lineno} {fn.name}"


def test_the_commands_call_the_services_that_use_the_writer() -> None:
    source = {c.name: inspect.getsource(c.callback) for c in cli.registered_commands if c.name in SIGNING_COMMANDS}
    assert "demo.load_demo(" in source["demo"] and "fhir_import.import_export(" in source["import"]
    for module in (demo, fhir_import):
        assert "write_signed(" in inspect.getsource(module)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the writer, by the kind of revision it writes."""
    calls: list[str] = []
    real = charting.write_signed

    def counting(*args: Any, **kwargs: Any) -> int:
        calls.append(kwargs["kind"])
        return real(*args, **kwargs)

    for module in (charting, fhir_import):
        monkeypatch.setattr(module, "write_signed", counting)
    return calls


def test_each_route_signs_through_the_writer(app: App, spy: list[str]) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "signing")
    bearer = {"Authorization": f"Bearer {token}"}
    done = set()
    for method, path in sorted(SIGNING_ROUTES):
        v = factories.charted_visit(app, c, p.id)
        url = path.replace("{visit_id}", str(v.id))
        before = len(spy)
        if path.startswith("/api/"):
            r = client.request(method, url, headers=bearer | {"If-Match": f'"{v.version}"'})
        elif path.endswith("/amend"):
            charting.sign(app, c.actor("clinician"), v.id, None)
            before = len(spy)
            r = client.post(url, data={"csrf_token": web.csrf(client), "reason": "Side corrected", "S": "Better."})
        else:
            r = client.post(url, data={"csrf_token": web.csrf(client)})
        assert r.status_code in (200, 303), (path, r.status_code, r.text[:300])
        assert len(spy) == before + 1, path
        done.add((method, path))
    assert done == SIGNING_ROUTES
    assert spy.count("amendment") == 1


def test_the_demo_and_an_import_sign_through_the_writer(
    app: App, fresh_app: App, spy: list[str], tmp_path: Path
) -> None:
    demo.load_demo(fresh_app, patients=2, long_history_visits=5)
    assert spy and set(spy) == {"signed"}
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    charting.sign(app, c.actor("clinician"), v.id, None)
    zipped = tmp_path / "one.zip"
    fhir_export.export(app, c.actor("owner"), zipped, patient_id=p.id)
    spy.clear()
    into = factories.clinic_with_staff(fresh_app)
    report = fhir_import.import_export(fresh_app, into.actor("owner"), zipped)
    assert report.failed == [] and spy == ["imported"]
