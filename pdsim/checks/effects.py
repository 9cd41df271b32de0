"""Claims as checks for the downstream physiology: HPA axis, BDNF and signalling, plasticity, onset, tolerance.

Every check reads a study scenario (models/scenarios/studies/) run through `pdsim.simulate`: the dose,
its timing against the stress session, the species' PK and the readout day are those of the study.
"""
from __future__ import annotations

from ..validation import Outcome, check, study
from ._read import (
    HOURS_PER_DAY,
    at,
    day_mean,
    end,
    residual,
    series,
    window_max,
)

# ---------------------------------------------------------------------- decision rules
#: a stress effect counts as present when the state moves at least this far from control
MIN_STRESS_EFFECT = 0.05
#: "prevents"/"reverses": the drug leaves at most this fraction of the stress-induced change
PREVENTED_RESIDUAL = 0.5
#: "attenuates": the drug removes at least this fraction of the stress-evoked rise
MIN_ATTENUATION = 0.1
#: "normalises": the drug leaves at most this fraction of the stress-induced excess
NORMALISED_RESIDUAL = 1.0 / 3.0
#: a drug effect counts as an increase/decrease when it moves the state at least this far
MIN_DRUG_EFFECT = 0.05
#: the reported -33 % (czeh2001) must be reproduced within this absolute tolerance (fraction of control)
CZEH_TOLERANCE = 0.01
#: onset "lags weeks": 90 % of the day-56 antidepressant-like effect takes 2-4 weeks (the amitriptyline
#: label's onset window) while the day-1 effect is under a quarter of it
ONSET_WINDOW_DAYS = (14.0, 28.0)
EARLY_FRACTION_MAX = 0.25
#: "fast": the MOR-driven effect reaches 90 % of its final value within a day
FAST_ONSET_MAX_DAYS = 1.0
#: withdrawal: misuse-level stopping drops the response at least this far below baseline
MIN_REBOUND = 0.2
#: tolerance: the sustained net effect falls at least this fraction below its early peak
MIN_TOLERANCE = 0.3
#: SERT block raises extracellular 5-HT at least this many fold on the first day of dosing
MIN_5HT_RISE = 2.0
#: "abolishes": at most this fraction of the effect is left
ABOLISHED_RESIDUAL = 0.05

#: why the drug-prevention checks of the rat and tree-shrew studies fall short on the simulated time course
PULSED_DRUG = ("the downstream drug action follows the MOR signal instantly, and rat tianeptine (t1/2 under an hour) "
               "leaves almost no signal between daily doses, so the drug protects only for a few hours a day. The "
               "coupling was set when the checks used a constant signal at the time-averaged concentration; on the "
               "simulated time course no plausible half-effect signal fixes it (Czeh 2001 proliferation: 70 % of the "
               "loss left at signal_half_effect 0.03, still 48 % at 0.0003). The claims imply a drug action that "
               "outlasts plasma exposure, which the model does not have")

# ---------------------------------------------------------------------- study designs
CRS = "restraint_21d_rat"
CRS_ARMS = ("Control", "Control + tianeptine", "Restraint + vehicle", "Restraint + tianeptine")
CTL, CTL_T, VEH, TIA = CRS_ARMS
#: the restraint studies' session starts 9 h into each day (stress.toml chronic_restraint_onset_hour)
SESSION_ONSET_H = 9.0
SESSION_HOURS = 6.0
LAST_DAY = 20  # 0-based: day 21 of 21
ONSET = "onset_human"
SSRI_ARM, TCA_ARM, TIA_ARM = "Escitalopram 10 mg/day", "Amitriptyline 25 mg every 8 h", "Tianeptine 12.5 mg every 8 h"

_HPA = ["systems/hpa:parameters.drug_attenuation", "systems/hpa:parameters.signal_half_effect",
        "drugs/tianeptine:targets.MOR.tau"]
_BDNF = ["systems/bdnf_signalling:parameters.signal_half_effect", "drugs/tianeptine:targets.MOR.tau"]
_PLAST = ["systems/plasticity:parameters.signal_half_effect", "drugs/tianeptine:targets.MOR.tau"]


def _gc() -> str:
    return "effect.corticosterone"


# ---------------------------------------------------------------------- neurogenesis and volume (tree shrew)
PSY = "psychosocial_35d_tree_shrew"


def _czeh(state: str) -> tuple[float, float]:
    r = study(PSY)
    last = float(r.time_h[-1]) / HOURS_PER_DAY - 1
    key = f"effect.{state}"
    c = day_mean(r, key, "Control", last)
    return day_mean(r, key, "Stress + vehicle", last) / c, day_mean(r, key, "Stress + tianeptine", last) / c


