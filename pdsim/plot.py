"""Figures: concentrations, occupancy, effects, concentration–response and Schild, receptor profiles.

Every function returns a matplotlib Figure (never shows it); axes carry units, and ``sources=True``
adds a 'Sources: …' caption naming the references behind the parameters drawn.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from . import _style
from ._style import (
    PALETTE,
    SITE_LABEL,
    agonist_constants,
    antagonist_kb,
    drugs_at,
    mask_unbound,
    wide_panel,
    arms_of,
    axis_label,
    source_caption,
    short_citation,
    OCCUPANCY_GUIDES,
    central,
    color,
    conc_unit,
    display,
    drug_label,
    drug_params,
    figure_legend,
    grid,
    linestyle,
    new_figure,
    params_for,
    pretty,
    single_axes,
    style,
    target_label,
    therapeutic_band,
    time_axis,
    unit_text,
    variable,
    window,
    running_mean,
    window_stat,
    wrap,
)
from .errors import InputError, UnknownNameError, suggest
from .provenance import Parameter
from .units import as_float, is_mass_concentration

__all__ = [
    "PALETTE",
    "style",
    "save_figure",
    "plot_pk",
    "plot_concentrations",
    "plot_occupancy",
    "plot_effects",
    "plot_population",
    "plot_variable",
    "plot_arms",
    "plot_steady_state",
    "plot_concentration_response",
    "plot_dose_response",
    "plot_schild",
    "plot_receptor_profile",
    "plot_use_dependence",
]

_CONC_SITES = tuple(SITE_LABEL)
#: line styles of antagonists' occupancy: dotted, more sparsely for a second ligand of the same arm
_ANTAGONIST_DOTS = (":", (0, (1, 4)), (0, (1, 1)))


# --- helpers -------------------------------------------------------------------------------

def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by suffix), creating the folder; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with style():
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


# --- time courses --------------------------------------------------------------------------

def plot_pk(drug: Any, regimen: Any, times: Any, species: str = "human", body_weight: Any = None,
            sites: Sequence[str] = ("plasma", "free"), unit: str | None = None, log: bool = False,
            label: str | None = None, sources: bool = False, ax: Any = None) -> Figure:
    """Concentration–time course of one drug and regimen at one or more sites.

    Parameters
    ----------
    drug : str or Drug
        Catalogue name, alias, path to a drug file, or a `Drug`.
    regimen : Regimen
        Dosing (see `pdsim.Regimen`).
    times : array_like or quantity
        Output times (floats in h).
    species, body_weight
        Passed to `pdsim.pk.concentration`.
    sites : sequence of {"plasma", "free", "brain", "effect"}
        One line per site; the therapeutic range (if the drug file has one) is shaded.
    unit : str, optional
        Concentration unit of the y axis (default nM, or µM above 10 µM); a mass concentration such as
        'ng/mL' is converted with the drug's molar mass.
    log : bool
        Logarithmic concentration axis.
    sources : bool
        Add a 'Sources: …' caption built from the drug's PK parameters.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .catalog import drug as get_drug
    from .pk import concentration

    dr = get_drug(drug)
    t = as_float(times, "h", "times", nonnegative=True)
    curves = {}
    for site in sites:
        c = concentration(dr, regimen, t, site=site, species=species, body_weight=body_weight)
        curves[site] = as_float(c, "nM", "concentration")
    top = max(float(np.max(c)) for c in curves.values()) if curves else 0.0
    scale, u = conc_unit(top, unit, dr.molar_mass.quantity)
    tx, tlabel = time_axis(t)
    with style():
        fig, ax = single_axes(ax)
        for i, (site, c) in enumerate(curves.items()):
            ax.plot(tx, c * scale, color=color(i), ls=linestyle(i), label=SITE_LABEL.get(site, "Effect site").split(" conc")[0])
        if "plasma" in curves:
            therapeutic_band(ax, dr.name, scale)
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label("Concentration", u))
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlim(tx[0], tx[-1])
        ax.set_title(label or f"{dr.display_name} ({species})")
        _style.legend_outside(ax, fontsize=10)  # beside the axes: never over the curves
        if sources:
            source_caption(fig, {k: p for k, p in dr.parameters().items() if k.startswith(f"pk.{species}") or k == "molar_mass"})
    return fig


