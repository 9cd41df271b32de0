"""Tests of the reference benchmark system through the general engine (the one path every scenario takes),
and of the effect-site variable. Its accuracy against a tight exact-forcing reference is in
tests/test_engine_accuracy.py."""
import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim import catalog
from pdsim.audit import check_tree
from pdsim.dosing import Regimen
from pdsim.errors import InputError
from pdsim.pk import concentration
from pdsim.population import sample_parameters
from pdsim.scenario import Scenario, load_scenario
from pdsim.engine.pk import pk_models as _pk_models
from pdsim.simulate import SYSTEMS, simulate

ROOT = Path(__file__).resolve().parents[1]
DRUG = "tianeptine_like"
REF_VARS = {f"plasma.{DRUG}", f"free.{DRUG}", f"biophase.{DRUG}", "effect.reference_occupancy",
            "effect.reference_tolerance", "effect.reference_turnover"}


def _sized(sc: Scenario, n: int, **pop) -> Scenario:
    return dataclasses.replace(sc, population=dataclasses.replace(sc.population, size=n, **pop))


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Max |a - b| / max(|b|, 1e-3 x the subject's max |b|) (as the benchmark measures it)."""
    floor = 1e-3 * np.abs(b).max(axis=-1, keepdims=True)
    den = np.maximum(np.abs(b), floor)
    return float(np.max(np.where(den > 0, np.abs(a - b) / np.where(den > 0, den, 1.0), np.abs(a - b))))


@pytest.fixture(scope="module")
def ref_sc():
    return load_scenario("reference_population")


def test_reference_scenario_loads(ref_sc):
    """The benchmark scenario: 84 oral doses of 12.5 mg every 8 h, 673 hourly outputs, seeded population."""
    arm, = ref_sc.arms
    dose, = arm.doses
    assert (dose.drug, dose.amount, dose.every, dose.count, dose.route) == (DRUG, 12.5, 8.0, 84, "oral")
    assert ref_sc.n_times == 673 and ref_sc.output_every == 1.0
    assert ref_sc.systems == ("reference_tolerance_turnover",)
    assert ref_sc.population.seed == 20240
    assert ref_sc.population.variability == {f"{DRUG}.ka": 0.3, f"{DRUG}.CL": 0.3, f"{DRUG}.V": 0.3}
    assert "reference_tolerance_turnover" in SYSTEMS


def test_reference_scenario_variables(ref_sc):
    """The general engine gives the PK sites, the effect site and the system's states with units and sources;
    B starts at its baseline kin/kout = 1 and is stimulated by the end; T starts at 0 and stays in [0, E_max]."""
    res = simulate(_sized(ref_sc, 5))
    assert set(res.data) == REF_VARS
    assert res.units[f"biophase.{DRUG}"] == "nM" and res.units["effect.reference_turnover"] == "dimensionless"
    for name in REF_VARS:
        assert res.data[name].shape == (1, 5, 673)
    assert "reference_tolerance_turnover.reference_benchmark.KA" in res.parameters
    b = res.get("effect.reference_turnover")
    assert np.all(b[:, 0] == 1.0) and np.all(b[:, -1] > 1.2)
    t = res.get("effect.reference_tolerance")
    assert np.all(t[:, 0] == 0.0) and np.all((t >= 0.0) & (t <= 1.0))
    # occupancy = Ce / (Ce + KA) of the effect site the engine reports (fu = 1 here)
    ce = res.get(f"biophase.{DRUG}")
    assert_allclose(res.get("effect.reference_occupancy"), ce / (ce + 400.0), rtol=1e-13)


def test_reference_population_is_seeded_and_subject_stable(ref_sc):
    """The same seed gives the same subjects; a subject's numbers do not depend on the population size."""
    a = simulate(_sized(ref_sc, 6))
    b = simulate(_sized(ref_sc, 6))
    for name in REF_VARS:
        assert np.array_equal(a.data[name], b.data[name])
    small = simulate(_sized(ref_sc, 3))
    assert_allclose(small.data["effect.reference_turnover"], a.data["effect.reference_turnover"][:, :3], rtol=1e-13)
    other = simulate(_sized(ref_sc, 6, seed=1))
    assert not np.allclose(other.data[f"plasma.{DRUG}"], a.data[f"plasma.{DRUG}"])
    # the subjects are sample_parameters' draws under the scenario's keys (what the benchmark's peers use)
    m = _pk_models(_sized(ref_sc, 6), ref_sc.arms[0], 0, 6)[DRUG][0]
    typical = {f"{DRUG}.ka": 2.0, f"{DRUG}.CL": 15.0, f"{DRUG}.V": 50.0}
    p = sample_parameters(typical, {k: 0.3 for k in typical}, 6, 20240)
    assert_allclose(m.ka, p[f"{DRUG}.ka"], rtol=1e-15)
    assert_allclose(m.CL, p[f"{DRUG}.CL"], rtol=1e-15)


INLINE = {
    "name": "kinetic",
    "molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"], "kind": "assumed", "note": "test"},
    "pk": {"human": {
        "model": "one_compartment",
        **{k: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "test"}
           for k, v, u in (("ka", 1.3, "1/h"), ("F", 0.8, "1"), ("tlag", 0.25, "h"), ("CL", 9.0, "L/h"),
                           ("V", 40.0, "L"), ("fu", 0.4, "1"), ("kp_uu", 0.5, "1"), ("ke0", 0.7, "1/h"))},
    }},
    "targets": {"MOR": {"action": "antagonist", "measure": "Ki", "affinity": {
        "value": 50.0, "unit": "nM", "sources": ["assumption"], "kind": "assumed", "note": "test"}}},
}


