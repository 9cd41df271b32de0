"""SBML export: the document passes libsbml's consistency checks (units included), and libRoadRunner
simulating it reproduces pdsim's own Result for every variable it holds; what it cannot hold is refused by name."""
from __future__ import annotations

import textwrap
from dataclasses import replace

import libsbml  # the sbml extra; the dev extras install it and libRoadRunner
import numpy as np
import pytest
import roadrunner

import pdsim
from pdsim.errors import InputError
from pdsim.sbml import exported_variables, sbml_id, scenario_to_sbml

#: relative agreement asked of the SBML model against pdsim, pointwise; values below FLOOR of the
#: variable's peak are compared to that floor (a quantity crossing zero, such as R - 1, has no
#: relative error there)
RTOL = 1e-5
FLOOR = 1e-3


def _issues(text: str) -> list[str]:
    doc = libsbml.readSBMLFromString(text)
    n = doc.checkConsistency()
    return [f"{doc.getError(i).getSeverityAsString()}: {doc.getError(i).getMessage().strip()[:300]}" for i in range(n)]


def _compare(sc, label: str, text: str, systems: bool = True) -> tuple[float, list[str]]:
    """Worst pointwise relative error over every exported variable, and those variables."""
    one = replace(sc, arms=tuple(a for a in sc.arms if a.label == label))
    if not systems:
        one = replace(one, systems=())
    res = pdsim.simulate(one)
    names = exported_variables(text)
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    out = rr.simulate(0.0, sc.duration, sc.n_times, selections=["time"] + [sbml_id(v) for v in names])
    np.testing.assert_allclose(out[:, 0], res.time_h, rtol=0, atol=1e-9)
    worst = 0.0
    for j, v in enumerate(names):
        ref = res.get(v)[0]
        got = out[:, j + 1]
        floor = FLOOR * max(np.max(np.abs(ref)), 1e-300)
        err = np.max(np.abs(got - ref) / np.maximum(np.abs(ref), floor))
        assert err <= RTOL, f"{label}: {v} differs by {err:.2e} (relative)"
        worst = max(worst, err)
    missing = sorted(k for k in res.data if k not in names)
    assert not missing, f"{label}: pdsim has {missing} but the SBML model does not"
    return worst, names


@pytest.mark.parametrize("label", ["Tianeptine 12.5 mg three times daily", "Amitriptyline 75 mg once daily",
                                   "Escitalopram 10 mg once daily"])
def test_demo_arms_round_trip_through_roadrunner(label):
    """Every variable of each demo arm (PK, occupancy, signals and the onset system) is reproduced."""
    sc = pdsim.load_scenario("demo")
    text = scenario_to_sbml(sc, label)
    assert _issues(text) == []  # no error and no warning, units included
    worst, names = _compare(sc, label, text)
    assert any(n.startswith("occupancy.") for n in names) and any(n.startswith("signal.") for n in names)
    assert {"effect.autoreceptor_sensitivity", "effect.antidepressant_index"} <= set(names)
    doc = libsbml.readSBMLFromString(text)
    m = doc.getModel()
    assert m.getNumEvents() >= 28
    # the sources travel as annotations: e.g. the drug's clearance names its references
    drug = label.split()[0].lower()
    ann = m.getParameter(f"{drug}_CL").getAnnotationString()
    assert "urn:pdsim:provenance:1" in ann and pdsim.drug(drug).pk("human").params["CL"].sources[0] in ann


#: a scenario-defined MOR antagonist with a brain-to-plasma ratio (values are test inputs, not data)
_INLINE = {
    "name": "kinetic",
    "molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"], "kind": "assumed", "note": "test"},
    "pk": {"human": {
        "model": "one_compartment",
        **{k: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "test"}
           for k, v, u in (("ka", 1.3, "1/h"), ("F", 0.8, "1"), ("tlag", 0.25, "h"), ("CL", 9.0, "L/h"),
                           ("V", 40.0, "L"), ("fu", 0.4, "1"), ("kp_uu", 0.5, "1"))},
    }},
    "targets": {"MOR": {"action": "antagonist", "measure": "Ki", "affinity": {
        "value": 50.0, "unit": "nM", "sources": ["assumption"], "kind": "assumed", "note": "test"}}},
}


