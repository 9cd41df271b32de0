"""Tests of pdsim.pk: closed forms against textbook formulas, solve_ivp and published tianeptine PK.

References used below:
- Bateman H. The solution of a system of differential equations occurring in the theory of
  radioactive transformations. Proc Camb Philos Soc 1910;15:423-427 (oral one-compartment curve).
- Gibaldi M, Perrier D. Pharmacokinetics, 2nd ed. Marcel Dekker; 1982 (G&P): ch. 1 (iv bolus,
  infusion plateau k0/CL), ch. 2 (two-compartment alpha, beta), ch. 3 (multiple dosing,
  accumulation 1/(1 - e^{-k tau}), Cavg,ss = F D/(CL tau), oral steady-state curve).
- Sheiner LB et al. Clin Pharmacol Ther 1979;25:358-371 (effect compartment, ke0).
- Houston JB. Drug metabolite kinetics. Pharmacol Ther 1981;15:521-552 (AUC of a metabolite).
"""
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from pdsim import catalog
from pdsim._pk_closed import chain
from pdsim.dosing import Dose, Regimen
from pdsim.errors import InputError, PdsimError, UnitError
from pdsim.units import Q_
from pdsim.pk import (
    Metabolite,
    OneCompartment,
    TwoCompartment,
    concentration,
    metabolite_model,
    pk_model,
    pk_summary,
    simulate_ode,
    steady_state,
)

ORAL = dict(CL=13.8, V=53.9, ka=2.7, F=0.99)  # tianeptine-like (models/drugs/tianeptine.toml)
T = np.linspace(0.0, 48.0, 481)


def close_to_ode(model, regimen, times, output="conc", rtol=1e-6):
    """Closed form vs solve_ivp (rtol 1e-10) within ``rtol`` of the peak (C(0) = 0 for oral doses)."""
    closed = model.response(times, regimen, output)
    ode = simulate_ode(model, regimen, times, output=output, rtol=1e-10)
    assert_allclose(closed, ode, rtol=rtol, atol=rtol * np.max(np.abs(ode)))
    return closed


# --- the chain kernel ----------------------------------------------------------------------
def test_bateman_function():
    """Oral dose, one compartment: C = F D ka / (V (ka - k)) (e^{-k t} - e^{-ka t}) (Bateman 1910; G&P 1982 ch. 1)."""
    m = OneCompartment(**ORAL)
    k = ORAL["CL"] / ORAL["V"]
    want = ORAL["F"] * 12.5 * ORAL["ka"] / (ORAL["V"] * (ORAL["ka"] - k)) * (np.exp(-k * T) - np.exp(-ORAL["ka"] * T))
    assert_allclose(m.conc(T, Regimen.single(12.5)), want, rtol=1e-12, atol=1e-15)


def test_bateman_with_lag_is_shifted():
    m0, m1 = OneCompartment(**ORAL), OneCompartment(**ORAL, tlag=0.5)
    r = Regimen.single(12.5)
    assert_allclose(m1.conc(T + 0.5, r), m0.conc(T, r), rtol=1e-12)
    assert np.all(m1.conc(np.linspace(0, 0.5, 11), r) == 0)


def test_iv_bolus_monoexponential():
    """C = D/V e^{-k t} (G&P 1982 ch. 1)."""
    m = OneCompartment(CL=10, V=50)
    assert_allclose(m.conc(T, Regimen.single(100, route="iv_bolus")), 2 * np.exp(-0.2 * T), rtol=1e-13)


def test_ka_equal_k_exactly_and_nearly():
    """At ka = k the Bateman function becomes F D k t e^{-k t} / V (its limit, G&P 1982 ch. 1); at a
    relative difference d = 1e-9 it must equal t e^{-k t} (1 - d k t/2 + (d k t)^2/6) to rounding."""
    k = 0.3
    exact = OneCompartment(CL=k * 40, V=40, ka=k).conc(T, Regimen.single(10))
    assert_allclose(exact, 10 * k * T * np.exp(-k * T) / 40, rtol=1e-13, atol=1e-300)
    d = 1e-9 * k
    near = chain((k, k + d), T)
    assert_allclose(near, T * np.exp(-k * T) * (1 - d * T / 2 + (d * T) ** 2 / 6), rtol=1e-14)
    assert_allclose(OneCompartment(CL=k * 40, V=40, ka=k * (1 + 1e-9)).conc(T, Regimen.single(10)), exact, rtol=1e-8)


