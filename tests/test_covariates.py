"""Patient covariates (pdsim/covariates.py): relations against closed forms, the arm's `patient` and the
population's draws through `pdsim.simulate`, and every bad input with its located error."""
from __future__ import annotations

import copy
import math

import pytest
from numpy.testing import assert_allclose

import pdsim
from pdsim import catalog
from pdsim.covariates import Patient, apply, check_attribute, draw_covariates
from pdsim.pk import pk_model
from pdsim.errors import InputError, ModelFileError
from pdsim.scenario import Arm, Scenario, load_scenario

#: a one-compartment drug with absolute-unit CL and V and one relation of each form
DRUG = """
name = "covdrug"
molar_mass = { value = 300, unit = "g/mol", sources = ["assumption"], kind = "assumed", note = "test" }
[pk.human]
model = "one_compartment"
ka = { value = 1.0, unit = "1/h", sources = ["assumption"], kind = "assumed", note = "test" }
CL = { value = 10.0, unit = "L/h", sources = ["assumption"], kind = "assumed", note = "test" }
V = { value = 100.0, unit = "L", sources = ["assumption"], kind = "assumed", note = "test" }
fu = { value = 0.5, unit = "1", sources = ["assumption"], kind = "assumed", note = "test" }
[pk.human.covariates.CL_weight]
parameter = "CL"
covariate = "weight"
form = "power"
reference = { value = 70, unit = "kg", sources = ["holford1996"], kind = "assumed", note = "test" }
exponent = { value = 0.75, unit = "1", sources = ["holford1996"], kind = "assumed", note = "test" }
[pk.human.covariates.V_weight]
parameter = "V"
covariate = "weight"
form = "power"
reference = { value = 70, unit = "kg", sources = ["holford1996"], kind = "assumed", note = "test" }
exponent = { value = 1.0, unit = "1", sources = ["holford1996"], kind = "assumed", note = "test" }
[pk.human.covariates.CL_crcl]
parameter = "CL"
covariate = "renal_crcl"
form = "linear"
reference = { value = 100, unit = "mL/min", sources = ["assumption"], kind = "assumed", note = "test" }
slope = { value = 0.005, unit = "min/mL", sources = ["assumption"], kind = "assumed", note = "test" }
[pk.human.covariates.CL_age]
parameter = "CL"
covariate = "age"
form = "step"
threshold = { value = 65, unit = "year", sources = ["assumption"], kind = "assumed", note = "test" }
ratio = { value = 0.5, unit = "1", sources = ["assumption"], kind = "assumed", note = "test" }
[pk.human.covariates.CL_hepatic]
parameter = "CL"
covariate = "hepatic"
form = "table"
reference = "normal"
child_pugh_b = { value = 0.6, unit = "1", sources = ["assumption"], kind = "assumed", note = "test" }
"""


@pytest.fixture()
def covdrug(tmp_path):
    p = tmp_path / "covdrug.toml"
    p.write_text(DRUG, encoding="utf-8")
    return catalog.load_drug_file(p, catalog.registry()), p


def _kw(drug):
    return pk_model(drug).kwargs()


# --- the relations against closed forms -------------------------------------------------------------------
def test_allometric_clearance_at_twice_the_weight_is_2_to_the_0_75(covdrug):
    """Holford 1996: CL ∝ W^0.75, V ∝ W; at 140 kg against the 70 kg reference, CL x 2^0.75, V x 2."""
    dr, _ = covdrug
    kw, applied, _ = apply(dr, "human", _kw(dr), {"weight": 140.0})
    assert kw["CL"] == pytest.approx(10.0 * 2 ** 0.75, rel=1e-14)
    assert kw["V"] == pytest.approx(200.0, rel=1e-14)
    assert {a.relation.name for a in applied} == {"CL_weight", "V_weight"}


