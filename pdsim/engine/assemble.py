"""The assemble stage: one chunk of subjects of one arm, from PK through the target layer to the systems.

`compute_chunk` gives every variable at the output times; `integrate_systems` runs the compiled ODE stage.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, SolverError
from ..scenario import Arm, Scenario
from .pk import CompoundPK, dose_edges, pk_models, site_factors
from .registry import SYSTEMS, ArmContext

__all__ = ["MAX_STEP_H", "MAX_OWN_EDGES", "tabulate", "compute_chunk", "external_inputs", "integrate_systems"]

#: longest step (h) of the compiled ODE stage, unless a system asks for less (``max_step_h``); with
#: the graded steps after every edge it keeps every shipped scenario within 1e-6 of an exact-forcing
#: reference (tests/test_engine_accuracy.py)
MAX_STEP_H = 0.5
#: most per-subject bends (lagged doses when the lag varies over subjects) made edges of the step
#: grid in one chunk: each one adds graded steps for every subject of the chunk
MAX_OWN_EDGES = 5000


def tabulate(sc: Scenario, arm: Arm, models: dict[str, CompoundPK], times: np.ndarray,
             n: int, notes: list[str], targets: list[str] | None = None, stress: bool = True,
             keys: set[str] | None = None) -> dict[str, np.ndarray]:
    """PK at every site, the target layer and the stress protocol at ``times``, each (n, n_times).

    ``targets`` restricts the target layer (default: the scenario's targets, else all; [] for none);
    ``keys``, when given, restricts the PK sites to those named (``plasma.<drug>`` ...), so that the
    ODE stage's inputs at its many stage times cost only what the systems read.
    """
    from ..panel import target_signals
    from ..targets.engagement import plasma_drives

    if targets is None and sc.targets is not None:
        targets = list(sc.targets)
    layer = targets is None or bool(targets)  # the target layer is wanted
    in_vivo: dict[str, dict[str, np.ndarray]] = {}  # {target: {drug: total plasma/effect-site nM}} (PET curves)
    fine: dict[str, np.ndarray] = {}
    site_conc: dict[str, np.ndarray] = {}
    shape = (n, len(times))

    def full(v) -> np.ndarray:
        # an array of the shape already is the stage's own fresh array: kept as it is (no read-only view), so
        # that `pdsim.simulate` can make it the Result's array without a copy; anything else is broadcast
        v = np.asarray(v, dtype=float)
        return v if v.shape == shape else np.broadcast_to(v, shape)

    def wide(raw: np.ndarray | None, factor: float) -> np.ndarray:
        if raw is None:
            return np.zeros(shape)
        raw *= factor  # a fresh array from the PK stage: scaled in place
        return full(raw)

    for name, pkc in models.items():
        model, dr = pkc.model, pkc.drug
        to_nm = 1e6 / dr.molar_mass.to("g/mol")
        fu, brain = site_factors(dr, arm.species, sc.site, notes)
        has_ke0 = getattr(model, "ke0", None) is not None
        drives = layer and bool(dr.targets)
        sites = [f"plasma.{name}", f"free.{name}"] + ([f"brain.{name}"] if brain is not None else [])
        if keys is None or any(k in keys for k in sites) or (drives and not has_ke0):
            total = wide(pkc.response(times, "conc"), to_nm)
            fine[f"plasma.{name}"] = total
            fine[f"free.{name}"] = total * fu
            if brain is not None:
                fine[f"brain.{name}"] = total * brain
        if has_ke0 and (keys is None or f"biophase.{name}" in keys or drives):
            fine[f"biophase.{name}"] = wide(pkc.response(times, "effect"), to_nm * fu)
        if drives:
            # targets follow the effect site where the drug has one, else the brain or free concentration
            site = f"brain.{name}" if (sc.site == "brain" and brain is not None) else f"free.{name}"
            site_conc[name] = fine[f"biophase.{name}"] if has_ke0 else fine[site]
        if dr.targets and (drives or keys is None):
            for t, got in plasma_drives(name, dr, pkc.sources, times, shape, to_nm, sc.engagement, notes).items():
                in_vivo.setdefault(t, {}).update(got)
    if site_conc and layer:
        for k, v in target_signals(site_conc, targets, in_vivo=in_vivo).items():
            fine[k] = full(v)
    if arm.stress and stress:
        from ..effects import protocol

        proto = protocol(arm.stress)
        fine["stress"] = full(proto.intensity(times, arm.stress_start))
    if keys is not None:
        fine = {k: v for k, v in fine.items() if k in keys}
    return fine


def compute_chunk(sc: Scenario, arm: Arm, first: int, n: int, t_out: np.ndarray, notes: list[str],
                   systems: list[str]) -> dict[str, np.ndarray]:
    """All variables of one arm for subjects first..first+n-1, each (n, n_times)."""
    models = pk_models(sc, arm, first, n)
    out = {k: np.ascontiguousarray(v) for k, v in tabulate(sc, arm, models, t_out, n, notes).items()}
    if systems:
        out.update(integrate_systems(sc, arm, systems, t_out, out, n, models, notes))
    return out


def external_inputs(arm: Arm, dyn: list, available: dict[str, np.ndarray]) -> list[str]:
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


def integrate_systems(sc, arm, systems, t_out, available, n, models, notes: list[str]) -> dict[str, np.ndarray]:
    """Integrate the arm's downstream systems for n subjects; ``available`` holds the arm's algebraic
    variables at the output times (which inputs exist, and their values there).

    The compiled stage (`pdsim.engine.ode`) advances the chained systems with 8th-order Runge–Kutta
    steps on a grid (`pdsim.engine.forcing.step_grid`) that lands on every output time, dose edge and
    stress edge; the inputs at every stage time are the exact closed forms (PK, the target layer, the
    stress protocol), so there is no interpolation error. The inputs are evaluated only for the
    names the systems read (``keys`` of `tabulate`), each subject's stage nodes adjacent in memory.
    """
    from ..effects import protocol
    from . import forcing, ode, registry, stiff

    ctx = ArmContext(arm=arm, drugs=tuple(models))
    dyn = [SYSTEMS[s](ctx) for s in systems]
    ext = external_inputs(arm, dyn, available)
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
    if registry.method(systems) == stiff.METHOD:
        edges.append(0.0)  # graded steps from the start too: a stiff system's fast states settle from its initial state
    grid, h, out_at = forcing.step_grid(t_out, edges, step, grading)
    rosen = stiff.for_chain(systems, grid, arm.label)  # the Rosenbrock stage when a system registered as stiff
    times = rosen.times if rosen is not None else forcing.stage_times(grid)
    targets = sorted({k.split(".")[1] for k in ext if k.startswith(("occupancy.", "signal.")) and k in available})
    f_out = np.zeros((n, t_out.size, len(ext)))
    for j, key in enumerate(ext):
        if key in available:
            f_out[:, :, j] = available[key]
    y0 = np.concatenate([np.asarray(m.initial_state(n), dtype=float).reshape(len(m.states), n) for m in dyn]).T
    tab = tabulate(sc, arm, models, times, n, [], targets, stress=True, keys=set(ext)) if ext else {}
    if len(ext) == 1 and ext[0] in tab:  # one input: its array is the forcing (no copy when contiguous)
        f_stage = np.ascontiguousarray(tab[ext[0]], dtype=float)[:, :, np.newaxis]
    else:
        f_stage = np.zeros((n, times.size, len(ext)))
        for j, key in enumerate(ext):
            if key in tab:
                f_stage[:, :, j] = tab[key]
    del tab
    compiled = [m.compiled() for m in dyn]
    if rosen is not None:  # the Rosenbrock stage reads its inputs node-major: forcing[node, subject, input]
        got, who, at = rosen.integrate(compiled, dyn, ext, y0, h, out_at, t_out.size,
                                       np.ascontiguousarray(f_stage.transpose(1, 0, 2)), f_out)
        notes.extend(rosen.notes)
    else:
        got, who, at = ode.integrate(compiled, dyn, ext, y0, h, out_at, t_out.size, f_stage, f_out,
                                     node=forcing.STAGE_NODE)
    if who >= 0:
        names = ", ".join(f"'{m.name}'" for m in dyn)
        raise SolverError(f"arm '{arm.label}': the states of {names} turned non-finite in the step from "
                          f"t = {grid[at]:.6g} h to {grid[at + 1]:.6g} h (subject {who}); check the systems' inputs "
                          f"and parameters there.")
    return got
