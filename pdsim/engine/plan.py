"""The plan stage: which path and chunks each arm takes, and the loop over arms and chunks of subjects.

Arms run in parallel threads (the compiled stages release the GIL); a subject's numbers do not depend on its chunk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import catalog
from ..scenario import Arm, Scenario
from . import registry as _registry
from .assemble import compute_chunk
from .registry import SYSTEMS

__all__ = ["ODE_CHUNK_BYTES", "ArmJob", "systems_of", "output_times", "plan", "arm_chunk", "run_chunks"]

#: bytes a chunk of an arm with downstream systems may hold in its inputs at the stage times (12
#: nodes per step; per node and subject 8 bytes for each input the systems read, twice (the PK
#: stage's array and the ODE stage's copy), and two PK temporaries); the chunk is this over the
#: estimated need per subject, within `ODE_CHUNK_RANGE`
ODE_CHUNK_BYTES = 128 * 2**20
ODE_CHUNK_RANGE = (8, 256)


def systems_of(sc: Scenario, arm: Arm) -> list[str]:
    """The arm's systems (its own list, else the scenario's), checked, in chain order."""
    names = list(arm.systems if arm.systems is not None else sc.systems)
    _registry.check_names(names, f"scenario '{sc.name}'")
    order = list(SYSTEMS)
    return sorted(dict.fromkeys(names), key=order.index)


def output_times(sc: Scenario) -> np.ndarray:
    """The scenario's output grid (h), rounded so that multiples of the spacing are exact."""
    return np.round(np.arange(sc.n_times) * sc.output_every, 12)


@dataclass(frozen=True)
class ArmJob:
    """How one arm runs: its resolved systems and subjects per call."""

    arm: Arm
    systems: tuple[str, ...]
    chunk: int


def plan(sc: Scenario, chunk_size: int | None = None) -> list[ArmJob]:
    """One job per arm. An arm without systems uses ``chunk_size`` (default ``population.chunk_size``);
    an arm with systems always uses the chunks `_ode_chunk` sets (memory), whatever ``chunk_size`` is,
    so `simulate` and `pdsim.simulate_summary` compute the same arrays."""
    jobs = []
    with catalog.extra_drugs(sc.custom_drugs):
        for arm in sc.arms:
            systems = systems_of(sc, arm)
            if systems:
                chunk = min(sc.population.chunk_size, _ode_chunk(sc, arm, systems))
            else:
                chunk = sc.population.chunk_size if chunk_size is None else chunk_size
            jobs.append(ArmJob(arm=arm, systems=tuple(systems), chunk=chunk))
    return jobs


def _ode_chunk(sc: Scenario, arm: Arm, systems: list[str]) -> int:
    """Subjects per chunk for an arm with systems: `ODE_CHUNK_BYTES` over the estimated bytes per subject
    (stage nodes from the duration, the systems' step, the graded steps after each dose and about two
    edges per day)."""
    from .assemble import MAX_STEP_H
    from .forcing import GRADING
    from .pk import arm_sources
    from .registry import ArmContext

    ctx = ArmContext(arm=arm, drugs=tuple(arm_sources(arm, sc.custom_drugs)))
    dyn = [SYSTEMS[s](ctx) for s in systems]
    step = min(getattr(m, "max_step_h", MAX_STEP_H) for m in dyn)
    grading = max(getattr(m, "grading", GRADING) for m in dyn)
    doses = sum(len(d.times) for d in arm.doses)
    steps = sc.duration / step + (doses + 2 * sc.duration / 24.0) * (grading + 1)
    inputs = len({k for m in dyn for k in m.inputs})
    lo, hi = ODE_CHUNK_RANGE
    return int(min(max(ODE_CHUNK_BYTES // (12 * steps * 8 * (2 * inputs + 2)), lo), hi))


def arm_chunk(sc: Scenario, job: ArmJob, first: int, n: int, t_out: np.ndarray, notes: list[str]) -> dict[str, np.ndarray]:
    """All variables of the job's arm for subjects first..first+n-1, each (n, n_times)."""
    return compute_chunk(sc, job.arm, first, n, t_out, notes, list(job.systems))


def run_chunks(sc: Scenario, jobs: list[ArmJob], t_out: np.ndarray, notes: list[str],
                take: Callable[[int, int, dict[str, np.ndarray]], None], progress: bool = False,
                threads: int = 1) -> None:
    """Simulate every arm chunk by chunk, handing each chunk to ``take(arm_index, first, variables)``.

    With ``threads`` 1 nothing is kept here: a chunk is released before the next one is computed,
    so memory is what ``take`` keeps plus one chunk. With more, up to ``threads`` chunks (of any
    arms) are computed at once (the compiled stages release the GIL) and handed to ``take`` as they
    finish; a subject's numbers do not depend on the chunk or the order.
    """
    n = sc.population.size
    tasks = [(i, job, first, min(job.chunk, n - first)) for i, job in enumerate(jobs) for first in range(0, n, job.chunk)]
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(tasks), desc=sc.name, unit="chunk")
        except ImportError:  # optional
            bar = None

    def run(task: tuple[int, ArmJob, int, int]) -> None:
        i, job, first, size = task
        with catalog.extra_drugs(sc.custom_drugs):
            got = arm_chunk(sc, job, first, size, t_out, notes)
        take(i, first, got)
        del got  # before the next chunk is allocated
        if bar is not None:
            bar.update(1)

    try:
        if threads <= 1 or len(tasks) <= 1:
            for task in tasks:
                run(task)
        else:
            import contextvars
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(threads, len(tasks))) as pool:
                # each task in a copy of the caller's context (the catalogue overlay lives there)
                for fut in [pool.submit(contextvars.copy_context().run, run, t) for t in tasks]:
                    fut.result()
    finally:
        if bar is not None:
            bar.close()
