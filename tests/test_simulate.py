"""Tests of pdsim.simulate and pdsim.result: the engine agrees with the closed-form PK and the
receptor layer, is seeded and reproducible, and fails loudly."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pdsim
from pdsim import catalog
from pdsim.dosing import Regimen
from pdsim.errors import SolverError, UnknownNameError
from pdsim.pk import concentration
from pdsim.receptors import competitive_occupancy
from pdsim.scenario import Scenario
from pdsim.simulate import simulate


def _sc(arms, duration="2 day", every="1 h", population=None, systems=None):
    d = {"name": "t", "duration": duration, "output_every": every, "arms": arms}
    if population:
        d["population"] = population
    if systems:
        d["systems"] = systems
    return Scenario.from_dict(d)


TIA = {"label": "tia", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]}


def test_plasma_equals_closed_form_pk():
    """The engine's plasma concentration is the exact superposition of pdsim.pk (same model)."""
    r = simulate(_sc([TIA]))
    reg = Regimen.repeated(dose="12.5 mg", every="8 h", count=6, drug="tianeptine")
    ref = concentration("tianeptine", reg, r.time_h, site="plasma").to("nM").magnitude
    assert_allclose(r["plasma.tianeptine"].to("nM").magnitude, ref, rtol=1e-12)
    fu = catalog.drug("tianeptine").pk().params["fu"].to("dimensionless")
    assert_allclose(r.get("free.tianeptine", "tia")[0], ref * fu, rtol=1e-12)


def test_metabolite_is_formed():
    r = simulate(_sc([TIA]))
    assert "plasma.mc5" in r and r.get("plasma.mc5", "tia").max() > 0


def test_occupancy_is_competitive_binding_of_free_drug():
    """occupancy.MOR = (C/K)/(1 + C/K) of the free concentration (Hill-Langmuir; Gassaway 2014 Ki)."""
    r = simulate(_sc([TIA]))
    c = r.get("free.tianeptine", "tia")[0]
    k = catalog.drug("tianeptine").affinity("MOR").to("nM")
    assert_allclose(r.get("occupancy.MOR", "tia")[0], competitive_occupancy({"t": c}, {"t": k})["t"], rtol=1e-10)


def test_two_drugs_compete_at_a_shared_target():
    both = {"label": "both", "doses": TIA["doses"] + [{"drug": "morphine", "dose": "10 mg", "route": "iv_bolus"}]}
    r = simulate(_sc([TIA, both]))
    occ_t_alone = r.get("occupancy.MOR.tianeptine", "tia")[0]
    occ_t_both = r.get("occupancy.MOR.tianeptine", "both")[0]
    assert np.all(occ_t_both <= occ_t_alone + 1e-15) and np.any(occ_t_both < occ_t_alone)
    total = r.get("occupancy.MOR", "both")[0]
    assert_allclose(total, occ_t_both + r.get("occupancy.MOR.morphine", "both")[0], rtol=1e-12)
    assert np.all(total < 1)


def test_population_seeded_and_subject_stable():
    pop = {"size": 20, "seed": 5, "variability": {"tianeptine.CL": 0.3, "tianeptine.V": 0.2}}
    a = simulate(_sc([TIA], population=pop))
    b = simulate(_sc([TIA], population=pop))
    assert_allclose(a.get("plasma.tianeptine", "tia"), b.get("plasma.tianeptine", "tia"), rtol=0, atol=0)
    small = simulate(_sc([TIA], population=dict(pop, size=3)))
    assert_allclose(small.get("plasma.tianeptine", "tia"), a.get("plasma.tianeptine", "tia")[:3], rtol=1e-13)
    other = simulate(_sc([TIA], population=dict(pop, seed=6)))
    assert not np.allclose(other.get("plasma.tianeptine", "tia"), a.get("plasma.tianeptine", "tia"))
    cmax = a.get("plasma.tianeptine", "tia").max(axis=1)
    assert cmax.std() > 0


def test_unknown_variability_parameter():
    with pytest.raises(pdsim.InputError, match="has no PK parameter 'Cl'.*Did you mean 'CL'"):
        simulate(_sc([TIA], population={"size": 3, "variability": {"tianeptine.Cl": 0.3}}))


def test_unknown_system_suggests():
    with pytest.raises(UnknownNameError, match="Did you mean 'onset'"):
        simulate(_sc([TIA], systems=["onsett"]))