def test_routes_sites_and_competition():
    """iv bolus, iv infusion and oral morphine (effect site, ke0) with naloxone and a scenario-defined
    antagonist (brain unbound via kp_uu, oral with lag) competing at MOR, site = brain: all reproduced."""
    sc = pdsim.Scenario.from_dict({
        "name": "routes", "duration": "36 h", "output_every": "0.25 h", "site": "brain",
        "drugs": {"kinetic": _INLINE},
        "arms": [{"label": "morphine and antagonists", "doses": [
            {"drug": "morphine", "dose": "5 mg", "route": "iv_bolus", "start": "1 h"},
            {"drug": "morphine", "dose": "10 mg", "route": "iv_infusion", "duration": "3 h", "every": "12 h",
             "count": 2, "start": "2.5 h"},
            {"drug": "morphine", "dose": "20 mg", "every": "8 h", "count": 4},
            {"drug": "naloxone", "dose": "0.4 mg", "route": "iv_bolus", "start": "6 h"},
            {"drug": "kinetic", "dose": "40 mg", "every": "12 h", "count": 3, "start": "0.5 h"},
        ]}],
    })
    text = scenario_to_sbml(sc)
    assert _issues(text) == []
    _, names = _compare(sc, "morphine and antagonists", text)
    assert {"brain.kinetic", "biophase.morphine", "occupancy.MOR.naloxone", "occupancy.MOR.kinetic",
            "signal.MOR"} <= set(names)


def test_rat_ip_per_kg_doses(tmp_path):
    path = tmp_path / "rat.toml"
    path.write_text(textwrap.dedent("""\
        name = "rat ip"
        duration = "3 day"
        output_every = "0.5 h"
        [[arms]]
        label = "tianeptine ip"
        species = "rat"
        body_weight = "0.3 kg"
          [[arms.doses]]
          drug = "tianeptine"
          dose = "10 mg/kg"
          route = "ip"
          every = "24 h"
          count = 3
        """))
    sc = pdsim.load_scenario(path)
    text = scenario_to_sbml(sc)
    assert _issues(text) == []
    _compare(sc, "tianeptine ip", text)


@pytest.mark.parametrize("label", ["Therapeutic 12.5 mg x3/day", "Misuse 2 g x4/day"])
def test_tolerance_systems_round_trip(label):
    """MOR desensitisation rescaling the MOR signal, the moderator tolerance model and onset, chained."""
    sc = pdsim.load_scenario("tianeptine_therapeutic_vs_misuse")
    text = scenario_to_sbml(sc, label)
    assert _issues(text) == []
    _, names = _compare(sc, label, text)
    assert {"effect.receptor_available", "effect.mor_moderator", "effect.withdrawal", "signal.MOR"} <= set(names)


def test_stress_protocol_hpa_bdnf_plasticity_round_trip():
    """Rat chronic restraint (6 h/day, as events), tianeptine 10 mg/kg i.p. daily: the HPA axis, BDNF
    signalling and plasticity states all reproduced."""
    sc = pdsim.load_scenario("chronic_restraint_tianeptine")
    label = "Restraint + tianeptine 10 mg/kg"
    text = scenario_to_sbml(sc, label)
    assert _issues(text) == []
    _, names = _compare(sc, label, text)
    assert {"stress", "effect.corticosterone", "effect.adrenal_mass", "effect.bdnf_hippocampus",
            "effect.ca3_dendrite_length", "effect.crh_drive"} <= set(names)


def test_reference_benchmark_system_round_trip():
    """The reference benchmark scenario (one subject: its population varies PK, which SBML refuses)."""
    sc = pdsim.load_scenario("reference_population")
    one = replace(sc, population=pdsim.Population(size=1))
    label = one.arms[0].label
    text = scenario_to_sbml(one)
    assert _issues(text) == []
    _, names = _compare(one, label, text)
    assert {"biophase.tianeptine_like", "effect.reference_tolerance", "effect.reference_turnover"} <= set(names)
    with pytest.raises(InputError, match="population variability"):
        scenario_to_sbml(sc)


