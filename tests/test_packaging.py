"""Packaging: the wheel and the sdist carry the catalogue, and a wheel installed away from the checkout
runs `pdsim demo` and `pdsim check` from its own package data.

The build goes through setuptools' PEP 517 hooks on a copy of the project in tmp_path (building in
place would write build/ and *.egg-info into the working tree).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

DIST_NAME = "pdsim-pharmacology"
_PROJECT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
_PROJECT_DIRS = ("pdsim", "models", "seeds")


def _catalogue_files() -> list[str]:
    """Every file of models/ and seeds/ in the checkout, relative to the project root (posix)."""
    out = []
    for folder in ("models", "seeds"):
        for f in sorted((ROOT / folder).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                out.append(f.relative_to(ROOT).as_posix())
    return out


def _env_without_pdsim_home(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PDSIM_HOME", "PYTHONPATH")}
    env.update(MPLBACKEND="Agg", **extra)
    return env


def _build(src: Path, dist: Path, hook: str) -> Path:
    code = f"from setuptools import build_meta as b; print(b.{hook}({str(dist)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True,
                          env=_env_without_pdsim_home())
    assert proc.returncode == 0, f"{hook} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return dist / proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    if major < 77:
        pytest.fail(f"setuptools {setuptools.__version__} is older than pyproject's build requirement (>=77); "
                    "install the dev extras: pip install -e '.[dev]'.")
    tmp = tmp_path_factory.mktemp("pack")
    src = tmp / "src"
    src.mkdir()
    for name in _PROJECT_FILES:
        shutil.copy2(ROOT / name, src / name)
    for name in _PROJECT_DIRS:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp / "dist"
    dist.mkdir()
    wheel = _build(src, dist, "build_wheel")
    sdist = _build(src, dist, "build_sdist")
    return tmp, wheel, sdist


def test_wheel_carries_the_catalogue(built):
    _, wheel, _ = built
    assert wheel.name.startswith("pdsim_pharmacology-"), wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert f"Name: {DIST_NAME}" in zf.read(meta).decode()
    expected = {f"pdsim/_data/{f}" for f in _catalogue_files()}
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing[:10]}"
    # spot-check each kind the issue names: a drug, a target, a system, a scenario, both registries
    for f in ("models/drugs/tianeptine.toml", "models/targets/MOR.toml", "models/systems/hpa.toml",
              "models/scenarios/demo.toml", "seeds/claims.toml", "seeds/references.toml"):
        assert f"pdsim/_data/{f}" in names
    assert "pdsim/cli.py" in names and "pdsim/targets/__init__.py" in names


def test_sdist_carries_the_catalogue_and_builds_the_same_wheel(built):
    tmp, wheel, sdist = built
    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
        for f in _catalogue_files() + ["setup.py", "pyproject.toml", "pdsim/catalog.py"]:
            assert f in names, f"the sdist lacks {f}"
        tf.extractall(tmp / "unpacked", filter="data")
    dist2 = tmp / "dist2"
    dist2.mkdir()
    wheel2 = _build(tmp / "unpacked" / top, dist2, "build_wheel")
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(wheel2) as b:
        data_a = {n for n in a.namelist() if n.startswith("pdsim/_data/")}
        data_b = {n for n in b.namelist() if n.startswith("pdsim/_data/")}
    assert data_a == data_b and len(data_a) == len(_catalogue_files())


def test_installed_wheel_runs_demo_and_check_outside_the_checkout(built):
    tmp, wheel, _ = built
    site = tmp / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "--target", str(site), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp / "run"
    run.mkdir()
    env = _env_without_pdsim_home(PYTHONPATH=str(site))

    def py(*args):
        return subprocess.run([sys.executable, *args], cwd=run, env=env, capture_output=True, text=True)

    where = py("-c", "import pdsim, pdsim.catalog as c; print(pdsim.__file__); print(c.root()); "
                     "print(pdsim.drug('tianeptine').display_name)")
    assert where.returncode == 0, where.stderr[-3000:]
    pkg_file, cat_root, name = where.stdout.strip().splitlines()
    assert Path(pkg_file).resolve().is_relative_to(site.resolve()), pkg_file
    assert Path(cat_root).resolve() == (site / "pdsim" / "_data").resolve()
    assert not Path(pkg_file).resolve().is_relative_to(ROOT.resolve())
    assert name.lower().startswith("tianeptine")

    demo = py("-m", "pdsim.cli", "demo", "--out", str(tmp / "out"))
    assert demo.returncode == 0, demo.stderr[-3000:]
    for f in ("results.csv", "sources.csv"):
        assert (tmp / "out" / f).stat().st_size > 0
    check = py("-m", "pdsim.cli", "check")
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-3000:]
    assert "every parameter sourced" in check.stdout


def test_root_lookup_order(tmp_path, monkeypatch):
    """PDSIM_HOME wins over the package data and the checkout; without it the checkout serves an editable tree."""
    from pdsim import catalog

    monkeypatch.setenv("PDSIM_HOME", str(tmp_path))
    assert catalog.root() == tmp_path and catalog.models_dir() == tmp_path / "models"
    monkeypatch.delenv("PDSIM_HOME")
    assert (catalog.root() / "models" / "drugs" / "tianeptine.toml").is_file()
    assert (catalog.seeds_dir() / "claims.toml").is_file()
