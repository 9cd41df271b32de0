"""Tests of pdsim.targets.glutamate: Mg2+ block, two-state kinetic synapse closed form, NMDA/AMPA ratio."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import quad, solve_ivp

from pdsim import catalog
from pdsim.errors import InputError
from pdsim.targets import epsc, glutamate_signals, mg_block, nmda_ampa_ratio, nmda_conductance, open_fraction
from pdsim.targets.glutamate import _generator, kinetic_states, open_fraction_integral, receptor_rates, two_state_rhs


@pytest.mark.parametrize("v", [-100.0, -70.0, -40.0, -20.0, 0.0, 20.0, 40.0])
def test_mg_block_formula(v):
    """Jahr & Stevens 1990 (as in Destexhe et al. 1994): B(V) = 1/(1 + e^{−0.062 V}[Mg]/3.57), [Mg] = 1 mM."""
    assert_allclose(mg_block(v), 1 / (1 + np.exp(-0.062 * v) * 1.0 / 3.57), rtol=1e-12)


def test_mg_block_limits_and_mg():
    assert mg_block(-200.0) < 1e-4
    assert mg_block(200.0) > 0.9999
    assert_allclose(mg_block(-70.0, mg=0.0), 1.0)
    assert mg_block(-70.0, mg="2 mM") < mg_block(-70.0)


@pytest.mark.parametrize("receptor", ["AMPA", "NMDA"])
def test_two_state_closed_form_vs_solve_ivp(receptor):
    """Destexhe et al. 1994: dr/dt = αT(1 − r) − βr, 1 mM × 1 ms pulse; closed form vs numerical integration."""
    p = receptor_rates(receptor)
    t_end = 5.0 / p["beta"]
    args = (p["alpha"], p["beta"], p["t_max"], p["t_dur"])
    first = solve_ivp(two_state_rhs, (0, p["t_dur"]), [0.0], args=args, rtol=1e-11, atol=1e-13, dense_output=True)
    second = solve_ivp(two_state_rhs, (p["t_dur"], t_end), first.y[:, -1], args=args, rtol=1e-11, atol=1e-13,
                       dense_output=True)
    assert first.success and second.success
    t1 = np.linspace(0, p["t_dur"], 7)
    t2 = np.linspace(p["t_dur"], t_end, 13)
    assert_allclose(open_fraction(receptor, t1), first.sol(t1)[0], rtol=1e-7, atol=1e-12)
    assert_allclose(open_fraction(receptor, t2), second.sol(t2)[0], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("receptor", ["AMPA", "NMDA"])
def test_pulse_rise_and_decay_constants(receptor):
    """During the pulse r → r∞ = αT/(αT + β) with τ = 1/(αT + β); afterwards r decays with rate β."""
    p = receptor_rates(receptor)
    k = p["alpha"] * p["t_max"] + p["beta"]
    rinf = p["alpha"] * p["t_max"] / k
    t = 0.3 * p["t_dur"]
    assert_allclose(open_fraction(receptor, t), rinf * (1 - np.exp(-k * t)), rtol=1e-12)
    ta, tb = p["t_dur"] + 1.0, p["t_dur"] + 3.0
    slope = (np.log(open_fraction(receptor, tb)) - np.log(open_fraction(receptor, ta))) / (tb - ta)
    assert_allclose(-slope, p["beta"], rtol=1e-10)
    assert open_fraction(receptor, -1.0) == 0.0


@pytest.mark.parametrize("receptor", ["AMPA", "NMDA"])
def test_open_fraction_integral(receptor):
    p = receptor_rates(receptor)
    num = quad(lambda t: open_fraction(receptor, t), 0, p["t_dur"])[0] + \
        quad(lambda t: open_fraction(receptor, t), p["t_dur"], np.inf)[0]
    assert_allclose(open_fraction_integral(receptor), num, rtol=1e-8)


def test_epsc_signs_and_block():
    """Inward (negative) current at −70 mV; NMDA current nearly blocked at −70 mV, large at +40 mV."""
    t = np.linspace(0, 50, 51)
    ia = epsc("AMPA", t, "-70 mV")
    assert ia.min() < 0 and ia.max() <= 0
    i_n_neg = epsc("NMDA", t, -70.0)
    i_n_pos = epsc("NMDA", t, 40.0)
    assert np.abs(i_n_pos).max() > 5 * np.abs(i_n_neg).max()
    p = receptor_rates("NMDA")
    assert_allclose(i_n_pos, p["g_max"] * open_fraction("NMDA", t) * mg_block(40.0) * 40.0, rtol=1e-12)


def test_ratio_definition():
    """NMDA/AMPA charge ratio = g_N B(V_N)|V_N| ∫r_N / (g_A |V_A| ∫r_A) (E_rev = 0, Destexhe et al. 1994)."""
    pa, pn = receptor_rates("AMPA"), receptor_rates("NMDA")
    expected = (pn["g_max"] * mg_block(40.0) * 40.0 * open_fraction_integral("NMDA")) / \
        (pa["g_max"] * 70.0 * open_fraction_integral("AMPA"))
    assert_allclose(nmda_ampa_ratio(), expected, rtol=1e-12)
    peak = nmda_ampa_ratio(measure="peak")
    assert_allclose(peak, (pn["g_max"] * mg_block(40.0) * 40 * open_fraction("NMDA", pn["t_dur"]))
                    / (pa["g_max"] * 70 * open_fraction("AMPA", pa["t_dur"])), rtol=1e-12)
    with pytest.raises(InputError):
        nmda_ampa_ratio(measure="area")


def test_stress_raises_and_mor_signal_lowers_ratio():
    """Kole et al. 2002 (direction): chronic stress raises the NMDA component; the assumed MOR route opposes it."""
    base = nmda_ampa_ratio()
    stressed = nmda_ampa_ratio(stress=1.0)
    treated = nmda_ampa_ratio(stress=1.0, mor_signal=0.5)
    assert stressed > base
    assert base <= treated < stressed
    assert_allclose(nmda_ampa_ratio(stress=0.0, mor_signal=0.7), base)  # no stress, nothing to normalise
    gs = catalog.target("NMDA")["stress_gain"].to("")
    assert_allclose(stressed / base, 1 + gs, rtol=1e-12)


def test_glutamate_signals_shape():
    s = np.linspace(0, 1, 6).reshape(2, 3)
    out = glutamate_signals(stress=s, mor_signal=np.zeros((2, 3)))
    assert out["signal.NMDA"].shape == (2, 3)
    assert_allclose(out["signal.NMDA"], nmda_conductance(s) / receptor_rates("NMDA")["g_max"])


@pytest.mark.parametrize("receptor", ["AMPA", "NMDA"])
def test_kinetic_two_state_matches_closed_form(receptor):
    """The exact piecewise propagation of the master equation reproduces the two-state closed form (Destexhe et al. 1994)."""
    t = np.linspace(-2, 60, 40)
    assert_allclose(kinetic_states(receptor, t, scheme="two_state")["O"], open_fraction(receptor, t), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("receptor", ["AMPA", "NMDA"])
def test_detailed_scheme_vs_solve_ivp(receptor):
    """Desensitising schemes (Destexhe, Mainen & Sejnowski 1998; AMPA5/NMDA5 rates): exact propagation vs
    numerical integration of dP/dt = Q(T) P over two pulses; probabilities sum to 1."""
    pulses = (0.0, 20.0)
    t = np.linspace(0, 80, 81)
    states = kinetic_states(receptor, t, pulses)
    names = list(states)
    p = receptor_rates(receptor)
    _, q_on = _generator(receptor, "detailed", p["t_max"])
    _, q_off = _generator(receptor, "detailed", 0.0)

    def rhs(tt, y):
        on = any(a <= tt < a + p["t_dur"] for a in pulses)
        return (q_on if on else q_off) @ y

    y0 = np.zeros(len(names))
    y0[0] = 1.0
    sol = solve_ivp(rhs, (0, 80), y0, t_eval=t, method="LSODA", rtol=1e-10, atol=1e-12, max_step=0.05)
    assert sol.success
    for j, s in enumerate(names):
        assert_allclose(states[s], sol.y[j], atol=2e-7)
    assert_allclose(sum(states.values()), 1.0, rtol=1e-12)


def test_ampa_paired_pulse_depression():
    """Desensitisation (Destexhe et al. 1998): the second of two AMPA responses 10 ms apart is smaller."""
    t1 = np.linspace(0, 5, 501)
    first = kinetic_states("AMPA", t1, (0.0, 10.0))["O"].max()
    second = kinetic_states("AMPA", t1 + 10.0, (0.0, 10.0))["O"].max()
    assert second < first
    # the two-state scheme has no desensitised state: the second response is not smaller
    s1 = kinetic_states("AMPA", t1, (0.0, 10.0), scheme="two_state")["O"].max()
    s2 = kinetic_states("AMPA", t1 + 10.0, (0.0, 10.0), scheme="two_state")["O"].max()
    assert s2 >= s1


def test_detailed_epsc_uses_scheme_conductance():
    t = np.linspace(0, 30, 31)
    i = epsc("AMPA", t, -70.0, scheme="detailed")
    g = catalog.target("AMPA")["AMPA5_gmax"].to("nS")
    assert_allclose(i, g * kinetic_states("AMPA", t)["O"] * -70.0, rtol=1e-12)
    with pytest.raises(InputError):
        kinetic_states("AMPA", t, scheme="markov9")
    with pytest.raises(InputError):
        kinetic_states("AMPA", t, (0.0, 0.5))
