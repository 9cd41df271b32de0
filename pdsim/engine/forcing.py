"""The forcing stage: the step grid the compiled ODE stage walks, and the times its stages read the inputs at.

The inputs themselves are the exact PK closed forms evaluated at those times (no interpolation).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .ode import TABLEAU

__all__ = ["NODE_TOL_H", "GRADING", "quantum", "step_grid", "STAGE_ORDER", "STAGE_NODE", "stage_times"]

#: grid times closer than this (h) are taken as one
NODE_TOL_H = 1e-9
#: after each edge (a dose or stress on/off) the steps grow as step/2**GRADING, ..., step/2, and the
#: grid takes the point edge + step, so the first full step starts where the inputs have settled a
#: little: the inputs and the fast states change most right after an edge. Measured on the
#: psychosocial scenario (oral rat tianeptine, ka 4/h, daily): max error of effect.pcreb_amygdala
#: against 0.025 h steps 4e-4 without grading, 5e-6 with 4 levels, 2e-9 with 8
GRADING = 8


def _merge(times: np.ndarray) -> np.ndarray:
    """Sorted unique times with near-duplicates (within `NODE_TOL_H`) merged into the first."""
    t = np.unique(times)
    if t.size < 2:
        return t
    keep = np.r_[True, np.diff(t) > NODE_TOL_H]
    return t[keep]


def quantum(end: float) -> float:
    """The time quantum (h) of a step grid ending at ``end``: 16 units in the last place of ``end``.

    Step lengths and stage offsets are whole multiples of it, so from a grid point that is one too
    (every whole or binary-fraction hour) the stage times are exact and equal steps give bit-equal
    stage spacings: the PK propagator then reuses one transition matrix per distinct spacing.
    Rounding an offset by half a quantum (about 1e-12 h over a month) changes nothing measurable.
    """
    return float(2.0 ** (np.floor(np.log2(max(abs(end), 1.0))) - 48))


def _snap(t: np.ndarray, q: float) -> np.ndarray:
    return np.round(t / q) * q


def step_grid(t_out: np.ndarray, edges: Iterable[float], max_step: float,
              grading: int = GRADING) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step grid from 0 to ``t_out[-1]`` that lands on every output time and every edge.

    Between two such points the steps are equal and at most ``max_step`` h; after each edge they
    are graded (``grading`` levels, default `GRADING`: points at edge + max_step / 2**k, k = 0..grading).
    Output times and edges are kept exactly; the steps between them are whole `quantum` s (the last
    step of a gap takes the remainder). Returns (grid times (n_steps + 1,), step lengths (n_steps,),
    and for each step the index of the output time it ends on, or -1).
    """
    end = float(t_out[-1])
    q = quantum(end)
    e = np.asarray([x for x in edges if 0.0 <= x < end], dtype=float)
    e = _merge(e) if e.size else e
    graded = (e[:, None] + max_step * 0.5 ** np.arange(0, grading + 1)).ravel() if e.size and grading else e[:0]
    fixed = _merge(np.concatenate([t_out, e, graded[graded < end]]))
    # a point merged with a nearby one takes the exact value: output times first, then edges
    for exact in (e, t_out):
        if exact.size:
            j = np.clip(np.searchsorted(fixed, exact), 1, fixed.size - 1)
            near = np.where(np.abs(fixed[j - 1] - exact) <= np.abs(fixed[j] - exact), j - 1, j)
            close = np.abs(fixed[near] - exact) <= NODE_TOL_H
            fixed[near[close]] = exact[close]
    fixed = np.unique(fixed)
    gaps = np.diff(fixed)
    parts = np.maximum(1, np.ceil(gaps / max_step - 1e-9).astype(np.int64))
    return _with_parts(fixed, parts, t_out, q)


def _with_parts(fixed: np.ndarray, parts: np.ndarray, t_out: np.ndarray, q: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid that splits gap i of ``fixed`` into ``parts[i]`` equal steps (whole quanta; the last
    step of a gap takes the remainder), its step lengths, and the output index each step ends on."""
    n_steps = int(parts.sum())
    first = np.concatenate([[0], np.cumsum(parts)[:-1]])
    unit = np.floor(np.diff(fixed) / parts / q) * q
    within = np.arange(n_steps) - np.repeat(first, parts)  # step index within its gap
    grid = np.empty(n_steps + 1)
    grid[:-1] = np.repeat(fixed[:-1], parts) + np.repeat(unit, parts) * within
    grid[-1] = fixed[-1]
    h = np.diff(grid)
    out_at = np.full(n_steps, -1, dtype=np.int64)
    ends = np.searchsorted(grid, t_out)
    ok = ends > 0
    out_at[ends[ok] - 1] = np.flatnonzero(ok)
    return grid, h, out_at


#: the stages in time order within a step (c is not monotone in DOP853), and the node of each stage
STAGE_ORDER = np.argsort(TABLEAU[0], kind="stable")
STAGE_NODE = np.argsort(STAGE_ORDER, kind="stable")


def stage_times(grid: np.ndarray) -> np.ndarray:
    """The times (n_steps * stages,), sorted, at which each step's stages read the inputs.

    Stage k of step i reads node ``i * stages + STAGE_NODE[k]``, at ``t_i + c_k h_i`` (the offset
    rounded to whole quanta); the last stage (c = 1) reads one quantum before the step's end, the
    left limit (a dose or stress edge at t_{i+1} belongs to the next step).
    """
    c = TABLEAU[0][STAGE_ORDER]
    q = quantum(float(grid[-1]))
    t0, h = grid[:-1], np.diff(grid)
    off = _snap(c[None, :] * h[:, None], q)
    off[:, -1] = h - q
    return (t0[:, None] + off).ravel()
