"""Drug-level monitoring (issue 17): measured levels beside the model, a MAP estimate of the
individual's clearance, and the dose for the middle of the reference range."""
import math

import numpy as np
import pytest

import pdsim
from pdsim import tdm
from pdsim.cli import main
from pdsim.errors import InputError, UnitError, UnknownNameError

from .closed_forms import amitriptyline_oral_2cmt_mg_l

REG = pdsim.Regimen.repeated("75 mg", every="24 h", count=14, drug="amitriptyline")


def _bateman_ng_ml(cl_factor, t, tau=24.0, n=14, dose=75.0):
    """Closed form: superposed oral doses of the two-compartment amitriptyline, ng/mL."""
    dt = np.array([t - i * tau for i in range(n) if t - i * tau >= 0])
    return float(np.sum(amitriptyline_oral_2cmt_mg_l(dose, dt, cl_factor))) * 1000.0  # mg/L -> ng/mL


def test_predict_matches_closed_form():
    t = np.array([12.0, 100.0, 324.0])
    got = tdm.predict("amitriptyline", REG, t, clearance_factor=1.7, measure="amitriptyline")
    np.testing.assert_allclose(got, [_bateman_ng_ml(1.7, x) for x in t], rtol=1e-9)


def test_flat_prior_recovers_generating_clearance():
    """Noise-free level made by the closed form with CL = 1.7 x typical: the flat-prior MAP is that CL."""
    y = _bateman_ng_ml(1.7, 324.0)
    est = tdm.estimate_clearance("amitriptyline", REG, [(324.0, y)], cv=math.inf, measure="amitriptyline")
    typ = pdsim.drug("amitriptyline").pk("human").params["CL"].to("L/h")
    assert est.typical == pytest.approx(typ, rel=1e-12)
    assert est.clearance == pytest.approx(1.7 * typ, rel=1e-7)
    assert est.predicted[0] == pytest.approx(y, rel=1e-7)
    assert est.ci95[0] < est.clearance < est.ci95[1] and any("flat prior" in n for n in est.notes)
    # Laplace: with one level and a flat prior, SD(log CL) = sigma / |d ln f / d ln CL| at the optimum
    h = 1e-5
    slope = (math.log(_bateman_ng_ml(1.7 * math.exp(h), 324.0)) - math.log(_bateman_ng_ml(1.7 * math.exp(-h), 324.0))) / (2 * h)
    assert est.sd_log == pytest.approx(math.sqrt(math.log1p(tdm.RESIDUAL_CV ** 2)) / abs(slope), rel=1e-3)


def test_prior_pulls_toward_typical():
    y = _bateman_ng_ml(1.7, 324.0)
    lv = [(324.0, y)]
    flat = tdm.estimate_clearance("amitriptyline", REG, lv, cv=math.inf, measure="amitriptyline")
    factors = [tdm.estimate_clearance("amitriptyline", REG, lv, cv=cv, measure="amitriptyline").factor
               for cv in (0.05, 0.3, 1.0, 5.0)]
    # shrinkage: every MAP lies between the typical value (factor 1) and the data's 1.7, the more so the tighter the prior
    assert 1.0 < factors[0] < factors[1] < factors[2] < factors[3] < flat.factor
    assert factors[0] < 1.05 and flat.factor - factors[3] < 0.01
    default = tdm.estimate_clearance("amitriptyline", REG, lv, measure="amitriptyline")
    assert default.prior_cv == tdm.ASSUMED_CV == 0.3 and any("assumed" in n for n in default.notes)
    # a tighter posterior with the prior than without
    assert default.sd_log < flat.sd_log


def test_dose_for_target_reaches_range_middle():
    """The suggested dose's steady-state mean (averaged over the last interval of a long simulation) is the middle."""
    est = tdm.estimate_clearance("amitriptyline", REG, ["324 h=85 ng/mL"])
    rng = tdm.reference_range("amitriptyline")
    sug = tdm.dose_for_target("amitriptyline", REG, est)
    assert sug.target == rng.middle == 162.5 and sug.every == 24.0
    long = pdsim.Regimen.repeated(f"{sug.dose} mg", every="24 h", count=60, drug="amitriptyline")
    t = np.linspace(59 * 24, 60 * 24, 4801)
    c = tdm.predict("amitriptyline", long, t, clearance_factor=est.factor)
    mean = float(np.sum((c[1:] + c[:-1]) / 2 * np.diff(t)) / 24.0)
    assert mean == pytest.approx(rng.middle, rel=2e-3)
    # linearity: twice the dose, twice the suggested-dose ratio of the target
    assert sug.dose / sug.current_dose == pytest.approx(rng.middle / sug.current_mean, rel=1e-12)


