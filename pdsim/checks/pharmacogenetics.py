"""Amitriptyline single doses by CYP2D6 phenotype (matthaei2021 Table 3) and the SmPC's 50 mg peak; sertraline levels; paroxetine's non-linear PK.

The checks run studies/amitriptyline_cyp2d6_single_dose (one 25 mg dose of the hydrochloride) and
studies/amitriptyline_50mg_single_dose through `pdsim.simulate` and read plasma amitriptyline and
nortriptyline in µg/L (= ng/mL), as the sources report them.
"""
from __future__ import annotations

import numpy as np

from ..validation import Outcome, check, study
from ._read import values

STUDY = "amitriptyline_cyp2d6_single_dose"
_NM, _PM = "CYP2D6 normal", "CYP2D6 poor"
#: molar masses (g/mol) of the bases: nM x M / 1000 = µg/L
_M = {"amitriptyline": 277.41, "nortriptyline": 263.38}
#: matthaei2021 Table 3, group means by CYP2D6 gene-dose activity score (n): AS 0 (3), 0.5 (2), 1 (10),
#: 1.5 (6), 2 (11), 2.5 (1), 3 (2). Normal metabolisers (hicks2017) are AS 1-2: n-weighted means below.
_N = {0: 3, 0.5: 2, 1: 10, 1.5: 6, 2: 11, 2.5: 1, 3: 2}
_AMI_CMAX = {0: 10.9, 0.5: 12.7, 1: 11.9, 1.5: 10.3, 2: 10.0, 2.5: 7.0, 3: 10.2}
_NTI_AUC48 = {0: 144.6, 0.5: 222.2, 1: 103.8, 1.5: 98.3, 2: 81.8, 2.5: 89.1, 3: 71.1}
_NORMAL = (1, 1.5, 2)
#: tolerance on the poor/normal nortriptyline AUC ratio: the poor group has 3 subjects and no SD was
#: read, so the ratio is taken as reproduced within +-25 %
_RATIO_TOL = 0.25


def _normal_mean(table: dict) -> float:
    return sum(table[a] * _N[a] for a in _NORMAL) / sum(_N[a] for a in _NORMAL)


def _ug_l(drug: str, arm: str) -> np.ndarray:
    """Plasma ``drug`` in ``arm`` (first subject) in µg/L; zero when the run has none (drug removed)."""
    r = study(STUDY)
    if f"plasma.{drug}" not in r:
        return np.zeros(len(r.time_h))
    return values(r, f"plasma.{drug}", arm)[0] * _M[drug] / 1000.0


def _auc48(drug: str, arm: str) -> float:
    t = study(STUDY).time_h
    return float(np.trapezoid(_ug_l(drug, arm), t))


@check("pgx.amitriptyline_cyp2d6_poor_nortriptyline", references=["matthaei2021"], studies=[STUDY],
       depends=["drugs/nortriptyline:pharmacogenetics.CYP2D6.poor.CL",
                "drugs/amitriptyline:pharmacogenetics.CYP2D6.poor.CL"],
       remove=["amitriptyline"],
       calibrates=["drugs/nortriptyline:pharmacogenetics.CYP2D6.poor.CL",
                   "drugs/amitriptyline:pharmacogenetics.CYP2D6.poor.CL"])
def amitriptyline_cyp2d6_poor_nortriptyline() -> Outcome:
    """A CYP2D6 poor metaboliser has more nortriptyline after one 25 mg amitriptyline dose: AUC0-48
    144.6 µg·h/L at AS 0 against 93.6 (normal, AS 1-2), a ratio of 1.54 (matthaei2021 Table 3).

    Calibrated: the poor multipliers (amitriptyline CL/F, nortriptyline half-life) come from the
    same table, so agreement shows the model carries them through, not an independent test.
    """
    pub = _NTI_AUC48[0] / _normal_mean(_NTI_AUC48)
    nm, pm = _auc48("nortriptyline", _NM), _auc48("nortriptyline", _PM)
    ratio = pm / nm if nm > 0 else float("inf")
    lo, hi = pub * (1 - _RATIO_TOL), pub * (1 + _RATIO_TOL)
    return Outcome(expected=f"nortriptyline AUC0-48 poor/normal {pub:.2f} (144.6 vs {_normal_mean(_NTI_AUC48):.1f} µg·h/L, "
                            f"matthaei2021 Table 3); reproduced within {lo:.2f}-{hi:.2f} (+-25 %, 3 poor metabolisers)",
                   simulated=f"{pm:.1f} vs {nm:.1f} µg·h/L, ratio {ratio:.2f}",
                   reproduced=bool(lo <= ratio <= hi))