def plot_concentrations(result: Any, drugs: Sequence[str] | None = None, site: str = "plasma",
                        arms: Sequence[str] | None = None, unit: str | None = None, log: bool = False,
                        time_range: Sequence[float] | None = None, sources: bool = False,
                        running_mean_h: float | None = None) -> Figure:
    """Concentration time courses from a `Result`: one panel per drug, one line per arm.

    Arms without the drug are left out of its panel. For a population the median is drawn (see
    `plot_population` for the band). The therapeutic range of a drug file is shaded on total
    plasma concentrations.

    Parameters
    ----------
    result : Result
    drugs : sequence of str, optional
        Drug names (default: every ``<site>.<drug>`` variable in the result).
    site : {"plasma", "free", "brain"}
    arms : sequence of str, optional
        Arm labels to draw (default all).
    unit : str, optional
        Display unit (default nM, or µM if a drug exceeds 10 µM); a mass concentration such as 'ng/mL'
        is converted with each drug's molar mass (`Result.molar_mass`).
    log : bool
        Logarithmic concentration axis.
    time_range : (float, float), optional
        Start and end (h) of the part to draw (default: all).
    sources : bool
        Add a 'Sources: …' caption from the result's parameters of the drugs drawn.
    running_mean_h : float, optional
        Draw the trailing mean over this many hours (the raw curve stays, faint, beneath), e.g. 24 to
        show weeks of doses as a trend; the panel titles say so.
    """
    if site not in _CONC_SITES:
        raise InputError(f"`site` must be one of {', '.join(_CONC_SITES)} (got {site!r}).{suggest(site, _CONC_SITES)}")
    names = list(drugs) if drugs is not None else drugs_at(result, site)
    if not names:
        raise UnknownNameError(f"Result has no '{site}.<drug>' variables; known: {', '.join(result.variables)}.")
    variables = [variable(result, f"{site}.{n}") for n in names]
    arm_list = arms_of(result, arms)
    m = window(result.time_h, time_range)
    tx, tlabel = time_axis(result.time_h[m])
    with style():
        fig, axes = grid(len(names))
        for ax, name, var in zip(axes, names, variables):
            arr = result.data[var]
            mm = result.molar_mass(name) if unit is not None and is_mass_concentration(unit) else None
            scale, u = conc_unit(float(np.nanmax(arr[..., m])) if arr.size else 0.0, unit, mm)
            if unit is None and result.units.get(var, "nM") != "nM":
                scale, u = 1.0, result.units[var]
            for i, arm in arm_list:
                y = central(arr[i])
                if not np.any(y[m] > 0):
                    continue
                _trend_line(ax, result.time_h, y * scale, m, running_mean_h, color=color(i), ls=linestyle(i), label=arm)
            if site == "plasma":
                therapeutic_band(ax, name, scale)
            ax.set_title(drug_label(name))
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label(SITE_LABEL[site], u))
            ax.set_xlim(tx[0], tx[-1])
            if log:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
        figure_legend(fig, axes, title=_mean_note(running_mean_h))
        if sources:
            source_caption(fig, params_for(result.parameters, names))
    return fig


def plot_occupancy(result: Any, targets: Sequence[str] | None = None, arms: Sequence[str] | None = None,
                   time_range: Sequence[float] | None = None, sources: bool = False,
                   running_mean_h: float | None = None) -> Figure:
    """Receptor or transporter occupancy over time: a panel per target, a line per arm.

    Where ligands compete at a target (an agonist with its antagonist, a drug with its metabolite)
    the panel draws each ligand's own occupancy (``occupancy.<target>.<drug>``), labelled with the
    ligand and its action, instead of the total: the total under naloxone is naloxone's occupancy,
    which would read as "more receptors activated". For an agonist target in such a result a second
    panel shows the agonist signal (``signal.<target>``, the response the occupancy drives), on its
    own scale, so a blocked agonist's falling response is visible. An antagonist's occupancy is
    dotted; ligands with one action (a drug and its metabolite) also get their sum as a broad faint line.

    A sourced band marks the SERT occupancy PET finds for SSRIs at their minimum therapeutic doses
    (76–85 %, Meyer et al. 2004; `_style.OCCUPANCY_GUIDES`).

    Parameters
    ----------
    result : Result
    targets : sequence of str, optional
        Target names (default: every ``occupancy.<target>`` variable).
    arms : sequence of str, optional
    time_range : (float, float), optional
        Start and end (h) of the part to draw (default: all).
    sources : bool
        Caption with the sources of the affinities and PK used.
    running_mean_h : float, optional
        Draw the trailing mean over this many hours (the raw curve stays, faint, beneath); the panel
        titles say so.
    """
    names = list(targets) if targets is not None else [v.split(".", 1)[1] for v in result.variables
                                                        if v.startswith("occupancy.") and v.count(".") == 1]
    if not names:
        raise UnknownNameError("Result has no 'occupancy.<target>' variables; simulate with targets.")
    variables = [variable(result, n, "occupancy") for n in names]
    arm_list = arms_of(result, arms)
    m = window(result.time_h, time_range)
    tx, tlabel = time_axis(result.time_h[m])
    ligands = {var.split(".")[1]: _ligands(result, var.split(".")[1], arm_list, m) for var in variables}
    signals = [t for t, per_arm in ligands.items()
               if f"signal.{t}" in result.data and any(len(x) > 1 for x in per_arm.values())
               and any(act == "agonist" for x in per_arm.values() for _, act in x)]
    with style():
        fig, axes = grid(len(names) + len(signals), max_cols=4)
        for ax, name, var in zip(axes, names, variables):
            scale, _, u = display(var, result.units.get(var, ""))
            target = var.split(".")[1]
            per_arm = ligands[target]
            competing = any(len(x) > 1 for x in per_arm.values())
            panel_actions = {a for x in per_arm.values() for _, a in x}
            for i, arm in arm_list:
                if competing:
                    actions = {a for _, a in per_arm[i]}
                    if len(per_arm[i]) > 1 and len(actions) == 1:
                        # ligands with one action (a drug and its metabolite) add up: the total means something
                        _trend_line(ax, result.time_h, central(result.data[var][i]) * scale, m, running_mean_h,
                                    raw=False, color=color(i), lw=4.0, alpha=0.35, label=f"{arm}: all ligands")
                    if len(per_arm[i]) == 1 and len(panel_actions) == 1:
                        # one ligand, and one action in the whole panel: its line and label as in the panels
                        # without competition (with an antagonist in the panel, the label says who is which)
                        _trend_line(ax, result.time_h, central(result.data[var][i]) * scale, m, running_mean_h,
                                    color=color(i), ls=linestyle(i), label=arm)
                        continue
                    for j, (drug_name, action) in enumerate(per_arm[i]):
                        y = central(result.data[f"occupancy.{target}.{drug_name}"][i]) * scale
                        # antagonists dotted, two of one arm told apart by the spacing of the dots
                        _trend_line(ax, result.time_h, y, m, running_mean_h, color=color(i),
                                    ls=_ANTAGONIST_DOTS[j % len(_ANTAGONIST_DOTS)] if action == "antagonist"
                                    else linestyle(j),
                                    label=f"{arm}: {drug_label(drug_name)} ({action})")
                else:
                    _trend_line(ax, result.time_h, central(result.data[var][i]) * scale, m, running_mean_h,
                                color=color(i), ls=linestyle(i), label=arm)
            title = target_label(target) + (", by ligand" if competing else "")
            # narrower than the axes (clear of the legend beside them), names kept whole
            ax.set_title(wrap(title, 28, break_long_words=False), fontsize=12)
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label("Occupancy", u))
            ax.set_ylim(0, 100 if u == "%" else None)
            ax.set_xlim(tx[0], tx[-1])
            if u == "%":
                _occupancy_guide(ax, target)
        for ax, target in zip(axes[len(names):], signals):
            var = f"signal.{target}"
            for i, arm in arm_list:
                _trend_line(ax, result.time_h, central(result.data[var][i]), m, running_mean_h,
                            color=color(i), ls=linestyle(i), label=arm)
            ax.set_title(wrap(f"{target} agonist signal (response, fraction of the system maximum)", 28), fontsize=12)
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label("Response", result.units.get(var, "")))
            ax.set_ylim(bottom=0)
            ax.set_xlim(tx[0], tx[-1])
        figure_legend(fig, axes, title=_mean_note(running_mean_h))
        if sources:
            source_caption(fig, params_for(result.parameters, [v.split(".")[1] for v in variables]))
    return fig


