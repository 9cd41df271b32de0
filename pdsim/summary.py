"""Population statistics in bounded memory: a scenario run chunk by chunk of subjects.

`simulate_summary` merges every chunk into running moments (count, mean, SD, min, max per arm,
variable and time) and drops it, so memory follows the chunk size, not the population size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, UnknownNameError, suggest
from .provenance import Parameter
from .result import tidy_frame, write_csv
from .scenario import Scenario
from .engine.plan import arm_chunk, output_times, plan, run_chunks
from .simulate import as_scenario, scenario_notes, scenario_parameters, variable_unit

__all__ = ["PopulationSummary", "RunningMoments", "simulate_summary"]

STATS = ("mean", "std", "min", "max")


class RunningMoments:
    """Mean, standard deviation, minimum and maximum over subjects, merged chunk by chunk.

    Chan, Golub & LeVeque's pairwise update (Am. Stat. 1983;37:242–247) keeps the variance
    accurate when chunks are merged; `simulate_summary` merges every chunk of subjects with ``update``.
    Arrays have shape (n_variables, n_times). An update needs one temporary the size of the chunk
    (float64), nothing that grows with the number of subjects merged.
    """

    def __init__(self) -> None:
        self.count = 0
        self.mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        self.min: np.ndarray | None = None
        self.max: np.ndarray | None = None

    def update(self, start: int, stop: int, chunk: np.ndarray) -> None:
        """Merge one chunk (n_variables, n_subjects, n_times); `start`/`stop` are ignored."""
        x = np.asarray(chunk, dtype=float)
        nb = x.shape[1]
        mb = x.mean(axis=1)
        dev = x - mb[:, None]
        np.multiply(dev, dev, out=dev)  # squared in place: one chunk-sized temporary, not two
        m2b = dev.sum(axis=1)
        del dev
        if self.count == 0:
            self.mean, self._m2, self.min, self.max = mb, m2b, x.min(axis=1), x.max(axis=1)
        else:
            na = self.count
            delta = mb - self.mean
            tot = na + nb
            self.mean = self.mean + delta * (nb / tot)
            self._m2 = self._m2 + m2b + delta**2 * (na * nb / tot)
            self.min = np.minimum(self.min, x.min(axis=1))
            self.max = np.maximum(self.max, x.max(axis=1))
        self.count += nb

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation (ddof = 1) over the subjects seen so far; NaN with fewer than
        two (undefined, as ``numpy.std(..., ddof=1)``)."""
        if self.count < 2:
            return np.full_like(self._m2, np.nan)
        return np.sqrt(self._m2 / (self.count - 1))


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class PopulationSummary:
    """Statistics over the subjects of a population, per arm, variable and time.

    Every statistic is exact (no sampling, no sketch): what `numpy.mean`, `numpy.std` with
    ``ddof=1``, `numpy.min` and `numpy.max` over the subject axis of `pdsim.simulate`'s arrays
    give, up to rounding. Quantiles (median, prediction intervals) are not available: an exact
    quantile needs every subject's value at once, which is what streaming avoids. For a
    population that fits in memory, `pdsim.simulate` and `Result.summary` give them.

    Attributes
    ----------
    time_h : ndarray (n_times,)
        Output times in hours.
    arms : tuple of str
        Arm labels, in scenario order.
    variables : tuple of str
        The summarised variables (result names such as ``plasma.<drug>``, ``effect.<state>``).
    units : dict of str to str
        Unit of each variable (the statistics have the variable's unit).
    n_subjects : int
        Subjects per arm (the population size).
    mean, std, min, max : dict of str to ndarray (n_arms, n_times)
        Mean, sample standard deviation (ddof = 1; NaN for a population of one), minimum and
        maximum over subjects, read-only. A variable an arm does not produce (a drug it does not
        dose) is zero for all of that arm's subjects, as in `pdsim.simulate`.
    notes : tuple of str
        The engine's notes (e.g. an assumed Kp,uu), as in `Result.notes`.
    scenario_name : str
    parameters : dict of str to Parameter
        Every parameter the simulation used, by dotted name (for `pdsim.sources`).
    chunk_size : int
        Subjects per chunk of the run (it bounds memory; it does not change the numbers).
    """

    time_h: np.ndarray
    arms: tuple[str, ...]
    variables: tuple[str, ...]
    units: dict[str, str]
    n_subjects: int
    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]
    min: dict[str, np.ndarray]
    max: dict[str, np.ndarray]
    notes: tuple[str, ...] = ()
    scenario_name: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    chunk_size: int = 0

    def _names(self, variables: list[str] | None) -> list[str]:
        names = list(self.variables) if variables is None else list(variables)
        for name in names:
            if name not in self.mean:
                raise UnknownNameError(f"PopulationSummary has no variable '{name}'.{suggest(name, self.variables)} "
                                       f"See summary.variables.")
        return names

    def to_dataframe(self, variables: list[str] | None = None) -> pd.DataFrame:
        """Tidy table: one row per arm, variable and time.

        Columns ``arm, variable, unit, time_h, n, mean, sd, min, max`` (``sd`` has ddof = 1).
        There are no quantile columns: see the class notes.
        """
        nt = self.time_h.size
        frames = []
        for name in self._names(variables):
            for a, label in enumerate(self.arms):
                frames.append(pd.DataFrame({
                    "arm": label, "variable": name, "unit": self.units[name], "time_h": self.time_h,
                    "n": np.full(nt, self.n_subjects), "mean": self.mean[name][a], "sd": self.std[name][a],
                    "min": self.min[name][a], "max": self.max[name][a],
                }))
        return tidy_frame(frames, ["arm", "variable", "unit", "time_h", "n", "mean", "sd", "min", "max"])

    def to_csv(self, path: str | Path, variables: list[str] | None = None) -> Path:
        """Write `to_dataframe` to ``path`` (CSV); returns the path."""
        return write_csv(self.to_dataframe(variables), path)

    def __repr__(self) -> str:  # short, for notebooks
        return (f"PopulationSummary('{self.scenario_name}', arms={list(self.arms)}, subjects={self.n_subjects}, "
                f"times={self.time_h.size}, variables={len(self.variables)})")


