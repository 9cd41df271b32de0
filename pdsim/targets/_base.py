"""Shared plumbing of the target modules: catalogue look-ups as plain floats, concentrations in nM.

Every number a target model uses is read here from models/ as a sourced Parameter; nothing has a default.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pint

from .. import catalog
from ..catalog import Drug, DrugName, ModelFile
from ..errors import InputError, UnitError, UnknownNameError, suggest
from ..provenance import Parameter
from ..units import as_float, quantity, ureg

__all__ = [
    "as_drug",
    "named",
    "target_file",
    "target_param",
    "binding_param",
    "has_binding",
    "ligands_at",
    "dissociation_constant",
    "agonist_tau",
    "conc_nM",
    "concs_nM",
    "CheckedConcs",
]

_MASS_CONC = ureg("ng/mL").dimensionality
_MOLAR = ureg("nM").dimensionality


#: name -> drug-file path, per PDSIM_HOME; the Drug itself always comes from the catalogue's own
#: cache (so `catalog.clear_cache()` is honoured), only the slow name resolution is skipped
_PATHS: dict[tuple[str | None, str], str] = {}
_TARGET_PATHS: dict[tuple[str | None, str], str] = {}
#: (id(parameter), unit) -> (parameter, value): Parameter.to parses units with pint on every call
_VALUES: dict[tuple[int, str], tuple[Parameter, float]] = {}


def as_drug(drug: "str | Drug") -> Drug:
    """A catalogue `Drug` from a name, an alias, a path to a drug file, a `Drug` itself, or the drug a
    `pdsim.catalog.DrugName` was resolved to."""
    if isinstance(drug, Drug):
        return drug
    if isinstance(drug, DrugName):  # resolved by the engine (a scenario's own drug, say)
        return drug.drug
    key = (os.environ.get("PDSIM_HOME"), str(drug))
    path = _PATHS.get(key)
    if path is not None:
        return catalog.drug_at(path)
    d = catalog.drug(drug)
    if d.path is not None and not str(drug).endswith(".toml"):
        _PATHS[key] = str(d.path)
    return d


def value(p: Parameter, unit: str) -> float:
    """``p.to(unit)``, memoised per parameter object (hot path of the engine's target layer)."""
    hit = _VALUES.get((id(p), unit))
    if hit is not None and hit[0] is p:
        return hit[1]
    v = p.to(unit)
    _VALUES[(id(p), unit)] = (p, v)
    return v


def target_file(target: str) -> ModelFile:
    """The target's model file (models/targets/<target>.toml)."""
    key = (os.environ.get("PDSIM_HOME"), str(target))
    path = _TARGET_PATHS.get(key)
    if path is not None:
        return catalog.model_file_at(path, "target")
    mf = catalog.target(target)
    if mf.path is not None:
        _TARGET_PATHS[key] = str(mf.path)
    return mf


def target_param(target: str, key: str, unit: str) -> float:
    """A parameter of models/targets/<target>.toml as a plain float in ``unit``.

    Raises
    ------
    UnknownNameError
        If the file has no such parameter (the message says where to add it).
    """
    mf = target_file(target)
    if key not in mf.parameters:
        raise UnknownNameError(
            f"target '{target}' has no parameter '{key}' in {mf.path}; add {key} = {{ value = ..., unit = "
            f"\"{unit}\", sources = [...], kind = ..., note = ... }} under [parameters].{suggest(key, mf.parameters)}"
        )
    return value(mf.parameters[key], unit)


def target_parameter(target: str, key: str) -> Parameter:
    """The Parameter object itself (for provenance tables)."""
    return target_file(target)[key]


def has_binding(drug: "str | Drug", target: str) -> bool:
    """True if the drug file has a [targets.<target>] table."""
    return target in as_drug(drug).targets


def binding_param(drug: "str | Drug", target: str, key: str, unit: str) -> float:
    """A parameter of a drug's [targets.<target>] table as a plain float in ``unit``."""
    d = as_drug(drug)
    b = d.binding(target)
    if key == "affinity":
        return value(b.affinity, unit)
    if key not in b.params:
        raise UnknownNameError(
            f"drug '{d.name}' has no parameter '{key}' under [targets.{target}] in {d.path}; add {key} = "
            f"{{ value = ..., unit = \"{unit}\", sources = [...], kind = ..., note = ... }}.{suggest(key, b.params)}"
        )
    return value(b.params[key], unit)


def ligands_at(target: str, drugs: "list[str] | tuple[str, ...] | Mapping[str, Any]") -> list[str]:
    """The subset of ``drugs`` that have an affinity for ``target`` (order kept)."""
    return [d for d in drugs if has_binding(d, target)]


def agonist_tau(drug: "str | Drug", target: str) -> float:
    """Operational transducer ratio τ of an agonist (0 for an antagonist, inhibitor or blocker)."""
    d = as_drug(drug)
    if d.binding(target).action != "agonist":
        return 0.0
    return binding_param(d, target, "tau", "dimensionless")


def dissociation_constant(drug: "str | Drug", target: str) -> float:
    r"""The equilibrium dissociation constant (nM) used for occupancy at ``target``.

    What the file's ``affinity`` measures decides the conversion:

    - ``Ki``, ``Kd``, ``KB``: used as they are.
    - ``IC50``: used as K (the Cheng–Prusoff correction, cheng1973, is taken to be negligible,
      i.e. the IC50 was measured at a tracer concentration well below its Kd, or is a functional
      block IC50 with slope 1, as for channel block).
    - ``EC50`` of an agonist with transducer ratio τ: the operational model (black1983, hyperbolic
      transducer) gives :math:`EC_{50} = K_A/(1 + \tau)`, so :math:`K_A = EC_{50}(1 + \tau)`.
    """
    d = as_drug(drug)
    b = d.binding(target)
    k = value(b.affinity, "nM")
    if b.measure == "EC50":
        if b.action != "agonist":
            raise InputError(
                f"drug '{d.name}' gives an EC50 at '{target}' but its action is '{b.action}'; an EC50 converts to "
                f"a dissociation constant only for an agonist with tau (fix {d.path})."
            )
        k = k * (1.0 + agonist_tau(d, target))
    return float(k)


def conc_nM(value: Any, drug: "str | Drug | None" = None, name: str = "conc") -> Any:
    """A concentration as plain floats in nM, never mixing mass and molar units.

    A molar quantity (``"50 nM"``) is converted; a mass concentration (``"20 ng/mL"``) is converted
    with the drug's molar mass from the catalogue; a plain number or array is taken to be in nM.
    """
    if isinstance(value, str):
        value = quantity(value, name)
    if isinstance(value, pint.Quantity) and value.dimensionality == _MASS_CONC:
        if drug is None:
            raise UnitError(f"`{name}` is a mass concentration ({value:~P}) and no drug is named to give its molar "
                            f"mass; pass a molar concentration such as '50 nM'.")
        mm = as_drug(drug).molar_mass.to("g/mol")
        value = ureg.Quantity(value.to("ng/mL").magnitude * 1e3 / mm, "nM")
    if isinstance(value, pint.Quantity) and value.dimensionality != _MOLAR:
        raise UnitError(f"`{name}` must be a molar or mass concentration (got {value:~P}); write e.g. '50 nM' or "
                        f"'20 ng/mL'.")
    return as_float(value, "nM", name, nonnegative=True)


class CheckedConcs(dict):
    """Free concentrations keyed by catalogue name (each a `DrugName` carrying its drug), already floats in nM and checked by `concs_nM`.

    `concs_nM` passes one through unchanged, so the engine's target layer converts and checks each
    concentration array once, not once per target and again per ligand.
    """


def concs_nM(concs: Mapping[str, Any]) -> dict[str, Any]:
    """`conc_nM` for each drug of a mapping; keys become catalogue names (a `CheckedConcs` as it is)."""
    if isinstance(concs, CheckedConcs):
        return concs
    if not isinstance(concs, Mapping):
        raise InputError(f"concentrations must be a dict keyed by drug name (got {type(concs).__name__}); "
                         f"e.g. {{'tianeptine': '50 nM'}}.")
    out = CheckedConcs()
    for key, val in concs.items():
        d = as_drug(key)
        out[named(key)] = conc_nM(val, d, f"concs['{key}']")
    return out


def named(drug: "str | Drug") -> DrugName:
    """The drug's catalogue name bound to the drug (`pdsim.catalog.DrugName`): the keys of the target
    layer's concentrations, so each ligand is looked up once, where it enters."""
    d = as_drug(drug)
    if isinstance(drug, DrugName) and str(drug) == d.name:
        return drug
    return DrugName(d.name, d)


def broadcast_zero_like(arrays: list[Any]) -> Any:
    """A float zero (or zero array) with the broadcast shape of ``arrays``."""
    if not arrays:
        return 0.0
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    return np.zeros(shape) if shape else 0.0


def antagonist_outputs(target: str, c: Mapping[str, Any], kd: Any) -> dict[str, Any]:
    """Competitive occupancy of every ligand present at ``target``; the signal is the total occupancy.

    ``c`` maps drug names to free concentrations in nM; ``kd(drug)`` gives each ligand's
    dissociation constant (nM) at this target. Returns ``occupancy.<target>.<drug>`` for each
    ligand, ``occupancy.<target>`` (their sum) and ``signal.<target>`` (the same sum: for an
    antagonist or channel blocker the signal is the fraction of sites held). With no ligand
    present both are zero, shaped like the concentrations.
    """
    from ..receptors import gaddum

    c = concs_nM(c)
    present = ligands_at(target, c)
    out: dict[str, Any] = {}
    if present:
        occ = gaddum({d: c[d] for d in present}, {d: kd(d) for d in present})
        theta = sum(occ.values())
        for d in present:
            out[f"occupancy.{target}.{d}"] = occ[d]
    else:
        theta = 0.0 * sum((np.asarray(v, dtype=float) for v in c.values()), 0.0)
    out[f"occupancy.{target}"] = theta
    out[f"signal.{target}"] = theta
    return out