def _mean_note(running_mean_h: float | None) -> str | None:
    """The legend's title when the lines are running means (None otherwise)."""
    return f"Lines: {running_mean_h:g}-h means\n(faint: as simulated)" if running_mean_h else None


def _trend_line(ax: Any, t: np.ndarray, y: np.ndarray, m: np.ndarray, running_mean_h: float | None,
                raw: bool = True, **kw: Any) -> None:
    """Plot ``y`` (on the whole time grid ``t``) inside the mask ``m``; with ``running_mean_h``, its
    trailing mean, the raw curve faint beneath (``raw``) so the dose-to-dose swing stays visible."""
    tx = time_axis(t[m])[0]
    if running_mean_h:
        if raw:
            ax.plot(tx, y[m], color=kw.get("color"), lw=0.7, alpha=0.3, label="_raw")
        y = running_mean(t, y, running_mean_h)
    ax.plot(tx, y[m], **kw)


def _ligands(result: Any, target: str, arm_list: Sequence[tuple[int, str]], m: np.ndarray) -> dict[int, list]:
    """Per arm index, the (drug, action) pairs with a non-zero ``occupancy.<target>.<drug>`` in the window."""
    prefix = f"occupancy.{target}."
    drugs = [v[len(prefix):] for v in result.variables if v.startswith(prefix)]
    out: dict[int, list] = {}
    for i, _ in arm_list:
        found = []
        for d in drugs:
            if np.any(result.data[prefix + d][i][:, m] > 0):
                try:
                    from .catalog import drug as get_drug

                    action = get_drug(d).binding(target).action
                except Exception:  # an inline drug: its action is not in the catalogue
                    action = "ligand"
                found.append((d, action))
        out[i] = found
    return out


def _occupancy_guide(ax: Any, target: str) -> None:
    """Shade a sourced occupancy range on a target's panel (`_style.OCCUPANCY_GUIDES`), e.g. the SERT
    occupancy PET finds for SSRIs at their minimum therapeutic doses."""
    if target not in OCCUPANCY_GUIDES:
        return
    from .catalog import registry

    low, high, text, source = OCCUPANCY_GUIDES[target]
    ax.axhspan(100 * low, 100 * high, color="#555555", alpha=0.12, lw=0,
               label=f"{text}: {100 * low:.0f}–{100 * high:.0f} % ({short_citation(registry(), source)})")


def plot_effects(result: Any, names: Sequence[str], arms: Sequence[str] | None = None,
                 time_range: Sequence[float] | None = None, running_mean_h: float | None = None,
                 sources: bool = False, skip_flat: bool = True) -> Figure:
    """Downstream states (``effect.<name>``, or any variable) over time: a panel per state.

    Parameters
    ----------
    result : Result
    names : sequence of str
        Variable names, with or without the ``effect.`` prefix.
    arms : sequence of str, optional
    time_range : (float, float), optional
        Start and end (h) of the part to draw.
    running_mean_h : float, optional
        Draw the trailing mean over this many hours (the raw curve stays, faint, beneath), e.g. 24
        to show a trend through dose-to-dose swings.
    sources : bool
        Caption with the sources of the result's parameters that mention these states.
    skip_flat : bool
        Leave out states that stay constant in every arm drawn (e.g. tolerance states in a run
        without the drug that drives them); the caption names them. If all are constant, all are drawn.
    """
    if isinstance(names, str):
        names = [names]
    variables = [variable(result, n, "effect") for n in names]
    arm_list = arms_of(result, arms)
    m = window(result.time_h, time_range)
    tx, tlabel = time_axis(result.time_h[m])
    flat = [v for v in variables if _is_flat(result.data[v][[i for i, _ in arm_list]][..., m])] if skip_flat else []
    if len(flat) == len(variables):
        flat = []  # nothing would be left: draw them all rather than an empty figure
    variables = [v for v in variables if v not in flat]
    with style():
        fig, axes = grid(len(variables))
        for ax, var in zip(axes, variables):
            scale, qty, u = display(var, result.units.get(var, ""))
            for i, arm in arm_list:
                y = central(result.data[var][i]) * scale
                if running_mean_h:
                    # the dose-to-dose swing stays visible, faint, under the trend
                    ax.plot(tx, y[m], color=color(i), lw=0.7, alpha=0.3, label="_raw")
                    y = running_mean(result.time_h, y, running_mean_h)
                ax.plot(tx, y[m], color=color(i), ls=linestyle(i), label=arm)
            ax.set_title(qty + (f" ({running_mean_h:g}-h mean)" if running_mean_h else ""), fontsize=12)
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label(qty, u))
            ax.set_xlim(tx[0], tx[-1])
        figure_legend(fig, axes)
        note = ("Not drawn, unchanged from baseline in every arm shown: "
                + ", ".join(display(v, "")[1] for v in flat) + ".") if flat else ""
        if sources:
            source_caption(fig, params_for(result.parameters, [v.split(".", 1)[1] for v in variables]), extra=note)
        elif note:
            _style.add_caption(fig, note)
    return fig


