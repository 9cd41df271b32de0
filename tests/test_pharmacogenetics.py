"""Pharmacogenetics (issue 17): CYP2D6/CYP2C19 phenotypes of an arm scale clearance and metabolite
formation by the drug files' multipliers; cohorts draw phenotypes from population frequencies."""
import numpy as np
import pytest

import pdsim
from pdsim import pharmacogenetics as pgx
from pdsim import tdm
from pdsim.catalog import load_drug_file
from pdsim.cli import main
from pdsim.errors import InputError, ModelFileError, UnknownNameError


def _scenario(arms, drug="escitalopram", dose="10 mg", duration="60 day", out_every="0.5 h", population=None, **dose_kw):
    d = {"name": "pgx", "duration": duration, "output_every": out_every, "targets": ["SERT"],
         "arms": [{"label": label, "doses": [{"drug": drug, "dose": dose, **dose_kw}], **({"phenotype": ph} if ph else {})}
                  for label, ph in arms.items()]}
    if population:
        d["population"] = population
    return pdsim.Scenario.from_dict(d)


def _auc(r, var, arm):
    return np.trapezoid(np.asarray(r.get(var, arm=arm)), r.time_h, axis=-1)


def _mult(drug, gene, pheno, key="CL"):
    return pdsim.drug(drug).extra["pharmacogenetics"][f"{gene}.{pheno}.{key}"].to("1")


def test_poor_metaboliser_auc_scales_by_inverse_multiplier():
    """Single oral dose, linear PK: AUC(0-inf) = F D / CL, so a CL multiplier m scales AUC by 1/m
    (60 days cover > 10 half-lives of the slowest arm; the trapezoid error cancels in the ratio)."""
    r = pdsim.simulate(_scenario({"NM": None, "PM": {"CYP2C19": "poor"}, "UM": {"CYP2C19": "ultrarapid"}}))
    nm = _auc(r, "plasma.escitalopram", "NM")
    for arm, ph in (("PM", "poor"), ("UM", "ultrarapid")):
        m = _mult("escitalopram", "CYP2C19", ph)
        assert _auc(r, "plasma.escitalopram", arm) / nm == pytest.approx(1.0 / m, rel=2e-3)


def test_steady_state_mean_scales_by_inverse_multiplier():
    """At steady state the mean over a dosing interval is F D / (CL tau): ratio 1/m (jukic2018 design)."""
    d = {"name": "ss", "duration": "40 day", "output_every": "0.25 h", "targets": ["SERT"],
         "arms": [{"label": lab, "doses": [{"drug": "escitalopram", "dose": "10 mg", "every": "24 h", "until": "40 day"}],
                   **({"phenotype": ph} if ph else {})} for lab, ph in (("NM", None), ("IM", {"CYP2C19": "intermediate"}))]}
    r = pdsim.simulate(pdsim.Scenario.from_dict(d))
    t = r.time_h
    last = (t >= 38 * 24) & (t <= 39 * 24)
    mean = {a: np.trapezoid(np.asarray(r.get("plasma.escitalopram", arm=a))[0][last], t[last]) / 24.0 for a in ("NM", "IM")}
    assert mean["IM"] / mean["NM"] == pytest.approx(1.0 / _mult("escitalopram", "CYP2C19", "intermediate"), rel=2e-3)


def test_metabolite_auc_follows_formation_and_its_own_clearance():
    """Nortriptyline formed from amitriptyline: AUC_NTI(0-inf) = fm F D (M_NTI/M_AMI) / CL_NTI, so the
    poor/normal ratio is (fm multiplier) / (NTI CL multiplier), whatever the parent's CL multiplier."""
    r = pdsim.simulate(_scenario({"NM": None, "PM": {"CYP2D6": "poor"}}, drug="amitriptyline", dose="25 mg",
                                 duration="80 day", out_every="1 h"))
    want = _mult("amitriptyline", "CYP2D6", "poor", "fm.nortriptyline") / _mult("nortriptyline", "CYP2D6", "poor")
    got = _auc(r, "plasma.nortriptyline", "PM") / _auc(r, "plasma.nortriptyline", "NM")
    assert got == pytest.approx(want, rel=3e-3)
    ami = _auc(r, "plasma.amitriptyline", "PM") / _auc(r, "plasma.amitriptyline", "NM")
    assert ami == pytest.approx(1.0 / _mult("amitriptyline", "CYP2D6", "poor"), rel=3e-3)


