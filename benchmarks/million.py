"""10^6 subjects of the reference population in bounded memory: `pdsim.simulate_summary`, timed.

Runs models/scenarios/reference_population.toml chunk by chunk of subjects, keeping only mean, SD,
min and max over subjects; reports wall time, peak resident memory and the output it did not hold.
Usage: python benchmarks/million.py [--subjects N] [--chunk-size K] [--json PATH]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import pdsim  # noqa: E402
from pdsim.engine import ode  # noqa: E402
from pdsim.engine.plan import arm_chunk, output_times, plan  # noqa: E402

SCENARIO_FILE = ROOT / "models" / "scenarios" / "reference_population.toml"
#: subject-by-subject agreement required between a chunk and the same subjects of a full run
TOLERANCE = 1e-12


def _sized(sc: pdsim.Scenario, n: int) -> pdsim.Scenario:
    return dataclasses.replace(sc, population=dataclasses.replace(sc.population, size=n))


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number (got {text!r}); give e.g. 20000")
    return value


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _max_rel_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """Max over variables, subjects and times of |a - b| / |b| (0 where both are 0, inf where only b is)."""
    if set(a) != set(b):
        return float("inf")
    worst = 0.0
    for name in b:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        diff = np.abs(x - y)
        den = np.abs(y)
        rel = np.where(den > 0, diff / np.where(den > 0, den, 1.0), np.where(diff > 0, np.inf, 0.0))
        worst = max(worst, float(rel.max()))
    return worst


def _chunk_as_summary_runs_it(sc: pdsim.Scenario, chunk: int, first: int, k: int) -> dict[str, np.ndarray]:
    """Subjects first..first+k-1 computed as `simulate_summary` computes that chunk of ``sc``."""
    job, = plan(sc, chunk)
    return arm_chunk(sc, job, first, k, output_times(sc), [])


def _agreement(sc: pdsim.Scenario, chunk: int) -> tuple[float, float, int]:
    """(first chunk, second chunk, subjects compared in the second) against `pdsim.simulate`."""
    n = sc.population.size
    k = min(chunk, n)
    full = pdsim.simulate(_sized(sc, k))
    first = _max_rel_diff(_chunk_as_summary_runs_it(sc, chunk, 0, k), {v: a[0] for v, a in full.data.items()})
    del full
    m = min(chunk, n - k, 1000)  # a chunk that starts past subject 0 needs the population's `first` draws
    if m < 1:
        return first, float("nan"), 0
    full = pdsim.simulate(_sized(sc, k + m))
    second = _max_rel_diff(_chunk_as_summary_runs_it(sc, chunk, k, m), {v: a[0, k:] for v, a in full.data.items()})
    return first, second, m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=_positive, default=1_000_000, help="population size (default 1 000 000)")
    ap.add_argument("--chunk-size", type=_positive, default=20_000, help="subjects per chunk (default 20 000)")
    ap.add_argument("--json", type=Path, help="write the numbers to this file")
    args = ap.parse_args(argv)

    sc = _sized(pdsim.load_scenario(SCENARIO_FILE), args.subjects)
    t0 = time.perf_counter()
    pdsim.simulate_summary(_sized(sc, 2))  # imports, catalogue, numba cache (or compile)
    warm = time.perf_counter() - t0
    rss_warm = _peak_rss_mib()

    t0 = time.perf_counter()
    s = pdsim.simulate_summary(sc, chunk_size=args.chunk_size)
    wall = time.perf_counter() - t0
    rss_peak = _peak_rss_mib()  # before the agreement check, which holds full Results

    # an arm with downstream systems runs in the engine's chunks (`pdsim.engine.plan`), whatever chunk_size is
    chunk = plan(sc, args.chunk_size)[0].chunk
    full_bytes = len(s.variables) * s.n_subjects * s.time_h.size * 8
    chunk_bytes = len(s.variables) * min(chunk, s.n_subjects) * s.time_h.size * 8
    first, second, m = _agreement(sc, chunk)
    threads = ode.THREADS
    out = {
        "subjects": s.n_subjects, "chunk_size": chunk, "variables": len(s.variables), "times": int(s.time_h.size),
        "wall_s": wall, "subjects_per_s": s.n_subjects / wall, "warmup_s": warm,
        "peak_rss_mib": rss_peak, "rss_after_warmup_mib": rss_warm,
        "chunk_output_mib": chunk_bytes / 2**20, "full_output_gib": full_bytes / 2**30,
        "max_rel_diff_first_chunk": first, "max_rel_diff_second_chunk": second, "second_chunk_subjects": m,
        "threads": threads, "python": platform.python_version(), "numpy": np.__version__,
    }
    b = s.mean["effect.reference_turnover"][0]
    print(f"reference population, {s.n_subjects:,} subjects in chunks of {chunk:,} "
          f"({len(s.variables)} variables x {s.time_h.size} times; {threads} threads)")
    print(f"  warm-up (2 subjects: imports, numba cache): {warm:.2f} s")
    print(f"  wall time           {wall:.1f} s  ({s.n_subjects / wall:,.0f} subjects/s)")
    print(f"  peak resident       {rss_peak:,.0f} MiB  (after warm-up {rss_warm:,.0f} MiB; one chunk of output "
          f"{chunk_bytes / 2**20:,.0f} MiB)")
    print(f"  full output avoided {full_bytes / 2**30:,.1f} GiB  (what simulate would hold)")
    print(f"  mean B at {s.time_h[-1]:g} h: {b[-1]:.6f} (SD {s.std['effect.reference_turnover'][0, -1]:.6f})")
    print(f"  first chunk vs simulate({min(chunk, s.n_subjects):,}): max rel diff {first:.2e}")
    if m:
        print(f"  subjects {min(chunk, s.n_subjects):,}..+{m} (second chunk) vs simulate: max rel diff {second:.2e}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    worst = max(first, second if m else 0.0)
    if not worst <= TOLERANCE:
        print(f"FAILED: chunked subjects differ from simulate's by {worst:.2e} (> {TOLERANCE:g})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
