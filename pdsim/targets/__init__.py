"""Target models, one module per family: opioid, transporters, gpcr, ion_channels, glutamate.

`signals(concs, target)` dispatches to the family's algebraic layer; every number comes from models/.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from ..errors import UnknownNameError, suggest
# --- the shared plumbing the other layers use (drug look-up, constants, concentrations) ---------------
from ._base import (
    CheckedConcs,
    agonist_tau,
    antagonist_outputs,
    as_drug,
    conc_nM,
    concs_nM,
    dissociation_constant,
    ligands_at,
    named,
    target_file,
    target_param,
    value,
)

# --- opioid receptors -----------------------------------------------------------------
from .opioid import OPIOID_TARGETS, MORTolerance, agonist_ec50, agonist_emax, mor_response, opioid_signals

# --- monoamine transporters -----------------------------------------------------------
from .transporters import TRANSPORTER_TARGETS, enhancer_vmax_gain, monoamine_index, transporter_signals, uptake_rate

# --- GPCR antagonism and side-effect indices -----------------------------------------
from .gpcr import GPCR_TARGETS, INDEX_NAMES, gpcr_signals, side_effect_indices

# --- Na+ channels ---------------------------------------------------------------------
from .ion_channels import NavBlock, h_inf, k_app, nav_block, nav_fixed_point, nav_ic50, nav_isoform, nav_signals

# --- glutamatergic synapse ------------------------------------------------------------
from .glutamate import (
    GLUTAMATE_TARGETS,
    epsc,
    glutamate_signals,
    kinetic_states,
    mg_block,
    nmda_ampa_ratio,
    nmda_conductance,
    open_fraction,
    open_fraction_integral,
)

__all__ = [
    "FAMILIES",
    "signals",
    "CheckedConcs", "agonist_tau", "as_drug", "conc_nM", "concs_nM", "dissociation_constant", "ligands_at", "named",
    "target_file", "target_param", "value",
    "OPIOID_TARGETS", "MORTolerance", "agonist_ec50", "agonist_emax", "mor_response", "opioid_signals",
    "TRANSPORTER_TARGETS", "enhancer_vmax_gain", "monoamine_index", "transporter_signals", "uptake_rate",
    "GPCR_TARGETS", "INDEX_NAMES", "gpcr_signals", "side_effect_indices",
    "NavBlock", "h_inf", "k_app", "nav_block", "nav_fixed_point", "nav_ic50", "nav_isoform", "nav_signals",
    "GLUTAMATE_TARGETS", "epsc", "glutamate_signals", "kinetic_states", "mg_block", "nmda_ampa_ratio", "nmda_conductance",
    "open_fraction", "open_fraction_integral",
]

#: the family module of each ligand-binding target; a target not listed gets occupancy only
FAMILIES: dict[str, str] = {
    **{t: "opioid" for t in OPIOID_TARGETS},
    **{t: "transporters" for t in TRANSPORTER_TARGETS},
    **{t: "gpcr" for t in GPCR_TARGETS},
    "Nav": "ion_channels",
}


def _occupancy_only(c: Mapping[str, Any], target: str) -> dict[str, Any]:
    """Competitive occupancy at a target with no family model; the signal is the occupancy."""
    return antagonist_outputs(target, c, lambda d: dissociation_constant(d, target))


def signals(concs: Mapping[str, Any], target: str, **options: Any) -> dict[str, Any]:
    """The algebraic layer of one target: ``occupancy.<t>``, ``occupancy.<t>.<drug>``, ``signal.<t>``.

    ``options`` go to the family function (``receptor_available`` for opioids, ``uptake_enhancer``
    for SERT, ``v`` for Nav). The meaning of ``signal.<t>`` is the family's: G-protein response
    (opioid), extracellular amine index (transporters), side-effect index (gpcr), tonic block (Nav).
    """
    if target in GLUTAMATE_TARGETS:
        raise UnknownNameError(f"'{target}' is not a ligand-binding target here; use "
                               f"pdsim.targets.glutamate_signals(stress, mor_signal) for the synapse.")
    fam = FAMILIES.get(target)
    if fam == "opioid":
        return opioid_signals(concs, target, **options)
    if fam == "transporters":
        return transporter_signals(concs, target, **options)
    if fam == "gpcr":
        return gpcr_signals(concs, target, **options)
    if fam == "ion_channels":
        return nav_signals(concs, **options)
    from .. import catalog

    if target not in catalog.targets():
        raise UnknownNameError(f"Unknown target '{target}'.{suggest(target, list(FAMILIES) + catalog.targets())}")
    return _occupancy_only(concs_nM(concs), target)
