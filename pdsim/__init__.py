"""pdsim: pharmacodynamic simulation from a dose to its molecular targets and downstream.

Every parameter carries its source; see `pdsim.sources` and `pdsim check`.
"""
from __future__ import annotations

__version__ = "0.1.0"

# --- units and errors ---------------------------------------------------------------
from .units import Q_, mass_to_molar, molar_to_mass, ureg
from .errors import (
    InputError,
    ModelFileError,
    PdsimError,
    ProvenanceError,
    SolverError,
    UnitError,
    UnknownNameError,
)

# --- provenance and the catalogue ---------------------------------------------------
from .provenance import Claim, Parameter, Reference
from .catalog import Drug, drug, drugs
from .report import sources

# --- dosing and pharmacokinetics ----------------------------------------------------
from .dosing import Dose, Regimen
from .pk import OneCompartment, TwoCompartment, Metabolite, concentration, pk_summary, steady_state

# --- receptor theory ----------------------------------------------------------------
from .receptors import (
    cheng_prusoff,
    competitive_occupancy,
    occupancy,
    operational_ec50,
    operational_emax,
    operational_response,
    operational_response_competitive,
    pa2,
    schild_dose_ratio,
    schild_kb,
)

# --- targets ------------------------------------------------------------------------
from .targets.ion_channels import nav_block
from .panel import panel, target_signals

# --- scenarios and the engine -------------------------------------------------------
from .scenario import Arm, DoseSpec, Population, Scenario, load_scenario
from .simulate import simulate
from .summary import PopulationSummary, simulate_summary
from .result import Result

# --- sweeps and sensitivity (SALib, Dask: optional extras, imported when used) --------
from . import sweep

# --- validation ---------------------------------------------------------------------
from .validation import run_checks

__all__ = [
    "__version__",
    "ureg", "Q_", "mass_to_molar", "molar_to_mass",
    "PdsimError", "UnitError", "InputError", "UnknownNameError", "ModelFileError", "ProvenanceError", "SolverError",
    "Parameter", "Claim", "Reference", "Drug", "drug", "drugs", "sources",
    "Dose", "Regimen", "OneCompartment", "TwoCompartment", "Metabolite", "concentration", "steady_state", "pk_summary",
    "occupancy", "competitive_occupancy", "operational_response", "operational_response_competitive",
    "operational_ec50", "operational_emax", "cheng_prusoff", "schild_dose_ratio", "schild_kb", "pa2",
    "nav_block", "panel", "target_signals",
    "Scenario", "Arm", "DoseSpec", "Population", "load_scenario", "simulate", "Result",
    "simulate_summary", "PopulationSummary",
    "sweep", "run_checks",
]
