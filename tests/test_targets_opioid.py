"""Tests of pdsim.targets.opioid: occupancy, operational-model limits, Schild shift, MOR desensitisation."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from pdsim import catalog
from pdsim.errors import InputError, UnknownNameError
from pdsim.model import DynamicModel
from pdsim.targets import MORTolerance, agonist_ec50, agonist_emax, mor_response, opioid_signals


def _k(drug, target="MOR"):
    return catalog.drug(drug).affinity(target).to("nM")


def _tau(drug, target="MOR"):
    return catalog.drug(drug).binding(target).params["tau"].to("")


def test_equilibrium_occupancy_single_ligand():
    """θ = C/(C + Ki) (Hill–Langmuir, n = 1); tianeptine human MOR Ki 383 nM (Gassaway et al. 2014)."""
    c = np.array([0.0, 38.3, 383.0, 3830.0])
    out = opioid_signals({"tianeptine": c})
    assert_allclose(out["occupancy.MOR"], c / (c + _k("tianeptine")), rtol=1e-12)
    assert_allclose(out["occupancy.MOR.tianeptine"][2], 0.5, rtol=1e-12)


def test_operational_limits():
    """Black & Leff 1983: E → τ/(1+τ) as A → ∞; E(EC50) = Emax/2 with EC50 = K_A/(1+τ); E ≈ τA/K_A for A ≪ K_A."""
    k, tau = _k("tianeptine"), _tau("tianeptine")
    emax = tau / (1 + tau)
    assert_allclose(mor_response("tianeptine", 1e9), emax, rtol=1e-6)
    assert_allclose(agonist_emax("tianeptine"), emax, rtol=1e-12)
    ec50 = agonist_ec50("tianeptine")
    assert_allclose(ec50, k / (1 + tau), rtol=1e-12)
    assert_allclose(mor_response("tianeptine", ec50), emax / 2, rtol=1e-12)
    a = 1e-3
    assert_allclose(mor_response("tianeptine", a), tau * a / k, rtol=1e-5)
    assert mor_response("tianeptine", 0.0) == 0.0


def test_tianeptine_ec50_near_gassaway():
    """Gassaway et al. 2014: human MOR G-protein (BRET) EC50 194 ± 70 nM; the model gives K_A/(1+τ)."""
    assert agonist_ec50("tianeptine") == pytest.approx(194, rel=0.1)


def test_partial_vs_full_agonism_via_tau():
    """Operational model: the higher-τ agonist (morphine, τ 2.4) reaches a larger maximum than tianeptine (τ 1.0)."""
    assert agonist_emax("morphine") > agonist_emax("tianeptine")
    # receptor loss lowers the maximum of the low-τ agonist proportionally more (fact sheet F4)
    loss_t = 1 - agonist_emax("tianeptine", receptor_available=0.5) / agonist_emax("tianeptine")
    loss_m = 1 - agonist_emax("morphine", receptor_available=0.5) / agonist_emax("morphine")
    assert loss_t > loss_m


@pytest.mark.parametrize("b", [1.0, 10.0, 100.0, 1000.0])
def test_schild_shift_by_naloxone(b):
    """Arunlakshana & Schild 1959: a neutral competitive antagonist shifts EC50 by DR = 1 + B/K_B, maximum unchanged."""
    kb = _k("naloxone")
    emax = agonist_emax("tianeptine")

    def ec50_with(bconc):
        f = lambda logc: mor_response("tianeptine", 10**logc, "naloxone", bconc) - emax / 2
        return 10 ** brentq(f, -3, 12, xtol=1e-12)

    dr = ec50_with(b) / ec50_with(0.0)
    assert_allclose(dr, 1 + b / kb, rtol=1e-8)
    assert_allclose(mor_response("tianeptine", 1e13, "naloxone", b), emax, rtol=1e-4)


def test_schild_plot_slope_one():
    """Schild plot log(DR − 1) vs log B has slope 1 and intercept −log K_B (Arunlakshana & Schild 1959)."""
    kb = _k("naloxone")
    emax = agonist_emax("morphine")
    bs = np.array([3.0, 30.0, 300.0])
    drs = []
    for b in bs:
        f = lambda logc: mor_response("morphine", 10**logc, "naloxone", b) - emax / 2
        drs.append(10 ** brentq(f, -4, 12, xtol=1e-12) / agonist_ec50("morphine"))
    slope, intercept = np.polyfit(np.log10(bs), np.log10(np.array(drs) - 1), 1)
    assert_allclose(slope, 1.0, rtol=1e-6)
    assert_allclose(intercept, -np.log10(kb), atol=1e-6)


def test_naloxone_abolishes_signal():
    """Competitive blockade: at B ≫ K_B the agonist signal falls toward zero (Samuels et al. 2017: MOR required)."""
    alone = mor_response("tianeptine", 1000.0)
    blocked = mor_response("tianeptine", 1000.0, "naloxone", 1e5)
    assert blocked < 0.01 * alone


def test_competition_occupancies_sum_and_shape():
    """Gaddum: θ_i = (C_i/K_i)/(1 + Σ C_j/K_j); outputs keep the (time × subjects) shape of the inputs."""
    rng = np.random.default_rng(1)
    ct = rng.uniform(0, 2000, size=(7, 3))
    cn = rng.uniform(0, 10, size=(7, 3))
    out = opioid_signals({"tianeptine": ct, "naloxone": cn, "escitalopram": ct})
    rt, rn = ct / _k("tianeptine"), cn / _k("naloxone")
    assert_allclose(out["occupancy.MOR.tianeptine"], rt / (1 + rt + rn), rtol=1e-12)
    assert_allclose(out["occupancy.MOR"], (rt + rn) / (1 + rt + rn), rtol=1e-12)
    assert "occupancy.MOR.escitalopram" not in out
    for v in out.values():
        assert np.shape(v) == (7, 3)


def test_dor_weak_agonism_of_tianeptine():
    """Gassaway et al. 2014: human DOR EC50 37.4 µM — the model's DOR EC50 equals it (K_A = EC50 (1+τ))."""
    assert agonist_ec50("tianeptine", "DOR") == pytest.approx(37400, rel=1e-12)
    assert opioid_signals({"tianeptine": 47.0}, "DOR")["signal.DOR"] < 1e-3


