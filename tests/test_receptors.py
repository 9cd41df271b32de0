"""Tests of pdsim.receptors: closed forms, numerical inversions, limits, units and bad input.

Half-maximal concentrations are found with scipy.optimize.brentq on the model itself, never from the
formula under test; each test docstring names the source of the closed form it checks.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from pdsim.errors import InputError, UnitError, UnknownNameError
from pdsim.receptors import (
    cheng_prusoff,
    competitive_occupancy,
    occupancy,
    operational_ec50,
    operational_emax,
    operational_response,
    operational_response_competitive,
    pa2,
    schild_dose_ratio,
    schild_kb,
)
from pdsim.units import Q_, mass_to_molar

HUGE = 1e18  # nM; far above any K_A used here, so the response there is its maximum to ~1e-16


def conc_at(f, target, lo=1e-9, hi=1e12):
    """Concentration (nM) at which the increasing function ``f`` equals ``target``, by brentq in log10."""
    x = brentq(lambda lx: f(10.0**lx) - target, math.log10(lo), math.log10(hi), xtol=1e-13, rtol=1e-15)
    return 10.0**x


# --- occupancy (Hill 1910) ----------------------------------------------------------------------


@pytest.mark.parametrize("kd", [1e-3, 0.7, 383.0, 2.5e4])
@pytest.mark.parametrize("n", [0.5, 1.0, 2.7])
def test_occupancy_is_half_at_kd(kd, n):
    """θ = C^n/(C^n + Kd^n) is 1/2 at C = Kd for any slope (Hill 1910)."""
    assert_allclose(occupancy(kd, kd, n), 0.5, rtol=1e-14)


def test_occupancy_matches_closed_form_and_broadcasts():
    """θ = C^n/(C^n + Kd^n) (Hill 1910) against the direct formula on a grid."""
    c = np.array([0.0, 0.1, 1.0, 10.0, 1e4])[:, None]
    kd = np.array([0.5, 50.0])[None, :]
    got = occupancy(c, kd, 1.5)
    assert got.shape == (5, 2)
    assert_allclose(got, c**1.5 / (c**1.5 + kd**1.5), rtol=1e-13)
    assert isinstance(occupancy(1.0, 2.0), float)


def test_occupancy_limits_are_exact_without_overflow():
    """C = 0 gives 0 and a huge C gives 1 with no floating-point warning (1/(1 + (K/C)^n) limits)."""
    with np.errstate(all="raise"):
        assert occupancy(0.0, 1.0) == 0.0
        assert occupancy(1e300, 1e-300, n=4) == 1.0
        assert occupancy(1e-300, 1e300, n=0.1) < 1e-59


@settings(max_examples=200, deadline=None)
@given(
    c1=st.floats(0, 1e12), c2=st.floats(0, 1e12),
    kd=st.floats(1e-6, 1e9), n=st.floats(0.1, 5),
)
def test_occupancy_in_unit_interval_and_monotone(c1, c2, kd, n):
    """Occupancy is a fraction and never falls as concentration rises (mass action, Hill 1910)."""
    lo, hi = sorted((c1, c2))
    a, b = occupancy(lo, kd, n), occupancy(hi, kd, n)
    assert 0.0 <= a <= b <= 1.0


# --- competition at one site (Gaddum; F1 of the reference sheet) ---------------------------------


def test_competitive_occupancy_two_ligands_closed_form():
    """θ_A = (A/K_A)/(1 + A/K_A + B/K_B) (Gaddum form, lazareno1993)."""
    got = competitive_occupancy({"morphine": 30.0, "naloxone": 4.0}, {"morphine": 3.0, "naloxone": 1.0})
    assert_allclose(got["morphine"], 10 / 15, rtol=1e-14)
    assert_allclose(got["naloxone"], 4 / 15, rtol=1e-14)
    assert list(got) == ["morphine", "naloxone"]


def test_competitive_occupancy_single_ligand_is_occupancy():
    """With one ligand the Gaddum form reduces to Hill–Langmuir with n = 1."""
    c = np.geomspace(1e-3, 1e5, 9)
    assert_allclose(competitive_occupancy({"x": c}, {"x": 7.0})["x"], occupancy(c, 7.0), rtol=1e-13)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.just(0.0) | st.floats(1e-30, 1e9), st.floats(1e-3, 1e6)), max_size=5))
def test_competitive_occupancies_sum_below_one_and_each_below_solo(ligands):
    """Σθ_i = ΣC/K/(1 + ΣC/K) < 1, and a competitor can only lower θ_i below its solo occupancy."""
    concs = {f"d{i}": c for i, (c, _) in enumerate(ligands)}
    kds = {f"d{i}": k for i, (_, k) in enumerate(ligands)}
    got = competitive_occupancy(concs, kds)
    assert sum(got.values()) <= 1.0
    if sum(c / k for c, k in ligands) < 1e12:  # strict inequality is representable
        assert sum(got.values()) < 1.0
    for name, theta in got.items():
        assert 0.0 <= theta <= occupancy(concs[name], kds[name]) * (1 + 1e-13)


def test_competitive_occupancy_missing_kd_names_the_ligand():
    """A ligand without a Kd is an UnknownNameError (also a KeyError) that names it and suggests one."""
    with pytest.raises(UnknownNameError, match="naloxone") as info:
        competitive_occupancy({"morphine": 1.0, "naloxone": 2.0}, {"morphine": 1.0, "naloxon": 1.0})
    assert isinstance(info.value, KeyError)
    assert "Did you mean 'naloxon'" in str(info.value)


def test_competitive_occupancy_ignores_kds_of_absent_ligands():
    got = competitive_occupancy({"a": 1.0}, {"a": 1.0, "b": 1.0})
    assert got == {"a": 0.5}


def test_gaddum_overflowing_ratio_redone_in_log_space():
    """C/K beyond the float range: the direct form would give inf/inf; the log-space redo gives θ → 1."""
    from pdsim.receptors import gaddum

    got = gaddum({"a": np.array([1e300, 2.0]), "b": np.array([5.0, 2.0])}, {"a": 1e-10, "b": 1.0})
    assert np.all(np.isfinite(got["a"])) and np.all(np.isfinite(got["b"]))
    d = 1.0 + 2.0 / 1e-10 + 2.0   # the second point does not overflow: plain Gaddum form
    assert_allclose(got["a"], [1.0, 2e10 / d], rtol=1e-14)
    assert_allclose(got["b"], [0.0, 2.0 / d], rtol=1e-14, atol=1e-300)   # 5e-310 at the first point


def test_gaddum_matches_competitive_occupancy_on_arrays():
    """The engine's unchecked form and the public checked one give the same numbers (Gaddum form)."""
    from pdsim.receptors import gaddum

    rng = np.random.default_rng(7)
    concs = {"a": rng.lognormal(2, 3, (50, 40)), "b": rng.lognormal(0, 3, (50, 40)), "c": np.zeros((50, 40))}
    kds = {"a": 3.7, "b": 0.21, "c": 5.0}
    fast, checked = gaddum(concs, kds), competitive_occupancy(concs, kds)
    for k in concs:
        assert_allclose(fast[k], checked[k], rtol=1e-15, atol=0)
    ratio = {k: concs[k] / kds[k] for k in concs}
    assert_allclose(fast["a"], ratio["a"] / (1 + ratio["a"] + ratio["b"]), rtol=1e-15)


