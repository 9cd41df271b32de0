"""The house style of pdsim figures (Okabe–Ito colours, projector-size fonts, unit-bearing labels)
and the helpers the plotting functions share; nothing here writes to the global rcParams.
"""
from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .errors import InputError, UnknownNameError, suggest
from .provenance import Parameter
from .units import as_float, mass_to_molar

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
    "linestyle",
    "legend_outside",
    # helpers shared by pdsim.plot
    "SITE_LABEL", "OCCUPANCY_GUIDES", "pretty", "drug_label", "is_metabolite", "target_label", "TARGET_SHORT", "short_target", "conc_unit", "display", "central", "arms_of",
    "variable", "params_for", "source_caption", "short_citation", "caption_text", "drug_params", "therapeutic_band", "single_axes", "grid",
    "figure_legend", "wrap", "window", "window_stat", "running_mean", "drugs_at", "agonist_constants",
    "antagonist_kb", "wide_panel", "mask_unbound",
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
    """A unit string as printed on an axis: '' and '1' become 'dimensionless', a leading 'u' becomes 'µ'."""
    if unit is None or str(unit).strip() in ("", "1", "dimensionless"):
        return "dimensionless"
    u = str(unit).strip()
    return "µ" + u[1:] if u[:1] == "u" and u[1:2] in ("M", "g", "m", "L", "s") else u


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


def legend_outside(ax, handles: Sequence[Any] | None = None, labels: Sequence[str] | None = None, **kw: Any) -> Any:
    """A legend placed to the right of the axes, so it never covers data."""
    if handles is None:
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


# --- helpers shared by pdsim.plot ----------------------------------------------------------

#: sourced occupancy ranges drawn on occupancy panels: target -> (low, high, what, source id). Meyer et al.
#: (2004, [11C]DASB PET): mean striatal SERT occupancy 76-85 % for five SSRIs at their minimum therapeutic
#: doses (seeds/references.toml, meyer2004; tests/test_plot.py checks the record states this range)
OCCUPANCY_GUIDES = {"SERT": (0.76, 0.85, "SSRIs at minimum therapeutic dose, PET", "meyer2004")}

#: result variable prefixes that hold concentrations (``effect.`` is a downstream state, not a site)
SITE_LABEL = {"plasma": "Total plasma concentration", "free": "Free plasma concentration",
              "brain": "Free brain concentration"}


#: how abbreviations in variable names are printed (everything else is lower case, first letter raised)
ABBREVIATIONS = {"crh": "CRH", "acth": "ACTH", "bdnf": "BDNF", "ca3": "CA3", "ca1": "CA1", "bla": "BLA",
                 "ltp": "LTP", "mor": "MOR", "dor": "DOR", "sert": "SERT", "net": "NET", "hpa": "HPA",
                 "5ht": "5-HT", "psd95": "PSD-95", "glur1": "GluR1", "pcreb": "pCREB", "nmda": "NMDA",
                 "ampa": "AMPA", "gr": "GR", "mtor": "mTOR", "akt": "Akt", "erk": "ERK"}


#: names whose word-by-word reading would mislead ('net' is not the noradrenaline transporter here)
DISPLAY_NAMES = {"mor_net_effect": "MOR net effect (after tolerance)",
                 "mao_a_inhibition": "MAO-A inhibition", "mao_b_inhibition": "MAO-B inhibition",
                 "mao_a_activity": "MAO-A activity", "mao_b_activity": "MAO-B activity",
                 "mao_a_enzyme": "Active MAO-A enzyme", "mao_b_enzyme": "Active MAO-B enzyme"}

#: downstream states that are fractions of an enzyme's activity: drawn in %, as PET papers report them
PERCENT_EFFECTS = {"mao_a_inhibition", "mao_b_inhibition", "mao_a_activity", "mao_b_activity",
                   "mao_a_enzyme", "mao_b_enzyme"}


