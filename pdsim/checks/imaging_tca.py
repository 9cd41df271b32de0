"""Target engagement of the tricyclics against human imaging: NET occupancy of nortriptyline by (S,S)-[18F]FMeNER-D2 PET.

Each check runs studies/net_pet_nortriptyline through `pdsim.simulate` and compares the NET occupancy
users see (``occupancy.NET``) with the papers' means.

What was looked for and not found (so not checked): no human PET/SPECT of amitriptyline itself at NET,
SERT or H1 was read. Lundberg et al. 2012 ([11C]MADAM) pooled five TCA-treated patients without naming
the drugs in the abstract; the [11C]doxepin H1 studies read (Neurosci Lett 1992; Br J Pharmacol 1995)
measured the tracer's own binding, (+)-chlorpheniramine and terfenadine, not a catalogue drug. Amitriptyline therefore engages NET, SERT and
H1 through its in-vitro constants on the free concentration; its metabolite nortriptyline carries the
PET curve at NET.
"""
from __future__ import annotations

from ..validation import Outcome, check, study
from ._read import day_mean, window_max

STUDY = "net_pet_nortriptyline"
_EC50 = "drugs/nortriptyline:targets.NET.in_vivo.EC50"
_CL = "drugs/nortriptyline:pk.human.CL"
_V = "drugs/nortriptyline:pk.human.V"
#: takano2014 abstract: ED50 65.9 mg/d (50 % occupancy); about 50-70 % occupancy at 75-200 mg/d
_ED50_ARM = "Nortriptyline 65.9 mg/day"
_RANGE_ARMS = ("Nortriptyline 75 mg/day", "Nortriptyline 200 mg/day")
_TAKANO_RANGE = (50.0, 70.0)
#: sekine2010 abstract: mean occupancy (%) after single oral doses (mg) in healthy men
_SEKINE = {10: 16.4, 25: 33.2, 75: 41.1}
#: sekine2010 abstract: mean plasma nortriptyline (ng/mL) at the scan (10 mg: below the detection limit)
_SEKINE_PLASMA = {25: 23.7, 75: 50.5}
#: tolerance (percentage points) where the abstracts give means without SDs: the between-subject SDs of
#: transporter occupancy in the SPECT/PET studies the catalogue uses are 5-13 points (klein2007: 5.4-12.7)
_TOL = 10.0
#: "approximately 50-70 %" (takano2014): the range widened by half the tolerance for "approximately"
_APPROX = _TOL / 2
#: nortriptyline base, g/mol (models/drugs/nortriptyline.toml): plasma nM -> ng/mL
_M_NT = 263.38


@check("imaging.nortriptyline_net_pet_patients", references=["takano2014"], studies=[STUDY],
       depends=[_EC50, _CL], remove=["nortriptyline"], calibrates=[_EC50])
def nortriptyline_net_pet_patients() -> Outcome:
    """Nortriptyline at steady state: NET occupancy 50 % at takano2014's ED50 (65.9 mg/d) and about 50-70 %
    at 75-200 mg/d.

    Calibrated: the EC50 (79.8 ng/mL) is these patients' own plasma-occupancy estimate, so only the
    dose-to-plasma step (this catalogue's nortriptyline PK: mean steady-state level F·dose/(CL·τ), which a
    change of volume or compartments leaves unchanged) is tested. Criteria: the ED50 arm within 50 ± 10
    points; 75 and 200 mg/d within 45-75 % ("approximately" 50-70 %, widened by 5 points).
    """
    r = study(STUDY)
    ed50 = 100.0 * day_mean(r, "occupancy.NET", _ED50_ARM, 27)
    rng = {a: 100.0 * day_mean(r, "occupancy.NET", a, 27) for a in _RANGE_ARMS}
    lo, hi = _TAKANO_RANGE
    ok = abs(ed50 - 50.0) <= _TOL and all(lo - _APPROX <= v <= hi + _APPROX for v in rng.values())
    return Outcome(expected=f"50 % at 65.9 mg/d (ED50, within +/-{_TOL:g} points); about {lo:g}-{hi:g} % at 75-200 mg/d "
                            f"(takano2014 abstract, thalamus, 10 patients; read as {lo - _APPROX:g}-{hi + _APPROX:g} %)",
                   simulated=f"65.9 mg/d {ed50:.1f} %; " + "; ".join(f"{a.split()[1]} mg/d {v:.1f} %" for a, v in rng.items())
                             + " (mean over day 28)",
                   reproduced=ok)


@check("imaging.nortriptyline_net_single_dose", references=["sekine2010"], studies=[STUDY],
       depends=[_EC50, _V], remove=["nortriptyline"], expect="not reproduced",
       reason="after 25 mg the model's peak occupancy is about half the measured mean: its peak plasma level is below "
              "the measured 23.7 ng/mL, and the patients' curve (EC50 79.8 ng/mL, takano2014) gives less occupancy at "
              "a given level than these healthy men showed (their own EC50 59.8 ng/mL); the measured levels are also "
              "far from dose-proportional (23.7 at 25 mg, 50.5 at 75 mg), which a linear PK model cannot follow")
def nortriptyline_net_single_dose() -> Outcome:
    """Single oral nortriptyline 10, 25, 75 mg in healthy men: NET occupancy 16.4, 33.2, 41.1 % (sekine2010),
    each within 10 points.

    Independent: neither the curve (takano2014, patients at steady state) nor the PK used these data. The
    abstract does not give the time from dose to scan, so the model's highest occupancy within 24 h is
    compared (the most it allows at any scan time); peak plasma is shown next to the measured level.
    """
    r = study(STUDY)
    got = {d: 100.0 * window_max(r, "occupancy.NET", f"Nortriptyline {d} mg once", 0.0, 24.0) for d in _SEKINE}
    plasma = {d: window_max(r, "plasma.nortriptyline", f"Nortriptyline {d} mg once", 0.0, 24.0) * _M_NT / 1e3
              for d in _SEKINE}
    ok = all(abs(got[d] - m) <= _TOL for d, m in _SEKINE.items())
    return Outcome(expected="; ".join(f"{d} mg {m} %" for d, m in _SEKINE.items())
                            + " (sekine2010 abstract, thalamus; plasma " + ", ".join(f"{c} ng/mL at {d} mg" for d, c in _SEKINE_PLASMA.items())
                            + f"), each within +/-{_TOL:g} points",
                   simulated="; ".join(f"{d} mg {got[d]:.1f} % (peak plasma {plasma[d]:.1f} ng/mL)" for d in _SEKINE),
                   reproduced=ok)
