"""MAO inhibitors: the "mao" system against its closed forms, and the drugs against human PET, through pdsim.simulate.

Reference values: analytic solutions of dE/dt = k_deg (1 - E) - k_inact theta E; published means of
chiuccariello2015 ([11C]harmine PET) and the washout of the fluoxetine label (prozac_label).
"""
import math

import numpy as np
import pytest

import pdsim
from pdsim import catalog
from pdsim.checks._read import at, window_mean
from pdsim.effects.mao import MAOModel
from pdsim.errors import ModelFileError, PdsimError
from pdsim.validation import checks, run_checks, study

DAY = 24.0


def _param(path: str, table: str, key: str) -> float:
    """A drug parameter in canonical units (1/h, nM, L/h, dimensionless) as the catalogue reads it."""
    d = catalog.drug(path)
    if table == "pk":
        return d.pk_specs["human"].params[key].value
    return d.targets[table].params[key].value if key != "affinity" else d.targets[table].affinity.to("nM")


def _mao_half_lives_h() -> tuple[float, float]:
    mf = catalog.system("mao")
    return mf["mao_a_half_life"].to("h"), mf["mao_b_half_life"].to("h")


def test_registered_and_listed():
    from pdsim.engine.registry import systems

    spec = systems()["mao"]
    assert spec.parameters == "models/systems/mao.toml"
    assert {"MAO_A", "MAO_B"} <= set(catalog.targets())
    for name in ("moclobemide", "phenelzine", "tranylcypromine"):
        assert name in catalog.drugs()
    assert pdsim.drug("Nardil").name == "phenelzine" and pdsim.drug("Parnate").name == "tranylcypromine"


def test_steady_state_under_constant_infusion_matches_the_closed_form():
    """A constant phenelzine infusion: C_ss = R/CL, theta = C_u/(K_I + C_u) (one ligand), and at steady
    state E = k_deg/(k_deg + k_inact theta); activity = E (1 - theta). After 120 days (over 60 time
    constants of MAO-A and 3 half-lives of MAO-B re-synthesis plus inactivation) the run sits on it."""
    rate_mg_h = 2.0
    sc = pdsim.Scenario.from_dict({
        "name": "phenelzine infusion", "duration": "120 day", "output_every": "12 h", "systems": ["mao"],
        "targets": ["MAO_A", "MAO_B"],
        "arms": [{"label": "infusion", "doses": [{"drug": "phenelzine", "dose": f"{rate_mg_h * 120 * 24} mg",
                                                  "route": "iv_infusion", "duration": "120 day"}]}]})
    r = pdsim.simulate(sc)
    cl = pdsim.drug("phenelzine").pk_specs["human"].params["CL"].to("L/h")
    fu = pdsim.drug("phenelzine").pk_specs["human"].params["fu"].to("dimensionless")
    c_nm = rate_mg_h / cl * 1e6 / pdsim.drug("phenelzine").molar_mass.to("g/mol")
    half = dict(zip(("a", "b"), _mao_half_lives_h()))
    for enzyme, target in (("a", "MAO_A"), ("b", "MAO_B")):
        ki = _param("phenelzine", target, "affinity")
        kinact = pdsim.drug("phenelzine").targets[target].params["kinact"].to("1/h")
        theta = fu * c_nm / (ki + fu * c_nm)
        kdeg = math.log(2.0) / half[enzyme]
        e_ss = kdeg / (kdeg + kinact * theta)
        got_e = at(r, f"effect.mao_{enzyme}_enzyme", "infusion", 120 * DAY)
        got_a = at(r, f"effect.mao_{enzyme}_activity", "infusion", 120 * DAY)
        assert at(r, f"occupancy.{target}", "infusion", 120 * DAY) == pytest.approx(theta, rel=1e-6)
        # MAO-B: 120 days is many time constants of k_deg + k_inact theta (about 10 days here)
        assert got_e == pytest.approx(e_ss, rel=1e-5)
        assert got_a == pytest.approx(e_ss * (1 - theta), rel=1e-5)
        assert at(r, f"effect.mao_{enzyme}_inhibition", "infusion", 120 * DAY) == pytest.approx(1 - got_a, abs=1e-12)


