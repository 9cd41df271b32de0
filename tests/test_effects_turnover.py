"""Tests of pdsim.effects.turnover and plasticity: indirect-response closed forms (Dayneka 1993) and Czéh 2001."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsim.effects import BDNFSignalling, PlasticityModel, drug_action, protocol, run_models, stress_fold_for_steady_state
from pdsim.errors import InputError, UnknownNameError


def test_drug_action_is_hyperbolic():
    assert drug_action(0.0, 0.03) == 0.0
    assert drug_action(0.03, 0.03) == pytest.approx(0.5)
    assert drug_action(-1.0, 0.03) == 0.0
    np.testing.assert_allclose(drug_action(np.array([0.09]), 0.03), [0.75])


@pytest.mark.parametrize("stress,signal", [(1.0, 0.0), (0.0, 0.1), (0.5, 0.05)])
def test_constant_drive_matches_closed_form(stress, signal):
    """Indirect response under constant drive: R(t) = Rss + (1 - Rss) exp(-kout t) (dayneka1993)."""
    m = BDNFSignalling()
    t = np.linspace(0, 10 * 24, 41)
    out = run_models([m], t, lambda tt: {"stress": stress, "signal.MOR": signal})
    for state in ("bdnf_hippocampus", "bdnf_amygdala", "pcreb_amygdala", "p_akt"):
        exact = m.closed_form(state, t, stress, signal)
        np.testing.assert_allclose(out[f"effect.{state}"][:, 0], exact, rtol=1e-6, err_msg=state)
    kout = m.specs[m.index("bdnf_hippocampus")].kout
    assert kout == pytest.approx(math.log(2) / 48.0)  # 2-day half-life (assumed)


def test_steady_state_formula():
    m = BDNFSignalling()
    sp = m.specs[m.index("bdnf_hippocampus")]
    d = drug_action(0.1, m.half_effect)
    expect = math.exp(sp.stress_log_fold * (1 - sp.protection * d)) * (1 + (sp.drug_fold - 1) * d)
    assert m.steady_state("bdnf_hippocampus", 1.0, 0.1) == pytest.approx(expect)
    with pytest.raises(UnknownNameError, match="Did you mean 'bdnf_amygdala'"):
        m.steady_state("bdnf_amygdal", 0, 0)


def test_fold_solver_round_trip_and_unreachable_target():
    levels = [(0.25, 1.0), (0.75, 0.0)]
    f = stress_fold_for_steady_state(levels, 0.8)
    assert 0.25 * f + 0.75 == pytest.approx(0.8, abs=1e-12)
    with pytest.raises(InputError, match="cannot be reached"):
        stress_fold_for_steady_state(levels, 0.7)


def test_czeh_steady_state_is_0_67():
    """Psychosocial stress cut precursor proliferation by 33 % (czeh2001): the daily-mean steady state is 0.67."""
    m = PlasticityModel()
    levels = protocol("psychosocial_stress").daily_levels()
    assert m.periodic_mean("precursor_proliferation", levels, 0.0) == pytest.approx(0.67, abs=1e-12)
    p = m.parameters()["plasticity.precursor_proliferation_stress_fold"]
    assert p.kind == "derived" and "czeh2001" in p.sources


def test_czeh_simulated_over_the_protocol():
    """35 days of the tree-shrew protocol end on a daily mean of 0.67 (czeh2001), BDNF driver held at 1."""
    p = protocol("psychosocial_stress")
    t = np.arange(0, p.days * 24 + 0.5, 0.5)
    out = run_models([PlasticityModel()], t, lambda tt: {"stress": p.intensity(tt), "signal.MOR": 0.0,
                                                          "effect.bdnf_hippocampus": 1.0}, breakpoints=p.edges())
    x = out["effect.precursor_proliferation"][:, 0]
    last = t >= (p.days - 1) * 24
    mean = np.trapezoid(x[last], t[last]) / 24.0
    assert mean == pytest.approx(0.67, abs=2e-3)


def test_mtor_drives_synaptic_proteins():
    """Synaptic proteins are made in proportion to p-mTOR (claim plasticity.synaptic_proteins.mtor_dependent)."""
    m = BDNFSignalling()
    y = np.ones((len(m.states), 1))
    y[m.index("p_mtor")] = 1.5
    prod = m.production(y, {"stress": np.zeros(1), "signal.MOR": np.zeros(1)})
    assert prod[m.index("psd95"), 0] == pytest.approx(1.5)
    assert prod[m.index("bdnf_hippocampus"), 0] == pytest.approx(1.0)


def test_scale_is_checked():
    with pytest.raises(UnknownNameError, match="no parameter|does not have"):
        BDNFSignalling(scale={"bdnf_halflife": 2.0})
    with pytest.raises(InputError, match="multiplier"):
        BDNFSignalling(scale={"bdnf_hippocampus_half_life": -1.0})
    fast = BDNFSignalling(scale={"bdnf_hippocampus_half_life": 0.5})
    assert fast.specs[0].kout == pytest.approx(2 * BDNFSignalling().specs[0].kout)


@settings(max_examples=50, deadline=None)
@given(s=st.floats(0, 1), sig=st.floats(0, 1), y=st.floats(0.01, 5))
def test_production_is_positive(s, sig, y):
    """Log-linear stress and a nonnegative drug multiplier keep production > 0, so states stay positive."""
    for m in (BDNFSignalling(), PlasticityModel()):
        ys = np.full((len(m.states), 1), y)
        u = {"stress": np.array([s]), "signal.MOR": np.array([sig]), "effect.bdnf_hippocampus": np.array([y])}
        assert np.all(m.production(ys, u) > 0)


def test_states_stay_positive_under_heavy_stress():
    p = protocol("chronic_restraint_42d")
    t = np.linspace(0, p.days * 24, 200)
    out = run_models([BDNFSignalling(), PlasticityModel()], t,
                     lambda tt: {"stress": p.intensity(tt), "signal.MOR": 0.0}, breakpoints=p.edges())
    for k, v in out.items():
        assert np.all(v > 0), k
