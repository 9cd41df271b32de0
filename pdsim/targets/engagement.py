"""Target engagement in vivo: occupancy from human PET/SPECT data on the plasma (or effect-site) concentration.

Where a drug file gives [targets.<T>.in_vivo] (EC50, Emax, optional ke0), that curve replaces the in-vitro Ki.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..units import ureg
from ._base import as_drug, concs_nM, dissociation_constant, ligands_at, value

__all__ = ["ENGAGEMENTS", "InVivo", "in_vivo", "with_ke0", "plasma_drives", "engaged_signals",
           "select_parameters"]

#: how a scenario turns concentrations into occupancy (scenario key ``engagement``)
ENGAGEMENTS = ("in_vivo", "in_vitro")
#: parameter keys of a [targets.<T>.in_vivo] table
KEYS = ("EC50", "Emax", "ke0")
#: families whose signal is a function of the summed occupancy alone (so an in-vivo occupancy can feed it)
OCCUPANCY_SIGNAL = ("transporters", "gpcr", "")


@dataclass(frozen=True)
class InVivo:
    """A drug's in-vivo engagement of one target: EC50 (nM, total plasma), Emax (fraction), ke0 (1/h or None)."""

    ec50_nM: float
    emax: float
    ke0: float | None


@functools.lru_cache(maxsize=64)
def _is_molar(unit: str) -> bool:
    """Whether ``unit`` is a molar concentration (asked once per unit string: trying the conversion and
    catching the error, as before, cost a raised UnitError per chunk of subjects)."""
    return ureg.parse_units(unit).is_compatible_with(ureg.parse_units("nM"))


def in_vivo(drug: Any, target: str) -> InVivo | None:
    """The drug's [targets.<target>.in_vivo] curve, or None when the file gives none.

    EC50 may be a mass concentration (ng/mL, converted with the drug's molar mass) or molar.
    """
    d = as_drug(drug)
    b = d.targets.get(target)
    if b is None or "in_vivo.EC50" not in b.params:
        return None
    p = b.params
    if "in_vivo.Emax" not in p:
        raise InputError(f"{d.path}: [targets.{target}.in_vivo] gives EC50 but no Emax; add Emax = {{ value = ..., "
                         f"unit = \"1\", sources = [...], kind = ..., note = ... }} (the PET plateau).")
    ec = p["in_vivo.EC50"]
    if _is_molar(ec.unit):
        ec50 = value(ec, "nM")
    else:  # a mass concentration (the catalogue allows only nM-like or ng/mL-like units)
        ec50 = value(ec, "ng/mL") * 1e3 / value(d.molar_mass, "g/mol")
    emax = value(p["in_vivo.Emax"], "dimensionless")
    if not (ec50 > 0 and 0 < emax <= 1):
        raise InputError(f"{d.path}: targets.{target}.in_vivo needs EC50 > 0 and 0 < Emax <= 1 "
                         f"(got EC50 {ec50:g} nM, Emax {emax:g}).")
    ke0 = value(p["in_vivo.ke0"], "1/h") if "in_vivo.ke0" in p else None
    return InVivo(ec50_nM=ec50, emax=emax, ke0=ke0)


def with_ke0(model: Any, ke0: float) -> Any:
    """The same linear PK model with effect-site rate ``ke0`` (a metabolite keeps its parent)."""
    from ..pk import Metabolite

    if isinstance(model, Metabolite):
        return Metabolite(model.parent, with_ke0(model.model, ke0), model.fm, model.mass_ratio)
    return type(model)(**{**model.kwargs(), "ke0": ke0})