def pretty(name: str) -> str:
    """'anticholinergic_burden' → 'Anticholinergic burden'; 'bdnf_hippocampus' → 'BDNF hippocampus'."""
    if name in DISPLAY_NAMES:
        return DISPLAY_NAMES[name]
    tokens = name.replace(".", " ").replace("_", " ").split()
    if not tokens:
        return name
    words = [ABBREVIATIONS.get(w.lower(), w.lower()) for w in tokens]
    if words[0] == "p" and len(words) > 1:  # phospho- prefix: p_akt → pAkt
        return " ".join(["p" + words[1]] + words[2:])
    if tokens[0].lower() not in ABBREVIATIONS:
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def drug_label(name: str) -> str:
    """A drug's display name ('Tianeptine'), or its name made readable if it is not in the catalogue."""
    try:
        from .catalog import drug

        return drug(name).display_name
    except Exception:  # an inline drug or an arm label is shown as written
        return name


def is_metabolite(name: str) -> bool:
    """True for a catalogue drug that names a parent (e.g. nortriptyline, MC5)."""
    try:
        from .catalog import drug

        return bool(drug(name).parent)
    except Exception:  # not in the catalogue: treated as dosed
        return False


#: how a figure writes a target whose file name is an identifier (alpha1, MAO_A)
TARGET_SHORT = {"alpha1": "α1", "MAO_A": "MAO-A", "MAO_B": "MAO-B"}


def short_target(name: str) -> str:
    """A target's name as a figure writes it: 'α1', 'MAO-A'; other names unchanged."""
    return TARGET_SHORT.get(name, name)


def target_label(name: str) -> str:
    """'H1 (histamine H1 receptor)' from the target file, or the bare name; 'alpha1' and 'MAO_A'
    are written α1 and MAO-A, and a display name's own brackets go (a closing aside after a comma,
    'mAChR (muscarinic acetylcholine receptor, pooled M1-M5)'; a synonym after a slash,
    'NET (noradrenaline/norepinephrine transporter)'), so brackets do not nest."""
    short = short_target(name)
    try:
        from .catalog import target

        mf = target(name)
    except Exception:  # a target without a model file is shown by its name
        return short
    text = mf.display_name or ""
    if not text or text == name:
        return short
    text = re.sub(r"\s*\(([^()]*)\)$", r", \1", text)  # a closing aside: after a comma
    text = re.sub(r" \(([^()]*)\) ", r"/\1 ", text).replace("alpha1", "α1")  # an inner synonym: after a slash
    return f"{short} ({text})"


def conc_unit(max_nM: float, unit: str | None, molar_mass: Any = None) -> tuple[float, str]:
    """Scale factor from nM and the display unit: µM above 10 µM unless ``unit`` is given.

    A mass concentration (e.g. 'ng/mL') needs the drug's ``molar_mass`` (g/mol).
    """
    if unit is not None:
        from .units import concentration_scale

        return concentration_scale(unit, molar_mass, name="unit"), unit_text(unit)
    return (1e-3, "µM") if max_nM > 1e4 else (1.0, "nM")


def display(name: str, unit: str) -> tuple[float, str, str]:
    """How to draw a result variable: (scale, quantity text, unit text)."""
    head, _, rest = name.partition(".")
    if head == "occupancy":
        scale = 100.0 if unit_text(unit) == "dimensionless" else 1.0
        return scale, f"{rest.split('.')[0]} occupancy", "%" if scale == 100.0 else unit_text(unit)
    if head in SITE_LABEL:
        return 1.0, SITE_LABEL[head], unit_text(unit)
    if head == "signal":
        return 1.0, f"{rest} signal", unit_text(unit)
    if head == "effect":
        if rest in PERCENT_EFFECTS and unit_text(unit) == "dimensionless":
            return 100.0, pretty(rest), "%"
        return 1.0, pretty(rest), unit_text(unit)
    return 1.0, pretty(name), unit_text(unit)


def central(arr: np.ndarray) -> np.ndarray:
    """One curve from (subjects, time): the subject itself, or the median of a population."""
    arr = np.asarray(arr, dtype=float)
    return arr[0] if arr.shape[0] == 1 else np.median(arr, axis=0)


def arms_of(result, arms: Sequence[str] | None) -> list[tuple[int, str]]:
    """(index, label) of the arms asked for (all by default); an unknown label fails with a suggestion."""
    if arms is None:
        return list(enumerate(result.arms))
    out = []
    for a in arms:
        if a not in result.arms:
            raise UnknownNameError(f"Unknown arm '{a}'.{suggest(a, result.arms)}")
        out.append((result.arms.index(a), a))
    return out