def test_unknown_target_and_non_agonist():
    with pytest.raises(UnknownNameError):
        opioid_signals({"tianeptine": 1.0}, "SERT")
    with pytest.raises(InputError):
        agonist_ec50("naloxone")


def test_tolerance_model_is_a_dynamic_model():
    m = MORTolerance(["tianeptine", "naloxone", "escitalopram"])
    assert isinstance(m, DynamicModel)
    assert m.inputs == ("occupancy.MOR.tianeptine",)  # the antagonist occupies without desensitising
    assert m.outputs == ("signal.MOR",)
    assert m.initial_state(4).shape == (1, 4)
    assert all(p.sources for p in m.parameters().values())


@pytest.mark.parametrize("regime", ["acute", "chronic"])
def test_tolerance_closed_form_constant_occupancy(regime):
    """F7b under constant θ: R(t) = R* + (R0 − R*) e^{−(k_rec + k_des θ) t}, R* = k_rec/(k_rec + k_des θ) (Dang & Williams 2004 time scale)."""
    m = MORTolerance(["tianeptine"], regime=regime)
    theta = np.array([0.1, 0.5, 0.9])
    u = {"occupancy.MOR.tianeptine": theta}
    t_end = 5.0 / (m.k_rec + m.k_des * 0.1)
    sol = solve_ivp(lambda t, y: m.rhs(t, y.reshape(1, -1), u).ravel(), (0, t_end), np.ones(3),
                    rtol=1e-10, atol=1e-12, dense_output=True)
    assert sol.success
    ts = np.linspace(0, t_end, 9)
    assert_allclose(sol.sol(ts).T, m.closed_form(theta[None, :], ts[:, None]), rtol=1e-7, atol=1e-9)
    assert_allclose(m.steady_state(theta), m.k_rec / (m.k_rec + m.k_des * theta), rtol=1e-12)


def test_tolerance_output_scales_tau():
    """τ_eff = τ R: with R = 1 the output equals the algebraic signal; with R < 1 it is lower."""
    m = MORTolerance(["tianeptine"])
    c = np.array([50.0, 500.0, 5000.0])
    alg = opioid_signals({"tianeptine": c})
    u = {"occupancy.MOR.tianeptine": alg["occupancy.MOR.tianeptine"]}
    assert_allclose(m.observe(np.ones((1, 3)), u)["signal.MOR"], alg["signal.MOR"], rtol=1e-12)
    half = opioid_signals({"tianeptine": c}, receptor_available=0.5)["signal.MOR"]
    assert_allclose(m.observe(np.full((1, 3), 0.5), u)["signal.MOR"], half, rtol=1e-12)
    assert np.all(half < alg["signal.MOR"])