def test_three_equal_rates_and_near_coincidences():
    """g(k, k, k; t) = t^2 e^{-k t}/2 (limit of the divided difference); near-equal triples continuous."""
    k = 0.5
    assert_allclose(chain((k, k, k), T), T**2 * np.exp(-k * T) / 2, rtol=1e-13)
    for eps in (1e-9, 1e-6, 1e-3):
        assert_allclose(chain((k, k * (1 + eps), k * (1 - eps)), T), T**2 * np.exp(-k * T) / 2, rtol=3 * eps * T.max())


@pytest.mark.parametrize("ka,ke0", [(0.256, 0.256), (0.256 * (1 + 1e-9), 0.256 * (1 - 1e-9)), (2.0, 0.256), (0.256, 1.0)])
def test_coinciding_rates_against_solve_ivp(ka, ke0):
    """ka = k = ke0 exactly and within 1e-9: effect-site closed form (Sheiner 1979) vs solve_ivp."""
    m = OneCompartment(CL=0.256 * 50, V=50, ka=ka, ke0=ke0)
    r = Regimen.repeated(10, every=12, count=3)
    close_to_ode(m, r, T)
    close_to_ode(m, r, T, output="effect")


# --- superposition against solve_ivp ----------------------------------------------------------
def test_one_compartment_oral_repeated_vs_ode():
    m = OneCompartment(**ORAL, tlag=0.3, ke0=0.5)
    r = Regimen.repeated("12.5 mg", every="8 h", count=6)
    close_to_ode(m, r, T)
    close_to_ode(m, r, T, output="effect")


@pytest.mark.parametrize("route", ["oral", "iv_bolus", "ip"])
def test_two_compartment_vs_ode(route):
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60, ka=1.2, F=0.8, tlag=0.25, ke0=0.3, F_ip=0.7)
    r = Regimen.repeated(25, every=6, count=5, route=route)
    close_to_ode(m, r, T)
    close_to_ode(m, r, T, output="effect")


def test_two_compartment_ka_equal_alpha_vs_ode():
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60)
    m_oral = TwoCompartment(CL=10, V=20, Q=15, V2=60, ka=m.alpha, ke0=m.beta)
    close_to_ode(m_oral, Regimen.single(25), T, output="effect")


def test_two_compartment_macro_constants():
    """alpha + beta = k10 + k12 + k21 and alpha beta = k10 k21 (G&P 1982, ch. 2); they are the
    eigenvalues of the disposition matrix."""
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60)
    k10, k12, k21 = 10 / 20, 15 / 20, 15 / 60
    assert_allclose(m.alpha + m.beta, k10 + k12 + k21, rtol=1e-14)
    assert_allclose(m.alpha * m.beta, k10 * k21, rtol=1e-14)
    eig = np.sort(-np.linalg.eigvals([[-(k10 + k12), k21], [k12, -k21]]))
    assert_allclose([m.beta, m.alpha], eig, rtol=1e-12)
    bolus = m.conc(T, Regimen.single(100, route="iv_bolus"))
    a_coef = 100 / 20 * (m.alpha - k21) / (m.alpha - m.beta)
    b_coef = 100 / 20 * (k21 - m.beta) / (m.alpha - m.beta)
    assert_allclose(bolus, a_coef * np.exp(-m.alpha * T) + b_coef * np.exp(-m.beta * T), rtol=1e-12)
    assert_allclose(m.half_life, math.log(2) / m.beta)


def test_infusion_plateau_is_rate_over_clearance():
    """A long zero-order infusion reaches k0/CL (G&P 1982, ch. 1), one and two compartments."""
    for m in (OneCompartment(CL=10, V=50), TwoCompartment(CL=10, V=20, Q=15, V2=60)):
        r = Regimen.infusion(rate="10 mg/h", duration="1000 h")
        assert_allclose(m.conc([999.0], r), [1.0], rtol=1e-12)
        ss = steady_state(m, dose="80 mg", every="8 h", route="iv_infusion", duration="8 h")
        assert_allclose(ss.profile.magnitude, 1.0, rtol=1e-12)