def variable(result, name: str, prefix: str | None = None) -> str:
    """Accept 'x' or 'prefix.x'; fail with a suggestion if the result lacks it."""
    if name in result.data:
        return name
    if prefix and f"{prefix}.{name}" in result.data:
        return f"{prefix}.{name}"
    raise UnknownNameError(f"Result has no variable '{name}'.{suggest(name, result.data)} See result.variables.")


def params_for(params: Mapping[str, Parameter], tokens: Sequence[str]) -> dict[str, Parameter]:
    """The parameters whose dotted name mentions one of ``tokens`` (all of them if none does); a token
    with underscores also matches by its first word (``mao_a_inhibition``: the ``mao`` system's and the
    ``MAO_A`` target's parameters)."""
    toks = {t.lower() for t in tokens} | {t.lower().split("_")[0] for t in tokens if "_" in t}
    toks |= {"_".join(t.lower().split("_")[:2]) for t in tokens if t.count("_") >= 2}
    keep = {k: p for k, p in params.items() if toks & {part.lower() for part in k.split(".")}}
    return keep or dict(params)


def short_citation(reg: Any, source_id: str) -> str:
    """A figure-sized citation of a source id: 'Gassaway et al. 2014', 'Servier n.d.', 'J Addict Dis 2023'.

    A reference with personal authors reads 'Surname [et al.] year'; one without them is named by its
    organisation (a label's manufacturer, a vendor, Wikipedia) or, when the authors were not shown, by
    its journal. A claim is cited by the references behind it, or, with none, by its seed document
    and line ('seed doc 2, l. 40'). Full entries: the HTML report's reference list, `pdsim sources`.
    """
    if source_id == "assumption":
        return "pdsim assumption"
    if source_id in reg.references:
        ref = reg.references[source_id]
        unseen = (ref.authors or "").lower().startswith(("not shown", "not known"))
        if unseen and getattr(ref, "pmid", None):
            return f"PMID {ref.pmid}" + (f" ({ref.year})" if ref.year else "")  # authors not seen: never guessed
        if unseen:  # no PMID either: named by its journal or title
            year = str(ref.year) if ref.year else "n.d."
            journal = re.split(r"\s\d", getattr(ref, "journal", None) or "")[0].strip()
            journal = "" if journal.startswith("[") else journal  # a note in brackets, not a journal name
            return f"{journal} {year}" if journal else f"'{(ref.title or ref.id)[:40].rstrip()}…' {year}"
        short = ref.short()
        organisation = any(k in (ref.authors or "").lower() for k in ("no individual authors", "no listed authors"))
        if not short.startswith(f"{ref.id} (") and not organisation:
            return short
        year = str(ref.year) if ref.year else "n.d."
        return f"{_organisation(ref)} {year}"
    if source_id in reg.claims:
        c = reg.claims[source_id]
        refs = [short_citation(reg, r) for r in c.references if r in reg.references]
        if refs:
            return "; ".join(dict.fromkeys(refs))
        doc = c.seed.split("_", 1)[0]
        number = int(doc) + 1 if doc.isdigit() else doc
        return f"seed doc {number}, l. {c.lines[0]}"
    return source_id


