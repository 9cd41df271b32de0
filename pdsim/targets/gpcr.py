"""Antagonism at H1, muscarinic and α1 receptors, and the side-effect indices read from occupancy.

Sedation (H1), anticholinergic burden (mAChR) and orthostatic hypotension (α1) are indices, not probabilities.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from ..errors import UnknownNameError
from ._base import antagonist_outputs, concs_nM, dissociation_constant

__all__ = ["GPCR_TARGETS", "INDEX_NAMES", "gpcr_signals", "side_effect_indices"]

GPCR_TARGETS = ("H1", "mAChR", "alpha1")

#: the side-effect index each antagonised receptor stands for (seed 004: amitriptyline's H1
#: antagonism → sedation; muscarinic → anticholinergic effects; α-adrenergic → orthostatic hypotension)
INDEX_NAMES = {"H1": "sedation", "mAChR": "anticholinergic_burden", "alpha1": "orthostatic_hypotension"}


def _check_target(target: str) -> None:
    if target not in GPCR_TARGETS:
        raise UnknownNameError(f"`target` must be one of {', '.join(GPCR_TARGETS)} (got {target!r}).")


def gpcr_signals(concs: Mapping[str, Any], target: str) -> dict[str, Any]:
    r"""Antagonist occupancy of H1, mAChR or α1 and the side-effect index it stands for.

    Every antagonist with an affinity for ``target`` competes for one site (gaddum):

    .. math:: \theta_i = \frac{C_i/K_i}{1 + \sum_j C_j/K_j}, \qquad
              \mathrm{index} = \theta = \sum_i \theta_i

    Assumption (named): the index equals the fraction of receptors blocked. This holds if the
    endogenous agonist (histamine, acetylcholine, noradrenaline) occupies few receptors
    (:math:`A \ll K_A`, so antagonist occupancy is not reduced by competition with it) and the
    effect grows in proportion to the receptors lost, without reserve or threshold. An index of
    0.5 means half the receptors blocked, not a 50 % chance of the side effect; no source gives
    the occupancy–symptom relation, so no threshold is imposed.

    Parameters
    ----------
    concs : dict of str to quantity or float or array
        Free concentration at the receptor of each drug present (floats in nM); broadcast.
    target : {"H1", "mAChR", "alpha1"}

    Returns
    -------
    dict
        ``occupancy.<target>``, ``occupancy.<target>.<drug>`` and ``signal.<target>`` (the index).

    References
    ----------
    .. [richelson1984] Richelson E, Nelson A. J Pharmacol Exp Ther 1984;230:94–102 (human brain
       muscarinic KD of amitriptyline).
    .. [lazareno1993] Lazareno S, Birdsall NJM. Br J Pharmacol 1993;109:1110–1119.
    """
    _check_target(target)
    c = concs_nM(concs)
    return antagonist_outputs(target, c, lambda d: dissociation_constant(d, target))


def side_effect_indices(concs: Mapping[str, Any]) -> dict[str, Any]:
    """The three indices by name (``sedation``, ``anticholinergic_burden``, ``orthostatic_hypotension``)."""
    return {INDEX_NAMES[t]: gpcr_signals(concs, t)[f"signal.{t}"] for t in GPCR_TARGETS}
