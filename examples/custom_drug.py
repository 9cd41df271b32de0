"""Custom drug: load a drug you define in TOML, dose it, and set its target profile beside escitalopram's.

Run: python examples/custom_drug.py [OUT.png]   (default: a file in a temporary folder)
The drug file, examples/custom_drug.toml, describes a fictional compound; every value is marked assumed.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pdsim import plot
from pdsim.catalog import drug, load_drug_file
from pdsim.dosing import Regimen
from pdsim.pk import concentration
from pdsim.receptors import occupancy

HERE = Path(__file__).resolve().parent
TARGETS = ["SERT", "NET", "H1", "mAChR", "alpha1"]


def steady_free_nM(dr, dose: str) -> float:
    """Mean free concentration over day 14 of a once-daily dose (nM)."""
    t = np.linspace(0, 14 * 24, 14 * 24 * 4 + 1)
    reg = Regimen.repeated(dose=dose, every="24 h", count=14, route="oral")
    c = concentration(dr, reg, t, site="free").to("nM").magnitude
    return float(c[t >= 13 * 24].mean())


def main(out: Path) -> Path:
    custom = load_drug_file(HERE / "custom_drug.toml")  # validated like any catalogue drug file
    esc = drug("escitalopram")
    rows = {}
    for dr, dose in ((custom, "20 mg"), (esc, "10 mg")):
        c = steady_free_nM(dr, dose)
        # each drug alone: one ligand per target, so occupancy is Hill-Langmuir with its own constant
        rows[f"{dr.display_name} {dose}"] = [occupancy(c, dr.affinity(t).to("nM")) if t in dr.targets else np.nan
                                            for t in TARGETS]
        print(f"{dr.display_name} {dose} once daily: free {c:.1f} nM on day 14")
    profile = pd.DataFrame.from_dict(rows, orient="index", columns=TARGETS)
    with plot.style():
        fig = Figure(figsize=(15, 5.0), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.1, 1.0])
    t = np.linspace(0, 7 * 24, 7 * 24 * 4 + 1)
    plot.plot_pk(custom, Regimen.repeated(dose="20 mg", every="24 h", count=7), t, label="Exemplaxetine 20 mg once daily",
                 ax=left)
    plot.plot_receptor_profile(profile, kind="occupancy", title="Occupancy on day 14 (– no affinity)", ax=right)
    with plot.style():
        fig.supxlabel("Exemplaxetine is fictional: every value in custom_drug.toml is an assumption.", fontsize=10)
    path = plot.save_figure(fig, out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="pdsim-")) / "custom_drug.png"
    main(target)