def _check_chunk_size(sc: Scenario, chunk_size: Any) -> int:
    """The argument, checked; or the population's own (already checked by `Population`)."""
    if chunk_size is None:
        return int(sc.population.chunk_size)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InputError(f"`chunk_size` must be a positive whole number of subjects (got {chunk_size!r}); "
                         f"give e.g. chunk_size=20000.")
    return int(chunk_size)


def _check_variables(sc: Scenario, jobs: list, t_out: np.ndarray, variables: Any, notes: list[str]) -> tuple[str, ...]:
    """The requested names, checked against what the arms produce (learnt from one subject over the
    first output step of each arm, by the same code as the full run)."""
    if isinstance(variables, str):
        raise InputError(f"`variables` must be a list of variable names (got the string {variables!r}); "
                         f"write variables=[{variables!r}].")
    wanted = tuple(dict.fromkeys(variables))
    if not wanted:
        raise InputError("`variables` is empty; name at least one variable, or give variables=None for all.")
    known: set[str] = set()
    for job in jobs:
        known.update(arm_chunk(sc, job, 0, 1, t_out[:2], notes))
    for name in wanted:
        if name not in known:
            raise UnknownNameError(f"`variables` names '{name}', which scenario '{sc.name}' does not produce."
                                   f"{suggest(name, known)} Give names from simulate_summary(...).variables.")
    return wanted


