"""Tests of pdsim.plot: figures carry units, the right series and legends, captions with sources.

Results are built by hand here (closed-form one-compartment curves), so the tests do not depend on the engine.
"""
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from pdsim import catalog, plot
from pdsim.errors import InputError, UnknownNameError
from pdsim.result import Result

ARMS = ["Tianeptine 12.5 mg three times daily", "Amitriptyline 75 mg once daily", "Escitalopram 10 mg once daily"]


def _oral(t, dose_nM, every, k, ka, n_subjects=1, seed=0):
    """Superposed one-compartment oral curves (amount/V in nM), with log-normal subject scaling."""
    c = np.zeros(t.size)
    for td in np.arange(0.0, t[-1], every):
        dt = np.clip(t - td, 0.0, None)
        c += dose_nM * ka / (ka - k) * (np.exp(-k * dt) - np.exp(-ka * dt))
    scale = np.exp(np.random.default_rng(seed).normal(0.0, 0.3, (n_subjects, 1))) if n_subjects > 1 else np.ones((1, 1))
    return c[None, :] * scale


def make_result(n_subjects=1, days=3, dt=0.5):
    t = np.arange(0.0, days * 24 + 1e-9, dt)
    shape = (3, n_subjects, t.size)
    data = {f"plasma.{d}": np.zeros(shape) for d in ("tianeptine", "amitriptyline", "escitalopram")}
    data["plasma.tianeptine"][0] = _oral(t, 530.0, 8, 0.277, 2.7, n_subjects)
    data["plasma.amitriptyline"][1] = _oral(t, 117.0, 24, 0.031, 0.9, n_subjects, seed=1)
    data["plasma.escitalopram"][2] = _oral(t, 22.0, 24, 0.028, 1.1, n_subjects, seed=2)
    for tg in ("MOR", "SERT", "H1"):
        data[f"occupancy.{tg}"] = np.zeros(shape)
    c = data["plasma.tianeptine"][0]
    data["occupancy.MOR"][0] = c / (c + 6000.0)
    c = data["plasma.amitriptyline"][1]
    data["occupancy.SERT"][1] = c / (c + 86.0)
    data["occupancy.H1"][1] = c / (c + 14.0)
    c = data["plasma.escitalopram"][2]
    data["occupancy.SERT"][2] = c / (c + 1.4)
    data["signal.H1"] = data["occupancy.H1"].copy()
    data["signal.mAChR"] = data["occupancy.H1"] * 0.3
    data["effect.cort"] = np.ones(shape) + 0.1 * np.sin(2 * np.pi * t / 24)
    units = {k: ("nM" if k.startswith("plasma") else "1") for k in data}
    units["effect.cort"] = "nmol/L"
    params = {f"{d}.{k}": p for d in ("tianeptine", "amitriptyline", "escitalopram")
              for k, p in catalog.drug(d).parameters().items()}
    return Result(time_h=t, arms=list(ARMS), data=data, units=units, parameters=params, scenario_name="hand-built")


@pytest.fixture(scope="module")
def result():
    return make_result()


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def data_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_") or len(ln.get_xdata()) > 2]


def legend_texts(fig):
    out = []
    for leg in list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        out += [t.get_text() for t in leg.get_texts()]
    return out


def has_unit(label):
    return "(" in label and label.rstrip().endswith(")") and label[label.rindex("(") + 1:-1].strip() != ""


# --- time courses ---------------------------------------------------------------------------

def test_concentrations_one_panel_per_drug_one_line_per_dosed_arm(result):
    fig = plot.plot_concentrations(result)
    assert isinstance(fig, Figure)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["Tianeptine", "Amitriptyline", "Escitalopram"]
    for ax in axes:
        assert len(ax.get_lines()) == 1  # arms without the drug are left out
        assert ax.get_ylabel() == "Total plasma concentration (nM)"
        assert ax.get_xlabel() == "Time (h)"
        assert ax.get_ylim()[0] == 0
    assert sorted(legend_texts(fig)) == sorted(ARMS)


def test_concentrations_switch_to_micromolar_and_days():
    r = make_result(days=6)
    r.data["plasma.tianeptine"] *= 100.0  # a misuse-sized exposure
    fig = plot.plot_concentrations(r, drugs=["tianeptine"])
    ax = visible_axes(fig)[0]
    assert ax.get_ylabel() == "Total plasma concentration (µM)"
    assert ax.get_xlabel() == "Time (days)"
    y = ax.get_lines()[0].get_ydata()
    assert y.max() == pytest.approx(r.data["plasma.tianeptine"][0, 0].max() / 1000.0)