def test_systems_left_out_on_request():
    sc = pdsim.load_scenario("demo")
    label = "Escitalopram 10 mg once daily"
    text = scenario_to_sbml(sc, label, include_systems=False)
    assert _issues(text) == []
    _, names = _compare(sc, label, text, systems=False)
    assert not any(n.startswith("effect.") for n in names)
    assert "onset" in libsbml.readSBMLFromString(text).getModel().getNotesString()  # what was left out


def test_refusals_name_the_feature(tmp_path, monkeypatch):
    sc = pdsim.load_scenario("demo")
    with pytest.raises(InputError, match="3 arms"):
        scenario_to_sbml(sc)
    import pdsim.sbml as sbml

    # every engine system has a translation today; one without is refused by name
    monkeypatch.delitem(sbml._SYSTEMS, "onset")
    with pytest.raises(InputError, match="downstream system 'onset' cannot be expressed in SBML"):
        scenario_to_sbml(sc, "Escitalopram 10 mg once daily")
    with pytest.raises(InputError, match="no arm 'nope'"):
        scenario_to_sbml(sc, "nope")
    pop = replace(sc, population=pdsim.Population(size=10, seed=1, variability={"escitalopram.CL": 0.3}))
    with pytest.raises(InputError, match="population variability"):
        scenario_to_sbml(pop, "Escitalopram 10 mg once daily", include_systems=False)


def test_cli_export(tmp_path, capsys):
    from pdsim.cli import main

    out = tmp_path / "sub" / "esc.xml"
    assert main(["export", "sbml", "demo", "--arm", "Escitalopram 10 mg once daily", "--out", str(out)]) == 0
    text = out.read_text()
    assert _issues(text) == [] and "occupancy__SERT" in text and "effect__antidepressant_index" in text
    assert main(["export", "sbml", "reference_population", "--out", str(out)]) == 2
    assert "population variability" in capsys.readouterr().err


def test_sbml_ids():
    assert sbml_id("occupancy.MOR.tianeptine") == "occupancy__MOR__tianeptine"
    assert sbml_id("5ht") == "_5ht"  # an SBML id cannot start with a digit
    # a hyphen (target 5-HT2C) is spelled out, so the exported variable reads back as it was
    assert sbml_id("occupancy.5-HT2C.fluoxetine") == "occupancy__5_hyphen_HT2C__fluoxetine"


def test_a_hyphenated_target_reads_back_from_the_export():
    """Fluoxetine at 5-HT2C (palvimaki1996): the exported variable names are pdsim's, hyphen included."""
    sc = pdsim.Scenario.from_dict({"name": "t", "duration": "2 day", "output_every": "1 h", "targets": ["5-HT2C"],
                             "arms": [{"label": "a", "doses": [{"drug": "fluoxetine", "dose": "20 mg"}]}]})
    names = exported_variables(scenario_to_sbml(sc))
    assert {"occupancy.5-HT2C", "occupancy.5-HT2C.fluoxetine", "occupancy.5-HT2C.norfluoxetine"} <= set(names)


# --- in-vivo target engagement (PET/SPECT curves, pdsim.targets.engagement) ----------------------------
def _provenance(m, pid: str) -> str:
    return m.getParameter(pid).getAnnotationString()


