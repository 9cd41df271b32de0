"""The SNRIs (venlafaxine -> O-desmethylvenlafaxine, duloxetine) against the label values and PET papers
they were built from, their in-vitro NET engagement against its closed form, and README's SNRI numbers."""
from __future__ import annotations

import numpy as np
import pytest

import pdsim
from pdsim import catalog, pk
from pdsim.dosing import Dose
from pdsim.scenario import Scenario

from .conftest import ROOT

M_VEN, M_ODV, M_DUL = 277.41, 263.38, 297.42  # g/mol, the drug files' molar masses


def _half_life(drug: str) -> float:
    return float(np.asarray(pk.pk_model(drug, "human").half_life))


@pytest.mark.parametrize("drug, t_half_h, tol", [
    ("venlafaxine", 0.693 * 7.5 / 1.3, 0.01),  # label: CL 1.3 L/h/kg, Vss 7.5 L/kg (t1/2 given as 5 +/- 2 h)
    ("duloxetine", 12.0, 0.01),                # label: about 12 h (V/F 1640 L, CL/F derived from it)
])
def test_half_lives_follow_the_labels(drug, t_half_h, tol):
    assert _half_life(drug) == pytest.approx(t_half_h, rel=tol)


def test_odv_half_life_within_the_labels_sd():
    p = catalog.drug("o_desmethylvenlafaxine").pk("human").params
    t_half = np.log(2) * p["V"].to("L/kg") / p["CL"].to("L/h/kg")
    assert 9.0 <= t_half <= 13.0  # label: 11 +/- 2 h


def test_duloxetine_peaks_6h_after_a_dose_with_the_2h_lag():
    """Label: median 2-h lag, Cmax 6 h after the dose."""
    t = np.linspace(0.0, 24.0, 24001)
    c = np.asarray(pk.pk_model("duloxetine", "human").conc(t, [Dose(time=0.0, amount=60.0, route="oral")]))
    assert c[t < 2.0].max() == 0.0
    assert t[int(np.argmax(c))] == pytest.approx(6.0, abs=0.05)


def test_venlafaxine_xr_peaks_at_the_quoted_tmax():
    """Effexor XR as quoted (venlafaxine_xr_label, low confidence): venlafaxine peaks 5.5 h after a capsule."""
    t = np.linspace(0.0, 24.0, 24001)
    c = np.asarray(pk.pk_model("venlafaxine", "human").conc(t, [Dose(time=0.0, amount=75.0, route="oral")]))
    assert t[int(np.argmax(c))] == pytest.approx(5.5, abs=0.1)  # ka rounded to 0.19 1/h


def _run(arms, days=10, every="1 h"):
    sc = Scenario.from_dict({"name": "t", "duration": f"{days} day", "output_every": every, "arms": arms})
    return pdsim.simulate(sc)


def test_odv_to_venlafaxine_exposure_is_fm_cl_over_cl_odv():
    """At steady state AUC_ODV/AUC_ven (molar) = fm CL_ven / CL_ODV = 0.55 x 1.3/0.4 (label values)."""
    r = _run([{"label": "a", "doses": [{"drug": "venlafaxine", "dose": "75 mg", "every": "24 h", "until": "10 day"}]}],
             every="0.25 h")
    t = r.time_h
    w = (t >= 8 * 24) & (t <= 9 * 24)
    ven = np.trapezoid(r.get("plasma.venlafaxine")[0][w], t[w])
    odv = np.trapezoid(r.get("plasma.o_desmethylvenlafaxine")[0][w], t[w])
    assert odv / ven == pytest.approx(0.55 * 1.3 / 0.4, rel=0.01)
    # and the venlafaxine steady-state average is F D / (CL tau): 75 mg / (1.3 L/h/kg x 70 kg x 24 h)
    assert ven / 24 == pytest.approx(75e3 / (1.3 * 70 * 24) / M_VEN * 1e3, rel=0.01)


def test_a_hydrochloride_dose_is_converted_to_base():
    """75 mg of venlafaxine hydrochloride is 75 x 277.41/313.87 mg of base (formula weights)."""
    r = _run([{"label": "base", "doses": [{"drug": "venlafaxine", "dose": "66.288 mg"}]},
              {"label": "salt", "doses": [{"drug": "venlafaxine", "dose": "75 mg", "form": "hydrochloride"}]}], days=1)
    np.testing.assert_allclose(r.get("plasma.venlafaxine", arm="salt")[0], r.get("plasma.venlafaxine", arm="base")[0],
                               rtol=1e-4)


