"""Reference population benchmark: pdsim.simulate against libRoadRunner and a SciPy loop, same run.

The scenario is models/scenarios/reference_population.toml (the reference population scenario of
shared/benchmarks/README.md written as a pdsim scenario); pdsim is timed through `pdsim.simulate`.
Usage: python benchmarks/population.py [--subjects N] [--json PATH] [--quick]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
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

from pdsim import catalog  # noqa: E402
from pdsim.population import sample_parameters  # noqa: E402
from pdsim.scenario import Scenario, load_scenario  # noqa: E402

SCENARIO_FILE = ROOT / "models" / "scenarios" / "reference_population.toml"
SC = load_scenario(SCENARIO_FILE)
DOSE = SC.arms[0].doses[0]
DRUG = DOSE.drug
SEED = SC.population.seed
T_OUT = np.round(np.arange(SC.n_times) * SC.output_every, 12)
DOSE_T = np.asarray(DOSE.times, dtype=float)
DAYS = SC.duration / 24.0
VARS = ("C", "occ", "B")
RESULT_VARS = (f"plasma.{DRUG}", "effect.reference_occupancy", "effect.reference_turnover")


def _constants() -> dict[str, float]:
    """The model's numbers, read from the drug and system files the scenario uses."""
    pk = catalog.drug(DRUG).pk("human").params
    sysp = catalog.system("reference_benchmark").parameters
    c = {"dose_mg": DOSE.amount, "molar_mass": catalog.drug(DRUG).molar_mass.to("g/mol"),
         "ke0": pk["ke0"].to("1/h"), "F": pk["F"].to("dimensionless"), "fu": pk["fu"].to("dimensionless")}
    for k, unit in (("KA", "nM"), ("tau", "1"), ("Em", "1"), ("n", "1"), ("kt", "1/h"), ("alpha", "1"),
                    ("kin", "1/h"), ("kout", "1/h"), ("Smax", "1")):
        c[k] = sysp[k].to(unit if unit != "1" else "dimensionless")
    c["typical"] = {f"{DRUG}.{k}": pk[k].to(u) for k, u in (("ka", "1/h"), ("CL", "L/h"), ("V", "L"))}
    return c


R = _constants()
CV = dict(SC.population.variability)


#: the reference population scenario as the benchmark specifies it (canonical units); the scenario
#: file must say the same
REFERENCE: dict = {
    "dose_mg": 12.5, "every_h": 8.0, "count": 84, "route": "oral",
    "typical": {"ka": 2.0, "CL": 15.0, "V": 50.0}, "cv": {"ka": 0.3, "CL": 0.3, "V": 0.3},
    "molar_mass": 436.95, "ke0": 1.0, "KA": 400.0, "tau": 3.0, "Em": 1.0,
    "kt": 0.02, "alpha": 0.5, "kout": 0.05, "kin": 0.05, "Smax": 0.8,
    "duration_h": 672.0, "output_every_h": 1.0,
}


def _check_scenario() -> None:
    """The scenario file must be the benchmark's reference scenario (`REFERENCE`)."""
    ref = REFERENCE
    same = [R["dose_mg"] == ref["dose_mg"], DOSE.every == ref["every_h"], DOSE.count == ref["count"],
            DOSE.route == ref["route"], SC.duration == ref["duration_h"], SC.output_every == ref["output_every_h"],
            R["F"] == 1.0, R["fu"] == 1.0, R["n"] == 1.0, sorted(CV) == sorted(R["typical"]),
            all(cv == 0.3 for cv in CV.values())]
    same += [R[k] == ref[k] for k in ("molar_mass", "ke0", "KA", "tau", "Em", "kt", "alpha", "kin", "kout", "Smax")]
    same += [R["typical"][f"{DRUG}.{k}"] == v for k, v in ref["typical"].items()]
    if not all(same):
        raise SystemExit(f"{SCENARIO_FILE} no longer matches the reference scenario (REFERENCE in this script); fix one of them.")