@check("effects.czeh2001_proliferation", studies=[PSY], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.precursor_proliferation_drug_protection",
                         "systems/plasticity:parameters.precursor_proliferation_stress_steady_state"] + _PLAST,
       claims=["neurogenesis.tree_shrew.proliferation_minus33", "neurogenesis.stress.suppression",
               "neurogenesis.tianeptine.prevents_reduction"],
       expect="not reproduced", reason=PULSED_DRUG)
def czeh2001_proliferation() -> Outcome:
    stress, drug_arm = _czeh("precursor_proliferation")
    left = residual(stress, drug_arm, 1.0)
    ok = abs(stress - 0.67) <= CZEH_TOLERANCE and left <= PREVENTED_RESIDUAL
    return Outcome(
        expected=f"psychosocial stress 35 d: proliferation 0.67 ± {CZEH_TOLERANCE} of control (−33 %, Czéh 2001); "
                 f"tianeptine 50 mg/kg/d p.o. from day 7 leaves ≤ {PREVENTED_RESIDUAL:.0%} of the loss",
        simulated=f"last-day mean: stress {stress:.3f}; stress + tianeptine {drug_arm:.3f} ({left:.0%} of the loss left)",
        reproduced=bool(ok),
    )


@check("effects.czeh2001_hippocampal_volume", studies=[PSY], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.hippocampal_volume_drug_protection",
                         "systems/plasticity:parameters.hippocampal_volume_stress_fold"] + _PLAST,
       claims=["plasticity.tree_shrew.hippocampal_volume"],
       expect="not reproduced", reason=PULSED_DRUG)
def czeh2001_hippocampal_volume() -> Outcome:
    stress, drug_arm = _czeh("hippocampal_volume")
    left = residual(stress, drug_arm, 1.0)
    ok = stress < 1.0 and left <= PREVENTED_RESIDUAL
    return Outcome(
        expected=f"psychosocial stress lowers hippocampal volume (small); tianeptine leaves ≤ {PREVENTED_RESIDUAL:.0%} of the decrease",
        simulated=f"last-day mean: stress {stress:.3f}; stress + tianeptine {drug_arm:.3f} ({left:.0%} left)",
        reproduced=bool(ok),
    )


# ---------------------------------------------------------------------- HPA axis (rat, chronic restraint)
def _session_rise(r, state: str, arm: str) -> float:
    """Rise of ``state`` during the day-21 session: its peak in the session minus its value at onset."""
    on = LAST_DAY * HOURS_PER_DAY + SESSION_ONSET_H
    key = f"effect.{state}"
    return window_max(r, key, arm, on, on + SESSION_HOURS) - at(r, key, arm, on)


@check("effects.tianeptine_attenuates_stress_hpa", studies=[CRS], remove=["tianeptine"], depends=_HPA,
       claims=["tianeptine.hpa.acth_cort_attenuation", "tianeptine.hpa.acth_cort_chronic", "tianeptine.hpa.hypothalamic_crf"])
def tianeptine_attenuates_stress_hpa() -> Outcome:
    r = study(CRS)
    parts, ok = [], True
    for state in ("crh", "acth", "corticosterone"):
        rv, rt = _session_rise(r, state, VEH), _session_rise(r, state, TIA)
        cut = 1.0 - rt / rv if rv > 0 else 0.0
        ok &= rv > 0 and cut >= MIN_ATTENUATION
        parts.append(f"{state} rise {rv:.2f} → {rt:.2f} (−{cut:.0%})")
    return Outcome(
        expected=f"day 21 of restraint (rat): tianeptine 10 mg/kg i.p. 30 min before the session cuts the session-evoked "
                 f"CRH, ACTH and corticosterone rise by ≥ {MIN_ATTENUATION:.0%}",
        simulated="; ".join(parts),
        reproduced=bool(ok),
    )


@check("effects.chronic_stress_hpa_overactivation", studies=[CRS], depends=["systems/hpa:parameters.stress_gain"],
       claims=["stress.hpa.overactivation"])
def chronic_stress_hpa_overactivation() -> Outcome:
    r = study(CRS)
    gc = day_mean(r, _gc(), VEH, LAST_DAY) / day_mean(r, _gc(), CTL, LAST_DAY)
    adrenal = end(r, "effect.adrenal_mass", VEH) / end(r, "effect.adrenal_mass", CTL)
    ok = gc >= 1.0 + MIN_STRESS_EFFECT and adrenal >= 1.0 + MIN_STRESS_EFFECT
    return Outcome(
        expected=f"21 d restraint raises the day-21 mean corticosterone and the adrenal mass by ≥ {MIN_STRESS_EFFECT:.0%} over controls",
        simulated=f"day-21 mean corticosterone {gc:.2f} × control; adrenal mass {adrenal:.3f} × control",
        reproduced=bool(ok),
    )


