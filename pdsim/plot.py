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
import pint
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from . import _style
from ._style import (
    PALETTE,
    add_caption,
    axis_label,
    color,
    linestyle,
    new_figure,
    style,
    time_axis,
    unit_text,
)
from .errors import InputError, UnknownNameError, suggest
from .provenance import Parameter
from .units import Q_, as_float, mass_to_molar

__all__ = [
    "PALETTE",
    "style",
    "save_figure",
    "plot_pk",
    "plot_concentrations",
    "plot_occupancy",
    "plot_effects",
    "plot_population",
    "plot_arms",
    "plot_steady_state",
    "plot_concentration_response",
    "plot_dose_response",
    "plot_schild",
    "plot_receptor_profile",
]

_SITE_LABEL = {"plasma": "Total plasma concentration", "free": "Free plasma concentration",
               "brain": "Free brain concentration", "effect": "Effect-site concentration"}
_CONC_SITES = tuple(_SITE_LABEL)


# --- helpers -------------------------------------------------------------------------------

def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by suffix), creating the folder; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with style():
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _pretty(name: str) -> str:
    """'anticholinergic_burden' → 'Anticholinergic burden'."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _drug_label(name: str) -> str:
    try:
        from .catalog import drug

        return drug(name).display_name
    except Exception:  # a drug defined inline in a scenario is shown by its name
        return _pretty(name)


def _target_label(name: str) -> str:
    try:
        from .catalog import target

        mf = target(name)
        return f"{name} ({mf.display_name})" if mf.display_name and mf.display_name != name else name
    except Exception:  # a target without a model file is shown by its name
        return name


def _conc_unit(max_nM: float, unit: str | None) -> tuple[float, str]:
    """Scale factor from nM and the display unit: µM above 10 µM unless ``unit`` is given."""
    if unit is not None:
        return float(Q_(1.0, "nM").to(unit).magnitude), unit
    return (1e-3, "µM") if max_nM > 1e4 else (1.0, "nM")


def _display(name: str, unit: str) -> tuple[float, str, str]:
    """How to draw a result variable: (scale, quantity text, unit text)."""
    head, _, rest = name.partition(".")
    if head == "occupancy":
        scale = 100.0 if unit_text(unit) == "dimensionless" else 1.0
        return scale, f"{rest.split('.')[0]} occupancy", "%" if scale == 100.0 else unit_text(unit)
    if head in _CONC_SITES:
        return 1.0, _SITE_LABEL[head], unit_text(unit)
    if head == "signal":
        return 1.0, f"{rest} signal", unit_text(unit)
    if head == "effect":
        return 1.0, _pretty(rest), unit_text(unit)
    return 1.0, _pretty(name), unit_text(unit)


def _central(arr: np.ndarray) -> np.ndarray:
    """One curve from (subjects, time): the subject itself, or the median of a population."""
    arr = np.asarray(arr, dtype=float)
    return arr[0] if arr.shape[0] == 1 else np.median(arr, axis=0)


def _arm_list(result, arms: Sequence[str] | None) -> list[tuple[int, str]]:
    if arms is None:
        return list(enumerate(result.arms))
    out = []
    for a in arms:
        if a not in result.arms:
            raise UnknownNameError(f"Unknown arm '{a}'.{suggest(a, result.arms)}")
        out.append((result.arms.index(a), a))
    return out


def _variable(result, name: str, prefix: str | None = None) -> str:
    """Accept 'x' or 'prefix.x'; fail with a suggestion if the result lacks it."""
    if name in result.data:
        return name
    if prefix and f"{prefix}.{name}" in result.data:
        return f"{prefix}.{name}"
    raise UnknownNameError(f"Result has no variable '{name}'.{suggest(name, result.data)} See result.variables.")


def _params_for(params: Mapping[str, Parameter], tokens: Sequence[str]) -> dict[str, Parameter]:
    """The parameters whose dotted name mentions one of ``tokens`` (all of them if none does)."""
    toks = {t.lower() for t in tokens}
    keep = {k: p for k, p in params.items() if toks & {part.lower() for part in k.split(".")}}
    return keep or dict(params)


def _caption(fig: Figure, params: Mapping[str, Parameter] | Sequence[Parameter], extra: str = "") -> None:
    from .report import caption

    text = caption(params) if params else ""
    add_caption(fig, " ".join(t for t in (extra, text) if t))


def _drug_params(names: Sequence[str], keys: Sequence[str] | None = None) -> dict[str, Parameter]:
    """Parameters of catalogue drugs, optionally only those whose name contains one of ``keys``."""
    from .catalog import drug

    out: dict[str, Parameter] = {}
    for n in names:
        try:
            ps = drug(n).parameters()
        except Exception:  # not a catalogue drug: it contributes no sources here
            continue
        for k, p in ps.items():
            if keys is None or any(key in k for key in keys):
                out[f"{n}.{k}"] = p
    return out


def _therapeutic_band(ax, drug_name: str, scale: float) -> bool:
    """Shade a drug's [therapeutic_range] (total plasma); True if drawn."""
    from .catalog import drug

    try:
        dr = drug(drug_name)
    except Exception:  # an inline drug has no catalogue range
        return False
    rng = dr.extra.get("therapeutic_range", {})
    if "low" not in rng or "high" not in rng:
        return False
    bounds = []
    for key in ("low", "high"):
        q = rng[key].quantity
        if q.check("[mass] / [length] ** 3"):
            q = mass_to_molar(q, dr.molar_mass.quantity)
        bounds.append(float(q.to("nM").magnitude) * scale)
    ax.axhspan(bounds[0], bounds[1], color=_style.OKABE_ITO["bluish_green"], alpha=0.15, lw=0,
               label=f"{dr.display_name} therapeutic range")
    return True