def simulate_summary(scenario: Scenario | str, *, variables: list[str] | None = None,
                     chunk_size: int | None = None, progress: bool = False) -> PopulationSummary:
    """Run a scenario in chunks of subjects and keep only statistics over subjects.

    Each arm is simulated ``chunk_size`` subjects at a time (subject ``i`` is the same subject as
    in `pdsim.simulate`, whatever the chunk); each chunk is merged into running moments and then
    released, so memory is one chunk of output plus the statistics, never the whole population.
    Per arm, variable and time:

    .. math::

        \\bar x = \\frac{1}{n}\\sum_i x_i,\\qquad
        s = \\sqrt{\\frac{1}{n-1}\\sum_i (x_i - \\bar x)^2},\\qquad \\min_i x_i,\\qquad \\max_i x_i,

    merged chunk by chunk with the pairwise update of Chan, Golub and LeVeque
    (`RunningMoments`), which keeps the variance accurate.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario object, a path to a scenario TOML file, or a name from `pdsim list scenarios`.
    variables : list of str, optional
        Variables to summarise (default: all that `pdsim.simulate` would return).
    chunk_size : int, optional
        Subjects per chunk (default ``scenario.population.chunk_size``). Peak memory is about
        ``chunk_size × n_variables × n_times × 8`` bytes for a compiled arm; it does not change the
        numbers.
    progress : bool
        Show a progress bar over arms and chunks (needs tqdm).

    Returns
    -------
    PopulationSummary
        Mean, SD (ddof = 1), min and max over subjects, arrays (n_arms, n_times) per variable.

    Raises
    ------
    InputError
        If `chunk_size` is not a positive whole number, or `variables` is a string or empty.
    UnknownNameError
        If a name in `variables` is not produced by the scenario (with the closest name).
    SolverError
        When a downstream system fails to integrate; nothing partial is returned.

    Notes
    -----
    Quantiles (median, percentiles) are not computed: exact ones need every subject's value at
    once. For populations that fit in memory use `pdsim.simulate` and `Result.summary`.

    An arm with downstream systems is integrated in the batches `pdsim.simulate` uses (at most
    256 subjects, fewer for long runs: `pdsim.engine.plan.ODE_CHUNK_BYTES`), whatever
    `chunk_size` is; a subject's numbers do not depend on its batch.

    References
    ----------
    Chan TF, Golub GH, LeVeque RJ. Algorithms for computing the sample variance: analysis and
    recommendations. *Am Stat* 1983;37:242–247. doi:10.2307/2683386
    """
    sc = as_scenario(scenario, "simulate_summary")
    chunk = _check_chunk_size(sc, chunk_size)
    jobs = plan(sc, chunk)
    t_out = output_times(sc)
    notes = scenario_notes(sc)
    wanted = None if variables is None else _check_variables(sc, jobs, t_out, variables, notes)
    moments: list[dict[str, RunningMoments]] = [{} for _ in jobs]

    def merge(i: int, first: int, got: dict[str, np.ndarray]) -> None:
        for name, arr in got.items():
            if wanted is None or name in wanted:
                moments[i].setdefault(name, RunningMoments()).update(first, first + arr.shape[0], arr[np.newaxis])

    run_chunks(sc, jobs, t_out, notes, merge, progress)
    names = wanted if wanted is not None else tuple(sorted(set().union(*moments)))
    n = sc.population.size
    stats: dict[str, dict[str, np.ndarray]] = {s: {} for s in STATS}
    zero = np.zeros(t_out.size)
    for name in names:
        for s in STATS:
            rows = []
            for m in moments:
                if name in m:
                    rows.append(getattr(m[name], s)[0])
                else:  # the arm does not produce it: zero for every subject, as simulate fills it
                    rows.append(np.full(t_out.size, np.nan) if s == "std" and n < 2 else zero)
            stats[s][name] = _frozen(np.stack(rows))
    params = scenario_parameters(sc)
    return PopulationSummary(
        time_h=_frozen(t_out), arms=tuple(a.label for a in sc.arms), variables=names,
        units={k: variable_unit(k) for k in names}, n_subjects=n, notes=tuple(sorted(set(notes))),
        scenario_name=sc.name, parameters=params, chunk_size=chunk, **stats,
    )
