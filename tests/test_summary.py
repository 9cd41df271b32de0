"""Tests of pdsim.simulate_summary: chunked statistics over subjects equal those of pdsim.simulate,
do not depend on the chunk size, reject bad input, and keep memory bounded by the chunk."""
import dataclasses
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import pdsim
from pdsim.errors import InputError, UnknownNameError
from pdsim.summary import RunningMoments
from pdsim.scenario import Scenario, load_scenario

DRUG = "tianeptine_like"


def _sized(sc: Scenario, n: int, **pop) -> Scenario:
    return dataclasses.replace(sc, population=dataclasses.replace(sc.population, size=n, **pop))


@pytest.fixture(scope="module")
def ref_sc():
    return load_scenario("reference_population")


@pytest.fixture(scope="module")
def mixed_sc():
    """Three arms: the reference system, another system (onset), and no system at all;
    the arms dose different drugs, so some variables are absent from some arms."""
    return Scenario.from_dict({
        "name": "mixed", "duration": "2 day", "output_every": "2 h",
        "arms": [
            {"label": "reference", "systems": ["reference_tolerance_turnover"],
             "doses": [{"drug": DRUG, "dose": "12.5 mg", "every": "8 h", "count": 6}]},
            {"label": "onset", "systems": ["onset"],
             "doses": [{"drug": "escitalopram", "dose": "10 mg", "every": "24 h", "count": 2}]},
            {"label": "pk only", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]},
        ],
        "population": {"size": 40, "seed": 4, "chunk_size": 16,
                       "variability": {f"{DRUG}.CL": 0.3, "escitalopram.CL": 0.3, "tianeptine.V": 0.2}},
    })


def _assert_matches(summary, result):
    """Summary statistics equal numpy's over the subject axis of simulate's arrays."""
    assert summary.arms == tuple(result.arms)
    assert set(summary.variables) == set(result.data)
    assert summary.n_subjects == result.n_subjects
    assert_array_equal(summary.time_h, result.time_h)
    for name in summary.variables:
        x = result.data[name]
        assert summary.units[name] == result.units[name]
        assert_allclose(summary.mean[name], x.mean(axis=1), rtol=1e-12, atol=0, err_msg=name)
        # atol: a variable that is the same for every subject has SD 0, which numpy's two-pass
        # formula gives only to rounding (~1e-15 of the values)
        assert_allclose(summary.std[name], x.std(axis=1, ddof=1), rtol=1e-9, atol=1e-12 * np.abs(x).max(), err_msg=name)
        assert_array_equal(summary.min[name], x.min(axis=1), err_msg=name)
        assert_array_equal(summary.max[name], x.max(axis=1), err_msg=name)


def test_reference_summary_equals_simulate_statistics(ref_sc, monkeypatch):
    """Reference scenario, 50 subjects in the engine's chunks of 8 (first > 0 draws)."""
    import pdsim.engine.plan as plan_mod

    sc = _sized(ref_sc, 50)
    monkeypatch.setattr(plan_mod, "ODE_CHUNK_RANGE", (8, 8))
    firsts = []
    compute = plan_mod.compute_chunk
    monkeypatch.setattr(plan_mod, "compute_chunk", lambda *a: firsts.append((a[2], a[3])) or compute(*a))
    summary = pdsim.simulate_summary(sc, chunk_size=7)
    assert sorted(firsts) == [(a, min(8, 50 - a)) for a in range(0, 50, 8)]
    _assert_matches(summary, pdsim.simulate(sc))
    assert summary.chunk_size == 7 and summary.scenario_name == sc.name
    assert f"{DRUG}.pk.human.CL" in summary.parameters


def test_generic_path_summary_equals_simulate_statistics(mixed_sc):
    summary = pdsim.simulate_summary(mixed_sc, chunk_size=5)
    result = pdsim.simulate(mixed_sc)
    _assert_matches(summary, result)
    assert {"effect.reference_turnover", "effect.antidepressant_index", "plasma.tianeptine", "plasma.escitalopram"} <= set(summary.variables)
    # escitalopram is not dosed in the reference arm: zero there, as simulate fills it
    k = summary.arms.index("reference")
    assert np.all(summary.max["plasma.escitalopram"][k] == 0) and np.all(summary.std["plasma.escitalopram"][k] == 0)


@pytest.mark.parametrize("chunk", [1, 3, 16, 40, 1000])
def test_chunk_size_does_not_change_the_result(mixed_sc, chunk):
    ref = pdsim.simulate_summary(mixed_sc, chunk_size=13)
    got = pdsim.simulate_summary(mixed_sc, chunk_size=chunk)
    assert got.variables == ref.variables
    for name in ref.variables:
        assert_allclose(got.mean[name], ref.mean[name], rtol=1e-12, atol=0, err_msg=name)
        assert_allclose(got.std[name], ref.std[name], rtol=1e-9, atol=1e-12 * np.abs(ref.max[name]).max(), err_msg=name)
        assert_array_equal(got.min[name], ref.min[name])
        assert_array_equal(got.max[name], ref.max[name])