def plasma_drives(name: str, dr: Any, sources: Any, times: np.ndarray, shape: tuple[int, int],
                  to_nm: float, engagement: str, notes: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    r"""The concentration each in-vivo target sees from one compound: ``{target: {name: C (nM)}}``.

    Total plasma :math:`C_p`, or, where the in-vivo table gives ke0 (brain equilibration seen as
    hysteresis between plasma and PET occupancy), the effect-site concentration
    :math:`dC_e/dt = k_{e0}(C_p - C_e)` of the total. Empty with ``engagement = "in_vitro"``.
    With ``engagement = "in_vivo"``, each target the drug binds without a PET curve is named in
    ``notes`` (the in-vitro constant on the unbound concentration is then an assumption).
    ``sources`` are the compound's (PK model, events) pairs — its own doses and its formation from
    each dosed parent; linear PK superposes, so their concentrations add.
    """
    if engagement not in ENGAGEMENTS:
        raise InputError(f"`engagement` must be one of {', '.join(ENGAGEMENTS)} (got {engagement!r}).")
    out: dict[str, dict[str, np.ndarray]] = {}
    if engagement != "in_vivo":
        return out
    without = [t for t in dr.targets if in_vivo(dr, t) is None]
    if without and notes is not None:
        notes.append(f"{name}: no human PET/SPECT curve at {', '.join(without)}; occupancy there from the in-vitro "
                     f"constant on the unbound concentration (unbound brain = unbound plasma unless kp_uu is "
                     f"given), an assumption.")
    for t in dr.targets:
        iv = in_vivo(dr, t)
        if iv is None:
            continue
        c = np.zeros(shape)
        for model, events in sources:
            if not events:
                continue
            m = model if iv.ke0 is None else with_ke0(model, iv.ke0)
            raw = np.asarray(m.conc(times, events) if iv.ke0 is None else m.effect(times, events), dtype=float)
            c = c + (raw if raw.ndim == 2 else raw[np.newaxis, :]) * to_nm
        out.setdefault(t, {})[name] = c
    return out


def engaged_signals(free: Mapping[str, Any], total: Mapping[str, Any], target: str, family: str,
                    **options: Any) -> dict[str, Any]:
    r"""Occupancy and signal at ``target`` when some ligands are engaged in vivo.

    Every ligand j contributes a normalised concentration :math:`x_j`: :math:`C_{p,j}/EC_{50,j}`
    (total plasma or effect site, in-vivo curve) or :math:`C_{u,j}/K_j` (free, in-vitro K, for a
    ligand without PET data). They compete for one site (gaddum) and each reaches at most its
    PET plateau :math:`E_{max,j}` (1 for in-vitro ligands):

    .. math:: \theta_j = E_{max,j}\,\frac{x_j}{1 + \sum_k x_k}

    For a single drug this is the PET model :math:`\theta = E_{max} C/(EC_{50} + C)` (meyer2004).
    ``signal.<target>`` is the family's read-out of the summed occupancy θ: the extracellular
    amine index :math:`1/(1-\theta)` for transporters (`monoamine_index` at g = 1), θ itself for
    antagonists and occupancy-only targets.

    Parameters
    ----------
    free : dict
        Free (unbound) concentration in nM of every drug present.
    total : dict
        Total plasma (or in-vivo effect-site) concentration in nM of the drugs with in-vivo data.
    target : str
    family : str
        The target's family ("transporters", "gpcr" or "" for occupancy-only).
    """
    if family not in OCCUPANCY_SIGNAL:
        raise InputError(f"in-vivo engagement at '{target}' ({family} family) is not defined: its signal is not a "
                         f"function of occupancy alone; use engagement = \"in_vitro\" for this scenario.")
    if options.get("uptake_enhancer"):
        raise InputError(f"the uptake-enhancer option at '{target}' needs engagement = \"in_vitro\".")
    c = concs_nM(free)
    stray = sorted(set(total) - set(c))
    if stray:
        raise InputError(f"in-vivo concentration given for '{stray[0]}' at '{target}' but no free concentration; give "
                         f"every drug present in `concs` too.")
    x: dict[str, Any] = {}
    emax: dict[str, float] = {}
    for d in ligands_at(target, c):
        iv = in_vivo(d, target) if d in total else None
        if iv is None:
            x[d] = np.asarray(c[d], dtype=float) / dissociation_constant(d, target)
            emax[d] = 1.0
        else:
            x[d] = np.asarray(total[d], dtype=float) / iv.ec50_nM
            emax[d] = iv.emax
    # zeros of the concentrations' broadcast shape (a float for scalars), without arithmetic passes over them
    shape = np.broadcast_shapes(*[np.shape(v) for v in c.values()])
    zero = np.zeros(shape) if shape else 0.0
    denom = 1.0 + sum(x.values(), zero)
    out: dict[str, Any] = {}
    theta = zero
    for d in x:
        occ = emax[d] * x[d] / denom
        out[f"occupancy.{target}.{d}"] = occ
        theta = theta + occ
    out[f"occupancy.{target}"] = theta
    if family == "transporters":
        from .transporters import monoamine_index

        out[f"signal.{target}"] = monoamine_index(theta)
    else:
        out[f"signal.{target}"] = theta
    return out


def select_parameters(params: dict[str, Any], engagement: str) -> dict[str, Any]:
    """The parameters a run used: with ``in_vivo`` a target's in-vitro affinity is dropped where its
    in-vivo curve replaced it; with ``in_vitro`` the in-vivo curves are dropped."""
    out = dict(params)
    for key in list(out):
        parts = key.split(".")
        # "<drug>.targets.<T>.in_vivo.<P>"
        if len(parts) == 5 and parts[1] == "targets" and parts[3] == "in_vivo":
            if engagement == "in_vitro":
                del out[key]
            else:
                out.pop(f"{parts[0]}.targets.{parts[2]}.affinity", None)
    return out