# ---------------------------------------------------------------------------------------------
# the model as a plain ODE (SciPy peer and reference)


def _rhs_factory(ka: float, cl: float, v: float):
    k, conv = cl / v, 1e6 / R["molar_mass"] / v
    ke0, ka_, tau, em = R["ke0"], R["KA"], R["tau"], R["Em"]
    kt, alpha, kin, kout, smax = R["kt"], R["alpha"], R["kin"], R["kout"], R["Smax"]

    def rhs(t, y):
        ag, ac, ce, tol, b = y
        occ = ce / (ce + ka_)
        e = em * tau * occ / (1.0 + tau * occ)
        return [-ka * ag, ka * ag - k * ac, ke0 * (conv * ac - ce), kt * (e - tol),
                kin * (1.0 + smax * e * (1.0 - alpha * tol)) - kout * b]

    return rhs


def _observe(y: np.ndarray, v: float) -> np.ndarray:
    c = y[1] / v * 1e6 / R["molar_mass"]
    return np.array([c, y[2] / (y[2] + R["KA"]), y[4]])


def _solve_subject(ka: float, cl: float, v: float, method: str, rtol: float, atol: float) -> np.ndarray:
    """One subject, dose interval by dose interval (the solver restarts at every dose)."""
    from scipy.integrate import solve_ivp

    rhs = _rhs_factory(ka, cl, v)
    y = np.array([0.0, 0.0, 0.0, 0.0, R["kin"] / R["kout"]])
    out = np.empty((5, T_OUT.size))
    edges = np.r_[DOSE_T, T_OUT[-1]]
    for a, b in zip(edges[:-1], edges[1:]):
        y[0] += R["dose_mg"]
        sel = np.flatnonzero((T_OUT >= a) & (T_OUT < b))
        t_eval = np.r_[T_OUT[sel], b]
        sol = solve_ivp(rhs, (a, b), y, method=method, rtol=rtol, atol=atol, t_eval=t_eval)
        if not sol.success:
            raise RuntimeError(f"{method} failed: {sol.message}")
        out[:, sel] = sol.y[:, :-1]
        y = sol.y[:, -1].copy()
    out[:, -1] = y
    return _observe(out, v)


# ---------------------------------------------------------------------------------------------
# engines: each returns the outputs of the first n_keep subjects (n_keep, 3, n_times)


def _params(n: int) -> dict[str, np.ndarray]:
    """ka, CL, V of subjects 0..n-1: the same draws (same keys, same seed) as pdsim.simulate.

    A population of one is the typical subject (pdsim's rule for ``size = 1``), for every engine.
    """
    if n == 1:
        return {k.split(".", 1)[1]: np.array([v]) for k, v in R["typical"].items()}
    p = sample_parameters(R["typical"], CV, n, SEED)
    return {k.split(".", 1)[1]: v for k, v in p.items()}


def scenario(n: int) -> Scenario:
    """The reference scenario with ``n`` subjects (Scenario is frozen: dataclasses.replace)."""
    return dataclasses.replace(SC, population=dataclasses.replace(SC.population, size=n))


def _set_threads(threads: int | None) -> None:
    """Threads the engine runs chunks of subjects on (`pdsim.engine.ode.THREADS`, default one per core)."""
    if threads is not None:
        from pdsim.engine import ode

        ode.THREADS = threads


def run_simulate(n: int, n_keep: int, threads: int | None = None):
    """`pdsim.simulate` on the scenario file (loaded once; Scenario.from_dict is not timed)."""
    from pdsim import simulate

    _set_threads(threads)
    res = simulate(scenario(n))
    return np.stack([res.data[v][0, :n_keep] for v in RESULT_VARS], axis=1)


