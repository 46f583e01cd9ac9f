"""The direction of imports: domain ← store ← services ← web/cli, and only the store touches SQLAlchemy."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "sotchart"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _layer_imports(layer: str) -> dict[str, set[str]]:
    return {str(p.relative_to(SRC)): _imports(p) for p in (SRC / layer).rglob("*.py")}


def test_domain_is_pure() -> None:
    allowed_prefixes = ("sotchart.domain", "__future__")
    for path, names in _layer_imports("domain").items():
        for name in names:
            top = name.split(".")[0]
            assert name.startswith(allowed_prefixes) or top in sys.stdlib_module_names, f"{path} imports {name}"
            assert top not in {"os", "socket", "sqlite3", "time", "subprocess"}, f"{path} does I/O via {name}"


def test_only_the_store_imports_the_database_libraries() -> None:
    for layer in ("domain", "services", "web", "cli", "reports"):
        for path, names in _layer_imports(layer).items():
            bad = {n for n in names if n.split(".")[0] in {"sqlalchemy", "alembic", "psycopg"}}
            assert not bad, f"{layer}/{path} imports {bad}"


def test_surfaces_reach_records_only_through_services() -> None:
    for layer in ("web", "cli"):
        for path, names in _layer_imports(layer).items():
            assert not {n for n in names if n.startswith("sotchart.store")}, f"{layer}/{path} imports the store"


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    r = subprocess.run([str(exe)], capture_output=True, text=True, cwd=SRC.parents[1])
    assert r.returncode == 0, r.stdout + r.stderr


def test_lint_is_clean() -> None:
    exe = Path(sys.executable).parent
    root = SRC.parents[1]
    ruff = subprocess.run(
        [str(exe / "ruff"), "check", "src", "tests", "bench"], capture_output=True, text=True, cwd=root
    )
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([str(exe / "mypy")], capture_output=True, text=True, cwd=root)
    assert mypy.returncode == 0, mypy.stdout


def test_no_route_handler_runs_database_work_on_the_event_loop(app) -> None:  # type: ignore[no-untyped-def]
    """Handlers are plain `def` (FastAPI runs them in the thread pool): an `async def` handler calling the
    synchronous services would stall every request of its worker. Only /healthz, which touches nothing, is async."""
    import inspect

    from sotchart.web.app import create_app
    from tests.support import web

    routes = [r for r in web.routes(create_app(app.settings, app_handle=app)) if hasattr(r, "endpoint")]
    assert len(routes) > 40
    asynchronous = {r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)}
    assert asynchronous <= {"/healthz"}, asynchronous


# The use cases that run before there is an actor (sign-in, sessions, tokens, kiosk links, calendar feeds, the console's
# first look at a database): they go through `before_actor()`; every other one through `unit()`.
BEFORE_ACTOR = {
    "auth.py": {
        "sign_in",
        "sign_out",
        "check_code",
        "current_code",
        "begin_enrollment",
        "current_session",
        "actor_for_token",
        "_audit",
    },
    "calendar_feeds.py": {"feed_ics"},  # a feed's address, like a token, says who is asking
    "clinics.py": {"clinic_count", "first_clinic"},
    "demo.py": {"demo_present"},
    "kiosk.py": {"claim", "tablet", "save_step", "_actor_of"},  # the tablet's device cookie says who
}
# Modules that handle the database itself rather than records: backup and restore copy the file (under an
# authorised unit), the audit writer commits reads' audit events, `database` describes the connection.
DATABASE_ITSELF = {"backup.py", "audit_writer.py", "database.py", "context.py"}


def test_only_unit_and_before_actor_reach_the_database() -> None:
    import ast

    for layer in ("services", "web", "cli", "reports"):
        for path in (SRC / layer).rglob("*.py"):
            if layer == "services" and path.name in DATABASE_ITSELF:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                    assert not (node.value.attr == "db" and node.attr in ("transaction", "read", "engine")), (
                        f"{path}:{node.lineno} opens the database itself; use unit() (or before_actor())"
                    )
            for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
                calls = {c.func.id for c in ast.walk(fn) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
                if "before_actor" in calls:
                    assert fn.name in BEFORE_ACTOR.get(path.name, set()), (
                        f"{path.name}:{fn.name} runs before an actor exists; if it must, list it in BEFORE_ACTOR"
                    )