@check("pgx.amitriptyline_single_dose_cmax", references=["matthaei2021"], studies=[STUDY],
       depends=["drugs/amitriptyline:pk.human.V", "drugs/amitriptyline:pk.human.F"], remove=["amitriptyline"],
       calibrates=["drugs/amitriptyline:pk.human.V", "drugs/amitriptyline:pk.human.Q",
                   "drugs/amitriptyline:pk.human.V2", "drugs/amitriptyline:pk.human.ka"])
def amitriptyline_single_dose_cmax() -> Outcome:
    """Peak amitriptyline after one 25 mg dose in CYP2D6 normal metabolisers: 10.8 µg/L (n-weighted
    mean of AS 1-2; the seven genotype groups' means span 7.0-12.7 µg/L, matthaei2021 Table 3).

    Calibrated: the two-compartment V, Q, V2 and ka were fitted to this peak (with the SmPC's tmax and
    the distribution and terminal half-lives), so agreement shows the fit is carried through.
    """
    lo, hi = min(_AMI_CMAX.values()), max(_AMI_CMAX.values())
    cmax = float(_ug_l("amitriptyline", _NM).max())
    return Outcome(expected=f"Cmax {_normal_mean(_AMI_CMAX):.1f} µg/L (normal metabolisers); within the genotype-group "
                            f"means {lo:.1f}-{hi:.1f} µg/L (matthaei2021 Table 3)",
                   simulated=f"Cmax {cmax:.2f} µg/L (25 mg hydrochloride = 22.1 mg base, two compartments)",
                   reproduced=bool(lo <= cmax <= hi))


#: matthaei2021 Table 3: amitriptyline CL/F (L/min) by activity score; normal metabolisers AS 1-2 (n-weighted)
_AMI_CLF = {1: 1.81, 1.5: 2.03, 2: 2.25}
#: no SD of the group mean was read: reproduced within +-25 %
_CLF_TOL = 0.25


@check("pgx.amitriptyline_single_dose_clearance", references=["matthaei2021"], studies=[STUDY],
       depends=["drugs/amitriptyline:pk.human.CL", "drugs/amitriptyline:pk.human.F"], remove=["amitriptyline"],
       expect="not reproduced",
       reason="amitriptyline's CL (37.8 L/h) is derived from the SmPC's terminal volume and Garland 1978's half-life, "
              "and with F 0.53 gives CL/F about 71 L/h; matthaei2021's healthy volunteers cleared it faster (122 L/h, "
              "i.e. 64 L/h systemic at F 0.527; i.v. data of Schulz 1983 give 52 L/h). The lower clearance is kept "
              "because it reproduces patients' steady-state levels (pk.amitriptyline_119mg_day_ami_plus_nti); the "
              "two-compartment fit matched Matthaei's peak, not its AUC")
