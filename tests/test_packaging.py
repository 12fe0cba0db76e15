"""The wheel ships the app-wide stylesheets (top-level ``styles/`` → ``invoice_tui/styles``) and
every migration, and ``invoice_tui.app.styles_dir()`` finds the styles from a checkout and from
an installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "invoice_tui", "styles")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the checkout (the checkout itself stays untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in SHIPPED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("invoice_tui-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_styles_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "invoice_tui/styles/app.tcss" in names
    for tcss in (ROOT / "styles").glob("*.tcss"):
        assert f"invoice_tui/styles/{tcss.name}" in names
    migrations = sorted(p.name for p in (ROOT / "invoice_tui/db/migrations").glob("[0-9]*.py"))
    assert migrations and migrations[0] == "0001_initial.py"
    for name in migrations:
        assert f"invoice_tui/db/migrations/{name}" in names
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "invoice-tui = invoice_tui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def _styles_dir(pythonpath: Path, cwd: Path) -> Path:
    code = "from invoice_tui.app import styles_dir; print(styles_dir())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(pythonpath)})
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


def test_styles_found_from_an_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    found = _styles_dir(site, cwd=tmp_path)
    assert found.is_relative_to(site)
    assert (found / "app.tcss").read_text() == (ROOT / "styles/app.tcss").read_text()


def test_styles_found_from_a_checkout(tmp_path):
    found = _styles_dir(ROOT, cwd=tmp_path)
    assert found.resolve() == (ROOT / "styles").resolve()
    assert (found / "app.tcss").is_file()