def test_gaddum_still_checks_the_dissociation_constants():
    from pdsim.receptors import gaddum

    with pytest.raises(InputError, match=r"kds\['b'\]"):
        gaddum({"a": 1.0, "b": 1.0}, {"a": 1.0, "b": 0.0})


# --- operational model (black1983) ---------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.05, 1.0, 3.0, 250.0])
@pytest.mark.parametrize("ka", [0.5, 383.0])
def test_operational_n1_emax_and_ec50_found_numerically(ka, tau):
    """n = 1: E_max = E_m τ/(1+τ) and EC50 = K_A/(1+τ) (black1983), checked by brentq on the response."""
    em = 2.5
    emax = operational_response(HUGE, ka, tau, em)
    assert_allclose(emax, em * tau / (1 + tau), rtol=1e-12)
    assert_allclose(operational_emax(tau, em), em * tau / (1 + tau), rtol=1e-14)
    ec50 = conc_at(lambda a: operational_response(a, ka, tau, em), emax / 2)
    assert_allclose(ec50, ka / (1 + tau), rtol=1e-9)
    assert_allclose(operational_ec50(ka, tau), ec50, rtol=1e-9)


@pytest.mark.parametrize("n", [0.6, 1.8, 3.0])
@pytest.mark.parametrize("tau", [0.3, 4.0, 80.0])
def test_operational_ec50_any_slope_found_numerically(tau, n):
    """EC50 = K_A/((2 + τ^n)^{1/n} − 1) and E_max = E_m τ^n/(1 + τ^n) (black1983), by brentq."""
    ka = 120.0
    emax = operational_response(HUGE, ka, tau, n=n)
    assert_allclose(emax, tau**n / (1 + tau**n), rtol=1e-12)
    assert_allclose(operational_emax(tau, n=n), emax, rtol=1e-12)
    ec50 = conc_at(lambda a: operational_response(a, ka, tau, n=n), emax / 2)
    assert_allclose(ec50, ka / ((2 + tau**n) ** (1 / n) - 1), rtol=1e-9)
    assert_allclose(operational_ec50(ka, tau, n), ec50, rtol=1e-9)