def test_notes_and_sources_state_the_phenotype():
    r = pdsim.simulate(_scenario({"PM": {"CYP2D6": "poor"}}, drug="amitriptyline", dose="25 mg", duration="1 day"))
    assert any("CYP2D6 poor: CL x 0.71, fm(nortriptyline) x 1.41" in n for n in r.notes)
    assert any("nortriptyline: CYP2D6 poor: CL x 0.52" in n for n in r.notes)
    assert "amitriptyline.pharmacogenetics.CYP2D6.poor.CL" in r.parameters


def test_gene_the_drug_does_not_list_leaves_it_unchanged():
    r = pdsim.simulate(_scenario({"NM": None, "X": {"CYP2D6": "poor"}}, duration="2 day"))
    np.testing.assert_array_equal(r.get("plasma.escitalopram", arm="NM"), r.get("plasma.escitalopram", arm="X"))


def test_draws_are_seeded_chunk_invariant_and_match_frequencies():
    a = pgx.draw("CYP2C19", "East Asian", 20, seed=3)
    b = pgx.draw("CYP2C19", "East Asian", 10, seed=3, first=5)
    assert list(a[5:15]) == list(b)
    n = 40000
    got = pgx.draw("CYP2C19", "European", n, seed=11)
    for ph, f in pgx.frequencies("European", "CYP2C19").items():
        se = np.sqrt(f * (1 - f) / n)
        assert abs(np.mean(got == ph) - f) < 5 * se, ph  # binomial: within 5 standard errors
    assert sum(pgx.frequencies("East Asian", "CYP2C19").values()) == pytest.approx(1.0, abs=1e-12)


def test_population_cohort_subjects_get_their_drawn_phenotype():
    """Each subject's AUC over its normal metaboliser's is 1/m of the phenotype drawn for it."""
    pop = {"size": 60, "seed": 5}
    r = pdsim.simulate(_scenario({"cohort": {"frequencies": "East Asian"}}, population=pop))
    nm = pdsim.simulate(_scenario({"NM": None}))
    ratio = _auc(r, "plasma.escitalopram", "cohort") / _auc(nm, "plasma.escitalopram", "NM")[0]
    drawn = pgx.draw("CYP2C19", "East Asian", 60, seed=5)
    want = np.array([1.0 / _mult("escitalopram", "CYP2C19", p) if p != "normal" else 1.0 for p in drawn])
    np.testing.assert_allclose(ratio, want, rtol=2e-3)
    assert len(set(drawn)) >= 3
    assert "pharmacogenetics.frequencies.East Asian.CYP2C19.poor" in r.parameters


@pytest.mark.parametrize("ph, cls, text", [
    ({"CYP2D7": "poor"}, UnknownNameError, "unknown gene 'CYP2D7'"),
    ({"CYP2D6": "rapid"}, InputError, "CYP2D6 = 'rapid' is not a CYP2D6 phenotype"),
    ({"frequencies": "Europe"}, UnknownNameError, "Did you mean 'European'"),
    ({"frequencies": "East Asian"}, InputError, "no CYP2D6 frequencies for 'East Asian'"),
])
def test_bad_phenotype_is_one_located_error(ph, cls, text):
    toml = ('name = "x"\nduration = "1 day"\n\n[[arms]]\nlabel = "a"\nphenotype = ' +
            "{ " + ", ".join(f'{k} = "{v}"' for k, v in ph.items()) + " }\n"
            '  [[arms.doses]]\n  drug = "amitriptyline"\n  dose = "25 mg"\n')
    import tomllib

    with pytest.raises(cls) as e:
        pdsim.Scenario.from_dict(tomllib.loads(toml), path="x.toml", text=toml)
    assert text in str(e.value) and "x.toml:6" in str(e.value)


def test_fixed_gene_completes_a_population_without_its_frequencies():
    sc = _scenario({"a": {"frequencies": "East Asian", "CYP2D6": "normal"}}, duration="1 day")
    assert dict(sc.arms[0].phenotype) == {"frequencies": "East Asian", "CYP2D6": "normal"}


