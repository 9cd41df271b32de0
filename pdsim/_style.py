"""The house style of pdsim figures: Okabe–Ito colours, projector-size fonts, unit-bearing labels.

Nothing here writes to matplotlib's global rcParams; figures are drawn inside `style()`.
"""
from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "LINESTYLES",
    "RC",
    "style",
    "new_figure",
    "color",
    "unit_text",
    "axis_label",
    "time_axis",
    "add_caption",
    "finish",
    "linestyle",
    "legend_outside",
]

#: Okabe & Ito (2008) colour-blind-safe palette, by name
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: the order series take; yellow last because it is faint on white
PALETTE = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple",
                                  "sky_blue", "black", "yellow")]

#: line styles paired with the colours so that a greyscale print still separates series
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), "-"]

#: rc settings used inside `style()`: sizes that read from the back of a lecture room
RC: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "legend.framealpha": 0.9,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 2.2,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "image.cmap": "viridis",
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which pdsim draws: `RC` applied on top of the user's settings, then restored."""
    with mpl.rc_context(RC):
        yield


def new_figure(ncols: int = 1, nrows: int = 1, width: float | None = None, height: float | None = None,
               sharex: bool = False, sharey: bool = False, squeeze: bool = False) -> tuple[Figure, np.ndarray]:
    """A `Figure` (not registered with pyplot, so nothing accumulates) and its axes grid.

    Call inside `style()`. Width and height default to 5.2 by 3.8 inches per panel.
    """
    w = width if width is not None else min(5.2 * ncols + 0.6, 17.0)
    h = height if height is not None else 3.8 * nrows + 0.6
    fig = Figure(figsize=(w, h), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=squeeze)
    return fig, axes


def color(i: int) -> str:
    """The i-th series colour (cycles through `PALETTE`)."""
    return PALETTE[i % len(PALETTE)]


def linestyle(i: int) -> Any:
    """The i-th series line style (paired with `color`)."""
    return LINESTYLES[i % len(LINESTYLES)]


def unit_text(unit: str | None) -> str:
    """A unit string as printed on an axis: '' and '1' become 'dimensionless', pint names shortened."""
    if unit is None or str(unit).strip() in ("", "1", "dimensionless"):
        return "dimensionless"
    u = str(unit).strip()
    try:
        from .units import ureg

        return f"{ureg.parse_units(u):~P}"
    except Exception:  # an unusual unit string is shown as written
        return u


def axis_label(quantity: str, unit: str | None) -> str:
    """'Quantity (unit)': every pdsim axis carries its unit."""
    return f"{quantity} ({unit_text(unit)})"


def time_axis(time_h: np.ndarray, unit: str | None = None) -> tuple[np.ndarray, str]:
    """Times in h converted for display: days when the span exceeds 4 days; returns (values, label)."""
    time_h = np.asarray(time_h, dtype=float)
    span = float(time_h.max() - time_h.min()) if time_h.size else 0.0
    if unit is None:
        unit = "day" if span > 96 else "h"
    if unit == "day":
        return time_h / 24.0, "Time (days)"
    if unit == "min":
        return time_h * 60.0, "Time (min)"
    return time_h, "Time (h)"


def add_caption(fig: Figure, text: str, width: int = 110) -> None:
    """Put ``text`` (e.g. 'Sources: …') in small grey type below the axes, wrapped to ``width`` characters."""
    if not text:
        return
    wrapped = "\n".join(textwrap.wrap(text, width=width))
    # supxlabel is laid out by the constrained engine, so the caption never overlaps the axes
    fig.supxlabel(wrapped, fontsize=9, color="#444444", ha="center")


def finish(fig: Figure, title: str | None = None) -> Figure:
    """Set the figure title (if any) and return the figure."""
    if title:
        fig.suptitle(title, fontsize=15)
    return fig


def legend_outside(ax, handles: Sequence[Any] | None = None, labels: Sequence[str] | None = None, **kw: Any) -> Any:
    """A legend placed to the right of the axes, so it never covers data."""
    if handles is None:
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)