_ANTIMONY = """
model reference_population
  ka = 2.0; CL = 15.0; V = 50.0; MW = {mw}
  ke0 = {ke0}; KA = {KA}; tau = {tau}; Em = {Em}
  kt = {kt}; alpha = {alpha}; kin = {kin}; kout = {kout}; Smax = {Smax}
  Ag = {dose}; Ac = 0; Ce = 0; T = 0; B = kin / kout
  C := Ac / V * 1e6 / MW
  occ := Ce / (Ce + KA)
  E := Em * tau * occ / (1 + tau * occ)
  S := E * (1 - alpha * T)
  Ag' = -ka * Ag
  Ac' = ka * Ag - CL / V * Ac
  Ce' = ke0 * (C - Ce)
  T' = kt * (E - T)
  B' = kin * (1 + Smax * S) - kout * B
{events}
end
"""


def _roadrunner_model():
    import antimony
    import roadrunner

    # the dose at t = 0 is the initial gut amount; the other 83 doses are SBML events
    events = "\n".join(f"  d{i}: at (time >= {t:g}): Ag = Ag + {R['dose_mg']}" for i, t in enumerate(DOSE_T[1:], 1))
    text = _ANTIMONY.format(mw=R["molar_mass"], dose=R["dose_mg"], events=events,
                            **{k: R[k] for k in ("ke0", "KA", "tau", "Em", "kt", "alpha", "kin", "kout", "Smax")})
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise RuntimeError(antimony.getLastError())
    rr = roadrunner.RoadRunner(antimony.getSBMLString("reference_population"))
    rr.integrator.relative_tolerance = 1e-6
    rr.timeCourseSelections = ["time", "C", "occ", "B"]
    return rr


def run_roadrunner(n: int, n_keep: int):
    rr = _roadrunner_model()
    p = _params(n)
    keep = np.empty((min(n, n_keep), 3, T_OUT.size))
    for i in range(n):
        rr.reset()
        rr["ka"], rr["CL"], rr["V"] = p["ka"][i], p["CL"][i], p["V"][i]
        res = rr.simulate(0.0, float(T_OUT[-1]), int(T_OUT.size))
        if i < n_keep:
            keep[i] = np.asarray(res)[:, 1:].T
    return keep


def run_scipy(n: int, n_keep: int):
    p = _params(n)
    keep = np.empty((min(n, n_keep), 3, T_OUT.size))
    for i in range(n):
        y = _solve_subject(p["ka"][i], p["CL"][i], p["V"][i], "LSODA", 1e-6, 1e-9)
        if i < n_keep:
            keep[i] = y
    return keep


def reference(n_ref: int) -> np.ndarray:
    """SciPy DOP853 at rtol 1e-13, dose interval by dose interval, for the first subjects (typical one if n_ref = 1)."""
    p = _params(n_ref)
    return np.stack([_solve_subject(p["ka"][i], p["CL"][i], p["V"][i], "DOP853", 1e-13, 1e-14) for i in range(n_ref)])


