"""Tests of pdsim.sweep: dose ladders and grids against exact PK answers, Sobol and Morris on cases
whose indices are known, Dask giving the local numbers, and one-sentence errors for bad input."""
import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pdsim import catalog
from pdsim.errors import InputError, PdsimError, UnitError, UnknownNameError
from pdsim.result import Result
from pdsim.scenario import Scenario
from pdsim.simulate import simulate
from pdsim import sweep
from pdsim.sweep import Summary

TIA_MW = 436.95  # g/mol, models/drugs/tianeptine.toml
needs_salib = pytest.mark.skipif(importlib.util.find_spec("SALib") is None,
                                 reason="SALib (the `sensitivity` extra) is not installed")


def _sc(duration="2 day", every="1 h", count=6, systems=None, arms=None):
    """Short tianeptine scenarios: linear PK and algebraic occupancy unless systems are named."""
    doses = [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": count}]
    d = {"name": "sweep test", "duration": duration, "output_every": every,
         "arms": arms or [{"label": "tia", "doses": doses}]}
    if systems:
        d["systems"] = systems
    return Scenario.from_dict(d)


def _tia(param: str) -> float:
    return catalog.drug("tianeptine").pk().params[param].value


# --- summaries --------------------------------------------------------------------------------

def _ramp_result() -> Result:
    """y = t for subject 0 and 3 t for subject 1 on 0..10 h (one arm): every summary is known exactly."""
    t = np.arange(0.0, 11.0)
    y = np.stack([t, 3 * t])[None]
    return Result(time_h=t, arms=["a"], data={"plasma.x": y}, units={"plasma.x": "nM"})


@pytest.mark.parametrize("spec, expected", [
    ("mean:plasma.x", 2 * 5.0),            # subjects' time averages 5 and 15, averaged
    ("auc:plasma.x", 2 * 50.0),            # ∫0^10 t dt = 50 (trapezoid exact on a line)
    ("max:plasma.x", 2 * 10.0),
    ("min:plasma.x", 0.0),
    ("final:plasma.x", 2 * 10.0),
    ("at:2.5h:plasma.x", 2 * 2.5),         # between output times: linear interpolation
    ("at:150 min:plasma.x", 2 * 2.5),      # any time unit
    ("mean:2.5h-7.5h:plasma.x", 2 * 5.0),  # window ends off the grid are interpolated
    ("auc:1h-3h:plasma.x", 2 * 4.0),
    ("max:0h-4.5h:plasma.x", 2 * 4.5),
])
def test_summary_values_on_an_exact_ramp(spec, expected):
    assert Summary.parse(spec)(_ramp_result()) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("spec, words", [
    ("mean occupancy.MOR", "OPERATION:VARIABLE"),
    ("median:occupancy.MOR", "unknown operation 'median'"),
    ("mean:MOR", "LAYER.NAME"),
    ("at:occupancy.MOR", "needs a time"),
    ("at:504:effect.ca3_dendrite_length", "with a unit"),
    ("at:-3h:plasma.tianeptine", "time >= 0"),
    ("final:1h-2h:plasma.tianeptine", "'final' takes no window"),
    ("mean:48h-24h:plasma.tianeptine", "ends (24 h) before it starts (48 h)"),
    ("mean:1h-2h-3h:plasma.tianeptine", "window '1h-2h-3h' is not T1-T2"),
    (42, "must be a string or a callable"),
])
def test_bad_summary_specs_name_the_rule_and_an_example(spec, words):
    with pytest.raises(InputError) as err:
        Summary.parse(spec)
    msg = str(err.value)
    assert words in msg and "e.g." in msg and "\n" not in msg


def test_summary_reading_past_the_end_fails_before_any_run():
    with pytest.raises(InputError, match=r"reads 504 h but scenario 'sweep test' ends at 48 h"):
        sweep.dose_ladder(_sc(), "tia", "tianeptine", ["5 mg"], "at:504h:effect.ca3_dendrite_length")


def test_unknown_variable_names_the_sweep_point_and_suggests():
    with pytest.raises(UnknownNameError, match=r"sweep point 0 \(tianeptine 5 mg\).*Did you mean 'occupancy.MOR'"):
        sweep.dose_ladder(_sc(), "tia", "tianeptine", ["5 mg"], "mean:occupancy.MORR")


def test_callable_summaries_and_labels():
    def peak(r):
        return float(r.get("plasma.tianeptine").max())

    df = sweep.dose_ladder(_sc(), None, "tianeptine", ["10 mg"], {"peak": peak, "spec": "max:plasma.tianeptine"})
    assert df.loc[0, "peak"] == pytest.approx(df.loc[0, "spec"], rel=1e-12)
    with pytest.raises(InputError, match="must return one number"):
        sweep.dose_ladder(_sc(), None, "tianeptine", ["10 mg"], lambda r: r.get("plasma.tianeptine")[0])
    with pytest.raises(InputError, match="each with its own label"):
        sweep.dose_ladder(_sc(), None, "tianeptine", ["10 mg"], ["max:plasma.tianeptine", "max:plasma.tianeptine"])


# --- dose ladders -----------------------------------------------------------------------------

def test_dose_ladder_exposure_is_exactly_proportional_to_dose():
    """Linear PK: the concentration is a superposition of unit-dose responses scaled by the dose
    (Gibaldi M, Perrier D, Pharmacokinetics, 2nd ed., 1982, ch. 3 and appendix; the principle of
    superposition), so every exposure summary (mean, AUC, peak) is exactly proportional to dose,
    while occupancy rises monotonically and less than proportionally (Hill–Langmuir saturation)."""
    doses = ["5 mg", "12.5 mg", "50 mg", "0.2 g", 800]
    df = sweep.dose_ladder(_sc(), "tia", "tianeptine", doses,
                           ["mean:plasma.tianeptine", "auc:plasma.tianeptine", "max:plasma.tianeptine",
                            "mean:occupancy.MOR"])
    assert list(df["dose"]) == ["5 mg", "12.5 mg", "50 mg", "0.2 g", "800 mg"]
    assert_allclose(df["amount"], [5, 12.5, 50, 200, 800])
    assert set(df["unit"]) == {"mg"}
    for col in ("mean:plasma.tianeptine", "auc:plasma.tianeptine", "max:plasma.tianeptine"):
        assert_allclose(df[col] / df["amount"], df[col][0] / 5.0, rtol=1e-12)
    occ = df["mean:occupancy.MOR"].to_numpy()
    assert np.all(np.diff(occ) > 0) and occ[-1] < 1
    assert np.all(np.diff(occ / df["amount"].to_numpy()) < 0)  # saturating


def test_dose_ladder_reaches_downstream_effects():
    """A dynamic system driven by MOR signal (bdnf) sees the ladder: day-2 hippocampal BDNF rises
    with dose as the MOR signal does (the model's drive is monotone in signal.MOR)."""
    df = sweep.dose_ladder(_sc(systems=["bdnf"]), "tia", "tianeptine", ["12.5 mg", "200 mg"],
                           ["mean:signal.MOR", "final:effect.bdnf_hippocampus"])
    assert np.all(np.diff(df["mean:signal.MOR"]) > 0)
    assert np.all(np.diff(df["final:effect.bdnf_hippocampus"]) > 0)


def test_dose_ladder_steps_only_the_named_arm_and_drug():
    arms = [{"label": "low", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]},
            {"label": "high", "doses": [{"drug": "tianeptine", "dose": "50 mg", "every": "8 h", "count": 6}]}]
    sc = _sc(arms=arms)
    df = sweep.dose_ladder(sc, "high", "Stablon", ["12.5 mg"], "mean:plasma.tianeptine")  # alias accepted
    base = simulate(sc)
    assert df.loc[0, "mean:plasma.tianeptine"] == pytest.approx(Summary.parse("mean:plasma.tianeptine")(base, "low"),
                                                                rel=1e-12)
    with pytest.raises(InputError, match="has 2 arms"):
        sweep.dose_ladder(sc, None, "tianeptine", ["5 mg"], "mean:plasma.tianeptine")
    with pytest.raises(UnknownNameError, match="Did you mean 'high'"):
        sweep.dose_ladder(sc, "hihg", "tianeptine", ["5 mg"], "mean:plasma.tianeptine")
    with pytest.raises(UnknownNameError, match="does not dose 'morphine'"):
        sweep.dose_ladder(sc, "high", "morphine", ["5 mg"], "mean:plasma.tianeptine")


