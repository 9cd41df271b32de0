"""Tests of pdsim.targets.ion_channels: h∞, K_app limits, tonic block, use-dependent fixed point."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim import Q_, catalog
from pdsim.errors import InputError
from pdsim.targets import h_inf, k_app, nav_block, nav_fixed_point, nav_signals


def _nav(drug, key, unit):
    return catalog.drug(drug).binding("Nav").params[key].to(unit)


def test_h_inf_boltzmann():
    """h∞(V½) = 1/2, → 1 at hyperpolarised and → 0 at depolarised potentials (Boltzmann availability)."""
    vh = catalog.target("Nav")["V_half_inact"].to("mV")
    k = catalog.target("Nav")["slope_inact"].to("mV")
    v = np.array([vh - 3 * k, vh, vh + 3 * k])
    assert_allclose(h_inf(v), 1 / (1 + np.exp((v - vh) / k)), rtol=1e-12)
    assert_allclose(h_inf(vh), 0.5)
    assert h_inf(-300.0) == pytest.approx(1.0) and h_inf(300.0) == pytest.approx(0.0, abs=1e-12)


def test_k_app_limits():
    """F10 (Hondeghem & Katzung 1977): K_app → K_R at hyperpolarised V, → K_I at depolarised V;
    amitriptyline K_R 24.8 µM, K_I 0.58 µM on Nav1.5 (Nau et al. 2000)."""
    kr, ki = _nav("amitriptyline", "k_rest", "nM"), _nav("amitriptyline", "k_inact", "nM")
    assert_allclose(k_app("amitriptyline", -300.0), kr, rtol=1e-9)
    assert_allclose(k_app("amitriptyline", 100.0), ki, rtol=1e-9)
    v = -75.0
    h = h_inf(v)
    assert_allclose(1 / k_app("amitriptyline", v), h / kr + (1 - h) / ki, rtol=1e-12)


def test_tonic_block_is_equilibrium_at_holding():
    """First pulse of a train sees the equilibrium block D/(D + K_app(V_hold))."""
    res = nav_block("amitriptyline", "1 uM", holding="-90 mV")
    assert_allclose(res.tonic, 1000 / (1000 + k_app("amitriptyline", -90.0)), rtol=1e-12)
    assert res.per_pulse[0] == res.tonic
    assert res.conc == pytest.approx(1000.0)


@pytest.mark.parametrize("drug,conc,freq", [("amitriptyline", 1000.0, "5 Hz"), ("amitriptyline", 300.0, "10 Hz"),
                                            ("lidocaine", 20000.0, "5 Hz"), ("lidocaine", 5000.0, "1 Hz")])
def test_use_dependent_fixed_point(drug, conc, freq):
    """Steady state of the per-pulse recurrence equals its closed-form fixed point
    b* = [b_R(1−e^{−r}) + b_I(1−e^{−g})e^{−r}]/(1 − e^{−(g+r)}) (τ_rec: amitriptyline 8 s, Nau et al. 2000;
    lidocaine 1–2 s, Bean et al. 1983)."""
    long = nav_block(drug, conc, frequency=freq, pulses=20000)
    assert_allclose(long.per_pulse[-1], long.steady_state, rtol=1e-9)
    # and the closed form from first principles: pulse at 0 mV (rate λ(0) toward b_I), interval at -90 mV
    # (rate λ(-90) = h/τ_rec + (1 − h)k_on(D + K_I) toward b_R)
    ki = _nav(drug, "k_inact", "nM")
    kon = _nav(drug, "k_on_inactivated", "1/nM/ms")
    tau = _nav(drug, "tau_recovery", "ms")
    f = Q_(freq).to("Hz").magnitude
    td = 20.0

    def lam(v):
        h = float(h_inf(v))
        return h / tau + (1 - h) * kon * (conc + ki)

    g = lam(0.0) * td
    r = lam(-90.0) * (1e3 / f - td)
    b_r = conc / (conc + k_app(drug, -90.0))
    b_i = conc / (conc + k_app(drug, 0.0))
    expected = (b_r * (1 - np.exp(-r)) + b_i * (1 - np.exp(-g)) * np.exp(-r)) / (1 - np.exp(-(g + r)))
    assert_allclose(long.steady_state, expected, rtol=1e-12)
    assert b_r <= long.steady_state <= b_i


def test_fixed_point_limits():
    """No recovery time (r → 0) gives b_I; no pulse (g → 0) gives b_R."""
    assert_allclose(nav_fixed_point(0.1, 0.8, 0.3, 1e-12), 0.8, rtol=1e-9)
    assert_allclose(nav_fixed_point(0.1, 0.8, 1e-12, 0.3), 0.1, rtol=1e-9)


def test_use_dependence_grows_with_frequency():
    """Use-dependent block: shorter intervals leave less time to recover, so block accumulates (Nau et al. 2000)."""
    ud = [nav_block("amitriptyline", "1 uM", frequency=f).use_dependent for f in ("1 Hz", "5 Hz", "20 Hz")]
    assert 0 < ud[0] < ud[1] < ud[2]
    res = nav_block("amitriptyline", "1 uM", frequency="5 Hz", pulses=300)
    assert np.all(np.diff(res.per_pulse) >= 0)
    assert_allclose(res.current, 1 - res.per_pulse)


def test_units_at_the_boundary():
    """Mass concentrations use the molar mass; quantities convert; plain floats are nM, Hz, mV, ms."""
    mm = catalog.drug("amitriptyline").molar_mass.to("g/mol")
    a = nav_block("amitriptyline", Q_(mm, "ng/mL"), frequency=Q_(5, "Hz"), holding=Q_(-0.09, "V"))
    b = nav_block("amitriptyline", 1000.0, frequency=5.0, holding=-90.0, pulse_duration=20.0)
    assert_allclose(a.steady_state, b.steady_state, rtol=1e-12)
    with pytest.raises(InputError):
        nav_block("amitriptyline", 1000.0, frequency="100 Hz", pulse_duration="20 ms")
    with pytest.raises(InputError):
        nav_block("amitriptyline", 1000.0, pulses=0)


def test_nav_signals_competition():
    """Two modulated-receptor blockers compete with their K_app at the same potential."""
    v = -70.0
    ca, cl = np.array([10.0, 100.0]), np.array([1000.0, 10000.0])
    out = nav_signals({"amitriptyline": ca, "lidocaine": cl}, v=v)
    ra, rl = ca / k_app("amitriptyline", v), cl / k_app("lidocaine", v)
    assert_allclose(out["occupancy.Nav.amitriptyline"], ra / (1 + ra + rl), rtol=1e-12)
    assert_allclose(out["signal.Nav"], (ra + rl) / (1 + ra + rl), rtol=1e-12)


# --- hERG (cardiac I_Kr): occupancy-only block ---------------------------------------------------
def test_herg_block_recovers_the_published_ic50():
    """At its IC50 (4.78 uM, 4 mM K+o; Jo et al. 2000, Br J Pharmacol 129:1474, doi:10.1038/sj.bjp.0703222)
    amitriptyline blocks half the channels; one-site block D/(D + IC50) elsewhere."""
    from pdsim.panel import target_signals

    out = target_signals({"amitriptyline": np.array([4780.0, 478.0])}, ["hERG"])
    assert_allclose(out["signal.hERG"], [0.5, 478 / (478 + 4780)], rtol=1e-12)
    assert_allclose(out["occupancy.hERG.amitriptyline"], out["signal.hERG"], rtol=0)


def test_herg_block_at_3_um_matches_the_cho_cell_measurement():
    """3 uM amitriptyline inhibited hERG tail current in CHO cells by 34 +/- 6 % (mean +/- s.e.m., n = 3;
    Teschemacher et al. 1999, Br J Pharmacol 128:479, doi:10.1038/sj.bjp.0702800): the oocyte IC50 used
    here gives 39 %, within one s.e.m."""
    from pdsim.panel import target_signals

    block = float(target_signals({"amitriptyline": 3000.0}, ["hERG"])["signal.hERG"])
    assert abs(block - 0.34) <= 0.06


def test_only_amitriptyline_has_a_herg_affinity_in_the_catalogue():
    """No hERG IC50 is sourced for the other drugs (nortriptyline included), so the panel shows hERG for
    amitriptyline alone and leaves the others blank rather than zero."""
    from pdsim import catalog

    assert [d for d in catalog.drugs() if "hERG" in catalog.drug(d).targets] == ["amitriptyline"]
