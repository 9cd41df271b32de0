"""Na+ channel block against the voltage-clamp papers its constants come from (in vitro, not a dosing scenario).

Each check runs the paper's protocol — holding potential, test pulse, train frequency, drug concentration —
through the public `pdsim.targets.nav_block` (the "scenario" is the experiment, in vitro) and compares with the
abstract's numbers: amitriptyline on human Nav1.5 (nau2000), lidocaine on rabbit Purkinje fibres (bean1983).
"""
from __future__ import annotations

import numpy as np

from ..targets import nav_block
from ..validation import Outcome, check

_AMI = "drugs/amitriptyline:targets.Nav."
_LIDO = "drugs/lidocaine:targets.Nav."
#: a holding potential where the (assumed) h∞ of models/targets/Nav.toml leaves < 0.1 % of channels inactivated;
#: the papers' own resting potentials are not in their abstracts
_HYPERPOLARISED = "-140 mV"
#: a holding/conditioning potential where that h∞ inactivates > 98 % of channels
_DEPOLARISED = "-50 mV"
#: an interval (ms) short against any recovery time: the block a long depolarisation leaves, read at pulse 2
_GAP_MS = 0.01


def _half_block(drug: str, holding: str) -> float:
    """Tonic-block concentration-response at ``holding`` (first pulse of infrequent trains): IC50 in nM.

    The concentration series is run as one array call; the IC50 is interpolated on log concentration.
    """
    conc = np.logspace(0, 7, 701)
    first = nav_block(drug, conc, frequency="0.1 Hz", holding=holding, pulses=1).tonic
    return float(10 ** np.interp(0.5, first, np.log10(conc)))


def _left_bound(drug: str, conc, depol_ms: float, test: str = "0 mV", holding: str = _HYPERPOLARISED):
    """Block left by one depolarisation of ``depol_ms`` to ``test`` from rest: the slowly recovering fraction."""
    return nav_block(drug, conc, frequency=1e3 / (depol_ms + _GAP_MS), holding=holding, pulses=2,
                     pulse_duration=depol_ms, test=test).per_pulse[..., 1]


# --- amitriptyline, human cardiac Nav1.5 in HEK cells (nau2000) -------------------------------------------
@check("nav.amitriptyline_resting_ic50_nau2000", references=["nau2000"], depends=[_AMI + "k_rest"],
       calibrates=[_AMI + "k_rest"])
def ami_resting_ic50() -> Outcome:
    ic50 = _half_block("amitriptyline", _HYPERPOLARISED)
    return Outcome(
        expected="in vitro (hNav1.5, HEK cells): tonic block of resting channels, IC50 24.8 +/- 2.0 uM (nau2000 "
                 "abstract; within 10 %). Calibrated: k_rest is this number",
        simulated=f"tonic-block concentration-response at {_HYPERPOLARISED} (protocol potential assumed: the abstract "
                  f"does not give it): IC50 {ic50 / 1e3:.1f} uM",
        reproduced=bool(abs(ic50 / 24.8e3 - 1) <= 0.10))


@check("nav.amitriptyline_inactivated_ic50_nau2000", references=["nau2000"], depends=[_AMI + "k_inact"],
       calibrates=[_AMI + "k_inact"])
def ami_inactivated_ic50() -> Outcome:
    ic50 = _half_block("amitriptyline", _DEPOLARISED)
    return Outcome(
        expected="in vitro (hNav1.5): block of inactivated channels, IC50 0.58 +/- 0.03 uM (nau2000 abstract; within "
                 "10 %). Calibrated: k_inact is this number",
        simulated=f"tonic-block concentration-response at a depolarised holding potential ({_DEPOLARISED}, where the "
                  f"assumed h-infinity inactivates > 98 % of channels): IC50 {ic50 / 1e3:.3f} uM; the voltage "
                  f"dependence spans {_half_block('amitriptyline', _HYPERPOLARISED) / ic50:.0f}-fold",
        reproduced=bool(abs(ic50 / 580.0 - 1) <= 0.10))


@check("nav.amitriptyline_recovery_tau_nau2000", references=["nau2000"], depends=[_AMI + "tau_recovery"],
       calibrates=[_AMI + "tau_recovery"])
def ami_recovery_tau() -> Outcome:
    # conditioning 30 s at 0 mV in 1 uM (block at equilibrium), then recovery at the hyperpolarised potential for
    # a series of intervals; pulse 2 of a two-pulse train reads the block left after each interval
    gaps = np.array([0.5, 1, 2, 4, 8, 16]) * 1e3
    left = np.array([nav_block("amitriptyline", "1 uM", frequency=1e3 / (3e4 + g), holding=_HYPERPOLARISED,
                               pulses=2, pulse_duration="30 s", test="0 mV").per_pulse[1] for g in gaps])
    base = float(nav_block("amitriptyline", "1 uM", holding=_HYPERPOLARISED, pulses=1).tonic)
    slope = np.polyfit(gaps / 1e3, np.log(left - base), 1)[0]
    tau = -1.0 / slope
    return Outcome(
        expected="in vitro (hNav1.5): recovery from inactivated-state block with time constant 8.0 +/- 0.5 s "
                 "(nau2000 abstract; within 10 %). Calibrated: tau_recovery is this number",
        simulated=f"30 s conditioning at 0 mV in 1 uM, recovery at {_HYPERPOLARISED}: single-exponential fit over "
                  f"0.5-16 s gives {tau:.2f} s",
        reproduced=bool(abs(tau / 8.0 - 1) <= 0.10))