@pytest.mark.parametrize("doses, err, words", [
    (["5 mL"], UnitError, "mass or a mass per body weight"),
    (["0 mg"], InputError, "greater than zero"),
    ("5 mg", InputError, "list of amounts"),
    ([], InputError, "is empty"),
])
def test_bad_ladder_doses(doses, err, words):
    with pytest.raises(err, match=words):
        sweep.dose_ladder(_sc(), "tia", "tianeptine", doses, "mean:plasma.tianeptine")


# --- grids and overrides ----------------------------------------------------------------------

def test_grid_recovers_average_steady_state_concentration_over_clearance():
    """At steady state the mean concentration over a dosing interval is C_avg = F·D/(CL·τ), for any
    compartment model with linear elimination (Gibaldi & Perrier 1982, ch. 3), so it goes as 1/CL.
    Nine doses q8h; the last interval (64–72 h) is at steady state to ~e^-17. The summary integrates
    by the trapezoid rule on the 0.1 h output grid, whose error at the dose kinks is O(h²) (~0.1 %)."""
    cls = [8.0, _tia("CL"), 20.0]
    df = sweep.grid(_sc("3 day", "0.1 h", count=9), {"tianeptine.CL": cls}, "mean:64h-72h:plasma.tianeptine")
    cavg = _tia("F") * 12.5 / (np.array(cls) * 8.0) * 1e6 / TIA_MW  # mg/L → nM
    assert_allclose(df["tianeptine.CL"], cls)
    assert_allclose(df["mean:64h-72h:plasma.tianeptine"], cavg, rtol=2e-3)