def test_linear_step_and_table_forms(covdrug):
    dr, _ = covdrug
    kw, _, _ = apply(dr, "human", _kw(dr), {"renal_crcl": 40.0, "age": 70.0, "hepatic": "child_pugh_b"})
    assert kw["CL"] == pytest.approx(10.0 * (1 + 0.005 * (40 - 100)) * 0.5 * 0.6, rel=1e-14)
    kw, _, _ = apply(dr, "human", _kw(dr), {"age": 64.999})  # below the step: unchanged
    assert kw["CL"] == 10.0


def test_a_class_the_table_leaves_out_is_noted_not_ignored(covdrug):
    dr, _ = covdrug
    kw, applied, notes = apply(dr, "human", _kw(dr), {"hepatic": "child_pugh_c", "sex": "female"})
    assert kw["CL"] == 10.0 and not applied
    assert any("child_pugh_c" in n for n in notes) and any("no relation on sex" in n for n in notes)


def test_linear_relation_refuses_a_factor_at_or_below_zero(covdrug):
    """1 + s (x - x_ref) with s = 0.02 per mL/min and x_ref = 100 mL/min is -0.2 at 40 mL/min: refused, not clipped."""
    from dataclasses import replace

    from pdsim.provenance import Parameter

    dr, _ = covdrug
    rel = dr.pk("human").covariates[2]
    steep = Parameter(value=0.02, unit="min/mL", sources=("assumption",), kind="assumed", note="t")
    with pytest.raises(InputError, match="factor <= 0 at renal_crcl = 40 mL/min"):
        replace(rel, coefficients={**rel.coefficients, "slope": steep}).factor(40.0)


def test_steady_state_trough_of_a_one_compartment_model_matches_the_closed_form(covdrug, tmp_path):
    """Oral one-compartment at steady state, dose D every tau (Gibaldi & Perrier, Pharmacokinetics 2nd ed.):
    C(t) = F D ka / (V (ka - k)) [e^{-k t}/(1 - e^{-k tau}) - e^{-ka t}/(1 - e^{-ka tau})], t since the
    last dose; the trough is t = tau. With weight 105 kg (1.5x the reference) CL x 1.5^0.75 and V x 1.5."""
    _, path = covdrug
    sc = Scenario.from_dict({
        "name": "trough", "duration": "20 day", "output_every": "1 h", "drug_files": [str(path)],
        "arms": [{"label": "heavy", "patient": {"weight": "105 kg"},
                  "doses": [{"drug": "covdrug", "dose": "100 mg", "every": "12 h", "count": 40}]}]})
    r = pdsim.simulate(sc)
    cl, v, ka, tau, dose = 10.0 * 1.5 ** 0.75, 150.0, 1.0, 12.0, 100.0
    k = cl / v
    trough = dose * ka / (v * (ka - k)) * (math.exp(-k * tau) / (1 - math.exp(-k * tau))
                                           - math.exp(-ka * tau) / (1 - math.exp(-ka * tau)))  # mg/L
    got = r.get("plasma.covdrug", arm="heavy")[0][r.time_h == 19 * 24 + 12][0] * 300 / 1e6  # nM -> mg/L
    assert got == pytest.approx(trough, rel=1e-9)
    assert any(f"covdrug CL 10 -> {cl:.4g} L/h" in n for n in r.notes), r.notes


# --- the catalogue's relations and the elderly study -----------------------------------------------------
def test_tianeptine_age_relation_gives_royer_1988_one_hour_longer_half_life():
    """Royer 1988: elimination half-life about 1 h longer in the elderly. The age relation's ratio
    (0.590) was derived so that the model's terminal half-life goes from 2.5 h to 3.5 h."""
    base = pk_model("tianeptine")
    kw, _, _ = apply(catalog.drug("tianeptine"), "human", base.kwargs(), {"age": 76.0})
    old = type(base)(**base.kwargs())
    new = type(base)(**kw)
    assert new.half_life - old.half_life == pytest.approx(1.0, abs=0.01)