def _is_flat(arr: np.ndarray, rtol: float = 1e-6) -> bool:
    """True when every arm and subject holds one constant value (a state the run never moved)."""
    arr = np.asarray(arr, dtype=float)
    if arr.size == 0:
        return True
    span = float(np.nanmax(arr) - np.nanmin(arr))
    return span <= rtol * max(1.0, float(np.nanmax(np.abs(arr))))


def plot_population(result: Any, var: str, arms: Sequence[str] | None = None, interval: float = 0.9,
                    log: bool = False, time_range: Sequence[float] | None = None, sources: bool = False,
                    ax: Any = None) -> Figure:
    """Population median with a prediction band (default 90 %) per arm, from `Result.summary`.

    Parameters
    ----------
    result : Result
        A result with a population (one subject gives a band of zero width).
    var : str
        Variable name, e.g. ``"plasma.tianeptine"`` or ``"occupancy.MOR"``.
    arms : sequence of str, optional
    interval : float
        Central fraction of subjects inside the band, in (0, 1).
    log : bool
        Logarithmic y axis.
    time_range : (float, float), optional
        Start and end (h) of the part to draw (default: all).
    sources : bool
        Caption with the sources of the result's parameters that mention the variable.
    ax : matplotlib Axes, optional
        Draw into this axes (its figure is returned).
    """
    if not 0 < interval < 1:
        raise InputError(f"`interval` must lie between 0 and 1 (got {interval}); write e.g. 0.9 for a 90 % band.")
    var = variable(result, var)
    summ = result.summary([var], interval=interval)
    lo_col, hi_col = [c for c in summ.columns if c.startswith("p")][:2]
    scale, qty, u = display(var, result.units.get(var, ""))
    arm_list = arms_of(result, arms)
    own_figure = ax is None
    with style():
        fig, ax = single_axes(ax, width=8.6, height=5.4)
        for i, arm in arm_list:
            s = summ[summ["arm"] == arm]
            s = s[window(s["time_h"].to_numpy(), time_range)]
            tx, tlabel = time_axis(s["time_h"].to_numpy())
            ax.fill_between(tx, s[lo_col] * scale, s[hi_col] * scale, color=color(i), alpha=0.25, lw=0,
                            label=f"{arm}: {interval * 100:g} % of subjects")
            ax.plot(tx, s["median"] * scale, color=color(i), ls=linestyle(i), label=f"{arm}: median")
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label(qty, u))
        ax.set_xlim(tx[0], tx[-1])
        if log:
            ax.set_yscale("log")
        elif float(summ[lo_col].min()) >= 0:
            ax.set_ylim(bottom=0)
        ax.set_title(f"{qty}, {result.n_subjects} virtual subjects")
        if own_figure:  # above the axes: the labels are long, and beside the axes they squeeze the data
            fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", ncols=2, fontsize=10)
        else:
            ax.legend(loc="best", fontsize=10)
        if sources:
            source_caption(fig, params_for(result.parameters, var.split(".")[1:]))
    return fig


def plot_variable(result: Any, var: str, arms: Sequence[str] | None = None, unit: str | None = None,
                  time_range: Sequence[float] | None = None, ax: Any = None) -> Figure:
    """A quick look at one result variable (what `Result.plot` draws): a line per arm, and for a
    population the median with a band holding 90 % of subjects.

    Parameters
    ----------
    result : Result
    var : str
        Variable name, e.g. ``"free.tianeptine"`` or ``"occupancy.MOR.naloxone"``.
    arms : sequence of str, optional
        Arm labels to draw (default all; arms where the variable stays zero are left out).
    unit : str, optional
        Display unit; a drug concentration also takes a mass concentration such as ``"ng/mL"``
        (converted with the drug's molar mass).
    time_range : (float, float), optional
        Start and end (h) of the part to draw.
    ax : matplotlib Axes, optional
    """
    var = variable(result, var)
    if unit is None:
        scale, qty, u = display(var, result.units.get(var, ""))
    else:
        scale, qty, u = result.scale_factor(var, unit), display(var, result.units.get(var, ""))[1], unit_text(unit)
    arm_list = arms_of(result, arms)
    m = window(result.time_h, time_range)
    tx, tlabel = time_axis(result.time_h[m])
    with style():
        fig, ax = single_axes(ax, width=8.6, height=4.6)
        drawn = 0
        for i, arm in arm_list:
            arr = result.data[var][i][:, m] * scale
            if arms is None and not np.any(arr):
                continue
            if arr.shape[0] > 1:
                lo, hi = np.quantile(arr, [0.05, 0.95], axis=0)
                ax.fill_between(tx, lo, hi, color=color(i), alpha=0.2, lw=0, label=f"{arm}: 90 % of subjects")
            ax.plot(tx, central(arr), color=color(i), ls=linestyle(i), label=arm + (": median" if arr.shape[0] > 1 else ""))
            drawn += 1
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label(qty, u))
        ax.set_xlim(tx[0], tx[-1])
        ax.set_title(_variable_title(var, qty))
        if drawn:
            _style.legend_outside(ax, fontsize=10)
    return fig