def test_operational_ec50_is_half_max_not_ka_over_tau():
    """Regression: K_A/((1 + τ^n)^{1/n} − 1) gives K_A/τ at n = 1, which is not the half-maximum."""
    assert operational_ec50(10.0, 3.0) == pytest.approx(2.5, rel=1e-14)
    assert operational_response(10.0 / 3.0, 10.0, 3.0) != pytest.approx(operational_emax(3.0) / 2)


def test_partial_vs_full_agonist():
    """Large τ: E_max → E_m, EC50 ≪ K_A; small τ: E_max ≈ E_m τ, EC50 → K_A (black1983)."""
    ka = 100.0
    partial, full = 0.2, 300.0
    e_partial = operational_response(HUGE, ka, partial)
    e_full = operational_response(HUGE, ka, full)
    assert e_partial < 0.2 < 0.99 < e_full
    ec_partial = conc_at(lambda a: operational_response(a, ka, partial), e_partial / 2)
    ec_full = conc_at(lambda a: operational_response(a, ka, full), e_full / 2)
    assert ec_full < ka / 100 < ka / 2 < ec_partial < ka
    # lowering tau (receptor loss) costs the partial agonist its maximum first
    assert operational_emax(partial / 2) / operational_emax(partial) < 0.6
    assert operational_emax(full / 2) / operational_emax(full) > 0.99


def test_operational_limits_are_exact():
    """A = 0 or τ = 0 (neutral antagonist) give no response; huge inputs do not overflow."""
    with np.errstate(all="raise"):
        assert operational_response(0.0, 1.0, 5.0) == 0.0
        assert operational_response(1e6, 1.0, 0.0) == 0.0
        assert operational_response(1e300, 1e-300, 1e300, n=5) == 1.0
        assert np.isfinite(operational_ec50(1.0, 1e300, 5))


@settings(max_examples=200, deadline=None)
@given(a=st.floats(0, 1e9), ka=st.floats(1e-3, 1e6), tau=st.floats(0, 1e4), em=st.floats(1e-3, 1e3))
def test_operational_response_bounded_by_emax(a, ka, tau, em):
    """0 <= E <= E_m τ/(1 + τ) for n = 1 (black1983)."""
    e = operational_response(a, ka, tau, em)
    assert 0.0 <= e <= em * tau / (1 + tau) * (1 + 1e-12)


# --- Schild / Gaddum (arunlakshana1959) ----------------------------------------------------------