def amitriptyline_single_dose_clearance() -> Outcome:
    """Apparent oral clearance of amitriptyline after one 25 mg dose in CYP2D6 normal metabolisers:
    CL/F 2.04 L/min = 122 L/h (n-weighted mean of AS 1-2, matthaei2021 Table 3); reproduced within
    +-25 % (no SD read). The model's CL/F is dose / AUC0-inf of the simulated curve (AUC0-48 plus the
    terminal extrapolation C48/lambda_z).

    Independent: CL and F come from the SmPC and Garland 1978.
    """
    r = study(STUDY)
    t = r.time_h
    c = _ug_l("amitriptyline", _NM)  # ug/L
    tail = 0.0
    if c[-1] > 0:
        k = float(np.log(c[-2] / c[-1]) / (t[-1] - t[-2]))
        tail = float(c[-1]) / k if k > 0 else float("inf")
    auc = float(np.trapezoid(c, t)) + tail  # ug.h/L
    dose_ug = 25.0 * _M["amitriptyline"] / 313.87 * 1000.0  # 25 mg of the hydrochloride as base
    clf = dose_ug / auc if auc > 0 else float("inf")  # L/h
    pub = _normal_mean(_AMI_CLF) * 60.0
    lo, hi = pub * (1 - _CLF_TOL), pub * (1 + _CLF_TOL)
    return Outcome(expected=f"CL/F {pub:.0f} L/h ({pub / 60:.2f} L/min, normal metabolisers, matthaei2021 Table 3); "
                            f"within {lo:.0f}-{hi:.0f} L/h (+-25 %, no SD read)",
                   simulated=f"CL/F {clf:.0f} L/h (dose / AUC0-inf, AUC {auc:.0f} ug.h/L)",
                   reproduced=bool(lo <= clf <= hi))


SMPC_STUDY = "amitriptyline_50mg_single_dose"
#: amitriptyline_smpc section 5.2: after 50 mg orally, Cmax 30.95 +- 9.61 ng/mL (range 10.85-45.70), tmax 3.89 h
_SMPC_CMAX = (30.95, 9.61)


@check("pk.amitriptyline_50mg_cmax_smpc", references=["amitriptyline_smpc"], studies=[SMPC_STUDY],
       depends=["drugs/amitriptyline:pk.human.V", "drugs/amitriptyline:pk.human.ka"], remove=["amitriptyline"])
def amitriptyline_50mg_cmax_smpc() -> Outcome:
    """Peak plasma amitriptyline after one 50 mg tablet: 30.95 +- 9.61 ng/mL (SmPC 5.2); reproduced
    within one SD.

    Independent of the peak it reports: the two-compartment model was fitted to matthaei2021's 25 mg
    peak (the SmPC gives only the tmax, the volume and F used beside it). The two sources disagree: the
    SmPC mean is about 43 % above matthaei2021 scaled to 50 mg (21.6 ng/mL), so the model sits near the
    lower edge of the SmPC's one-SD band.
    """
    r = study(SMPC_STUDY)
    arm = r.arms[0]
    conc = values(r, "plasma.amitriptyline", arm)[0] * _M["amitriptyline"] / 1000.0 if "plasma.amitriptyline" in r \
        else np.zeros(len(r.time_h))
    mean, sd = _SMPC_CMAX
    cmax, tmax = float(conc.max()), float(r.time_h[int(np.argmax(conc))])
    return Outcome(expected=f"Cmax {mean:g} +- {sd:g} ng/mL after 50 mg (amitriptyline_smpc 5.2); within one SD",
                   simulated=f"Cmax {cmax:.1f} ng/mL at {tmax:.1f} h (50 mg hydrochloride = 44.2 mg base)",
                   reproduced=bool(mean - sd <= cmax <= mean + sd))


SERTRALINE_STUDY = "sertraline_cyp2c19_tdm"
#: braten2020 Table 3: CYP2C19 normal metabolisers, serum sertraline harmonised to 100 mg/day, nM (95 % CI)
_BRATEN_NM = (103.6, 91.8, 116.8)


@check("pk.sertraline_100mg_serum_normal_metabolisers", references=["braten2020"], studies=[SERTRALINE_STUDY],
       depends=["drugs/sertraline:pk.human.CL"], remove=["sertraline"],
       calibrates=["drugs/sertraline:pk.human.CL"])
