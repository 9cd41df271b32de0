"""The plan stage: each arm's systems, chunks and ODE method, the scenario's parameters, and the loop over chunks.

Arms run in parallel threads (the compiled stages release the GIL); a subject's numbers do not depend on its chunk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import catalog
from ..errors import PdsimError
from ..provenance import Parameter
from ..scenario import Arm, Scenario
from . import registry as _registry
from .assemble import compute_chunk
from .pk import arm_compounds, arm_drugs, drug_of
from .registry import SYSTEMS

__all__ = ["ODE_CHUNK_BYTES", "ArmJob", "systems_of", "output_times", "plan", "arm_chunk", "run_chunks",
           "scenario_parameters", "uses_reference_weight"]

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
    """How one arm runs: its resolved systems, subjects per call, and the ODE method
    (`pdsim.engine.registry.method`: "rodas4" when a system registered as stiff, "dop853" otherwise,
    "" without systems)."""

    arm: Arm
    systems: tuple[str, ...]
    chunk: int
    method: str = ""


def plan(sc: Scenario, chunk_size: int | None = None) -> list[ArmJob]:
    """One job per arm. An arm without systems uses ``chunk_size`` (default ``population.chunk_size``);
    an arm with systems always uses the chunks `_ode_chunk` sets (memory), whatever ``chunk_size`` is,
    so `simulate` and `pdsim.simulate_summary` compute the same arrays."""
    jobs = []
    for arm in sc.arms:
        systems = systems_of(sc, arm)
        if systems:
            chunk = min(sc.population.chunk_size, _ode_chunk(sc, arm, systems))
        else:
            chunk = sc.population.chunk_size if chunk_size is None else chunk_size
        jobs.append(ArmJob(arm=arm, systems=tuple(systems), chunk=chunk, method=_registry.method(systems)))
    return jobs


def _ode_chunk(sc: Scenario, arm: Arm, systems: list[str]) -> int:
    """Subjects per chunk for an arm with systems: `ODE_CHUNK_BYTES` over the estimated bytes per subject
    (stage nodes from the duration, the systems' step, the graded steps after each dose and about two
    edges per day)."""
    from .assemble import MAX_STEP_H
    from .forcing import GRADING
    ctx = _registry.ArmContext(arm=arm, drugs=arm_compounds(arm, sc.custom_drugs))
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

    The chunk's dict and arrays are ``take``'s: it may pop them as it copies them (so each is freed then).

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
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(threads, len(tasks))) as pool:
                for fut in [pool.submit(run, t) for t in tasks]:
                    fut.result()
    finally:
        if bar is not None:
            bar.close()


def uses_reference_weight(arm: Arm) -> bool:
    """True if the arm has mg/kg doses and no body weight of its own (the species' reference weight scales them)."""
    return arm.body_weight is None and any(d.per_kg for d in arm.doses)


def scenario_parameters(sc: Scenario) -> dict[str, Parameter]:
    """Every parameter a scenario uses (drugs present, their targets, its systems), by dotted name."""
    out: dict[str, Parameter] = {}
    targets: set[str] = set()
    for arm in sc.arms:
        for name, _ in arm_drugs(arm, sc.custom_drugs):
            dr = drug_of(name, sc.custom_drugs)
            for k, p in dr.parameters().items():
                if k.startswith("pk.") and not k.startswith(f"pk.{arm.species}."):
                    continue
                out[f"{name}.{k}"] = p
            targets.update(dr.targets)
        for s in systems_of(sc, arm):
            try:
                model = SYSTEMS[s](_registry.ArmContext(arm=arm, drugs=arm_compounds(arm, sc.custom_drugs)))
                for k, p in model.parameters().items():
                    out[f"{s}.{k}"] = p
            except PdsimError:
                pass
        pop = dict(arm.phenotype).get("frequencies")
        if pop is not None:  # phenotypes drawn per subject: the frequencies used
            from ..pharmacogenetics import frequency_parameters

            out.update(frequency_parameters(pop))
        if uses_reference_weight(arm):
            out[f"species.{arm.species}.body_weight"] = catalog.species(arm.species)["body_weight"]
        if arm.stress:
            from ..effects import protocol

            proto = protocol(arm.stress)
            for key in ("days", "hours_per_day", "session_hours"):
                try:
                    out[f"stress.{arm.stress}.{key}"] = proto.parameter(key)
                except PdsimError:
                    continue
    for t in sorted(targets):
        if t in catalog.targets():
            for k, p in catalog.target(t).parameters.items():
                out[f"target.{t}.{k}"] = p
    from .patients import scenario_parameters as covariate_parameters  # the values each arm's patient gets

    out.update(covariate_parameters(sc))
    from ..targets.engagement import select_parameters  # the curve (in vivo) or constant (in vitro) each target used

    return select_parameters(out, sc.engagement)
