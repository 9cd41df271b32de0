"""Shared test fixtures: a headless matplotlib backend and paths; no fixture mutates the catalogue."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# the suite writes nothing into the checkout: no bytecode next to the test modules (nor pytest's rewritten
# asserts), numba's on-disk cache of pdsim's and the tests' compiled functions in a per-user temporary
# folder (kept between runs, so later runs load instead of compile), hypothesis' home there too; pytest's
# own cache is off (pyproject.toml, -p no:cacheprovider). Set before anything imports numba or hypothesis.
sys.dont_write_bytecode = True
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")  # subprocesses (the CLI, notebooks' kernels) too
_SCRATCH = Path(tempfile.gettempdir()) / f"pdsim-tests-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
os.environ.setdefault("NUMBA_CACHE_DIR", str(_SCRATCH / "numba"))

import pytest  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")
try:
    from hypothesis import configuration as _hypothesis_configuration
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_configuration.set_hypothesis_home_dir(_SCRATCH / "hypothesis")
    _hypothesis_settings.register_profile("pdsim-tests", database=None)
    _hypothesis_settings.load_profile("pdsim-tests")
except ImportError:  # the fuzz tests skip themselves without hypothesis
    pass

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