def _variable_title(var: str, qty: str) -> str:
    """'MOR occupancy by naloxone' for a per-ligand occupancy, else the quantity."""
    parts = var.split(".")
    if parts[0] == "occupancy" and len(parts) == 3:
        return f"{parts[1]} occupancy by {drug_label(parts[2])}"
    if parts[0] in SITE_LABEL and len(parts) == 2:
        return f"{drug_label(parts[1])}: {qty[0].lower() + qty[1:]}"
    return qty


def plot_arms(result: Any, var: str, arms: Sequence[str] | None = None, stat: str = "mean",
              window_h: float = 24.0, time_range: Sequence[float] | None = None, sources: bool = False) -> Figure:
    """Arm against arm for one variable: the time course (left) and a bar per arm (right) of its
    ``stat`` over the last ``window_h`` hours (e.g. the steady-state mean).

    Parameters
    ----------
    result : Result
    var : str
        Variable name, e.g. ``"occupancy.SERT"``.
    arms : sequence of str, optional
    stat : {"mean", "max", "min"}
        Statistic of each arm's central curve over the window.
    window_h : float
        Length (h) of the final window the bars summarise.
    time_range : (float, float), optional
        Start and end (h) of the time course drawn (the bars always use the final window).
    sources : bool
        Caption with the sources of the result's parameters that mention the variable.
    """
    var = variable(result, var)
    scale, qty, u = display(var, result.units.get(var, ""))
    arm_list = arms_of(result, arms)
    m = window(result.time_h, time_range)
    tx, tlabel = time_axis(result.time_h[m])
    with style():
        fig, axes = new_figure(ncols=2, width=12.0)
        ax, bx = axes[0]
        for i, arm in arm_list:
            ax.plot(tx, central(result.data[var][i][:, m]) * scale, color=color(i), ls=linestyle(i), label=arm)
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label(qty, u))
        ax.set_xlim(tx[0], tx[-1])
        ax.set_title(qty)
        vals = [window_stat(result, var, i, window_h, stat) * scale for i, _ in arm_list]
        pos = np.arange(len(arm_list))
        bars = bx.bar(pos, vals, color=[color(i) for i, _ in arm_list])
        bx.bar_label(bars, fmt="%.3g", padding=2, fontsize=11)
        bx.set_xticks(pos, [wrap(a) for _, a in arm_list])
        bx.set_ylabel(axis_label(f"{stat.capitalize()}, last {window_h:g} h", u))
        bx.set_title(f"{stat.capitalize()} over the last {window_h:g} h")
        bx.grid(axis="x", visible=False)
        bx.margins(y=0.15)
        figure_legend(fig, [ax])
        if sources:
            source_caption(fig, params_for(result.parameters, var.split(".")[1:]))
    return fig


def plot_steady_state(result: Any, variables: Sequence[str], arms: Sequence[str] | None = None,
                      labels: Sequence[str] | None = None, stat: str = "mean", window_h: float = 24.0,
                      ylabel: str = "Value", title: str | None = None, sources: bool = False) -> Figure:
    """Grouped bars: one group per variable, one bar per arm, each the ``stat`` over the last
    ``window_h`` hours. Variables must share a unit (e.g. several occupancies or indices).

    Parameters
    ----------
    result : Result
    variables : sequence of str
        Variable names sharing one unit.
    arms : sequence of str, optional
    labels : sequence of str, optional
        Group labels (default: the variable names made readable).
    stat : {"mean", "max", "min"}
    window_h : float
        Length (h) of the final window.
    ylabel : str
        What the bars measure; the shared unit is appended.
    title : str, optional
    sources : bool
        Caption with the sources of the result's parameters that mention these variables.
    """
    variables = [variable(result, v) for v in variables]
    disp = [display(v, result.units.get(v, "")) for v in variables]
    units = {d[2] for d in disp}
    if len(units) > 1:
        raise InputError(f"`variables` must share a unit to share an axis (got {', '.join(sorted(units))}); "
                         f"plot them in separate figures.")
    u = units.pop()
    labels = list(labels) if labels is not None else [pretty(v.split(".", 1)[-1]) for v in variables]
    arm_list = arms_of(result, arms)
    n_arms = len(arm_list)
    width = 0.8 / max(n_arms, 1)
    with style():
        fig, axes = new_figure(width=max(7.0, 1.9 * len(variables) + 3.5), height=4.6)
        ax = axes[0, 0]
        pos = np.arange(len(variables))
        for j, (i, arm) in enumerate(arm_list):
            vals = [window_stat(result, v, i, window_h, stat) * d[0] for v, d in zip(variables, disp)]
            bars = ax.bar(pos + (j - (n_arms - 1) / 2) * width, vals, width, color=color(i), label=arm,
                          edgecolor="white")
            ax.bar_label(bars, fmt="%.2g", padding=1, fontsize=9)
        ax.set_xticks(pos, [wrap(lab, 16) for lab in labels])
        ax.set_ylabel(axis_label(ylabel, u))
        ax.grid(axis="x", visible=False)
        ax.margins(y=0.12)
        if u == "%":
            ax.set_ylim(0, 110)
        ax.set_title(title or f"{stat.capitalize()} over the last {window_h:g} h")
        _style.legend_outside(ax)
        if sources:
            toks = [p for v in variables for p in v.split(".")[1:]]
            source_caption(fig, params_for(result.parameters, toks))
    return fig


# --- receptor theory -----------------------------------------------------------------------