def test_recovery_after_stopping_is_resynthesis():
    """Once phenelzine is gone (20 plasma half-lives after the last dose), 1 - E decays as exp(-k_deg t),
    whatever the drug did before: the half-time of recovery is ln 2 / k_deg (mao.toml)."""
    r = study("mao_pet_maoi")
    arm = "Phenelzine 52.5 mg/day"
    t0 = 42 * DAY + 20 * 11.6  # 20 half-lives of phenelzine (nardil_label) after the doses stop: C down 1e6-fold
    model = MAOModel(())
    for enzyme, idx in (("a", 0), ("b", 1)):
        e0 = at(r, f"effect.mao_{enzyme}_enzyme", arm, t0)
        assert e0 < 0.6  # still far from baseline when the drug has gone
        for days in (5, 20, 60):
            got = at(r, f"effect.mao_{enzyme}_enzyme", arm, t0 + days * DAY)
            assert got == pytest.approx(float(model.recovery(days * DAY, e0, idx)), abs=1e-6)


def test_reversible_inhibitor_leaves_the_enzyme_whole():
    """Moclobemide has no kinact: E stays 1 and activity is 1 - occupancy.MAO_A at every output time;
    it does not touch MAO-B (wiesel1985: no platelet MAO-B inhibition)."""
    r = study("mao_pet_maoi")
    arm = "Moclobemide 450 mg/day"
    e = np.asarray(r.get("effect.mao_a_enzyme", arm=arm))[0]
    occ = np.asarray(r.get("occupancy.MAO_A", arm=arm))[0]
    act = np.asarray(r.get("effect.mao_a_activity", arm=arm))[0]
    assert np.max(np.abs(e - 1.0)) < 1e-12
    assert np.max(np.abs(act - (1.0 - occ))) < 1e-12
    assert np.max(np.asarray(r.get("effect.mao_b_inhibition", arm=arm))) < 1e-12


def test_pet_occupancy_against_chiuccariello2015():
    """Mean MAO-A occupancy after 6 weeks ([11C]harmine PET, chiuccariello2015 abstract): moclobemide
    300-600 mg/day 74.23 +/- 8.32 % (the fit's target), 900-1200 mg/day 83.75 +/- 5.52 % (independent),
    phenelzine 45-60 mg/day 86.82 +/- 6.89 % (the fit's target)."""
    r = study("mao_pet_maoi")
    got = {arm: 100 * window_mean(r, "effect.mao_a_inhibition", arm, 41 * DAY, 42 * DAY) for arm in r.arms}
    assert got["Moclobemide 450 mg/day"] == pytest.approx(74.23, abs=0.5)  # calibrated: within the fit's tolerance
    assert 83.75 - 5.52 <= got["Moclobemide 1050 mg/day"] <= 83.75 + 5.52
    assert got["Phenelzine 52.5 mg/day"] == pytest.approx(86.82, abs=0.5)


def test_checks_report_their_basis_honestly():
    names = [n for n in checks() if n.startswith("imaging.") and ("mao" in n or "phenelzine" in n)]
    rows = {(row.check, row.claim): row for row in run_checks(names)}
    basis = {row.check: row.basis for row in rows.values()}
    verdict = {row.check: row.verdict for row in rows.values()}
    assert basis["imaging.moclobemide_maoa_pet_low_dose"] == "calibrated"
    assert basis["imaging.moclobemide_maoa_pet_high_dose"] == "independent"
    assert basis["imaging.phenelzine_maoa_pet"] == "calibrated"
    assert basis["imaging.maob_recovery_after_irreversible_maoi"] == "calibrated"
    assert verdict["imaging.moclobemide_maoa_returns_within_a_day"] == "not reproduced"
    assert all(v == "reproduced" for k, v in verdict.items() if k != "imaging.moclobemide_maoa_returns_within_a_day")