def _chronic_excess() -> tuple[float, float]:
    r = study(CRS)
    c = day_mean(r, _gc(), CTL, LAST_DAY)
    return day_mean(r, _gc(), VEH, LAST_DAY) / c - 1.0, day_mean(r, _gc(), TIA, LAST_DAY) / c - 1.0


@check("effects.tianeptine_damps_chronic_stress_hpa", studies=[CRS], remove=["tianeptine"], depends=_HPA,
       claims=["tianeptine.hpa.regulates", "hpa.depression.dysregulation"])
def tianeptine_damps_chronic_stress_hpa() -> Outcome:
    ev, et = _chronic_excess()
    cut = 1 - et / ev if ev > 0 else 0.0
    return Outcome(
        expected=f"tianeptine moves the day-21 corticosterone excess of chronic restraint toward normal by ≥ {MIN_ATTENUATION:.0%}",
        simulated=f"day-21 mean excess over control {ev:.3f} (vehicle) → {et:.3f} (tianeptine), −{cut:.0%}",
        reproduced=bool(ev > 0 and cut >= MIN_ATTENUATION),
    )


@check("effects.tianeptine_normalises_chronic_stress_hpa", studies=[CRS], remove=["tianeptine"], depends=_HPA,
       claims=["tianeptine.hpa.normalizes_chronic_stress"],
       expect="not reproduced",
       reason=("the drug-HPA coupling is an assumed partial attenuation of the stress-induced CRH drive (drug_attenuation "
               "0.5 at full drug action); with rat PK (t1/2 under an hour) tianeptine given 30 min before the session acts "
               "during its first hours only, so it damps the corticosterone excess but does not return it to normal; "
               "no source gives the coupling strength"))
def tianeptine_normalises_chronic_stress_hpa() -> Outcome:
    ev, et = _chronic_excess()
    left = et / ev if ev > 0 else float("inf")
    return Outcome(
        expected=f"tianeptine leaves ≤ {NORMALISED_RESIDUAL:.0%} of the day-21 corticosterone excess of chronic restraint",
        simulated=f"day-21 mean excess {ev:.3f} (vehicle) → {et:.3f} (tianeptine), {left:.0%} left",
        reproduced=bool(left <= NORMALISED_RESIDUAL),
    )


# ---------------------------------------------------------------------- dendrites
@check("effects.stress_ca3_atrophy_tianeptine_prevents", studies=[CRS], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.ca3_dendrite_length_drug_protection",
                         "systems/plasticity:parameters.ca3_branch_points_drug_protection"] + _PLAST,
       claims=["stress.dendrites.ca3_retraction", "plasticity.ca3.apical_length", "plasticity.ca3.branch_points"],
       expect="not reproduced", reason=PULSED_DRUG)
def stress_ca3_atrophy_tianeptine_prevents() -> Outcome:
    r = study(CRS)
    parts, ok = [], True
    for state in ("ca3_dendrite_length", "ca3_branch_points"):
        key = f"effect.{state}"
        c, sv, dv = end(r, key, CTL), end(r, key, VEH), end(r, key, TIA)
        left = residual(sv, dv, c)
        ok &= sv / c <= 1.0 - MIN_STRESS_EFFECT and left <= PREVENTED_RESIDUAL
        parts.append(f"{state} {sv / c:.3f} (stress) vs {dv / c:.3f} (+ tianeptine, {left:.0%} left)")
    return Outcome(
        expected=f"21 d restraint shortens CA3 apical dendrites and cuts branch points by ≥ {MIN_STRESS_EFFECT:.0%}; "
                 f"tianeptine 10 mg/kg i.p. before each session leaves ≤ {PREVENTED_RESIDUAL:.0%} of the loss",
        simulated="day 21, × control: " + "; ".join(parts),
        reproduced=bool(ok),
    )


REV = "restraint_42d_reversal_rat"


@check("effects.tianeptine_reverses_ca3_atrophy", studies=[REV], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.ca3_dendrite_length_drug_protection",
                         "systems/plasticity:parameters.ca3_dendrite_length_driver_gain"] + _PLAST,
       claims=["tianeptine.dendrites.prevents_and_reverses", "tianeptine.plasticity.reverses_atrophy"],
       expect="not reproduced", reason=PULSED_DRUG)
