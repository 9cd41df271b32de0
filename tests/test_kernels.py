"""Tests for pdsim.kernels: exact PK against closed forms, the full model against tight solve_ivp.

The closed forms are the Bateman function with superposition over doses (Bateman 1910;
Gibaldi & Perrier, *Pharmacokinetics*, 2nd ed., 1982, ch. 1–2 and appendix on superposition).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pdsim import kernels as K
from pdsim._propagate import dd1, dd2, dd1_np, dd2_np
from pdsim.errors import InputError

MW = 436.95
PD = {"ke0": 1.0, "KA": 400.0, "tau": 3.0, "Em": 1.0, "kt": 0.02, "alpha": 0.5, "kin": 0.05, "kout": 0.05, "Smax": 0.8}
BACKENDS = ["numpy"] + (["numba"] if K.HAVE_NUMBA else [])
needs_numba = pytest.mark.skipif(not K.HAVE_NUMBA, reason="numba not installed")


def bateman(t, doses, amt, ka, cl, v, f=1.0, lag=0.0):
    """Oral one-compartment concentration (nM) by superposition of Bateman functions."""
    k = cl / v
    c = np.zeros_like(t)
    for td in doses:
        dt = t - td - lag
        on = dt >= 0
        c[on] += f * amt * ka / (v * (ka - k)) * (np.exp(-k * dt[on]) - np.exp(-ka * dt[on]))
    return c * 1e6 / MW


@pytest.mark.parametrize("backend", BACKENDS)
def test_oral_concentration_is_bateman_superposition(backend):
    t = np.linspace(0.0, 100.0, 401)
    doses = [0.0, 7.3, 19.0, 40.25]  # off the output grid on purpose
    ka = np.array([0.7, 2.0, 5.0])
    cl = np.array([15.0, 4.0, 30.0])
    v = np.array([50.0, 80.0, 20.0])
    res = K.occ_tolerance_turnover(t, doses, 12.5, ka=ka, CL=cl, V=v, molar_mass=MW, F=0.8, lag=0.4,
                                   outputs=("C",), backend=backend, **PD)
    for i in range(3):
        ref = bateman(t, doses, 12.5, ka[i], cl[i], v[i], f=0.8, lag=0.4)
        np.testing.assert_allclose(res["C"][i], ref, rtol=1e-11, atol=1e-11 * ref.max())


@pytest.mark.parametrize("backend", BACKENDS)
def test_iv_bolus_and_infusion_closed_forms(backend):
    t = np.linspace(0.0, 24.0, 97)
    cl, v = 10.0, 40.0
    k = cl / v
    bolus = K.occ_tolerance_turnover(t, [0.0], 10.0, route="iv_bolus", ka=1.0, CL=cl, V=v, molar_mass=MW,
                                     outputs=("C",), backend=backend, **PD)
    np.testing.assert_allclose(bolus["C"][0], 10.0 / v * np.exp(-k * t) * 1e6 / MW, rtol=1e-13)
    inf = K.occ_tolerance_turnover(t, [2.0], 6.0, route="iv_infusion", duration=3.0, ka=1.0, CL=cl, V=v,
                                   molar_mass=MW, outputs=("C",), backend=backend, **PD)
    rate = 2.0  # mg/h
    during = rate / cl * (1 - np.exp(-k * np.clip(t - 2.0, 0, 3.0)))
    ref = np.where(t <= 5.0, during, rate / cl * (1 - np.exp(-3 * k)) * np.exp(-k * (t - 5.0))) * 1e6 / MW
    np.testing.assert_allclose(inf["C"][0], ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ka_equal_to_k_uses_the_limit_form(backend):
    # Bateman's limit for ka = k: C = F D k t e^{-k t} / V
    t = np.linspace(0.0, 48.0, 97)
    k = 0.3
    res = K.occ_tolerance_turnover(t, [0.0], 12.5, ka=[k, k * (1 + 1e-9), k * (1 + 1e-4)], CL=15.0, V=50.0,
                                   molar_mass=MW, outputs=("C", "Ce"), backend=backend, **PD)
    limit = 12.5 * k * t * np.exp(-k * t) / 50.0 * 1e6 / MW
    np.testing.assert_allclose(res["C"][0], limit, rtol=1e-13, atol=1e-13 * limit.max())
    np.testing.assert_allclose(res["C"][1], limit, rtol=1e-8, atol=1e-8 * limit.max())
    near = bateman(t, [0.0], 12.5, k * (1 + 1e-4), 15.0, 50.0)  # Bateman itself loses ~4 digits here
    np.testing.assert_allclose(res["C"][2], near, rtol=1e-9, atol=1e-9 * near.max())
    assert np.all(np.isfinite(res["Ce"]))


@pytest.mark.parametrize("rates", [(2.0, 0.3, 1.0), (0.3, 0.3, 1.0), (2.0, 0.3, 0.3), (0.3, 0.3, 0.3), (1.0, 1.0 + 1e-12, 1.0 - 1e-12)])
def test_effect_site_exact_at_coinciding_rates(rates):
    ka, k, ke0 = rates
    v = 50.0
    pd = dict(PD, ke0=ke0)
    t = np.linspace(0.0, 30.0, 61)
    res = K.occ_tolerance_turnover(t, [0.0, 12.0], 12.5, ka=ka, CL=k * v, V=v, molar_mass=MW, outputs=("C", "Ce"),
                                   backend="numpy", **pd)
    conv = 1e6 / MW / v

    def lin(tt, y):
        return [-ka * y[0], ka * y[0] - k * y[1], ke0 * (conv * y[1] - y[2])]

    s1 = solve_ivp(lin, (0, 12), [12.5, 0, 0], method="DOP853", rtol=1e-12, atol=1e-14, t_eval=t[t <= 12], dense_output=True)
    y12 = s1.sol(12.0)
    s2 = solve_ivp(lin, (12, 30), [y12[0] + 12.5, y12[1], y12[2]], method="DOP853", rtol=1e-12, atol=1e-14, t_eval=t[t > 12])
    ce = np.r_[s1.y[2], s2.y[2]]
    np.testing.assert_allclose(res["Ce"][0], ce, rtol=1e-9, atol=1e-9 * ce.max())


def test_divided_differences_at_and_near_coincidence():
    h = 0.7
    for a in (0.0, -0.3, -5.0):
        assert dd1(a, a, h) == pytest.approx(h * math.exp(a * h), rel=1e-15)
        assert dd2(a, a, a, h) == pytest.approx(h * h * math.exp(a * h) / 2, rel=1e-14)
    # well separated points: the definition is well conditioned there
    a, b, c = -0.2, -1.5, -3.0
    f = [math.exp(x * h) for x in (a, b, c)]
    direct = ((f[0] - f[1]) / (a - b) - (f[1] - f[2]) / (b - c)) / (a - c)
    assert dd2(a, b, c, h) == pytest.approx(direct, rel=1e-13)
    # continuity across the switch between the series and the recursion
    for spread in (0.999, 1.0, 1.001):
        x3 = -0.5 - spread / h
        assert dd2(-0.5, -0.5 - 0.3 / h, x3, h) == pytest.approx(float(dd2_np(-0.5, -0.5 - 0.3 / h, x3, h)), rel=1e-14)
    near = dd2(-1.0, -1.0 - 1e-9, -1.0 + 1e-9, h)
    assert near == pytest.approx(h * h * math.exp(-h) / 2, rel=1e-8)
    assert float(dd1_np(-1.0, -1.0, h)) == dd1(-1.0, -1.0, h)


def _tight_reference(p, t, doses, amt):
    """The full five-state model with solve_ivp (DOP853, rtol 1e-10), dose interval by interval."""
    y = np.array([0.0, 0.0, 0.0, 0.0, p["kin"] / p["kout"]])
    out = np.empty((5, t.size))
    edges = np.r_[doses, t[-1]]
    for a, b in zip(edges[:-1], edges[1:]):
        y[0] += amt
        sel = np.flatnonzero((t >= a) & (t < b))
        sol = solve_ivp(lambda tt, yy: K.ott_rhs(yy, p, MW), (a, b), y, method="DOP853", rtol=1e-10, atol=1e-12,
                        t_eval=np.r_[t[sel], b])
        assert sol.success
        out[:, sel] = sol.y[:, :-1]
        y = sol.y[:, -1].copy()
    out[:, -1] = y
    return out


def _rel_err(y, ref):
    return float(np.max(np.abs(y - ref) / np.maximum(np.abs(ref), 1e-3 * np.abs(ref).max())))


@pytest.mark.parametrize("backend", BACKENDS)
def test_reference_model_against_tight_solve_ivp(backend):
    # the benchmark model on 5 subjects over 7 days (21 doses): the first doses carry the largest error
    from pdsim.population import sample_parameters

    t = np.arange(0.0, 169.0)
    doses = np.arange(21) * 8.0
    pop = sample_parameters(K.REFERENCE["typical"], K.REFERENCE["cv"], 5, seed=20240)
    res = K.occ_tolerance_turnover(t, doses, 12.5, ka=pop["ka"], CL=pop["CL"], V=pop["V"], molar_mass=MW,
                                   outputs=("C", "occ", "T", "B"), backend=backend, **PD)
    for i in range(5):
        p = dict(PD, ka=pop["ka"][i], CL=pop["CL"][i], V=pop["V"][i])
        ref = _tight_reference(p, t, doses, 12.5)
        c = ref[1] / p["V"] * 1e6 / MW
        occ = ref[2] / (ref[2] + PD["KA"])
        assert _rel_err(res["C"][i], c) < 1e-9
        assert _rel_err(res["occ"][i], occ) < 1e-9
        assert _rel_err(res["B"][i], ref[4]) < 1e-5
        assert np.max(np.abs(res["T"][i] - ref[3])) < 1e-5


def test_error_falls_with_order_and_step():
    t = np.arange(0.0, 49.0)
    doses = np.arange(6) * 8.0
    p = dict(PD, ka=3.0, CL=15.0, V=50.0)
    ref = _tight_reference(p, t, doses, 12.5)[4]
    errs = [_rel_err(K.occ_tolerance_turnover(t, doses, 12.5, ka=3.0, CL=15.0, V=50.0, molar_mass=MW, outputs=("B",),
                                              backend="numpy", order=o, grading=g, **PD)["B"][0], ref)
            for o, g in [(4, 0), (6, 0), (6, 2), (8, 2)]]
    assert errs[0] > errs[1] > errs[2] > errs[3]
    assert errs[2] < 1e-6


@needs_numba
def test_numba_and_numpy_backends_agree():
    rng = np.random.default_rng(0)
    n = 40
    kw = dict(ka=rng.uniform(0.3, 4, n), CL=rng.uniform(5, 30, n), V=rng.uniform(20, 90, n), ke0=rng.uniform(0.2, 3, n),
              KA=400.0, tau=rng.uniform(0.5, 5, n), kt=0.02, kout=rng.uniform(0.02, 0.2, n), Smax=0.8,
              hill=np.where(np.arange(n) % 2 == 0, 1.0, 1.4), lag=np.round(rng.uniform(0, 0.5, n), 1),
              F=rng.uniform(0.5, 1.0, n), molar_mass=MW)
    t = np.linspace(0.0, 60.0, 131)
    sch = K.schedule([0.0, 0.0, 10.0, 20.5, 30.0], [12.5, 5.0, 12.5, 3.0, 12.5],
                     route=["oral", "iv_bolus", "oral", "iv_infusion", "oral"], duration=[0, 0, 0, 2.0, 0])
    outs = ("C", "Ce", "occ", "E", "T", "S", "B", "gut", "central")
    a = K.occ_tolerance_turnover(t, sch, None, outputs=outs, backend="numba", **kw)
    b = K.occ_tolerance_turnover(t, sch, None, outputs=outs, backend="numpy", **kw)
    for name in outs:
        scale = np.abs(b[name]).max()
        np.testing.assert_allclose(a[name], b[name], rtol=1e-11, atol=1e-13 * scale, err_msg=name)


def test_generic_rk4_and_stiff_paths_agree_with_the_kernel():
    t = np.arange(0.0, 25.0)
    doses = [0.0, 8.0, 16.0]
    pars = {"ka": np.array([2.0, 0.8]), "CL": np.array([15.0, 9.0]), "V": np.array([50.0, 70.0])}
    res = K.occ_tolerance_turnover(t, doses, 12.5, **pars, molar_mass=MW, outputs=("B", "T"), order=8, **PD)
    p = dict(PD, **pars)

    def rhs(tt, y, u):
        return K.ott_rhs(y, p, MW)

    coupling = np.array([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]], bool)
    for solver in ("rk4", "stiff"):
        y = np.zeros((5, 2))
        y[4] = 1.0
        pieces = []
        for d in doses:
            y[0] += 12.5
            seg = np.arange(d, d + 8.5)
            if solver == "rk4":
                o = K.integrate_forced(rhs, y, seg, None, substeps=16)
            else:
                o = K.integrate_stiff(rhs, y, seg, None, coupling=coupling, rtol=1e-9, atol=1e-12)
            pieces.append(o[..., :-1])
            y = o[..., -1]
        ys = np.concatenate(pieces + [y[..., None]], axis=-1)
        np.testing.assert_allclose(ys[4], res["B"], rtol=1e-6, err_msg=solver)
        np.testing.assert_allclose(ys[3], res["T"], atol=1e-6, err_msg=solver)


def test_integrate_forced_uses_the_forcing():
    # y' = u(t) - y with u = cos t: y = (cos t + sin t - e^{-t})/2 from y(0) = 0
    t = np.linspace(0, 5, 11)
    y = K.integrate_forced(lambda tt, yy, u: u - yy, np.zeros((1, 3)), t, np.cos, substeps=20)
    exact = (np.cos(t) + np.sin(t) - np.exp(-t)) / 2
    np.testing.assert_allclose(y[0, 1], exact, atol=1e-8)


def test_chunked_float32_and_moments_match_one_run():
    full = K.run_reference_population(40, seed=3)
    part = K.run_reference_population(40, seed=3, chunk_size=15, dtype=np.float32)
    for name in full:
        np.testing.assert_allclose(part[name], full[name], rtol=1e-6, atol=1e-6 * np.abs(full[name]).max())
    mom = K.RunningMoments()
    assert K.run_reference_population(40, seed=3, chunk_size=16, reduce=mom.update) is None
    assert mom.count == 40
    stacked = np.stack([full[n] for n in ("C", "occ", "B")])
    np.testing.assert_allclose(mom.mean, stacked.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mom.std, stacked.std(axis=1, ddof=1), rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(mom.max, stacked.max(axis=1))


@pytest.mark.parametrize(
    "change",
    [
        {"ka": -1.0},
        {"V": np.array([50.0, 60.0]), "CL": np.array([1.0, 2.0, 3.0])},
        {"outputs": ("C", "plasma")},
        {"order": 5},
        {"max_step": 0.0},
        {"t": np.array([2.0, 1.0])},
        {"route": "intranasal"},
        {"backend": "fortran"},
        {"KA": 0.0},
    ],
)
def test_bad_input_raises_input_error(change):
    args = dict(t=np.arange(5.0), dose_times=[0.0], dose_amounts=12.5, ka=2.0, CL=15.0, V=50.0, molar_mass=MW, **PD)
    args.update(change)
    with pytest.raises(InputError) as info:
        K.occ_tolerance_turnover(**args)
    assert str(info.value).endswith(".") or str(info.value).endswith(")")