def test_infusion_vs_ode():
    m = OneCompartment(CL=10, V=50, ke0=0.7)
    r = Regimen.infusion(rate=10, duration=3, every=12, count=3)
    close_to_ode(m, r, T)
    close_to_ode(m, r, T, output="effect")


def test_infusions_longer_than_interval_overlap_vs_ode():
    """Infusions of 12 h every 8 h overlap (rates add); two compartments and effect site."""
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60, ke0=0.4)
    r = Regimen.infusion(rate=5, duration="12 h", every="8 h", count=5)
    close_to_ode(m, r, T)
    close_to_ode(m, r, T, output="effect")


def test_bolus_mixed_with_infusion_vs_ode():
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60, ka=1.5)
    r = Regimen.single(50, route="iv_bolus", at=1) + Regimen.infusion(rate=8, duration=10, start=2) + Regimen.single(30, at=5)
    close_to_ode(m, r, T)


@pytest.mark.parametrize("parent", [OneCompartment(**ORAL, tlag=0.2), TwoCompartment(CL=10, V=20, Q=15, V2=60, ka=1.2, F=0.8)])
def test_metabolite_vs_ode(parent):
    met = Metabolite(parent, OneCompartment(CL=5, V=50, ke0=0.2), fm=0.3, mass_ratio=0.9)
    for r in (Regimen.repeated(12.5, every=8, count=4), Regimen.infusion(rate=5, duration=10, every=8, count=3)):
        close_to_ode(met, r, T)
        close_to_ode(met, r, T, output="effect")


def test_metabolite_with_coinciding_rates_and_two_compartments_vs_ode():
    parent = OneCompartment(CL=10, V=50, ka=0.2)
    met = Metabolite(parent, TwoCompartment(CL=10, V=50, Q=5, V2=100), fm=0.5, mass_ratio=1.1)
    close_to_ode(met, Regimen.single(20), T)


def test_metabolite_auc_on_a_molar_basis():
    """AUC_m = fm (M_m/M_p) F D / CL_m (Houston 1981): the mass formed is fm x eliminated x MW ratio."""
    met = Metabolite(OneCompartment(**ORAL), OneCompartment(CL=2, V=30), fm=0.25, mass_ratio=408.9 / 436.95)
    t = np.linspace(0, 400, 40001)
    c = met.conc(t, Regimen.single(12.5))
    assert_allclose(np.trapezoid(c, t), 0.25 * 408.9 / 436.95 * 0.99 * 12.5 / 2, rtol=1e-5)


def test_population_arrays_vectorise_over_subjects():
    ka = np.array([1.0, 2.7, 4.0])
    CL = np.array([10.0, 13.8, 20.0])
    m = OneCompartment(CL=CL, V=53.9, ka=ka, F=0.99, tlag=np.array([0.0, 0.3, 0.6]), ke0=0.5)
    r = Regimen.repeated(12.5, every=8, count=3)
    out = m.conc(T, r)
    assert out.shape == (3, T.size)
    for i in range(3):
        assert_allclose(out[i], m.subject(i).conc(T, r), rtol=1e-14)
    assert_allclose(simulate_ode(m, r, T), out, rtol=1e-6, atol=1e-9)


# --- steady state -----------------------------------------------------------------------------
def test_accumulation_factor_iv_bolus():
    """Cmax,ss = (D/V)/(1 - e^{-k tau}), Cmin,ss = Cmax,ss e^{-k tau} (G&P 1982 ch. 3)."""
    m = OneCompartment(CL=10, V=50)
    ss = steady_state(m, dose=100, every=12, route="iv_bolus")
    R = 1 / (1 - math.exp(-0.2 * 12))
    assert_allclose(ss.cmax.magnitude, 2 * R, rtol=1e-12)
    assert_allclose(ss.cmin.magnitude, 2 * R * math.exp(-0.2 * 12), rtol=1e-12)
    assert_allclose(ss.accumulation_terminal, R, rtol=1e-14)
    assert_allclose(ss.accumulation, R, rtol=1e-12)  # one exponential: the AUC ratio is the same factor
    assert ss.tmax.magnitude == 0