def test_elderly_tianeptine_steady_state_reproduces_through_simulate():
    """elderly_pk_tianeptine (12 patients 72-81 y, 12.5 mg three times daily): day-5 trough 68 ± 41 and
    peak 405 ± 202 ng/mL; MC5 121 ± 64 and 175 ± 85 ng/mL. Run as users run it (the study scenario, an
    arm with patient = { age = "76 year" }); each simulated value must lie within mean ± SD."""
    from pdsim.checks.patients import ELDERLY, PUBLISHED, levels

    for drug, pub in PUBLISHED.items():
        got = levels(drug, ELDERLY)
        for k, (m, s) in pub.items():
            assert m - s <= got[k] <= m + s, f"{drug} {k} = {got[k]:.1f} ng/mL, published {m} ± {s}"


def test_notes_and_parameter_table_state_the_applied_values():
    sc = load_scenario("studies/elderly_tianeptine_human")
    from pdsim.simulate import scenario_parameters

    params = scenario_parameters(sc)
    key = "tianeptine.pk.human.CL[Elderly (76 y), 12.5 mg every 8 h]"
    assert params[key].value == pytest.approx(13.8 * 0.590, rel=1e-12)
    assert "royer1988" in params[key].sources and params[key].kind == "derived"
    table = pdsim.sources("studies/elderly_tianeptine_human")
    assert key in set(table.iloc[:, 0]) or key in set(table.index)


# --- population draws ------------------------------------------------------------------------------------
def test_drawn_ages_are_a_truncated_normal_reproducible_per_subject():
    spec = {"age": {"mean": 76.0, "sd": 3.0, "min": 72.0, "max": 81.0},
            "sex": {"classes": {"male": 0.25, "female": 0.75}}}
    big = draw_covariates(spec, 20000, seed=3)
    small = draw_covariates(spec, 10, seed=3)
    assert_allclose(small["age"], big["age"][:10], rtol=0, atol=0)
    assert big["age"].min() >= 72 and big["age"].max() <= 81
    from scipy.stats import truncnorm

    tn = truncnorm((72 - 76) / 3, (81 - 76) / 3, loc=76, scale=3)
    assert big["age"].mean() == pytest.approx(tn.mean(), abs=4 * tn.std() / math.sqrt(20000))
    assert (big["sex"] == "female").mean() == pytest.approx(0.75, abs=4 * math.sqrt(0.75 * 0.25 / 20000))


def test_population_covariates_act_per_subject_through_simulate():
    """Ages drawn around the 70-year step: subjects >= 70 get tianeptine CL x 0.590, the others none."""
    d = {"name": "pop", "duration": "1 day", "output_every": "0.5 h",
         "arms": [{"label": "a", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 3}]}],
         "population": {"size": 40, "seed": 5, "covariates": {"age": {"mean": 70, "sd": 8, "min": 50, "max": 90}}}}
    r = pdsim.simulate(Scenario.from_dict(d))
    ages = draw_covariates(Scenario.from_dict(d).population.covariates, 40, 5)["age"]
    c24 = r.get("plasma.tianeptine", arm="a")[:, -1]
    assert c24[ages >= 70].min() > c24[ages < 70].max()  # same typical otherwise: slower clearance, higher level
    assert any("age drawn per subject" in n for n in r.notes)


