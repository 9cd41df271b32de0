"""Elderly patient: tianeptine and its metabolite MC5 in a young adult and in a 75-year-old on the same tablets.

Run: python examples/elderly_patient.py [OUT.png]   (default: a file in a temporary folder)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from pdsim import catalog, plot
from pdsim.scenario import Scenario
from pdsim.simulate import simulate

# Same regimen (12.5 mg three times daily for 5 days), two patients. The 75-year-old's clearances
# come from the age relations in models/drugs/tianeptine.toml and mc5.toml (Royer 1988: elimination
# half-life about 1 h longer in the elderly; MC5 half-life 12.3 h in elderly patients against 7.2 h in
# young adults); the Result notes state each factor applied.
SCENARIO = {
    "name": "Tianeptine 12.5 mg three times daily: young adult and 75-year-old",
    "duration": "5 day",
    "output_every": "0.1 h",
    "arms": [
        {"label": "Young adult", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 15}]},
        {"label": "75-year-old", "patient": {"age": "75 year"},
         "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 15}]},
    ],
}


def troughs_and_peaks(result) -> dict[tuple[str, str], tuple[float, float]]:
    """(arm, drug) -> (trough, peak) in ng/mL over the last day (day 5, at steady state)."""
    last = result.time_h >= result.time_h[-1] - 24
    out = {}
    for arm in result.arms:
        for drug in ("tianeptine", "mc5"):
            c = np.asarray(result.get(f"plasma.{drug}", arm=arm))[0][last] * catalog.drug(drug).molar_mass.to("g/mol") / 1e3
            out[(arm, drug)] = (float(c.min()), float(c.max()))
    return out


def main(out: Path) -> Path:
    result = simulate(Scenario.from_dict(SCENARIO))
    fig = plot.plot_concentrations(result, ["tianeptine", "mc5"], unit="ng/mL", time_range=(72, 120), sources=True)
    path = plot.save_figure(fig, out)
    for (arm, drug), (lo, hi) in troughs_and_peaks(result).items():
        print(f"{arm:12s} {drug:10s} day 5: trough {lo:5.0f} ng/mL, peak {hi:5.0f} ng/mL")
    for note in result.notes:
        if "CL" in note:
            print("note:", note)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pdsim-")) / "elderly_patient.png"
    main(target)