def test_grid_at_the_catalogue_value_reproduces_the_unswept_run():
    sc = _sc()
    df = sweep.grid(sc, {"tianeptine.CL": [_tia("CL")], "tianeptine.MOR.affinity": ["383 nM"]},
                    ["mean:occupancy.MOR", "max:plasma.mc5"])
    base = simulate(sc)
    assert df.loc[0, "mean:occupancy.MOR"] == pytest.approx(Summary.parse("mean:occupancy.MOR")(base), rel=1e-14)
    assert df.loc[0, "max:plasma.mc5"] == pytest.approx(Summary.parse("max:plasma.mc5")(base), rel=1e-14)


def test_affinity_override_reaches_the_target_layer():
    """One ligand at MOR: occupancy = C/(C + Ki) of the free concentration, with the swept Ki."""
    df = sweep.grid(_sc(), {"tianeptine.MOR.affinity": [50.0, 383.0, 2000.0]},
                    ["at:10h:free.tianeptine", "at:10h:occupancy.MOR"])
    c, ki = df["at:10h:free.tianeptine"], df["tianeptine.MOR.affinity"]
    assert_allclose(df["at:10h:occupancy.MOR"], c / (c + ki), rtol=1e-12)


def test_override_keeps_the_catalogue_and_records_provenance():
    before = catalog.drug("tianeptine").pk().params["CL"]
    sc = sweep.override(_sc(), {"tianeptine.CL": "20 L/h", "tianeptine.MOR.affinity": 200})
    new = sc.custom_drugs["tianeptine"]
    p = new.pk().params["CL"]
    assert p.value == 20.0 and p.unit == "L/h" and p.kind == "assumed"
    assert p.sources == before.sources and "Overridden by sweep" in p.note and "13.8 L/h" in p.note
    assert new.affinity("MOR").value == 200.0
    assert catalog.drug("tianeptine").pk().params["CL"] is before and before.value == 13.8
    assert catalog.drug("tianeptine").affinity("MOR").value == 383.0
    assert simulate(sc).parameters["tianeptine.pk.human.CL"].value == 20.0