def test_escitalopram_curve_with_its_own_effect_site():
    """Escitalopram's SERT SPECT curve (EC50 in ng/mL, Emax, its own ke0): the effect site of the curve
    is a rate rule on total plasma, x = C_e/EC50, occupancy Emax x/(1 + x); reproduced with its sources."""
    sc = pdsim.load_scenario("demo")
    label = "Escitalopram 10 mg once daily"
    text = scenario_to_sbml(sc, label)
    assert _issues(text) == []
    _, names = _compare(sc, label, text)
    assert {"occupancy.SERT.escitalopram", "signal.SERT", "effect.antidepressant_index"} <= set(names)
    m = libsbml.readSBMLFromString(text).getModel()
    curve = pdsim.drug("escitalopram").targets["SERT"].params
    ce = "escitalopram_SERT_in_vivo_effect_site"
    assert m.getRateRule(ce) is not None and "escitalopram_SERT_in_vivo_ke0" in libsbml.formulaToL3String(
        m.getRateRule(ce).getMath())
    assert m.getParameter("escitalopram_SERT_in_vivo_ke0").getValue() == pytest.approx(curve["in_vivo.ke0"].to("1/h"))
    assert m.getParameter("Emax_SERT_escitalopram").getValue() == pytest.approx(curve["in_vivo.Emax"].to("dimensionless"))
    # EC50 is given in ng/mL: converted with the molar mass, both cited
    ann = _provenance(m, "EC50_SERT_escitalopram")
    assert all(s in ann for s in curve["in_vivo.EC50"].sources) and "molar mass" in ann
    assert all(s in _provenance(m, "escitalopram_SERT_in_vivo_ke0") for s in curve["in_vivo.ke0"].sources)
    # no in-vitro constant at SERT: the curve replaced it (as the engine's parameter list does)
    assert m.getParameter("K_SERT_escitalopram") is None
    assert "Target engagement in vivo" in m.getNotesString()


def _competition(engagement: str):
    """Three SSRIs (escitalopram with a ke0 curve, sertraline, fluoxetine forming norfluoxetine: curves on
    plasma) and amitriptyline (-> nortriptyline; no PET curve: in-vitro K on the unbound concentration)
    competing at SERT; at NET only nortriptyline has a curve; H1 and the other targets have none."""
    return pdsim.Scenario.from_dict({
        "name": f"ssri competition {engagement}", "duration": "7 day", "output_every": "1 h",
        "engagement": engagement, "systems": ["onset"],
        "arms": [{"label": "four antidepressants", "doses": [
            {"drug": "escitalopram", "dose": "10 mg", "every": "24 h", "count": 7},
            {"drug": "sertraline", "dose": "50 mg", "every": "24 h", "count": 7, "start": "2 h"},
            {"drug": "fluoxetine", "dose": "20 mg", "every": "24 h", "count": 7, "start": "4 h"},
            {"drug": "amitriptyline", "dose": "25 mg", "every": "8 h", "count": 21},
        ]}],
    })


def test_ssri_competition_in_vivo():
    sc = _competition("in_vivo")
    text = scenario_to_sbml(sc)
    assert _issues(text) == []
    _, names = _compare(sc, "four antidepressants", text)
    ligands = ("escitalopram", "sertraline", "fluoxetine", "norfluoxetine", "amitriptyline", "nortriptyline")
    assert {f"occupancy.SERT.{d}" for d in ligands} <= set(names)
    m = libsbml.readSBMLFromString(text).getModel()
    for d in ligands[:4]:  # PET curves
        assert m.getParameter(f"EC50_SERT_{d}") is not None and m.getParameter(f"K_SERT_{d}") is None
    for d in ligands[4:]:  # no curve: in-vitro K on the unbound concentration, competing for the same sites
        assert m.getParameter(f"K_SERT_{d}") is not None and m.getParameter(f"EC50_SERT_{d}") is None
        assert f"free__{d}" in libsbml.formulaToL3String(m.getAssignmentRule(f"x_SERT_{d}").getMath())
    # only escitalopram's curve has its own effect site; at NET nortriptyline has a PET curve (Takano 2014)
    # and amitriptyline competes for the same sites through its in-vitro K on the unbound concentration
    assert [m.getRule(i).getVariable() for i in range(m.getNumRules()) if m.getRule(i).isRate()
            and "in_vivo" in m.getRule(i).getVariable()] == ["escitalopram_SERT_in_vivo_effect_site"]
    assert m.getParameter("EC50_NET_nortriptyline") is not None and m.getParameter("K_NET_nortriptyline") is None
    assert m.getParameter("K_NET_amitriptyline") is not None and m.getParameter("EC50_NET_amitriptyline") is None
    assert "free__amitriptyline" in libsbml.formulaToL3String(m.getAssignmentRule("x_NET_amitriptyline").getMath())


