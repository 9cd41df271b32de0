"""Sensitivity: which tianeptine parameters decide its MOR occupancy? A dose ladder and Sobol indices.

Run: python examples/sensitivity.py [OUT.png]   (default: a file in a temporary folder)
Sobol indices need SALib (pip install "pdsim[sensitivity]"); without it the right panel shows a
one-at-a-time sweep instead. Add client="tcp://host:8786" to any sweep to run it on a Dask cluster.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pdsim import plot, sweep
from pdsim.catalog import drug
from pdsim.scenario import Scenario

#: two days of 12.5 mg three times daily: short, linear PK, no downstream systems, so each run is fast
SCENARIO = {
    "name": "Tianeptine 12.5 mg three times daily, 2 days",
    "duration": "2 day",
    "output_every": "0.25 h",
    "arms": [{"label": "tianeptine", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]}],
}
DOSES = ["5 mg", "12.5 mg", "25 mg", "50 mg", "100 mg", "200 mg", "400 mg", "800 mg", "1600 mg"]
#: the second day, when the 8-hourly profile has settled (elimination half-life about 2.5 h)
OCCUPANCY = "mean:24h-48h:occupancy.MOR"


def bounds() -> dict[str, tuple[float, float]]:
    """Each parameter from half to twice its catalogue value (fu and the MOR Ki are the least certain)."""
    tia = drug("tianeptine")
    out = {f"tianeptine.{k}": tia.pk().params[k].value for k in ("CL", "V", "ka", "fu")}
    out["tianeptine.MOR.affinity"] = tia.affinity("MOR").value
    return {k: (v / 2, v * 2) for k, v in out.items()}


def main(out: Path) -> Path:
    sc = Scenario.from_dict(SCENARIO)
    ladder = sweep.dose_ladder(sc, "tianeptine", "tianeptine", DOSES, {"occupancy": OCCUPANCY})
    print(ladder.to_string(index=False))
    with plot.style():
        fig = Figure(figsize=(14, 5.2), layout="constrained")
        left, right = fig.subplots(1, 2)
    left.semilogx(ladder["amount"], 100 * ladder["occupancy"], "o-")
    left.set(xlabel="dose every 8 h (mg)", ylabel="mean MOR occupancy, day 2 (%)", title="Dose ladder")
    names = list(bounds())
    labels = [n.removeprefix("tianeptine.") for n in names]
    x = np.arange(len(names))
    try:
        si = sweep.sobol(sc, bounds(), OCCUPANCY, n=128, seed=0)
    except sweep.MissingExtraError as exc:  # no SALib: a one-at-a-time sweep is the fallback
        print(f"{exc} Showing a one-at-a-time sweep instead.")
        base = ladder.loc[ladder["dose"] == "12.5 mg", "occupancy"].iloc[0]
        for i, (name, (lo, hi)) in enumerate(bounds().items()):
            g = sweep.grid(sc, {name: [lo, hi]}, OCCUPANCY)[OCCUPANCY]
            right.plot([i, i], 100 * g.to_numpy(), "o-", color="C0")
        right.axhline(100 * base, color="0.5", lw=1)
        right.set(ylabel="mean MOR occupancy at 1/2x and 2x (%)", title="One at a time (SALib not installed)")
    else:
        print(si.round(3).to_string())
        right.bar(x - 0.2, si["S1"], 0.4, yerr=si["S1_conf"], label="first order $S_1$")
        right.bar(x + 0.2, si["ST"], 0.4, yerr=si["ST_conf"], label="total $S_T$")
        right.set(ylabel="Sobol' index", ylim=(0, 1.05), title=f"What decides MOR occupancy ({len(si.attrs['samples'])} runs)")
        right.legend()
    right.set_xticks(x, labels)
    right.set_xlabel("parameter, varied from 1/2x to 2x its catalogue value")
    with plot.style():
        fig.suptitle("Tianeptine 12.5 mg every 8 h: dose and parameter sensitivity of MOR occupancy")
    path = plot.save_figure(fig, out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pdsim-")) / "sensitivity.png"
    main(target)