def max_rel_error(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Max relative error per variable; denominator floored at 1e-3 × the subject's max."""
    m = min(len(y), len(ref))
    y, ref = y[:m], ref[:m]
    floor = 1e-3 * np.abs(ref).max(axis=2, keepdims=True)
    return (np.abs(y - ref) / np.maximum(np.abs(ref), floor)).max(axis=(0, 2))


# ---------------------------------------------------------------------------------------------
# the multi-target arm: six targets (and a metabolite) against one target, through simulate

MT_DOSES = {"amitriptyline": "75 mg", "escitalopram": "10 mg"}


def _mt_scenario(drug: str, n: int, targets: list[str] | None) -> Scenario:
    d = {"name": f"multi-target cost: {drug}", "duration": "28 day", "output_every": "1 h",
         "arms": [{"label": drug, "doses": [{"drug": drug, "dose": MT_DOSES[drug], "every": "24 h", "count": 28}]}],
         "population": {"size": n, "seed": SEED, "variability": {f"{drug}.CL": 0.3, f"{drug}.V": 0.3}}}
    if targets is not None:
        d["targets"] = targets
    return Scenario.from_dict(d)


def run_multi(n: int, n_keep: int, drug: str, targets: list[str] | None = None):
    from pdsim import simulate

    res = simulate(_mt_scenario(drug, n, targets))
    return len(res.data)


MT_ENGINES = {
    "amitriptyline, 6 targets": {"drug": "amitriptyline", "targets": ["SERT", "NET", "H1", "mAChR", "alpha1", "Nav"]},
    "amitriptyline, SERT only": {"drug": "amitriptyline", "targets": ["SERT"]},
    "escitalopram, SERT": {"drug": "escitalopram"},
}


# ---------------------------------------------------------------------------------------------
# timing in a child process (own peak memory; numba threads never started in the parent)


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _child(conn, fn, n: int, n_keep: int, repeats: int, kwargs: dict):
    try:
        import resource

        t0 = time.perf_counter()
        fn(min(n, 2), n_keep, **kwargs)  # warm-up: imports, numba cache load (or compile), model build
        warm = time.perf_counter() - t0
        base = _rss_mib()
        times = []
        keep = None
        for _ in range(repeats):
            keep = None  # drop the last result before the next run
            t0 = time.perf_counter()
            keep = fn(n, n_keep, **kwargs)
            times.append(time.perf_counter() - t0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 - base
        conn.send({"times": times, "warm": warm, "peak_mib": max(peak, 0.0), "keep": keep})
    except ImportError as exc:
        conn.send({"missing": str(exc)})
    except Exception as exc:  # report, do not hang the parent
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    conn.close()


def measure(fn, kwargs: dict, n: int, n_keep: int, repeats: int) -> dict:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, n, n_keep, repeats, kwargs))
    proc.start()
    child.close()
    msg = parent.recv()
    proc.join()
    return msg