def plot_concentration_response(agonist: Any = None, target: str = "MOR", *, ka: Any = None, tau: Any = None,
                                antagonist: Any = None, kb: Any = None, antagonist_concs: Sequence[Any] = (0.0,),
                                em: float = 1.0, n: float = 1.0, conc: Any = None, show_occupancy: bool = True,
                                sources: bool = False, ax: Any = None) -> Figure:
    r"""Concentration–response curves of an agonist (operational model), shifted by a competitive antagonist.

    Solid lines: response :math:`E/E_m` (black1983) at each antagonist concentration; dashed lines in
    the same colour: agonist occupancy. The gap between them is receptor reserve; each curve's
    EC50 moves right by the Schild dose ratio :math:`1 + [B]/K_B` (arunlakshana1959).

    Parameters
    ----------
    agonist : str or Drug, optional
        Catalogue drug whose K_A and τ at ``target`` are used (unless ``ka``/``tau`` are given).
    target : str
        Target name (default MOR).
    ka, tau : quantity or float, optional
        Agonist dissociation constant (nM) and transducer ratio, overriding the drug's.
    antagonist : str, optional
        Catalogue antagonist (its K at ``target`` is K_B unless ``kb`` is given).
    kb : quantity or float, optional
        Antagonist dissociation constant (nM).
    antagonist_concs : sequence of quantity or float
        Antagonist concentrations (nM), one curve each.
    em, n : float
        System maximum and transducer slope.
    conc : array_like, optional
        Agonist concentrations (nM); default spans K_A/10^4 to K_A·DR_max·10^3.
    show_occupancy : bool
        Draw the occupancy curves too.
    sources : bool
        Caption with the sources of the drugs' parameters at ``target``.
    """
    from .receptors import competitive_occupancy, operational_ec50, operational_response_competitive, schild_dose_ratio

    k_a, t, a_name = agonist_constants(agonist, target, ka, tau)
    k_b, b_name = antagonist_kb(antagonist, target, kb)
    bs = [as_float(b, "nM", "antagonist_concs", nonnegative=True) for b in antagonist_concs]
    if any(b > 0 for b in bs) and k_b is None:
        raise InputError("`antagonist_concs` above zero need an `antagonist` or `kb`; name the antagonist, e.g. 'naloxone'.")
    dr_max = max(schild_dose_ratio(b, k_b) if k_b else 1.0 for b in bs)
    x = (np.logspace(np.log10(k_a) - 4, np.log10(k_a * dr_max) + 3, 400) if conc is None
         else as_float(conc, "nM", "conc", nonnegative=True))
    ec50 = operational_ec50(k_a, t, n)
    with style():
        fig, ax = single_axes(ax, width=10.0, height=4.8)
        for i, b in enumerate(bs):
            dr = schild_dose_ratio(b, k_b) if k_b else 1.0
            lab = "no antagonist" if b == 0 else f"{b_name} {b:g} nM (dose ratio {dr:.3g})"
            y = operational_response_competitive(x, k_a, t, b, k_b or 1.0, em=em, n=n)
            # with occupancy drawn, solid = response and dashed = occupancy; without it, styles tell curves apart
            ax.plot(x, y, color=color(i), ls="-" if show_occupancy else linestyle(i), label=f"response, {lab}")
            if show_occupancy:
                occ = competitive_occupancy({"a": x, "b": b}, {"a": k_a, "b": k_b or 1.0})["a"]
                ax.plot(x, occ * em, color=color(i), ls="--", lw=1.6, label=f"occupancy, {lab}")
            ax.plot([ec50 * dr], [operational_response_competitive(ec50 * dr, k_a, t, b, k_b or 1.0, em=em, n=n)],
                    "o", color=color(i), ms=7, label="_ec50")
        ax.set_xscale("log")
        ax.set_xlabel(axis_label(f"{a_name} concentration", "nM"))
        ax.set_ylabel("Response or occupancy (fraction of maximum)" if show_occupancy
                      else "Response (fraction of system maximum)")
        ax.set_ylim(0, em * 1.05)
        ax.set_title(f"{a_name} at {target}: K_A {k_a:.3g} nM, τ {t:.3g}, EC50 {ec50:.3g} nM (dots)", fontsize=12)
        _style.legend_outside(ax, fontsize=10)
        if sources:
            names = [v for v in (agonist, antagonist) if isinstance(v, str)]
            source_caption(fig, drug_params(names, [f"targets.{target}."]))
    return fig