def test_phenotype_on_a_rat_arm_is_rejected():
    d = {"name": "x", "duration": "1 day", "arms": [{"label": "a", "species": "rat", "phenotype": {"CYP2D6": "poor"},
                                                     "doses": [{"drug": "tianeptine", "dose": "10 mg/kg", "route": "ip"}]}]}
    with pytest.raises(InputError, match="applies to human"):
        pdsim.Scenario.from_dict(d)


def test_arm_in_python_takes_a_dict():
    arm = pdsim.scenario.Arm(label="a", phenotype={"CYP2C19": "poor"})
    assert arm.phenotype == (("CYP2C19", "poor"),)
    with pytest.raises(InputError, match="not a CYP2C19 phenotype"):
        pdsim.scenario.Arm(label="a", phenotype={"CYP2C19": "slow"})


def _drug_file(tmp_path, block):
    text = (pdsim.drug("amitriptyline").path.read_text(encoding="utf-8").split("# CYP2D6 phenotypes")[0] + block)
    p = tmp_path / "amitriptyline.toml"
    p.write_text(text, encoding="utf-8")
    return p


P = 'value = 0.5, unit = "1", sources = ["matthaei2021"], kind = "derived", note = "x"'
P_LH = P.replace('unit = "1"', 'unit = "L/h"')


@pytest.mark.parametrize("block, text", [
    (f"[pharmacogenetics.CYP2D9.poor]\nCL = {{ {P} }}\n", "unknown gene 'pharmacogenetics.CYP2D9'"),
    (f"[pharmacogenetics.CYP2D6.slow]\nCL = {{ {P} }}\n", "unknown CYP2D6 phenotype"),
    (f"[pharmacogenetics.CYP2D6.poor]\nV = {{ {P} }}\n", "scales CL or fm.<metabolite>"),
    (f"[pharmacogenetics.CYP2D6.poor]\nfm.desipramine = {{ {P} }}\n", "does not form"),
    (f"[pharmacogenetics.CYP2D6.poor]\nCL = {{ {P.replace('0.5', '0')} }}\n", "multiplier > 0"),
    (f"[pharmacogenetics.CYP2D6.poor]\nCL = {{ {P_LH} }}\n", "unit must be"),
])
def test_bad_drug_table_is_rejected(tmp_path, block, text):
    with pytest.raises(ModelFileError, match=None) as e:
        load_drug_file(_drug_file(tmp_path, block))
    assert text in str(e.value)


def test_inconsistent_fm_is_an_error():
    sc = pdsim.Scenario.from_dict({"name": "x", "duration": "1 day", "drugs": {}, "arms": [
        {"label": "a", "phenotype": {"CYP2D6": "poor"}, "doses": [{"drug": "amitriptyline", "dose": "25 mg"}]}]})
    dr = pdsim.drug("amitriptyline")
    params = dict(dr.extra["pharmacogenetics"])
    params["CYP2D6.poor.fm.nortriptyline"] = params["CYP2D6.poor.fm.nortriptyline"].__class__(
        3.0, "1", ("matthaei2021",), "derived", "x")
    bad = type(dr)(**{**dr.__dict__, "extra": {**dr.extra, "pharmacogenetics": params}})
    with pytest.raises(InputError, match="exceed 1|> 1"):
        pgx.apply(bad, {"CYP2D6": "poor"})
    assert sc.arms[0].phenotype == (("CYP2D6", "poor"),)