def test_oral_steady_state_curve_and_cavg():
    """C_ss(t) = F D ka/(V(ka - k)) [e^{-kt}/(1 - e^{-k tau}) - e^{-ka t}/(1 - e^{-ka tau})] and
    Cavg,ss = F D/(CL tau) (G&P 1982 ch. 3)."""
    m = OneCompartment(**ORAL)
    ss = steady_state(m, dose="12.5 mg", every="8 h")
    k, ka, t = ORAL["CL"] / ORAL["V"], ORAL["ka"], ss.time.magnitude
    want = ORAL["F"] * 12.5 * ka / (ORAL["V"] * (ka - k)) * (np.exp(-k * t) / (1 - np.exp(-k * 8)) - np.exp(-ka * t) / (1 - np.exp(-ka * 8)))
    assert_allclose(ss.profile.magnitude, want, rtol=1e-12)
    assert_allclose(ss.cavg.magnitude, 0.99 * 12.5 / (13.8 * 8), rtol=1e-13)
    tmax_ss = math.log(ka * (1 - math.exp(-k * 8)) / (k * (1 - math.exp(-ka * 8)))) / (ka - k)  # G&P 1982 ch. 3
    assert_allclose(ss.tmax.magnitude, tmax_ss, rtol=1e-7)


@pytest.mark.parametrize("model", [OneCompartment(**ORAL, tlag=1.3, ke0=0.4),
                                   TwoCompartment(CL=10, V=20, Q=15, V2=60, ka=1.2, F=0.8, tlag=9.0, ke0=0.3)])
def test_steady_state_with_lag_vs_long_simulation(model):
    """Closed-form steady state (lag shorter and longer than tau) equals the last interval of a long
    dosing history (superposition of 150 doses) and of solve_ivp on 40 doses."""
    every, n = 8.0, 150
    ss = steady_state(model, dose=12.5, every=every)
    tau = ss.time.magnitude
    r = Regimen.repeated(12.5, every=every, count=n + 1)
    long = model.conc((n * every + tau[:-1]), r)
    assert_allclose(ss.profile.magnitude[:-1], long, rtol=1e-9)
    r40 = Regimen.repeated(12.5, every=every, count=41)
    ode = simulate_ode(model, r40, 40 * every + tau[::20][:-1])
    assert_allclose(ss.profile.magnitude[::20][:-1], ode, rtol=1e-6)
    eff = steady_state(model, dose=12.5, every=every, site="effect")
    assert_allclose(eff.profile.magnitude[:-1], model.effect(n * every + tau[:-1], r), rtol=1e-9)
    assert ss.cmax.magnitude >= ss.profile.magnitude.max() and ss.cmin.magnitude <= ss.profile.magnitude.min()


def test_steady_state_of_overlapping_infusions_vs_long_simulation():
    m = TwoCompartment(CL=10, V=20, Q=15, V2=60, ke0=0.2)
    ss = steady_state(m, dose=60, every=8, route="iv_infusion", duration=12)
    tau = ss.time.magnitude
    r = Regimen.infusion(dose=60, duration=12, every=8, count=121)
    assert_allclose(ss.profile.magnitude[:-1], m.conc(120 * 8 + tau[:-1], r), rtol=1e-9)
    assert_allclose(ss.cavg.magnitude, 60 / (10 * 8), rtol=1e-13)


# --- hypothesis properties ----------------------------------------------------------------------
rate = st.floats(0.05, 5.0)


@st.composite
def models(draw):
    ka, ke0, CL, V = draw(rate), draw(rate), draw(st.floats(0.5, 50)), draw(st.floats(5, 500))
    if draw(st.booleans()):
        return OneCompartment(CL=CL, V=V, ka=ka, F=draw(st.floats(0.1, 1)), tlag=draw(st.floats(0, 2)), ke0=ke0)
    return TwoCompartment(CL=CL, V=V, Q=draw(st.floats(0.5, 50)), V2=draw(st.floats(5, 500)), ka=ka, ke0=ke0)


