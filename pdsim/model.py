"""The small interface every dynamic target or downstream model answers, so the engine can batch them.

A model is vectorised over subjects: states are arrays of shape (n_states, n_subjects).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .provenance import Parameter

__all__ = ["DynamicModel", "INPUT_KINDS"]

#: the signals the engine can hand a model at any time t (each an array over subjects):
#:   "occupancy.<target>"          all ligands together, fraction
#:   "occupancy.<target>.<drug>"   one ligand's share
#:   "free.<drug>", "brain.<drug>" concentrations in nM
#:   "biophase.<drug>"             free effect-site concentration in nM (drugs with ke0)
#:   "stress"                      the arm's stress protocol intensity (0 = none, 1 = full)
#:   outputs of models listed earlier in the arm (e.g. "signal.MOR" from the MOR model)
INPUT_KINDS = ("occupancy", "free", "brain", "biophase", "plasma", "stress", "signal", "effect")


@runtime_checkable
class DynamicModel(Protocol):
    """What the engine asks of a dynamic model.

    Attributes
    ----------
    name : str
        Short name (``"mor_tolerance"``, ``"hpa"``, ``"bdnf"``).
    states : tuple of str
        State names; the engine reports them as ``effect.<state>``.
    inputs : tuple of str
        The signals the right-hand side reads (see `INPUT_KINDS`).
    outputs : tuple of str
        Names of the algebraic outputs `observe` returns (e.g. ``"signal.MOR"``); may be empty.
    stiff : bool
        True when the model has fast and slow time scales (minutes and days) and wants an
        implicit solver; False when a fixed-step explicit method is accurate.
    """

    name: str
    states: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    stiff: bool

    def parameters(self) -> dict[str, Parameter]:
        """Every parameter with its provenance (for `pdsim.sources` and reports)."""
        ...

    def initial_state(self, n: int) -> np.ndarray:
        """Initial (baseline) states, shape (n_states, n)."""
        ...

    def rhs(self, t: float, y: np.ndarray, u: dict[str, np.ndarray]) -> np.ndarray:
        """dy/dt in 1/h at time t (h), shape (n_states, n); ``u`` maps input names to arrays (n,)."""
        ...

    def observe(self, y: np.ndarray, u: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Algebraic outputs from states and inputs, each an array (n,) (or (n_times, n))."""
        ...
