"""Claims as checks for PK and receptor theory: affinity and occupancy at usual and misuse doses.

Each check computes from the catalogue with closed forms (steady state by exact accumulation).
"""
from __future__ import annotations

from ..validation import Outcome, check


@check("theory.tianeptine_mor_moderate_affinity", claims=["tianeptine.mor.affinity_moderate"])
def tianeptine_mor_moderate_affinity() -> Outcome:
    """Moderate MOR affinity: Ki between 100 nM and 1 uM, over 100-fold weaker than morphine's, so
    that usual doses (12.5 mg three times daily) occupy under a quarter of MOR at the free
    steady-state peak while misuse-range doses (2 g four times daily) occupy most of it."""
    from .. import catalog
    from ..pk import steady_state
    from ..receptors import occupancy

    tia, mor = catalog.drug("tianeptine"), catalog.drug("morphine")
    ki = tia.affinity("MOR").to("nM")
    ratio = ki / mor.affinity("MOR").to("nM")
    peak_ther = steady_state("tianeptine", "12.5 mg", "8 h", site="free").cmax.to("nM").magnitude
    peak_mis = steady_state("tianeptine", "2000 mg", "6 h", site="free").cmax.to("nM").magnitude
    occ_ther, occ_mis = occupancy(peak_ther, ki), occupancy(peak_mis, ki)
    ok = 100 <= ki <= 1000 and ratio > 100 and occ_ther < 0.25 and occ_mis > 0.5
    return Outcome(
        expected="Ki 100-1000 nM, >100x weaker than morphine; peak MOR occupancy <25 % at 12.5 mg x3/day, >50 % at 2 g x4/day",
        simulated=(f"Ki {ki:.0f} nM ({ratio:.0f}x morphine's); free Cmax,ss {peak_ther:.1f} nM -> occupancy {occ_ther:.1%}; "
                   f"misuse {peak_mis:.0f} nM -> {occ_mis:.1%}"),
        reproduced=bool(ok),
    )
