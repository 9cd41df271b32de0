"""Tests of pdsim.effects.hpa: steady states, gland masses and dynamical compensation (Milo 2025; Karin et al.)."""
import math

import numpy as np
import pytest

from pdsim.effects import HPAModel, protocol, run_models
from pdsim.errors import UnknownNameError

_LONG = np.linspace(0, 1200 * 24, 121)  # 40 adrenal half-lives: the slow layer has settled


def _quiet(t):
    return {"stress": 0.0, "signal.MOR": 0.0}


def test_baseline_is_a_fixed_point():
    m = HPAModel()
    d = m.rhs(0.0, m.initial_state(3), {"stress": np.zeros(3), "signal.MOR": np.zeros(3)})
    np.testing.assert_allclose(d, 0.0, atol=1e-12)
    assert m.stiff


def test_time_scales_minutes_and_weeks():
    """CRH t1/2 about 4 min, ACTH 10 min, cortisol 81 min; pituitary 20 d, adrenal 30 d (milo2025)."""
    hl = HPAModel("human").half_lives_h()
    assert hl["crh"] * 60 == pytest.approx(math.log(2) / 0.17, rel=1e-9)
    assert hl["cortisol"] * 60 == pytest.approx(80.6, abs=0.1)
    assert hl["pituitary_mass"] / 24 == pytest.approx(20, rel=1e-4)
    assert hl["adrenal_mass"] / 24 == pytest.approx(30, rel=1e-4)


def test_glucocorticoid_names_by_species():
    assert "corticosterone" in HPAModel("rat").states and "corticosterone" in HPAModel("mouse").states
    assert "cortisol" in HPAModel("human").states and "brain_cortisol" in HPAModel("tree_shrew").states
    with pytest.raises(UnknownNameError, match="species 'dog'") as info:
        HPAModel("dog")
    assert str(info.value).count("Known:") == 1  # the species list once, not twice


def test_baseline_closed_form():
    """x1 = aP/bP, x2 = aA/bA, b1 GR(x3b)/x3b = a1 x1, x3 = x3b (k + a3)/k, A = a3 x3/(b3 x2), P = a2 x2/(b2 x1 GR(x3))."""
    m = HPAModel()
    x1, x2, x3, x3b, p, a = m.baseline
    gr = lambda x: 1 / (1 + (x / m.k_gr) ** m.n_gr)  # noqa: E731
    assert x1 == pytest.approx(m.a_p / m.b_p) and x2 == pytest.approx(m.a_a / m.b_a)
    assert m.b1 * gr(x3b) / x3b == pytest.approx(m.a1 * x1, rel=1e-12)
    assert x3 == pytest.approx(x3b * (m.k + m.a3) / m.k)
    assert a == pytest.approx(m.a3 * x3 / (m.b3 * x2)) and p == pytest.approx(m.a2 * x2 / (m.b2 * x1 * gr(x3)))


def test_gland_steady_state_under_sustained_drive():
    """Sustained drive u = 2: CRH and ACTH return to their set points, the glands and cortisol stay up (Karin et al.)."""
    m = HPAModel()
    stress = 1.0 / m.gain  # u = 1 + gain * stress = 2
    out = run_models([m], _LONG, lambda t: {"stress": stress, "signal.MOR": 0.0})
    ss = m.steady_state(2.0)
    assert ss["crh"] == pytest.approx(1.0) and ss["acth"] == pytest.approx(1.0)
    for k in m.states:
        assert out[f"effect.{k}"][-1, 0] == pytest.approx(ss[k], rel=1e-3), k
    i1 = np.searchsorted(_LONG, 24.0)
    assert out["effect.acth"][i1, 0] > 1.2  # the fast layer responds first
    assert ss["corticosterone"] > 1.5 and ss["adrenal_mass"] > 1.5


def test_dynamical_compensation_of_adrenal_sensitivity():
    """Doubling adrenal sensitivity b3 raises cortisol at first; the adrenal mass halves and cortisol returns to baseline."""
    m = HPAModel("human", scale={"b3": 2.0})
    out = run_models([m], _LONG, _quiet)
    c = out["effect.cortisol"][:, 0]
    assert c[1] > 1.2
    assert c[-1] == pytest.approx(1.0, abs=1e-3)
    assert out["effect.adrenal_mass"][-1, 0] == pytest.approx(0.5, rel=1e-3)


def test_drug_attenuates_crh_drive():
    m = HPAModel()
    assert m.crh_drive(1.0, 0.0) == pytest.approx(1 + m.gain)
    assert m.crh_drive(1.0, 1e9) == pytest.approx(1 + m.gain * (1 - m.attenuation))
    assert m.crh_drive(0.0, 0.5) == pytest.approx(1.0)  # no stress: the drug does not lower basal drive


def test_restraint_run_succeeds_and_stays_positive():
    p = protocol("chronic_restraint")
    t = np.linspace(0, p.days * 24, 505)
    out = run_models([HPAModel()], t, lambda tt: {"stress": p.intensity(tt), "signal.MOR": 0.05}, breakpoints=p.edges())
    for k, v in out.items():
        assert np.all(np.isfinite(v)) and np.all(v > 0), k
