"""Reference population benchmark: pdsim's kernel against libRoadRunner and a SciPy loop, same run.

Usage: python benchmarks/population.py [--subjects N] [--json PATH] [--quick]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from pdsim import kernels  # noqa: E402
from pdsim.population import sample_parameters  # noqa: E402

R = kernels.REFERENCE
T_OUT, DOSE_T = kernels.reference_times()
SEED = 20240
DAYS = R["duration_h"] / 24.0
VARS = ("C", "occ", "B")


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
# engines: each returns (outputs of the first n_keep subjects (n_keep, 3, n_times), extra info)


def _params(n: int) -> dict[str, np.ndarray]:
    return sample_parameters(R["typical"], R["cv"], n, SEED)


def run_pdsim(n: int, n_keep: int, backend: str = "auto", threads: int | None = None):
    if threads is not None and kernels.HAVE_NUMBA:
        import numba

        numba.set_num_threads(threads)
    res = kernels.run_reference_population(n, SEED, outputs=VARS, backend=backend)
    return np.stack([res[v][:n_keep] for v in VARS], axis=1)


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
    """SciPy DOP853 at rtol 1e-13, dose interval by dose interval, for the first subjects."""
    p = _params(n_ref)
    return np.stack([_solve_subject(p["ka"][i], p["CL"][i], p["V"][i], "DOP853", 1e-13, 1e-14) for i in range(n_ref)])


def max_rel_error(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Max relative error per variable; denominator floored at 1e-3 × the subject's max."""
    m = min(len(y), len(ref))
    y, ref = y[:m], ref[:m]
    floor = 1e-3 * np.abs(ref).max(axis=2, keepdims=True)
    return (np.abs(y - ref) / np.maximum(np.abs(ref), floor)).max(axis=(0, 2))


# ---------------------------------------------------------------------------------------------
# timing in a child process (own peak memory; numba threads never started in the parent)


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _child(conn, engine: str, n: int, n_keep: int, repeats: int, kwargs: dict):
    try:
        import resource

        fn = ENGINES[engine][0]
        t0 = time.perf_counter()
        fn(min(n, 2), n_keep, **kwargs)  # warm-up: imports, numba compile or cache load, model build
        warm = time.perf_counter() - t0
        base = _rss_mib()
        times = []
        for _ in range(repeats):
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


def measure(engine: str, n: int, n_keep: int, repeats: int) -> dict:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    kwargs = ENGINES[engine][1]
    proc = ctx.Process(target=_child, args=(child, engine, n, n_keep, repeats, kwargs))
    proc.start()
    child.close()
    msg = parent.recv()
    proc.join()
    return msg


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


ENGINES = {
    "pdsim": (run_pdsim, {}),
    "pdsim, 1 thread": (run_pdsim, {"threads": 1}),
    "pdsim, NumPy (no numba)": (run_pdsim, {"backend": "numpy"}),
    "libRoadRunner": (run_roadrunner, {}),
    "SciPy LSODA loop": (run_scipy, {}),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, help="run this one population size only")
    ap.add_argument("--json", type=Path, help="write the summary of the largest size to this file")
    ap.add_argument("--quick", action="store_true", help="small sizes and a 5-subject reference (smoke test)")
    ap.add_argument("--budget", type=float, default=180.0, help="seconds a peer run may take before it is extrapolated")
    ap.add_argument("--ref-subjects", type=int, default=None, help="subjects in the accuracy reference (default 100, quick 5)")
    args = ap.parse_args(argv)
    sizes = [args.subjects] if args.subjects else ([1, 100] if args.quick else [1, 100, 1000, 10000])
    n_ref = args.ref_subjects or (5 if args.quick else 100)
    n_ref = min(n_ref, max(sizes))
    budget = 20.0 if args.quick and args.budget == 180.0 else args.budget

    print(f"reference population: {R['count']} oral doses of {R['dose_mg']} mg every {R['every_h']:g} h, "
          f"{DAYS:g} days, hourly output ({T_OUT.size} points), 30 % CV on ka, CL, V; seed {SEED}")
    import numpy

    info = [f"python {platform.python_version()}", f"numpy {numpy.__version__}", f"cpus {os.cpu_count()}"]
    if kernels.HAVE_NUMBA:
        import numba

        info.append(f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)")
    else:
        info.append("numba not installed")
    if _available("roadrunner"):
        import roadrunner

        info.append(f"libroadrunner {roadrunner.__version__}")
    print("; ".join(info))

    t0 = time.perf_counter()
    ref = reference(n_ref)
    print(f"accuracy reference: SciPy DOP853 rtol 1e-13 on the first {n_ref} subjects ({time.perf_counter() - t0:.1f} s)")

    engines = [e for e in ENGINES if kernels.HAVE_NUMBA or e != "pdsim, 1 thread"]
    rows, missing, per_subject = [], {}, {}
    for n in sizes:
        for engine in engines:
            if engine in missing:
                continue
            peer = not engine.startswith("pdsim")
            if engine == "libRoadRunner" and not (_available("roadrunner") and _available("antimony")):
                missing[engine] = "not installed (pip install libroadrunner antimony)"
                continue
            est = per_subject.get(engine, 0.0) * n
            if peer and est > budget:
                rows.append({"engine": engine, "n": n, "wall": est, "extrapolated": per_subject[engine + " from"],
                             "peak": None, "err": None})
                continue
            repeats = 3 if (est < 10.0 or not peer) else 1
            msg = measure(engine, n, n_ref, repeats)
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
                         "err": max_rel_error(msg["keep"], ref), "warm": msg["warm"]})
            print(f"  measured {engine:<26} n={n:<6} {wall:9.4f} s  (warm-up {msg['warm']:.2f} s)", flush=True)

    pd_wall = {r["n"]: r["wall"] for r in rows if r["engine"] == "pdsim"}
    print()
    head = f"| {'engine':<26} | {'subjects':>8} | {'wall (s)':>10} | {'subject-days/s':>14} | {'pdsim speed-up':>14} | {'peak MiB':>8} | {'max rel error C / occ / B':<27} |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        wall = f"{r['wall']:.4f}" + ("*" if r["extrapolated"] else "")
        speed = f"{r['n'] * DAYS / r['wall']:.3g}"
        ratio = "" if r["engine"] == "pdsim" or r["n"] not in pd_wall else f"{r['wall'] / pd_wall[r['n']]:.1f}x"
        peak = "" if r["peak"] is None else f"{r['peak']:.0f}"
        err = "" if r["err"] is None else " / ".join(f"{e:.1e}" for e in r["err"])
        print(f"| {r['engine']:<26} | {r['n']:>8} | {wall:>10} | {speed:>14} | {ratio:>14} | {peak:>8} | {err:<27} |")
    for r in rows:
        if r["extrapolated"]:
            print(f"* {r['engine']} at {r['n']} subjects: extrapolated linearly from the {r['extrapolated']}-subject run "
                  f"(it would take more than {budget:g} s).")
    for engine, why in missing.items():
        print(f"{engine}: {why}")
    print("pdsim speed-up = peer wall time / pdsim wall time at the same size; errors against the reference on the "
          f"first {n_ref} subjects (denominator floored at 1e-3 x each subject's max).")

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
