"""`pdsim demo`: the flagship comparison writes its promised files, and its figures show what they claim.

Checks content (panels, series, labels, bar values against the result), not only that files exist.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pdsim.demo import demo_figures, run_demo
from pdsim.runner import occupancy_profile, simulate_scenario

ARMS = ["Tianeptine 12.5 mg three times daily", "Amitriptyline 75 mg once daily", "Escitalopram 10 mg once daily"]
PROMISED = {"results.csv", "sources.csv", "concentrations.png", "occupancy.png", "receptor_profile.png",
            "side_effects.png"}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out)


@pytest.fixture(scope="module")
def result():
    return simulate_scenario("demo")[1]


@pytest.fixture(scope="module")
def figures(result):
    return demo_figures(result)


def test_demo_writes_the_promised_files(written):
    out, paths = written
    assert all(isinstance(p, Path) and p.parent == out for p in paths)
    assert PROMISED <= {p.name for p in paths}
    for p in paths:
        assert p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_csv_holds_every_arm_and_the_panel(written):
    out, _ = written
    res = pd.read_csv(out / "results.csv")
    assert list(res["arm"].unique()) == ARMS
    variables = set(res["variable"])
    for v in ("plasma.tianeptine", "plasma.amitriptyline", "plasma.escitalopram", "occupancy.MOR",
              "occupancy.SERT", "occupancy.H1", "occupancy.mAChR", "occupancy.alpha1", "signal.H1"):
        assert v in variables, v
    assert res["time_h"].max() == pytest.approx(28 * 24)
    assert set(res.loc[res["variable"] == "plasma.tianeptine", "unit"]) == {"nM"}


def test_sources_csv_traces_every_parameter(written):
    out, _ = written
    src = pd.read_csv(out / "sources.csv")
    assert {"parameter", "value", "unit", "kind", "sources", "citation"} <= set(src.columns)
    assert src["sources"].notna().all()
    assert src["parameter"].str.contains("tianeptine").any() and src["parameter"].str.contains("escitalopram").any()


def test_concentration_figure_one_panel_per_drug(figures):
    fig = figures["concentrations"]
    axes = [a for a in fig.axes if a.get_visible()]
    titles = [a.get_title() for a in axes]
    # parents in arm order, each followed by the metabolites the engine tracks (MC5, nortriptyline)
    parents = [t for t in titles if t in ("Tianeptine", "Amitriptyline", "Escitalopram")]
    assert parents == ["Tianeptine", "Amitriptyline", "Escitalopram"]
    if "Nortriptyline" in titles:
        assert titles.index("Amitriptyline") < titles.index("Nortriptyline") < titles.index("Escitalopram")
    for a in axes:
        assert len(a.get_lines()) == 1
        assert a.get_ylabel() == "Total plasma concentration (nM)" and a.get_xlabel() == "Time (days)"
        assert a.get_xlim()[1] == pytest.approx(7.0)  # the first week, where levels build up
    assert fig.get_supxlabel().startswith("Sources:")


def test_occupancy_figure_covers_the_panel(figures):
    fig = figures["occupancy"]
    titles = [a.get_title().split()[0] for a in fig.axes if a.get_visible()]
    for t in ("MOR", "SERT", "NET", "H1", "mAChR", "α1"):  # alpha1 written as a student reads it
        assert t in titles
    for a in fig.axes:
        if a.get_visible():
            assert a.get_ylabel() == "Occupancy (%)" and len(a.get_lines()) >= 3
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for arm in ARMS:
        assert any(t == arm or t.startswith(arm + ":") for t in legend), arm
    # where a drug and its metabolite compete (amitriptyline and nortriptyline at NET and SERT) each is drawn
    ami = next(a for a in ARMS if a.startswith("Amitriptyline"))
    assert f"{ami}: Nortriptyline (inhibitor)" in legend and f"{ami}: all ligands" in legend


def test_receptor_profile_is_drug_by_target(figures, result):
    fig = figures["receptor_profile"]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Tianeptine", "Amitriptyline", "Escitalopram"]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    prof = occupancy_profile(result)
    cells = np.array([t.get_text() for t in ax.texts]).reshape(3, len(cols))
    sert = cols.index("SERT")
    assert cells[0, sert] == "–"  # tianeptine has no SERT affinity in the model
    assert cells[2, sert] == f"{100 * prof.iloc[2, sert]:.0f}"
    assert cells[0, cols.index("MOR")] not in ("–", "0")  # tianeptine occupies some MOR


def test_side_effect_bars_match_the_result(figures, result):
    fig = figures["side_effects"]
    ax = fig.axes[0]
    assert [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()] == [
        "Sedation (H1)", "Anticholinergic (muscarinic)", "Orthostatic (α1)"]
    assert ax.get_ylabel() == "Index: fraction of receptors blocked (dimensionless)"
    heights = np.array([b.get_height() for b in ax.patches]).reshape(3, 3)  # arm × index
    last = result.time_h >= result.time_h[-1] - 24
    for j, t in enumerate(("H1", "mAChR", "alpha1")):
        for i in range(3):
            assert heights[i, j] == pytest.approx(np.median(result.data[f"signal.{t}"][i], axis=0)[last].mean())
    assert np.all(heights[0] == 0) and np.all(heights[2] == 0)  # only amitriptyline blocks these receptors
    assert heights[1, 0] > heights[1, 1]  # H1 block exceeds muscarinic block at this dose


def test_onset_figure_when_the_engine_models_onset(figures, result):
    if "effect.antidepressant_index" not in result.data:
        pytest.skip("the engine does not yet return the onset states")
    fig = figures["onset"]
    axes = [a for a in fig.axes if a.get_visible()]
    assert axes[0].get_title() == "Antidepressant index (24-h mean)"
    assert axes[0].get_ylabel() == "Antidepressant index (dimensionless)"
    for a in axes:
        trends = [ln for ln in a.get_lines() if not ln.get_label().startswith("_")]
        assert len(trends) == 3 and len(a.get_lines()) == 6  # each arm: a faint raw curve and its daily mean
    # the SSRI's monoamine effect builds over weeks: day 1 well below day 28
    esc = [ln for ln in axes[0].get_lines() if ln.get_label() == ARMS[2]][0].get_ydata()
    assert esc[24] < 0.5 * esc[-1]