@check("nav.amitriptyline_use_dependent_block_5hz_nau2000", references=["nau2000"],
       depends=[_AMI + "k_on_inactivated", _AMI + "tau_recovery", _AMI + "k_inact"],
       expect="not reproduced",
       reason="the binding rate to inactivated channels is derived, not measured (k_on = 1/(tau_recovery x K_I) = "
              "0.22 per uM per s), which makes block develop with a time constant of about 3 s of depolarisation at "
              "1 uM; a 5 Hz train then adds only about 15 % in 60 pulses. The paper's 55 % needs binding during each "
              "pulse about 10 times faster; open-channel block (wang2004: IC50 0.26 uM, rat Nav1.4) would supply "
              "it, but no open-state binding rate is sourced and the constant belongs to another isoform")
def ami_use_dependent_5hz() -> Outcome:
    res = nav_block("amitriptyline", "1 uM", frequency="5 Hz", holding=_HYPERPOLARISED, test="+30 mV",
                    pulse_duration="24 ms", pulses=60)
    alt = {td: float(nav_block("amitriptyline", "1 uM", frequency="5 Hz", holding=_HYPERPOLARISED, test="+30 mV",
                               pulse_duration=f"{td} ms", pulses=60).relative_current[-1]) for td in (10, 50)}
    ud = 1.0 - float(res.relative_current[-1])
    return Outcome(
        expected="in vitro (hNav1.5, HEK cells): at 1 uM, use-dependent block of about 55 % during repetitive pulses at "
                 "5 Hz (nau2000 abstract; reproduced if 45-65 %, current of the last pulse relative to the first)",
        simulated=f"1 uM, 60 pulses to +30 mV of 24 ms at 5 Hz from {_HYPERPOLARISED} (pulse duration, count and "
                  f"potentials assumed: not in the abstract): tonic block {res.tonic:.1%}, use-dependent block "
                  f"{ud:.1%} at pulse 60 ({1 - alt[10]:.1%} with 10-ms, {1 - alt[50]:.1%} with 50-ms pulses)",
        reproduced=bool(0.45 <= ud <= 0.65))


# --- lidocaine, rabbit cardiac Purkinje fibres (bean1983) -------------------------------------------------
@check("nav.lidocaine_voltage_dependent_kd_bean1983", references=["bean1983"],
       depends=[_LIDO + "k_rest", _LIDO + "k_inact"], calibrates=[_LIDO + "k_rest", _LIDO + "k_inact"])
def lido_kd_voltage() -> Outcome:
    rest = _half_block("lidocaine", "-125 mV")
    depol = _half_block("lidocaine", _DEPOLARISED)
    ok = rest >= 0.9 * 300e3 and abs(depol / 10e3 - 1) <= 0.2
    return Outcome(
        expected="in vitro (rabbit Purkinje fibres): the half-blocking concentration falls from > 300 uM at a negative "
                 "holding potential where inactivation is removed to about 10 uM at a depolarised one where it is "
                 "nearly complete (bean1983 abstract; > 270 uM, since 300 uM is the model's lower-bound K_R, and "
                 "8-12 uM). Calibrated: k_rest and k_inact are these numbers",
        simulated=f"tonic-block concentration-responses: IC50 {rest / 1e3:.0f} uM at -125 mV, {depol / 1e3:.1f} uM at "
                  f"{_DEPOLARISED} (the h-infinity midpoint and slope are assumed, not Purkinje-fibre values)",
        reproduced=bool(ok))


@check("nav.lidocaine_slow_fraction_half_at_10um_bean1983", references=["bean1983"], depends=[_LIDO + "k_inact"],
       calibrates=[_LIDO + "k_inact"])
def lido_slow_fraction() -> Outcome:
    conc = np.logspace(2, 6, 401)
    frac = _left_bound("lidocaine", conc, 20e3)
    half = float(10 ** np.interp(0.5, frac, np.log10(conc)))
    return Outcome(
        expected="in vitro: after a long depolarisation the slowly recovering (drug-bound) fraction of channels is "
                 "one half at about 10 uM lidocaine (bean1983 abstract; 8-12 uM). Calibrated: k_inact",
        simulated=f"20 s at 0 mV from {_HYPERPOLARISED}, block left at the end of the depolarisation: one half at "
                  f"{half / 1e3:.1f} uM",
        reproduced=bool(abs(half / 10e3 - 1) <= 0.2))


@check("nav.lidocaine_onset_same_for_strong_and_weak_depolarisation_bean1983", references=["bean1983"],
       depends=["targets/Nav:parameters.V_half_inact"])
def lido_onset_voltage() -> Outcome:
    durations = np.array([50, 100, 200, 400, 800, 1600, 3200.0])

    def tau(test: str) -> float:
        left = np.array([float(_left_bound("lidocaine", 20e3, t, test=test)) for t in durations])
        end = float(_left_bound("lidocaine", 20e3, 6e4, test=test))
        gap = end - left
        if np.any(gap <= 0):  # nothing left to grow (e.g. channels already inactivated at rest): no onset to time
            return float("nan")
        return -1.0 / np.polyfit(durations / 1e3, np.log(gap), 1)[0]

    strong, weak = tau("+30 mV"), tau("-30 mV")
    ok = bool(np.isfinite(strong) and np.isfinite(weak)) and abs(weak / strong - 1) <= 0.15
    return Outcome(
        expected="in vitro: at <= 20 uM lidocaine the drug-bound fraction grows exponentially with the duration of "
                 "the depolarisation, with the same time course for strong and weak depolarisations, i.e. with or "
                 "without much Na+ current (bean1983 abstract: binding to inactivated, not open, channels; same "
                 "within 15 %)",
        simulated=f"20 uM, depolarisations of 0.05-3.2 s from {_HYPERPOLARISED}: onset time constant {strong:.2f} s at "
                  f"+30 mV, {weak:.2f} s at -30 mV (ratio {weak / strong:.2f}); no number for it is in the abstract",
        reproduced=bool(ok))