def test_dose_for_target_keeps_salt_and_needs_regular_regimen():
    salt = pdsim.Regimen.repeated("75 mg", every="24 h", count=14, drug="amitriptyline", form="hydrochloride")
    s_salt = tdm.dose_for_target("amitriptyline", salt, target="100 ng/mL")
    s_base = tdm.dose_for_target("amitriptyline", REG, target="100 ng/mL")
    assert s_salt.form == "hydrochloride" and "hydrochloride" in s_salt.text()
    assert s_salt.dose * pdsim.drug("amitriptyline").base_fraction("hydrochloride") == pytest.approx(s_base.dose, rel=1e-9)
    with pytest.raises(InputError, match="regular regimen"):
        tdm.dose_for_target("amitriptyline", REG + pdsim.Regimen.single("10 mg", at="2 h", drug="amitriptyline"))
    with pytest.raises(InputError, match="no \\[tdm\\] reference range"):
        tdm.dose_for_target("tianeptine", pdsim.Regimen.repeated("12.5 mg", every="8 h", count=3, drug="tianeptine"))


def test_ranges_load_with_sources():
    for name, measure, low, high, alert, src in [
            ("amitriptyline", ("amitriptyline", "nortriptyline"), 125, 200, 500, "stboniface_ami_lab"),
            ("bupropion", ("bupropion",), 10, 100, 400, "arup_bupropion"),
            ("hydroxybupropion", ("hydroxybupropion",), 850, 1500, 2000, "arup_bupropion")]:
        rng = tdm.reference_range(name)
        assert (rng.measure, rng.low, rng.high, rng.alert) == (measure, low, high, alert)
        assert all(src in p.sources for p in rng.parameters.values())
    for name in ("tianeptine", "phenelzine", "tranylcypromine"):  # no laboratory range was read for these
        assert tdm.reference_range(name) is None
    assert tdm.reference_range("amitriptyline").position(510) == "at or above the alert level"


def test_tdm_table_rules(tmp_path):
    from pdsim.catalog import load_drug_file
    from pdsim.errors import ModelFileError

    text = (pdsim.drug("bupropion").path.read_text(encoding="utf-8")
            .replace('measure = "bupropion"', 'measure = "bupropion"\nextra = 1'))
    f = tmp_path / "b.toml"
    f.write_text(text)
    with pytest.raises(ModelFileError, match="unknown field 'tdm.extra'"):
        load_drug_file(f)


def test_compare_drug_and_scenario():
    est = tdm.estimate_clearance("amitriptyline", REG, ["324 h=85 ng/mL"])
    table = tdm.compare("amitriptyline", ["324 h=85 ng/mL", ("300 h", "0.11 mg/L")], REG, estimate=est)
    assert list(table["time_h"]) == [300.0, 324.0] and list(table["measured_ng_mL"]) == pytest.approx([110.0, 85.0])
    assert list(table["position"]) == ["below the range", "below the range"]
    both = tdm.predict("amitriptyline", REG, [324.0])[0]
    parent = tdm.predict("amitriptyline", REG, [324.0], measure="amitriptyline")[0]
    nti = pdsim.concentration("amitriptyline", REG, [324.0], metabolite="nortriptyline").to("nM").magnitude[0]
    assert both == pytest.approx(parent + nti * pdsim.drug("nortriptyline").molar_mass.to("g/mol") / 1000, rel=1e-12)
    assert table["predicted_ng_mL"].iloc[1] == pytest.approx(both, rel=1e-12)
    sc = pdsim.Scenario(name="s", duration=336.0, arms=(pdsim.Arm("a", doses=(
        pdsim.DoseSpec("amitriptyline", 75.0, every=24.0, count=14),)),))
    from_sc = tdm.compare(sc, ["324 h=85 ng/mL"])
    assert from_sc["predicted_ng_mL"].iloc[0] == pytest.approx(both, rel=1e-12)


@pytest.mark.parametrize("bad, cls", [("12h:85", InputError), ("12 h=85", UnitError), ("12=85 ng/mL", UnitError),
                                      ("12 h=85 ng/mL=3", InputError), ("12 h=-5 ng/mL", InputError),
                                      ("x h=85 ng/mL", UnitError)])
def test_bad_level_text(bad, cls):
    with pytest.raises(cls):
        tdm.parse_level(bad)


