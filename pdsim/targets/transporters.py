"""Monoamine transporters (SERT, NET): inhibitor occupancy and a steady-state extracellular amine index.

Michaelis–Menten uptake with competitive inhibition; tianeptine's historical "uptake enhancer" is optional.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError, UnknownNameError
from ..receptors import gaddum
from ._base import concs_nM, dissociation_constant, ligands_at, target_param

__all__ = [
    "TRANSPORTER_TARGETS",
    "ENHANCER_DRUG",
    "transporter_signals",
    "monoamine_index",
    "uptake_rate",
    "enhancer_vmax_gain",
]

TRANSPORTER_TARGETS = ("SERT", "NET")

#: the drug of the historical "selective serotonin reuptake enhancer" claim (mennini1987; seed 000)
ENHANCER_DRUG = "tianeptine"


def _check_target(target: str) -> None:
    if target not in TRANSPORTER_TARGETS:
        raise UnknownNameError(f"`target` must be one of {', '.join(TRANSPORTER_TARGETS)} (got {target!r}).")


def uptake_rate(amine: Any, vmax: Any, km: Any, occupancy: Any = 0.0) -> Any:
    r"""Michaelis–Menten uptake with competitive inhibition (fact sheet F8).

    .. math:: v = \frac{V_{max} S}{K_m (1 + \sum_j I_j/K_j) + S}
                = \frac{V_{max} S}{K_m/(1 - \theta) + S}

    since for competitive inhibitors :math:`1 + \sum_j I_j/K_j = 1/(1 - \theta)` with θ their
    summed occupancy of the transporter.

    Parameters
    ----------
    amine : float or array
        Extracellular amine S (nM).
    vmax : float or array
        Maximal uptake rate (nM/h, any consistent rate unit).
    km : float or array
        Michaelis constant (nM).
    occupancy : float or array
        Summed inhibitor occupancy θ in [0, 1).
    """
    th = np.asarray(occupancy, dtype=float)
    if np.any(th >= 1.0) or np.any(th < 0.0):
        raise InputError(f"`occupancy` must lie in [0, 1) (got {occupancy!r}); complete block leaves uptake undefined.")
    return vmax * amine / (km / (1.0 - th) + amine)


def monoamine_index(occupancy: Any, vmax_gain: Any = 1.0, release_to_vmax: Any = None) -> Any:
    r"""Steady-state extracellular amine relative to baseline, from transporter occupancy.

    Derivation. Release R (constant) is balanced by uptake (fact sheet F8):

    .. math::

        \frac{dS}{dt} = R - \frac{g V_{max} S}{K_m' + S} = 0, \qquad K_m' = \frac{K_m}{1 - \theta}

    (θ: summed competitive-inhibitor occupancy; g: a multiplier of V_max, 1 without an enhancer).
    Solving for S:

    .. math:: S^* = \frac{R K_m'}{g V_{max} - R} = \frac{\rho K_m'}{g - \rho},
              \qquad \rho = R / V_{max} < g.

    The baseline (θ = 0, g = 1) is :math:`S_0 = \rho K_m/(1 - \rho)`, so the index is

    .. math:: \frac{S^*}{S_0} = \frac{1}{1 - \theta}\cdot\frac{1 - \rho}{g - \rho}.

    With g = 1 this is exactly :math:`1/(1 - \theta) = 1 + \sum_j I_j/K_j` — not only for
    :math:`S \ll K_m`: a competitive inhibitor scales K_m and, at fixed release, the steady state
    scales with it, whatever the saturation. K_m and ρ matter only when V_max changes (g ≠ 1),
    and a steady state exists only while release is below the uptake capacity (ρ < g). The
    index says nothing about autoreceptor feedback on release, which adapts over weeks.

    Parameters
    ----------
    occupancy : float or array
        Summed inhibitor occupancy θ of the transporter, in [0, 1).
    vmax_gain : float or array
        g, the factor on V_max (1 = none; > 1 for an uptake enhancer).
    release_to_vmax : float or array, optional
        ρ, basal release as a fraction of V_max; required when ``vmax_gain`` is not 1.

    Returns
    -------
    float or ndarray
        S*/S0 (1 at baseline; > 1 with inhibition; < 1 with enhancement alone).
    """
    th = np.asarray(occupancy, dtype=float)
    if np.any(th >= 1.0) or np.any(th < 0.0):
        raise InputError(f"`occupancy` must lie in [0, 1) (got {occupancy!r}); complete block has no steady state.")
    return _index(1.0 / (1.0 - th), vmax_gain, release_to_vmax)


def _index(base: Any, vmax_gain: Any, release_to_vmax: Any) -> Any:
    """(1 + Σ I/K) · (1 − ρ)/(g − ρ); ``base`` is 1 + Σ I/K = 1/(1 − θ)."""
    g = np.asarray(vmax_gain, dtype=float)
    if np.all(g == 1.0):
        out = base
    else:
        if release_to_vmax is None:
            raise InputError("`release_to_vmax` is needed when `vmax_gain` is not 1; give basal release / Vmax, e.g. "
                             "the SERT file's release_to_vmax.")
        rho = np.asarray(release_to_vmax, dtype=float)
        if np.any(rho <= 0) or np.any(rho >= np.minimum(1.0, g)):
            raise InputError(f"`release_to_vmax` must lie in (0, min(1, vmax_gain)) (got {release_to_vmax!r}); "
                             f"release above uptake capacity has no steady state.")
        out = base * (1.0 - rho) / (g - rho)
    return float(out) if np.ndim(out) == 0 else out


def enhancer_vmax_gain(conc: Any) -> Any:
    r"""V_max multiplier of SERT by tianeptine under the historical "uptake enhancer" claim.

    .. math:: g = 1 + G_{max}\,\frac{C}{C + EC_{50,enh}}

    G_max is derived from the 40 % shorter 5-HT recovery time in rat CA3 after 14 d of
    tianeptine (pineyro1995): recovery time ∝ K_m/V_max in the linear range, so
    G_max = 1/(1 − 0.40) − 1. EC_50,enh is assumed (no concentration–effect data). Both live in
    models/targets/SERT.toml (``enhancer_gmax``, ``enhancer_ec50``). The mechanism contradicts the
    in-vitro finding of no effect on uptake (mennini1987; label) and the later MOR account
    (gassaway2014), which is why it is off by default.
    """
    gmax = target_param("SERT", "enhancer_gmax", "dimensionless")
    ec50 = target_param("SERT", "enhancer_ec50", "nM")
    c = np.asarray(conc, dtype=float)
    return 1.0 + gmax * c / (c + ec50)


def transporter_signals(concs: Mapping[str, Any], target: str = "SERT", uptake_enhancer: bool = False) -> dict[str, Any]:
    r"""Inhibitor occupancy of a transporter and the steady-state extracellular amine index.

    Every inhibitor with an affinity for ``target`` competes (gaddum): :math:`\theta_i =
    (C_i/K_i)/(1 + \sum_j C_j/K_j)`. ``signal.<target>`` is `monoamine_index` of the summed
    occupancy: extracellular 5-HT (SERT) or noradrenaline (NET) relative to drug-free baseline.

    Parameters
    ----------
    concs : dict of str to quantity or float or array
        Free concentration at the transporter of each drug present (floats in nM); broadcast.
    target : {"SERT", "NET"}
    uptake_enhancer : bool
        Off by default. When True and tianeptine is in ``concs``, SERT V_max is multiplied by
        `enhancer_vmax_gain` (the historical claim of mennini1987/pineyro1995, contradicted by
        the no-affinity finding and the MOR account); it has no effect on NET.

    Returns
    -------
    dict
        ``occupancy.<target>``, ``occupancy.<target>.<drug>``, ``signal.<target>``.

    References
    ----------
    .. [tatsumi1997] Tatsumi M et al. Eur J Pharmacol 1997;340:249–258 (human SERT/NET Kd).
    .. [ramamoorthy1993] Ramamoorthy S et al. PNAS 1993 (hSERT K_m 463 nM).
    .. [mennini1987] Mennini T, Mocaer E, Garattini S. Naunyn-Schmiedeberg's Arch Pharmacol
       1987;336:478–482.
    """
    _check_target(target)
    c = concs_nM(concs)
    present = ligands_at(target, c)
    out: dict[str, Any] = {}
    zero = 0.0 * sum((np.asarray(v, dtype=float) for v in c.values()), 0.0)
    # 1 + Σ I/K computed directly: exact where 1/(1 − θ) would lose digits as θ → 1
    base = 1.0 + zero
    if present:
        kds = {d: dissociation_constant(d, target) for d in present}
        occ = gaddum({d: c[d] for d in present}, kds)
        theta = sum(occ.values())
        for d in present:
            out[f"occupancy.{target}.{d}"] = occ[d]
            base = base + np.asarray(c[d], dtype=float) / kds[d]
    else:
        theta = zero
    out[f"occupancy.{target}"] = theta
    if uptake_enhancer and target == "SERT" and ENHANCER_DRUG in c:
        g = enhancer_vmax_gain(c[ENHANCER_DRUG])
        rho = target_param("SERT", "release_to_vmax", "dimensionless")
        out[f"signal.{target}"] = _index(base, g, rho)
    else:
        out[f"signal.{target}"] = _index(base, 1.0, None)
    return out