def plot_schild(antagonist_concs: Sequence[Any], kb: Any = None, dose_ratios: Sequence[float] | None = None,
                antagonist: str = "antagonist", target: str | None = None, sources: bool = False,
                ax: Any = None) -> Figure:
    r"""Schild plot: log(DR − 1) against log[B], with the fitted line, its slope and pA2.

    .. math:: \log(DR - 1) = \log[B] - \log K_B

    Parameters
    ----------
    antagonist_concs : sequence of quantity or float
        Antagonist concentrations [B] (nM), > 0.
    kb : quantity or float, optional
        K_B (nM) used to compute the dose ratios when ``dose_ratios`` is not given (or read from the
        catalogue when ``antagonist`` and ``target`` name a drug and target).
    dose_ratios : sequence of float, optional
        Measured (or simulated) dose ratios, > 1, one per concentration.
    antagonist : str
        Name shown on the axis (a catalogue name also supplies K_B with ``target``).
    sources : bool
        Caption with the sources of the antagonist's affinity at ``target``.
    """
    from .receptors import schild_dose_ratio

    b = np.array([as_float(x, "nM", "antagonist_concs", positive=True) for x in antagonist_concs])
    if dose_ratios is None:
        if kb is None and target is not None:
            kb, _ = antagonist_kb(antagonist, target, None)
        if kb is None:
            raise InputError("give `dose_ratios`, or `kb` (nM) to compute them; write e.g. plot_schild([1, 10, 100], kb=2).")
        dr = np.asarray(schild_dose_ratio(b, as_float(kb, "nM", "kb", positive=True)), dtype=float)
    else:
        dr = np.asarray(dose_ratios, dtype=float)
        if dr.shape != b.shape:
            raise InputError(f"`dose_ratios` needs one value per concentration (got {dr.size} for {b.size}).")
        if np.any(dr <= 1):
            raise InputError("every dose ratio must exceed 1 for a Schild plot (log(DR - 1)); drop the points at or below 1.")
    if b.size < 2:
        raise InputError("a Schild plot needs at least two antagonist concentrations; give e.g. [1, 10, 100] nM.")
    lx, ly = np.log10(b * 1e-9), np.log10(dr - 1)
    slope, intercept = np.polyfit(lx, ly, 1)
    pa2 = intercept / slope  # x-intercept, -log10 of K_B in M when the slope is 1
    with style():
        fig, ax = single_axes(ax, width=7.0, height=4.8)
        ax.plot(lx, ly, "o", color=color(0), ms=8, label="dose ratios")
        xs = np.linspace(min(lx.min(), -pa2) - 0.3, lx.max() + 0.3, 50)
        ax.plot(xs, slope * xs + intercept, color=color(1), ls="--",
                label=f"fit: slope {slope:.2f}, pA2 {pa2:.2f} (K_B {10 ** (9 - pa2):.3g} nM)")
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_xlabel(f"log10 [{drug_label(antagonist) if antagonist != 'antagonist' else 'antagonist'}] (log10 M)")
        ax.set_ylabel("log10 (dose ratio − 1) (dimensionless)")
        ax.set_title("Schild plot: slope 1 means simple competition")
        _style.legend_outside(ax, fontsize=10)
        if sources and target:
            source_caption(fig, drug_params([antagonist], [f"targets.{target}.affinity"]))
    return fig


def plot_dose_response(drug: Any, doses: Sequence[Any], target: str, every: Any = "24 h", days: float = 7.0,
                       site: str = "free", species: str = "human", body_weight: Any = None,
                       sources: bool = False, ax: Any = None) -> Figure:
    """Dose → steady-state occupancy at one target: trough, mean and peak over the last interval.

    Each dose is repeated every ``every`` for ``days``; occupancy is computed from the concentration at
    ``site`` with the drug's own affinity (one ligand, Hill–Langmuir).

    Parameters
    ----------
    drug : str or Drug
    doses : sequence of quantity or str
        Doses, e.g. ``["12.5 mg", "125 mg", "1 g"]`` (each is one administration).
    target : str
        Target at which the drug has an affinity.
    every : quantity or str
        Dosing interval.
    days : float
        How long to dose before reading the last interval.
    """
    from .catalog import drug as get_drug
    from .dosing import Regimen
    from .pk import concentration
    from .receptors import occupancy
    from .targets import dissociation_constant

    dr = get_drug(drug)
    k = dissociation_constant(dr, target)
    tau = as_float(every, "h", "every", positive=True)
    count = max(1, int(round(days * 24 / tau)))
    t = np.linspace(0.0, count * tau, count * 48 + 1)
    last = t >= t[-1] - tau
    mg = np.array([as_float(d, "mg", "dose", positive=True) for d in doses])
    rows = []
    for d in mg:
        reg = Regimen.repeated(dose=f"{d} mg", every=f"{tau} h", count=count, route="oral")
        c = concentration(dr, reg, t, site=site, species=species, body_weight=body_weight)
        c = as_float(c, "nM", "concentration")
        occ = 100.0 * np.asarray(occupancy(c[last], k))
        rows.append((occ.min(), occ.mean(), occ.max()))
    lo, mean, hi = (np.array(x) for x in zip(*rows))
    with style():
        fig, ax = single_axes(ax, width=7.6, height=4.8)
        ax.fill_between(mg, lo, hi, color=color(0), alpha=0.2, lw=0, label="trough to peak")
        ax.plot(mg, mean, "o-", color=color(0), label="mean over a dosing interval")
        ax.set_xscale("log")
        ax.set_xlabel(axis_label(f"{dr.display_name} dose, every {tau:g} h", "mg"))
        ax.set_ylabel(axis_label(f"{target} occupancy at steady state", "%"))
        ax.set_ylim(0, 100)
        ax.set_title(wrap(f"{dr.display_name}: dose to {target} occupancy ({site} concentration, K\u00a0{k:.3g}\u00a0nM)", 60),
                     fontsize=12)
        _style.legend_outside(ax, fontsize=10)
        if sources:
            source_caption(fig, {k2: p for k2, p in dr.parameters().items()
                           if k2.startswith(f"pk.{species}") or k2.startswith(f"targets.{target}.")})
    return fig