def tianeptine_reverses_ca3_atrophy() -> Outcome:
    r = study(REV)
    veh, tia = "Restraint + vehicle", "Restraint + tianeptine from day 21"
    key = "effect.ca3_dendrite_length"
    at_start = at(r, key, tia, 21 * HOURS_PER_DAY)
    end_v, end_t = end(r, key, veh), end(r, key, tia)
    bdnf_up = end(r, "effect.bdnf_hippocampus", tia) > end(r, "effect.bdnf_hippocampus", veh)
    left = residual(end_v, end_t, 1.0)
    ok = at_start <= 1.0 - MIN_STRESS_EFFECT and end_t > at_start and left <= PREVENTED_RESIDUAL and bdnf_up
    return Outcome(
        expected=(f"restraint continued to day 42, tianeptine from day 21: CA3 length recovers from its day-21 atrophy and ends "
                  f"with ≤ {PREVENTED_RESIDUAL:.0%} of the vehicle group's atrophy, with hippocampal BDNF higher"),
        simulated=(f"CA3 length day 21 {at_start:.3f}; day 42 vehicle {end_v:.3f}, tianeptine {end_t:.3f} ({left:.0%} of the "
                   f"vehicle atrophy); BDNF higher with tianeptine: {bdnf_up}"),
        reproduced=bool(ok),
    )


BLA = "immobilisation_10d_rat"


@check("effects.stress_bla_hypertrophy_tianeptine_prevents", studies=[BLA], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.bla_dendrite_length_drug_protection",
                         "systems/plasticity:parameters.bla_branch_points_drug_protection"] + _PLAST,
       claims=["stress.dendrites.bla_hypertrophy", "plasticity.bla.dendritic_length", "plasticity.bla.branch_points"])
def stress_bla_hypertrophy_tianeptine_prevents() -> Outcome:
    r = study(BLA)
    parts, ok = [], True
    for state in ("bla_dendrite_length", "bla_branch_points"):
        key = f"effect.{state}"
        sv, dv = end(r, key, "Immobilisation + vehicle"), end(r, key, "Immobilisation + tianeptine")
        left = residual(sv, dv, 1.0)
        ok &= sv >= 1.0 + MIN_STRESS_EFFECT and left <= PREVENTED_RESIDUAL
        parts.append(f"{state} {sv:.3f} (stress) vs {dv:.3f} (+ tianeptine, {left:.0%} left)")
    return Outcome(
        expected=f"10 d immobilisation raises BLA dendritic length and branch points by ≥ {MIN_STRESS_EFFECT:.0%}; "
                 f"tianeptine 10 mg/kg i.p. before each session leaves ≤ {PREVENTED_RESIDUAL:.0%} of the rise",
        simulated="day 10, × baseline: " + "; ".join(parts),
        reproduced=bool(ok),
    )


# ---------------------------------------------------------------------- BDNF and signalling
@check("effects.stress_lowers_hippocampal_bdnf", studies=[CRS],
       depends=["systems/bdnf_signalling:parameters.bdnf_hippocampus_stress_fold"],
       claims=["stress.bdnf.hippocampal_decrease"])
def stress_lowers_hippocampal_bdnf() -> Outcome:
    r = study(CRS)
    v = end(r, "effect.bdnf_hippocampus", VEH) / end(r, "effect.bdnf_hippocampus", CTL)
    return Outcome(
        expected=f"21 d restraint lowers hippocampal BDNF by ≥ {MIN_STRESS_EFFECT:.0%}",
        simulated=f"hippocampal BDNF {v:.3f} × control at day 21",
        reproduced=bool(v <= 1.0 - MIN_STRESS_EFFECT),
    )


@check("effects.tianeptine_raises_bdnf", studies=[CRS], remove=["tianeptine"],
       depends=["systems/bdnf_signalling:parameters.bdnf_hippocampus_drug_fold"] + _BDNF,
       claims=["tianeptine.bdnf.hippocampus_amygdala", "tianeptine.bdnf.increase", "tianeptine.bdnf.neurotrophic_support"])
def tianeptine_raises_bdnf() -> Outcome:
    r = study(CRS)
    hip = end(r, "effect.bdnf_hippocampus", CTL_T) / end(r, "effect.bdnf_hippocampus", CTL)
    amy = end(r, "effect.bdnf_amygdala", CTL_T) / end(r, "effect.bdnf_amygdala", CTL)
    return Outcome(
        expected=f"21 d of tianeptine 10 mg/kg i.p. daily (no stress) raises BDNF in hippocampus and amygdala by ≥ {MIN_DRUG_EFFECT:.0%}",
        simulated=f"day 21, × control: hippocampus {hip:.3f}, amygdala {amy:.3f}",
        reproduced=bool(min(hip, amy) >= 1.0 + MIN_DRUG_EFFECT),
    )


