"""Tests of pdsim.targets.transporters: inhibitor occupancy and the steady-state amine index vs an ODE."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from pdsim import catalog
from pdsim.errors import InputError
from pdsim.targets import enhancer_vmax_gain, monoamine_index, transporter_signals, uptake_rate


def _km():
    return catalog.target("SERT")["Km"].to("nM")


def _ode_steady_state(release, vmax, km, theta):
    """Integrate dS/dt = R − Vmax S/(Km/(1−θ) + S) to steady state (fact sheet F8)."""
    # slowest relaxation rate is about vmax (1 − ρ)²(1 − θ)/km >= 4e-3 vmax/km here: run far past it
    t_end = 1e5 * km / vmax
    sol = solve_ivp(lambda t, s: release - uptake_rate(s, vmax, km, theta), (0, t_end), [0.0],
                    method="LSODA", rtol=1e-10, atol=1e-12)
    assert sol.success
    return sol.y[0, -1]


@pytest.mark.parametrize("rho", [0.01, 0.3, 0.8])
@pytest.mark.parametrize("theta", [0.0, 0.5, 0.9])
def test_index_matches_ode_steady_state(rho, theta):
    """S*/S0 = 1/(1 − θ) exactly for competitive inhibition at fixed release, even far from S ≪ Km
    (Km 463 nM, Ramamoorthy et al. 1993; release ρ·Vmax)."""
    km, vmax = _km(), 1.0
    s0 = _ode_steady_state(rho * vmax, vmax, km, 0.0)
    s = _ode_steady_state(rho * vmax, vmax, km, theta)
    assert_allclose(s0, rho * km / (1 - rho), rtol=1e-6)
    assert_allclose(s / s0, monoamine_index(theta), rtol=1e-6)
    assert_allclose(monoamine_index(theta), 1 / (1 - theta), rtol=1e-12)


@pytest.mark.parametrize("gain", [1.3, 1.67, 3.0])
def test_index_with_vmax_gain_matches_ode(gain):
    """With V_max multiplied by g: S*/S0 = (1/(1−θ))·(1−ρ)/(g−ρ) (derivation in monoamine_index)."""
    km, vmax, rho, theta = _km(), 1.0, 0.2, 0.4
    s0 = _ode_steady_state(rho * vmax, vmax, km, 0.0)
    s = _ode_steady_state(rho * vmax, gain * vmax, km, theta)
    assert_allclose(s / s0, monoamine_index(theta, gain, rho), rtol=1e-6)


def test_amitriptyline_occupancy_and_index():
    """Tatsumi et al. 1997: human SERT Kd 4.3 nM, NET Kd 35 nM; θ = C/(C + Kd), index = 1 + C/Kd."""
    c = np.array([1.0, 4.3, 30.0])
    for target in ("SERT", "NET"):
        k = catalog.drug("amitriptyline").affinity(target).to("nM")
        out = transporter_signals({"amitriptyline": c}, target)
        assert_allclose(out[f"occupancy.{target}"], c / (c + k), rtol=1e-12)
        assert_allclose(out[f"signal.{target}"], 1 + c / k, rtol=1e-12)


def test_competing_inhibitors_add():
    """Two competitive inhibitors: index = 1 + Σ C_j/K_j (Cheng & Prusoff 1973 form of K_m,app)."""
    ca, cn = np.linspace(0, 20, 5), np.linspace(0, 40, 5)
    out = transporter_signals({"amitriptyline": ca, "nortriptyline": cn}, "NET")
    ka = catalog.drug("amitriptyline").affinity("NET").to("nM")
    kn = catalog.drug("nortriptyline").affinity("NET").to("nM")
    assert_allclose(out["signal.NET"], 1 + ca / ka + cn / kn, rtol=1e-12)
    assert_allclose(out["occupancy.NET"], 1 - 1 / (1 + ca / ka + cn / kn), rtol=1e-12)


def test_escitalopram_selective_for_sert():
    """SSRI: SERT occupied, NET untouched (escitalopram has no NET affinity in the catalogue)."""
    sert = transporter_signals({"escitalopram": 5.0}, "SERT")
    net = transporter_signals({"escitalopram": 5.0}, "NET")
    assert sert["occupancy.SERT"] > 0.8
    assert net["occupancy.NET"] == 0.0 and net["signal.NET"] == 1.0


def test_uptake_enhancer_off_by_default():
    """Mennini et al. 1987: no in-vitro SERT affinity; the historical V_max increase is optional and off by default."""
    c = np.array([10.0, 100.0, 1000.0])
    off = transporter_signals({"tianeptine": c}, "SERT")
    assert_allclose(off["signal.SERT"], 1.0)
    assert_allclose(off["occupancy.SERT"], 0.0)
    on = transporter_signals({"tianeptine": c}, "SERT", uptake_enhancer=True)
    assert np.all(on["signal.SERT"] < 1.0)
    assert np.all(np.diff(on["signal.SERT"]) < 0)
    gmax = catalog.target("SERT")["enhancer_gmax"].to("")
    assert_allclose(enhancer_vmax_gain(1e12), 1 + gmax, rtol=1e-9)
    # on NET the switch does nothing
    assert_allclose(transporter_signals({"tianeptine": c}, "NET", uptake_enhancer=True)["signal.NET"], 1.0)


def test_index_rejects_complete_block():
    with pytest.raises(InputError):
        monoamine_index(1.0)
    with pytest.raises(InputError):
        monoamine_index(0.5, vmax_gain=2.0)  # ρ needed


@pytest.mark.xfail(strict=True, reason=(
    "not reproduced: the in-vitro Ki with free plasma concentration gives escitalopram 10 mg/day about "
    "96 % SERT occupancy, above the 76-85 % that [11C]DASB PET finds for five SSRIs at their minimum "
    "therapeutic doses (Meyer JH et al. 2004, Am J Psychiatry 161:826-835, doi:10.1176/appi.ajp.161.5.826); "
    "Meyer 2004 did not study escitalopram itself, so the comparison is with the class"))
def test_escitalopram_sert_occupancy_near_pet_class_value():
    from pdsim import pk

    ss = pk.steady_state("escitalopram", "10 mg", "24 h", "oral", site="free")
    t, c = ss.time.to("h").magnitude, ss.profile.to("nM").magnitude
    occ = transporter_signals({"escitalopram": c}, "SERT")["occupancy.SERT"]
    mean_occ = float(np.trapezoid(occ, t) / (t[-1] - t[0]))
    assert 0.70 <= mean_occ <= 0.90, f"mean SERT occupancy {mean_occ:.3f}"