@pytest.mark.parametrize("name, err, words", [
    ("tianeptine.Cl", UnknownNameError, "Did you mean 'tianeptine.CL'"),
    ("tianeptine.MOR.afinity", UnknownNameError, "Did you mean 'tianeptine.MOR.affinity'"),
    ("tianeptine.tlag", UnknownNameError, "Unknown sweep parameter"),
    ("escitalopram.CL", UnknownNameError, "which no arm of scenario 'sweep test' doses or forms"),
    ("CL", InputError, "DRUG.PARAM or DRUG.TARGET.PARAM"),
])
def test_unknown_sweep_parameters(name, err, words):
    with pytest.raises(err, match=words):
        sweep.grid(_sc(), {name: [1.0]}, "mean:plasma.tianeptine")


@pytest.mark.parametrize("values, words", [([-1.0], "finite number > 0"), ([[1, 2]], "one finite number"),
                                           (["5 L"], "compatible with L/h"), ([], "non-empty list")])
def test_bad_grid_values(values, words):
    with pytest.raises(PdsimError, match=words):
        sweep.grid(_sc(), {"tianeptine.CL": values}, "mean:plasma.tianeptine")


# --- global sensitivity -----------------------------------------------------------------------

@needs_salib
def test_sobol_on_a_summary_linear_in_one_parameter():
    """Mean plasma concentration is exactly F·(…): linear in F and independent of the MOR Ki. Then
    V(E[Y|F]) = V(Y), so S1 = ST = 1 for F, and 0 for Ki (Sobol 2001); the Saltelli/Jansen
    estimators give exactly 0 for a parameter the output does not read (Saltelli et al. 2010)."""
    bounds = {"tianeptine.F": (0.5, 1.0), "tianeptine.MOR.affinity": (200.0, 600.0)}
    sc = _sc("1 day", count=3)
    si = sweep.sobol(sc, bounds, "mean:plasma.tianeptine", n=32, seed=3)
    assert list(si.index) == list(bounds) and set(si["summary"]) == {"mean:plasma.tianeptine"}
    assert si.loc["tianeptine.F", "S1"] == pytest.approx(1.0, abs=0.05)
    assert si.loc["tianeptine.F", "ST"] == pytest.approx(1.0, abs=0.05)
    assert si.loc["tianeptine.MOR.affinity", ["S1", "ST"]].abs().max() < 1e-12
    assert len(si.attrs["samples"]) == 32 * (2 + 2)
    again = sweep.sobol(sc, bounds, "mean:plasma.tianeptine", n=32, seed=3)
    pd.testing.assert_frame_equal(si, again)  # seeded: the same numbers


@needs_salib
def test_sobol_confidence_intervals_are_seeded_with_seed_zero():
    """Regression: SALib's Sobol analysis treats seed=0 as no seed, so the default seed gave new
    bootstrap intervals on every call."""
    bounds = {"tianeptine.CL": (8.0, 20.0), "tianeptine.fu": (0.03, 0.1)}
    runs = [sweep.sobol(_sc("1 day", count=3), bounds, "mean:occupancy.MOR", n=4) for _ in range(2)]
    pd.testing.assert_frame_equal(*runs, check_exact=True)
    assert runs[0]["S1_conf"].gt(0).all()


@needs_salib
def test_morris_ranks_an_irrelevant_parameter_last():
    """MOR occupancy does not read the DOR constant: its elementary effects are exactly zero (Morris 1991)."""
    bounds = {"tianeptine.CL": (8.0, 20.0), "tianeptine.DOR.affinity": (1e4, 5e4), "tianeptine.ka": (0.5, 3.0)}
    mo = sweep.morris(_sc("1 day", count=3), bounds, "mean:occupancy.MOR", n=6, seed=1)
    ranked = mo.sort_values("mu_star", ascending=False).index.tolist()
    assert ranked[-1] == "tianeptine.DOR.affinity" and ranked[0] == "tianeptine.CL"
    assert mo.loc["tianeptine.DOR.affinity", "mu_star"] == 0.0
    assert mo.loc["tianeptine.CL", "mu"] < 0  # faster clearance, less occupancy