_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import dataclasses
from pdsim import simulate
from pdsim.scenario import load_scenario
sc = load_scenario({path!r})
sc = dataclasses.replace(sc, population=dataclasses.replace(sc.population, size=2))
t1 = time.perf_counter()
simulate(sc)
t2 = time.perf_counter()
simulate(sc)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first": t2 - t1, "second": t3 - t2}}))
"""


def first_call_costs() -> dict[str, float] | None:
    """numba compile (empty cache) and cache load (warm cache): first minus second simulate call in a fresh process."""
    code = _FIRST_CALL.format(root=str(ROOT), path=str(SCENARIO_FILE))
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("compile", "cache_load"):
            run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            t = json.loads(run.stdout.strip().splitlines()[-1])
            out[label] = t["first"] - t["second"]
            out["import"] = t["import"]
    return out


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


ENGINES = {
    "pdsim": (run_simulate, {}),
    "pdsim, 1 thread": (run_simulate, {"threads": 1}),
    "libRoadRunner": (run_roadrunner, {}),
    "SciPy LSODA loop": (run_scipy, {}),
}
PEER_CALIBRATION = 1000  # a peer asked for more subjects than this, with no estimate yet, is first run here


#: repeats of each multi-target arm (the minimum is reported, with the median beside it)
MT_REPEATS = 7


def _multi_target(n: int) -> list[dict]:
    rows = []
    for label, kw in MT_ENGINES.items():
        # 7 repeats: these arms are short and memory-bound, and a run that must fault in fresh pages (the
        # allocator's reuse of freed memory varies from run to run) takes up to 5x longer than one that does not
        msg = measure(run_multi, kw, n, 0, MT_REPEATS)
        if "times" not in msg:
            rows.append({"engine": label, "error": msg.get("error") or msg.get("missing")})
            continue
        rows.append({"engine": label, "wall": min(msg["times"]), "median": float(np.median(msg["times"])),
                     "variables": msg["keep"], "peak": msg["peak_mib"]})
        print(f"  measured {label:<30} n={n:<6} {rows[-1]['wall']:9.4f} s (median of {MT_REPEATS}: "
              f"{rows[-1]['median']:.4f} s)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, help="run this one population size only")
    ap.add_argument("--json", type=Path, help="write the summary of the largest size to this file")
    ap.add_argument("--quick", action="store_true", help="small sizes and a 5-subject reference (smoke test)")
    ap.add_argument("--budget", type=float, default=180.0, help="seconds a peer run may take before it is extrapolated")
    ap.add_argument("--ref-subjects", type=int, default=None, help="subjects in the accuracy reference (default 100, quick 5)")
    ap.add_argument("--mt-subjects", type=int, default=None, help="subjects of the multi-target comparison (default 1000, quick 100; 0 skips it)")
    args = ap.parse_args(argv)
    _check_scenario()
    sizes = [args.subjects] if args.subjects else ([1, 100] if args.quick else [1, 100, 1000, 10000])
    n_ref = args.ref_subjects or (5 if args.quick else 100)
    n_ref = min(n_ref, max(sizes))
    budget = 20.0 if args.quick and args.budget == 180.0 else args.budget
    n_mt = args.mt_subjects if args.mt_subjects is not None else (100 if args.quick else 1000)

    print(f"reference population ({SCENARIO_FILE.relative_to(ROOT)}): {DOSE.count} {DOSE.route} doses of "
          f"{R['dose_mg']:g} mg every {DOSE.every:g} h, {DAYS:g} days, output every {SC.output_every:g} h "
          f"({T_OUT.size} points), 30 % CV on ka, CL, V; seed {SEED}")
    import numpy

    info = [f"python {platform.python_version()}", f"numpy {numpy.__version__}", f"cpus {os.cpu_count()}"]
    import numba

    from pdsim.engine.ode import THREADS

    info.append(f"numba {numba.__version__} (engine threads {THREADS})")
    if _available("roadrunner"):
        import roadrunner

        info.append(f"libroadrunner {roadrunner.__version__}")
    print("; ".join(info))

    first = first_call_costs()
    if first:
        print(f"first simulate call in a fresh process (2 subjects): numba compile {first['compile']:.1f} s with an empty "
              f"cache, cache load {first['cache_load']:.2f} s with a warm one (import pdsim + load scenario "
              f"{first['import']:.2f} s); neither is in the timings below")

    t0 = time.perf_counter()
    ref = reference(n_ref)
    ref_one = reference(1)  # a population of one is the typical subject
    print(f"accuracy reference: SciPy DOP853 rtol 1e-13 on the first {n_ref} subjects and the typical one "
          f"({time.perf_counter() - t0:.1f} s)")

    engines = list(ENGINES)
    rows, missing, per_subject = [], {}, {}
    for n in sizes:
        for engine in engines:
            if engine in missing:
                continue
            fn, kwargs = ENGINES[engine]
            peer = not engine.startswith("pdsim")
            if engine == "libRoadRunner" and not (_available("roadrunner") and _available("antimony")):
                missing[engine] = "not installed (pip install libroadrunner antimony)"
                continue
            if peer and engine not in per_subject and n > PEER_CALIBRATION:
                msg = measure(fn, kwargs, PEER_CALIBRATION, 0, 1)
                if "times" in msg:
                    per_subject[engine] = min(msg["times"]) / PEER_CALIBRATION
                    per_subject[engine + " from"] = PEER_CALIBRATION
            est = per_subject.get(engine, 0.0) * n
            if peer and est > budget:
                rows.append({"engine": engine, "n": n, "wall": est, "extrapolated": per_subject[engine + " from"],
                             "peak": None, "err": None})
                continue
            repeats = 3 if (est < 10.0 or not peer) else 1
            msg = measure(fn, kwargs, n, n_ref, repeats)
            if "missing" in msg:
                missing[engine] = f"not installed ({msg['missing']})"
                continue
            if "error" in msg:
                missing[engine] = f"failed: {msg['error']}"
                continue
            wall = min(msg["times"])
            per_subject[engine] = wall / n
            per_subject[engine + " from"] = n
            rows.append({"engine": engine, "n": n, "wall": wall, "extrapolated": None, "peak": msg["peak_mib"],
                         "err": max_rel_error(msg["keep"], ref_one if n == 1 else ref), "warm": msg["warm"]})
            print(f"  measured {engine:<30} n={n:<6} {wall:9.4f} s  (warm-up {msg['warm']:.2f} s)", flush=True)

    pd_wall = {r["n"]: r["wall"] for r in rows if r["engine"] == "pdsim"}
    print()
    head = (f"| {'engine':<30} | {'subjects':>8} | {'wall (s)':>10} | {'subject-days/s':>14} | {'pdsim speed-up':>14} "
            f"| {'peak MiB':>8} | {'max rel error C / occ / B':<27} |")
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        wall = f"{r['wall']:.4f}" + ("*" if r["extrapolated"] else "")
        speed = f"{r['n'] * DAYS / r['wall']:.3g}"
        ratio = "" if r["engine"] == "pdsim" or r["n"] not in pd_wall else f"{r['wall'] / pd_wall[r['n']]:.{1 if r['wall'] > pd_wall[r['n']] else 2}f}x"
        peak = "" if r["peak"] is None else f"{r['peak']:.0f}"
        err = "" if r["err"] is None else " / ".join(f"{e:.1e}" for e in r["err"])
        print(f"| {r['engine']:<30} | {r['n']:>8} | {wall:>10} | {speed:>14} | {ratio:>14} | {peak:>8} | {err:<27} |")
    for r in rows:
        if r["extrapolated"]:
            print(f"* {r['engine']} at {r['n']} subjects: extrapolated linearly from the {r['extrapolated']}-subject run "
                  f"(it would take more than {budget:g} s).")
    for engine, why in missing.items():
        print(f"{engine}: {why}")
    print("pdsim = pdsim.simulate(scenario) (Result with 6 variables), the general engine every scenario takes. pdsim speed-up = wall time / pdsim wall time at the same size (below 1x: faster than simulate); "
          f"errors against the reference on the first {n_ref} subjects (denominator floored at 1e-3 x each subject's max); "
          "a population of one is the typical subject (pdsim's rule), for every engine.")

    if n_mt > 0:
        print(f"\nmulti-target arm through simulate, {n_mt} subjects, 28 daily doses, hourly output, 30 % CV on CL and V:")
        mt = _multi_target(n_mt)
        walls = {r["engine"]: r.get("wall") for r in mt}
        base = walls.get("amitriptyline, 6 targets")
        for r in mt:
            if "wall" not in r:
                print(f"  {r['engine']}: failed: {r['error']}")
                continue
            print(f"  {r['engine']:<28} {r['wall']:8.3f} s  {r['variables']:>3} variables  peak {r['peak']:.0f} MiB"
                  + (f"  6-target arm costs {base / r['wall']:.2f}x this" if base and r["engine"] != "amitriptyline, 6 targets" else ""))
        print("  (amitriptyline: SERT, NET, H1, mAChR, alpha1, Nav, with nortriptyline formed and competing at SERT and NET; "
              "'SERT only' is the same arm with targets = ['SERT'], so the ratio to it is the cost of five more targets)")

    if args.json:
        n = max(sizes)

        def wall_of(engine):
            r = [x for x in rows if x["engine"] == engine and x["n"] == n]
            return r[0]["wall"] if r else None

        pd = wall_of("pdsim")
        rr = wall_of("libRoadRunner")
        pd_err = [x["err"] for x in rows if x["engine"] == "pdsim" and x["n"] == n]
        summary = {
            "subjects": n,
            "pdsim_s": pd,
            "roadrunner_s": rr,
            "scipy_s": wall_of("SciPy LSODA loop"),
            "ratio_roadrunner": (rr / pd) if (rr and pd) else None,
            "max_rel_error": float(max(pd_err[0])) if pd_err else None,
        }
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
