"""Non-linear PK benchmark: a paroxetine arm (CYP2D6 auto-inactivation, integrated) against an escitalopram arm (closed form).

Same run, same population size and design, both through `pdsim.simulate`; prints the times and their ratio.
Usage: python benchmarks/nonlinear_pk.py [--subjects N] [--weeks W] [--repeats R]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import pdsim  # noqa: E402

#: minimum therapeutic daily doses of the two SSRIs (meyer2004's design; the drug files' typical doses)
DOSES = {"paroxetine": "20 mg", "escitalopram": "10 mg"}


def scenario(drug: str, subjects: int, weeks: int, systems: list[str]) -> pdsim.Scenario:
    """``drug`` once daily for ``weeks`` weeks, SERT engaged, ``systems`` downstream; clearance CV 30 %."""
    days = 7 * weeks
    return pdsim.Scenario.from_dict({
        "name": f"{drug} {weeks} weeks", "duration": f"{days} day", "output_every": "1 h", "targets": ["SERT"],
        "systems": systems,
        "population": {"size": subjects, "seed": 7, "variability": {f"{drug}.CL": 0.3}},
        "arms": [{"label": drug, "doses": [{"drug": drug, "dose": DOSES[drug], "every": "24 h", "count": days}]}]})


def timed(sc: pdsim.Scenario, repeats: int) -> float:
    """Best of ``repeats`` warm runs (one run before them compiles and fills the caches)."""
    pdsim.simulate(sc)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        pdsim.simulate(sc)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args(argv)
    print(f"{a.subjects} subjects, {a.weeks} weeks, output every hour, warm, best of {a.repeats}")
    print(f"{'design':<26}{'escitalopram s':>16}{'paroxetine s':>14}{'ratio':>8}")
    for label, systems in (("PK + SERT", []), ("PK + SERT + onset system", ["onset"])):
        t = {d: timed(scenario(d, a.subjects, a.weeks, systems), a.repeats) for d in DOSES}
        print(f"{label:<26}{t['escitalopram']:>16.2f}{t['paroxetine']:>14.2f}{t['paroxetine'] / t['escitalopram']:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
