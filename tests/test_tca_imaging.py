"""Nortriptyline's NET PET curve (takano2014) against its closed form and the papers' numbers, the TCA imaging
checks (studies/net_pet_nortriptyline through pdsim.simulate), and README's statements about them."""
from __future__ import annotations

import numpy as np
import pytest

import pdsim
from pdsim.scenario import Scenario
from pdsim.targets.engagement import in_vivo
from pdsim.validation import checks, study

from .conftest import ROOT

M_NT = 263.38  # g/mol, nortriptyline base (models/drugs/nortriptyline.toml)
EC50_NG_ML = 79.8  # takano2014 abstract: plasma nortriptyline for 50 % NET occupancy


def _run(arms, days=3, every="0.5 h", engagement="in_vivo"):
    sc = Scenario.from_dict({"name": "t", "duration": f"{days} day", "output_every": every, "engagement": engagement,
                             "targets": ["NET"], "arms": arms})
    return pdsim.simulate(sc)


def test_the_curve_is_takano2014s_plasma_ec50_in_nm():
    iv = in_vivo("nortriptyline", "NET")
    assert iv.ec50_nM == pytest.approx(EC50_NG_ML * 1e3 / M_NT, rel=1e-9)  # 303.0 nM
    assert iv.emax == 1.0 and iv.ke0 is None


def test_occupancy_is_half_at_the_published_ec50_and_follows_the_hyperbola():
    """A constant infusion: occupancy = C/(EC50 + C) on total plasma at every output time, so it passes 50 % where
    plasma crosses 79.8 ng/mL (takano2014's definition of EC50)."""
    r = _run([{"label": "a", "doses": [{"drug": "nortriptyline", "dose": "200 mg", "route": "iv_infusion",
                                        "duration": "72 h"}]}])
    c = r.get("plasma.nortriptyline")[0]
    occ = r.get("occupancy.NET")[0]
    ec50 = EC50_NG_ML * 1e3 / M_NT
    np.testing.assert_allclose(occ, c / (ec50 + c), rtol=1e-9, atol=1e-12)
    i = int(np.argmin(np.abs(c - ec50)))
    assert c[i] == pytest.approx(ec50, rel=0.02)
    assert occ[i] == pytest.approx(0.5, abs=0.01)


def test_in_vitro_engagement_ignores_the_pet_curve():
    """engagement = "in_vitro": the one-site law on free plasma with Kd 4.4 nM (tatsumi1997), fu 0.08."""
    arms = [{"label": "a", "doses": [{"drug": "nortriptyline", "dose": "75 mg"}]}]
    r = _run(arms, engagement="in_vitro")
    cu = 0.08 * r.get("plasma.nortriptyline")[0]
    np.testing.assert_allclose(r.get("occupancy.NET")[0], cu / (4.4 + cu), rtol=1e-9, atol=1e-12)


def test_the_patients_check_tests_only_the_steady_state_mean_level():
    """The day-28 mean plasma level of the ED50 arm is F D/(CL tau) = 0.51 x 65.9 mg / (20 L/h x 24 h) (drug file),
    the one PK quantity the calibrated check depends on."""
    r = study("net_pet_nortriptyline")
    t = r.time_h
    w = (t >= 27 * 24) & (t <= 28 * 24)
    c = r.get("plasma.nortriptyline", arm="Nortriptyline 65.9 mg/day")[0][w]
    mean_ng_ml = np.trapezoid(c, t[w]) / 24.0 * M_NT / 1e3
    assert mean_ng_ml == pytest.approx(0.51 * 65.9e3 / (20.0 * 24.0), rel=0.01)


def test_tca_imaging_checks_are_labelled_and_give_their_verdicts():
    reg = checks()
    patients, single = reg["imaging.nortriptyline_net_pet_patients"], reg["imaging.nortriptyline_net_single_dose"]
    assert patients.calibrates == ("drugs/nortriptyline:targets.NET.in_vivo.EC50",)  # the EC50 is takano2014's
    assert patients.references == ("takano2014",) and patients.expect == "reproduced"
    assert not single.calibrates and single.references == ("sekine2010",) and single.expect == "not reproduced"
    assert patients.func().reproduced
    assert not single.func().reproduced
    # sekine2010: 33.2 % after 25 mg; the model's peak within 24 h (any scan time) is more than 10 points below
    from pdsim.checks._read import window_max

    peak25 = 100.0 * window_max(study("net_pet_nortriptyline"), "occupancy.NET", "Nortriptyline 25 mg once", 0.0, 24.0)
    assert peak25 < 33.2 - 10.0


def test_the_sources_are_in_the_registry():
    text = (ROOT / "seeds" / "references.toml").read_text(encoding="utf-8")
    assert 'id = "takano2014"' in text and 'pmid = "24345533"' in text
    assert 'id = "sekine2010"' in text and 'pmid = "20309528"' in text


def test_readme_states_the_nortriptyline_net_numbers():
    """README's NET sentence: the ED50 arm's occupancy and the single 25 mg dose's peak, as simulated."""
    reg = checks()
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    r = study("net_pet_nortriptyline")
    from pdsim.checks._read import day_mean, window_max

    ed50 = 100.0 * day_mean(r, "occupancy.NET", "Nortriptyline 65.9 mg/day", 27)
    p25 = 100.0 * window_max(r, "occupancy.NET", "Nortriptyline 25 mg once", 0.0, 24.0)
    assert f"65.9 mg/day (their ED50) gives {ed50:.0f} %" in text
    assert f"at most {p25:.0f} % after a single 25 mg dose against 33.2 %" in text
    assert reg["imaging.nortriptyline_net_single_dose"].expect == "not reproduced"


def test_readme_states_amitriptylines_net_occupancy_with_and_without_the_curve():
    """Amitriptyline 25 mg every 8 h (studies/usual_doses_human, day 14): NET occupancy with nortriptyline's PET
    curve, and with every drug on its in-vitro constant (engagement = "in_vitro": the catalogue before the curve,
    as amitriptyline has no in-vivo table)."""
    from dataclasses import replace

    from pdsim.checks._read import day_mean
    from pdsim.scenario import load_scenario

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    arm = "Amitriptyline 25 mg every 8 h"
    with_curve = 100.0 * day_mean(study("usual_doses_human"), "occupancy.NET", arm, 13)
    sc = load_scenario(ROOT / "models" / "scenarios" / "studies" / "usual_doses_human.toml")
    sc = replace(sc, engagement="in_vitro", arms=tuple(a for a in sc.arms if a.label == arm))
    before = 100.0 * day_mean(pdsim.simulate(sc), "occupancy.NET", arm, 13)
    assert f"amitriptyline 75 mg/day holds {with_curve:.0f} % of NET ({before:.0f} % from nortriptyline's" in text
    assert not checks()["transporters.amitriptyline_reuptake_inhibition"].func().reproduced
