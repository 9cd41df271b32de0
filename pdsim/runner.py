"""Run a scenario end to end: simulate it, then write results.csv, sources.csv and its figures.

`figures_for` picks the figures a result supports; `pdsim run`, `pdsim demo` and the HTML report share it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .errors import InputError, PdsimError

__all__ = ["run_scenario", "simulate_scenario", "figures_for", "occupancy_profile", "ligand_profile", "arm_drugs",
           "dosed_drugs", "write_outputs", "default_out_dir", "time_window"]

#: the order of the target panel's columns
PANEL_ORDER = ("MOR", "DOR", "KOR", "SERT", "NET", "DAT", "MAO_A", "MAO_B", "H1", "mAChR", "alpha1", "5-HT2A", "5-HT2C", "D2", "Nav", "hERG")
#: side-effect index of each antagonised receptor, as the figure names it
SIDE_EFFECTS = {"H1": "Sedation (H1)", "mAChR": "Anticholinergic (muscarinic)", "alpha1": "Orthostatic (α1)"}
#: time courses longer than this (h) may be drawn over their first week, where the doses build up
FIRST_WEEK_AFTER_H = 14 * 24.0
#: ... but only when each drug's mean level on day 7 is within this fraction of its mean on the last day
#: (otherwise a later start, a stop or a slow build-up is what the figure must show)
SETTLED_TOLERANCE = 0.10
#: enzymes whose activity lost (effect.<name>_inhibition, system "mao") replaces their occupancy in the figures
MAO_TARGETS = ("MAO_A", "MAO_B")
#: panels in one figure of downstream states (3 × 3)
EFFECTS_PER_FIGURE = 9


def default_out_dir(scenario: Any) -> Path:
    """./pdsim-out/<scenario file stem, or the scenario name made safe for a folder>."""
    stem = Path(scenario.path).stem if getattr(scenario, "path", None) else scenario.name
    return Path("pdsim-out") / (re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "scenario")


def simulate_scenario(scenario: Any, progress: bool = False):
    """Load a scenario (a path, a name from models/scenarios/ or a `Scenario`) and simulate it
    (``progress``: a tqdm bar over arms and subject chunks, when tqdm is installed).

    Returns
    -------
    (Scenario, Result)
    """
    from .scenario import Scenario, load_scenario
    from .simulate import simulate

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return sc, simulate(sc, progress=progress)


def arm_drugs(result: Any) -> list[list[str]]:
    """The drugs present in each arm (non-zero plasma concentration, metabolites included), in arm order."""
    names = [v.split(".", 1)[1] for v in result.variables if v.startswith("plasma.") and v.count(".") == 1]
    return [[d for d in names if np.any(result.data[f"plasma.{d}"][i] > 0)] for i in range(len(result.arms))]


def dosed_drugs(result: Any) -> list[list[str]]:
    """The drugs dosed in each arm: `arm_drugs` without the metabolites the engine derived from them."""
    from ._style import is_metabolite

    return [[d for d in drugs if not is_metabolite(d)] for drugs in arm_drugs(result)]


def _targets(result: Any) -> list[str]:
    found = {v.split(".")[1] for v in result.variables if v.startswith("occupancy.") and v.count(".") == 1}
    return [t for t in PANEL_ORDER if t in found] + sorted(found - set(PANEL_ORDER))


def occupancy_profile(result: Any, window_h: float = 24.0) -> pd.DataFrame:
    """Arm × target table: mean occupancy (all ligands, 0–1) over the last ``window_h`` hours.

    A cell is NaN where no drug of the arm has an affinity for the target (no
    ``occupancy.<target>.<drug>`` variable), so a blank is told apart from a measured zero.
    """
    if not window_h > 0:
        raise InputError(f"`window_h` must be greater than zero (got {window_h}); write e.g. 24.")
    from ._style import window_stat

    targets = _targets(result)
    drugs = arm_drugs(result)
    rows = {}
    for i, label in enumerate(result.arms):
        row = []
        for t in targets:
            bound = any(f"occupancy.{t}.{d}" in result.data for d in drugs[i])
            row.append(window_stat(result, f"occupancy.{t}", i, window_h, "mean") if bound else np.nan)
        rows[label] = row
    df = pd.DataFrame.from_dict(rows, orient="index", columns=targets)
    df.index.name, df.columns.name = "arm", "target"
    return df


def ligand_profile(result: Any, window_h: float = 24.0) -> pd.DataFrame | None:
    """Like `occupancy_profile`, but an arm where ligands of different action share a target (an agonist
    and its antagonist) gets one row per ligand, 'arm: Ligand (action)', each its own occupancy; None
    when no arm has such a pair (the totals of `occupancy_profile` then mislead no one)."""
    from ._style import drug_label, window_stat
    from .catalog import drug as get_drug

    targets = _targets(result)
    drugs = arm_drugs(result)

    def action(d: str, t: str) -> str:
        try:
            return get_drug(d).binding(t).action
        except PdsimError:  # an inline drug without a catalogue entry
            return "ligand"

    mixed = [any(len({action(d, t) for d in drugs[i] if f"occupancy.{t}.{d}" in result.data}) > 1 for t in targets)
             for i in range(len(result.arms))]
    if not any(mixed):
        return None
    base = occupancy_profile(result, window_h)
    rows = {}
    for i, label in enumerate(result.arms):
        if not mixed[i]:
            rows[label] = base.loc[label].tolist()
            continue
        for d in drugs[i]:
            if not any(f"occupancy.{t}.{d}" in result.data for t in targets):
                continue  # a metabolite without affinity: no row
            acts = {action(d, t) for t in targets if f"occupancy.{t}.{d}" in result.data}
            rows[f"{label}: {drug_label(d)} ({'/'.join(sorted(acts))})"] = [
                window_stat(result, f"occupancy.{t}.{d}", i, window_h, "mean") if f"occupancy.{t}.{d}" in result.data
                else np.nan for t in targets]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=targets)
    df.index.name, df.columns.name = "arm", "target"
    return df


def time_window(result: Any) -> tuple[float, float] | None:
    """The part (h) of a long run the concentration, occupancy and population figures draw: the first
    week, or None for the whole run.

    The first week is drawn when the run is longer than `FIRST_WEEK_AFTER_H` and that week already
    shows where every drug goes. Each drug's plasma level is averaged over each day (day 7 onward,
    arm by arm); the first week suffices when every later day's mean is within `SETTLED_TOLERANCE`
    of day 7's, or, once dosing stops, the drug is gone (under 1 % of day 7's mean) from the second
    day on. A drug started after the first week, a slow washout (norfluoxetine) or a level still
    building up (a poor metaboliser) makes the whole run the window, since the later weeks are the point.
    """
    from ._style import central

    t = np.asarray(result.time_h, dtype=float)
    if float(t[-1] - t[0]) <= FIRST_WEEK_AFTER_H:
        return None
    week = (float(t[0]), float(t[0]) + 7 * 24.0)
    days = np.arange(7, int((t[-1] - t[0]) // 24.0) + 1)
    masks = [(t > t[0] + (k - 1) * 24.0) & (t <= t[0] + k * 24.0) for k in days]
    for v in result.variables:
        if not (v.startswith("plasma.") and v.count(".") == 1):
            continue
        for i in range(len(result.arms)):
            y = central(result.data[v][i])
            means = np.array([float(np.mean(y[m])) for m in masks if m.any()])
            ref = means[0]
            steady = np.abs(means - ref) <= SETTLED_TOLERANCE * np.maximum(np.abs(means), abs(ref))
            gone = np.abs(means) < 0.01 * abs(ref)
            off = np.flatnonzero(~steady)
            # allowed: steady throughout, or steady, one day of decline (the last doses), then gone
            if off.size and not (ref > 0 and gone[off[0] + 1:].all()):
                return None
    return week


def figures_for(result: Any, sources: bool = True) -> dict[str, Figure]:
    """The figures a result supports, by file stem: concentrations, occupancy, receptor profile,
    side effects, effects (nine states a figure; 24-h means beyond four days), and population
    bands (when there is more than one subject). The occupancy figure leaves out targets no drug of
    the run binds (the receptor profile marks them '–') and, in a run with the system "mao", MAO-A/B,
    whose profile column then shows the activity lost (their occupancy is only the reversible complex). Time courses of drug levels and occupancy cover
    `time_window` (the first week of a long run whose levels have settled by then, else all of it)."""
    from . import plot
    from ._style import window_stat

    figs: dict[str, Figure] = {}
    span = float(result.time_h[-1] - result.time_h[0])
    first = time_window(result)
    # weeks of doses drawn whole read as a solid band: their 24-h trend is the message, the swing stays faint
    trend = 24.0 if first is None and span > FIRST_WEEK_AFTER_H else None
    drugs = [v.split(".", 1)[1] for v in result.variables if v.startswith("plasma.") and v.count(".") == 1]
    if drugs:
        figs["concentrations"] = plot.plot_concentrations(result, site="plasma", time_range=first, sources=sources,
                                                         running_mean_h=trend)
    targets = _targets(result)
    if targets:
        # a target no drug of the run binds would be an empty panel: the profile's '–' says it instead;
        # an MAO whose activity the run follows (system "mao") is drawn as activity lost by the effects
        # figure: its occupancy is only the small reversible complex, not the covalent inactivation
        bound = occupancy_profile(result).notna().any()
        lost = {t: f"effect.{t.lower()}_inhibition" for t in MAO_TARGETS if f"effect.{t.lower()}_inhibition" in result.data}
        drawn = [t for t in targets if bound[t] and t not in lost]
        if drawn:
            figs["occupancy"] = plot.plot_occupancy(result, targets=drawn, time_range=first, sources=sources,
                                                    running_mean_h=trend)
        by_ligand = ligand_profile(result)  # an antagonist's occupancy must not read as the arm's agonism
        profile = occupancy_profile(result) if by_ligand is None else by_ligand
        shown_lost = [t for t in lost if t in profile.columns] if by_ligand is None else []
        for t in shown_lost:  # the enzyme activity lost, where a drug of the arm binds the enzyme
            profile[t] = [np.nan if np.isnan(profile.iloc[i][t]) else window_stat(result, lost[t], i, 24.0, "mean")
                          for i in range(len(profile))]
        figs["receptor_profile"] = plot.plot_receptor_profile(
            profile, kind="occupancy", sources=sources, params=result.parameters, row_label="Arm",
            title="Occupancy at steady state (mean of the last day; – no affinity)"
                  + ("; MAO: activity lost" if shown_lost else "")
                  + ("; each ligand of a mixed arm on its own row" if by_ligand is not None else ""))
    indices = [t for t in SIDE_EFFECTS if f"signal.{t}" in result.data]
    if indices:
        figs["side_effects"] = plot.plot_steady_state(
            result, [f"signal.{t}" for t in indices], labels=[SIDE_EFFECTS[t] for t in indices],
            ylabel="Index: fraction of receptors blocked", title="Side-effect indices, mean of the last day", sources=sources)
    effects = [v for v in result.variables if v.startswith("effect.")]
    # daily doses and stress sessions make states swing within each day; over weeks the trend is the message
    smooth = 24.0 if span > 4 * 24.0 else None
    for k in range(0, len(effects), EFFECTS_PER_FIGURE):
        name = "effects" if k == 0 else f"effects_{k // EFFECTS_PER_FIGURE + 1}"
        figs[name] = plot.plot_effects(result, effects[k:k + EFFECTS_PER_FIGURE], running_mean_h=smooth, sources=sources)
    if result.n_subjects > 1:
        per_arm = arm_drugs(result)
        for d in drugs:  # only the arms in which the drug is present (the others would draw a line at zero)
            present = [a for a, there in zip(result.arms, per_arm) if d in there]
            figs[f"population_{d}"] = plot.plot_population(result, f"plasma.{d}", arms=present or None, time_range=first,
                                                           sources=sources)
    return figs


def write_outputs(result: Any, out_dir: Path, plots: bool = True, figures: dict[str, Figure] | None = None) -> list[Path]:
    """Write results.csv, sources.csv, notes.txt (the engine's notes, if any) and (with ``plots``) one
    PNG per figure into ``out_dir``."""
    from .plot import save_figure

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [result.to_csv(out_dir / "results.csv")]
    src = out_dir / "sources.csv"
    result.sources_table().to_csv(src, index=False)
    paths.append(src)
    if result.notes:  # assumptions the engine applied that the scenario did not state
        notes = out_dir / "notes.txt"
        notes.write_text("".join(f"- {n}\n" for n in result.notes), encoding="utf-8")
        paths.append(notes)
    if plots:
        for name, fig in (figures if figures is not None else figures_for(result)).items():
            paths.append(save_figure(fig, out_dir / f"{name}.png"))
    return paths


def run_scenario(scenario: Any, out_dir: str | Path | None = None, plots: bool = True,
                 progress: bool = False) -> list[Path]:
    """Simulate a scenario and write its tables and figures; return the paths written.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario .toml file, a name from `pdsim list scenarios`, or a `Scenario`.
    out_dir : str or Path, optional
        Output folder (default ./pdsim-out/<scenario>).
    plots : bool
        Write PNG figures as well as the CSV tables.
    progress : bool
        Show a progress bar while simulating (needs tqdm, the ``progress`` extra).

    Returns
    -------
    list of Path
        results.csv (tidy: arm, subject, time_h, variable, value, unit), sources.csv (every
        parameter used, with its sources) and the figures.
    """
    sc, result = simulate_scenario(scenario, progress=progress)
    return write_outputs(result, Path(out_dir) if out_dir is not None else default_out_dir(sc), plots=plots)