def test_duloxetine_net_occupancy_is_the_one_site_law_on_free_plasma():
    """No NET PET curve: occupancy = C_u/(C_u + Ki) with Ki 7.5 nM (bymaster2001), C_u = fu x C."""
    r = _run([{"label": "a", "doses": [{"drug": "duloxetine", "dose": "60 mg", "every": "24 h", "count": 5}]}], days=5)
    cu = 0.10 * r.get("plasma.duloxetine")[0]
    np.testing.assert_allclose(r.get("occupancy.NET")[0], cu / (cu + 7.5), rtol=1e-9, atol=1e-12)


def test_duloxetine_sert_fit_reproduces_takano2006_single_dose():
    """takano2006: 81.8, 71.9, 44.9 % at 6, 25, 53 h after 60 mg; the fitted curve within 2 points of each."""
    from pdsim.checks import imaging_snri

    for h, want in {6: 81.8, 25: 71.9, 53: 44.9}.items():
        assert imaging_snri._at("Duloxetine 60 mg once", h) == pytest.approx(want, abs=2.0)


def _washout_levels():
    """takano2006's repeated-dose washout means and the model's, as plasma duloxetine (ng/mL): the fitted SERT curve
    occupancy = Emax C / (EC50 + C) inverted, C = EC50 o / (Emax - o) (exact for the model: no ke0)."""
    from pdsim.checks import imaging_snri
    from pdsim.targets.engagement import in_vivo

    iv = in_vivo("duloxetine", "SERT")
    ec50 = iv.ec50_nM * M_DUL / 1e3  # nM -> ng/mL

    def conc(pct: float) -> float:
        return ec50 * (pct / 100) / (iv.emax - pct / 100)

    obs = {h: conc(imaging_snri._TAKANO_REPEAT[h]) for h in (49, 78)}
    sim = {h: conc(imaging_snri._at("Duloxetine 60 mg/day x 7 d", 144.0 + h)) for h in (49, 78)}
    return obs, sim


def test_duloxetine_washout_miss_is_a_level_not_a_delay():
    """The washout row's reason, checked: takano2006's 49- and 78-h means decline with a half-life inside the label's
    8-17 h (so no slow brain equilibration is indicated), while their level is about 3 times the model's."""
    from pdsim.validation import checks

    obs, sim = _washout_levels()
    t_half = np.log(2) * 29 / np.log(obs[49] / obs[78])
    assert 8.0 <= t_half <= 17.0  # duloxetine label: elimination half-life about 12 h, range 8-17 h
    # the model declines at its plasma half-life over the same hours (occupancy follows plasma, no ke0)
    assert np.log(2) * 29 / np.log(sim[49] / sim[78]) == pytest.approx(_half_life("duloxetine"), rel=0.01)
    ratio = sorted(obs[h] / sim[h] for h in (49, 78))
    assert ratio[0] > 2.5  # the miss is the level
    reason = " ".join(checks()["imaging.duloxetine_sert_washout_after_repeated_dosing"].reason.split())
    assert f"mean {obs[49]:.1f} and {obs[78]:.1f} ng/mL, a decline with half-life {t_half:.1f} h" in reason
    assert f"{ratio[0]:.1f}-{ratio[1]:.1f} times above the model's level" in reason
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"the measured decline has a {t_half:.1f} h half-life, like the plasma's: the model misses a level about " \
           f"{round(float(np.mean(ratio)))} times higher, not a brain delay" in readme


def test_readme_snri_numbers_come_from_the_model():
    from pdsim.checks import classes, imaging_snri

    text = " ".join((ROOT / "README.md").read_text().split())
    rep = {h: imaging_snri._at("Duloxetine 60 mg/day x 7 d", 144.0 + h) for h in (6, 49, 78)}
    assert f"gives {rep[6]:.0f} % 6 h after repeated 60 mg doses against 84.3 %" in text
    assert f"{rep[49]:.0f} % and {rep[78]:.0f} % at 49 and 78 h against 71.9 % and 47.1 %" in text
    ven, dul = (classes._occ(a)["NET"] for a in ("Venlafaxine XR 75 mg/day", "Duloxetine 60 mg/day"))
    assert f"occupy NET too ({ven:.0f} % and {dul:.0f} %" in text
    assert classes._occ("Bupropion SR 150 mg twice daily")["NET"] < 1.0
    assert "bupropion 300 mg/day under 1 %" in text


def test_the_snris_are_listed(capsys):
    from pdsim.cli import main

    assert main(["list", "drugs"]) == 0
    out = capsys.readouterr().out
    for name in ("venlafaxine", "o_desmethylvenlafaxine", "duloxetine"):
        assert name in out
