"""benchmarks/scenarios.py runs end to end (--quick): one scenario, the mission table on the 4-state design.

A smoke test, not a timing: it checks that the script's rows are complete and that the peers simulate
pdsim's own subjects (the plasma error against pdsim is small), writing its JSON to tmp_path only.
"""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCH))  # scenarios.py imports mission.py beside it
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_scenarios_quick(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert _load("scenarios").main(["--quick", "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    (row,) = got["scenarios"]
    assert row["scenario"] == "mor_blockade" and row["warm_single_s"] > 0 and row["population_s"] > 0
    # the engine against the tight reference of tests/test_engine_accuracy.py (issue 14's bound)
    assert row["max_rel_error"] <= 1e-6
    (m,) = got["mission"]
    assert m["scenario"] == "pkpd4" and m["pdsim_subjects_per_s"] > 0
    # SciPy LSODA at rtol 1e-6 on the same subjects: within 1e-3 of pdsim (3.2e-5 measured)
    assert m["scipy_err_effect"] < 1e-3
    if "roadrunner_subjects_per_s" in m:  # libRoadRunner installed (the bench extra)
        assert m["roadrunner_err_plasma"] < 1e-3 and math.isfinite(m["ratio_roadrunner"])
    assert "Mission peers" in capsys.readouterr().out


def test_peer_subjects_are_pdsims():
    """libRoadRunner, given `mission.subjects_pk`'s draws by SBML id, simulates the engine's subjects
    (pdsim.engine.pk, correlation included): each subject's plasma curve matches pdsim's to CVODE's
    tolerance, and matched against another subject it would not (CV 31-53 %)."""
    import dataclasses

    import numpy as np

    import pdsim

    pytest.importorskip("roadrunner")
    mission = _load("mission")
    sc = pdsim.load_scenario(mission.PKPD4)
    sc = dataclasses.replace(sc, population=dataclasses.replace(sc.population, size=4))
    res = pdsim.simulate(sc)
    _, _, got = mission.roadrunner_arm(sc, 0, 4, res.time_h, ["plasma.pkpd4"])
    mine, theirs = res.data["plasma.pkpd4"][0], got["plasma.pkpd4"]
    scale = mine.max(axis=1, keepdims=True)
    assert np.max(np.abs(theirs - mine) / scale) < 1e-4
    assert np.min(np.max(np.abs(np.roll(theirs, 1, axis=0) - mine) / scale, axis=1)) > 1e-2
