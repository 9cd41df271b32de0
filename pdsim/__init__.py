"""pdsim: pharmacodynamic simulation from a dose to its molecular targets and downstream.

Every parameter carries its source; see `pdsim.sources` and `pdsim check`.
"""
from __future__ import annotations

__version__ = "0.1.0"

# --- units and errors ---------------------------------------------------------------
from .units import Q_, ureg
from .errors import (
    InputError,
    ModelFileError,
    PdsimError,
    ProvenanceError,
    SolverError,
    UnitError,
    UnknownNameError,
)

# --- provenance ---------------------------------------------------------------------
from .provenance import Claim, Parameter, Reference