def test_time_range_restricts_the_curves(result):
    fig = plot.plot_occupancy(result, targets=["SERT"], time_range=(24, 48))
    x = visible_axes(fig)[0].get_lines()[0].get_xdata()
    assert x.min() == pytest.approx(24.0) and x.max() == pytest.approx(48.0)
    with pytest.raises(InputError, match="time_range"):
        plot.plot_occupancy(result, time_range=(10, 10.1))


def test_occupancy_in_percent_every_arm_drawn(result):
    fig = plot.plot_occupancy(result)
    axes = visible_axes(fig)
    assert len(axes) == 3
    for ax in axes:
        assert ax.get_ylabel() == "Occupancy (%)"
        assert len([ln for ln in ax.get_lines() if ln.get_label() in ARMS]) == 3
        assert ax.get_ylim() == (0.0, 100.0)
    sert = next(ax for ax in axes if ax.get_title().startswith("SERT"))
    esc = sert.get_lines()[2].get_ydata()
    assert 90 < esc.max() <= 100  # fractions shown as percent
    guide = [t for t in legend_texts(fig) if t not in ARMS]
    # the sourced band: 76-85 % SERT at SSRIs' minimum therapeutic doses (Meyer et al. 2004)
    assert guide == ["SSRIs at minimum therapeutic dose, PET: 76–85 % (Meyer et al. 2004)"]
    band = sert.patches[0]  # axhspan: a Rectangle in (axes x, data y)
    assert band.get_y() == pytest.approx(76.0) and band.get_y() + band.get_height() == pytest.approx(85.0)
    assert sorted(t for t in legend_texts(fig) if t in ARMS) == sorted(ARMS)


def test_occupancy_guides_match_their_source_records():
    """Each guide's range is the one its reference record states (seeds/references.toml)."""
    from pdsim._style import OCCUPANCY_GUIDES

    reg = catalog.registry()
    for target, (low, high, _, source) in OCCUPANCY_GUIDES.items():
        assert f"{100 * low:.0f}-{100 * high:.0f} %" in reg.references[source].note


def test_therapeutic_range_is_shaded_from_the_drug_file():
    lido = catalog.drug("lidocaine")
    lo, hi = (lido.extra["therapeutic_range"][k].to("nM") for k in ("low", "high"))
    t = np.linspace(0, 24, 49)
    data = {"plasma.lidocaine": np.full((1, 1, t.size), 3e4)}
    r = Result(time_h=t, arms=["infusion"], data=data, units={"plasma.lidocaine": "nM"})
    fig = plot.plot_concentrations(r)
    ax = visible_axes(fig)[0]
    bands = [p for p in ax.patches if "therapeutic range" in p.get_label()]
    assert len(bands) == 1
    y0, height = bands[0].get_y(), bands[0].get_height()  # axhspan: a rectangle in data y
    assert y0 == pytest.approx(lo / 1000.0) and y0 + height == pytest.approx(hi / 1000.0)  # drawn in µM
    assert "Lidocaine therapeutic range" in legend_texts(fig)


def test_effects_use_result_units_and_names(result):
    fig = plot.plot_effects(result, ["cort"])
    ax = visible_axes(fig)[0]
    assert ax.get_ylabel() == "Cort (nmol/L)"
    assert len(ax.get_lines()) == 3
    with pytest.raises(UnknownNameError, match="Did you mean"):
        plot.plot_effects(result, ["cortt"])


def test_population_band_and_median():
    r = make_result(n_subjects=50)
    fig = plot.plot_population(r, "plasma.amitriptyline", arms=[ARMS[1]], interval=0.8)
    ax = visible_axes(fig)[0]
    assert ax.get_ylabel() == "Total plasma concentration (nM)"
    assert len(ax.collections) == 1  # one band
    median = ax.get_lines()[0].get_ydata()
    assert np.allclose(median, np.median(r.data["plasma.amitriptyline"][1], axis=0))
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() >= median.max()
    assert legend_texts(fig) == [f"{ARMS[1]}: 80 % of subjects", f"{ARMS[1]}: median"]
    assert "50 virtual subjects" in ax.get_title()
    with pytest.raises(InputError, match="interval"):
        plot.plot_population(r, "plasma.amitriptyline", interval=90)