@st.composite
def regimens(draw):
    doses = []
    for _ in range(draw(st.integers(1, 4))):
        route = draw(st.sampled_from(["oral", "iv_bolus", "iv_infusion"]))
        doses.append(Dose(draw(st.floats(0, 40)), draw(st.floats(0, 100)), route,
                          draw(st.floats(0.1, 12)) if route == "iv_infusion" else 0.0))
    return Regimen(tuple(doses))


@settings(max_examples=40, deadline=None)
@given(models(), regimens(), st.floats(0.0, 50.0), st.sampled_from(["conc", "effect"]))
def test_concentration_is_linear_in_dose(model, regimen, factor, output):
    base = model.response(T, regimen, output)
    assert_allclose(model.response(T, regimen.scaled(factor), output), factor * base, rtol=1e-12, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(models(), regimens(), st.sampled_from(["conc", "effect", "amount"]))
def test_concentration_is_never_negative(model, regimen, output):
    assert np.all(model.response(np.linspace(0, 500, 501), regimen, output) >= 0)
    met = Metabolite(model, OneCompartment(CL=5, V=50), fm=0.5)
    assert np.all(met.conc(np.linspace(0, 500, 501), regimen) >= 0)


@settings(max_examples=40, deadline=None)
@given(models(), regimens(), regimens())
def test_superposition(model, r1, r2):
    both = model.conc(T, r1 + r2)
    assert_allclose(both, model.conc(T, r1) + model.conc(T, r2), rtol=1e-12, atol=1e-15 * max(both.max(), 1e-300))


# --- catalogue drugs: sites, units, metabolites ---------------------------------------------------------
def P(value, unit):
    return f'{{ value = {value}, unit = "{unit}", sources = ["test"], kind = "measured" }}'


def write_drug(folder: Path, name: str, mm: float, pk: dict, model="one_compartment", mets=None, species="human"):
    lines = [f'name = "{name}"', f"molar_mass = {P(mm, 'g/mol')}", f"[pk.{species}]", f'model = "{model}"']
    lines += [f"{k} = {P(*v)}" for k, v in pk.items()]
    if mets:
        lines += [f"[pk.{species}.metabolites]"] + [f"{k} = {P(v, '1')}" for k, v in mets.items()]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return catalog.load_drug_file(path, reg=None)


@pytest.fixture
def drugs(tmp_path):
    par = write_drug(tmp_path, "testparent", 400.0, {"ka": (2.0, "1/h"), "F": (0.5, "1"), "tlag": (0.25, "h"),
                     "CL": (0.2, "L/h/kg"), "V": (1.0, "L/kg"), "fu": (0.1, "1"), "kp_uu": (0.3, "1"),
                     "ke0": (0.8, "1/h")}, mets={"testmet": 0.4})
    met = write_drug(tmp_path, "testmet", 300.0, {"CL": (5.0, "L/h"), "V": (40.0, "L"), "fu": (0.5, "1")})
    bare = write_drug(tmp_path, "bare", 250.0, {"CL": (10.0, "L/h"), "V": (100.0, "L")})
    two = write_drug(tmp_path, "twocomp", 250.0, {"ka": (1.0, "1/h"), "CL": (10.0, "L/h"), "V": (20.0, "L"),
                     "Q": (15.0, "L/h"), "V2": (60.0, "L")}, model="two_compartment")
    return par, met, bare, two


def test_sites_units_and_per_kg_scaling(drugs):
    """nM = mg/L x 1e6 / M; free = fu x plasma; brain = kp_uu x free; effect = fu x Ce."""
    par = drugs[0]
    r = Regimen.single("10 mg", drug="testparent")
    m = pk_model(par, body_weight="80 kg")
    assert (m.CL, m.V) == (16.0, 80.0)
    mg_l = m.conc(T, r)
    plasma = concentration(par, r, T, body_weight="80 kg")
    assert plasma.units == Q_(1, "nM").units
    assert_allclose(plasma.magnitude, mg_l * 1e6 / 400.0, rtol=1e-14)
    assert_allclose(concentration(par, r, T, site="free", body_weight=80).magnitude, 0.1 * plasma.magnitude, rtol=1e-14)
    assert_allclose(concentration(par, r, T, site="brain", body_weight=80).magnitude, 0.03 * plasma.magnitude, rtol=1e-14)
    assert_allclose(concentration(par, r, T, site="effect", body_weight=80).magnitude, 0.1 * m.effect(T, r) * 1e6 / 400, rtol=1e-14)
    # without a body weight the species' (models/species.toml) is used
    bw = catalog.species("human")["body_weight"].to("kg")
    assert pk_model(par).CL == pytest.approx(0.2 * bw)


def test_metabolite_concentration_from_parent_doses(drugs):
    par, met, _, _ = drugs
    r = Regimen.repeated("10 mg", every="12 h", count=3)
    c = concentration(par, r, T, metabolite=met, body_weight=70)
    mm = metabolite_model(par, met, body_weight=70)
    assert mm.fm == 0.4 and mm.mass_ratio == pytest.approx(300 / 400)
    assert_allclose(c.magnitude, mm.conc(T, r) * 1e6 / 300, rtol=1e-14)
    assert_allclose(concentration(par, r, T, site="free", metabolite=met, body_weight=70).magnitude, 0.5 * c.magnitude)


def test_doses_of_other_drugs_are_left_out(drugs):
    par, _, bare, _ = drugs
    r = Regimen.single("10 mg", drug="testparent") + Regimen.single("99 mg", route="iv_bolus", drug="bare")
    only = concentration(par, Regimen.single("10 mg"), T, body_weight=70)
    assert_allclose(concentration(par, r, T, body_weight=70).magnitude, only.magnitude)
    with pytest.raises(InputError, match=r"the regimen has no doses of testparent \(it doses bare\)"):
        concentration(par, Regimen.single(1, drug="bare"), T)


def test_two_compartment_drug_and_summary(drugs):
    two = drugs[3]
    m = pk_model(two)
    assert isinstance(m, TwoCompartment)
    s = pk_summary(two, Regimen.single("25 mg"), np.linspace(0, 240, 2401))
    assert_allclose(s.half_life.magnitude, math.log(2) / m.beta)
    assert_allclose(s.auc_inf.magnitude, 25 / 10 * 1e6 / 250, rtol=1e-12)  # F D / CL in nM h
    assert_allclose(s.auc.magnitude, s.auc_inf.magnitude, rtol=1e-3)


def test_pk_summary_matches_closed_forms():
    """Single oral dose: Tmax = ln(ka/k)/(ka - k) and Cmax from the Bateman function (G&P 1982
    ch. 1); repeated: the trough of the last interval, accumulation 1/(1 - e^{-k tau}) (ch. 3)."""
    pk = {k: catalog.Parameter(v, u, ("test",), "measured") for k, v, u in
          [("ka", 2.0, "1/h"), ("F", 0.8, "1"), ("CL", 10.0, "L/h"), ("V", 50.0, "L")]}
    d = catalog.Drug("x", "x", catalog.Parameter(500.0, "g/mol", ("test",), "measured"),
                     {"human": catalog.PKSpec("human", "one_compartment", pk)}, {})
    k, ka, to_nm = 0.2, 2.0, 1e6 / 500
    one = pk_summary(d, Regimen.single("10 mg"), np.linspace(0, 48, 97))  # coarse grid: refined between points
    tmax = math.log(ka / k) / (ka - k)
    assert_allclose(one.tmax.magnitude, tmax, rtol=1e-6)
    cmax = 0.8 * 10 * ka / (50 * (ka - k)) * (math.exp(-k * tmax) - math.exp(-ka * tmax))
    assert_allclose(one.cmax.magnitude, cmax * to_nm, rtol=1e-12)
    assert one.accumulation is None
    assert_allclose(one.auc_inf.magnitude, 0.8 * 10 / 10 * to_nm, rtol=1e-13)
    rep = pk_summary(d, Regimen.repeated("10 mg", every="12 h", count=4), np.linspace(0, 48, 97))
    assert_allclose(rep.accumulation, 1 / (1 - math.exp(-k * 12)))
    assert rep.tpeak.magnitude - rep.tmax.magnitude == 36.0 and 0 < rep.tmax.magnitude < 12  # from the last dose
    m = OneCompartment(CL=10, V=50, ka=2, F=0.8)
    dense = m.conc(np.linspace(36, 48, 12001), Regimen.repeated(10, every=12, count=4))
    assert_allclose(rep.cmin.magnitude, dense.min() * to_nm, rtol=1e-12)  # the grid covers the last interval
    short = pk_summary(d, Regimen.repeated("10 mg", every="12 h", count=4), np.linspace(0, 40, 81))
    before_last = m.conc(np.linspace(24, 36, 12001), Regimen.repeated(10, every=12, count=3)).min()
    assert_allclose(short.cmin.magnitude, before_last * to_nm, rtol=1e-12)  # else the interval ending at the last dose
    assert [k for k, _ in rep.items()][:3] == ["Cmax", "Tmax", "Cmin (last interval)"]


@pytest.mark.parametrize(
    "call,err,message",
    [
        (lambda d: concentration(d[2], Regimen.single(1, route="iv_bolus"), T, site="brain"), InputError,
         r"^site='brain' needs fu \(unbound fraction in plasma\) of bare for human"),
        (lambda d: concentration(d[1], Regimen.single(1, route="iv_bolus"), T, site="brain"), InputError,
         r"^site='brain' needs kp_uu \(unbound brain / unbound plasma ratio\) of testmet for human, which models/drugs/testmet.toml "
         r"does not give; add pk.human.kp_uu = .*, or use site='free'\.$"),
        (lambda d: concentration(d[1], Regimen.single(1, route="iv_bolus"), T, site="effect"), InputError, r"needs ke0"),
        (lambda d: concentration(d[0], Regimen.single(1), T, site="brian"), InputError, r"Did you mean 'brain'\?"),
        (lambda d: concentration(d[1], Regimen.single(1), T), InputError, r"^oral doses of testmet need pk.human.ka"),
        (lambda d: concentration(d[0], Regimen.single(1, route="ip"), T), InputError, r"^ip doses of testparent need pk.human.F_ip"),
        (lambda d: concentration(d[0], Regimen.single(1), T, metabolite=d[2]), InputError, r"forms no metabolite 'bare'"),
        (lambda d: concentration(d[0], Regimen.single(1), "3 mg"), UnitError, r"`times` must be in units compatible with h"),
        (lambda d: pk_model(d[0], species="rat"), PdsimError, r"no PK for species 'rat'"),
        (lambda d: steady_state(d[0], "1 mg", "0 h"), InputError, r"`every` must be greater than zero"),
        (lambda d: steady_state(d[0], "1 mg", "8 h", route="iv_infusion"), InputError, r"needs `duration`"),
        (lambda d: OneCompartment(CL=-1, V=1), InputError, r"`CL` must be greater than zero"),
        (lambda d: OneCompartment(CL=1, V=1).conc(T, Regimen.single(1)), InputError, r"route 'oral' needs the absorption rate `ka`"),
        (lambda d: OneCompartment(CL=np.ones(2), V=np.ones(3)), InputError, r"same number of subjects"),
    ],
)
def test_bad_input_errors(drugs, call, err, message):
    with pytest.raises(err, match=message):
        call(drugs)


def test_mg_per_kg_dose_in_rat_style_work(drugs):
    par = drugs[0]
    r = Regimen.single("10 mg/kg", route="iv_bolus", body_weight="0.25 kg")
    c = concentration(par, r, [0.0], body_weight="0.25 kg")
    assert_allclose(c.magnitude, [2.5 / 0.25 * 1e6 / 400], rtol=1e-14)  # 2.5 mg into 0.25 L


# --- published values -----------------------------------------------------------------------------
TIANEPTINE = catalog.models_dir() / "drugs" / "tianeptine.toml"
@pytest.mark.parametrize("what", ["Cmax", "Tmax", "t_half"])
def test_tianeptine_single_dose_matches_published(what):
    """12.5 mg oral tianeptine in healthy volunteers: Cmax 334 +/- 79 ng/mL, Tmax 0.94 +/- 0.47 h,
    t1/2 2.5 +/- 1.1 h (Royer et al. 1988, Clin Neuropharmacol 11 Suppl 2:S90-S96, PMID 3180120;
    Salvadori et al. 1990, Fundam Clin Pharmacol 4:115-125). The simulated value must lie within
    mean +/- SD.

    Honest scope: the catalogue's two-compartment model is derived from the distribution and
    elimination half-lives, CL and Vss, and ka is solved to give Tmax 0.94 h (see the notes in
    models/drugs/tianeptine.toml), so Tmax and t1/2 hold by construction. Cmax is the independent
    prediction: 266 ng/mL, inside the range but near its lower edge (255 ng/mL)."""
    if not TIANEPTINE.is_file():
        pytest.skip("models/drugs/tianeptine.toml does not exist yet")
    s = pk_summary("tianeptine", Regimen.single("12.5 mg", drug="tianeptine"), np.linspace(0, 24, 1441))
    value, (mean, sd) = {
        "Cmax": (s.cmax.magnitude * s.molar_mass / 1e3, (334, 79)),
        "Tmax": (s.tmax.magnitude, (0.94, 0.47)),
        "t_half": (s.half_life.magnitude, (2.5, 1.1)),
    }[what]
    assert mean - sd <= value <= mean + sd, f"{what} = {value:.3g}, published {mean} +/- {sd}"


@pytest.mark.parametrize("what", ["Cmax", "Cmin"])
def test_tianeptine_steady_state_elderly_published(what):
    """12.5 mg three times daily at steady state in 12 elderly patients (72-81 y): Cmax 405 +/- 202 ng/mL and
    day-5 Cmin 68 +/- 41 ng/mL ("Pharmacokinetics of the antidepressant tianeptine at steady state
    in the elderly", J Clin Pharmacol; reference elderly_pk_tianeptine). Run as users run it: the study
    scenario studies/elderly_tianeptine_human through `pdsim.simulate`, its elderly arm a patient of 76
    years, whose CL the age relation of models/drugs/tianeptine.toml lowers (x 0.590: Royer 1988's 1 h
    longer half-life in the elderly). The young-adult model alone gave a trough of about 20 ng/mL (this
    was an xfail); the simulated value must lie within mean +/- SD."""
    from pdsim.checks.patients import ELDERLY, levels

    value = levels("tianeptine", ELDERLY)[what]
    mean, sd = {"Cmax": (405, 202), "Cmin": (68, 41)}[what]
    assert mean - sd <= value <= mean + sd, f"{what} = {value:.3g} ng/mL, published {mean} +/- {sd}"


@pytest.mark.parametrize("n_rates", [1, 2, 3, 4])
def test_chain_equals_the_sum_of_exponentials_and_its_equal_rate_limit(n_rates):
    """`chain` (its compiled kernel, over many subjects at once) against the closed forms its docstring gives:
    for well-separated rates the sum of e^{-k_i t} / prod_{j != i}(k_j - k_i), at m equal rates
    t^{m-1} e^{-k t} / (m-1)!, and 0 before the input; for 0-d, 1-d and 2-d inputs alike."""
    rng = np.random.default_rng(7)
    base = np.array([0.15, 0.9, 2.6, 6.0])[:n_rates]
    rates = [b * rng.uniform(0.9, 1.1, (300, 1)) for b in base]  # spread apart: the explicit sum is accurate
    t = np.concatenate([[-2.0, 0.0], np.linspace(0.5, 20.0, 60)])
    got = chain(rates, t)
    k = np.stack([np.broadcast_to(r, (300, t.size)) for r in rates])
    tt = np.broadcast_to(np.maximum(t, 0.0), (300, t.size))
    want = sum(np.exp(-k[i] * tt) / np.prod([k[j] - k[i] for j in range(n_rates) if j != i] or [1.0], axis=0)
               for i in range(n_rates))
    assert_allclose(got[:, 2:], want[:, 2:], rtol=1e-10)
    assert np.all(got[:, 0] == 0.0)
    equal = chain([rates[0]] * n_rates, t)
    assert_allclose(equal[:, 2:], tt[:, 2:] ** (n_rates - 1) * np.exp(-k[0] * tt)[:, 2:] / math.factorial(n_rates - 1),
                    rtol=1e-13)
    assert np.ndim(chain(base, 3.0)) == 0 and chain(base, np.array([1.0, 2.0])).shape == (2,)
    assert float(chain(base, 3.0)) == pytest.approx(float(chain([b * np.ones((1, 1)) for b in base], [3.0])[0, 0]),
                                                    rel=1e-15)