@needs_salib
@pytest.mark.parametrize("kwargs, words", [
    ({"n": 100}, "power of two"),
    ({"bounds": {"tianeptine.CL": (20, 8)}}, "0 <= low < high"),
    ({"bounds": {"tianeptine.CL": (8,)}}, "two numbers"),
    ({"bounds": {}}, "non-empty dict"),
    ({"seed": -1}, "whole number >= 0"),
    ({"bounds": {"tianeptine.MOR.affinity": (200, 600)}, "n": 2}, "took the same value in all 6 runs"),
])
def test_bad_sobol_input(kwargs, words):
    args = {"bounds": {"tianeptine.CL": (8, 20)}, "n": 2} | kwargs
    with pytest.raises(InputError, match=words):
        sweep.sobol(_sc("1 day", count=3), args.pop("bounds"), "mean:plasma.tianeptine", **args)


def test_missing_extras_name_the_install_command(monkeypatch):
    for mod in ("SALib", "SALib.sample", "SALib.analyze"):
        monkeypatch.setitem(sys.modules, mod, None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "pdsim\[sensitivity\]"'):
        sweep.morris(_sc(), {"tianeptine.CL": (8, 20)}, "mean:plasma.tianeptine")
    with pytest.raises(sweep.MissingExtraError, match=r'pip install "pdsim\[dask\]"'):
        sweep.grid(_sc(), {"tianeptine.CL": [10]}, "mean:plasma.tianeptine", client="tcp://127.0.0.1:1")


# --- execution --------------------------------------------------------------------------------

def test_progress_bar_with_and_without_tqdm(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    sweep.dose_ladder(_sc(), "tia", "tianeptine", ["5 mg", "10 mg"], "mean:plasma.tianeptine", progress=True)
    assert "2/2" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    df = sweep.dose_ladder(_sc(), "tia", "tianeptine", ["5 mg", "10 mg"], "mean:plasma.tianeptine", progress=True)
    assert len(df) == 2 and capsys.readouterr().err == ""


def test_dask_gives_the_local_numbers():
    """The same tasks on a LocalCluster (threads in this process, 2 workers) and in a local loop."""
    distributed = pytest.importorskip("distributed")
    has_salib = importlib.util.find_spec("SALib") is not None
    sc = _sc("1 day", count=3)
    params = {"tianeptine.CL": [8.0, 20.0], "tianeptine.MOR.affinity": [200.0, 600.0]}
    bounds = {"tianeptine.CL": (8.0, 20.0), "tianeptine.ka": (0.5, 3.0)}
    summaries = ["mean:occupancy.MOR", "max:plasma.tianeptine"]
    local_grid = sweep.grid(sc, params, summaries)
    local_morris = sweep.morris(sc, bounds, summaries[0], n=4, seed=2) if has_salib else None
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pd.testing.assert_frame_equal(sweep.grid(sc, params, summaries, client=client), local_grid, check_exact=True)
        if has_salib:
            pd.testing.assert_frame_equal(sweep.morris(sc, bounds, summaries[0], n=4, seed=2, client=client),
                                          local_morris, check_exact=True)
        by_address = sweep.grid(sc, params, summaries, client=cluster.scheduler_address)
        assert_array_equal(by_address[summaries].to_numpy(), local_grid[summaries].to_numpy())
        with pytest.raises(UnknownNameError, match="sweep point 0"):
            sweep.grid(sc, params, "mean:occupancy.MORR", client=client)
    with pytest.raises(InputError, match="dask.distributed.Client or a scheduler address"):
        sweep.grid(sc, params, summaries, client=42)
