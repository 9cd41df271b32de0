"""Amitriptyline and nortriptyline at steady state: patients' mean plasma levels at a mean daily dose.

The checks run studies/tricyclic_steady_state (six weeks of amitriptyline hydrochloride 119 mg/day,
or nortriptyline hydrochloride 117 mg/day, the mean doses of archgenpsych1977_ami_nti) through
`pdsim.simulate` and compare the mean plasma level over the last day with the study's mean.
"""
from __future__ import annotations

from ..validation import Outcome, check, study
from ._read import values

STUDY = "tricyclic_steady_state"
_AMI_ARM, _NTI_ARM = "Amitriptyline 119 mg/day", "Nortriptyline 117 mg/day"
#: molar masses (g/mol) of the bases: nM x M / 1000 = ng/mL
_M = {"amitriptyline": 277.41, "nortriptyline": 263.38}
#: archgenpsych1977_ami_nti abstract: mean levels (ng/mL) at the mean doses, no SD read
_AMI_PLUS_NTI, _NTI_ALONE = 120.0, 141.0
#: tolerance on a group mean whose SD was not read: +-30 %. Between-patient CVs of tricyclic levels at
#: a fixed dose are larger (levels vary several-fold, e.g. 10- to 30-fold in TDM series), so a
#: typical subject within 30 % of a mean of 19-22 patients is a fair, not a loose, reading.
_TOL = 0.30


def _last_day_mean(drug: str, arm: str) -> float:
    """Mean plasma ``drug`` (ng/mL) over the last 24 h of ``arm``."""
    r = study(STUDY)
    t = r.time_h
    day = t >= t[-1] - 24.0
    return float(values(r, f"plasma.{drug}", arm)[0][day].mean()) * _M[drug] / 1000.0


@check("pk.amitriptyline_119mg_day_ami_plus_nti", references=["archgenpsych1977_ami_nti"], studies=[STUDY],
       depends=["drugs/amitriptyline:pk.human.CL", "drugs/amitriptyline:pk.human.F",
                "drugs/nortriptyline:pk.human.CL"],
       remove=["amitriptyline"])
def amitriptyline_119mg_day_ami_plus_nti() -> Outcome:
    """Outpatients on amitriptyline hydrochloride, mean 119 mg/day for six weeks: mean amitriptyline
    plus nortriptyline 120 ng/mL (archgenpsych1977_ami_nti, n 22); reproduced within +-30 % (no SD read).

    Independent: amitriptyline's CL and F come from the SmPC and Garland 1978, nortriptyline's CL from
    the single-dose AUC ratio (Garland 1978, Burch 1981); none from this study.
    """
    ami, nti = _last_day_mean("amitriptyline", _AMI_ARM), _last_day_mean("nortriptyline", _AMI_ARM)
    total = ami + nti
    lo, hi = _AMI_PLUS_NTI * (1 - _TOL), _AMI_PLUS_NTI * (1 + _TOL)
    return Outcome(expected=f"amitriptyline + nortriptyline {_AMI_PLUS_NTI:g} ng/mL at 119 mg/day (archgenpsych1977_ami_nti); "
                            f"within {lo:.0f}-{hi:.0f} (+-30 %, no SD read)",
                   simulated=f"{total:.0f} ng/mL (amitriptyline {ami:.0f} + nortriptyline {nti:.0f}, mean over day 42)",
                   reproduced=bool(lo <= total <= hi))


@check("pk.nortriptyline_117mg_day", references=["archgenpsych1977_ami_nti"], studies=[STUDY],
       depends=["drugs/nortriptyline:pk.human.CL", "drugs/nortriptyline:pk.human.F"],
       remove=["nortriptyline"])
def nortriptyline_117mg_day() -> Outcome:
    """Outpatients on nortriptyline hydrochloride, mean 117 mg/day for six weeks: mean nortriptyline
    141 ng/mL (archgenpsych1977_ami_nti, n 19); reproduced within +-30 % (no SD read).

    Independent: nortriptyline's CL is derived from amitriptyline single-dose studies and its F from
    the Nortrilen SmPC; none from this study.
    """
    nti = _last_day_mean("nortriptyline", _NTI_ARM)
    lo, hi = _NTI_ALONE * (1 - _TOL), _NTI_ALONE * (1 + _TOL)
    return Outcome(expected=f"nortriptyline {_NTI_ALONE:g} ng/mL at 117 mg/day (archgenpsych1977_ami_nti); "
                            f"within {lo:.0f}-{hi:.0f} (+-30 %, no SD read)",
                   simulated=f"{nti:.0f} ng/mL (mean over day 42)",
                   reproduced=bool(lo <= nti <= hi))
