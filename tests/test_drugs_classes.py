"""The antidepressant drug files (issue 13) against the published numbers they were built from, and
the imaging checks' ability to fail (each depends parameter x10 or x0.1, each remove drug)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import pdsim
from pdsim import catalog, pk
from pdsim.scenario import Scenario

from .conftest import ROOT


def _half_life(drug: str) -> float:
    return float(np.asarray(pk.pk_model(drug, "human").half_life))


@pytest.mark.parametrize("drug, t_half_h, tol", [
    ("citalopram", 35.0, 0.02),      # label: mean terminal half-life about 35 h
    ("sertraline", 26.0, 0.02),      # label: about 26 h (devane2002: 22-36 h)
    ("fluoxetine", 120.0, 0.02),     # label: 4-6 days after chronic dosing (middle 5 d)
    ("escitalopram", 24.6, 0.01),    # 0.693 x 1100/31 (sogaard2005)
])
def test_half_lives_match_their_sources(drug, t_half_h, tol):
    assert _half_life(drug) == pytest.approx(t_half_h, rel=tol)


def test_norfluoxetine_half_life_is_the_labels_chronic_mean():
    dr = catalog.drug("norfluoxetine").pk("human").params
    t_half = np.log(2) * dr["V"].to("L") / dr["CL"].to("L/h")
    assert t_half / 24 == pytest.approx(9.3, rel=0.02)  # prozac_label: mean 9.3 days after chronic dosing


def test_fluoxetine_40mg_for_30_days_lands_in_the_labels_ranges():
    """prozac_label: after 30 days of 40 mg/day, fluoxetine 91-302 and norfluoxetine 72-258 ng/mL."""
    sc = Scenario.from_dict({"name": "t", "duration": "30 day", "output_every": "6 h",
                             "arms": [{"label": "a", "doses": [{"drug": "fluoxetine", "dose": "40 mg", "every": "24 h",
                                                                "until": "30 day"}]}]})
    r = pdsim.simulate(sc)
    last = r.time_h >= 29 * 24
    flu = r.get("plasma.fluoxetine")[0][last].mean() * 309.33 / 1e3   # nM -> ng/mL
    nor = r.get("plasma.norfluoxetine")[0][last].mean() * 295.30 / 1e3
    assert 91 <= flu <= 302
    assert 72 <= nor <= 258


def test_paroxetine_other_pathways_are_sindrup1992_poor_metabolisers():
    """Paroxetine's non-linear model: CL (no CYP2D6) = 30 mg / AUCss,tau of sparteine poor metabolisers
    (4410 nmol.h/L, Sindrup et al. 1992 abstract), and V/CL gives their median half-life of 41 h."""
    p = catalog.drug("paroxetine").pk("human").params
    want = 30.0 / (4410 * 329.37 / 1e6)
    assert p["CL"].to("L/h") == pytest.approx(want, rel=0.005)  # file rounds to 3 digits
    assert np.log(2) * p["V"].to("L") / p["CL"].to("L/h") == pytest.approx(41.0, rel=0.01)


def test_citalopram_steady_state_average_is_f_dose_over_cl_tau():
    ss = pk.steady_state("citalopram", 20, 24, "oral", site="plasma")
    want_ng_ml = 0.8 * 20e3 / (19.8 * 24)  # F D / (CL tau), label values
    assert ss.cavg.to("nM").magnitude == pytest.approx(want_ng_ml * 1e3 / 324.39, rel=1e-6)


# ------------------------------------------------------------------ the imaging checks can fail
def _scale(home, pid: str, factor: float) -> None:
    """Multiply the value of parameter ``pid`` ('drugs/<stem>:<table>.<key>') in the copied tree."""
    where, dotted = pid.split(":")
    path = home / "models" / f"{where}.toml"
    table, key = dotted.rsplit(".", 1)
    text = path.read_text()
    start = text.index(f"\n[{table}]") + 1
    m = re.compile(rf"^{re.escape(key)} = \{{ value = ([0-9.eE+-]+)", re.M).search(text, start)
    assert m, pid
    new = f"{float(m.group(1)) * factor!r}"
    path.write_text(text[:m.start(1)] + new + text[m.end(1):])


def _imaging_checks():
    from pdsim.validation import checks

    return {n: c for n, c in checks().items() if n.startswith("imaging.")}


def _verdict(chk):
    """The verdict, or for a check expected not to reproduce the whole outcome (verdict and simulated
    numbers): no single x10/x0.1 change may rescue a structural failure, but each perturbation must
    still move what the check reads, or the check does not depend on it."""
    from pdsim.validation import clear_studies

    clear_studies()
    try:
        out = chk.func()
    except Exception:  # a perturbation that breaks the run also changes the verdict
        return False
    return bool(out.reproduced) if chk.expect == "reproduced" else (bool(out.reproduced), out.simulated)


@pytest.mark.parametrize("name", sorted(_imaging_checks()))
def test_each_imaging_check_can_fail(name, tree_copy):
    from pdsim.targets import _base
    from pdsim.validation import clear_studies, without_drugs

    chk = _imaging_checks()[name]
    base = _verdict(chk)
    assert chk.depends
    for pid in chk.depends:
        flipped = False
        for factor in (10.0, 0.1):
            original = (tree_copy / "models" / f"{pid.split(':')[0]}.toml").read_text()
            _scale(tree_copy, pid, factor)
            catalog.clear_cache()
            _base._VALUES.clear()
            flipped |= _verdict(chk) != base
            (tree_copy / "models" / f"{pid.split(':')[0]}.toml").write_text(original)
            catalog.clear_cache()
            _base._VALUES.clear()
        assert flipped, f"{name}: scaling {pid} x10 or x0.1 does not change the verdict"
    for drug in chk.remove:
        with without_drugs(drug):
            assert _verdict(chk) != base, f"{name}: removing {drug} does not change the verdict"
    clear_studies()


# ------------------------------------------------------------------ the class comparison (pdsim demo)
def test_class_figures_profile_and_engagement():
    from pdsim.demo import class_figures
    from pdsim.runner import simulate_scenario

    _, r = simulate_scenario("antidepressant_classes")
    figs = class_figures(r)
    assert set(figs) == {"classes_profile", "classes_engagement", "classes_mao"}
    titles = [a.get_title() for a in figs["classes_engagement"].axes if a.get_visible()]
    assert [t.split()[0] for t in titles[:3]] == ["SERT", "NET", "DAT"]
    # the fluoxetine washout: 4 weeks after the last dose norfluoxetine (t1/2 9.3 d, prozac_label)
    # still holds SERT; escitalopram (t1/2 about 1 d) would be gone within days
    t = r.time_h
    flu = r.get("occupancy.SERT", arm="Fluoxetine 20 mg/day, stopped at week 4 (SSRI)")[0]
    nor = r.get("occupancy.SERT.norfluoxetine", arm="Fluoxetine 20 mg/day, stopped at week 4 (SSRI)")[0]
    end = int(np.argmin(np.abs(t - 56 * 24)))
    assert nor[end] > 0.5 * flu[end] > 0.2


def test_run_demo_writes_the_class_panel(tmp_path, monkeypatch):
    import pdsim.demo as demo

    monkeypatch.setattr(demo, "DEMO_SCENARIO", demo.CLASS_SCENARIO)  # a quicker run: the demo writer on the classes
    paths = demo.run_demo(tmp_path)
    names = {p.name for p in paths}
    assert {"classes_profile.png", "classes_engagement.png"} <= names


def test_readme_engagement_numbers_come_from_the_model():
    """README's in-vivo engagement bullet: every number is the model's (rounded as printed)."""
    from pdsim.checks import imaging

    text = (ROOT / "README.md").read_text()
    esc28 = imaging._day28_mean("escitalopram")
    esc6 = 100 * imaging._at("occupancy.SERT", "Escitalopram 10 mg/day x 10 d", 222.0)
    cit6 = 100 * imaging._at("occupancy.SERT", "Citalopram 20 mg/day x 10 d", 222.0)
    assert f"then holds {esc28:.0f} % of SERT" in text
    assert f"and {esc6:.0f} % 6 h after 10 days" in text
    assert f"gives {cit6:.0f} % against {esc6:.0f} %" in text
    r = imaging.study("dat_pet_bupropion")
    i = int(np.argmin(np.abs(r.time_h - 243.0)))
    dat = 100 * float(r.get("occupancy.DAT")[:, i].mean())
    assert f"{dat:.0f} % 3 h after the last dose of 150 mg SR" in text


def test_nortriptyline_is_dosable_with_the_smpc_tmax(tmp_path, monkeypatch):
    """Nortrilen SmPC: Tmax 5.5 ± 1.9 h after an oral dose. Its own ka and F do not change how much
    is formed from amitriptyline (the same run without them gives the same nortriptyline)."""
    import shutil

    from pdsim.dosing import Dose

    t = np.linspace(0.0, 24.0, 24001)
    c = np.asarray(pk.pk_model("nortriptyline", "human").conc(t, [Dose(time=0.0, amount=25.0, route="oral")]))
    assert t[int(np.argmax(c))] == pytest.approx(5.5, abs=0.05)
    sc = Scenario.from_dict({"name": "t", "duration": "2 day", "output_every": "1 h",
                             "arms": [{"label": "a", "doses": [{"drug": "amitriptyline", "dose": "75 mg"}]}]})
    with_ka = pdsim.simulate(sc).get("plasma.nortriptyline")[0]
    home = tmp_path / "proj"
    shutil.copytree(ROOT / "models", home / "models")
    shutil.copytree(ROOT / "seeds", home / "seeds")
    path = home / "models" / "drugs" / "nortriptyline.toml"
    path.write_text("\n".join(ln for ln in path.read_text().splitlines() if not ln.startswith(("ka = ", "F = "))))
    monkeypatch.setenv("PDSIM_HOME", str(home))
    catalog.clear_cache()
    try:
        assert "ka" not in catalog.drug("nortriptyline").pk("human").params
        without = pdsim.simulate(sc).get("plasma.nortriptyline")[0]
    finally:
        monkeypatch.delenv("PDSIM_HOME")
        catalog.clear_cache()
    assert with_ka.max() > 0
    np.testing.assert_allclose(with_ka, without, rtol=1e-12)