def sertraline_100mg_serum_normal_metabolisers() -> Outcome:
    """Serum sertraline in CYP2C19 normal metabolisers at 100 mg/day: 103.6 nM (95 % CI 91.8-116.8),
    braten2020 Table 3 (harmonised to 100 mg/day, adjusted for time since the dose); the model's mean
    over the last dosing day at 4 weeks must fall inside the interval. Calibrated: sertraline's CL/F
    was set to this mean (the volunteer AUC of sertraline_microdose_korea2011 is the independent check)."""
    r = study(SERTRALINE_STUDY)
    t = r.time_h
    day = t >= t[-1] - 24.0
    conc = values(r, "plasma.sertraline", "CYP2C19 normal")[0] if "plasma.sertraline" in r else np.zeros(len(t))
    mean = float(conc[day].mean())
    m, lo, hi = _BRATEN_NM
    return Outcome(expected=f"{m:g} nM (95 % CI {lo:g}-{hi:g}) at 100 mg/day, CYP2C19 normal metabolisers (braten2020)",
                   simulated=f"{mean:.0f} nM (mean over day 28)", reproduced=bool(lo <= mean <= hi))


SERTRALINE_SD_STUDY = "sertraline_50mg_single_dose"
#: sertraline_microdose_korea2011 abstract, 50 mg period (6 healthy men): dose-normalised AUC0-inf (ng.h/mL per mg) and
#: Cmax (ng/mL per mg), mean and SD
_KIM_AUC, _KIM_CMAX = (6.0, 1.9), (0.21, 0.08)
_M_SERTRALINE = 306.23


@check("pk.sertraline_50mg_single_dose_auc", references=["sertraline_microdose_korea2011"], studies=[SERTRALINE_SD_STUDY],
       depends=["drugs/sertraline:pk.human.CL", "drugs/sertraline:pk.human.V"], remove=["sertraline"])
def sertraline_50mg_single_dose_auc() -> Outcome:
    """One 50 mg sertraline dose in healthy men: dose-normalised AUC 6.0 +- 1.9 and Cmax 0.21 +- 0.08
    ng/mL per mg (sertraline_microdose_korea2011); both reproduced within one SD.

    Independent: CL/F was set to patients' TDM levels (braten2020), V/F from it and the label's
    half-life, ka from the label's tmax; nothing from this study. The AUC is extrapolated past 96 h
    with the model's terminal rate, as a non-compartmental AUC0-inf is.
    """
    r = study(SERTRALINE_SD_STUDY)
    t = r.time_h
    c = values(r, "plasma.sertraline", r.arms[0])[0] * _M_SERTRALINE / 1000.0 if "plasma.sertraline" in r \
        else np.zeros(len(t))
    tail = 0.0
    if c[-1] > 0:  # extrapolate with the terminal rate, as non-compartmental AUC0-inf does
        k = float(np.log(c[-2] / c[-1]) / (t[-1] - t[-2]))
        tail = float(c[-1]) / k if k > 0 else float("inf")
    auc = (float(np.trapezoid(c, t)) + tail) / 50.0
    cmax = float(c.max()) / 50.0
    (am, asd), (cm, csd) = _KIM_AUC, _KIM_CMAX
    ok = (am - asd <= auc <= am + asd) and (cm - csd <= cmax <= cm + csd)
    return Outcome(expected=f"AUC0-inf {am:g} +- {asd:g} ng.h/mL and Cmax {cm:g} +- {csd:g} ng/mL per mg after 50 mg "
                            f"(sertraline_microdose_korea2011); both within one SD",
                   simulated=f"AUC0-inf {auc:.2f} ng.h/mL and Cmax {cmax:.3f} ng/mL per mg",
                   reproduced=bool(ok))