def test_dynamic_system_matches_its_closed_form():
    """MOR receptor pool under the engine equals the model's closed form when occupancy is held
    (here: a long infusion reaching a plateau, compared near its end with R* = k_rec/(k_rec + k_des θ))."""
    arm = {"label": "inf", "doses": [{"drug": "morphine", "dose": "200 mg", "route": "iv_infusion", "duration": "200 h"}]}
    r = simulate(_sc([arm], duration="200 h", systems=["mor_tolerance"]))
    from pdsim.targets.opioid import MORTolerance

    m = MORTolerance(drugs=["morphine"], regime="chronic")
    theta = r.get("occupancy.MOR.morphine", "inf")[0, -1]
    assert_allclose(r.get("effect.receptor_available", "inf")[0, -1], m.steady_state(theta), rtol=2e-3)


def test_solver_failure_raises_with_arm(monkeypatch):
    """A state that turns non-finite in the compiled stage stops the run: SolverError names the arm,
    the systems and the step (here the onset system's rate is NaN, so the first step fails)."""
    from pdsim.effects import OnsetModel

    real = OnsetModel.compiled

    def broken(self):
        cs = real(self)
        cs.params[3] = np.nan  # k_A
        return cs

    monkeypatch.setattr(OnsetModel, "compiled", broken)
    with pytest.raises(SolverError, match=r"arm 'tia': the states of 'onset' turned non-finite in the step from t = 0 h"):
        simulate(_sc([TIA], systems=["onset"]))


def test_result_tables(tmp_path):
    r = simulate(_sc([TIA], population={"size": 4, "seed": 1, "variability": {"tianeptine.CL": 0.3}}))
    df = r.to_dataframe(["plasma.tianeptine"])
    assert len(df) == 4 * len(r.time_h)
    assert set(df.columns) == {"arm", "subject", "time_h", "variable", "value", "unit"}
    assert (df["unit"] == "nM").all()
    s = r.summary(["plasma.tianeptine"])
    assert_allclose(s["median"].to_numpy(), np.median(r.get("plasma.tianeptine", "tia"), axis=0))
    p = r.to_csv(tmp_path / "out.csv", ["plasma.tianeptine"])
    assert p.read_text().startswith("arm,subject,time_h,variable,value,unit")
    with pytest.raises(UnknownNameError, match="Did you mean 'plasma.tianeptine'"):
        r["plasma.tianeptin"]
    assert r.parameters and all(p.sources for p in r.parameters.values())


def test_custom_drug_runs_through_targets(tmp_path):
    """A scenario's own drug (inline [drugs.X]) reaches the target layer (regression: the panel
    looked names up in the catalogue only)."""
    import tomllib

    text = '''
name = "custom"
duration = "1 day"
[[arms]]
label = "x"
  [[arms.doses]]
  drug = "teachol"
  dose = "10 mg"
[drugs.teachol]
molar_mass = { value = 300.0, unit = "g/mol", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  [drugs.teachol.pk.human]
  ka = { value = 1.0, unit = "1/h", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  CL = { value = 10.0, unit = "L/h", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  V = { value = 50.0, unit = "L", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  fu = { value = 0.5, unit = "1", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  [drugs.teachol.targets.MOR]
  action = "antagonist"
  measure = "Ki"
  affinity = { value = 10.0, unit = "nM", sources = ["assumption"], kind = "assumed", note = "teaching example" }
'''
    r = simulate(Scenario.from_dict(tomllib.loads(text)))
    c = r.get("free.teachol", "x")[0]
    assert_allclose(r.get("occupancy.MOR", "x")[0], c / (c + 10.0), rtol=1e-12)
    assert "teachol.targets.MOR.affinity" in r.parameters
    with pytest.raises(UnknownNameError):
        catalog.drug("teachol")  # visible only while its scenario runs


def test_parallel_threads_see_their_own_custom_drugs():
    """Regression: the overlay of scenario-defined drugs was process-global, so simulations in
    parallel threads with different overrides of one drug read each other's values."""
    from concurrent.futures import ThreadPoolExecutor

    from pdsim.sweep import override

    base = _sc([TIA])
    scs = [override(base, {"tianeptine.MOR.affinity": k}) for k in (50.0, 400.0, 3000.0, 20000.0)]
    serial = [simulate(s).get("occupancy.MOR", "tia") for s in scs]
    with ThreadPoolExecutor(4) as ex:
        for _ in range(3):
            parallel = list(ex.map(lambda s: simulate(s).get("occupancy.MOR", "tia"), scs))
            for a, b in zip(serial, parallel):
                assert_allclose(a, b, rtol=0, atol=0)


