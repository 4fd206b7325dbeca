"""The layering the project promises, checked on the source: a pure domain, ports on the domain only,
services on domain/ports/other services only, api modules without adapters, no Scan, a cheap app import.

Imports are resolved to full module names (``from ..adapters import x`` in ``chalicelib/services/y.py``
is ``chalicelib.adapters.x``), including those under ``if TYPE_CHECKING:``: a type is a dependency too.
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB = ROOT / "chalicelib"
THIRD_PARTY_INFRA = {"boto3", "botocore", "stripe", "chalice", "pynamodb", "jinja2", "jwt"}
FORBIDDEN_IN_SERVICES = {"chalicelib.adapters", "chalicelib.schemas", "chalicelib.api", "chalicelib.bootstrap",
                         "pynamodb", "chalice", "stripe", "boto3", "botocore", "jinja2"}
HEAVY_AT_IMPORT = {"stripe", "jinja2", "jwt", "boto3", "moto"}
NOT_AT_APP_IMPORT = ("chalicelib.schemas", "chalicelib.services", "chalicelib.adapters", "pydantic")
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved; ``from p import n`` gives ``p`` and ``p.n``."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            found.add(parent)
            found |= {f"{parent}.{alias.name}" for alias in node.names}
    return found


def within(module: str, prefixes: set[str] | tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def offenders(folder: str, allowed: object) -> dict[str, list[str]]:
    """Per file of ``chalicelib/<folder>``, the imports ``allowed(module)`` refuses."""
    out = {}
    for path in sorted((LIB / folder).rglob("*.py")):
        bad = sorted(m for m in imported_modules(path) if not allowed(m))  # type: ignore[operator]
        if bad:
            out[str(path.relative_to(ROOT))] = bad
    return out


def test_domain_imports_only_the_domain_and_the_standard_library():
    assert offenders("domain", lambda m: within(m, {"chalicelib.domain"}) or m.split(".")[0] in STDLIB) == {}


def test_ports_import_only_the_domain_and_the_standard_library():
    allowed = {"chalicelib.domain", "chalicelib.ports"}
    assert offenders("ports", lambda m: within(m, allowed) or m.split(".")[0] in STDLIB) == {}


def test_services_import_no_adapters_schemas_or_infrastructure():
    assert offenders("services", lambda m: not within(m, FORBIDDEN_IN_SERVICES)) == {}


def test_api_modules_import_no_adapters():
    assert offenders("api", lambda m: not within(m, {"chalicelib.adapters", "pynamodb", "boto3", "stripe"})) == {}


def test_the_import_resolver_sees_relative_and_absolute_imports(tmp_path):
    """The rules above are only as good as this: both spellings of a forbidden import are found."""
    probe = LIB / "services" / "_architecture_probe.py"
    probe.write_text("from ..adapters.dynamodb import base\nfrom . import bookings\nimport pynamodb.models\n"
                     "from chalicelib.schemas.bookings import BookingIn\n")
    try:
        found = imported_modules(probe)
        assert {"chalicelib.adapters.dynamodb", "chalicelib.adapters.dynamodb.base", "chalicelib.services.bookings",
                "pynamodb.models", "chalicelib.schemas.bookings"} <= found
        assert set(offenders("services", lambda m: not within(m, FORBIDDEN_IN_SERVICES))) >= {
            "chalicelib/services/_architecture_probe.py"}
    finally:
        probe.unlink()


def test_no_scan_in_service_code():
    hits = []
    for p in [ROOT / "app.py", *LIB.rglob("*.py")]:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("scan", "parallel_scan"):
                hits.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert hits == []


def loaded_by_app_import(watch: list[str]) -> list[str]:
    code = ("import sys, app; watch = %r; print(sorted(m for m in sys.modules "
            "if any(m == w or m.startswith(w + '.') for w in watch)))" % watch)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"}, check=True)
    return [m.strip("' ") for m in out.stdout.strip().strip("[]").split(",") if m.strip()]


def test_importing_the_app_loads_no_heavy_module():
    assert loaded_by_app_import(sorted(HEAVY_AT_IMPORT)) == []


def test_importing_the_app_builds_no_model_and_imports_no_service():
    """Every Lambda imports the app: schemas, services and adapters load on a route's first call."""
    assert loaded_by_app_import(list(NOT_AT_APP_IMPORT)) == []


def test_every_source_file_stays_under_400_lines():
    """A file that grows past 400 lines says two things at once: split it by what each part is for."""
    files = [ROOT / "app.py", *[p for d in ("chalicelib", "local", "bench", "infra", "tests")
                                for p in (ROOT / d).rglob("*.py")]]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}
