"""`pdsim demo`: tianeptine vs amitriptyline vs escitalopram at usual adult doses over four weeks.

Simulates models/scenarios/demo.toml (and antidepressant_classes.toml for the classes_* figures) and
writes figures, results.csv and sources.csv into a folder.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_SCENARIO", "CLASS_SCENARIO", "run_demo", "demo_figures", "class_figures"]

#: the scenario the demo runs (a name in models/scenarios/)
DEMO_SCENARIO = "demo"

#: the antidepressant-classes comparison the demo adds (a name in models/scenarios/)
CLASS_SCENARIO = "antidepressant_classes"

#: enzyme targets whose profile column is the activity lost (system "mao"), not the reversible occupancy
MAO = ("MAO_A", "MAO_B")

_ONSET = ("effect.antidepressant_index", "effect.antidepressant_monoamine", "effect.antidepressant_mor")


def demo_figures(result) -> dict:
    """The demo's figures by file stem: plasma levels, target occupancy over the first week (the
    levels have settled by day 7: `runner.time_window`), the
    steady-state receptor profile (drug × target), side-effect indices and onset."""
    from . import plot
    from .runner import dosed_drugs, figures_for, occupancy_profile

    figs = figures_for(result)
    dosed = dosed_drugs(result)
    if all(len(d) == 1 for d in dosed):
        # one dosed drug per arm: rows named by it, so the profile reads as a drug × target table
        # (occupancy includes the drug's metabolites, e.g. nortriptyline's share at NET)
        prof = occupancy_profile(result)
        prof.index = [d[0] for d in dosed]
        figs["receptor_profile"] = plot.plot_receptor_profile(
            prof, kind="occupancy", sources=True,
            title="Occupancy at steady state, usual doses (mean of day 28; – no affinity)")
    onset = [v for v in _ONSET if v in result.data]
    if onset:
        figs.pop("effects", None)
        figs["onset"] = plot.plot_effects(result, onset, running_mean_h=24.0, sources=True)
    return figs


def run_demo(out_dir: str | Path = "pdsim-demo") -> list[Path]:
    """Run the flagship comparison and write its outputs; return the paths written.

    Tianeptine 12.5 mg three times daily, amitriptyline 75 mg once daily and escitalopram 10 mg
    once daily for 28 days (models/scenarios/demo.toml): plasma concentrations, occupancy at every
    target the drugs bind (MOR, SERT, NET, H1, muscarinic, α1, Nav …), the side-effect indices
    (H1 sedation, anticholinergic, α1 orthostatic) and the onset of the antidepressant-like index;
    then the antidepressant classes side by side (`class_figures`: classes_profile,
    classes_engagement, classes_mao).

    Parameters
    ----------
    out_dir : str or Path
        Folder for the figures (PNG), results.csv and sources.csv; created if missing.

    Returns
    -------
    list of Path
    """
    from .runner import simulate_scenario, write_outputs

    _, result = simulate_scenario(DEMO_SCENARIO)
    return write_outputs(result, Path(out_dir), figures={**demo_figures(result), **class_figures()})


def class_figures(result=None, treated_days: float = 28.0) -> dict:
    """Antidepressant classes side by side (models/scenarios/antidepressant_classes.toml).

    ``classes_profile``: drug × target heat map of occupancy, mean over the last day of treatment
    common to every arm (day ``treated_days``), blank where the drug has no affinity;
    ``classes_engagement``: SERT, NET and DAT occupancy over the whole scenario, including the
    fluoxetine washout (norfluoxetine holds SERT for weeks); ``classes_mao`` (when the run has the
    system "mao"): MAO-A and MAO-B inhibition over time. In the profile an MAO column shows the
    enzyme activity lost (``effect.mao_x_inhibition``: covalent inactivation plus reversible block)
    where the run has it, since ``occupancy.MAO_x`` is only the reversible complex.

    Parameters
    ----------
    result : Result, optional
        A result of the classes scenario; simulated when not given.
    treated_days : float
        End (days) of the one-day window the profile averages.
    """
    import numpy as np
    import pandas as pd

    from . import catalog, plot
    from .runner import PANEL_ORDER, arm_drugs, dosed_drugs, simulate_scenario

    if result is None:
        _, result = simulate_scenario(CLASS_SCENARIO)
    t = result.time_h
    window = (t >= (treated_days - 1.0) * 24.0) & (t <= treated_days * 24.0)
    found = [v.split(".", 1)[1] for v in result.variables if v.startswith("occupancy.") and v.count(".") == 1]
    # columns in the panel's order (transporters, then receptors), not alphabetically
    targets = [t for t in PANEL_ORDER if t in found] + sorted(set(found) - set(PANEL_ORDER))
    rows = {}
    compounds = arm_drugs(result)  # with the metabolites (nortriptyline, norfluoxetine)
    for i, drugs in enumerate(dosed_drugs(result)):
        row = []
        for tg in targets:
            bound = any(tg in catalog.drug(d).targets for d in compounds[i])
            var = f"effect.{tg.lower()}_inhibition" if tg in MAO else f"occupancy.{tg}"
            var = var if var in result.data else f"occupancy.{tg}"
            row.append(float(result.data[var][i][:, window].mean()) if bound else np.nan)
        rows[", ".join(drugs)] = row
    prof = pd.DataFrame.from_dict(rows, orient="index", columns=targets)
    prof.index.name, prof.columns.name = "drug", "target"
    figs = {"classes_profile": plot.plot_receptor_profile(
        prof, kind="occupancy", sources=True,
        title=f"Antidepressant classes: occupancy on day {treated_days:g} (SERT, NET from human PET where known; "
              f"MAO: activity lost)")}
    shown = [tg for tg in ("SERT", "NET", "DAT") if tg in targets]
    figs["classes_engagement"] = plot.plot_occupancy(result, shown, sources=True)
    if "effect.mao_a_inhibition" in result.data:
        figs["classes_mao"] = plot.plot_effects(result, ["effect.mao_a_inhibition", "effect.mao_b_inhibition"],
                                                sources=True)
    return figs