@check("effects.amygdala_bdnf_up_pcreb_down", studies=[CRS], remove=["tianeptine"],
       depends=["systems/bdnf_signalling:parameters.bdnf_amygdala_drug_fold",
                        "systems/bdnf_signalling:parameters.pcreb_amygdala_drug_fold"] + _BDNF,
       claims=["tianeptine.creb.amygdala_dissociation", "bdnf.amygdala.mrna", "bdnf.amygdala.protein"],
       expect="not reproduced", reason=PULSED_DRUG + " (here: amygdala BDNF rises, pCREB falls by under 1 %)")
def amygdala_bdnf_up_pcreb_down() -> Outcome:
    r = study(CRS)
    b = end(r, "effect.bdnf_amygdala", TIA) / end(r, "effect.bdnf_amygdala", VEH)
    c = end(r, "effect.pcreb_amygdala", TIA) / end(r, "effect.pcreb_amygdala", VEH)
    return Outcome(
        expected=f"under 21 d restraint, tianeptine raises amygdala BDNF and lowers amygdala pCREB (each by ≥ {MIN_DRUG_EFFECT:.0%})",
        simulated=f"tianeptine / vehicle at day 21: BDNF {b:.3f}, pCREB {c:.3f}",
        reproduced=bool(b >= 1.0 + MIN_DRUG_EFFECT and c <= 1.0 - MIN_DRUG_EFFECT),
    )


#: the first dose of the restraint study is at 8.5 h; the kinases are read 6 h later
_FIRST_DOSE_H = 8.5


@check("effects.tianeptine_mtor_signalling", studies=[CRS], remove=["tianeptine"],
       depends=["systems/bdnf_signalling:parameters.p_mtor_drug_fold",
                        "systems/bdnf_signalling:parameters.psd95_drug_fold"] + _BDNF,
       claims=["plasticity.mtor.phosphorylation", "plasticity.akt.phosphorylation", "plasticity.erk.phosphorylation"])
def tianeptine_mtor_signalling() -> Outcome:
    r = study(CRS)
    h6 = _FIRST_DOSE_H + 6.0
    kin = {k: at(r, f"effect.{k}", CTL_T, h6) / at(r, f"effect.{k}", CTL, h6) for k in ("p_mtor", "p_akt", "p_erk")}
    prot = {k: day_mean(r, f"effect.{k}", CTL_T, 6) / day_mean(r, f"effect.{k}", CTL, 6)
            for k in ("psd95", "synaptophysin", "glur1")}
    ok = min(kin.values()) >= 1.0 + MIN_DRUG_EFFECT and min(prot.values()) >= 1.0 + MIN_DRUG_EFFECT
    return Outcome(
        expected=(f"tianeptine (10 mg/kg i.p., no stress) raises p-mTOR, p-Akt, p-ERK within 6 h of the first dose and "
                  f"PSD-95, synaptophysin, GluR1 within a week (each ≥ {MIN_DRUG_EFFECT:.0%} over control)"),
        simulated=("6 h after the first dose: " + ", ".join(f"{k} {v:.2f}" for k, v in kin.items())
                   + "; day-7 mean: " + ", ".join(f"{k} {v:.2f}" for k, v in prot.items())),
        reproduced=bool(ok),
    )


@check("effects.bdnf_drives_mtor", studies=[CRS], remove=["tianeptine"],
       depends=["systems/bdnf_signalling:parameters.p_mtor_driver_gain"] + _BDNF,
       claims=["bdnf.mtor.downstream"],
       expect="not reproduced", reason=PULSED_DRUG + " (here: the daily p-mTOR level climbs by just under the 5 % criterion)")
def bdnf_drives_mtor() -> Outcome:
    r = study(CRS)
    first = day_mean(r, "effect.p_mtor", CTL_T, 0) / day_mean(r, "effect.p_mtor", CTL, 0)
    last = day_mean(r, "effect.p_mtor", CTL_T, LAST_DAY) / day_mean(r, "effect.p_mtor", CTL, LAST_DAY)
    bdnf = end(r, "effect.bdnf_hippocampus", CTL_T) / end(r, "effect.bdnf_hippocampus", CTL)
    ok = bdnf >= 1.0 + MIN_DRUG_EFFECT and last / first >= 1.0 + MIN_DRUG_EFFECT
    return Outcome(
        expected=f"as hippocampal BDNF rises under tianeptine, the daily p-mTOR level climbs beyond its day-1 (direct) level by ≥ {MIN_DRUG_EFFECT:.0%}",
        simulated=f"BDNF {bdnf:.3f} × control at day 21; daily-mean p-mTOR {first:.3f} (day 1) → {last:.3f} (day 21) × control",
        reproduced=bool(ok),
    )


# ---------------------------------------------------------------------- LTP
LTP = "acute_stress_ltp_rat"