def test_mg_per_kg_without_body_weight_uses_the_species_reference_and_says_so():
    """10 mg/kg i.p. to a rat with no arm body weight: scaled by the rat reference weight (0.25 kg,
    an assumed value in models/species.toml), named in the notes and in the parameter table; with
    body_weight = 0.3 kg the dose grows by 0.3/0.25, but so do the rat's per-kg V and CL
    (models/drugs/tianeptine.toml), so the concentration is unchanged: C = (D/BW)/(V/BW) in each term."""
    arm = {"label": "rat", "species": "rat",
           "doses": [{"drug": "tianeptine", "dose": "10 mg/kg", "route": "ip", "every": "24 h", "count": 2}]}
    r = simulate(_sc([arm]))
    assert any("reference body weight, 0.25 kg" in n and "body_weight" in n for n in r.notes)
    assert r.parameters["species.rat.body_weight"].kind == "assumed"
    heavy = simulate(_sc([dict(arm, body_weight="0.3 kg")]))
    assert not any("reference body weight" in n for n in heavy.notes)
    assert "species.rat.body_weight" not in heavy.parameters
    c, ch = r.get("plasma.tianeptine", "rat")[0], heavy.get("plasma.tianeptine", "rat")[0]
    assert c.max() > 0
    assert_allclose(ch, c, rtol=1e-12)


# ------------------------------------------------------------------ metabolites with several sources
def _tri(rates, t):
    """sum_i e^{-r_i t} / prod_{j != i} (r_j - r_i): the amount in the last of a chain of first-order
    steps after a unit input into the first (distinct rates; the Bateman function for two)."""
    out = 0.0
    for i, ri in enumerate(rates):
        den = np.prod([rj - ri for j, rj in enumerate(rates) if j != i])
        out = out + np.exp(-ri * t) / den
    return out


def test_dosed_metabolite_also_formed_sums_both_sources():
    """Amitriptyline orally and nortriptyline i.v. in one arm: plasma nortriptyline is what the
    amitriptyline dose forms plus what the i.v. dose gives (linear PK superposes; regression: the
    formed part was dropped, 0.43-0.50 of the plasma level). Closed forms (Houston 1981,
    Pharmacol Ther 15:521): an i.v. bolus D gives D/V e^{-k t}; an oral parent dose D_p forms
    A_m = fm (M_m/M_p) k_10 F D_p k_a Σ_d w_d Σ_i e^{-λ_i t}/Π_{j≠i}(λ_j - λ_i) over λ = (k_a, λ_d, k_m),
    λ_d and w_d the parent's two disposition rates and bolus weights."""
    from pdsim.pk import pk_model

    arm = {"label": "both", "doses": [{"drug": "amitriptyline", "dose": "75 mg"},
                                      {"drug": "nortriptyline", "dose": "10 mg", "route": "iv_bolus", "start": "5 h"}]}
    r = simulate(_sc([arm]))
    t = r.time_h
    ami, nor = pk_model("amitriptyline"), pk_model("nortriptyline")
    # amitriptyline has two compartments (Gibaldi & Perrier 1982, ch. 2): its central amount after a unit
    # bolus is w_a e^{-alpha t} + w_b e^{-beta t}, w_a = (alpha - k21)/(alpha - beta), w_b = (k21 - beta)/(alpha - beta)
    kp, k12, k21, km = ami.CL / ami.V, ami.Q / ami.V, ami.Q / ami.V2, nor.CL / nor.V
    s_ = kp + k12 + k21
    alpha, beta = 0.5 * (s_ + np.sqrt(s_ * s_ - 4 * kp * k21)), 0.5 * (s_ - np.sqrt(s_ * s_ - 4 * kp * k21))
    w_a, w_b = (alpha - k21) / (alpha - beta), (k21 - beta) / (alpha - beta)
    fm = catalog.drug("amitriptyline").pk().metabolites["nortriptyline"].to("dimensionless")
    mm_p, mm_m = (catalog.drug(d).molar_mass.to("g/mol") for d in ("amitriptyline", "nortriptyline"))
    formed = fm * (mm_m / mm_p) * kp * ami.F * 75.0 * ami.ka * (w_a * _tri([ami.ka, alpha, km], t)
                                                                  + w_b * _tri([ami.ka, beta, km], t))
    given = np.where(t >= 5.0, 10.0 * np.exp(-km * (t - 5.0)), 0.0)
    want = (formed + given) / nor.V * 1e6 / mm_m
    assert_allclose(r.get("plasma.nortriptyline", "both")[0], want, rtol=1e-10, atol=1e-12 * want.max())
    assert formed[-1] / (formed[-1] + given[-1]) > 0.3  # the part the old engine lost is not small