@pytest.mark.parametrize("tau,n", [(0.8, 1.0), (40.0, 1.0), (5.0, 1.7)])
def test_antagonist_shifts_ec50_by_schild_dose_ratio(tau, n):
    """EC50(B)/EC50(0) = 1 + B/K_B with E_max unchanged (arunlakshana1959), found by brentq."""
    ka, kb = 50.0, 1.5
    emax = operational_response(HUGE, ka, tau, n=n)
    ec0 = conc_at(lambda a: operational_response_competitive(a, ka, tau, 0.0, kb, n=n), emax / 2)
    for b in [0.3, 3.0, 30.0, 300.0]:
        assert_allclose(operational_response_competitive(HUGE, ka, tau, b, kb, n=n), emax, rtol=1e-10)
        ec = conc_at(lambda a: operational_response_competitive(a, ka, tau, b, kb, n=n), emax / 2)
        assert_allclose(ec / ec0, 1 + b / kb, rtol=1e-8)
        assert_allclose(schild_dose_ratio(b, kb), 1 + b / kb, rtol=1e-15)


def test_schild_plot_slope_is_one_and_recovers_kb():
    """log(DR − 1) = log[B] − log K_B: slope 1, x-intercept gives pA2 (arunlakshana1959)."""
    ka, tau, kb = 20.0, 10.0, 2.0  # kb in nM, as for naloxone at MOR
    emax = operational_response(HUGE, ka, tau)
    ec0 = conc_at(lambda a: operational_response(a, ka, tau), emax / 2)
    b = np.geomspace(0.5, 5000.0, 6)
    dr = np.array([conc_at(lambda a: operational_response_competitive(a, ka, tau, bi, kb), emax / 2)
                   for bi in b]) / ec0
    slope, intercept = np.polyfit(np.log10(b), np.log10(dr - 1), 1)
    assert_allclose(slope, 1.0, rtol=1e-6)
    assert_allclose(9.0 + intercept, pa2(kb), atol=1e-6)  # pA2 = -log10(K_B in M)
    assert_allclose(schild_kb(dr, b), kb, rtol=1e-7)


def test_pa2_and_schild_kb_units():
    """pA2 = −log10(K_B in M) and K_B = [B]/(DR − 1) (arunlakshana1959); quantities in, quantities out."""
    assert pa2(1.0) == pytest.approx(9.0)
    assert pa2(Q_(1, "uM")) == pytest.approx(6.0)
    kb = schild_kb(11.0, Q_(10, "nM"))
    assert kb.units == Q_(1, "nM").units and kb.magnitude == pytest.approx(1.0)
    assert isinstance(schild_kb(11.0, 10.0), float)


# --- Cheng–Prusoff (cheng1973) -------------------------------------------------------------------


@pytest.mark.parametrize("ligand_conc,kd_l,ki", [(1.0, 1.0, 10.0), (0.2, 2.0, 0.05), (50.0, 0.5, 383.0)])
def test_cheng_prusoff_round_trip_from_simulated_displacement(ligand_conc, kd_l, ki):
    """Simulate radioligand displacement, find IC50 by brentq, recover Ki = IC50/(1 + [L]/Kd) (cheng1973)."""
    kds = {"radioligand": kd_l, "inhibitor": ki}

    def bound(i):
        return competitive_occupancy({"radioligand": ligand_conc, "inhibitor": i}, kds)["radioligand"]

    control = occupancy(ligand_conc, kd_l)
    ic50 = conc_at(lambda i: -bound(i), -control / 2, lo=1e-6, hi=1e9)
    assert_allclose(cheng_prusoff(ic50, ligand_conc, kd_l), ki, rtol=1e-6)


def test_cheng_prusoff_quantities_and_km_form():
    """Uptake measured at [S] = Km gives Ki = IC50/2 (the enzyme form of cheng1973)."""
    ki = cheng_prusoff(Q_(2, "uM"), Q_(0.6, "uM"), Q_(600, "nM"))
    assert ki.units == Q_(1, "nM").units and ki.magnitude == pytest.approx(1000.0)
    assert isinstance(cheng_prusoff(2000.0, 600.0, 600.0), float)
    assert_allclose(cheng_prusoff([100.0, 300.0], 0.0, 1.0), [100.0, 300.0])