@check("effects.acute_stress_ltp_tianeptine_restores", studies=[LTP], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.ltp_capacity_drug_protection"] + _PLAST,
       claims=["plasticity.ltp.stress_impairs", "plasticity.ltp.tianeptine_reverses", "plasticity.ltp.ca1_acute_stress"],
       expect="not reproduced", reason=("one 6-h session lowers LTP capacity by only about 2 % at its end in the model (the "
        "assumed LTP half-life and stress fold give a slow response), under the 5 % the criterion needs; the drug arm is "
        "above baseline"))
def acute_stress_ltp_tianeptine_restores() -> Outcome:
    r = study(LTP)
    t_end = SESSION_ONSET_H + SESSION_HOURS
    sv, dv = at(r, "effect.ltp_capacity", "Stress", t_end), at(r, "effect.ltp_capacity", "Stress + tianeptine", t_end)
    left = residual(sv, dv, 1.0)
    ok = sv <= 1.0 - MIN_STRESS_EFFECT and (dv >= 1.0 or left <= PREVENTED_RESIDUAL)
    return Outcome(
        expected=f"at the end of an acute stress session LTP capacity is down ≥ {MIN_STRESS_EFFECT:.0%}; with tianeptine "
                 f"(10 mg/kg i.p. 30 min before) ≤ {PREVENTED_RESIDUAL:.0%} of the loss remains",
        simulated=f"LTP capacity at {t_end:g} h: {sv:.3f} (stress) vs {dv:.3f} (stress + tianeptine, {left:.0%} left)",
        reproduced=bool(ok),
    )


@check("effects.tianeptine_enhances_ltp_unstressed", studies=[LTP], remove=["tianeptine"],
       depends=["systems/plasticity:parameters.ltp_capacity_drug_fold"] + _PLAST,
       claims=["plasticity.ltp.tianeptine_enhances_unstressed", "plasticity.pbp.ca1_unstressed"])
def tianeptine_enhances_ltp_unstressed() -> Outcome:
    r = study(LTP)
    peak = window_max(r, "effect.ltp_capacity", "Tianeptine, no stress", 0.0, 24.0)
    return Outcome(
        expected=f"without stress, a dose of tianeptine raises LTP capacity by ≥ {MIN_DRUG_EFFECT:.0%}",
        simulated=f"LTP capacity peaks at {peak:.3f} × untreated in the 24 h after 10 mg/kg i.p.",
        reproduced=bool(peak >= 1.0 + MIN_DRUG_EFFECT),
    )


# ---------------------------------------------------------------------- onset
_ONSET_FINAL_DAY = 55  # 0-based last day of the 56-day study


def _onset_index(r, arm: str) -> tuple[float, float, float]:
    """Day-1 mean, final-day mean and the day at which the daily-mean index first reaches 90 % of the final one."""
    key = "effect.antidepressant_index"
    final = day_mean(r, key, arm, _ONSET_FINAL_DAY)
    days = [day_mean(r, key, arm, d) for d in range(_ONSET_FINAL_DAY + 1)]
    t90 = next((d + 1.0 for d, v in enumerate(days) if v >= 0.9 * final), float("inf")) if final > 0 else float("inf")
    return days[0], final, t90


@check("effects.ssri_onset_lags_weeks", studies=[ONSET], remove=["escitalopram"],
       depends=["systems/onset:parameters.desensitisation_half_life", "drugs/escitalopram:targets.SERT.affinity"],
       claims=["antidepressants.onset.delay", "antidepressants.autoreceptor.desensitization",
               "antidepressants.adaptation.long_term", "antidepressants.summary.monoamine_plus_plasticity"])
def ssri_onset_lags_weeks() -> Outcome:
    r = study(ONSET)
    day1, final, t90 = _onset_index(r, SSRI_ARM)
    h1 = window_max(r, "effect.raphe_5ht", SSRI_ARM, 0.0, 24.0)
    sert = day_mean(r, "occupancy.SERT", SSRI_ARM, _ONSET_FINAL_DAY)
    lo, hi = ONSET_WINDOW_DAYS
    ok = lo <= t90 <= hi and final > 0 and day1 <= EARLY_FRACTION_MAX * final and h1 >= MIN_5HT_RISE
    return Outcome(
        expected=(f"escitalopram 10 mg/day: 5-HT up ≥ {MIN_5HT_RISE:g}× on day 1, day-1 antidepressant-like index "
                  f"≤ {EARLY_FRACTION_MAX:.0%} of the day-56 one, 90 % reached in {lo:g}-{hi:g} days (label onset 2-4 weeks)"),
        simulated=(f"SERT occupancy {sert:.0%} (day 56); raphe 5-HT peak {h1:.2f}× on day 1; daily-mean index {day1:.3f} "
                   f"(day 1) → {final:.3f} (day 56); 90 % on day {t90:g}"),
        reproduced=bool(ok),
    )


