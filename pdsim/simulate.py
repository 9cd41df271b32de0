"""The scenario engine: PK → targets → downstream systems for every arm and subject.

The stages live in `pdsim.engine` (plan → pk → forcing → ode → assemble): linear PK is exact
(closed-form superposition, or propagation between output times when there are many doses;
vectorised over subjects and times, `pdsim.engine.pk`); occupancy is algebraic; the downstream
systems of an arm (`pdsim.engine.registry`) are chained and advanced for all subjects by the
compiled ODE stage (`pdsim.engine.ode`: fixed-step 8th-order Runge–Kutta on a grid landing on every
output time, dose and stress edge, with the exact inputs at every stage time,
`pdsim.engine.forcing`). Arms of the reference benchmark are solved by its own kernel
(`pdsim._fastpath`).

Variables per compound: ``plasma.<drug>`` (total, nM), ``free.<drug>`` (fu × plasma),
``brain.<drug>`` (Kp,uu × free, when kp_uu is given) and ``biophase.<drug>`` (fu × the effect-site
concentration, :math:`dC_e/dt = k_{e0}(C - C_e)`, when the drug has ke0); then the target layer
(``occupancy.*``, ``signal.*``) and the systems' ``effect.*``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import catalog
from .dosing import Dose
from .engine import registry as _registry
from .engine.pk import (PK_KEYS, CompoundPK, arm_body_weight, arm_drugs, arm_events, arm_sources, dose_edges,
                        drug_of, pk_models, site_factors)
from .engine.registry import ArmContext
from .errors import InputError, PdsimError, SolverError, UnknownNameError, suggest
from .provenance import Parameter
from .result import Result
from .scenario import Arm, Scenario

__all__ = ["simulate", "SYSTEMS", "ArmContext", "scenario_parameters", "arm_drugs", "arm_sources", "CompoundPK", "variable_unit"]

#: longest step (h) of the compiled ODE stage, unless a system asks for less (``max_step_h``); with
#: the graded steps after every edge it keeps every shipped scenario within 1e-6 of an exact-forcing
#: reference (tests/test_engine_accuracy.py)
MAX_STEP_H = 0.5
#: most per-subject bends (lagged doses when the lag varies over subjects) made edges of the step
#: grid in one chunk: each one adds graded steps for every subject of the chunk
MAX_OWN_EDGES = 5000
#: subjects per chunk of an arm with downstream systems: the inputs at every stage time of the step
#: grid are held for a chunk (about 12 values per step, input and subject)
ODE_CHUNK = 32
#: variable prefixes that are concentrations (nM); the others are fractions or relative states
CONCENTRATIONS = ("plasma", "free", "brain", "biophase")


#: downstream systems a scenario can list in ``systems = [...]`` (name -> factory, in chain order):
#: the registry of `pdsim.engine.registry`, filled by each system's own module
SYSTEMS = _registry.SYSTEMS


def _uses_reference_weight(arm: Arm) -> bool:
    """True if the arm has mg/kg doses and no body weight of its own (the species' reference weight scales them)."""
    return arm.body_weight is None and any(d.per_kg for d in arm.doses)


def _weight_note(arm: Arm) -> str:
    bw = arm_body_weight(arm)
    return (f"arm '{arm.label}': mg/kg doses scaled by the {arm.species} reference body weight, {bw:g} kg "
            f"(species.{arm.species}.body_weight, an assumed value); give body_weight = '... kg' in the arm to set it.")


def scenario_notes(sc: Scenario) -> list[str]:
    """Assumptions the engine applies that the scenario file does not state (more come from the run)."""
    return [_weight_note(arm) for arm in sc.arms if _uses_reference_weight(arm)]


def _tabulate(sc: Scenario, arm: Arm, models: dict[str, CompoundPK], times: np.ndarray,
              n: int, notes: list[str], targets: list[str] | None = None, stress: bool = True) -> dict[str, np.ndarray]:
    """PK at every site, the target layer and the stress protocol at ``times``, each (n, n_times).

    ``targets`` restricts the target layer (default: the scenario's targets, else all).
    """
    from .panel import target_signals

    fine: dict[str, np.ndarray] = {}
    site_conc: dict[str, np.ndarray] = {}
    shape = (n, len(times))
    for name, pkc in models.items():
        model, dr = pkc.model, pkc.drug
        to_nm = 1e6 / dr.molar_mass.to("g/mol")
        raw = pkc.response(times, "conc")
        if raw is not None:
            raw = raw * to_nm
            total = np.broadcast_to(raw if raw.ndim == 2 else raw[np.newaxis, :], shape)
        else:
            total = np.zeros(shape)
        fu, brain = site_factors(dr, arm.species, sc.site, notes)
        fine[f"plasma.{name}"] = total
        fine[f"free.{name}"] = total * fu
        if brain is not None:
            fine[f"brain.{name}"] = total * brain
        if getattr(model, "ke0", None) is not None:
            raw = pkc.response(times, "effect")
            if raw is not None:
                raw = raw * (to_nm * fu)
                fine[f"biophase.{name}"] = np.broadcast_to(raw if raw.ndim == 2 else raw[np.newaxis, :], shape)
            else:
                fine[f"biophase.{name}"] = np.zeros(shape)
        drive = fine[f"brain.{name}"] if (sc.site == "brain" and brain is not None) else fine[f"free.{name}"]
        if dr.targets:
            site_conc[name] = drive
    if targets is None and sc.targets is not None:
        targets = list(sc.targets)
    if site_conc and (targets is None or targets):
        for k, v in target_signals(site_conc, targets).items():
            fine[k] = np.broadcast_to(np.asarray(v, dtype=float), shape)
    if arm.stress and stress:
        from .effects import protocol

        proto = protocol(arm.stress)
        fine["stress"] = np.broadcast_to(np.asarray(proto.intensity(times, arm.stress_start), dtype=float), shape)
    return fine


def _compute_chunk(sc: Scenario, arm: Arm, first: int, n: int, t_out: np.ndarray, notes: list[str],
                   systems: list[str]) -> dict[str, np.ndarray]:
    """All variables of one arm for subjects first..first+n-1, each (n, n_times)."""
    models = pk_models(sc, arm, first, n)
    out = {k: np.ascontiguousarray(v) for k, v in _tabulate(sc, arm, models, t_out, n, notes).items()}
    if systems:
        out.update(_integrate(sc, arm, systems, t_out, out, n, models, notes))
    return out


def _external_inputs(arm: Arm, dyn: list, available: dict[str, np.ndarray]) -> list[str]:
    """The inputs the chained systems read from outside the chain (sorted); unknown ones raise."""
    provided = {o for m in dyn for o in m.outputs} | {f"effect.{s}" for m in dyn for s in m.states}
    read = sorted({k for m in dyn for k in m.inputs} - provided)
    for m in dyn:
        for key in m.inputs:
            if key in provided or key in available or key == "stress" or key.startswith(("occupancy.", "signal.")):
                continue  # occupancy/signal of a target no drug of the arm binds: 0
            if key.startswith("biophase."):
                drug = key.split(".", 1)[1]
                raise InputError(f"system '{m.name}' reads the effect site of {drug}, which has no ke0 for "
                                 f"{arm.species}; add pk.{arm.species}.ke0 to its drug file.")
            raise InputError(f"system '{m.name}' reads '{key}', which arm '{arm.label}' does not provide.")
    return read


def _integrate(sc, arm, systems, t_out, available, n, models, notes: list[str]) -> dict[str, np.ndarray]:
    """Integrate the arm's downstream systems for n subjects; ``available`` holds the arm's algebraic
    variables at the output times (which inputs exist, and their values there).

    The compiled stage (`pdsim.engine.ode`) advances the chained systems with fixed 8th-order
    Runge–Kutta steps on a grid (`pdsim.engine.forcing.step_grid`) that lands on every output time,
    dose edge and stress edge; the inputs at every stage time are the exact closed forms (PK, the
    target layer, the stress protocol), so there is no interpolation error.
    """
    from .effects import protocol
    from .engine import forcing, ode

    ctx = ArmContext(arm=arm, drugs=tuple(models))
    dyn = [SYSTEMS[s](ctx) for s in systems]
    ext = _external_inputs(arm, dyn, available)
    proto = protocol(arm.stress) if arm.stress else None
    jumps, kinks, own = dose_edges(models)
    own = [t for t in own if 0.0 < t < t_out[-1]]
    if len(own) > MAX_OWN_EDGES:
        notes.append(f"arm '{arm.label}': the absorption lag varies over subjects, so each subject's lagged doses "
                     f"bend its inputs at its own times ({len(own)} here); above {MAX_OWN_EDGES} they are not made "
                     f"edges of the step grid, and the downstream states may be off by more than 1e-6 near "
                     f"them; use fewer subjects per chunk or a fixed lag.")
        own = []
    edges = jumps + kinks + own + (list(proto.edges(arm.stress_start)) if proto is not None else [])
    step = min(getattr(m, "max_step_h", MAX_STEP_H) for m in dyn)
    grading = max(getattr(m, "grading", forcing.GRADING) for m in dyn)
    grid, h, out_at = forcing.step_grid(t_out, edges, step, grading)
    times = forcing.stage_times(grid)
    targets = sorted({k.split(".")[1] for k in ext if k.startswith(("occupancy.", "signal.")) and k in available})
    tab = _tabulate(sc, arm, models, times, n, [], targets, stress=True) if ext else {}
    f_stage = np.zeros((n, times.size, len(ext)))
    f_out = np.zeros((n, t_out.size, len(ext)))
    for j, key in enumerate(ext):
        if key in available:
            f_stage[:, :, j] = tab[key]
            f_out[:, :, j] = available[key]
    y0 = np.concatenate([np.asarray(m.initial_state(n), dtype=float).reshape(len(m.states), n) for m in dyn]).T
    got, who, at = ode.integrate([m.compiled() for m in dyn], dyn, ext, y0, h, out_at, t_out.size, f_stage, f_out)
    if who >= 0:
        names = ", ".join(f"'{m.name}'" for m in dyn)
        raise SolverError(f"arm '{arm.label}': the states of {names} turned non-finite in the step from "
                          f"t = {grid[at]:.6g} h to {grid[at + 1]:.6g} h (subject {who}); check the systems' inputs "
                          f"and parameters there.")
    return got


def _systems_of(sc: Scenario, arm: Arm) -> list[str]:
    names = list(arm.systems if arm.systems is not None else sc.systems)
    _registry.check_names(names, f"scenario '{sc.name}'")
    order = list(SYSTEMS)
    return sorted(dict.fromkeys(names), key=order.index)


def variable_unit(name: str) -> str:
    """Unit of a result variable: nM for the concentration layers (`CONCENTRATIONS`), else dimensionless."""
    return "nM" if name.split(".")[0] in CONCENTRATIONS else "dimensionless"


def _as_scenario(scenario: Scenario | str, caller: str) -> Scenario:
    from .scenario import load_scenario

    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if not isinstance(sc, Scenario):
        raise InputError(f"{caller}() takes a Scenario or a scenario path (got {type(sc).__name__}).")
    return sc


def _output_times(sc: Scenario) -> np.ndarray:
    return np.round(np.arange(sc.n_times) * sc.output_every, 12)


@dataclass(frozen=True)
class _ArmJob:
    """How one arm runs: its resolved systems, subjects per call, and whether the compiled kernel runs it."""

    arm: Arm
    systems: tuple[str, ...]
    chunk: int
    fast: bool


def _plan(sc: Scenario, chunk_size: int | None = None) -> list[_ArmJob]:
    """One job per arm. With ``chunk_size`` None (`simulate`) a compiled arm runs all subjects in one
    call and a generic arm without systems uses ``population.chunk_size``; otherwise both use
    ``chunk_size``. A generic arm with systems always integrates the batches `simulate` uses: the
    batch is one solve_ivp system whose step control its subjects share, so it is part of the
    numerical method (changing it would change the numbers at the solver's tolerance)."""
    from . import _fastpath

    jobs = []
    with catalog.extra_drugs(sc.custom_drugs):
        for arm in sc.arms:
            systems = _systems_of(sc, arm)
            fast = _fastpath.eligible(sc, arm, systems)
            if systems and not fast:
                chunk = min(sc.population.chunk_size, ODE_CHUNK)
            elif chunk_size is None:
                chunk = sc.population.size if fast else sc.population.chunk_size
            else:
                chunk = chunk_size
            jobs.append(_ArmJob(arm=arm, systems=tuple(systems), chunk=chunk, fast=fast))
    return jobs


def _arm_chunk(sc: Scenario, job: _ArmJob, first: int, n: int, t_out: np.ndarray, notes: list[str]) -> dict[str, np.ndarray]:
    """All variables of the job's arm for subjects first..first+n-1, each (n, n_times), by either path."""
    from . import _fastpath

    if job.fast:
        return _fastpath.run_arm(sc, job.arm, n, t_out, notes, first)
    return _compute_chunk(sc, job.arm, first, n, t_out, notes, list(job.systems))


def _run_chunks(sc: Scenario, jobs: list[_ArmJob], t_out: np.ndarray, notes: list[str],
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

    def run(task: tuple[int, _ArmJob, int, int]) -> None:
        i, job, first, size = task
        with catalog.extra_drugs(sc.custom_drugs):
            got = _arm_chunk(sc, job, first, size, t_out, notes)
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


def simulate(scenario: Scenario | str, *, progress: bool = False) -> Result:
    """Run a scenario: every arm, every subject; return a `Result`.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario object, a path to a scenario TOML file, or a name from `pdsim list scenarios`.
    progress : bool
        Show a progress bar over arms and subject chunks (needs tqdm).

    Returns
    -------
    Result
        Every variable as an array (arms, subjects, times) in ``result.units``. With one arm the
        arrays are views of what the engine computed (no copy is made).

    Raises
    ------
    SolverError
        When a downstream system fails to integrate (the arm and time are named); nothing partial
        is returned.

    Notes
    -----
    Downstream systems run compiled (numba; the first call in a fresh process loads them from
    numba's on-disk cache, or compiles them once). Arms run in parallel threads, one per core. An
    arm whose only system is ``reference_tolerance_turnover``, with one drug of one-compartment PK
    with ke0, dosed oral, iv_bolus or iv_infusion, and no stress protocol is solved by the
    benchmark's kernel `pdsim.kernels.occ_tolerance_turnover` (`pdsim._fastpath`); its numbers agree
    with the general engine to 1e-5.

    The Result holds every variable of every subject (8 bytes per value); for populations too
    large for that, `pdsim.simulate_summary` gives mean, SD, minimum and maximum over subjects in
    memory bounded by a chunk of subjects.
    """
    sc = _as_scenario(scenario, "simulate")
    t_out = _output_times(sc)
    n = sc.population.size
    notes = scenario_notes(sc)
    jobs = _plan(sc)
    parts: list[dict[str, list[tuple[int, np.ndarray]]]] = [{} for _ in jobs]

    def keep(i: int, first: int, got: dict[str, np.ndarray]) -> None:
        for name, arr in got.items():
            parts[i].setdefault(name, []).append((first, arr))

    from .engine.ode import THREADS

    _run_chunks(sc, jobs, t_out, notes, keep, progress, threads=THREADS)
    per_arm = []
    for p in parts:
        per_arm.append({k: v[0][1] if len(v) == 1 else np.concatenate([a for _, a in sorted(v, key=lambda x: x[0])], axis=0)
                        for k, v in p.items()})
        p.clear()  # the arm's chunks, now copied
    names = sorted(set().union(*[set(d) for d in per_arm]))
    data = {}
    for name in names:
        if len(per_arm) == 1:
            data[name] = per_arm[0][name][np.newaxis]  # a view: no copy of the engine's array
            continue
        data[name] = np.empty((len(per_arm), n, len(t_out)))
        for i, d in enumerate(per_arm):
            data[name][i] = d[name] if name in d else 0.0
    units = {k: variable_unit(k) for k in data}
    with catalog.extra_drugs(sc.custom_drugs):
        params = scenario_parameters(sc)
    return Result(time_h=t_out, arms=[a.label for a in sc.arms], data=data, units=units,
                  parameters=params, scenario_name=sc.name, notes=sorted(set(notes)))


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
        for s in _systems_of(sc, arm):
            try:
                model = SYSTEMS[s](ArmContext(arm=arm, drugs=tuple(n for n, _ in arm_drugs(arm, sc.custom_drugs))))
                for k, p in model.parameters().items():
                    out[f"{s}.{k}"] = p
            except PdsimError:
                pass
        if _uses_reference_weight(arm):
            out[f"species.{arm.species}.body_weight"] = catalog.species(arm.species)["body_weight"]
        if arm.stress:
            from .effects import protocol

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
    return out
