"""Target engagement of SNRIs against human [11C]DASB PET: venlafaxine XR (meyer2004) and duloxetine (takano2006).

Each check runs studies/sert_pet_snri through `pdsim.simulate` and compares the SERT occupancy users
see (``occupancy.SERT``) with the paper's means. No NET PET curve was read, so none is checked here.
"""
from __future__ import annotations

import numpy as np

from ..validation import Outcome, check, study
from ._read import day_mean, values

STUDY = "sert_pet_snri"
_EC50 = {d: f"drugs/{d}:targets.SERT.in_vivo.EC50" for d in ("venlafaxine", "o_desmethylvenlafaxine", "duloxetine")}
_VEN_ARM = "Venlafaxine XR 75 mg/day"
_DUL_ONCE, _DUL_REPEAT = "Duloxetine 60 mg once", "Duloxetine 60 mg/day x 7 d"
#: the repeated-dose arm's last dose (7 once-daily doses from 0 h)
_DUL_LAST_H = 144.0
#: meyer2004 abstract: mean striatal SERT occupancy 76-85 % at the minimum therapeutic dose of five drugs
#: (venlafaxine XR among them), whole percent
_MEYER_RANGE = (76, 85)
#: takano2006 abstract: mean occupancy (%) h after a single 60 mg dose, and after the last repeated dose
_TAKANO_SINGLE = {6: 81.8, 25: 71.9, 53: 44.9}
_TAKANO_REPEAT = {6: 84.3, 49: 71.9, 78: 47.1}
#: tolerance (percentage points) where the abstract gives means without SDs: the between-subject SDs of
#: SERT occupancy in the SPECT/PET studies the catalogue uses are 5-13 points (klein2007: 5.4-12.7)
_TOL = 10.0


def _at(arm: str, t_h: float) -> float:
    """SERT occupancy (%) of one arm of sert_pet_snri at t_h (mean over subjects)."""
    r = study(STUDY)
    i = int(np.argmin(np.abs(r.time_h - t_h)))
    return float(100.0 * values(r, "occupancy.SERT", arm)[:, i].mean())


@check("imaging.venlafaxine_sert_pet_min_dose", references=["meyer2004"], studies=[STUDY],
       depends=[_EC50["o_desmethylvenlafaxine"]], remove=["venlafaxine"],
       calibrates=[_EC50["venlafaxine"], _EC50["o_desmethylvenlafaxine"]])
def venlafaxine_sert_pet_min_dose() -> Outcome:
    """Venlafaxine XR 75 mg/day for 4 weeks: SERT occupancy (venlafaxine + ODV) in meyer2004's 76-85 %.

    Calibrated: the one-pool EC50 (20.1 nM, venlafaxine and ODV) was set by bisection so that the day-28
    mean is the class value 80 %; this shows consistency only. ODV carries about two thirds of the pool
    (1.8 times venlafaxine's molar exposure), so its EC50 is what the verdict depends on: venlafaxine's
    alone x10 still leaves 78 %.
    """
    v = 100.0 * day_mean(study(STUDY), "occupancy.SERT", _VEN_ARM, 27)
    lo, hi = _MEYER_RANGE
    return Outcome(expected=f"{lo}-{hi} % after 4 weeks at the minimum therapeutic dose (meyer2004 abstract, range over "
                            f"five drugs incl. venlafaxine XR; per-drug mean not read)",
                   simulated=f"{v:.1f} % (mean over day 28)", reproduced=lo <= round(v) <= hi)


@check("imaging.duloxetine_sert_single_dose_time_course", references=["takano2006"], studies=[STUDY],
       depends=[_EC50["duloxetine"]], remove=["duloxetine"], calibrates=[_EC50["duloxetine"]])
def duloxetine_sert_single_dose_time_course() -> Outcome:
    """Duloxetine 60 mg once: SERT occupancy 6, 25 and 53 h later within 10 points of takano2006's means.

    Calibrated: EC50 (1.86 ng/mL, Emax 0.85) was fitted by least squares to these three means
    (residuals -1.9, +0.4, +0.2 points).
    """
    got = {h: _at(_DUL_ONCE, h) for h in _TAKANO_SINGLE}
    ok = all(abs(got[h] - m) <= _TOL for h, m in _TAKANO_SINGLE.items())
    return Outcome(expected="; ".join(f"{h} h {m} %" for h, m in _TAKANO_SINGLE.items())
                            + f" (takano2006 abstract, [11C]DASB), each within +/-{_TOL:g} points",
                   simulated="; ".join(f"{h} h {v:.1f} %" for h, v in got.items()), reproduced=ok)


@check("imaging.duloxetine_sert_repeated_dose_6h", references=["takano2006"], studies=[STUDY],
       depends=[_EC50["duloxetine"], "drugs/duloxetine:pk.human.CL"], remove=["duloxetine"])
def duloxetine_sert_repeated_dose_6h() -> Outcome:
    """Duloxetine 60 mg/day: occupancy 6 h after the last repeated dose, 84.3 % (takano2006), within 10 points.

    Independent: the fit used the single-dose time course only.
    """
    v = _at(_DUL_REPEAT, _DUL_LAST_H + 6)
    m = _TAKANO_REPEAT[6]
    return Outcome(expected=f"{m} % 6 h after the last of repeated 60 mg doses (takano2006 abstract; number of doses not "
                            f"given, steady state assumed), within +/-{_TOL:g} points; not used in the fit",
                   simulated=f"{v:.1f} %", reproduced=abs(v - m) <= _TOL)


@check("imaging.duloxetine_sert_washout_after_repeated_dosing", references=["takano2006"], studies=[STUDY],
       depends=[_EC50["duloxetine"], "drugs/duloxetine:pk.human.V"], remove=["duloxetine"], expect="not reproduced",
       reason="a level, not a delay: inverted through the fitted curve (occupancy hyperbolic in total plasma), "
              "takano2006's 71.9 % and 47.1 % mean 10.2 and 2.3 ng/mL, a decline with half-life 13.5 h, close to "
              "the label's 12 h (range 8-17 h) that the model follows; a brain-equilibration delay (ke0) slow "
              "enough to raise the 49-h value would also slow that decline, so none is indicated. The two points "
              "lie 2.9-3.5 times above the model's level after seven once-daily doses with linear PK; the abstract "
              "gives neither the number of doses nor who was scanned, and no source read explains the difference")
def duloxetine_sert_washout_after_repeated_dosing() -> Outcome:
    """Duloxetine 60 mg/day: occupancy 49 and 78 h after the last repeated dose, 71.9 and 47.1 % (takano2006),
    each within 10 points. Independent: not used in the fit.
    """
    got = {h: _at(_DUL_REPEAT, _DUL_LAST_H + h) for h in (49, 78)}
    ok = all(abs(got[h] - _TAKANO_REPEAT[h]) <= _TOL for h in got)
    return Outcome(expected="; ".join(f"{h} h {_TAKANO_REPEAT[h]} %" for h in got)
                            + f" after the last repeated 60 mg dose (takano2006 abstract), each within +/-{_TOL:g} points",
                   simulated="; ".join(f"{h} h {v:.1f} %" for h, v in got.items()), reproduced=ok)