def test_unknown_measure():
    with pytest.raises(UnknownNameError, match="nortriptyline"):
        tdm.predict("bupropion", REG, [1.0], measure="bupropion + nortriptyline")


def test_cli_tdm(capsys, tmp_path):
    png = tmp_path / "levels.png"
    code = main(["tdm", "amitriptyline", "--dose", "75 mg", "--form", "hydrochloride", "--every", "24 h",
                 "--level", "324 h=85 ng/mL", "--level", "300 h=110 ng/mL", "--plot", str(png)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert tdm.CAUTION in out and "not for clinical use" in out
    assert "estimated" in out and "suggested dose for 162.5 ng/mL" in out and "277.41/313.87" in out
    assert png.is_file() and png.stat().st_size > 1000


def test_cli_tdm_without_range_states_it(capsys):
    code = main(["tdm", "tianeptine", "--dose", "12.5 mg", "--every", "8 h", "--level", "240 h=100 ng/mL"])
    out, _ = capsys.readouterr()
    assert code == 0 and "none in the catalogue" in out and "give --target" in out and tdm.CAUTION in out


def test_cli_bad_level_exits_2(capsys):
    code = main(["tdm", "amitriptyline", "--dose", "75 mg", "--every", "24 h", "--level", "12h:85"])
    _, err = capsys.readouterr()
    assert code == 2 and "`--level` must be one TIME=VALUE pair such as '12 h=85 ng/mL'" in err


def test_levels_figure_keeps_its_legend_off_the_alert_line_and_curves():
    """The legend sits beside the axes (anchored at x > 1 in axes coordinates), so it covers neither the
    alert level drawn near the top nor the curves; it was placed inside by loc='best'."""
    fig = tdm.plot_levels("amitriptyline", REG, ["324 h=85 ng/mL"], show_band=False)
    ax = fig.axes[0]
    anchor = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert anchor.x0 > 1.0


@pytest.mark.parametrize("flag, words", [
    ("CYP3A4=poor", ["--phenotype 'CYP3A4=poor'", "CYP2D6, CYP2C19 only", "--phenotype CYP2D6=poor"]),
    ("CYP2d6=poor", ["Did you mean 'CYP2D6'?"]),
    ("CYP2D6=slow", ["'slow' is not a CYP2D6 phenotype", "Known: intermediate, normal, poor, ultrarapid"]),
    ("poor", ["must read GENE=PHENOTYPE", "--phenotype CYP2D6=poor"]),
])
def test_tdm_phenotype_flag_errors_name_the_flag(flag, words, capsys):
    """A bad --phenotype gets one line about the flag (not a scenario's `phenotype` table or its
    population frequencies), exit status 2."""
    code = main(["tdm", "amitriptyline", "--dose", "75 mg", "--every", "24 h", "--level", "324 h=85 ng/mL",
                 "--phenotype", flag])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "frequencies" not in err
    for w in words:
        assert w in err


# Laboratory reference ranges added for the other catalogue antidepressants (ng/mL at trough), each as read
# on the laboratory's page cited in seeds/references.toml (none is the AGNP consensus table itself):
# (drug, compounds summed, low, high, alert or None, source id of the range, source id of the alert)
LAB_RANGES = [
    ("escitalopram", ("escitalopram",), 15, 80, None, "mayo_cital", None),          # Mayo CITAL: 15-80
    ("citalopram", ("citalopram",), 50, 110, None, "mayo_cital", None),             # Mayo CITAL: 50-110
    ("sertraline", ("sertraline",), 30, 200, 300, "arup_sertraline", "arup_sertraline"),  # ARUP 3005859
    ("paroxetine", ("paroxetine",), 20, 65, None, "mayo_paro", None),               # Mayo PARO (current)
    ("fluoxetine", ("fluoxetine", "norfluoxetine"), 120, 500, 2000, "mayo_fluox", "arup_fluoxetine"),
    ("venlafaxine", ("venlafaxine", "o_desmethylvenlafaxine"), 100, 400, 1000, "mayo_venla", "uiowa_venla"),
    ("duloxetine", ("duloxetine",), 30, 120, None, "mayo_dulox", None),             # Mayo DULOX (current)
    ("nortriptyline", ("nortriptyline",), 70, 170, 500, "mayo_notrp", "mayo_notrp"),  # Mayo NOTRP
    ("moclobemide", ("moclobemide",), 300, 1000, 2000, "synlab_moclobemide", "synlab_moclobemide"),
]


@pytest.mark.parametrize("name, measure, low, high, alert, src, alert_src", LAB_RANGES)
def test_laboratory_ranges_of_the_antidepressants(name, measure, low, high, alert, src, alert_src):
    rng = tdm.reference_range(name)
    assert (rng.measure, rng.low, rng.high, rng.alert) == (measure, low, high, alert)
    for key in ("range_low", "range_high"):
        p = rng.parameters[key]
        assert p.unit == "ng/mL" and p.kind == "measured" and tuple(p.sources) == (src,)
    if alert is None:
        assert "alert" not in rng.parameters
    else:
        assert rng.parameters["alert"].unit == "ng/mL" and list(rng.parameters["alert"].sources) == [alert_src]
    # a summed measure names only the drug and metabolites it forms in the catalogue (what tdm.predict can sum)
    dr = pdsim.drug(name)
    assert measure[0] == name and set(measure[1:]) <= set(dr.pk("human").metabolites)
    assert rng.position(0.5 * (low + high)) == "in range" and rng.position(0.9 * low) == "below the range"


def test_summed_measure_of_a_new_drug_adds_the_metabolite():
    """venlafaxine + O-desmethylvenlafaxine (ng/mL) = parent + ODV (nM x its molar mass)."""
    reg = pdsim.Regimen.repeated("75 mg", every="12 h", count=28, drug="venlafaxine")
    both = tdm.predict("venlafaxine", reg, [335.0])[0]
    parent = tdm.predict("venlafaxine", reg, [335.0], measure="venlafaxine")[0]
    odv = pdsim.concentration("venlafaxine", reg, [335.0], metabolite="o_desmethylvenlafaxine").to("nM").magnitude[0]
    mm = pdsim.drug("o_desmethylvenlafaxine").molar_mass.to("g/mol")
    assert odv > 0 and both == pytest.approx(parent + odv * mm / 1000, rel=1e-12)


def test_cli_tdm_escitalopram(capsys):
    """A made-up level of 25 ng/mL after two weeks of escitalopram 10 mg/day, placed against Mayo's 15-80 ng/mL."""
    code = main(["tdm", "escitalopram", "--dose", "10 mg", "--every", "24 h", "--level", "336 h=25 ng/mL"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert tdm.CAUTION in out and "reference range: escitalopram: 15-80 ng/mL" in out
    assert "measured 25 ng/mL" in out and "in range" in out and "suggested dose for 47.5 ng/mL" in out


def test_one_clearance_factor_scales_the_drug_and_its_metabolites():
    """The individual factor multiplies the clearance of amitriptyline and of the nortriptyline it forms,
    so under linear PK the steady-state AUC over a dosing interval of either compound, and of their sum,
    is exactly 1/factor times the typical one (trapezoid over the 60th day, 2 401 points)."""
    reg = pdsim.Regimen.repeated(dose="75 mg", every="24 h", count=60, drug="amitriptyline")
    t = np.linspace(59 * 24.0, 60 * 24.0, 2401)
    for measure in ("amitriptyline", "nortriptyline", "amitriptyline + nortriptyline"):
        typical = np.trapezoid(tdm.predict("amitriptyline", reg, t, measure=measure), t)
        slow = np.trapezoid(tdm.predict("amitriptyline", reg, t, measure=measure, clearance_factor=0.5), t)
        assert slow / typical == pytest.approx(2.0, rel=1e-6), measure


def test_a_poor_metaboliser_level_dominated_by_nortriptyline_moves_the_estimate():
    """CYP2D6 poor prior, amitriptyline 75 mg/day, AMI+NTI measured 85 ng/mL at 324 h against 160 typical
    for the phenotype: the estimate raises the shared clearance (factor > 1) and its prediction moves most
    of the way to the level (a factor on amitriptyline alone left nortriptyline, most of the level, untouched)."""
    reg = pdsim.Regimen.repeated(dose="75 mg", every="24 h", count=20, drug="amitriptyline")
    est = tdm.estimate_clearance("amitriptyline", reg, [tdm.parse_level("324 h=85 ng/mL")], phenotype="CYP2D6=poor")
    typical = float(tdm.predict("amitriptyline", reg, [324.0], phenotype="CYP2D6=poor")[0])
    individual = float(tdm.predict("amitriptyline", reg, [324.0], clearance_factor=est.factor, phenotype="CYP2D6=poor")[0])
    assert est.factor > 1.0 and typical > 150.0
    assert abs(individual - 85.0) < 0.5 * abs(typical - 85.0)
