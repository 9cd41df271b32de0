"""Shared test fixtures: a headless matplotlib backend and paths; no fixture mutates the catalogue."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def tree_copy(tmp_path, monkeypatch):
    """A throw-away copy of models/ and seeds/ (and a link to the shared seeds) that a test may edit."""
    import shutil

    from pdsim import catalog

    dst = tmp_path / "proj"
    shutil.copytree(ROOT / "models", dst / "models")
    shutil.copytree(ROOT / "seeds", dst / "seeds")
    if SHARED_SEEDS.is_dir():
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "seeds").symlink_to(SHARED_SEEDS)
    monkeypatch.setenv("PDSIM_HOME", str(dst))
    catalog.clear_cache()
    yield dst
    monkeypatch.delenv("PDSIM_HOME")
    catalog.clear_cache()