def test_switch_from_fluoxetine_keeps_sert_occupied_when_the_maoi_starts():
    """Fluoxetine 20 mg/day for 4 weeks, then phenelzine after 5 weeks (prozac_label) or 2 weeks: SERT is
    still occupied at the first phenelzine dose, more after the short washout, and after 5 weeks mostly by
    norfluoxetine (half-life 9.3 days against fluoxetine's 4-6, prozac_label); MAO-A is then inhibited
    as much in both arms (the same phenelzine course)."""
    r = pdsim.simulate("fluoxetine_maoi_switch")
    long_, short = "5-week washout (label)", "2-week washout (too short)"
    s_long, s_short = at(r, "occupancy.SERT", long_, 63 * DAY), at(r, "occupancy.SERT", short, 42 * DAY)
    assert 0.2 < s_long < s_short
    assert at(r, "occupancy.SERT.norfluoxetine", long_, 63 * DAY) > 0.8 * s_long
    assert at(r, "effect.mao_a_inhibition", long_, 62 * DAY) == 0.0
    a7 = [at(r, "effect.mao_a_inhibition", arm, (d + 7) * DAY) for arm, d in ((long_, 63), (short, 42))]
    assert a7[0] == pytest.approx(a7[1], rel=1e-9) and a7[0] > 0.5


def test_salt_forms_convert_to_base():
    """A dose stated as the sulfate is amount x M_base/M_salt of base (phenelzine 136.20/234.27;
    tranylcypromine per mole of base 133.19/182.23)."""
    for name, salt in (("phenelzine", 234.27), ("tranylcypromine", 182.23)):
        d = pdsim.drug(name)
        assert d.base_fraction("sulfate") == pytest.approx(d.molar_mass.to("g/mol") / salt)


def test_bad_kinact_is_refused(tmp_path):
    bad = {"name": "badmaoi",
           "molar_mass": {"value": 150.0, "unit": "g/mol", "sources": ["assumption"], "kind": "assumed", "note": "test"},
           "pk": {"human": {"model": "one_compartment",
                            **{k: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "test"}
                               for k, v, u in (("ka", 1.0, "1/h"), ("CL", 10.0, "L/h"), ("V", 50.0, "L"))}}},
           "targets": {"MAO_A": {"action": "inhibitor", "measure": "Ki",
                                 "affinity": {"value": 100.0, "unit": "nM", "sources": ["assumption"], "kind": "assumed",
                                              "note": "test"},
                                 "kinact": {"value": 0.0, "unit": "1/h", "sources": ["assumption"], "kind": "assumed",
                                            "note": "test"}}}}
    sc = pdsim.Scenario.from_dict({"name": "bad", "duration": "1 day", "systems": ["mao"], "drugs": {"badmaoi": bad},
                                   "arms": [{"label": "a", "doses": [{"drug": "badmaoi", "dose": "10 mg"}]}]})
    with pytest.raises((ModelFileError, PdsimError), match=r"badmaoi.*kinact must be > 0"):
        pdsim.simulate(sc)


def test_readme_mao_numbers_come_from_the_model():
    """README's MAO bullet: every model number is the model's, rounded as printed."""
    from pdsim.checks import mao

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text()
    r = study("mao_pet_maoi")
    low, high, phen = (mao._pet_day(a) for a in (mao._LOW, mao._HIGH, mao._PHEN))
    half = mao.recovery_half_time(r, "effect.mao_b_inhibition", mao._PHEN, mao._STOP_H)
    left = 100 * at(r, "effect.mao_a_inhibition", mao._LOW, mao._last_dose_h(mao._LOW) + 24)
    assert f"holds {low:.0f} % of MAO-A" in text
    assert f"1050 mg/day {high:.0f} % against" in text
    assert f"phenelzine 52.5 mg/day {phen:.0f} % (fitted" in text
    assert f"half-time of {half:.0f} days, set by" in text
    assert f"{left:.0f} %\n  is left" in text
