"""The layering the project promises, checked on the source: a pure domain, no Scan, a cheap app import."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"boto3", "botocore", "stripe", "chalice", "pynamodb", "jinja2", "jwt"}
HEAVY_AT_IMPORT = {"stripe", "jinja2", "jwt", "boto3", "moto"}


def imported_roots(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_infrastructure():
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN_IN_DOMAIN)
        for p in (ROOT / "chalicelib" / "domain").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_scan_in_service_code():
    hits = []
    for p in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("scan", "parallel_scan"):
                hits.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert hits == []


def test_importing_the_app_loads_no_heavy_module():
    code = (
        "import sys, app; heavy = %r; print(sorted(m for m in heavy if m in sys.modules))" % sorted(HEAVY_AT_IMPORT)
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