def _organisation(ref: Any) -> str:
    """Who stands behind a reference without personal authors, in a few words."""
    authors = (ref.authors or "").strip()
    named = authors.split(";")[0].split("(")[0].strip().rstrip(",")
    if named and not named.lower().startswith("authors") and "not shown" in authors.lower():
        # some names were shown: 'Maxwell, Garcia Creighton, Shirazi (...); authors not shown in full'
        if "," in named:
            return named.split(",")[0].split()[-1] + " et al."
        return named if len(named) <= 40 else " ".join(named.split()[:4]) + "…"
    if not authors or "not shown" in authors.lower():
        journal = (ref.journal or "").strip()
        # 'Pharmacology 48(5):293-300' -> 'Pharmacology'; 'J Addict Dis' stays
        name = journal.split(",")[0].split(":")[0].rstrip(" 0123456789()-").strip()
        if name and len(name) <= 40 and "(" not in name:
            return name
        words = ref.title.strip("[]").split()
        return " ".join(words[:4]) + ("…" if len(words) > 4 else "")
    name = authors.split(";")[0].split("(")[0].strip().rstrip(",")
    for suffix in (" contributors", " developers"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name if len(name) <= 40 else " ".join(name.split()[:4]) + "…"


def caption_text(params: Mapping[str, Parameter] | Sequence[Parameter], max_items: int = 8) -> str:
    """'Sources: Gassaway et al. 2014; Royer et al. 1988; …' naming the distinct references behind ``params``."""
    from .catalog import registry

    reg = registry()
    plist = list(params.values()) if isinstance(params, Mapping) else list(params)
    seen: list[str] = []
    for p in plist:
        for sid in p.sources:
            for c in short_citation(reg, sid).split("; "):
                if c not in seen:
                    seen.append(c)
    more = len(seen) - max_items
    text = "; ".join(seen[:max_items]) + (f"; and {more} more (full list: pdsim sources)" if more > 0 else "")
    return f"Sources: {text.rstrip('.')}." if text else ""


def source_caption(fig: Figure, params: Mapping[str, Parameter] | Sequence[Parameter], extra: str = "") -> None:
    """Caption ``fig`` with 'Sources: …' (short 'Author year' citations, `caption_text`) for ``params``,
    after ``extra`` text."""
    text = caption_text(params) if params else ""
    add_caption(fig, " ".join(t for t in (extra, text) if t))


def drug_params(names: Sequence[str], keys: Sequence[str] | None = None) -> dict[str, Parameter]:
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


def therapeutic_band(ax, drug_name: str, scale: float) -> bool:
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
    ax.axhspan(bounds[0], bounds[1], color=OKABE_ITO["bluish_green"], alpha=0.15, lw=0,
               label=f"{dr.display_name} therapeutic range")
    return True


def single_axes(ax, **kw) -> tuple[Figure, Any]:
    """The given axes and its figure, or a new one-panel figure."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(**kw)
    return fig, axes[0, 0]


#: the narrowest a panel is drawn beside a figure legend (inches, axis labels included)
MIN_PANEL_WIDTH_IN = 4.0


def grid(n: int, max_cols: int = 3) -> tuple[Figure, list]:
    """A figure with ``n`` panels, at most ``max_cols`` to a row, rows filled evenly (9 panels: 3 x 3,
    not 4 + 4 + 1); spare cells hidden."""
    nrows = int(np.ceil(n / max(1, min(n, max_cols))))
    ncols = int(np.ceil(n / nrows))
    fig, axes = new_figure(ncols=ncols, nrows=nrows)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def figure_legend(fig: Figure, axes: Sequence[Any], title: str | None = None) -> None:
    """One legend for the whole figure, outside the axes, with each label once (``title`` above it)."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if not lab.startswith("_") and lab not in seen:
                seen[lab] = h
    if seen:
        leg = fig.legend(list(seen.values()), list(seen), loc="outside right upper", title=title,
                         title_fontsize="medium", alignment="left")
        # widen the figure so each column of panels keeps its width beside the legend: with one panel
        # and long labels the layout otherwise collapses and the legend, title and caption overlap
        cols = len({round(ax.get_position().x0, 3) for ax in axes if ax.get_visible()}) or 1
        need = leg.get_window_extent().width / fig.dpi + cols * MIN_PANEL_WIDTH_IN + 0.8
        w, h = fig.get_size_inches()
        if need > w:
            fig.set_size_inches(need, h)


def wrap(text: str, width: int = 14, break_long_words: bool = True) -> str:
    """Break a tick label or title into lines of at most ``width`` characters (a longer word stays
    whole, on its own line, when not ``break_long_words``)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=break_long_words, break_on_hyphens=False)) or text


def window(time_h: np.ndarray, time_range: Sequence[float] | None) -> np.ndarray:
    """Boolean mask of the times (h) inside ``time_range`` = (start, end); all times when None."""
    t = np.asarray(time_h, dtype=float)
    if time_range is None:
        return np.ones(t.shape, dtype=bool)
    lo, hi = (float(x) for x in time_range)
    m = (t >= lo) & (t <= hi)
    if m.sum() < 2:
        raise InputError(f"`time_range` ({lo:g}, {hi:g}) h holds fewer than two output times of {t[0]:g}–{t[-1]:g} h; "
                         f"widen it, e.g. time_range=(0, 168).")
    return m


def running_mean(t: np.ndarray, y: np.ndarray, window_h: float) -> np.ndarray:
    """Trailing mean of ``y`` over the preceding ``window_h`` hours (shorter at the start), by the
    trapezoid integral, so uneven time grids are handled."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(t))])
    start = np.maximum(t - window_h, t[0])
    span = t - start
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (integral - np.interp(start, t, integral)) / span
    return np.where(span > 0, out, y)


def window_stat(result, var: str, i: int, window_h: float, stat: str) -> float:
    """Mean, max or min of arm ``i``'s central curve over the last ``window_h`` hours."""
    t = result.time_h
    mask = t >= t[-1] - window_h
    y = central(result.data[var][i])[mask]
    if stat == "mean":
        return float(np.mean(y))
    if stat == "max":
        return float(np.max(y))
    if stat == "min":
        return float(np.min(y))
    raise InputError(f"`stat` must be 'mean', 'max' or 'min' (got {stat!r}).{suggest(stat, ('mean', 'max', 'min'))}")


def drugs_at(result: Any, site: str) -> list[str]:
    """Drugs with a ``<site>.<drug>`` variable, in the order of the first arm that has each (parents
    before their metabolites)."""
    names = [v.split(".", 1)[1] for v in result.variables if v.startswith(site + ".") and v.count(".") == 1]

    def order(name: str) -> tuple[int, bool]:
        nonzero = np.flatnonzero(np.any(result.data[f"{site}.{name}"] > 0, axis=(1, 2)))
        return (int(nonzero[0]) if nonzero.size else len(result.arms), is_metabolite(name))

    return sorted(names, key=order)


def agonist_constants(agonist: Any, target: str, ka: Any, tau: Any) -> tuple[float, float, str]:
    """K_A (nM), τ and a label, from the arguments or from the drug's [targets.<target>] table."""
    if agonist is not None and (ka is None or tau is None):
        from .catalog import drug
        from .targets import agonist_tau, dissociation_constant

        dr = drug(agonist)
        ka = dissociation_constant(dr, target) if ka is None else ka
        tau = agonist_tau(dr, target) if tau is None else tau
        name = dr.display_name
    else:
        name = drug_label(agonist) if isinstance(agonist, str) else "agonist"
    if ka is None or tau is None:
        raise InputError("give an agonist with an affinity for the target, or both `ka` (nM) and `tau`; "
                         "write e.g. plot_concentration_response(ka=383, tau=1.0).")
    return as_float(ka, "nM", "ka", positive=True), as_float(tau, "dimensionless", "tau", nonnegative=True), name


def antagonist_kb(antagonist: Any, target: str, kb: Any) -> tuple[float | None, str]:
    """K_B (nM) and a label, from ``kb`` or from the antagonist's constant at ``target``; (None, "") if neither."""
    if antagonist is None and kb is None:
        return None, ""
    if kb is None:
        from .catalog import drug
        from .targets import dissociation_constant

        return dissociation_constant(drug(antagonist), target), drug_label(antagonist)
    return as_float(kb, "nM", "kb", positive=True), (drug_label(antagonist) if isinstance(antagonist, str) else "antagonist")


def wide_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Drug × target table from a wide or a tidy panel."""
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"`panel` must be a pandas DataFrame (got {type(panel).__name__}); see pdsim.panel.panel.")
    if {"drug", "target"} <= set(panel.columns):
        value = next((c for c in ("occupancy", "value", "affinity") if c in panel.columns), None)
        if value is None:
            raise InputError("a tidy `panel` needs a column 'occupancy', 'value' or 'affinity' besides drug and target.")
        return panel.pivot_table(index="drug", columns="target", values=value, aggfunc="first", sort=False)
    return panel.apply(pd.to_numeric, errors="coerce")


def mask_unbound(df: pd.DataFrame) -> pd.DataFrame:
    """NaN where a catalogue drug has no affinity for the target and the value is 0 (a 0 there would
    read as a measured zero)."""
    from .catalog import drug

    out = df.astype(float).copy()
    for name in out.index:
        try:
            bound = set(drug(str(name)).targets)
        except Exception:  # not a catalogue drug: keep the values given
            continue
        for t in out.columns:
            if str(t) not in bound and out.loc[name, t] == 0:  # a non-zero value (a metabolite's) stays
                out.loc[name, t] = np.nan
    return out