def test_arms_comparison_bars_hold_the_window_means(result):
    fig = plot.plot_arms(result, "occupancy.SERT", window_h=24)
    line_ax, bar_ax = visible_axes(fig)
    assert len(line_ax.get_lines()) == 3
    heights = [b.get_height() for b in bar_ax.patches]
    last = result.time_h >= result.time_h[-1] - 24
    expected = [100 * result.data["occupancy.SERT"][i, 0, last].mean() for i in range(3)]
    assert heights == pytest.approx(expected)
    assert bar_ax.get_ylabel() == "Mean, last 24 h (%)"


def test_steady_state_bars_grouped_by_variable(result):
    fig = plot.plot_steady_state(result, ["signal.H1", "signal.mAChR"], labels=["Sedation (H1)", "Anticholinergic"],
                                 ylabel="Side-effect index")
    ax = visible_axes(fig)[0]
    assert len(ax.patches) == 2 * 3
    assert ax.get_ylabel() == "Side-effect index (dimensionless)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Sedation (H1)", "Anticholinergic"]
    assert legend_texts(fig) == ARMS
    with pytest.raises(InputError, match="share a unit"):
        plot.plot_steady_state(result, ["signal.H1", "plasma.tianeptine"])


def test_sources_caption_names_references(result):
    fig = plot.plot_concentrations(result, drugs=["tianeptine"], sources=True)
    text = fig.get_supxlabel()
    assert text.startswith("Sources: ")
    assert "Royer" in text  # tianeptine PK (royer1988)
    assert plot.plot_concentrations(result, drugs=["tianeptine"]).get_supxlabel() == ""


def test_unknown_arm_and_variable_suggest(result):
    with pytest.raises(UnknownNameError, match="Did you mean"):
        plot.plot_occupancy(result, arms=["Tianeptine 12.5 mg three times dailly"])
    with pytest.raises(UnknownNameError, match="occupancy.MOR"):
        plot.plot_arms(result, "occupancy.MORR")
    with pytest.raises(InputError, match="site"):
        plot.plot_concentrations(result, site="liver")


# --- receptor theory --------------------------------------------------------------------------

def test_concentration_response_shift_equals_schild_dose_ratio():
    fig = plot.plot_concentration_response(ka=100.0, tau=10.0, kb=1.0, antagonist_concs=[0, 10, 100])
    ax = visible_axes(fig)[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "agonist concentration (nM)"
    assert "fraction of maximum" in ax.get_ylabel()
    responses = [ln for ln in ax.get_lines() if ln.get_label().startswith("response")]
    occupancies = [ln for ln in ax.get_lines() if ln.get_label().startswith("occupancy")]
    assert len(responses) == 3 and len(occupancies) == 3
    # the EC50 dots sit at EC50 × (1 + B/KB)
    dots = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label() == "_ec50"]
    ec50 = 100.0 / 11.0
    assert dots == pytest.approx([ec50, ec50 * 11, ec50 * 101])
    assert "dose ratio 11" in legend_texts(fig)[2]
    # spare receptors: half-maximal response needs under half occupancy when τ is large
    x, y = responses[0].get_data()
    xo, yo = occupancies[0].get_data()
    i = np.argmin(abs(y - y.max() / 2))
    assert yo[i] < 0.2


def test_concentration_response_reads_the_catalogue():
    fig = plot.plot_concentration_response("tianeptine", "MOR", antagonist="naloxone", antagonist_concs=[0, 10],
                                           sources=True)
    ax = visible_axes(fig)[0]
    assert ax.get_xlabel() == "Tianeptine concentration (nM)"
    assert any("Naloxone 10 nM" in t for t in legend_texts(fig))
    assert "Gassaway" in fig.get_supxlabel()
    with pytest.raises(InputError, match="antagonist"):
        plot.plot_concentration_response(ka=10, tau=1, antagonist_concs=[0, 5])


