"""The engine's compiled path: arms the kernel `pdsim.kernels.occ_tolerance_turnover` covers.

An arm qualifies when its only downstream system is ``reference_tolerance_turnover``, it doses one
drug (forming no catalogued metabolite) of one-compartment PK with an effect site (ke0) and an
unbound fraction above zero, by oral, iv_bolus or iv_infusion routes, without a stress protocol.
Then PK, effect site and the downstream states of all subjects are advanced together by the
kernel (exact linear propagation and Gauss–Legendre collocation, threads over subjects), writing
float64 arrays straight into the arrays the `Result` holds. `pdsim.simulate` sends all subjects
in one call (the output is held in full anyway and the kernel needs no other memory);
`pdsim.simulate_summary` sends subjects ``first .. first+n-1`` chunk by chunk. Each subject is
advanced on its own, with steps set by the schedule alone, so a subject's numbers do not depend on
the chunk it is simulated in.

The variables and the population draws are those of the general engine (`pdsim.engine`): the
same `pdsim.engine.pk.pk_models` draws the subjects, and the numbers agree to 1e-5 relative
(tests/test_fastpath.py). It is the one model-specific path left: the general engine runs the
same system far slower on large populations (benchmarks/README.md gives the ratio).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import PdsimError

__all__ = ["FAST_SYSTEM", "ROUTES", "eligible", "run_arm"]

#: the system the kernel solves
FAST_SYSTEM = "reference_tolerance_turnover"
#: dose routes the kernel takes
ROUTES = ("oral", "iv_bolus", "iv_infusion")


def eligible(sc: Any, arm: Any, systems: list[str]) -> bool:
    """Whether ``arm`` of ``sc`` (with its resolved ``systems``) can take the compiled path.

    Anything unusual (a second drug, a metabolite, two compartments, ip/sc doses, missing
    parameters) answers False, so the general engine runs and reports problems in its own words.
    """
    from .engine.pk import arm_drugs, drug_of as _drug

    if list(systems) != [FAST_SYSTEM] or arm.stress or not arm.doses:
        return False
    try:
        compounds = arm_drugs(arm, sc.custom_drugs)
        if len(compounds) != 1:
            return False
        dr = _drug(compounds[0][0], sc.custom_drugs)
        if arm.species not in dr.pk_specs:
            return False
        spec = dr.pk(arm.species)
        p = spec.params
        if spec.model != "one_compartment" or "ke0" not in p or "fu" not in p or not p["fu"].to("dimensionless") > 0:
            return False
        if sc.engagement == "in_vivo" and any("in_vivo.EC50" in b.params for b in dr.targets.values()):
            return False  # issue 13: PET-anchored engagement runs on the generic path
        routes = {d.route for d in arm.doses}
        if not routes <= set(ROUTES) or ("oral" in routes and "ka" not in p):
            return False
    except PdsimError:
        return False
    return True


def _per_subject(value: Any, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float), (n,)))


def run_arm(sc: Any, arm: Any, n: int, t_out: np.ndarray, notes: list[str], first: int = 0) -> dict[str, np.ndarray]:
    """All variables of an eligible arm for subjects ``first .. first+n-1``, each an array (n, n_times).

    Parameters
    ----------
    sc : Scenario
    arm : Arm
        An arm for which `eligible` is True.
    n : int
        Number of subjects to simulate (the whole population, or one chunk of it).
    t_out : ndarray
        Output times, h.
    notes : list of str
        Notes for the `Result` (e.g. a missing Kp,uu), appended to.
    first : int
        Index of the first subject: the population draws of subjects ``first .. first+n-1`` are
        those of a run of the whole population (`pdsim.population.sample_parameters`).

    Returns
    -------
    dict of str to ndarray
        ``plasma.<drug>``, ``free.<drug>``, ``brain.<drug>`` (with kp_uu), ``biophase.<drug>``,
        the target layer of the drug's targets, and ``effect.reference_occupancy``,
        ``effect.reference_tolerance``, ``effect.reference_turnover``: the names the general engine gives.
    """
    from . import kernels
    from .panel import target_signals
    from .engine.pk import pk_models, site_factors
    from .engine.registry import SYSTEMS, ArmContext

    (name, pkc), = pk_models(sc, arm, first, n).items()
    model, evs, dr = pkc.model, pkc.events, pkc.drug
    fu, brain = site_factors(dr, arm.species, sc.site, notes)
    system = SYSTEMS[FAST_SYSTEM](ArmContext(arm=arm, drugs=(name,)))
    kp = system.kernel_parameters()
    kp["KA"] = kp["KA"] / fu  # the kernel's Ce is total; the receptor sees fu·Ce: fu·Ce/(fu·Ce + KA) = Ce/(Ce + KA/fu)

    sch = kernels.schedule([e.time for e in evs], [e.amount for e in evs], [e.route for e in evs],
                           [e.duration for e in evs])
    names = [f"plasma.{name}", f"free.{name}"] + ([f"brain.{name}"] if brain is not None else [])
    codes = ["C"] * len(names)
    names += [f"biophase.{name}", "effect.reference_occupancy", "effect.reference_tolerance", "effect.reference_turnover"]
    codes += ["Ce", "occ", "T", "B"]
    out = np.empty((len(names), n, t_out.size))
    ka = model.ka if model.ka is not None else 1.0  # no oral dose then: the gut stays empty
    kernels.occ_tolerance_turnover(
        t_out, sch, None, ka=_per_subject(ka, n), CL=_per_subject(model.CL, n), V=_per_subject(model.V, n),
        molar_mass=dr.molar_mass.to("g/mol"), ke0=_per_subject(model.ke0, n), F=_per_subject(model.F, n),
        lag=_per_subject(model.tlag, n), outputs=codes, out=out, **kp,
    )
    res = {k: out[m] for m, k in enumerate(names)}
    for key, factor in ((f"free.{name}", fu), (f"brain.{name}", brain), (f"biophase.{name}", fu)):
        if factor is not None and factor != 1.0:
            np.multiply(res[key], factor, out=res[key])
    if dr.targets:
        drive = res[f"biophase.{name}"]  # issue 13: targets follow the effect site (every arm here has ke0)
        sig = target_signals({name: drive}, list(sc.targets) if sc.targets is not None else None)
        for k, v in sig.items():
            res[k] = np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=float), (n, t_out.size)))
    return res
