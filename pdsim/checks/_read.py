"""Reading a study Result the way a user would: one arm's series, its value at an hour, its mean over a day.

The checks use nothing else: every number comes from `pdsim.simulate` on a study scenario.
"""
from __future__ import annotations

import numpy as np

HOURS_PER_DAY = 24.0


def values(r, var: str, arm: str) -> np.ndarray:
    """``var`` in ``arm`` for every subject (subjects x time); zeros when the run did not produce it
    (a drug's variables when the drug was removed from the study)."""
    if var not in r:
        # a run left with no variables at all (every drug removed) reports no subjects: read one
        return np.zeros((max(r.n_subjects, 1), len(r.time_h)))
    return np.asarray(r.get(var, arm=arm))


def series(r, var: str, arm: str) -> np.ndarray:
    """The time course of ``var`` in ``arm`` (first subject). A variable the run did not produce —
    e.g. a drug's signal when the drug was removed from the study — reads as zero."""
    return values(r, var, arm)[0]


def at(r, var: str, arm: str, hour: float) -> float:
    """Value at ``hour`` (linear between output times)."""
    return float(np.interp(hour, r.time_h, series(r, var, arm)))


def end(r, var: str, arm: str) -> float:
    """Value at the last output time (the study's readout)."""
    return float(series(r, var, arm)[-1])


def window_mean(r, var: str, arm: str, t0: float, t1: float) -> float:
    """Time average over [t0, t1] h (trapezoid rule on the output grid)."""
    t = r.time_h
    m = (t >= t0 - 1e-9) & (t <= t1 + 1e-9)
    x = series(r, var, arm)[m]
    return float(np.trapezoid(x, t[m]) / (t[m][-1] - t[m][0]))


def day_mean(r, var: str, arm: str, day: float) -> float:
    """Mean over study day ``day`` (0-based: day d runs from d x 24 h to (d + 1) x 24 h)."""
    return window_mean(r, var, arm, day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY)


def window_max(r, var: str, arm: str, t0: float, t1: float) -> float:
    t = r.time_h
    m = (t >= t0 - 1e-9) & (t <= t1 + 1e-9)
    return float(series(r, var, arm)[m].max())


def residual(stress: float, drug: float, control: float) -> float:
    """Fraction of the stress-induced change left with the drug (infinite when stress changed nothing)."""
    change = stress - control
    return (drug - control) / change if change != 0.0 else float("inf")