def test_schild_slope_one_and_pa2():
    fig = plot.plot_schild([1, 10, 100, 1000], kb=2.0)
    ax = visible_axes(fig)[0]
    pts = ax.get_lines()[0]
    assert len(pts.get_xdata()) == 4
    assert pts.get_xdata() == pytest.approx(np.log10(np.array([1, 10, 100, 1000]) * 1e-9))
    fit = ax.get_lines()[1].get_label()
    assert "slope 1.00" in fit and f"pA2 {9 - np.log10(2):.2f}" in fit
    assert "log10 M" in ax.get_xlabel() and "dimensionless" in ax.get_ylabel()
    with pytest.raises(InputError, match="exceed 1"):
        plot.plot_schild([1, 10], dose_ratios=[1.0, 3.0])
    with pytest.raises(InputError, match="two"):
        plot.plot_schild([1], kb=1)


def test_receptor_profile_heatmap_marks_missing_affinities():
    df = pd.DataFrame({"MOR": [0.12, 0.0, 0.0], "SERT": [0.0, 0.63, 0.96], "H1": [0.0, 0.91, 0.0]},
                      index=["tianeptine", "amitriptyline", "escitalopram"])
    fig = plot.plot_receptor_profile(df, sources=True)
    ax = visible_axes(fig)[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Tianeptine", "Amitriptyline", "Escitalopram"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MOR", "SERT", "H1"]
    cells = [t.get_text() for t in ax.texts]
    assert cells == ["12", "–", "–", "–", "63", "91", "–", "96", "–"]  # no affinity: a dash, not 0
    cbar = [a for a in fig.axes if a is not ax][0]
    assert cbar.get_ylabel() == "Occupancy (%)"
    assert "Tatsumi" in fig.get_supxlabel()


def test_receptor_profile_affinity_and_tidy_input():
    tidy = pd.DataFrame({"drug": ["amitriptyline", "amitriptyline"], "target": ["SERT", "H1"], "value": [4.3, 0.7]})
    fig = plot.plot_receptor_profile(tidy)
    ax = visible_axes(fig)[0]
    assert [t.get_text() for t in ax.texts] == ["8.4", "9.2"]  # pK = 9 − log10(K / nM)
    with pytest.raises(InputError, match="DataFrame"):
        plot.plot_receptor_profile({"a": 1})


def test_use_dependence_block_grows_with_frequency():
    fig = plot.plot_use_dependence("amitriptyline", "1 uM", frequencies=["1 Hz", "20 Hz"], pulses=30)
    ax = visible_axes(fig)[0]
    lines = ax.get_lines()
    assert len(lines) == 2
    assert lines[1].get_ydata()[-1] < lines[0].get_ydata()[-1]  # faster train, more block
    assert lines[0].get_ydata()[0] == pytest.approx(lines[1].get_ydata()[0])  # same tonic block at pulse 1
    assert ax.get_ylabel() == "Peak Na+ current vs drug-free (%)"


# --- house style -----------------------------------------------------------------------------

