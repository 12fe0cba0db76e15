"""The architecture holds (STYLE "The UI is a client of the services"): the services never import
textual, so domain, db, documents, exports, mail and web are usable headless (CLI, web page, mail
sender); the layers of pyproject.toml's import-linter contracts are kept (faces → services →
data, the TUI never imports db or peewee); and no two modules import each other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = ("domain", "db", "documents", "exports", "mail", "web")

PROBE = r"""
import importlib, json, pkgutil, sys
packages = sys.argv[1:]
imported, culprits, failures = [], {}, {}
for pkg in packages:
    root = importlib.import_module("invoice_tui." + pkg)
    names = [root.__name__] + [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
    for name in names:
        had = any(m == "textual" or m.startswith("textual.") for m in sys.modules)
        try:
            importlib.import_module(name)
        except Exception as exc:  # reported: a module that cannot even be imported headless
            failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        imported.append(name)
        if not had and any(m == "textual" or m.startswith("textual.") for m in sys.modules):
            culprits[name] = sorted(m for m in sys.modules if m.split(".")[0] == "textual")[:5]
textual = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"imported": imported, "textual": textual, "culprits": culprits, "failures": failures}))
"""


def _probe(packages) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *packages], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_services_never_import_textual():
    result = _probe(SERVICE_PACKAGES)
    assert not result["failures"], result["failures"]
    assert result["textual"] == [], f"textual was imported by: {result['culprits']}"
    for pkg in SERVICE_PACKAGES:  # the walk really saw every package (and their modules)
        assert f"invoice_tui.{pkg}" in result["imported"]
    assert "invoice_tui.domain.invoices" in result["imported"]
    assert "invoice_tui.db.models" in result["imported"]


def test_the_probe_would_notice_textual():
    """The same probe on the UI packages does see textual (so the check above is not vacuous)."""
    result = _probe(("screens",))
    assert "textual" in result["textual"]


# ---- the layers, as import-linter contracts (pyproject.toml [tool.importlinter]) ---------------
def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package found first on ``pythonpath``, with ``cwd``'s pyproject.toml."""
    script = Path(sys.executable).with_name("lint-imports")
    argv = [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "from importlinter.cli import lint_imports_command as c; c()"]
    return subprocess.run([*argv, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(pythonpath), "NO_COLOR": "1"})


def test_lint_imports_keeps_every_contract():
    proc = _lint_imports(ROOT, ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout and "BROKEN" not in proc.stdout


def _copy_with(tmp_path: Path, module: str, bad_line: str) -> Path:
    """A copy of the package (and its contracts) with one import added to ``module``."""
    shutil.copytree(ROOT / "invoice_tui", tmp_path / "invoice_tui",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "invoice_tui" / Path(*module.split(".")[1:]).with_suffix(".py")
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_line}\n", encoding="utf-8")
    return target


@pytest.mark.parametrize(("module", "bad_line", "contract"), [
    ("invoice_tui.screens.contacts", "from invoice_tui.db.models import Contact  # noqa",
     "The TUI never imports the database or peewee BROKEN"),
    ("invoice_tui.domain.money", "import textual  # noqa", "The services and the data never import textual BROKEN"),
    ("invoice_tui.domain.reads", "from invoice_tui.screens import contacts  # noqa",
     "Faces stand above the services, the services above the data BROKEN"),
])
def test_a_deliberate_violation_fails_lint_imports(tmp_path, module, bad_line, contract):
    target = _copy_with(tmp_path, module, bad_line)
    proc = _lint_imports(tmp_path, tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert contract in proc.stdout
    line = len(target.read_text(encoding="utf-8").splitlines())
    assert f"{module} -> " in proc.stdout and f"(l.{line})" in proc.stdout  # the copy's added line


# ---- no import cycle between invoice_tui's modules ----------------------------------------------
# Cycles that other work in progress removes, each with the work that removes it; empty now, and
# never to grow (a new cycle is restructured, one module standing above the other).
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def import_cycles(package: str) -> list[frozenset[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's strongly connected
    components of grimp's graph, which counts imports inside functions too)."""
    import grimp

    graph = grimp.build_graph(package, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []

    def visit(root: str) -> None:  # iterative: no recursion limit on a deep import chain
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == module:
                        break
                if len(group) > 1:
                    cycles.append(frozenset(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_between_modules():
    unknown = [sorted(c) for c in import_cycles("invoice_tui") if not any(c <= known for known in KNOWN_CYCLES)]
    assert unknown == [], f"modules importing each other: {unknown}"


def test_the_cycle_check_sees_a_cycle_through_a_function_level_import(tmp_path, monkeypatch):
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "upper.py").write_text("from cyclepkg import lower\n")
    (pkg / "lower.py").write_text("def later():\n    from cyclepkg import upper\n    return upper\n")
    (pkg / "alone.py").write_text("from cyclepkg import lower\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclepkg") == [frozenset({"cyclepkg.upper", "cyclepkg.lower"})]


def test_r55_every_table_is_the_sanitizing_one():
    """R55: every data table of the TUI is ``widgets.tables.DataTable`` (cells through the one
    sanitizer, never read as markup); no module takes Textual's own."""
    import re

    offenders = []
    for path in (ROOT / "invoice_tui").rglob("*.py"):
        if path.name == "tables.py" and path.parent.name == "widgets":
            continue
        text = path.read_text(encoding="utf-8")
        imports = re.findall(r"from textual\.widgets import (\([^)]*\)|[^\n]*)", text)
        if any(re.search(r"\bDataTable\b", names) for names in imports) or "textual.widgets.DataTable" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
