"""Mission peers: demo, chronic restraint and the 4-state PK/PD design as populations in pdsim, libRoadRunner, SciPy.

Usage: python benchmarks/mission.py [--subjects N] [--peer-subjects M] [--json PATH]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pdsim  # noqa: E402
from pdsim import catalog  # noqa: E402
from pdsim.engine.plan import systems_of  # noqa: E402
from pdsim.population import sample_parameters  # noqa: E402
from pdsim.sbml import sbml_id, scenario_to_sbml  # noqa: E402
from pdsim.scenario import Scenario, load_scenario  # noqa: E402
from scenarios import accuracy_module, sized  # noqa: E402

#: the two scenarios of issue 14's mission benchmark, and the 4-state PK/PD design of rxode2's speed
#: article (benchmarks/pkpd4.toml), whose pdsim throughput is set beside rxode2's and mrgsolve's
PKPD4 = str(Path(__file__).resolve().parent / "pkpd4.toml")
MISSION = ("demo", "chronic_restraint_tianeptine", PKPD4)
#: libRoadRunner's CVODE tolerances (as in population.py: rtol 1e-6; atol 1e-9, as the SciPy loop)
RR_RTOL, RR_ATOL = 1e-6, 1e-9
#: the SciPy loop: LSODA at rtol 1e-6, atol 1e-9 x each state's scale (scenarios.py's SciPy column)
SCIPY_RTOL, SCIPY_ATOL = 1e-6, 1e-9
#: peer subjects per arm (their cost is linear in subjects: about 10 ms and 0.2-1.6 s per subject)
RR_SUBJECTS, SCIPY_SUBJECTS = 100, 5


def subjects_pk(sc: Scenario, arm, n: int) -> list[dict[str, float]]:
    """For subjects 0..n-1: SBML parameter id -> value of each varied PK parameter, drawn as the engine
    draws them (`pdsim.engine.pk.pk_models`: one `sample_parameters` call per compound over its varied
    keys, the scenario's seed and correlations; subject i is the same for any population size), typical
    values from the catalogue model of the arm's species and body weight."""
    from pdsim.pk import pk_model

    pop = sc.population
    out: list[dict[str, float]] = [{} for _ in range(n)]
    if pop.size <= 1:
        return out
    for name in sorted({k.split(".", 1)[0] for k in pop.variability} & set(arm.drugs)):
        cvs = {k: cv for k, cv in pop.variability.items() if k.split(".", 1)[0] == name}
        base = pk_model(catalog.resolve(name, sc.custom_drugs), arm.species, arm.body_weight)
        typical = {k: float(getattr(base, k.split(".", 1)[1])) for k in cvs}
        draws = sample_parameters(typical, cvs, n, pop.seed, pop.correlations or None)
        for i in range(n):
            out[i].update({f"{sbml_id(name)}_{k.split('.', 1)[1]}": float(draws[k][i]) for k in cvs})
    return out


def roadrunner_arm(sc: Scenario, ai: int, n: int, t_out: np.ndarray, variables: list[str]):
    """libRoadRunner on the typical arm exported by `pdsim.sbml.scenario_to_sbml`, one `reset()` and
    `simulate()` per subject after setting its PK parameters by name. Returns (load s, solve s,
    {variable: (n, times)})."""
    import roadrunner

    arm = sc.arms[ai]
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(scenario_to_sbml(sized(sc, 1), arm.label))
    rr.integrator.relative_tolerance = RR_RTOL
    rr.integrator.absolute_tolerance = RR_ATOL
    known = set(rr.model.getGlobalParameterIds()) | set(rr.model.getFloatingSpeciesIds())
    have = [v for v in variables if sbml_id(v) in known]
    rr.timeCourseSelections = ["time"] + [sbml_id(v) for v in have]
    load = time.perf_counter() - t0
    out = {v: np.empty((n, t_out.size)) for v in have}
    subjects = subjects_pk(sc, arm, n)
    t0 = time.perf_counter()
    for i in range(n):
        rr.reset()
        for pid, val in subjects[i].items():
            rr[pid] = val
        res = np.asarray(rr.simulate(float(t_out[0]), float(t_out[-1]), int(t_out.size)))
        for j, v in enumerate(have):
            out[v][i] = res[:, j + 1]
    return load, time.perf_counter() - t0, out


def scipy_arm(acc, sc: Scenario, ai: int, n: int, t_out: np.ndarray):
    """The SciPy loop: the systems' own Python right-hand sides chained, with the exact closed-form forcing
    of tests/test_engine_accuracy.py, integrated by LSODA per subject. Returns (s, {variable: (n, times)})."""
    arm = sc.arms[ai]
    systems = systems_of(sc, arm)
    out: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    for i in range(n):
        got, _ = acc._reference(sc, arm, i, systems, t_out, method="LSODA", rtol=SCIPY_RTOL,
                                atol_scale=SCIPY_ATOL)
        for k, v in got.items():
            out.setdefault(k, np.empty((n, t_out.size)))[i] = v
    return time.perf_counter() - t0, out


def worst(acc, res, ai: int, got: dict[str, np.ndarray], prefix: str) -> float:
    """Max relative error (benchmarks' definition, tests/test_engine_accuracy.py) of the ``prefix``*
    variables of ``got`` against pdsim's same subjects."""
    errs = [acc._rel_err(got[k][i], res.data[k][ai, i]) for k in got if k.startswith(prefix) for i in range(got[k].shape[0])]
    return max(errs) if errs else float("nan")


def run(name: str, subjects: int, rr_subjects: int, scipy_subjects: int, repeats: int = 2, acc=None) -> dict:
    """One scenario: pdsim on ``subjects`` per arm (min of ``repeats`` runs after a warm-up), libRoadRunner
    on the first ``rr_subjects`` and the SciPy loop on the first ``scipy_subjects`` of the same population
    (one run each: their time is linear in subjects). Errors are against pdsim's same subjects."""
    sc = sized(load_scenario(name), subjects)
    pdsim.simulate(sized(sc, 2))  # warm-up
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        res = pdsim.simulate(sc)
        best = min(best, time.perf_counter() - t)
    arms = len(sc.arms)
    row = {"scenario": Path(name).stem if name.endswith(".toml") else name, "arms": arms, "subjects_per_arm": subjects, "pdsim_s": best,
           "pdsim_subjects_per_s": subjects * arms / best, "roadrunner_subjects_per_arm": rr_subjects,
           "scipy_subjects_per_arm": scipy_subjects}
    variables = [k for k in res.data if k.startswith(("effect.", "plasma."))]
    acc = acc or accuracy_module()
    try:
        import roadrunner  # noqa: F401
    except ImportError:
        row["roadrunner"] = "not installed (pip install libroadrunner python-libsbml)"
    else:
        load = solve = 0.0
        eff = pk = 0.0
        for ai in range(arms):
            lo, so, got = roadrunner_arm(sc, ai, rr_subjects, res.time_h, variables)
            load, solve = load + lo, solve + so
            eff, pk = max(eff, worst(acc, res, ai, got, "effect.")), max(pk, worst(acc, res, ai, got, "plasma."))
        row.update(roadrunner_load_s=load, roadrunner_s=solve,
                   roadrunner_subjects_per_s=rr_subjects * arms / solve,
                   roadrunner_err_effect=eff, roadrunner_err_plasma=pk)
        if not pk < 1e-3:  # a subject with other PK parameters differs by tens of % (CV 30 %)
            raise RuntimeError(f"{name}: libRoadRunner's plasma concentrations differ from pdsim's by {pk:.1e}: "
                               "the subjects are not the same")
    total, eff = 0.0, 0.0
    for ai in range(arms):
        s, got = scipy_arm(acc, sc, ai, scipy_subjects, res.time_h)
        total += s
        eff = max(eff, worst(acc, res, ai, got, "effect."))
    row.update(scipy_s=total, scipy_subjects_per_s=scipy_subjects * arms / total, scipy_err_effect=eff)
    for peer in ("roadrunner", "scipy"):
        if f"{peer}_subjects_per_s" in row:
            row[f"ratio_{peer}"] = row["pdsim_subjects_per_s"] / row[f"{peer}_subjects_per_s"]
    return row


HEAD = (f"{'scenario':30s} {'pdsim subj/s':>12s} {'RR subj/s':>10s} {'SciPy subj/s':>12s} {'pdsim/RR':>9s} "
        f"{'pdsim/SciPy':>11s} {'RR err eff':>10s} {'RR err C':>9s} {'SciPy err':>9s}")


def line(row: dict) -> str:
    g = lambda k, fmt: (fmt % row[k]) if isinstance(row.get(k), float) else "-".rjust(len(fmt % 0))  # noqa: E731
    return (f"{row['scenario']:30s} {g('pdsim_subjects_per_s', '%12.0f')} {g('roadrunner_subjects_per_s', '%10.1f')} "
            f"{g('scipy_subjects_per_s', '%12.2f')} {g('ratio_roadrunner', '%9.2f')} {g('ratio_scipy', '%11.1f')} "
            f"{g('roadrunner_err_effect', '%10.1e')} {g('roadrunner_err_plasma', '%9.1e')} {g('scipy_err_effect', '%9.1e')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=1000, help="pdsim subjects per arm (default 1000)")
    ap.add_argument("--rr-subjects", type=int, default=RR_SUBJECTS, help=f"libRoadRunner subjects per arm ({RR_SUBJECTS})")
    ap.add_argument("--scipy-subjects", type=int, default=SCIPY_SUBJECTS, help=f"SciPy loop subjects per arm ({SCIPY_SUBJECTS})")
    ap.add_argument("--json", type=Path, help="write the rows to this file")
    args = ap.parse_args(argv)
    rows = []
    print(HEAD)
    for name in MISSION:
        rows.append(run(name, args.subjects, args.rr_subjects, args.scipy_subjects))
        print(line(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
