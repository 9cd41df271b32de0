"""Tests of pdsim.panel: the drug × target table and the engine's vectorised algebraic layer."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim import Q_, catalog
from pdsim.errors import InputError, UnknownNameError
from pdsim.panel import panel, target_signals, targets_of
from pdsim.targets import k_app


def _k(drug, target):
    return catalog.drug(drug).affinity(target).to("nM")


def test_panel_is_competitive_occupancy():
    """Gaddum competition at each target: θ_i = (C_i/K_i)/(1 + Σ C_j/K_j) (Lazareno & Birdsall 1993)."""
    concs = {"amitriptyline": 8.0, "nortriptyline": 10.0, "tianeptine": 47.0}
    df = panel(concs, targets=["SERT", "NET", "MOR", "H1"])
    assert list(df.columns) == ["SERT", "NET", "MOR", "H1"]
    assert list(df.index) == list(concs)
    ra, rn = 8.0 / _k("amitriptyline", "NET"), 10.0 / _k("nortriptyline", "NET")
    assert df.loc["amitriptyline", "NET"] == pytest.approx(ra / (1 + ra + rn), rel=1e-12)
    assert df.loc["nortriptyline", "NET"] == pytest.approx(rn / (1 + ra + rn), rel=1e-12)
    assert df.loc["tianeptine", "SERT"] == 0.0
    assert df.loc["tianeptine", "MOR"] == pytest.approx(47 / (47 + _k("tianeptine", "MOR")), rel=1e-12)
    assert df.attrs["total"]["NET"] == pytest.approx(df["NET"].sum(), rel=1e-12)
    assert df.attrs["concentration_nM"] == concs


def test_panel_default_targets_and_units():
    """Mass concentrations are converted with the molar mass, never mixed with molar ones."""
    mm = catalog.drug("amitriptyline").molar_mass.to("g/mol")
    a = panel({"amitriptyline": Q_(mm * 0.01, "ng/mL")})  # 10 nM
    b = panel({"amitriptyline": "10 nM"})
    assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    assert set(a.columns) == set(catalog.drug("amitriptyline").targets)
    assert targets_of(["tianeptine"]) == ["MOR", "DOR"]


def test_panel_nav_column_uses_k_app_at_resting_potential():
    v = catalog.target("Nav")["V_membrane"].to("mV")
    df = panel({"amitriptyline": 30.0}, targets=["Nav"])
    assert df.loc["amitriptyline", "Nav"] == pytest.approx(30 / (30 + k_app("amitriptyline", v)), rel=1e-12)


def test_target_signals_vectorised_and_shape_preserving():
    """The engine passes time × subjects arrays; every output keeps that shape."""
    rng = np.random.default_rng(0)
    shape = (11, 4)
    concs = {"tianeptine": rng.uniform(0, 500, shape), "amitriptyline": rng.uniform(0, 50, shape),
             "nortriptyline": rng.uniform(0, 50, shape), "naloxone": rng.uniform(0, 5, shape)}
    out = target_signals(concs)
    for name, val in out.items():
        assert np.shape(val) == shape, name
        assert np.all(np.isfinite(val))
    for t in ("MOR", "SERT", "NET", "H1", "mAChR", "alpha1", "Nav"):
        parts = [v for k, v in out.items() if k.startswith(f"occupancy.{t}.")]
        assert_allclose(sum(parts), out[f"occupancy.{t}"], rtol=1e-12)
    # per element equal to the scalar computation
    one = target_signals({k: v[3, 2] for k, v in concs.items()})
    for name in one:
        assert_allclose(out[name][3, 2], one[name], rtol=1e-12)


def test_target_signals_options_and_errors():
    r = np.array([1.0, 0.5])
    out = target_signals({"tianeptine": np.array([300.0, 300.0])}, ["MOR"], MOR={"receptor_available": r})
    assert out["signal.MOR"][1] < out["signal.MOR"][0]
    with pytest.raises(UnknownNameError):
        target_signals({"tianeptine": 1.0}, ["MORR"])
    with pytest.raises(InputError):
        target_signals({"tianeptine": 1.0}, ["MOR"], SERT={"uptake_enhancer": True})
    with pytest.raises(InputError):
        panel({})


def test_panel_from_regimen_uses_steady_state_and_adds_metabolites():
    """A regular regimen gives C_avg,ss = F·D/(CL·τ) at the free site (pk.steady_state); formed metabolites join."""
    from pdsim import pk
    from pdsim.dosing import Regimen

    df = panel({"amitriptyline": Regimen.repeated(dose="25 mg", every="8 h", count=10)})
    ss = pk.steady_state("amitriptyline", 25.0, 8.0, site="free")
    assert df.attrs["concentration_nM"]["amitriptyline"] == pytest.approx(ss.cavg.to("nM").magnitude, rel=1e-12)
    assert "nortriptyline" in df.index and df.loc["nortriptyline", "NET"] > 0
    irregular = Regimen.repeated(dose="25 mg", every="8 h", count=3) + Regimen.single(dose="50 mg", at="30 h")
    with pytest.raises(InputError):
        panel({"amitriptyline": irregular})


def test_panel_metabolite_also_dosed_sums_its_sources():
    """Amitriptyline and nortriptyline both dosed: nortriptyline's steady-state average is what the
    amitriptyline regimen forms plus what its own regimen gives (regression: the formed part was
    dropped). Closed forms: C_avg = F D/(CL τ) for a dosed drug and fm (M_m/M_p) F_p D_p/(CL_m τ_p)
    for the formed metabolite (everything eliminated from the parent passes fm to it), times fu."""
    from pdsim.dosing import Regimen
    from pdsim.pk import pk_model

    df = panel({"amitriptyline": Regimen.repeated(dose="25 mg", every="8 h", count=10),
                "nortriptyline": Regimen.repeated(dose="10 mg", every="24 h", count=10, route="iv_bolus")})
    ami, nor = pk_model("amitriptyline"), pk_model("nortriptyline")
    a, n = catalog.drug("amitriptyline"), catalog.drug("nortriptyline")
    fm = a.pk().metabolites["nortriptyline"].to("dimensionless")
    mm_p, mm_m = a.molar_mass.to("g/mol"), n.molar_mass.to("g/mol")
    formed = fm * (mm_m / mm_p) * ami.F * 25.0 / (nor.CL * 8.0)
    own = 10.0 / (nor.CL * 24.0)
    want = (formed + own) * n.pk().params["fu"].to("dimensionless") * 1e6 / mm_m
    assert df.attrs["concentration_nM"]["nortriptyline"] == pytest.approx(want, rel=1e-10)
    # a concentration the caller gives is the whole: nothing is added to it
    df = panel({"amitriptyline": Regimen.repeated(dose="25 mg", every="8 h", count=10), "nortriptyline": "30 nM"})
    assert df.attrs["concentration_nM"]["nortriptyline"] == pytest.approx(30.0, rel=1e-12)