def test_tdm_phenotype_centres_prior_and_prediction():
    """The poor metaboliser's typical clearance is 0.71 x the normal one; predictions use it and the
    metabolite's own multiplier (the same numbers as pdsim.simulate on a phenotype arm)."""
    reg = pdsim.Regimen.repeated("75 mg", every="24 h", count=14, drug="amitriptyline")
    t = np.array([300.0, 324.0])
    est = tdm.estimate_clearance("amitriptyline", reg, [(324.0, 150.0)], phenotype="CYP2D6=poor")
    normal = tdm.estimate_clearance("amitriptyline", reg, [(324.0, 150.0)])
    assert est.typical == pytest.approx(0.71 * normal.typical, rel=1e-12)
    assert est.phenotype == (("CYP2D6", "poor"),) and any("CYP2D6 poor" in n for n in est.notes)
    sc = _scenario({"PM": {"CYP2D6": "poor"}}, drug="amitriptyline", dose="75 mg", duration="14 day", out_every="1 h",
                   every="24 h", count=14)
    r = pdsim.simulate(sc)
    sim = sum(np.interp(t, r.time_h, np.asarray(r.get(f"plasma.{c}", arm="PM"))[0]) * pdsim.drug(c).molar_mass.to("g/mol")
              / 1000 for c in ("amitriptyline", "nortriptyline"))
    np.testing.assert_allclose(tdm.predict("amitriptyline", reg, t, phenotype={"CYP2D6": "poor"}), sim, rtol=1e-6)
    with pytest.raises(InputError, match="GENE=PHENOTYPE"):
        tdm.predict("amitriptyline", reg, t, phenotype="CYP2D6:poor")


