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
    assert asynchronous <= {"/healthz", "/openapi.json", "/api/docs", "/docs/oauth2-redirect"}, asynchronous