def test_no_global_rcparams_change(result):
    before = dict(mpl.rcParams)
    plot.plot_concentrations(result)
    plot.plot_receptor_profile(pd.DataFrame({"SERT": [0.5]}, index=["escitalopram"]))
    after = dict(mpl.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_okabe_ito_colours_and_projector_fonts(result):
    fig = plot.plot_occupancy(result, targets=["SERT"])
    ax = visible_axes(fig)[0]
    colours = [mpl.colors.to_hex(ln.get_color()).upper() for ln in ax.get_lines()[:3]]  # then the 80 % guide
    assert colours == plot.PALETTE[:3]
    assert ax.xaxis.label.get_fontsize() >= 12


def test_every_axis_label_has_a_unit(result):
    figs = [plot.plot_concentrations(result), plot.plot_occupancy(result), plot.plot_effects(result, ["cort"]),
            plot.plot_arms(result, "plasma.tianeptine"), plot.plot_population(result, "occupancy.MOR"),
            plot.plot_concentration_response(ka=10, tau=3), plot.plot_schild([1, 10], kb=1)]
    for fig in figs:
        for ax in visible_axes(fig):
            categorical = len(ax.patches) > 0 and ax.get_xlabel() == ""  # bars labelled by arm on the ticks
            for label in ((ax.get_ylabel(),) if categorical else (ax.get_xlabel(), ax.get_ylabel())):
                assert has_unit(label), label


def test_save_figure_writes_png(tmp_path, result):
    path = plot.save_figure(plot.plot_occupancy(result), tmp_path / "sub" / "occ.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pk_and_concentrations_in_ng_per_ml(result):
    """unit='ng/mL' converts with each drug's molar mass (C[ng/mL] = C[nM] · M / 1000)."""
    fig = plot.plot_concentrations(result, unit="ng/mL")
    ax = next(a for a in visible_axes(fig) if a.get_title() == "Tianeptine")
    assert ax.get_ylabel() == "Total plasma concentration (ng/mL)"
    mm = catalog.drug("tianeptine").molar_mass.quantity.to("g/mol").magnitude
    assert ax.get_lines()[0].get_ydata().max() == pytest.approx(result.data["plasma.tianeptine"][0, 0].max() * mm / 1e3)
    from pdsim.dosing import Regimen

    reg = Regimen.single(dose="12.5 mg")
    t = np.linspace(0, 12, 121)
    nm = plot.plot_pk("tianeptine", reg, t, sites=("plasma",)).axes[0].get_lines()[0].get_ydata()
    fig = plot.plot_pk("tianeptine", reg, t, sites=("plasma",), unit="ng/mL")
    assert fig.axes[0].get_ylabel() == "Concentration (ng/mL)"
    assert np.allclose(fig.axes[0].get_lines()[0].get_ydata(), nm * mm / 1e3)


def test_legends_sit_outside_the_data():
    """Single-panel figures put the legend beside the axes (anchored at x > 1 in axes coordinates)."""
    from pdsim.dosing import Regimen

    figs = [plot.plot_pk("tianeptine", Regimen.single(dose="12.5 mg"), np.linspace(0, 12, 121)),
            plot.plot_schild([1, 10, 100], kb=2),
            plot.plot_dose_response("tianeptine", ["12.5 mg", "125 mg"], "MOR", every="8 h", days=2)]
    for fig in figs:
        leg = fig.axes[0].get_legend()
        anchor = leg.get_bbox_to_anchor().transformed(fig.axes[0].transAxes.inverted())
        assert anchor.x0 > 1.0


def test_flat_effect_panels_are_named_not_drawn(result):
    r = make_result()
    r.data["effect.flat_state"] = np.ones_like(r.data["effect.cort"])
    r.units["effect.flat_state"] = "1"
    fig = plot.plot_effects(r, ["cort", "flat_state"])
    assert len(visible_axes(fig)) == 1
    assert "unchanged from baseline in every arm shown: Flat state" in fig.get_supxlabel()
    assert len(visible_axes(plot.plot_effects(r, ["flat_state"]))) == 1  # alone, it is drawn
    assert len(visible_axes(plot.plot_effects(r, ["cort", "flat_state"], skip_flat=False))) == 2


def test_mor_net_effect_reads_as_net_not_the_transporter():
    from pdsim._style import pretty

    assert pretty("mor_net_effect") == "MOR net effect (after tolerance)"


def test_captions_cite_author_year_not_seed_spans():
    from pdsim._style import caption_text, short_citation

    reg = catalog.registry()
    assert short_citation(reg, "gassaway2014") == "Gassaway et al. 2014"
    assert short_citation(reg, "stablon_smpc") == "Servier n.d."
    claim = next(c for c in reg.claims.values() if not c.references)
    assert short_citation(reg, claim.id).startswith("seed doc ") and ".txt" not in short_citation(reg, claim.id)
    params = catalog.drug("tianeptine").parameters()
    text = caption_text(params)
    assert text.startswith("Sources: ") and ".txt" not in text and "_smpc" not in text


def test_a_reference_whose_authors_were_not_seen_is_named_by_pmid_journal_or_title():
    from pdsim._style import short_citation

    reg = catalog.registry()
    for rid, ref in reg.references.items():
        if not (ref.authors or "").lower().startswith("not shown"):
            continue
        got = short_citation(reg, rid)
        assert "not shown" not in got.lower() and not got.startswith("["), (rid, got)
    assert short_citation(reg, "hsyu1997") == "J Clin Pharmacol 1997"


def test_mao_states_are_drawn_in_percent_with_their_own_sources():
    import pdsim
    from pdsim import plot

    r = pdsim.simulate(pdsim.load_scenario("fluoxetine_maoi_switch"))
    fig = plot.plot_effects(r, ["effect.mao_a_inhibition"], sources=True)
    ax = fig.axes[0]
    assert ax.get_ylabel().endswith("(%)")
    top = max(line.get_ydata().max() for line in ax.get_lines())
    assert top == pytest.approx(100 * float(r.data["effect.mao_a_inhibition"].max()), rel=1e-9)
    caption = " ".join(t.get_text() for t in fig.texts)
    assert "Chiuccariello" in caption and "Lexapro" not in caption


@pytest.fixture(scope="module")
def blockade():
    import pdsim

    return pdsim.simulate(pdsim.load_scenario("mor_blockade"))


def test_mor_blockade_separates_ligands_and_signal(blockade):
    """Under naloxone the MOR panel shows naloxone's occupancy as the antagonist's (dotted) and
    tianeptine's own occupancy; the signal panel shows tianeptine's response falling."""
    fig = plot.plot_occupancy(blockade, targets=["MOR"])
    occ_ax, sig_ax = visible_axes(fig)
    assert occ_ax.get_title().startswith("MOR") and "by ligand" in occ_ax.get_title().replace("\n", " ")
    assert "agonist signal" in sig_ax.get_title()
    lines = {ln.get_label(): ln for ln in occ_ax.get_lines()}
    nal = lines["Tianeptine + naloxone infusion: Naloxone (antagonist)"]
    assert nal.get_linestyle() == ":"
    last_day = blockade.time_h >= blockade.time_h[-1] - 24
    assert nal.get_ydata()[last_day].mean() == pytest.approx(
        100 * blockade.get("occupancy.MOR.naloxone", 1)[0, last_day].mean())
    alone = lines["Tianeptine: Tianeptine (agonist)"].get_ydata()[last_day].mean()
    blocked = lines["Tianeptine + naloxone infusion: Tianeptine (agonist)"].get_ydata()[last_day].mean()
    assert blocked < alone / 2  # naloxone displaces tianeptine
    sig = {ln.get_label(): ln.get_ydata()[last_day].mean() for ln in sig_ax.get_lines()}
    assert sig["Tianeptine + naloxone infusion"] < sig["Tianeptine"] / 2
    assert "Tianeptine + naloxone infusion" not in lines  # no total line: it would be naloxone's occupancy


def test_mor_blockade_profile_gives_each_ligand_its_row(blockade):
    """In the naloxone arm the receptor profile splits the MOR total into naloxone's and tianeptine's own
    occupancy, so 'Tianeptine + naloxone' never shows naloxone's 83 % as the arm's MOR occupancy."""
    from pdsim.runner import figures_for, ligand_profile

    prof = ligand_profile(blockade)
    nal = "Tianeptine + naloxone infusion: Naloxone (antagonist)"
    tia = "Tianeptine + naloxone infusion: Tianeptine (agonist)"
    assert list(prof.index) == ["Tianeptine", nal, tia]
    last = blockade.time_h >= blockade.time_h[-1] - 24
    assert prof.loc[nal, "MOR"] == pytest.approx(blockade.get("occupancy.MOR.naloxone", 1)[0, last].mean())
    assert prof.loc[tia, "MOR"] < prof.loc["Tianeptine", "MOR"] / 2 and np.isnan(prof.loc[nal, "DOR"])
    ax = figures_for(blockade)["receptor_profile"].axes[0]
    assert ax.get_ylabel() == "Arm" and len(ax.get_yticklabels()) == 3
    assert ligand_profile(make_result()) is None  # one ligand per target and arm: the totals stay


# --- QA of the shipped scenarios' figures (time window, trend lines, titles, legends) -------------

@pytest.fixture(scope="module")
def switch():
    import pdsim

    return pdsim.simulate(pdsim.load_scenario("fluoxetine_maoi_switch"))


@pytest.fixture(scope="module")
def classes():
    import pdsim

    return pdsim.simulate(pdsim.load_scenario("antidepressant_classes"))


def _day_mean(result, var, arm, day):
    t = result.time_h
    m = (t > (day - 1) * 24.0) & (t <= day * 24.0)
    return float(result.get(var, arm)[0, m].mean())


def test_a_switch_is_drawn_over_the_whole_run_not_its_first_week(switch):
    """Phenelzine starts on day 42 or 63 of fluoxetine_maoi_switch: the first week would leave its panel
    empty, so the concentration and occupancy figures cover all 119 days, as 24-h means."""
    from pdsim.runner import figures_for, time_window

    assert _day_mean(switch, "plasma.phenelzine", 1, 7) == 0.0 < _day_mean(switch, "plasma.phenelzine", 1, 50)
    assert time_window(switch) is None
    figs = figures_for(switch, sources=False)
    for name in ("concentrations", "occupancy"):
        axes = visible_axes(figs[name])
        assert all(ax.get_xlim()[1] == pytest.approx(119.0) for ax in axes)  # days
        assert figs[name].legends[0].get_title().get_text().startswith("Lines: 24-h means")
    phen = next(ax for ax in visible_axes(figs["concentrations"]) if ax.get_title() == "Phenelzine")
    late = phen.get_lines()[-1]  # the 2-week arm's 24-h mean
    assert late.get_label() == "2-week washout (too short)"
    # the trend line is the mean of the day before each point: on day 60, phenelzine's daily mean
    x, y = late.get_xdata(), late.get_ydata()
    assert y[np.argmin(np.abs(x - 60.0))] == pytest.approx(_day_mean(switch, "plasma.phenelzine", 1, 60), rel=0.02)


def test_a_run_whose_levels_settle_in_week_one_keeps_the_first_week():
    """demo.toml (28 days): every drug's mean on day 7 is within 10 % of day 28's (nortriptyline, the
    slowest, 134 against 140 nM), so the first week, where the doses build up, is what is drawn."""
    import pdsim
    from pdsim.runner import SETTLED_TOLERANCE, time_window

    r = pdsim.simulate(pdsim.load_scenario("demo"))
    a, b = _day_mean(r, "plasma.nortriptyline", 1, 7), _day_mean(r, "plasma.nortriptyline", 1, 28)
    assert abs(a - b) <= SETTLED_TOLERANCE * b
    assert time_window(r) == (0.0, 168.0)


def test_a_poor_metaboliser_still_building_up_gets_the_whole_run():
    """amitriptyline_cyp2d6: in CYP2D6 poor metabolisers nortriptyline on day 21 is well above day 7,
    so the 21 days are drawn, not the first week where the arms' difference is still growing."""
    import pdsim
    from pdsim.runner import SETTLED_TOLERANCE, time_window

    r = pdsim.simulate(pdsim.load_scenario("amitriptyline_cyp2d6"))
    assert _day_mean(r, "plasma.nortriptyline", 0, 21) > (1 + SETTLED_TOLERANCE) * _day_mean(r, "plasma.nortriptyline", 0, 7)
    assert time_window(r) is None


def test_target_titles_do_not_nest_brackets_and_use_figure_names():
    from pdsim._style import target_label

    assert target_label("alpha1") == "α1 (α1-adrenergic receptor)"
    assert target_label("MAO_A") == "MAO-A (monoamine oxidase A)"
    for name in catalog.targets():
        depth, deepest = 0, 0
        for ch in target_label(name):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            deepest = max(deepest, depth)
        assert depth == 0 and deepest <= 1, target_label(name)


def test_receptor_profile_columns_use_figure_names():
    df = pd.DataFrame({"alpha1": [0.5], "MAO_A": [0.2], "SERT": [0.8]}, index=["x"])
    fig = plot.plot_receptor_profile(df, kind="occupancy")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["α1", "MAO-A", "SERT"]


def test_classes_legend_names_each_line_once_and_tells_antagonists_apart(classes):
    """In a panel where every ligand inhibits, an arm with one ligand keeps its plain label (one legend
    entry per arm, not two); fluoxetine and norfluoxetine, both 5-HT2C antagonists of one arm, are
    dotted with a different spacing."""
    fig = plot.plot_occupancy(classes, targets=["SERT", "5-HT2C"])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Escitalopram 10 mg/day (SSRI)" in legend
    assert not any(t.startswith("Escitalopram 10 mg/day (SSRI):") for t in legend)
    ht2c = next(ax for ax in visible_axes(fig) if ax.get_title().startswith("5-HT2C"))
    dots = {ln.get_label(): ln.get_linestyle() for ln in ht2c.get_lines() if "(antagonist)" in ln.get_label()}
    assert len(dots) == 2 and len(set(dots.values())) == 2


def test_a_target_no_drug_binds_gets_no_empty_panel_and_a_lone_panel_keeps_its_layout(tmp_path):
    """Phenelzine has no SERT affinity: with targets SERT and MAO_A the occupancy figure draws MAO_A
    alone (the profile marks SERT '–'), and the one-panel figure is widened for its legend instead
    of collapsing (title, legend and caption overlapped)."""
    import pdsim
    from pdsim._style import MIN_PANEL_WIDTH_IN
    from pdsim.runner import figures_for

    path = tmp_path / "s.toml"
    path.write_text('name = "x"\nduration = "2 day"\noutput_every = "1 h"\ntargets = ["SERT", "MAO_A"]\n'
                    '[[arms]]\nlabel = "a"\n  [[arms.doses]]\n  drug = "phenelzine"\n  dose = "15 mg"\n'
                    '  every = "8 h"\n  count = 6\n')
    r = pdsim.simulate(pdsim.load_scenario(path))
    figs = figures_for(r, sources=False)
    titles = [ax.get_title() for ax in visible_axes(figs["occupancy"])]
    assert len(titles) == 1 and titles[0].startswith("MAO-A")
    assert "–" in [t.get_text() for t in figs["receptor_profile"].axes[0].texts]
    fig = plot.plot_occupancy(r, targets=["SERT"])  # one panel, the long SERT guide in the legend
    leg = fig.legends[0].get_window_extent().width / fig.dpi
    assert fig.get_size_inches()[0] >= leg + MIN_PANEL_WIDTH_IN


def test_a_reference_recorded_as_authors_not_known_is_not_cited_by_that_note():
    """seeds/references.toml writes 'Not known: the abstract page read ... gave no author list' for
    some references; a caption named them 'Not known: the abstract page read n.d.'. They are named
    like the 'not shown' ones: by PMID, journal or title."""
    from pdsim._style import short_citation

    reg = catalog.registry()
    unknown = [r for r in reg.references.values() if (r.authors or "").lower().startswith("not known")]
    assert unknown
    for ref in unknown:
        cited = short_citation(reg, ref.id)
        assert "not known" not in cited.lower() and "abstract page" not in cited


def test_mao_is_shown_as_activity_lost_not_as_the_reversible_complex(switch):
    """fluoxetine_maoi_switch runs the system "mao": phenelzine's occupancy of MAO-A is only the
    reversible complex (a few %), while the activity lost is 85 %. The occupancy figure leaves the
    MAO panels to the effects figure, and the profile's MAO columns show the activity lost."""
    from pdsim.runner import figures_for

    figs = figures_for(switch, sources=False)
    titles = [ax.get_title() for ax in visible_axes(figs["occupancy"])]
    assert not any(t.startswith("MAO") for t in titles)
    last = switch.time_h >= switch.time_h[-1] - 24.0
    occ = float(switch.get("occupancy.MAO_A", 0)[0, last].mean())
    lost = float(switch.get("effect.mao_a_inhibition", 0)[0, last].mean())
    assert occ < 0.1 < 0.5 < lost
    ax = figs["receptor_profile"].axes[0]
    assert "MAO: activity lost" in " ".join(ax.get_title().split())
    cells = [t.get_text() for t in ax.texts]
    assert f"{100 * lost:.0f}" in cells and f"{100 * occ:.0f}" not in cells


def test_population_figure_of_a_drug_shows_only_the_arms_that_have_it():
    """`pdsim run` on a population: population_<drug> draws the arms in which that drug is present; an arm
    without it would only add a flat line at zero and two legend entries."""
    from pdsim.runner import figures_for
    from pdsim.scenario import Scenario

    sc = Scenario.from_dict({"name": "two_drugs", "duration": "2 day", "output_every": "1 h",
                             "population": {"size": 3, "seed": 2, "variability": {"escitalopram.CL": 0.3}},
                             "arms": [{"label": "esc", "doses": [{"drug": "escitalopram", "dose": "10 mg", "every": "24 h", "count": 2}]},
                                      {"label": "ami", "doses": [{"drug": "amitriptyline", "dose": "75 mg", "every": "24 h", "count": 2}]}]})
    from pdsim import simulate

    figs = figures_for(simulate(sc), sources=False)
    labels = {t.get_text() for ax in figs["population_escitalopram"].axes for leg in [ax.get_legend()] if leg
              for t in leg.get_texts()} | {t.get_text() for leg in figs["population_escitalopram"].legends for t in leg.get_texts()}
    assert any(lab.startswith("esc:") for lab in labels)
    assert not any(lab.startswith("ami:") for lab in labels)