# --- inputs ---------------------------------------------------------------------------------------------
SC = {"name": "bad patient", "duration": "1 day", "output_every": "1 h",
      "arms": [{"label": "old", "patient": {"age": 75},
                "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 3}]}]}

BAD = [
    ({"age": 12}, r"patient `age` is 12 year, outside 18-120 year \(.*maturation"),
    ({"age": "75 kg"}, r"patient age"),
    ({"age": True}, r"patient `age` must be a number"),
    ({"weight": -3}, r"patient `weight` is -3 kg, outside"),
    ({"sex": "f"}, r"patient `sex` must be one of 'male', 'female'"),
    ({"hepatic": "child_pugh_d"}, r"Did you mean 'child_pugh_a'|child_pugh_c"),
    ({"renal_crcl": "30 mL/h"}, r"patient `renal_crcl` is 0.5 mL/min, outside"),
    ({"height": 170}, r"unknown key 'height' in the patient of arm 'old'"),
    ({"agee": 70}, r"Did you mean 'age'\?"),
]


@pytest.mark.parametrize("patient,message", BAD)
def test_bad_patient_attributes_name_the_arm_and_the_fix(patient, message, tmp_path):
    d = copy.deepcopy(SC)
    d["arms"][0]["patient"] = patient
    with pytest.raises((InputError, ModelFileError), match=message) as exc:
        Scenario.from_dict(d)
    assert "arm 'old'" in str(exc.value) or "arm 'old'" in str(exc.value.key or "")
    # in a file: the message names the file and the line of the attribute
    f = tmp_path / "s.toml"
    (k, v), = patient.items()
    val = f'"{v}"' if isinstance(v, str) else ("true" if v is True else v)
    f.write_text(f'name = "x"\nduration = "1 day"\n\n[[arms]]\nlabel = "old"\npatient = {{ {k} = {val} }}\n'
                 f'  [[arms.doses]]\n  drug = "tianeptine"\n  dose = "12.5 mg"\n', encoding="utf-8")
    with pytest.raises((InputError, ModelFileError)) as exc:
        load_scenario(f)
    assert str(exc.value).startswith(f"{f}:6:"), str(exc.value)


def test_patient_and_body_weight_and_species_conflicts():
    d = copy.deepcopy(SC)
    d["arms"][0]["patient"] = {"weight": "60 kg"}
    d["arms"][0]["body_weight"] = "70 kg"
    with pytest.raises(InputError, match="both body_weight and patient.weight"):
        Scenario.from_dict(d)
    d["arms"][0].pop("body_weight")
    assert Scenario.from_dict(d).arms[0].body_weight == 60.0  # the patient's weight is the arm's
    with pytest.raises(InputError, match="describes a human subject"):
        Arm("rat", doses=(), species="rat", patient={"age": 30})
    with pytest.raises(InputError, match="body_weight 70 kg and patient weight 60 kg differ"):
        Arm("x", body_weight=70.0, patient=Patient(weight=60))


def test_python_patient_accepts_quantities():
    assert Patient(age=pdsim.Q_(900, "month"), weight="60000 g").given() == {"age": 75.0, "weight": 60.0}
    assert check_attribute("renal_crcl", "1.8 L/h") == pytest.approx(30.0)


POP_BAD = [
    ({"age": {"mean": 76, "sd": 3}}, r"must be \{ mean, sd, min, max \}"),
    ({"age": {"mean": 90, "sd": 3, "min": 72, "max": 81}}, r"mean between them"),
    ({"age": {"mean": 76, "sd": -1, "min": 72, "max": 81}}, r"sd"),
    ({"weight": {"mean": 70, "sd": 10, "min": 50, "max": 90}}, r"weight is one per arm"),
    ({"sex": {"female": 0.7, "male": 0.2}}, r"sum to 0.9"),
    ({"sex": {"woman": 1.0}}, r"unknown class 'woman'"),
]


@pytest.mark.parametrize("covs,message", POP_BAD)
def test_bad_population_covariates(covs, message):
    d = copy.deepcopy(SC)
    d["arms"][0].pop("patient")
    d["population"] = {"size": 2, "covariates": covs}
    with pytest.raises(InputError, match=message) as exc:
        Scenario.from_dict(d)
    assert exc.value.key.startswith("population.covariates")


def test_an_attribute_is_fixed_or_drawn_not_both():
    d = copy.deepcopy(SC)
    d["population"] = {"size": 2, "covariates": {"age": {"mean": 76, "sd": 3, "min": 72, "max": 81}}}
    with pytest.raises(InputError, match="fixes patient.age and \\[population.covariates\\] draws age"):
        Scenario.from_dict(d)


RELATION_BAD = [
    ('form = "power"', 'form = "cubic"', r"form 'cubic' is not known; use one of power"),
    ('covariate = "weight"\nform = "power"\nreference = { value = 70',
     'covariate = "hepatic"\nform = "power"\nreference = { value = 70', r"categorical covariate"),
    ('exponent = { value = 0.75', 'exponnent = { value = 0.75', r"unknown exponnent; missing exponent"),
    ('parameter = "CL"\ncovariate = "weight"', 'parameter = "fu"\ncovariate = "weight"', r"'fu' is not a PK parameter"),
    ('reference = { value = 70, unit = "kg"', 'reference = { value = 70, unit = "L"', r"it must be in kg"),
    ('child_pugh_b = {', 'child_pugh_x = {', r"child_pugh_x is not a non-reference class"),
    ('sources = ["holford1996"], kind = "assumed", note = "test" }\n[pk.human.covariates.V_weight]',
     'sources = ["nosuchref"], kind = "assumed", note = "test" }\n[pk.human.covariates.V_weight]', r"nosuchref"),
]


@pytest.mark.parametrize("old,new,message", RELATION_BAD)
def test_bad_relations_in_a_drug_file_name_file_and_rule(old, new, message, tmp_path):
    assert old in DRUG
    p = tmp_path / "covdrug.toml"
    p.write_text(DRUG.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message) as exc:
        catalog.load_drug_file(p, catalog.registry())
    assert str(p) in str(exc.value)


def test_weight_relation_on_a_per_kg_parameter_is_refused(tmp_path):
    p = tmp_path / "covdrug.toml"
    p.write_text(DRUG.replace('CL = { value = 10.0, unit = "L/h"', 'CL = { value = 0.14, unit = "L/h/kg"'), encoding="utf-8")
    with pytest.raises(ModelFileError, match="per kg .* already proportional to weight"):
        catalog.load_drug_file(p, catalog.registry())


# --- numbers in prose are code --------------------------------------------------------------------------
def test_readme_elderly_numbers_are_the_models():
    """README.md quotes the elderly study's simulated levels; they must be the ones the study gives."""
    from pdsim.checks.patients import ELDERLY, YOUNG, levels

    from .conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    t, m, y = levels("tianeptine", ELDERLY), levels("mc5", ELDERLY), levels("tianeptine", YOUNG)
    assert f"day-5 trough of {t['Cmin']:.0f} ng/mL against 68 ± 41 and a peak of {t['Cmax']:.0f} against 405" in text
    assert f"young-adult model gives {y['Cmin']:.0f} ng/mL" in text
    assert f"MC5 in the same patients, {m['Cmin']:.0f} and {m['Cmax']:.0f} ng/mL" in text


def test_models_readme_patients_section_quotes_the_drug_files():
    from .conftest import ROOT

    text = " ".join((ROOT / "models" / "README.md").read_text(encoding="utf-8").split("## Patients", 1)[1].split())
    rel = {r.name: r for r in catalog.drug("tianeptine").pk("human").covariates}
    mc5 = {r.name: r for r in catalog.drug("mc5").pk("human").covariates}
    age, renal = rel["CL_age"].coefficients, rel["CL_renal"].coefficients
    assert f"CL x {age['ratio'].value:.3f} from {age['threshold'].value:g} years" in text
    assert f"below a creatinine clearance of {renal['threshold'].value:g} mL/min" in text
    assert f"MC5: CL x {mc5['CL_age'].coefficients['ratio'].value:.3f} from {mc5['CL_age'].coefficients['threshold'].value:g} years" in text
    assert f"tianeptine CL 13.8 -> {13.8 * age['ratio'].value:.4g} L/h (x {age['ratio'].value:.3g}" in text
    assert set(rel["CL_hepatic"].coefficients) == {"child_pugh_a", "child_pugh_b"}  # "class C not studied"


def test_drawn_classes_a_table_leaves_out_are_noted():
    d = {"name": "pop", "duration": "1 day", "output_every": "1 h",
         "arms": [{"label": "a", "doses": [{"drug": "tianeptine", "dose": "12.5 mg"}]}],
         "population": {"size": 50, "seed": 2, "covariates": {"hepatic": {"normal": 0.5, "child_pugh_c": 0.5}}}}
    r = pdsim.simulate(Scenario.from_dict(d))
    assert any("no value for hepatic = child_pugh_c in relation 'CL_hepatic'" in n for n in r.notes), r.notes