def test_tdm_band_brackets_the_typical_prediction():
    reg = pdsim.Regimen.repeated("75 mg", every="24 h", count=10, drug="amitriptyline")
    t, lo, mid, hi = tdm.band("amitriptyline", reg, 240.0, phenotype="CYP2D6=poor", size=200)
    typical = tdm.predict("amitriptyline", reg, t, phenotype="CYP2D6=poor")
    late = t > 48
    assert np.all(lo[late] < typical[late]) and np.all(typical[late] < hi[late])
    assert np.all(lo[late] < mid[late]) and np.all(mid[late] < hi[late])
    # with no variability the band collapses onto the typical prediction
    t0, lo0, _, hi0 = tdm.band("amitriptyline", reg, 240.0, cv=0.0, size=3)
    np.testing.assert_allclose(lo0, tdm.predict("amitriptyline", reg, t0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(hi0, lo0, rtol=1e-12)


def test_cli_tdm_with_phenotype(capsys, tmp_path):
    png = tmp_path / "pm.png"
    code = main(["tdm", "amitriptyline", "--dose", "75 mg", "--form", "hydrochloride", "--every", "24 h",
                 "--level", "324 h=160 ng/mL", "--phenotype", "CYP2D6=poor", "--plot", str(png)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith(tdm.CAUTION) and "phenotype CYP2D6 poor" in out and "CL x 0.52" in out
    assert png.is_file() and png.stat().st_size > 1000
    code = main(["tdm", "amitriptyline", "--dose", "75 mg", "--every", "24 h", "--level", "324 h=160 ng/mL",
                 "--phenotype", "CYP2D6=slow"])
    _, err = capsys.readouterr()
    assert code == 2 and "not a CYP2D6 phenotype" in err


def test_shipped_scenario_shows_raised_nortriptyline_in_poor_metabolisers():
    r = pdsim.simulate("amitriptyline_cyp2d6")
    day = r.time_h >= 20 * 24
    nti = {a: np.asarray(r.get("plasma.nortriptyline", arm=a))[0][day].mean() for a in r.arms}
    assert nti["CYP2D6 poor"] > 2 * nti["CYP2D6 normal"] and nti["CYP2D6 normal"] > 2 * nti["CYP2D6 ultrarapid"]


def test_readme_numbers_are_the_checks():
    """README's amitriptyline-by-CYP2D6 sentence quotes what the two validate rows compute."""
    import re

    from pdsim.validation import run_checks

    from .conftest import ROOT

    rows = {r.check: r for r in run_checks(["pgx.amitriptyline_single_dose_cmax", "pgx.amitriptyline_cyp2d6_poor_nortriptyline",
                                            "pk.amitriptyline_50mg_cmax_smpc",
                                            "pk.sertraline_100mg_serum_normal_metabolisers"])}
    sert = rows.pop("pk.sertraline_100mg_serum_normal_metabolisers")
    sert_nm = float(re.search(r"(\d+) nM", sert.simulated).group(1))
    assert sert.verdict == "reproduced" and sert.basis == "calibrated"  # CL/F set to this TDM mean
    smpc = rows.pop("pk.amitriptyline_50mg_cmax_smpc")
    peak = float(re.search(r"Cmax ([\d.]+) ng/mL", smpc.simulated).group(1))
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    cmax = float(re.search(r"Cmax ([\d.]+) µg/L", rows["pgx.amitriptyline_single_dose_cmax"].simulated).group(1))
    ratio = float(re.search(r"ratio ([\d.]+)", rows["pgx.amitriptyline_cyp2d6_poor_nortriptyline"].simulated).group(1))
    assert f"Cmax {cmax:.1f} µg/L against 10.8" in text
    assert f"AUC over 48 h is {ratio:.2f} times the normal one against 1.54 reported" in text
    assert all(r.verdict == "reproduced" for r in rows.values())
    assert smpc.verdict == "reproduced" and smpc.basis == "independent" and f"low edge of its SD ({peak:.1f} ng/mL)" in text
    assert f"495 patients: {sert_nm:.0f} nM against 103.6" in text
    assert rows["pgx.amitriptyline_cyp2d6_poor_nortriptyline"].basis == "calibrated"
    assert rows["pgx.amitriptyline_single_dose_cmax"].basis == "calibrated"  # the two-compartment fit used it


def test_sbml_export_applies_fixed_and_refuses_drawn_phenotypes():
    from pdsim.sbml import scenario_to_sbml

    sc = _scenario({"PM": {"CYP2D6": "poor"}}, drug="amitriptyline", dose="25 mg", duration="1 day")
    xml = scenario_to_sbml(sc)
    cl = 0.71 * pdsim.drug("amitriptyline").pk("human").params["CL"].to("L/h")
    import re

    got = float(re.search(r'id="amitriptyline_CL"[^>]*value="([\d.eE+-]+)"', xml).group(1))
    assert got == pytest.approx(cl, rel=1e-9)
    cohort = _scenario({"c": {"frequencies": "European"}}, duration="1 day")
    with pytest.raises(InputError, match="fix the genes"):
        scenario_to_sbml(cohort)


def test_inline_two_compartment_drug_with_its_own_phenotype_table():
    """A scenario's own drug (two compartments) with a [pharmacogenetics] table: CL x m scales the
    single-dose AUC by 1/m, as for the catalogue's one-compartment drugs."""
    p = lambda v, u: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "test"}  # noqa: E731
    drug = {"name": "testdrug", "molar_mass": p(300.0, "g/mol"),
            "pk": {"human": {"model": "two_compartment", "CL": p(10.0, "L/h"), "V": p(20.0, "L"), "Q": p(15.0, "L/h"),
                             "V2": p(60.0, "L"), "ka": p(1.2, "1/h"), "F": p(0.8, "1"), "fu": p(0.1, "1")}},
            "targets": {"SERT": {"action": "inhibitor", "measure": "Ki", "affinity": p(5.0, "nM")}},
            "pharmacogenetics": {"CYP2C19": {"poor": {"CL": p(0.4, "1")}}}}
    d = {"name": "x", "duration": "10 day", "output_every": "0.1 h", "drugs": {"testdrug": drug}, "targets": ["SERT"],
         "arms": [{"label": lab, "doses": [{"drug": "testdrug", "dose": "10 mg"}], **({"phenotype": ph} if ph else {})}
                  for lab, ph in (("NM", None), ("PM", {"CYP2C19": "poor"}))]}
    r = pdsim.simulate(pdsim.Scenario.from_dict(d))
    assert _auc(r, "plasma.testdrug", "PM") / _auc(r, "plasma.testdrug", "NM") == pytest.approx(1 / 0.4, rel=2e-3)


def test_drawn_phenotypes_combine_with_clearance_variability():
    """Log-normal CL variability and drawn phenotypes multiply: subject i's CL is CL e^eta_i x m_i, so its
    AUC times m_i equals the AUC of the same subject (same eta) drawn without phenotypes."""
    pop = {"size": 40, "seed": 9, "variability": {"escitalopram.CL": 0.3}}
    r = pdsim.simulate(_scenario({"c": {"frequencies": "European"}}, population=pop, duration="80 day", out_every="1 h"))
    base = pdsim.simulate(_scenario({"c": None}, population=pop, duration="80 day", out_every="1 h"))
    m = np.array([_mult("escitalopram", "CYP2C19", p) if p != "normal" else 1.0
                  for p in pgx.draw("CYP2C19", "European", 40, seed=9)])
    np.testing.assert_allclose(_auc(r, "plasma.escitalopram", "c") * m, _auc(base, "plasma.escitalopram", "c"), rtol=3e-3)
    one = pdsim.simulate(_scenario({"c": {"frequencies": "European"}}, duration="1 day"))
    assert np.asarray(one.get("plasma.escitalopram", arm="c")).shape[-1] == len(one.time_h)


def test_tdm_compare_takes_the_scenario_arms_phenotype():
    sc = _scenario({"PM": {"CYP2D6": "poor"}, "cohort": {"frequencies": "European"}}, drug="amitriptyline",
                   dose="75 mg", duration="14 day", out_every="1 h", every="24 h", count=14)
    reg = pdsim.Regimen.repeated("75 mg", every="24 h", count=14, drug="amitriptyline")
    table = tdm.compare(sc, ["324 h=150 ng/mL"], arm="PM")
    assert table["predicted_ng_mL"][0] == pytest.approx(tdm.predict("amitriptyline", reg, [324.0], phenotype="CYP2D6=poor")[0],
                                                        rel=1e-9)
    with pytest.raises(InputError, match="one person's phenotype"):
        tdm.compare(sc, ["324 h=150 ng/mL"], arm="cohort")


def test_paroxetine_poor_metaboliser_has_no_cyp2d6_clearance():
    """Paroxetine's PK is non-linear (CYP2D6 auto-inactivation): the poor phenotype sets its CYP2D6 clearance to 0
    and leaves the other pathways (CL). Through pdsim.simulate the poor arm is then the linear one-compartment
    model with CL alone, exactly (closed form, 1e-9), and its steady-state AUC over the normal arm's is Sindrup
    et al. 1992's median ratio 4410/2550 = 1.73 (Clin Pharmacol Ther, abstract) within 5 %."""
    from pdsim.pk import OneCompartment, pk_model

    dr = pdsim.drug("paroxetine")
    assert pgx.multipliers(dr, {"CYP2D6": "poor"}) == (1.0, {})  # CL (other pathways) unchanged
    assert pgx.multipliers(dr, {"CYP2D6": "poor"}, pgx.CL_2D6_KEY)[0] == 0.0
    d = {"name": "paroxetine ss", "duration": "15 day", "output_every": "0.25 h", "targets": ["SERT"],
         "arms": [{"label": lab, "doses": [{"drug": "paroxetine", "dose": "30 mg", "every": "24 h", "count": 15}],
                   **({"phenotype": ph} if ph else {})} for lab, ph in (("NM", None), ("PM", {"CYP2D6": "poor"}))]}
    r = pdsim.simulate(pdsim.Scenario.from_dict(d))
    t = r.time_h
    base = pk_model("paroxetine")
    linear = OneCompartment(CL=base.CL, V=base.V, ka=base.ka).conc(t, [pdsim.Dose(24.0 * i, 30.0, "oral") for i in range(15)])
    pm = np.asarray(r.get("plasma.paroxetine", arm="PM"))[0]
    np.testing.assert_allclose(pm, linear * 1e6 / 329.37, rtol=1e-9, atol=1e-12)
    day14 = (t >= 13 * 24) & (t <= 14 * 24)
    auc = {a: np.trapezoid(np.asarray(r.get("plasma.paroxetine", arm=a))[0][day14], t[day14]) for a in ("NM", "PM")}
    assert auc["PM"] / auc["NM"] == pytest.approx(4410 / 2550, rel=0.05)
    assert any("paroxetine: CYP2D6 poor: CL_2D6 (CYP2D6 clearance) x 0" in n for n in r.notes)


def test_paroxetine_cyp2d6_frequencies_draw_the_poor_ones():
    """Phenotypes drawn per subject: exactly the subjects drawn poor get CL_2D6 = 0 (higher exposure)."""
    d = {"name": "paroxetine pop", "duration": "3 day", "output_every": "1 h", "targets": [],
         "population": {"size": 60, "seed": 3},
         "arms": [{"label": "EU", "phenotype": {"frequencies": "European"},
                   "doses": [{"drug": "paroxetine", "dose": "20 mg", "every": "24 h", "count": 3}]}]}
    r = pdsim.simulate(pdsim.Scenario.from_dict(d))
    drawn = pgx.draw("CYP2D6", "European", 60, 3)
    auc = np.trapezoid(np.asarray(r.get("plasma.paroxetine")), r.time_h, axis=1)
    poor = drawn == "poor"
    assert poor.any() and (~poor).any()
    assert auc[poor].min() > auc[~poor].max()
    assert np.allclose(auc[poor], auc[poor][0], rtol=1e-12)


def test_ultrarapid_paroxetine_is_unchanged_and_said_so():
    """No ultrarapid paroxetine kinetics were read: the phenotype leaves the drug at the normal value (documented)."""
    assert "CYP2D6.ultrarapid.CL" not in pdsim.drug("paroxetine").extra["pharmacogenetics"]
    cl, fm = pgx.multipliers(pdsim.drug("paroxetine"), {"CYP2D6": "ultrarapid"})
    assert (cl, fm) == (1.0, {})


def test_readme_paroxetine_numbers_are_the_checks():
    """README's paroxetine sentences quote what the validate rows compute (Sindrup et al. 1992 AUCs, Kim et al.
    2015's dose exponent, the label's accumulation and half-life), with the verdicts and bases they state."""
    import re

    from pdsim.validation import run_checks

    from .conftest import ROOT

    want = {"pk.paroxetine_single_vs_steady_state_auc": ("reproduced", "calibrated"),
            "pk.paroxetine_30mg_steady_state_auc": ("reproduced", "calibrated"),
            "pk.paroxetine_dose_exponent": ("reproduced", "calibrated"),
            "pgx.paroxetine_cyp2d6_poor_steady_state_ratio": ("reproduced", "calibrated"),
            "pgx.paroxetine_single_dose_poor_auc": ("reproduced", "independent"),
            "pk.paroxetine_label_cmin_accumulation": ("reproduced", "independent"),
            "pk.paroxetine_label_half_life": ("reproduced", "independent"),
            "pk.paroxetine_label_auc_accumulation": ("not reproduced", "independent")}
    rows = {r.check: r for r in run_checks(list(want))}
    for name, (verdict, basis) in want.items():
        assert (rows[name].verdict, rows[name].basis) == (verdict, basis), name
    pats = {"pk.paroxetine_single_vs_steady_state_auc": r"/ (\d+) nmol",
            "pk.paroxetine_30mg_steady_state_auc": r"AUCss,tau (\d+) nmol",
            "pk.paroxetine_dose_exponent": r"exponent (-[\d.]+)",
            "pgx.paroxetine_cyp2d6_poor_steady_state_ratio": r"ratio ([\d.]+)",
            "pgx.paroxetine_single_dose_poor_auc": r"AUC0-inf (\d+)",
            "pk.paroxetine_label_cmin_accumulation": r"([\d.]+) x",
            "pk.paroxetine_label_half_life": r"([\d.]+) h",
            "pk.paroxetine_label_auc_accumulation": r"([\d.]+) x"}
    n = {k: re.search(p, rows[k].simulated).group(1) for k, p in pats.items()}
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for phrase in (f"AUC {n['pk.paroxetine_single_vs_steady_state_auc']} against 550 nmol·h/L",
                   f"two weeks: {n['pk.paroxetine_30mg_steady_state_auc']} against 2550)",
                   f"clearance ({n['pk.paroxetine_dose_exponent']} against -0.363)",
                   f"ratio ({n['pgx.paroxetine_cyp2d6_poor_steady_state_ratio']} against 1.73;",
                   f"single-dose AUC ({n['pgx.paroxetine_single_dose_poor_auc']} against 3910",
                   f"accumulation ({n['pk.paroxetine_label_cmin_accumulation']} against about 14",
                   f"half-life ({n['pk.paroxetine_label_half_life']} against about 21 h)",
                   f"accumulation ({n['pk.paroxetine_label_auc_accumulation']} against about 8 times"):
        assert phrase in text, phrase