@check("effects.tianeptine_onset_rapid", studies=[ONSET], remove=["tianeptine"],
       depends=["systems/onset:parameters.signal_half_effect", "drugs/tianeptine:targets.MOR.tau",
                "drugs/tianeptine:targets.MOR.affinity"],
       claims=["tianeptine.onset.rapid"])
def tianeptine_onset_rapid() -> Outcome:
    r = study(ONSET)
    t_day1, t_final, t_90 = _onset_index(r, TIA_ARM)
    s_day1, _, _ = _onset_index(r, SSRI_ARM)
    ok = t_90 <= FAST_ONSET_MAX_DAYS and t_day1 > s_day1
    return Outcome(
        expected=(f"tianeptine 12.5 mg three times daily (MOR-driven): 90 % of its effect within {FAST_ONSET_MAX_DAYS:g} day, "
                  f"ahead of escitalopram 10 mg/day on day 1"),
        simulated=(f"tianeptine daily-mean index {t_day1:.3f} (day 1) → {t_final:.3f} (day 56), 90 % on day {t_90:g}; "
                   f"escitalopram day 1 {s_day1:.3f}"),
        reproduced=bool(ok),
    )


KO = "onset_without_mor_human"


@check("effects.mor_knockout_abolishes_tianeptine_effect", studies=[ONSET, KO], remove=["tianeptine"],
       depends=["drugs/tianeptine:targets.MOR.tau", "systems/onset:parameters.signal_half_effect"],
       claims=["tianeptine.mor.blockade_abolishes_effect"])
def mor_knockout_abolishes_tianeptine_effect() -> Outcome:
    wt = day_mean(study(ONSET), "effect.antidepressant_index", TIA_ARM, 6)
    ko = day_mean(study(KO), "effect.antidepressant_index", "Tianeptine 12.5 mg every 8 h, MOR knockout", 6)
    left = ko / wt if wt > 0 else float("inf")
    return Outcome(
        expected=(f"without MOR (knockout: MOR left out of the target panel) tianeptine's day-7 antidepressant-like index is "
                  f"≤ {ABOLISHED_RESIDUAL:.0%} of the wild type's, which is itself ≥ {MIN_DRUG_EFFECT:g}"),
        simulated=f"day-7 mean index: wild type {wt:.3f}, MOR knockout {ko:.4f} ({left:.0%} left)",
        reproduced=bool(wt >= MIN_DRUG_EFFECT and left <= ABOLISHED_RESIDUAL),
    )


@check("effects.sert_block_raises_serotonin_at_once", studies=[ONSET], remove=["escitalopram"],
       depends=["drugs/escitalopram:targets.SERT.affinity", "systems/onset:parameters.sert_clearance_share"],
       claims=["ssri.sert.selective_block", "tca.monoamine.availability", "antidepressants.monoamine.levels"])
def sert_block_raises_serotonin_at_once() -> Outcome:
    r = study(ONSET)
    h = window_max(r, "effect.raphe_5ht", SSRI_ARM, 0.0, 24.0)
    tr1 = day_mean(r, "effect.serotonin_transmission", SSRI_ARM, 0)
    trn = day_mean(r, "effect.serotonin_transmission", SSRI_ARM, _ONSET_FINAL_DAY)
    return Outcome(
        expected=f"SERT block by escitalopram 10 mg/day raises extracellular 5-HT ≥ {MIN_5HT_RISE:g}× on day 1; "
                 f"net transmission rises further over weeks",
        simulated=f"raphe 5-HT peak {h:.2f}× on day 1; daily-mean transmission {tr1:.2f}× (day 1) → {trn:.2f}× (day 56)",
        reproduced=bool(h >= MIN_5HT_RISE and trn > tr1 * (1.0 + MIN_DRUG_EFFECT)),
    )


# ---------------------------------------------------------------------- summary and protocols
@check("effects.tianeptine_counteracts_stress_damage", studies=[CRS], remove=["tianeptine"],
       depends=_BDNF + _PLAST[:1] + ["systems/bdnf_signalling:parameters.bdnf_hippocampus_drug_protection"],
       claims=["tianeptine.stress.counteracts_damage"])