# --- units --------------------------------------------------------------------------------------


def test_molar_quantities_are_converted_to_nm():
    """uM, pM and strings convert to nM; checked on θ(Kd) = 1/2 and EC50 = K_A/(1 + τ) (black1983)."""
    assert occupancy(Q_(1, "uM"), Q_(1000, "nM")) == pytest.approx(0.5)
    assert occupancy(Q_(500, "pM"), 0.5) == pytest.approx(0.5)
    assert occupancy("2 uM", "2000 nM") == pytest.approx(0.5)
    assert occupancy(Q_([0.0, 1.0], "uM"), 1000.0)[1] == pytest.approx(0.5)
    ec50 = operational_ec50(Q_(1, "uM"), 3.0)
    assert ec50.to("nM").magnitude == pytest.approx(250.0)
    assert operational_response(Q_(0.25, "uM"), Q_(1, "uM"), 3.0) == pytest.approx(operational_emax(3.0) / 2)


def test_mass_concentration_is_rejected_with_the_fix():
    with pytest.raises(UnitError, match="mass_to_molar") as info:
        occupancy(Q_(50, "ng/mL"), 10.0)
    assert "`conc`" in str(info.value)
    with pytest.raises(UnitError, match="`kb`"):
        schild_dose_ratio(1.0, "3 ng/mL")
    # the suggested conversion works (tianeptine, 436.95 g/mol)
    assert 0.0 < occupancy(mass_to_molar(Q_(50, "ng/mL"), "436.95 g/mol"), 383.0) < 1.0


def test_wrong_dimension_is_a_unit_error():
    with pytest.raises(UnitError, match="`kd`"):
        occupancy(1.0, Q_(3, "s"))


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: occupancy(-1.0, 1.0), "conc"),
        (lambda: occupancy(np.nan, 1.0), "conc"),
        (lambda: occupancy([1.0, -2.0], 1.0), "conc"),
        (lambda: occupancy(1.0, 0.0), "kd"),
        (lambda: occupancy(1.0, -1.0), "kd"),
        (lambda: occupancy(1.0, 1.0, n=0.0), "n"),
        (lambda: competitive_occupancy({"a": 1.0}, {"a": 0.0}), "kds['a']"),
        (lambda: competitive_occupancy({"a": np.nan}, {"a": 1.0}), "concs['a']"),
        (lambda: operational_response(1.0, 1.0, -0.5), "tau"),
        (lambda: operational_response(1.0, 0.0, 1.0), "ka"),
        (lambda: operational_response(1.0, 1.0, 1.0, em=0.0), "em"),
        (lambda: operational_response_competitive(1.0, 1.0, 1.0, -3.0, 1.0), "antagonist"),
        (lambda: operational_ec50(1.0, -1.0), "tau"),
        (lambda: cheng_prusoff(0.0, 1.0, 1.0), "ic50"),
        (lambda: cheng_prusoff(1.0, -1.0, 1.0), "ligand_conc"),
        (lambda: schild_dose_ratio(1.0, 0.0), "kb"),
        (lambda: schild_kb(0.9, 1.0), "dose_ratio"),
        (lambda: schild_kb(2.0, 0.0), "antagonist_conc"),
        (lambda: pa2(-1.0), "kb"),
        (lambda: occupancy([1.0, 2.0], [1.0, 2.0, 3.0]), "conc"),
    ],
)
def test_bad_input_raises_input_error_naming_it(call, name):
    with pytest.raises(InputError) as info:
        call()
    msg = str(info.value)
    assert f"`{name}`" in msg and msg.endswith(".") and "\n" not in msg
    assert isinstance(info.value, ValueError)


def test_kd_message_names_rule_and_fix():
    with pytest.raises(InputError, match=r"`kd` must be greater than zero \(got -1 nM\); give a positive"):
        occupancy(1.0, -1.0)