def plot_receptor_profile(panel: pd.DataFrame, kind: str = "auto", annotate: bool = True, title: str | None = None,
                          sources: bool = False, params: Mapping[str, Parameter] | None = None,
                          ax: Any = None, row_label: str = "Drug") -> Figure:
    """Drug × target heatmap: occupancy (%) or affinity (pK = −log10 K in M); blank where no affinity is known.

    Parameters
    ----------
    panel : DataFrame
        Drugs as rows and targets as columns (as `pdsim.panel.panel` returns), or a tidy table with
        columns ``drug``, ``target`` and ``occupancy`` (or ``value``). NaN means no affinity in the model.
    kind : {"auto", "occupancy", "affinity"}
        'occupancy': fractions 0–1 shown as %; 'affinity': dissociation constants in nM shown as pK.
        'auto' reads fractions when every value is at most 1.
    annotate : bool
        Print the value in each cell.
    sources : bool
        Caption with the sources of the drugs' affinities (or ``params`` when given).
    params : dict of str to Parameter, optional
        The parameters to cite instead of the catalogue drugs' affinities.
    ax : matplotlib Axes, optional
        Draw into this axes (its figure is returned) instead of a new figure.
    row_label : str
        What the rows are ('Drug', or 'Arm' for a scenario's arms).
    """
    df = mask_unbound(wide_panel(panel))
    vals = df.to_numpy(dtype=float)
    if kind == "auto":
        kind = "occupancy" if np.all(vals[np.isfinite(vals)] <= 1.0) else "affinity"
    if kind == "occupancy":
        shown, cbar, fmt, norm = vals * 100.0, axis_label("Occupancy", "%"), "{:.0f}", Normalize(0, 100)
    elif kind == "affinity":
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = 9.0 - np.log10(vals)
        cbar, fmt, norm = "Affinity pK (−log10 M)", "{:.1f}", Normalize(4, 10)
    else:
        raise InputError(f"`kind` must be 'auto', 'occupancy' or 'affinity' (got {kind!r}).")
    rows = [wrap(drug_label(str(r)), 28) for r in df.index]  # arm labels can be long: break them
    cols = [_style.short_target(str(c)) for c in df.columns]
    longest = max((len(line) for r in rows for line in r.split("\n")), default=10)
    lines = sum(r.count("\n") + 1 for r in rows)
    width = max(6.5, 1.05 * len(cols) + 1.6 + 0.11 * longest + 1.4)  # cells, row labels, colour bar
    with style():
        fig, ax = single_axes(ax, width=width, height=max(3.2, 0.8 * len(rows) + 0.2 * (lines - len(rows)) + 1.9))
        ax.set_facecolor("#eeeeee")
        masked = np.ma.masked_invalid(shown)
        im = ax.imshow(masked, cmap="viridis", norm=norm, aspect="auto")
        ax.set_xticks(range(len(cols)), cols, rotation=0)
        ax.set_yticks(range(len(rows)), rows)
        ax.grid(False)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        if annotate:
            for r in range(len(rows)):
                for c in range(len(cols)):
                    v = shown[r, c]
                    if np.isfinite(v):
                        rgba = im.cmap(norm(v))
                        dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.55
                        text = "<1" if kind == "occupancy" and 0 < v < 0.5 else fmt.format(v)
                        ax.text(c, r, text, ha="center", va="center", fontsize=12,
                                color="white" if dark else "black")
                    else:
                        ax.text(c, r, "–", ha="center", va="center", fontsize=12, color="#777777")
        fig.colorbar(im, ax=ax, label=cbar, shrink=0.9)
        ax.set_xlabel("Target")
        ax.set_ylabel(row_label)
        ax.set_title(wrap(title or ("Occupancy at each target" if kind == "occupancy" else "Affinity at each target")
                          + " (– no affinity in the model)", int(9 * width)), fontsize=12)
        if sources:
            ps = dict(params) if params is not None else drug_params(
                [str(r) for r in df.index], [f"targets.{c}." for c in df.columns])
            source_caption(fig, ps)
    return fig


def plot_use_dependence(drug: Any, conc: Any, frequencies: Sequence[Any] = ("1 Hz", "5 Hz", "20 Hz"),
                        holding: Any = "-90 mV", pulses: int = 60, pulse_duration: Any = "20 ms",
                        sources: bool = False, ax: Any = None, test: Any = "0 mV") -> Figure:
    """Na+ current of each pulse in a train, relative to a drug-free channel, at several frequencies.

    Uses `pdsim.targets.nav_block` (modulated-receptor block): the first pulse shows tonic block, and
    faster trains leave less time between pulses to recover, so block builds up (use dependence).

    Parameters
    ----------
    drug : str or Drug
        A drug with a [targets.Nav] table (e.g. amitriptyline, lidocaine).
    conc : quantity or float
        Free concentration at the channel (floats in nM).
    frequencies : sequence of quantity or str
        Pulse frequencies, one line each.
    holding, pulses, pulse_duration, test
        The voltage protocol (see `nav_block`): holding potential, pulse count and length, test potential.
    sources : bool
        Caption with the sources of the drug's Nav constants and the Nav target file.
    """
    from .catalog import drug as get_drug, target
    from .targets import nav_block

    dr = get_drug(drug)
    with style():
        fig, ax = single_axes(ax, width=8.4, height=4.8)
        for i, f in enumerate(frequencies):
            nb = nav_block(dr, conc, frequency=f, holding=holding, pulses=pulses, pulse_duration=pulse_duration,
                           test=test)
            ax.plot(np.arange(1, pulses + 1), 100.0 * nb.current, color=color(i), ls=linestyle(i),
                    label=f"{nb.frequency:g} Hz: use-dependent {100 * nb.use_dependent:.0f} %")
        ax.set_xlabel(axis_label("Pulse number", "count"))
        ax.set_ylabel(axis_label("Peak Na+ current vs drug-free", "%"))
        ax.set_ylim(0, 105)
        ax.set_xlim(1, pulses)
        ax.set_title(f"{dr.display_name} {nb.conc:.3g} nM, holding {nb.holding:g} mV: "
                     f"tonic block {100 * nb.tonic:.0f} %", fontsize=12)
        _style.legend_outside(ax)
        if sources:
            ps = {k: p for k, p in dr.parameters().items() if k.startswith("targets.Nav.")}
            ps.update({f"Nav.{k}": p for k, p in target("Nav").parameters.items()})
            source_caption(fig, ps)
    return fig