def tianeptine_counteracts_stress_damage() -> Outcome:
    r = study(CRS)
    pairs = {}
    for s in ("ca3_dendrite_length", "ca3_branch_points", "bdnf_hippocampus", "p_mtor", "psd95", "corticosterone"):
        key = f"effect.{s}"
        c = day_mean(r, key, CTL, LAST_DAY)
        pairs[s] = (day_mean(r, key, VEH, LAST_DAY) / c, day_mean(r, key, TIA, LAST_DAY) / c)
    damaged = {s: v for s, v in pairs.items() if abs(v[0] - 1.0) >= MIN_STRESS_EFFECT}
    # each stress-shifted state must be pushed back by at least MIN_ATTENUATION of its shift
    ok = len(damaged) == len(pairs) and all(residual(v, d, 1.0) <= 1.0 - MIN_ATTENUATION for v, d in damaged.values())
    return Outcome(
        expected=(f"after 21 d restraint every stress-shifted state (CA3 dendrites, hippocampal BDNF, p-mTOR, PSD-95, "
                  f"corticosterone; each ≥ {MIN_STRESS_EFFECT:.0%} from control) is pushed back by tianeptine by "
                  f"≥ {MIN_ATTENUATION:.0%} of its shift"),
        simulated="day-21 mean × control, vehicle → tianeptine: " + "; ".join(f"{s} {v:.3f} → {d:.3f}" for s, (v, d) in pairs.items()),
        reproduced=bool(ok),
    )


@check("effects.stress_protocols_as_described", studies=[CRS, PSY],
       depends=["systems/stress:parameters.chronic_restraint_session_hours", "systems/stress:parameters.chronic_restraint_days",
                "systems/stress:parameters.psychosocial_stress_session_hours"],
       claims=["protocol.crs.restraint", "protocol.psychosocial.tree_shrew"])
def stress_protocols_as_described() -> Outcome:
    crs, psy = study(CRS), study(PSY)
    t = crs.time_h
    on = series(crs, "stress", VEH) >= 0.5
    hours = float(on.sum() * (t[1] - t[0])) / 21.0
    days = len({int(x // HOURS_PER_DAY) for x in t[on]})
    tp = psy.time_h
    on_p = series(psy, "stress", "Stress + vehicle")
    peak_days = len({int(x // HOURS_PER_DAY) for x in tp[on_p >= 0.5]})
    session_p = float((on_p >= 0.5).sum() * (tp[1] - tp[0])) / max(peak_days, 1)
    ok = days == 21 and abs(hours - 6.0) < 0.3 and 1.0 <= session_p <= 2.0 and peak_days == 35
    return Outcome(
        expected=("restraint 6 h/day on 21 days (rat); tree-shrew confrontation 1-2 h daily over 35 days "
                  "(7 + 28 of treatment)"),
        simulated=(f"stress input of the studies: restraint {hours:.2f} h/day on {days} days; confrontation "
                   f"{session_p:.2f} h/day on {peak_days} days"),
        reproduced=bool(ok),
    )


# ---------------------------------------------------------------------- tolerance and misuse
MIS = "misuse_tolerance_human"
_STOP_H = 14 * HOURS_PER_DAY


@check("effects.misuse_tolerance_and_rebound", studies=[MIS], remove=["tianeptine"],
       depends=["systems/tolerance:parameters.response_gain", "drugs/tianeptine:targets.MOR.affinity"],
       claims=["tianeptine.mor.tolerance_high_dose", "misuse.tianeptine.dependence"])
def misuse_tolerance_and_rebound() -> Outcome:
    r = study(MIS)
    res = {}
    for arm in ("Therapeutic 12.5 mg every 8 h", "Misuse 2 g every 6 h"):
        peak = window_max(r, "effect.mor_net_effect", arm, 0.0, HOURS_PER_DAY)
        sustained = day_mean(r, "effect.mor_net_effect", arm, 13)
        rebound = window_max(r, "effect.withdrawal", arm, _STOP_H, float(r.time_h[-1]))
        res[arm] = (peak, sustained, rebound)
    p_m, q_m, r_m = res["Misuse 2 g every 6 h"]
    r_t = res["Therapeutic 12.5 mg every 8 h"][2]
    tol = 1.0 - q_m / p_m if p_m > 0 else 0.0
    ok = tol >= MIN_TOLERANCE and r_m >= MIN_REBOUND and r_m > r_t
    return Outcome(
        expected=(f"misuse (2 g every 6 h) vs therapeutic (12.5 mg every 8 h) for 14 d then stop: at misuse the net MOR effect "
                  f"(day-14 mean) falls ≥ {MIN_TOLERANCE:.0%} below its day-1 peak and stopping drops the response "
                  f"≥ {MIN_REBOUND:.0%} below baseline, deeper than after therapeutic doses"),
        simulated=(f"misuse: peak {p_m:.2f} → day-14 mean {q_m:.2f} ({tol:.0%} tolerance), rebound {r_m:.0%}; "
                   f"therapeutic rebound {r_t:.0%}"),
        reproduced=bool(ok),
    )

