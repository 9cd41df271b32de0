"""Every shipped scenario through `pdsim.simulate`: warm time, 1000 subjects, first call, error, SciPy ratio.

Usage: python benchmarks/scenarios.py [--json PATH] [--only NAME ...] [--no-reference]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # mission.py beside it

import pdsim  # noqa: E402
from pdsim import catalog  # noqa: E402
from pdsim.scenario import Scenario, load_scenario  # noqa: E402
from pdsim.engine.plan import systems_of as _systems_of  # noqa: E402

#: subjects of the population run, and the log-normal CV on each dosed drug's CL there (a shipped
#: scenario with its own variability keeps it)
SUBJECTS, CV, SEED = 1000, 0.3, 1


def accuracy_module():
    """tests/test_engine_accuracy.py: its exact-forcing reference (solve_ivp, closed-form PK at every
    solver time, restarts at every dose and stress edge) is the one the tests hold the engine to."""
    spec = importlib.util.spec_from_file_location("engine_accuracy", ROOT / "tests" / "test_engine_accuracy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def shipped() -> list[str]:
    return sorted(p.stem for p in (catalog.models_dir() / "scenarios").glob("*.toml"))


def sized(sc: Scenario, n: int) -> Scenario:
    """``sc`` with n subjects; without variability of its own, CV on the CL of every dosed drug."""
    pop = sc.population
    var = dict(pop.variability) or {f"{d}.CL": CV for d in sorted({d for a in sc.arms for d in a.drugs})}
    return dataclasses.replace(sc, population=dataclasses.replace(pop, size=n, variability=var,
                                                                  seed=pop.seed if pop.variability else SEED))


def timed(fn, repeats: int = 3) -> float:
    """Minimum wall time (s) of ``repeats`` calls."""
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return float(best)


def first_call(name: str) -> dict[str, float]:
    """Fresh processes, first with an empty numba cache, then with the cache it filled: the time from
    before ``import pdsim`` to the end of the first `simulate` call, minus a warm `simulate` call in the
    same process (imports, scenario loading, numba compile or cache load, first-use set-up)."""
    code = ("import time; t0 = time.perf_counter(); import pdsim; sc = pdsim.load_scenario(%r); pdsim.simulate(sc); "
            "a = time.perf_counter() - t0; t = time.perf_counter(); pdsim.simulate(sc); "
            "print(a - (time.perf_counter() - t))" % name)
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        for label in ("compile_s", "cached_s"):
            run = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, capture_output=True, text=True,
                                 check=True)
            out[label] = float(run.stdout.strip().splitlines()[-1])
    return out


def errors_and_scipy(acc, name: str, sc: Scenario) -> tuple[float | None, float | None]:
    """(max relative error of every effect.* variable against the tight reference, over arms; wall time of
    a SciPy loop over the arms: LSODA at rtol 1e-6 on the same right-hand sides and exact forcing)."""
    if not any(_systems_of(sc, arm) for arm in sc.arms):
        return None, None  # no downstream system: nothing integrated (PK and targets are closed forms)
    res = pdsim.simulate(sc)
    worst, scipy_s = 0.0, 0.0
    for ai, arm in enumerate(sc.arms):
        systems = _systems_of(sc, arm)
        if not systems:
            continue
        tight = {"rtol": 1e-13, "atol_scale": 1e-15} if name in acc.TIGHT else {}
        ref, _ = acc._reference(sc, arm, 0, systems, res.time_h, **tight)
        for key, r in ref.items():
            worst = max(worst, acc._rel_err(res.data[key][ai, 0], r))
        t = time.perf_counter()
        acc._reference(sc, arm, 0, systems, res.time_h, method="LSODA", rtol=1e-6, atol_scale=1e-9)
        scipy_s += time.perf_counter() - t
    return worst, scipy_s


def machine() -> dict:
    """What the numbers were measured on: versions, cores, numba threads and the load average."""
    import numba

    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "cores": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "load_average": os.getloadavg()}
    try:
        import roadrunner

        info["libroadrunner"] = roadrunner.__version__
    except ImportError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the rows to this file")
    ap.add_argument("--only", nargs="*", help="these scenarios only")
    ap.add_argument("--no-reference", action="store_true", help="skip the error and SciPy columns (slow)")
    ap.add_argument("--no-first-call", action="store_true", help="skip the fresh-process first-call columns")
    ap.add_argument("--no-population", action="store_true", help=f"skip the {SUBJECTS}-subject column")
    ap.add_argument("--no-mission", action="store_true", help="skip the mission table (libRoadRunner, SciPy, 4-state PK/PD)")
    ap.add_argument("--subjects", type=int, default=SUBJECTS, help=f"subjects per arm of the population runs ({SUBJECTS})")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: mor_blockade only, 10 subjects, no first call; mission table on the 4-state "
                         "design only, 2 libRoadRunner and 1 SciPy subject")
    args = ap.parse_args(argv)
    from mission import MISSION, PKPD4, RR_SUBJECTS, SCIPY_SUBJECTS
    from mission import HEAD as MISSION_HEAD
    from mission import line as mission_line
    from mission import run as mission_run

    n_pop, rr_n, sp_n, missions, repeats = args.subjects, RR_SUBJECTS, SCIPY_SUBJECTS, MISSION, 3
    if args.quick:
        args.only, args.no_first_call, n_pop, rr_n, sp_n, missions, repeats = ["mor_blockade"], True, 10, 2, 1, (PKPD4,), 1
    acc = None if args.no_reference else accuracy_module()
    info = machine()
    print(f"pdsim on {info['processor']}, {info['cores']} cores, Python {info['python']}, numba {info['numba']} "
          f"({info['numba_threads']} threads), {info['date']}, load average {info['load_average'][0]:.2f}")
    head = f"{'scenario':34s} {'arms':>4s} {'warm 1/arm s':>12s} {f'{n_pop}/arm s':>10s} {'first s':>8s} {'cached s':>8s} " \
           f"{'max rel err':>11s} {'SciPy s':>8s} {'SciPy/pdsim':>11s}"
    print(head)
    rows = []
    for name in args.only or shipped():
        sc = load_scenario(name)
        one = sized(sc, 1) if sc.population.size != 1 else sc
        pdsim.simulate(one)  # warm-up: numba cache load, catalogue
        warm = timed(lambda: pdsim.simulate(one), repeats)
        row = {"scenario": name, "arms": len(sc.arms), "warm_single_s": warm}
        if not args.no_population:
            big = sized(sc, n_pop)
            row.update(subjects=n_pop, population_s=timed(lambda: pdsim.simulate(big), repeats=min(repeats, 2)))
        if not args.no_first_call:
            row.update(first_call(name))
        if acc is not None:
            err, scipy_s = errors_and_scipy(acc, name, one)
            row.update(max_rel_error=err, scipy_loop_s=scipy_s, scipy_ratio=scipy_s / warm if scipy_s else None)
        rows.append(row)
        f = lambda k, fmt: (fmt % row[k]) if row.get(k) is not None else "-".rjust(len(fmt % 0))  # noqa: E731
        print(f"{name:34s} {row['arms']:4d} {f('warm_single_s', '%12.3f')} {f('population_s', '%10.2f')} "
              f"{f('compile_s', '%8.2f')} {f('cached_s', '%8.2f')} {f('max_rel_error', '%11.1e')} "
              f"{f('scipy_loop_s', '%8.2f')} {f('scipy_ratio', '%11.0f')}", flush=True)
    mission_rows = []
    if not args.no_mission:
        print(f"\nMission peers: pdsim {n_pop} subjects/arm (min of 2), libRoadRunner {rr_n} and SciPy {sp_n} per arm "
              "(subjects/s over all arms; errors against pdsim's same subjects)")
        print(MISSION_HEAD)
        for name in missions:
            mission_rows.append(mission_run(name, n_pop, rr_n, sp_n, repeats=min(repeats, 2),
                                            acc=acc or accuracy_module()))
            print(mission_line(mission_rows[-1]), flush=True)
    info["load_average_end"] = os.getloadavg()
    print(f"load average at the end {info['load_average_end'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "scenarios": rows, "mission": mission_rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