def test_general_case_variables():
    """fu < 1, Kp,uu, lag, F, bolus and infusion doses, a target: every layer is reported, free = fu x plasma,
    brain = Kp,uu x free, and the receptor sees the free effect site (occupancy = fu Ce / (fu Ce + KA))."""
    sc = Scenario.from_dict({
        "name": "general", "duration": "3 day", "output_every": "0.5 h", "site": "brain",
        "systems": ["reference_tolerance_turnover"], "drugs": {"kinetic": INLINE},
        "arms": [{"label": "mixed", "doses": [
            {"drug": "kinetic", "dose": "40 mg", "every": "12 h", "count": 5, "route": "oral"},
            {"drug": "kinetic", "dose": "10 mg", "route": "iv_bolus", "start": "30 h"},
            {"drug": "kinetic", "dose": "20 mg", "route": "iv_infusion", "start": "50.2 h", "duration": "2 h"}]}],
        "population": {"size": 4, "seed": 3, "variability": {"kinetic.CL": 0.3, "kinetic.ke0": 0.2}},
    })
    res = simulate(sc)
    assert {"brain.kinetic", "biophase.kinetic", "occupancy.MOR", "occupancy.MOR.kinetic"} <= set(res.data)
    assert_allclose(res.data["free.kinetic"], 0.4 * res.data["plasma.kinetic"], rtol=1e-14)
    assert_allclose(res.data["brain.kinetic"], 0.5 * res.data["free.kinetic"], rtol=1e-14)
    ce = res.data["biophase.kinetic"]
    assert_allclose(res.data["effect.reference_occupancy"], ce / (ce + 400.0), rtol=1e-13)


def test_missing_effect_site_and_two_drugs_are_said():
    """Without ke0 the system says what is missing; with two drugs, that it reads one."""
    sc = Scenario.from_dict({"name": "x", "duration": "1 day", "systems": ["reference_tolerance_turnover"],
                             "arms": [{"label": "t", "doses": [{"drug": "tianeptine", "dose": "12.5 mg"}]}]})
    with pytest.raises(InputError, match="effect site of tianeptine, which has no ke0"):
        simulate(sc)
    two = Scenario.from_dict({"name": "x", "duration": "1 day", "systems": ["reference_tolerance_turnover"],
                              "arms": [{"label": "t", "doses": [{"drug": "tianeptine_like", "dose": "5 mg"},
                                                                {"drug": "morphine", "dose": "5 mg"}]}]})
    with pytest.raises(InputError, match="exactly one drug"):
        simulate(two)


def test_biophase_is_the_effect_site_of_free_drug():
    """biophase.<drug> = fu x Ce (dCe/dt = ke0 (C - Ce)), for any drug with ke0 (morphine here)."""
    sc = Scenario.from_dict({"name": "m", "duration": "1 day", "arms": [
        {"label": "m", "doses": [{"drug": "morphine", "dose": "10 mg", "route": "iv_bolus"}]}]})
    r = simulate(sc)
    reg = Regimen.single(dose="10 mg", route="iv_bolus", drug="morphine")
    ref = concentration("morphine", reg, r.time_h, site="effect").to("nM").magnitude
    assert_allclose(r.get("biophase.morphine")[0], ref, rtol=1e-12)
    assert r.units["biophase.morphine"] == "nM"


def test_model_files_pass_check():
    """`pdsim check` finds nothing wrong with the benchmark's drug, system and scenario files."""
    mine = ("tianeptine_like", "reference_benchmark", "reference_population")
    assert [p for p in check_tree(with_checks=False) if any(m in p for m in mine)] == []
    for p in catalog.drug(DRUG).parameters().values():
        assert p.kind == "assumed" and list(p.sources) == ["assumption"]
    for p in catalog.system("reference_benchmark").parameters.values():
        assert p.kind == "assumed" and list(p.sources) == ["assumption"]


def test_benchmark_compares_the_scenario_subjects():
    """benchmarks/population.py: the scenario is the README's, and its peers draw simulate's subjects."""
    spec = importlib.util.spec_from_file_location("bench_population", ROOT / "benchmarks" / "population.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench._check_scenario()
    p = bench._params(4)
    m = _pk_models(bench.scenario(4), bench.SC.arms[0], 0, 4)[DRUG][0]
    assert_allclose(p["V"], m.V, rtol=1e-15)
    got = bench.run_simulate(4, 4)
    ref = bench.reference(2)
    assert bench.max_rel_error(got, ref).max() < 1e-6
