"""The target panel: every ligand present competes at every target it has an affinity for.

`panel` tabulates drug × target occupancy at steady state; `target_signals` is the engine's algebraic layer.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import catalog, pk
from .errors import InputError, UnknownNameError, suggest
from .targets import FAMILIES, GLUTAMATE_TARGETS, signals
from .dosing import Regimen
from .targets import CheckedConcs, as_drug, conc_nM, named

__all__ = ["PANEL_TARGETS", "panel", "target_signals", "targets_of"]

#: display order of the panel's columns (targets present in no drug are dropped)
PANEL_TARGETS = ("MOR", "DOR", "KOR", "SERT", "NET", "DAT", "MAO_A", "MAO_B", "H1", "mAChR", "alpha1", "5-HT2A", "5-HT2C", "D2", "Nav", "hERG")


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


def target_signals(concs: Mapping[str, Any], targets: Iterable[str] | None = None, *,
                   in_vivo: Mapping[str, Mapping[str, Any]] | None = None, **options: Any) -> dict[str, Any]:
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
    in_vivo : dict, optional
        ``{target: {drug: C}}``: total plasma (or in-vivo effect-site) concentration in nM of the
        drugs whose [targets.<T>.in_vivo] PET curve drives that target
        (`pdsim.targets.engagement.engaged_signals`); the others at the target use their in-vitro K
        on ``concs``. The engine fills it when a scenario's ``engagement`` is "in_vivo".
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
    c = CheckedConcs({named(k): conc_nM(v, k, f"concs['{k}']") for k, v in concs.items()})
    tlist = targets_of(c) if targets is None else _check_targets(targets)
    unknown = set(options) - set(tlist)
    if unknown:
        bad = sorted(unknown)[0]
        raise InputError(f"option for target '{bad}' given but '{bad}' is not among the targets; "
                         f"give options only for {', '.join(tlist)}.")
    out: dict[str, Any] = {}
    for t in tlist:
        engaged = (in_vivo or {}).get(t)
        if engaged:  # PET-anchored occupancy (issue 13): pdsim.targets.engagement
            from .targets.engagement import engaged_signals

            total = {named(k): conc_nM(v, k, f"in_vivo['{t}']['{k}']") for k, v in engaged.items()}
            out.update(engaged_signals(c, total, t, FAMILIES.get(t, ""), **options.get(t, {})))
        else:
            out.update(signals(c, t, **options.get(t, {})))
    return out


def _regular(drug: str, regimen: Regimen) -> tuple[float, float, str]:
    """(dose mg, interval h, route) of a regular regimen: equal doses, one route, constant interval."""
    evs = [e for e in regimen.events if e.drug is None or as_drug(e.drug).name == drug]
    amounts = {e.amount for e in evs}
    routes = {e.route for e in evs}
    gaps = np.diff([e.time for e in evs])
    if len(evs) < 2 or len(amounts) != 1 or len(routes) != 1 or not np.allclose(gaps, gaps[0]):
        raise InputError(f"the regimen for '{drug}' must be regular (at least two equal doses by one route at a constant "
                         f"interval) to have a steady state; use Regimen.repeated(dose=..., every=...).")
    return amounts.pop(), float(gaps[0]), routes.pop()


def _steady_state_nM(drug: str, regimen: Regimen, site: str, species: str) -> dict[str, float]:
    """C_avg at steady state (nM) at ``site`` of the drug and of each metabolite it forms (pk.steady_state)."""
    dose, every, route = _regular(drug, regimen)
    out = {drug: float(pk.steady_state(drug, dose, every, route, site=site, species=species).cavg.to("nM").magnitude)}
    for met in as_drug(drug).pk(species).metabolites:
        m = as_drug(met).name
        out[m] = float(pk.steady_state(drug, dose, every, route, site=site, species=species,
                                       metabolite=m).cavg.to("nM").magnitude)
    return out


def panel(drugs_and_concs: Mapping[str, Any], targets: Iterable[str] | None = None, *, site: str = "free",
          species: str = "human"):
    r"""Drug × target occupancy table at steady state, all drugs competing at each target.

    Parameters
    ----------
    drugs_and_concs : dict
        Drug name → either a concentration (quantity such as ``"40 nM"`` or ``"12 ng/mL"``, or a
        float in nM) taken as the free concentration at the targets, or a regular `pdsim.Regimen`
        (equal doses at a constant interval), whose average steady-state concentration at ``site``
        (`pdsim.pk.steady_state`, :math:`C_{avg} = F D/(CL\,\tau)` scaled to the site) is used;
        the metabolites the drug forms (e.g. nortriptyline from amitriptyline) join the table; a
        metabolite that is also dosed, or formed by two dosed parents, gets the sum of its sources
        (a metabolite given as a concentration keeps that value: it is taken as the whole).
    targets : iterable of str, optional
        Columns; default every target any of the drugs binds.
    site : {"free", "brain", "plasma"}
        For regimens: where the concentration is taken. "free" (unbound plasma, the default)
        equals unbound brain when K_p,uu = 1 (passive diffusion); "brain" needs the drug's kp_uu;
        "plasma" is total and overstates occupancy for bound drugs.
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
    formed: dict[str, float] = {}
    given: set[str] = set()  # drugs whose concentration the caller gave: taken as the whole
    for key, val in drugs_and_concs.items():
        d = as_drug(key)
        if isinstance(val, Regimen):
            ss = _steady_state_nM(d.name, val, site, species)
            concs[d.name] = ss.pop(d.name)
            for m, c in ss.items():
                formed[m] = formed.get(m, 0.0) + c
        else:
            given.add(d.name)
            x = conc_nM(val, d, f"drugs_and_concs['{key}']")
            if np.ndim(x):
                raise InputError(f"`drugs_and_concs['{key}']` must be one concentration for the table (got an array); "
                                 f"use target_signals for arrays.")
            concs[d.name] = float(x)
    for m, c in formed.items():
        if m not in given:  # a metabolite also dosed: the sources add (linear PK superposes)
            concs[m] = concs.get(m, 0.0) + c
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
