"""The scenario engine: PK → targets → downstream systems for every arm and subject.

The stages live in `pdsim.engine` (plan → pk → forcing → ode → assemble): linear PK is exact
(closed-form superposition, or propagation between output times when there are many doses;
vectorised over subjects and times, `pdsim.engine.pk`); occupancy is algebraic; the downstream
systems of an arm (`pdsim.engine.registry`) are chained and advanced for all subjects by the
compiled ODE stage (`pdsim.engine.ode`: fixed-step 8th-order Runge–Kutta on a grid landing on every
output time, dose and stress edge, with the exact inputs at every stage time,
`pdsim.engine.forcing`). Every scenario takes this one path, the reference benchmark included.

Variables per compound: ``plasma.<drug>`` (total, nM), ``free.<drug>`` (fu × plasma),
``brain.<drug>`` (Kp,uu × free, when kp_uu is given) and ``biophase.<drug>`` (fu × the effect-site
concentration, :math:`dC_e/dt = k_{e0}(C - C_e)`, when the drug has ke0); then the target layer
(``occupancy.*``, ``signal.*``) and the systems' ``effect.*``.
"""
from __future__ import annotations

import threading

import numpy as np

from .engine import registry as _registry
from .engine.pk import CompoundPK, arm_body_weight, arm_drugs, arm_sources, drug_of
from .engine.plan import output_times, plan, run_chunks, scenario_parameters, uses_reference_weight
from .engine.registry import ArmContext
from .errors import InputError
from .limits import check_result_size
from .result import Result
from .scenario import Arm, Scenario, dose_notes

__all__ = ["simulate", "SYSTEMS", "ArmContext", "scenario_parameters", "arm_drugs", "arm_sources", "CompoundPK", "variable_unit"]

#: variable prefixes that are concentrations (nM); the others are fractions or relative states
CONCENTRATIONS = ("plasma", "free", "brain", "biophase")


#: downstream systems a scenario can list in ``systems = [...]`` (name -> factory, in chain order):
#: the registry of `pdsim.engine.registry`, filled by each system's own module
SYSTEMS = _registry.SYSTEMS


def _weight_note(arm: Arm) -> str:
    bw = arm_body_weight(arm)
    return (f"arm '{arm.label}': mg/kg doses scaled by the {arm.species} reference body weight, {bw:g} kg "
            f"(species.{arm.species}.body_weight, an assumed value); give body_weight = '... kg' in the arm to set it.")


def scenario_notes(sc: Scenario) -> list[str]:
    """Assumptions the engine applies that the scenario file does not state (more come from the run)."""
    from .engine.patients import scenario_notes as covariate_notes

    return ([_weight_note(arm) for arm in sc.arms if uses_reference_weight(arm)] + dose_notes(sc)
            + _phenotype_notes(sc) + covariate_notes(sc))


def _phenotype_notes(sc: Scenario) -> list[str]:
    """What each arm's CYP2D6/CYP2C19 phenotype does to the compounds in it (pdsim.pharmacogenetics)."""
    from .pharmacogenetics import describe

    out = []
    for arm in sc.arms:
        if not arm.phenotype:
            continue
        for name in arm_sources(arm, sc.custom_drugs):
            text = describe(drug_of(name, sc.custom_drugs), arm.phenotype)
            if text:
                out.append(f"arm '{arm.label}': {text}")
    return out


def variable_unit(name: str) -> str:
    """Unit of a result variable: nM for the concentration layers (`CONCENTRATIONS`), else dimensionless."""
    return "nM" if name.split(".")[0] in CONCENTRATIONS else "dimensionless"


def as_scenario(scenario: Scenario | str, caller: str) -> Scenario:
    from .scenario import load_scenario

    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if not isinstance(sc, Scenario):
        raise InputError(f"{caller}() takes a Scenario or a scenario path (got {type(sc).__name__}).")
    return sc


def _own(arr: np.ndarray, shape: tuple[int, int]) -> bool:
    """``arr`` holds its own float64 data in C order, writeable, shaped ``shape`` (it can be a Result array)."""
    f = arr.flags
    return arr.dtype == np.float64 and arr.shape == shape and f.owndata and f.c_contiguous and f.writeable


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
        Every variable as an array (arms, subjects, times) in ``result.units``; each chunk of
        subjects is copied into it as soon as it is computed.

    Raises
    ------
    SolverError
        When a downstream system fails to integrate (the arm and time are named); nothing partial
        is returned.

    Notes
    -----
    Downstream systems run compiled (numba; the first call in a fresh process loads them from
    numba's on-disk cache, or compiles them once). Arms and chunks of subjects run in parallel
    threads, one per core.

    The Result holds every variable of every subject (8 bytes per value); for populations too
    large for that, `pdsim.simulate_summary` gives mean, SD, minimum and maximum over subjects in
    memory bounded by a chunk of subjects.
    """
    sc = as_scenario(scenario, "simulate")
    check_result_size(sc)  # refuse a Result over PDSIM_MAX_BYTES before allocating
    t_out = output_times(sc)
    n = sc.population.size
    notes = scenario_notes(sc)
    jobs = plan(sc)
    data: dict[str, np.ndarray] = {}
    lock = threading.Lock()
    shape = (n, len(t_out))
    # one arm in one chunk: the chunk's arrays are the Result's (no copy), see `keep`
    whole = len(jobs) == 1 and jobs[0].chunk >= n

    def keep(i: int, first: int, got: dict[str, np.ndarray]) -> None:
        # each chunk is copied straight into the Result's array (in the worker thread that computed it);
        # an arm without a variable keeps zeros there. Each chunk array is taken out of ``got`` as it is
        # copied, so it is freed then (the chunk's arrays are its own) and the next variable's Result array
        # can reuse its memory: the peak is the Result plus about one variable, not the Result plus a chunk
        taken: set[int] = set()
        for name in list(got):
            arr = got.pop(name)
            if whole and _own(arr, shape) and id(arr) not in taken:
                # the chunk is the whole Result: an array the chunk owns outright (fresh from the stages,
                # writeable, contiguous; not already another variable's) becomes it, without writing the
                # values a second time
                taken.add(id(arr))
                data[name] = arr.reshape((1,) + shape)
                continue
            with lock:
                dst = data.get(name)
                if dst is None:
                    dst = data[name] = np.zeros((len(jobs), n, len(t_out)))
            dst[i, first:first + arr.shape[0]] = arr
            del arr

    from .engine.ode import THREADS

    run_chunks(sc, jobs, t_out, notes, keep, progress, threads=THREADS)
    data = dict(sorted(data.items()))
    units = {k: variable_unit(k) for k in data}
    params = scenario_parameters(sc)
    return Result(time_h=t_out, arms=[a.label for a in sc.arms], data=data, units=units,
                  parameters=params, scenario_name=sc.name, notes=sorted(set(notes)))