PAROXETINE_STUDY = "paroxetine_cyp2d6_steady_state"
PAROXETINE_SINGLE = "paroxetine_single_dose"
PAROXETINE_DOSES = "paroxetine_dose_range"
#: sindrup1992 abstract, 30 mg/day for 2 weeks: median AUCss,tau (nmol.h/L) of sparteine extensive and poor metabolisers
_SINDRUP_AUC = {"CYP2D6 normal": 2550.0, "CYP2D6 poor": 4410.0}
#: sindrup1992 abstract: median AUC after the first 30 mg dose (nmol.h/L)
_SINDRUP_SINGLE = {"CYP2D6 normal": 550.0, "CYP2D6 poor": 3910.0}
#: no spread of the medians was read: an AUC within +-25 % of the median counts as reproduced
_AUC_TOL = 0.25
#: kim2015 (Table 2 as transcribed by nlmixr2lib): CL/F proportional to dose^-0.363 at steady state; no interval
#: was read, so the exponent counts as reproduced within +-0.1
_KIM_EXPONENT, _EXP_TOL = -0.363, 0.1
#: paroxetine_label: after 30 mg daily, steady-state AUC about 8 and Cmin about 14 times what the single-dose data
#: predict; mean half-life about 21 h (CV 32 %) after 30 mg daily for 30 days
_LABEL_AUC_X, _LABEL_CMIN_X, _LABEL_T_HALF, _LABEL_CV = 8.0, 14.0, 21.0, 0.32
_PAROXETINE_PK = ["drugs/paroxetine:pk.human.CL_2D6", "drugs/paroxetine:pk.human.kinact", "drugs/paroxetine:pk.human.KI"]


