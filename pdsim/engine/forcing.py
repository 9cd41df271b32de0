"""The forcing stage: the step grid the compiled ODE stage walks, and the times its stages read the inputs at.

The inputs themselves are the exact PK closed forms evaluated at those times (no interpolation).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .ode import TABLEAU

__all__ = ["NODE_TOL_H", "GRADING", "step_grid", "stage_times"]

#: grid times closer than this (h) are taken as one
NODE_TOL_H = 1e-9
#: after each edge (a dose or stress on/off) the steps grow as step/2**GRADING, ..., step/2: the
#: inputs and the fast states change most right after an edge. Measured on the psychosocial
#: scenario (oral rat tianeptine, ka 4/h, daily): max error of effect.pcreb_amygdala against
#: 0.025 h steps 4e-4 without grading, 5e-6 with 4 levels, 2e-9 with 8
GRADING = 8


def _merge(times: np.ndarray) -> np.ndarray:
    """Sorted unique times with near-duplicates (within `NODE_TOL_H`) merged into the first."""
    t = np.unique(times)
    if t.size < 2:
        return t
    keep = np.r_[True, np.diff(t) > NODE_TOL_H]
    return t[keep]


def step_grid(t_out: np.ndarray, edges: Iterable[float], max_step: float,
              grading: int = GRADING) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step grid from 0 to ``t_out[-1]`` that lands on every output time and every edge.

    Between two such points the steps are equal and at most ``max_step`` h; after each edge they
    are graded (``grading`` levels, default `GRADING`). Returns (grid times (n_steps + 1,), step lengths (n_steps,), and for
    each step the index of the output time it ends on, or -1).
    """
    end = float(t_out[-1])
    e = np.asarray([x for x in edges if 0.0 <= x < end], dtype=float)
    e = _merge(e) if e.size else e
    graded = (e[:, None] + max_step * 0.5 ** np.arange(1, grading + 1)).ravel() if e.size and grading else e[:0]
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
    n_steps = int(parts.sum())
    grid = np.empty(n_steps + 1)
    grid[-1] = fixed[-1]
    first = np.concatenate([[0], np.cumsum(parts)[:-1]])
    for a, b, m, f in zip(fixed[:-1], fixed[1:], parts, first):
        grid[f:f + m] = a + (b - a) * np.arange(m) / m
    h = np.diff(grid)
    out_at = np.full(n_steps, -1, dtype=np.int64)
    ends = np.searchsorted(grid, t_out)
    ok = ends > 0
    out_at[ends[ok] - 1] = np.flatnonzero(ok)
    return grid, h, out_at


def stage_times(grid: np.ndarray) -> np.ndarray:
    """The times (n_steps * stages,) at which each step's stages read the inputs.

    ``t_i + c_k h_i``; the last stage (c = 1) reads the left limit at the step's end (just before
    an edge there: a dose or stress edge at t_{i+1} belongs to the next step).
    """
    c = TABLEAU[0]
    t0, h = grid[:-1], np.diff(grid)
    times = t0[:, None] + c[None, :] * h[:, None]
    times[:, 0] = t0
    times[:, -1] = np.nextafter(grid[1:], -np.inf)
    return times.ravel()