def _drug_toml(name: str, cl: float, v: float, metabolites: dict[str, float] | None = None) -> dict:
    a = {"sources": ["assumption"], "kind": "assumed", "note": "test drug"}
    pk = {"CL": {"value": cl, "unit": "L/h", **a}, "V": {"value": v, "unit": "L", **a}, "fu": {"value": 0.5, "unit": "1", **a}}
    if metabolites:
        pk["metabolites"] = {m: {"value": fm, "unit": "1", **a} for m, fm in metabolites.items()}
    return {"molar_mass": {"value": 300.0, "unit": "g/mol", **a}, "pk": {"human": pk}}


def test_metabolite_of_scenario_drugs_formed_by_two_parents():
    """A metabolite declared only in the scenario's own drug files is formed, and from both parents
    that form it (regression: never formed; and a second parent was ignored). Two i.v. parents:
    A_m = Σ_parents fm_p k_p D_p (e^{-k_p t} - e^{-k_m t})/(k_m - k_p) (equal molar masses)."""
    drugs = {"par_a": _drug_toml("par_a", 10.0, 50.0, {"met_c": 0.4}),
             "par_b": _drug_toml("par_b", 4.0, 40.0, {"met_c": 0.25}),
             "met_c": _drug_toml("met_c", 3.0, 60.0)}
    arm = {"label": "two", "doses": [{"drug": "par_a", "dose": "20 mg", "route": "iv_bolus"},
                                     {"drug": "par_b", "dose": "30 mg", "route": "iv_bolus", "start": "3 h"}]}
    sc = Scenario.from_dict({"name": "two parents", "duration": "2 day", "output_every": "1 h", "arms": [arm],
                             "drugs": drugs})
    r = simulate(sc)
    t = r.time_h
    km = 3.0 / 60.0
    amount = 0.4 * (10.0 / 50.0) * 20.0 * _tri([10.0 / 50.0, km], t)
    tb = np.maximum(t - 3.0, 0.0)
    amount = amount + np.where(t >= 3.0, 0.25 * (4.0 / 40.0) * 30.0 * _tri([4.0 / 40.0, km], tb), 0.0)
    assert_allclose(r.get("plasma.met_c", "two")[0], amount / 60.0 * 1e6 / 300.0, rtol=1e-10)


# ------------------------------------------------------------------ the system registry
def test_system_names_checked_when_the_scenario_loads():
    """An unknown system name fails at load (not at simulate), naming the key and the closest system."""
    with pytest.raises(UnknownNameError, match=r"scenario key `systems\[0\]`: unknown system 'hpaa'\. Did you mean 'hpa'"):
        Scenario.from_dict({"name": "x", "duration": "1 day", "systems": ["hpaa"], "arms": [{"label": "a"}]})
    with pytest.raises(UnknownNameError, match=r"scenario key `arms\[0\]\.systems\[0\]` \(arm 'a'\): unknown system 'bdfn'\. Did you mean 'bdnf'"):
        Scenario.from_dict({"name": "x", "duration": "1 day", "arms": [{"label": "a", "systems": ["bdfn"]}]})


def test_list_systems_prints_what_simulate_accepts(capsys):
    """`pdsim list systems` lists the registry: every name it prints loads and simulates."""
    from pdsim.cli import main
    from pdsim.simulate import SYSTEMS

    assert main(["list", "systems"]) == 0
    printed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert printed == list(SYSTEMS)
    assert set(printed) == {"mao", "mor_tolerance", "tolerance", "hpa", "bdnf", "plasticity", "onset",
                            "reference_tolerance_turnover"}
    arm = {"label": "a", "doses": [{"drug": "tianeptine_like", "dose": "12.5 mg"}]}
    for name in printed:
        systems = ["bdnf", name] if name == "plasticity" else [name]
        r = simulate(_sc([arm], duration="6 h", systems=systems))
        assert any(k.startswith("effect.") for k in r.data), name