def test_selected_variables_default_chunk_and_table(ref_sc, tmp_path):
    sc = _sized(ref_sc, 12, chunk_size=5)
    names = ["effect.reference_turnover", f"plasma.{DRUG}"]
    s = pdsim.simulate_summary(sc, variables=names)
    assert s.variables == tuple(names) and s.chunk_size == 5 and set(s.mean) == set(names)
    with pytest.raises(ValueError):
        s.mean[names[0]][0, 0] = 1.0  # read-only
    df = s.to_dataframe()
    assert list(df.columns) == ["arm", "variable", "unit", "time_h", "n", "mean", "sd", "min", "max"]
    assert len(df) == 2 * 673 and set(df["n"]) == {12}
    row = df[(df.variable == f"plasma.{DRUG}") & (df.time_h == 100.0)].iloc[0]
    t = list(s.time_h).index(100.0)
    assert row["unit"] == "nM" and row["mean"] == s.mean[f"plasma.{DRUG}"][0, t] and row["sd"] == s.std[f"plasma.{DRUG}"][0, t]
    path = s.to_csv(tmp_path / "out" / "summary.csv", variables=[f"plasma.{DRUG}"])
    back = __import__("pandas").read_csv(path)
    assert len(back) == 673 and back["max"].iloc[100] == pytest.approx(s.max[f"plasma.{DRUG}"][0, 100], rel=1e-15)


def test_one_subject_has_no_standard_deviation(ref_sc):
    """SD with ddof = 1 is undefined for one subject: NaN, not a silent zero."""
    s = pdsim.simulate_summary(_sized(ref_sc, 1), variables=[f"plasma.{DRUG}"])
    assert np.all(np.isnan(s.std[f"plasma.{DRUG}"]))
    assert_array_equal(s.min[f"plasma.{DRUG}"], s.mean[f"plasma.{DRUG}"])


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "100"])
def test_bad_chunk_size(ref_sc, bad):
    with pytest.raises(InputError, match=r"`chunk_size` must be a positive whole number of subjects .*give e\.g\."):
        pdsim.simulate_summary(_sized(ref_sc, 3), chunk_size=bad)


def test_bad_population_chunk_size_is_named(ref_sc):
    with pytest.raises(InputError, match=r"population `chunk_size` must be a whole number >= 1 \(got 0\)"):
        pdsim.simulate_summary(_sized(ref_sc, 3, chunk_size=0))


def test_unknown_variable_suggests_the_closest(ref_sc):
    with pytest.raises(UnknownNameError, match=r"'effect.reference_turnovr'.*Did you mean 'effect.reference_turnover'\?"):
        pdsim.simulate_summary(_sized(ref_sc, 3), variables=["effect.reference_turnovr"])
    with pytest.raises(InputError, match="list of variable names"):
        pdsim.simulate_summary(_sized(ref_sc, 3), variables="effect.reference_turnover")
    with pytest.raises(InputError, match="`variables` is empty"):
        pdsim.simulate_summary(_sized(ref_sc, 3), variables=[])
    s = pdsim.simulate_summary(_sized(ref_sc, 3))
    with pytest.raises(UnknownNameError, match="Did you mean 'effect.reference_turnover'"):
        s.to_dataframe(["effect.reference_turnovr"])
    with pytest.raises(InputError, match=r"simulate_summary\(\) takes a Scenario"):
        pdsim.simulate_summary(42)


def test_running_moments_merge_in_place_and_sd_of_one():
    rng = np.random.default_rng(1)
    x = rng.lognormal(3.0, 1.0, size=(2, 101, 9))
    mom = RunningMoments()
    for a in range(0, 101, 17):
        mom.update(a, min(a + 17, 101), x[:, a:a + 17])
    assert mom.count == 101
    assert_allclose(mom.mean, x.mean(axis=1), rtol=1e-13)
    assert_allclose(mom.std, x.std(axis=1, ddof=1), rtol=1e-12)
    one = RunningMoments()
    one.update(0, 1, x[:, :1])
    assert np.all(np.isnan(one.std))


def test_memory_is_bounded_by_the_chunk_not_the_population(ref_sc):
    """20 000 subjects in chunks of 2 000: the peak of traced allocations stays below 2 chunks of
    output and far below the output of the whole population (what simulate would hold)."""
    n, chunk = 20_000, 2_000
    sc = _sized(ref_sc, n)
    pdsim.simulate_summary(_sized(ref_sc, 2))  # warm: numba cache, catalogue, imports
    n_vars = 6
    chunk_bytes = n_vars * chunk * sc.n_times * 8
    full_bytes = n_vars * n * sc.n_times * 8
    tracemalloc.start()
    try:
        s = pdsim.simulate_summary(sc, chunk_size=chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(s.variables) == n_vars and s.n_subjects == n
    assert peak < 2 * chunk_bytes, (peak, chunk_bytes)
    assert peak < full_bytes / 5, (peak, full_bytes)
    # and the statistics are those of the subjects (spot check: the first chunk's max is a lower bound)
    assert np.all(s.max[f"plasma.{DRUG}"] >= s.mean[f"plasma.{DRUG}"])


def test_million_benchmark_runs_small(tmp_path, capsys, monkeypatch):
    """benchmarks/million.py end to end on 30 subjects in the engine's chunks (set to 7 here): its chunks
    are simulate's subjects exactly."""
    import importlib.util
    import json
    from pathlib import Path

    import pdsim.engine.plan as plan_mod

    monkeypatch.setattr(plan_mod, "ODE_CHUNK_RANGE", (7, 7))
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "million.py"
    spec = importlib.util.spec_from_file_location("bench_million", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--subjects", "30", "--chunk-size", "7", "--json", str(tmp_path / "m.json")]) == 0
    got = json.loads((tmp_path / "m.json").read_text())
    assert got["subjects"] == 30 and got["second_chunk_subjects"] == 7
    assert got["max_rel_diff_first_chunk"] <= 1e-12 and got["max_rel_diff_second_chunk"] <= 1e-12
    assert "full output avoided" in capsys.readouterr().out
