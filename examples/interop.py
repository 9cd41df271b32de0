"""Interoperability: a NONMEM-style dosing table in, an SBML model out, the same curve from both.

Run: python examples/interop.py [OUT.png]   (default: a file in a temporary folder)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import pdsim
from pdsim import plot
from pdsim.sbml import write_sbml
from pdsim.scenario import replay_scenario

# Escitalopram 10 mg once daily for two weeks with the fifth dose missed, as a NONMEM data set
# records it: two dose records with ADDL/II repeats (EVID 1) and one observation row (EVID 0).
TABLE = """\
ID,TIME,AMT,CMT,II,ADDL,EVID,DV
1,0,10,1,24,3,1,.
1,120,10,1,24,8,1,.
1,100,.,2,.,.,0,21.5
"""

SCENARIO = {
    "name": "Escitalopram with a missed dose",
    "duration": "14 day",
    "output_every": "0.5 h",
    "arms": [{"label": "escitalopram", "doses": [{"drug": "escitalopram", "dose": "10 mg", "every": "24 h",
                                                   "count": 14}]}],
}


def main(out: Path) -> Path:
    folder = out.parent
    csv = folder / "escitalopram_doses.csv"
    csv.write_text(TABLE)
    regimen = pdsim.Regimen.from_events(csv, drug="escitalopram")
    print(f"{csv.name}: {len(regimen)} doses, the gap at {regimen.times[4]:g} h follows {regimen.times[3]:g} h")
    # the table replaces the arm's own doses (what `pdsim run SCENARIO --doses FILE.csv` does)
    sc = replay_scenario(pdsim.Scenario.from_dict(SCENARIO), csv)
    result = pdsim.simulate(sc)
    sbml = folder / "escitalopram.xml"
    write_sbml(sc, sbml)
    print(f"wrote {sbml} (SBML Level 3; every parameter annotated with its sources)")

    fig, ax = plt.subplots(figsize=(7, 3.5))
    occ = 100 * result.get("occupancy.SERT")[0]
    ax.plot(result.time_h / 24, occ, lw=2, label="pdsim")
    try:  # libRoadRunner (the `bench` extra) simulates the exported model independently
        import roadrunner
    except ImportError:
        print("libRoadRunner is not installed (pip install -e '.[bench]'); the SBML curve is left out")
    else:
        rr = roadrunner.RoadRunner(sbml.read_text())
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-14
        got = rr.simulate(0, sc.duration, sc.n_times, selections=["time", "occupancy__SERT"])
        ax.plot(got[:, 0] / 24, 100 * got[:, 1], "--", lw=1.2, color="k", label="SBML in libRoadRunner")
        rel = np.max(np.abs(100 * got[:, 1] - occ) / np.maximum(occ, 1e-3 * occ.max()))
        print(f"largest relative difference in SERT occupancy, SBML vs pdsim: {rel:.1e}")
    ax.set_xlabel("day")
    ax.set_ylabel("SERT occupancy (%)")
    ax.set_title("Escitalopram 10 mg daily, fifth dose missed (doses from a NONMEM-style table)")
    ax.legend(frameon=False)
    path = plot.save_figure(fig, out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pdsim-")) / "interop.png"
    main(target)