def _single_axes(ax, **kw) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(**kw)
    return fig, axes[0, 0]


def _grid(n: int, max_cols: int = 3) -> tuple[Figure, list]:
    ncols = min(n, max_cols)
    nrows = int(np.ceil(n / ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _figure_legend(fig: Figure, axes: Sequence[Any]) -> None:
    """One legend for the whole figure, outside the axes, with each label once."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if not lab.startswith("_") and lab not in seen:
                seen[lab] = h
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="outside right upper")


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
        Concentration unit of the y axis (default nM, or µM above 10 µM).
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
        curves[site] = as_float(c, "nM", "concentration") if isinstance(c, pint.Quantity) else np.asarray(c, float)
    top = max(float(np.max(c)) for c in curves.values()) if curves else 0.0
    scale, u = _conc_unit(top, unit)
    tx, tlabel = time_axis(t)
    with style():
        fig, ax = _single_axes(ax)
        for i, (site, c) in enumerate(curves.items()):
            ax.plot(tx, c * scale, color=color(i), ls=linestyle(i), label=_SITE_LABEL.get(site, site).split(" conc")[0])
        if "plasma" in curves:
            _therapeutic_band(ax, dr.name, scale)
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label("Concentration", u))
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlim(tx[0], tx[-1])
        ax.set_title(label or f"{dr.display_name} ({species})")
        ax.legend(loc="best")
        if sources:
            _caption(fig, {k: p for k, p in dr.parameters().items() if k.startswith(f"pk.{species}") or k == "molar_mass"})
    return fig


def plot_concentrations(result: Any, drugs: Sequence[str] | None = None, site: str = "plasma",
                        arms: Sequence[str] | None = None, unit: str | None = None, log: bool = False,
                        sources: bool = False) -> Figure:
    """Concentration time courses from a `Result`: one panel per drug, one line per arm.

    Arms without the drug are left out of its panel. For a population the median is drawn (see
    `plot_population` for the band). The therapeutic range of a drug file is shaded on total
    plasma concentrations.

    Parameters
    ----------
    result : Result
    drugs : sequence of str, optional
        Drug names (default: every ``<site>.<drug>`` variable in the result).
    site : {"plasma", "free", "brain", "effect"}
    arms : sequence of str, optional
        Arm labels to draw (default all).
    unit : str, optional
        Display unit (default nM, or µM if a drug exceeds 10 µM).
    log : bool
        Logarithmic concentration axis.
    sources : bool
        Add a 'Sources: …' caption from the result's parameters of the drugs drawn.
    """
    if site not in _CONC_SITES:
        raise InputError(f"`site` must be one of {', '.join(_CONC_SITES)} (got {site!r}).{suggest(site, _CONC_SITES)}")
    names = list(drugs) if drugs is not None else [v.split(".", 1)[1] for v in result.variables
                                                    if v.startswith(site + ".") and v.count(".") == 1]
    if not names:
        raise UnknownNameError(f"Result has no '{site}.<drug>' variables; known: {', '.join(result.variables)}.")
    variables = [_variable(result, f"{site}.{n}") for n in names]
    arm_list = _arm_list(result, arms)
    with style():
        fig, axes = _grid(len(names))
        for ax, name, var in zip(axes, names, variables):
            arr = result.data[var]
            scale, u = _conc_unit(float(np.nanmax(arr)) if arr.size else 0.0, unit)
            if unit is None and result.units.get(var, "nM") != "nM":
                scale, u = 1.0, result.units[var]
            tx, tlabel = time_axis(result.time_h)
            for i, arm in arm_list:
                y = _central(arr[i])
                if not np.any(y > 0):
                    continue
                ax.plot(tx, y * scale, color=color(i), ls=linestyle(i), label=arm)
            if site == "plasma":
                _therapeutic_band(ax, name, scale)
            ax.set_title(_drug_label(name))
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label(_SITE_LABEL[site].replace(" concentration", ""), u))
            ax.set_xlim(tx[0], tx[-1])
            if log:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
        _figure_legend(fig, axes)
        if sources:
            _caption(fig, _params_for(result.parameters, names))
    return fig


def plot_occupancy(result: Any, targets: Sequence[str] | None = None, arms: Sequence[str] | None = None,
                   sources: bool = False) -> Figure:
    """Receptor or transporter occupancy (all ligands together) over time: a panel per target.

    Parameters
    ----------
    result : Result
    targets : sequence of str, optional
        Target names (default: every ``occupancy.<target>`` variable).
    arms : sequence of str, optional
    sources : bool
        Caption with the sources of the affinities and PK used.
    """
    names = list(targets) if targets is not None else [v.split(".", 1)[1] for v in result.variables
                                                        if v.startswith("occupancy.") and v.count(".") == 1]
    if not names:
        raise UnknownNameError("Result has no 'occupancy.<target>' variables; simulate with targets.")
    variables = [_variable(result, n, "occupancy") for n in names]
    arm_list = _arm_list(result, arms)
    tx, tlabel = time_axis(result.time_h)
    with style():
        fig, axes = _grid(len(names), max_cols=4)
        for ax, name, var in zip(axes, names, variables):
            scale, _, u = _display(var, result.units.get(var, ""))
            for i, arm in arm_list:
                ax.plot(tx, _central(result.data[var][i]) * scale, color=color(i), ls=linestyle(i), label=arm)
            ax.set_title(_target_label(var.split(".")[1]), fontsize=12)
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label("Occupancy", u))
            ax.set_ylim(0, 100 if u == "%" else None)
            ax.set_xlim(tx[0], tx[-1])
        _figure_legend(fig, axes)
        if sources:
            _caption(fig, _params_for(result.parameters, [v.split(".")[1] for v in variables]))
    return fig


def plot_effects(result: Any, names: Sequence[str], arms: Sequence[str] | None = None,
                 sources: bool = False) -> Figure:
    """Downstream states (``effect.<name>``, or any variable) over time: a panel per state.

    Parameters
    ----------
    result : Result
    names : sequence of str
        Variable names, with or without the ``effect.`` prefix.
    arms : sequence of str, optional
    sources : bool
        Caption with the sources of the result's parameters that mention these states.
    """
    if isinstance(names, str):
        names = [names]
    variables = [_variable(result, n, "effect") for n in names]
    arm_list = _arm_list(result, arms)
    tx, tlabel = time_axis(result.time_h)
    with style():
        fig, axes = _grid(len(variables))
        for ax, var in zip(axes, variables):
            scale, qty, u = _display(var, result.units.get(var, ""))
            for i, arm in arm_list:
                ax.plot(tx, _central(result.data[var][i]) * scale, color=color(i), ls=linestyle(i), label=arm)
            ax.set_title(qty, fontsize=12)
            ax.set_xlabel(tlabel)
            ax.set_ylabel(axis_label(qty, u))
            ax.set_xlim(tx[0], tx[-1])
        _figure_legend(fig, axes)
        if sources:
            _caption(fig, _params_for(result.parameters, [v.split(".", 1)[1] for v in variables]))
    return fig


def plot_population(result: Any, var: str, arms: Sequence[str] | None = None, interval: float = 0.9,
                    log: bool = False, sources: bool = False, ax: Any = None) -> Figure:
    """Population median with a prediction band (default 90 %) per arm, from `Result.summary`.

    Parameters
    ----------
    result : Result
        A result with a population (one subject gives a band of zero width).
    var : str
        Variable name, e.g. ``"plasma.tianeptine"`` or ``"occupancy.MOR"``.
    interval : float
        Central fraction of subjects inside the band, in (0, 1).
    """
    if not 0 < interval < 1:
        raise InputError(f"`interval` must lie between 0 and 1 (got {interval}); write e.g. 0.9 for a 90 % band.")
    var = _variable(result, var)
    summ = result.summary([var], interval=interval)
    lo_col, hi_col = [c for c in summ.columns if c.startswith("p")][:2]
    scale, qty, u = _display(var, result.units.get(var, ""))
    arm_list = _arm_list(result, arms)
    with style():
        fig, ax = _single_axes(ax)
        for i, arm in arm_list:
            s = summ[summ["arm"] == arm]
            tx, tlabel = time_axis(s["time_h"].to_numpy())
            ax.fill_between(tx, s[lo_col] * scale, s[hi_col] * scale, color=color(i), alpha=0.25, lw=0,
                            label=f"{arm}: {interval * 100:g} % of subjects")
            ax.plot(tx, s["median"] * scale, color=color(i), ls=linestyle(i), label=f"{arm}: median")
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label(qty, u))
        ax.set_xlim(tx[0], tx[-1])
        if log:
            ax.set_yscale("log")
        ax.set_title(f"{qty}, {result.n_subjects} virtual subjects")
        _style.legend_outside(ax)
        if sources:
            _caption(fig, _params_for(result.parameters, var.split(".")[1:]))
    return fig


def _window_stat(result, var: str, i: int, window_h: float, stat: str) -> float:
    t = result.time_h
    mask = t >= t[-1] - window_h
    y = _central(result.data[var][i])[mask]
    if stat == "mean":
        return float(np.mean(y))
    if stat == "max":
        return float(np.max(y))
    if stat == "min":
        return float(np.min(y))
    raise InputError(f"`stat` must be 'mean', 'max' or 'min' (got {stat!r}).{suggest(stat, ('mean', 'max', 'min'))}")


def plot_arms(result: Any, var: str, arms: Sequence[str] | None = None, stat: str = "mean",
              window_h: float = 24.0, sources: bool = False) -> Figure:
    """Arm against arm for one variable: the time course (left) and a bar per arm (right) of its
    ``stat`` over the last ``window_h`` hours (e.g. the steady-state mean)."""
    var = _variable(result, var)
    scale, qty, u = _display(var, result.units.get(var, ""))
    arm_list = _arm_list(result, arms)
    tx, tlabel = time_axis(result.time_h)
    with style():
        fig, axes = new_figure(ncols=2, width=12.0)
        ax, bx = axes[0]
        for i, arm in arm_list:
            ax.plot(tx, _central(result.data[var][i]) * scale, color=color(i), ls=linestyle(i), label=arm)
        ax.set_xlabel(tlabel)
        ax.set_ylabel(axis_label(qty, u))
        ax.set_xlim(tx[0], tx[-1])
        ax.set_title(qty)
        vals = [_window_stat(result, var, i, window_h, stat) * scale for i, _ in arm_list]
        pos = np.arange(len(arm_list))
        bars = bx.bar(pos, vals, color=[color(i) for i, _ in arm_list])
        bx.bar_label(bars, fmt="%.3g", padding=2, fontsize=11)
        bx.set_xticks(pos, [_wrap(a) for _, a in arm_list])
        bx.set_ylabel(axis_label(f"{stat.capitalize()}, last {window_h:g} h", u))
        bx.set_title(f"{stat.capitalize()} over the last {window_h:g} h")
        bx.grid(axis="x", visible=False)
        bx.margins(y=0.15)
        _figure_legend(fig, [ax])
        if sources:
            _caption(fig, _params_for(result.parameters, var.split(".")[1:]))
    return fig


def _wrap(text: str, width: int = 14) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def plot_steady_state(result: Any, variables: Sequence[str], arms: Sequence[str] | None = None,
                      labels: Sequence[str] | None = None, stat: str = "mean", window_h: float = 24.0,
                      ylabel: str = "Value", title: str | None = None, sources: bool = False) -> Figure:
    """Grouped bars: one group per variable, one bar per arm, each the ``stat`` over the last
    ``window_h`` hours. Variables must share a unit (e.g. several occupancies or indices).

    Parameters
    ----------
    labels : sequence of str, optional
        Group labels (default: the variable names made readable).
    ylabel : str
        What the bars measure; the shared unit is appended.
    """
    variables = [_variable(result, v) for v in variables]
    disp = [_display(v, result.units.get(v, "")) for v in variables]
    units = {d[2] for d in disp}
    if len(units) > 1:
        raise InputError(f"`variables` must share a unit to share an axis (got {', '.join(sorted(units))}); "
                         f"plot them in separate figures.")
    u = units.pop()
    labels = list(labels) if labels is not None else [_pretty(v.split(".", 1)[-1]) for v in variables]
    arm_list = _arm_list(result, arms)
    n_arms = len(arm_list)
    width = 0.8 / max(n_arms, 1)
    with style():
        fig, axes = new_figure(width=max(7.0, 1.9 * len(variables) + 3.5), height=4.6)
        ax = axes[0, 0]
        pos = np.arange(len(variables))
        for j, (i, arm) in enumerate(arm_list):
            vals = [_window_stat(result, v, i, window_h, stat) * d[0] for v, d in zip(variables, disp)]
            bars = ax.bar(pos + (j - (n_arms - 1) / 2) * width, vals, width, color=color(i), label=arm,
                          edgecolor="white")
            ax.bar_label(bars, fmt="%.2g", padding=1, fontsize=9)
        ax.set_xticks(pos, [_wrap(lab, 16) for lab in labels])
        ax.set_ylabel(axis_label(ylabel, u))
        ax.grid(axis="x", visible=False)
        ax.margins(y=0.12)
        if u == "%":
            ax.set_ylim(0, 110)
        ax.set_title(title or f"{stat.capitalize()} over the last {window_h:g} h")
        _style.legend_outside(ax)
        if sources:
            toks = [p for v in variables for p in v.split(".")[1:]]
            _caption(fig, _params_for(result.parameters, toks))
    return fig
