"""Tests of the Nav voltage-clamp protocol API (pdsim.targets.nav_block): analytic limits, isoform rule, papers.

Modulated-receptor block (Hondeghem & Katzung 1977, Biochim Biophys Acta 472:373; Bean, Cohen & Tsien 1983,
J Gen Physiol 81:613): equilibrium D/(D + K_app(V)), 1/K_app = h∞/K_R + (1 − h∞)/K_I.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim import catalog
from pdsim.errors import InputError
from pdsim.targets import h_inf, k_app, nav_block, nav_fixed_point, nav_ic50, nav_isoform, nav_signals


def _p(drug, key, unit):
    return catalog.drug(drug).binding("Nav").params[key].to(unit)


def _rate(drug, conc, v):
    """λ(V) = h∞/τ_rec + (1 − h∞)·k_on·(D + K_I), per ms."""
    h = float(h_inf(v))
    return h / _p(drug, "tau_recovery", "ms") + (1 - h) * _p(drug, "k_on_inactivated", "1/nM/ms") * (
        conc + _p(drug, "k_inact", "nM"))


@pytest.mark.parametrize("drug", ["amitriptyline", "lidocaine"])
@pytest.mark.parametrize("v", [-140.0, -90.0, -70.0, -30.0])
def test_constant_voltage_gives_the_equilibrium_on_every_pulse(drug, v):
    """Test pulse at the holding potential: nothing changes during the train, every pulse sees D/(D + K_app(V))."""
    conc = 700.0
    res = nav_block(drug, conc, frequency="5 Hz", holding=v, test=v, pulses=40)
    assert_allclose(res.per_pulse, conc / (conc + k_app(drug, v)), rtol=1e-12)
    assert res.use_dependent == pytest.approx(0.0, abs=1e-12)


def test_zero_drug_gives_zero_block():
    res = nav_block("amitriptyline", 0.0, frequency="20 Hz", holding="-70 mV", pulses=30)
    assert np.all(res.per_pulse == 0.0) and res.tonic == 0.0 and res.steady_state == 0.0


@pytest.mark.parametrize("drug,conc,freq,hold,test,td", [
    ("amitriptyline", 1000.0, 5.0, -140.0, 30.0, 24.0), ("amitriptyline", 300.0, 10.0, -90.0, 0.0, 20.0),
    ("lidocaine", 20000.0, 2.0, -120.0, -20.0, 200.0), ("lidocaine", 5000.0, 1.0, -80.0, -60.0, 50.0)])
def test_closed_form_per_pulse_equals_the_two_phase_recursion(drug, conc, freq, hold, test, td):
    """b_n = b* + (b_1 − b*)e^{−(g+r)(n−1)} is the recursion pulse (toward b_eq(V_test), rate λ(V_test)) then
    interval (toward b_eq(V_hold), rate λ(V_hold)), started from the tonic block b_1 = b_eq(V_hold)."""
    n = 50
    res = nav_block(drug, conc, frequency=freq, holding=hold, test=test, pulse_duration=td, pulses=n)
    bh, bt = conc / (conc + k_app(drug, hold)), conc / (conc + k_app(drug, test))
    g, r = _rate(drug, conc, test) * td, _rate(drug, conc, hold) * (1e3 / freq - td)
    b, traj = bh, []
    for _ in range(n):
        traj.append(b)
        b = bh + (bt + (b - bt) * np.exp(-g) - bh) * np.exp(-r)
    assert_allclose(res.per_pulse, traj, rtol=1e-10)
    assert_allclose(res.steady_state, nav_fixed_point(bh, bt, g, r), rtol=1e-12)
    long = nav_block(drug, conc, frequency=freq, holding=hold, test=test, pulse_duration=td, pulses=20000)
    assert_allclose(long.per_pulse[-1], res.steady_state, rtol=1e-9)


def test_recovery_and_onset_rates_are_the_drug_constants():
    """At a hyperpolarised potential (h∞ → 1) block decays with τ_rec (8.0 s, Nau et al. 2000); at a depolarised
    one (h∞ → 0) it develops at k_on(D + K_I), with k_on = 1/(τ_rec·K_I) for amitriptyline."""
    conc = 1000.0
    tau = _p("amitriptyline", "tau_recovery", "ms")
    # one long depolarisation, then recovery read at pulse 2 after a gap
    gap = 4000.0
    res = nav_block("amitriptyline", conc, frequency=1e3 / (30000 + gap), holding="-300 mV", test="+100 mV",
                    pulse_duration="30 s", pulses=2)
    bh = conc / (conc + _p("amitriptyline", "k_rest", "nM"))
    bi = conc / (conc + _p("amitriptyline", "k_inact", "nM"))
    lam = _p("amitriptyline", "k_on_inactivated", "1/nM/ms") * (conc + _p("amitriptyline", "k_inact", "nM"))
    after = bi + (bh - bi) * np.exp(-lam * 30000)
    assert_allclose(res.per_pulse[1], bh + (after - bh) * np.exp(-gap / tau), rtol=1e-9)


def test_concentration_arrays_match_scalar_calls():
    conc = np.array([0.0, 10.0, 1000.0, 30000.0])
    arr = nav_block("lidocaine", conc, frequency="3 Hz", holding="-100 mV", pulses=25)
    assert arr.per_pulse.shape == (4, 25)
    for i, c in enumerate(conc):
        one = nav_block("lidocaine", float(c), frequency="3 Hz", holding="-100 mV", pulses=25)
        assert_allclose(arr.per_pulse[i], one.per_pulse, rtol=1e-12, atol=0)
        assert_allclose(arr.steady_state[i], one.steady_state, rtol=1e-12, atol=0)
    assert_allclose(arr.relative_current[:, 0], 1.0)


def test_ic50_spans_resting_to_inactivated():
    """Half-blocking concentration → K_R with inactivation removed, → K_I with inactivation complete (Bean 1983:
    lidocaine > 300 µM to about 10 µM; Nau 2000: amitriptyline 24.8 and 0.58 µM on Nav1.5)."""
    for drug in ("amitriptyline", "lidocaine"):
        assert_allclose(nav_ic50(drug, "-300 mV"), _p(drug, "k_rest", "nM"), rtol=1e-9)
        assert_allclose(nav_ic50(drug, "+100 mV"), _p(drug, "k_inact", "nM"), rtol=1e-9)
        block = nav_block(drug, nav_ic50(drug, "-90 mV"), holding="-90 mV", pulses=1).tonic
        assert block == pytest.approx(0.5, rel=1e-12)


def test_isoform_is_stated_and_another_is_refused():
    """The drug files state Nav1.5 (hH1, Nau 2000; cardiac Purkinje fibres, Bean 1983); another isoform is an
    error naming what is sourced, never a silent reuse of the Nav1.5 numbers."""
    assert nav_isoform("amitriptyline") == "Nav1.5" and nav_isoform("lidocaine") == "Nav1.5"
    same = nav_block("amitriptyline", "1 uM", isoform="Nav1.5")
    assert same.isoform == "Nav1.5"
    assert same.steady_state == nav_block("amitriptyline", "1 uM").steady_state
    with pytest.raises(InputError, match="Nav1.5"):
        nav_block("amitriptyline", "1 uM", isoform="Nav1.7")
    with pytest.raises(InputError, match="IC50_Nav1_9"):
        nav_block("amitriptyline", "1 uM", isoform="Nav1.9")
    with pytest.raises(InputError, match="isoform"):
        nav_signals({"lidocaine": 1000.0}, v=-70.0, isoform="Nav1.7")
    with pytest.raises(InputError, match="isoform"):
        k_app("lidocaine", -70.0, isoform="")


def test_open_state_constant_is_not_carried_unused():
    """k_open (Wang et al. 2004, rat Nav1.4) has no open-state binding rate and another isoform: it is not in the
    Nav1.5 table, and every other Nav constant of the drug files is read by the model."""
    used = {"k_rest", "k_inact", "tau_recovery", "k_on_inactivated"}
    for drug in ("amitriptyline", "lidocaine"):
        params = set(catalog.drug(drug).binding("Nav").params)
        assert "k_open" not in params
        assert used <= params
        assert {k for k in params - used if not k.startswith("IC50_Nav")} == set()


def test_bad_protocols_are_refused():
    with pytest.raises(InputError, match="conc"):
        nav_block("amitriptyline", -5.0)
    with pytest.raises(InputError, match="pulse_duration"):
        nav_block("amitriptyline", 1000.0, frequency="50 Hz", pulse_duration="20 ms")
    with pytest.raises(InputError, match="pulses"):
        nav_block("amitriptyline", 1000.0, pulses=2.5)


def test_readme_states_the_model_number_for_the_nau2000_train():
    """README quotes the model's use-dependent block in the Nau et al. (2000) 5 Hz, 1 µM experiment (the protocol
    of check nav.amitriptyline_use_dependent_block_5hz_nau2000); the number must be the model's, rounded."""
    import re

    from .conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    m = re.search(r"1 µM, 5 Hz: about (\d+) % against 55 %", text)
    assert m, "README no longer states the 5 Hz result"
    res = nav_block("amitriptyline", "1 uM", frequency="5 Hz", holding="-140 mV", test="+30 mV",
                    pulse_duration="24 ms", pulses=60)
    assert int(m.group(1)) == round(100 * (1 - float(res.relative_current[-1])))


def test_closed_form_is_the_solution_of_the_binding_ode():
    """Independent check of the per-pulse closed form: integrate db/dt = λ(V(t))·(b_eq(V(t)) − b) through the
    piecewise-constant voltage of the train with scipy's adaptive Runge-Kutta and read b at each pulse onset."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    drug, conc, f, hold, test, td, n = "lidocaine", 20000.0, 4.0, -110.0, -10.0, 60.0, 12
    period = 1e3 / f
    beq = {v: conc / (conc + k_app(drug, v)) for v in (hold, test)}
    lam = {v: _rate(drug, conc, v) for v in (hold, test)}
    b, onsets = beq[hold], []
    for _ in range(n):
        onsets.append(b)
        for v, dur in ((test, td), (hold, period - td)):
            sol = solve_ivp(lambda t, y, v=v: lam[v] * (beq[v] - y), (0.0, dur), [b], method="RK45",
                            rtol=1e-10, atol=1e-13)
            b = sol.y[0, -1]
    res = nav_block(drug, conc, frequency=f, holding=hold, test=test, pulse_duration=td, pulses=n)
    assert_allclose(res.per_pulse, onsets, rtol=1e-7)