def _paroxetine_nm(name: str, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """(times h, plasma paroxetine nM = nmol/L) of ``arm`` in study ``name`` (zeros when the drug was removed)."""
    r = study(name)
    t = r.time_h
    c = values(r, "plasma.paroxetine", arm)[0] if "plasma.paroxetine" in r else np.zeros(len(t))
    return t, c


def _paroxetine_auc_tau(arm: str) -> float:
    """AUC over the last dosing interval (day 14, 312-336 h) of plasma paroxetine in ``arm``, nM·h (= nmol·h/L)."""
    t, c = _paroxetine_nm(PAROXETINE_STUDY, arm)
    last = t >= t[-1] - 24.0 - 1e-9
    return float(np.trapezoid(c[last], t[last]))


def _auc_inf_single(arm: str) -> float:
    """AUC 0-inf (nmol·h/L) after the single 30 mg dose: trapezoid over 20 days plus the tail C_last / k, k the
    log-linear slope of the last day, as non-compartmental analysis extrapolates."""
    t, c = _paroxetine_nm(PAROXETINE_SINGLE, arm)
    auc = float(np.trapezoid(c, t))
    if c[-1] > 0:
        day = t >= t[-1] - 24.0 - 1e-9
        k = float(np.log(c[day][0] / c[-1]) / (t[-1] - t[day][0]))
        auc += float(c[-1]) / k if k > 0 else float("inf")
    return auc


def _dose_arm(dose: int) -> tuple[np.ndarray, np.ndarray]:
    return _paroxetine_nm(PAROXETINE_DOSES, f"{dose} mg/day")


def _steady_auc(dose: int) -> float:
    """AUC (nmol·h/L) over day 30 (the 30th dose, 696-720 h) of the ``dose`` mg/day arm."""
    t, c = _dose_arm(dose)
    day = (t >= 696.0 - 1e-9) & (t <= 720.0 + 1e-9)
    return float(np.trapezoid(c[day], t[day]))


@check("pgx.paroxetine_cyp2d6_poor_steady_state_ratio", references=["sindrup1992"], studies=[PAROXETINE_STUDY],
       depends=["drugs/paroxetine:pk.human.CL"] + _PAROXETINE_PK, remove=["paroxetine"],
       calibrates=["drugs/paroxetine:pk.human.CL"] + _PAROXETINE_PK)
def paroxetine_cyp2d6_poor_steady_state_ratio() -> Outcome:
    """Paroxetine 30 mg/day for 2 weeks: AUCss,tau poor/extensive metabolisers 4410/2550 = 1.73 (medians,
    sindrup1992 abstract); reproduced within +-25 % (no spread read).

    Calibrated: CL (the poor metabolisers' clearance) was derived from the 4410, and CL_2D6, kinact and
    KI were fitted to the 2550 among others, so agreement shows the phenotype (CL_2D6 x 0) is carried
    through `pdsim.simulate`, not a prediction.
    """
    pub = _SINDRUP_AUC["CYP2D6 poor"] / _SINDRUP_AUC["CYP2D6 normal"]
    nm, pm = _paroxetine_auc_tau("CYP2D6 normal"), _paroxetine_auc_tau("CYP2D6 poor")
    ratio = pm / nm if nm > 0 else float("inf")
    lo, hi = pub * (1 - _AUC_TOL), pub * (1 + _AUC_TOL)
    return Outcome(expected=f"AUCss,tau poor/extensive {pub:.2f} (4410 vs 2550 nmol·h/L, medians, sindrup1992); "
                            f"within {lo:.2f}-{hi:.2f} (+-25 %, no spread read)",
                   simulated=f"{pm:.0f} vs {nm:.0f} nmol·h/L on day 14, ratio {ratio:.2f}",
                   reproduced=bool(lo <= ratio <= hi))


@check("pk.paroxetine_30mg_steady_state_auc", references=["sindrup1992"], studies=[PAROXETINE_STUDY],
       depends=_PAROXETINE_PK, remove=["paroxetine"], calibrates=_PAROXETINE_PK)
def paroxetine_30mg_steady_state_auc() -> Outcome:
    """Paroxetine 30 mg/day for 2 weeks in sparteine extensive metabolisers: median AUCss,tau 2550 nmol·h/L
    (sindrup1992 abstract); reproduced within +-25 % (no spread read).

    Calibrated: CL_2D6, kinact and KI were fitted to this number (with the single-dose AUC and kim2015's
    dose exponent).
    """
    pub = _SINDRUP_AUC["CYP2D6 normal"]
    auc = _paroxetine_auc_tau("CYP2D6 normal")
    lo, hi = pub * (1 - _AUC_TOL), pub * (1 + _AUC_TOL)
    return Outcome(expected=f"AUCss,tau {pub:.0f} nmol·h/L (median, extensive metabolisers, 30 mg/day, sindrup1992); "
                            f"within {lo:.0f}-{hi:.0f} (+-25 %, no spread read)",
                   simulated=f"AUCss,tau {auc:.0f} nmol·h/L on day 14 (CYP2D6 normal)",
                   reproduced=bool(lo <= auc <= hi))


@check("pk.paroxetine_single_vs_steady_state_auc", references=["sindrup1992"],
       studies=[PAROXETINE_SINGLE, PAROXETINE_STUDY], depends=_PAROXETINE_PK, remove=["paroxetine"],
       calibrates=_PAROXETINE_PK)
def paroxetine_single_vs_steady_state_auc() -> Outcome:
    """Extensive metabolisers: AUCss,tau on day 14 of 30 mg/day over AUC 0-inf after the first 30 mg dose,
    2550 / 550 = 4.6 (medians, sindrup1992 abstract); a linear drug would give 1. Within +-25 %.

    Calibrated: both AUCs were among the numbers CL_2D6, kinact and KI were fitted to.
    """
    pub = _SINDRUP_AUC["CYP2D6 normal"] / _SINDRUP_SINGLE["CYP2D6 normal"]
    single, steady = _auc_inf_single("CYP2D6 normal"), _paroxetine_auc_tau("CYP2D6 normal")
    ratio = steady / single if single > 0 else float("inf")
    lo, hi = pub * (1 - _AUC_TOL), pub * (1 + _AUC_TOL)
    return Outcome(expected=f"AUCss,tau / single-dose AUC0-inf {pub:.2f} (2550 / 550 nmol·h/L, extensive metabolisers, "
                            f"30 mg, sindrup1992); within {lo:.2f}-{hi:.2f} (+-25 %); 1 if the PK were linear",
                   simulated=f"{steady:.0f} / {single:.0f} nmol·h/L = {ratio:.2f}",
                   reproduced=bool(lo <= ratio <= hi))


@check("pgx.paroxetine_single_dose_poor_auc", references=["sindrup1992"], studies=[PAROXETINE_SINGLE],
       depends=["drugs/paroxetine:pk.human.CL"], remove=["paroxetine"])
def paroxetine_single_dose_poor_auc() -> Outcome:
    """CYP2D6 poor metabolisers after one 30 mg dose: median AUC 3910 nmol·h/L (sindrup1992 abstract); within
    +-25 %.

    Independent of this number: CL (all a poor metaboliser has) was derived from the same group's
    steady-state AUC (4410), a different measurement; the model's linear kinetics make the two equal.
    """
    pub = _SINDRUP_SINGLE["CYP2D6 poor"]
    auc = _auc_inf_single("CYP2D6 poor")
    lo, hi = pub * (1 - _AUC_TOL), pub * (1 + _AUC_TOL)
    return Outcome(expected=f"AUC0-inf {pub:.0f} nmol·h/L after 30 mg (median, poor metabolisers, sindrup1992); "
                            f"within {lo:.0f}-{hi:.0f} (+-25 %, no spread read)",
                   simulated=f"AUC0-inf {auc:.0f} nmol·h/L (CYP2D6 poor)",
                   reproduced=bool(lo <= auc <= hi))


@check("pk.paroxetine_dose_exponent", references=["kim2015"], studies=[PAROXETINE_DOSES],
       depends=["drugs/paroxetine:pk.human.KI", "drugs/paroxetine:pk.human.kinact"], remove=["paroxetine"],
       calibrates=["drugs/paroxetine:pk.human.KI", "drugs/paroxetine:pk.human.kinact"])
def paroxetine_dose_exponent() -> Outcome:
    """Steady-state CL/F falls with the daily dose as dose^-0.363 (kim2015, 127 outpatients); from day 30 of
    20 and 40 mg/day, exponent = ln(CL40/CL20)/ln 2 with CL = dose / AUCtau. Within +-0.1 (no interval read).

    Calibrated: KI and kinact were fitted to this exponent over the same two doses.
    """
    a20, a40 = _steady_auc(20), _steady_auc(40)
    expo = float(np.log((40.0 / a40) / (20.0 / a20)) / np.log(2.0)) if a20 > 0 and a40 > 0 else 0.0
    return Outcome(expected=f"CL/F proportional to dose^{_KIM_EXPONENT} (kim2015); exponent within "
                            f"{_KIM_EXPONENT - _EXP_TOL:.3f} to {_KIM_EXPONENT + _EXP_TOL:.3f}",
                   simulated=f"exponent {expo:.3f} (AUCtau day 30: {a20:.0f} nmol·h/L at 20 mg/day, {a40:.0f} at 40 mg/day)",
                   reproduced=bool(abs(expo - _KIM_EXPONENT) <= _EXP_TOL))


def _label_accumulation() -> tuple[float, float]:
    """(AUC ratio, Cmin ratio) of 30 mg/day at day 30 over what the single 30 mg dose predicts by superposition:
    AUC 0-inf of one dose, and the trough sum of C_single(24 n h), n >= 1 (CYP2D6 normal)."""
    t1, c1 = _paroxetine_nm(PAROXETINE_SINGLE, "CYP2D6 normal")
    t, c = _dose_arm(30)
    cmin_pred = float(sum(np.interp(24.0 * n, t1, c1) for n in range(1, int(t1[-1] // 24) + 1)))
    cmin = float(np.interp(720.0, t, c))
    single = _auc_inf_single("CYP2D6 normal")
    auc = _steady_auc(30)
    return (auc / single if single > 0 else float("inf")), (cmin / cmin_pred if cmin_pred > 0 else float("inf"))


@check("pk.paroxetine_label_cmin_accumulation", references=["paroxetine_label"],
       studies=[PAROXETINE_SINGLE, PAROXETINE_DOSES], depends=_PAROXETINE_PK, remove=["paroxetine"])
def paroxetine_label_cmin_accumulation() -> Outcome:
    """Label: at steady state on 30 mg daily the trough is about 14 times what the single-dose data predict.
    Model: trough before the 31st dose over the superposed single-dose troughs; within +-25 %.

    Independent: the label's number was not used in any fit (the fit used sindrup1992's AUCs and kim2015).
    """
    _, x = _label_accumulation()
    lo, hi = _LABEL_CMIN_X * (1 - _AUC_TOL), _LABEL_CMIN_X * (1 + _AUC_TOL)
    return Outcome(expected=f"Cmin at steady state about {_LABEL_CMIN_X:g} x the single-dose prediction (paroxetine_label); "
                            f"within {lo:.1f}-{hi:.1f} (+-25 %)",
                   simulated=f"{x:.1f} x (30 mg/day, trough on day 30, CYP2D6 normal)",
                   reproduced=bool(lo <= x <= hi))


@check("pk.paroxetine_label_auc_accumulation", references=["paroxetine_label"],
       studies=[PAROXETINE_SINGLE, PAROXETINE_DOSES], depends=_PAROXETINE_PK, remove=["paroxetine"],
       expect="not reproduced",
       reason="the model is fitted to sindrup1992's extensive metabolisers, whose steady-state AUC was 2550 / 550 = 4.6 "
              "times the single-dose AUC; the label's about 8 comes from other (unstated) studies, and one model "
              "cannot give both")
def paroxetine_label_auc_accumulation() -> Outcome:
    """Label: at steady state on 30 mg daily the AUC is about 8 times what the single-dose data predict
    (AUCtau over single-dose AUC 0-inf); within +-25 %.

    Independent: the label's number was not used in any fit.
    """
    x, _ = _label_accumulation()
    lo, hi = _LABEL_AUC_X * (1 - _AUC_TOL), _LABEL_AUC_X * (1 + _AUC_TOL)
    return Outcome(expected=f"AUC at steady state about {_LABEL_AUC_X:g} x the single-dose prediction (paroxetine_label); "
                            f"within {lo:.1f}-{hi:.1f} (+-25 %)",
                   simulated=f"{x:.1f} x (30 mg/day, AUC over day 30 / single-dose AUC0-inf, CYP2D6 normal)",
                   reproduced=bool(lo <= x <= hi))


@check("pk.paroxetine_label_half_life", references=["paroxetine_label"], studies=[PAROXETINE_DOSES],
       depends=["drugs/paroxetine:pk.human.V"] + _PAROXETINE_PK, remove=["paroxetine"])
def paroxetine_label_half_life() -> Outcome:
    """Label: mean elimination half-life about 21 h (CV 32 %) after 30 mg daily for 30 days. Model: the
    log-linear slope of plasma paroxetine between 24 and 72 h after the 30th dose; within 21 h +- 32 %.

    Independent: V came from the poor metabolisers' half-life (sindrup1992), not from this number. The
    model's apparent half-life shortens over the days after the last dose as CYP2D6 recovers, so the
    window (the first two days, where the label's sampling would weigh most) matters.
    """
    t, c = _dose_arm(30)
    c24, c72 = float(np.interp(720.0, t, c)), float(np.interp(768.0, t, c))
    half = float(np.log(2.0) * 48.0 / np.log(c24 / c72)) if c72 > 0 and c24 > c72 else float("inf")
    lo, hi = _LABEL_T_HALF * (1 - _LABEL_CV), _LABEL_T_HALF * (1 + _LABEL_CV)
    return Outcome(expected=f"half-life about {_LABEL_T_HALF:g} h after 30 mg/day for 30 days (paroxetine_label); "
                            f"within {lo:.1f}-{hi:.1f} h (mean +- its CV of 32 %)",
                   simulated=f"{half:.1f} h (log-linear, 24-72 h after the last dose, CYP2D6 normal)",
                   reproduced=bool(lo <= half <= hi))