def test_in_vitro_engagement_keeps_the_in_vitro_layer():
    """engagement = "in_vitro": every occupancy from K on the unbound concentration, no curve in the model,
    reproduced; and the SERT occupancy really differs from the in-vivo export (the key is honoured)."""
    vitro, vivo = _competition("in_vitro"), _competition("in_vivo")
    text = scenario_to_sbml(vitro)
    assert _issues(text) == []
    _compare(vitro, "four antidepressants", text)
    m = libsbml.readSBMLFromString(text).getModel()
    assert not [m.getParameter(i).getId() for i in range(m.getNumParameters())
                if m.getParameter(i).getId().startswith(("EC50_", "Emax_", "x_"))]
    assert m.getParameter("K_SERT_escitalopram") is not None
    assert "Target engagement in vitro" in m.getNotesString()

    def sert(doc: str) -> np.ndarray:
        return roadrunner.RoadRunner(doc).simulate(0.0, vitro.duration, vitro.n_times,
                                                   selections=["occupancy__SERT__escitalopram"])[:, 0]

    a, b = sert(text), sert(scenario_to_sbml(vivo))
    assert np.max(np.abs(a - b)) > 0.05  # the two engagements are different models


def test_fluoxetine_washout_with_listed_targets():
    """antidepressant_classes (engagement in_vivo, a target list): fluoxetine and norfluoxetine curves, and
    listed targets no ligand binds (their drug-free signal: 1 for NET's amine index, 0 for H1)."""
    sc = pdsim.load_scenario("antidepressant_classes")
    label = "Fluoxetine 20 mg/day, stopped at week 4 (SSRI)"
    text = scenario_to_sbml(sc, label)
    assert _issues(text) == []
    _, names = _compare(sc, label, text)
    assert {"occupancy.SERT.norfluoxetine", "signal.H1", "signal.mAChR"} <= set(names)


#: a scenario-defined MOR agonist with an in-vivo curve at MOR (values are test inputs, not data)
_MOR_CURVE = {**_INLINE, "name": "mor_curve", "targets": {"MOR": {
    "action": "agonist", "measure": "Ki",
    "affinity": {"value": 50.0, "unit": "nM", "sources": ["assumption"], "kind": "assumed", "note": "test"},
    "tau": {"value": 5.0, "unit": "1", "sources": ["assumption"], "kind": "assumed", "note": "test"},
    "in_vivo": {k: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "test"}
                for k, v, u in (("EC50", 80.0, "nM"), ("Emax", 0.9, "1"))}}}}


def test_in_vivo_curve_at_an_opioid_receptor_is_refused():
    """The engine defines in-vivo engagement only where the signal is a function of occupancy; the export
    refuses an opioid curve by name, and exports the same arm with engagement = "in_vitro"."""
    def scenario(engagement: str):
        return pdsim.Scenario.from_dict({
            "name": "mor curve", "duration": "2 day", "output_every": "0.5 h", "engagement": engagement,
            "drugs": {"mor_curve": _MOR_CURVE},
            "arms": [{"label": "a", "doses": [{"drug": "mor_curve", "dose": "40 mg", "every": "12 h", "count": 4}]}],
        })

    with pytest.raises(InputError, match=r"in-vivo engagement at 'MOR' \(opioid family\) cannot be expressed in SBML"):
        scenario_to_sbml(scenario("in_vivo"))
    sc = scenario("in_vitro")
    text = scenario_to_sbml(sc)
    assert _issues(text) == []
    _, names = _compare(sc, "a", text)
    assert "signal.MOR" in names


def _shipped_arms() -> list[tuple[str, str]]:
    from pdsim import catalog

    return [(name, arm.label) for name in catalog.scenarios()
            for arm in pdsim.load_scenario(name).arms]


@pytest.mark.slow
@pytest.mark.parametrize("name,label", _shipped_arms())
def test_every_shipped_scenario_round_trips(name, label):
    """Every arm of every shipped scenario and study design (one typical subject: SBML refuses population variability)
    exports without a libsbml issue and libRoadRunner reproduces each variable within RTOL."""
    from pdsim.scenario import Population

    sc = replace(pdsim.load_scenario(name), population=Population())
    text = scenario_to_sbml(sc, label)
    assert not _issues(text)
    _compare(sc, label, text)
