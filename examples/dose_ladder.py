"""Dose ladder: tianeptine from the usual 12.5 mg up to misuse-sized doses, and what MOR occupancy follows.

Run: python examples/dose_ladder.py [OUT.png]   (default: a file in a temporary folder)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pdsim import plot
from pdsim.catalog import drug
from pdsim.dosing import Regimen

#: each step is given three times a day for two days; the last steps reach the 8-20 g/day of case reports
STEPS_MG = ["12.5 mg", "50 mg", "200 mg", "800 mg", "3000 mg"]


def main(out: Path) -> Path:
    tia = drug("tianeptine")
    ladder = Regimen.ladder(STEPS_MG, every="8 h", per_step=6, route="oral")
    t = np.linspace(0, 10 * 24, 10 * 24 * 12 + 1)
    with plot.style():
        fig = Figure(figsize=(15, 5.2), layout="constrained")
        left, right = fig.subplots(1, 2)
    # the plotting functions draw into given axes, so one figure can hold both views
    plot.plot_pk(tia, ladder, t, sites=("free",), log=True, label="Free tianeptine on a dose ladder", ax=left)
    plot.plot_dose_response(tia, ["5 mg", "12.5 mg", "50 mg", "200 mg", "800 mg", "3000 mg", "7000 mg"], "MOR",
                            every="8 h", days=3, ax=right)
    for k, step in enumerate(STEPS_MG):
        left.annotate(step, xy=(k * 2 + 1, 1.0), xycoords=("data", "axes fraction"), ha="center", va="top", fontsize=10)
    with plot.style():
        fig.suptitle("Tianeptine: usual dose to misuse (linear PK assumed at every dose)")
    path = plot.save_figure(fig, out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pdsim-")) / "dose_ladder.png"
    main(target)
