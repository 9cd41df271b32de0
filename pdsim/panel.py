"""The target panel: every ligand present competes at every target it has an affinity for.

`panel` tabulates drug × target occupancy at steady state; `target_signals` is the engine's algebraic layer.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import catalog
from .errors import InputError, UnknownNameError, suggest
from .targets import FAMILIES, GLUTAMATE_TARGETS, signals
from .targets._base import as_drug, conc_nM

__all__ = ["PANEL_TARGETS", "panel", "target_signals", "targets_of"]

#: display order of the panel's columns (targets present in no drug are dropped)
PANEL_TARGETS = ("MOR", "DOR", "KOR", "SERT", "NET", "DAT", "H1", "mAChR", "alpha1", "Nav", "hERG")


def targets_of(drugs: Iterable[str]) -> list[str]:
    """Targets at which any of ``drugs`` has an affinity, in `PANEL_TARGETS` order (others after, sorted)."""
    found = set()
    for d in drugs:
        found.update(as_drug(d).targets)
    found -= set(GLUTAMATE_TARGETS)
    return [t for t in PANEL_TARGETS if t in found] + sorted(found - set(PANEL_TARGETS))


def _check_targets(targets: Iterable[str]) -> list[str]:
    known = set(FAMILIES) | set(catalog.targets())
    out = []
    for t in targets:
        if t not in known:
            raise UnknownNameError(f"Unknown target '{t}'.{suggest(t, known)} See `pdsim list targets`.")
        out.append(t)
    return out


def target_signals(concs: Mapping[str, Any], targets: Iterable[str] | None = None, **options: Any) -> dict[str, Any]:
    r"""Occupancy and signal of every target from free concentrations (the engine's algebraic layer).

    Pure and vectorised: each concentration is an array (any shape, e.g. time × subjects) or a
    float in nM, and every output has their broadcast shape. At each target all drugs with an
    affinity compete (gaddum; lazareno1993):

    .. math:: \theta_{i} = \frac{C_i/K_i}{1 + \sum_j C_j/K_j}

    and ``signal.<t>`` is the family's read-out: MOR/DOR operational response, SERT/NET
    extracellular amine index, H1/mAChR/α1 side-effect index, Nav tonic block at the resting
    potential (see `pdsim.targets`).

    Parameters
    ----------
    concs : dict of str to array
        Free (biophase/brain) concentration of each drug in nM. Quantities are converted; a mass
        concentration uses the drug's molar mass.
    targets : iterable of str, optional
        Targets to report; default every target any drug in ``concs`` binds.
    **options
        Per-family options keyed by target, e.g. ``MOR={"receptor_available": R}``,
        ``SERT={"uptake_enhancer": True}``.

    Returns
    -------
    dict of str to ndarray
        ``occupancy.<t>``, ``occupancy.<t>.<drug>`` (drugs with an affinity only), ``signal.<t>``.
    """
    if not isinstance(concs, Mapping):
        raise InputError(f"`concs` must be a dict keyed by drug name (got {type(concs).__name__}); "
                         f"e.g. {{'tianeptine': np.array([...])}} in nM.")
    c = {as_drug(k).name: conc_nM(v, k, f"concs['{k}']") for k, v in concs.items()}
    tlist = targets_of(c) if targets is None else _check_targets(targets)
    unknown = set(options) - set(tlist)
    if unknown:
        bad = sorted(unknown)[0]
        raise InputError(f"option for target '{bad}' given but '{bad}' is not among the targets; "
                         f"give options only for {', '.join(tlist)}.")
    out: dict[str, Any] = {}
    for t in tlist:
        out.update(signals(c, t, **options.get(t, {})))
    return out


def _steady_state_nM(drug: str, regimen: Any, site: str, species: str) -> float:
    """Average steady-state concentration (nM) at ``site`` under a repeated regimen (pk.steady_state)."""
    from . import pk

    ss = pk.steady_state(drug, regimen, site=site, species=species)
    cavg = ss["cavg"] if isinstance(ss, Mapping) else getattr(ss, "cavg")
    return float(conc_nM(cavg, drug, "cavg"))


def panel(drugs_and_concs: Mapping[str, Any], targets: Iterable[str] | None = None, *, site: str = "brain",
          species: str = "human"):
    r"""Drug × target occupancy table at steady state, all drugs competing at each target.

    Parameters
    ----------
    drugs_and_concs : dict
        Drug name → either a concentration (quantity such as ``"40 nM"`` or ``"12 ng/mL"``, or a
        float in nM) taken as the free concentration at the targets, or a `pdsim.Regimen`, whose
        average steady-state concentration at ``site`` (`pdsim.pk.steady_state`, C_avg) is used.
    targets : iterable of str, optional
        Columns; default every target any of the drugs binds.
    site : {"brain", "free", "plasma"}
        For regimens: where the concentration is taken ("brain" = unbound brain, the default;
        "plasma" is total and overstates occupancy for bound drugs).
    species : str
        For regimens: whose PK.

    Returns
    -------
    pandas.DataFrame
        Index: drugs; columns: targets; values: each drug's occupancy (0 where it has no
        affinity). ``df.attrs["concentration_nM"]`` holds the concentrations used,
        ``df.attrs["total"]`` the summed occupancy per target and ``df.attrs["signal"]`` the
        target signals (see `target_signals`).

    Examples
    --------
    >>> panel({"amitriptyline": "30 nM", "nortriptyline": "25 nM"})  # doctest: +SKIP
    """
    import pandas as pd

    if not isinstance(drugs_and_concs, Mapping) or not drugs_and_concs:
        raise InputError("`drugs_and_concs` must be a non-empty dict of drug name to concentration or Regimen; "
                         "e.g. {'amitriptyline': '30 nM'}.")
    concs: dict[str, float] = {}
    for key, val in drugs_and_concs.items():
        d = as_drug(key)
        if hasattr(val, "doses") or type(val).__name__ == "Regimen":
            concs[d.name] = _steady_state_nM(d.name, val, site, species)
        else:
            x = conc_nM(val, d, f"drugs_and_concs['{key}']")
            if np.ndim(x):
                raise InputError(f"`drugs_and_concs['{key}']` must be one concentration for the table (got an array); "
                                 f"use target_signals for arrays.")
            concs[d.name] = float(x)
    tlist = targets_of(concs) if targets is None else _check_targets(targets)
    sig = target_signals(concs, tlist)
    rows = {d: [float(sig.get(f"occupancy.{t}.{d}", 0.0)) for t in tlist] for d in concs}
    df = pd.DataFrame.from_dict(rows, orient="index", columns=tlist)
    df.index.name = "drug"
    df.columns.name = "target"
    df.attrs["concentration_nM"] = dict(concs)
    df.attrs["site"] = site
    df.attrs["total"] = {t: float(sig[f"occupancy.{t}"]) for t in tlist}
    df.attrs["signal"] = {t: float(sig[f"signal.{t}"]) for t in tlist}
    return df
