"""pdsim: pharmacodynamic simulation from a dose to its molecular targets and downstream.

Every parameter carries its source; see `pdsim.sources` and `pdsim check`.
"""
from __future__ import annotations

__version__ = "0.1.0"

import importlib
import sys
import types

# The public names and the module each lives in. They are imported on first use (PEP 562), so that
# `import pdsim` and `pdsim --help` stay fast: the engine (numba, scipy, pandas) loads only when needed.
_EXPORTS: dict[str, str] = {
    # units and errors
    "ureg": "units", "Q_": "units", "mass_to_molar": "units", "molar_to_mass": "units",
    "PdsimError": "errors", "UnitError": "errors", "InputError": "errors", "UnknownNameError": "errors",
    "ModelFileError": "errors", "ProvenanceError": "errors", "SolverError": "errors",
    # provenance and the catalogue
    "Parameter": "provenance", "Claim": "provenance", "Reference": "provenance",
    "Drug": "catalog", "drug": "catalog", "drugs": "catalog", "sources": "report",
    # dosing and pharmacokinetics
    "Dose": "dosing", "Regimen": "dosing",
    "OneCompartment": "pk", "TwoCompartment": "pk", "Metabolite": "pk", "concentration": "pk",
    "steady_state": "pk", "pk_summary": "pk",
    # receptor theory
    "occupancy": "receptors", "competitive_occupancy": "receptors", "operational_response": "receptors",
    "operational_response_competitive": "receptors", "operational_ec50": "receptors",
    "operational_emax": "receptors", "cheng_prusoff": "receptors", "schild_dose_ratio": "receptors",
    "schild_kb": "receptors", "pa2": "receptors",
    # targets
    "nav_block": "targets.ion_channels", "panel": "panel", "target_signals": "panel",
    # scenarios and the engine
    "Scenario": "scenario", "Arm": "scenario", "DoseSpec": "scenario", "Population": "scenario",
    "Patient": "covariates", "load_scenario": "scenario", "simulate": "simulate", "Result": "result",
    "simulate_summary": "summary", "PopulationSummary": "summary",
    # validation
    "run_checks": "validation",
}
#: sweeps and sensitivity: the module itself is the public name (SALib, Dask imported when used)
_SUBMODULES = ("sweep", "tdm")


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'pdsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))


class _Package(types.ModuleType):
    """pdsim's module type: importing the submodule ``pdsim.simulate`` (or ``pdsim.panel``) must not
    replace the public function of the same name, as Python's import system would by default."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return  # the submodule stays reachable through sys.modules and `from pdsim.simulate import ...`
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    "ureg", "Q_", "mass_to_molar", "molar_to_mass",
    "PdsimError", "UnitError", "InputError", "UnknownNameError", "ModelFileError", "ProvenanceError", "SolverError",
    "Parameter", "Claim", "Reference", "Drug", "drug", "drugs", "sources",
    "Dose", "Regimen", "OneCompartment", "TwoCompartment", "Metabolite", "concentration", "steady_state", "pk_summary",
    "occupancy", "competitive_occupancy", "operational_response", "operational_response_competitive",
    "operational_ec50", "operational_emax", "cheng_prusoff", "schild_dose_ratio", "schild_kb", "pa2",
    "nav_block", "panel", "target_signals",
    "Scenario", "Arm", "DoseSpec", "Population", "Patient", "load_scenario", "simulate", "Result",
    "simulate_summary", "PopulationSummary",
    "sweep", "run_checks",
]
