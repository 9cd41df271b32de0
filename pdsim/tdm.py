"""Therapeutic drug monitoring: measured drug levels beside the model and the reference range,
a Bayesian (MAP) estimate of one person's clearance from them, and the dose for the range middle.

For teaching and research only: nothing here is a clinical dosing tool (see `CAUTION`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pint

from . import catalog
from .catalog import Drug
from .dosing import Dose, Regimen
from .errors import InputError, UnitError, UnknownNameError
from .provenance import Parameter
from .units import as_float, quantity

__all__ = ["CAUTION", "ASSUMED_CV", "RESIDUAL_CV", "BAND", "Level", "parse_level", "ReferenceRange", "reference_range",
           "predict", "compare", "ClearanceEstimate", "estimate_clearance", "DoseSuggestion", "dose_for_target",
           "band", "plot_levels"]

#: printed with every result of `pdsim tdm`
CAUTION = "Caution: for teaching and research only - not for clinical use or dosing decisions."
#: between-subject CV of clearance used as the prior when none is given (the catalogue states none):
#: an assumption of the order of the inter-individual variation of antidepressant clearance
ASSUMED_CV = 0.3
#: proportional residual error (assay plus model misspecification), an assumption: a level is
#: log-normal about the prediction with this CV
RESIDUAL_CV = 0.2
#: the MAP search spans clearance factors exp(-BOUND) .. exp(BOUND) of the typical value
_ETA_BOUND = 6.0
#: step (in log CL) of the central difference giving the curvature of the objective (Laplace)
_H = 1e-4


# --- measured levels -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """One measured concentration: time after the first dose (h) and value (ng/mL)."""

    time: float
    value: float

    def __post_init__(self) -> None:
        for name, v in (("time", self.time), ("value", self.value)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(f"a level's {name} must be a finite number (got {v!r}).", key=name, value=v)
        if self.time < 0:
            raise InputError(f"a level's time must be >= 0 h after the first dose (got {self.time:g} h).", key="time",
                             value=self.time)
        if self.value <= 0:
            raise InputError(f"a level's value must be > 0 ng/mL (got {self.value:g}); a level below the assay's limit "
                             f"carries no clearance information here, leave it out.", key="value", value=self.value)


_LEVEL_EXAMPLE = "'12 h=85 ng/mL' (time after the first dose = measured concentration)"


def parse_level(text: Any, name: str = "level") -> Level:
    """A level from text ``"TIME=VALUE"``, e.g. ``"12 h=85 ng/mL"`` or ``"3 day = 0.12 mg/L"``."""
    if not isinstance(text, str) or text.count("=") != 1:
        raise InputError(f"`{name}` must be one TIME=VALUE pair such as {_LEVEL_EXAMPLE} (got {text!r}).", key=name,
                         value=text)
    t_text, v_text = (s.strip() for s in text.split("="))
    if not t_text or not v_text:
        raise InputError(f"`{name}` {text!r} lacks a time or a value; write e.g. {_LEVEL_EXAMPLE}.", key=name, value=text)
    try:
        t = float(as_float(t_text, "h", f"{name} time"))
        v = _ng_ml(v_text, f"{name} value")
    except (InputError, UnitError) as exc:
        raise type(exc)(f"`{name}` {text!r}: {exc}", key=name, value=text) from None
    return Level(t, v)


def _ng_ml(value: Any, name: str) -> float:
    q = quantity(value, name) if isinstance(value, (str, pint.Quantity)) else None
    if q is None or not q.check("[mass] / [length] ** 3"):
        raise UnitError(f"`{name}` must be a mass concentration such as '85 ng/mL' or '0.085 mg/L' (got {value!r}).",
                        key=name, value=value)
    return float(q.to("ng/mL").magnitude)


def _levels(levels: Any) -> list[Level]:
    if isinstance(levels, (Level, str)) or (isinstance(levels, tuple) and len(levels) == 2
                                           and not isinstance(levels[0], (Level, str, tuple))):
        levels = [levels]
    out = []
    for i, lv in enumerate(levels if isinstance(levels, (list, tuple)) else [levels]):
        if isinstance(lv, Level):
            out.append(lv)
        elif isinstance(lv, str):
            out.append(parse_level(lv, f"levels[{i}]"))
        elif isinstance(lv, tuple) and len(lv) == 2:
            t = float(as_float(lv[0], "h", f"levels[{i}] time"))
            v = _ng_ml(lv[1], f"levels[{i}] value") if isinstance(lv[1], (str, pint.Quantity)) else lv[1]
            out.append(Level(t, v))
        else:
            raise InputError(f"`levels[{i}]` must be a Level, text such as {_LEVEL_EXAMPLE}, or a pair "
                             f"('12 h', '85 ng/mL') (got {lv!r}).", key="levels", value=lv)
    if not out:
        raise InputError(f"give at least one measured level, e.g. {_LEVEL_EXAMPLE}.", key="levels")
    return sorted(out, key=lambda lv: lv.time)


# --- the reference range -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceRange:
    """A drug's [tdm] table: the compounds measured (summed), range and alert level in ng/mL."""

    measure: tuple[str, ...]
    low: float
    high: float
    alert: float | None
    parameters: dict[str, Parameter]

    @property
    def middle(self) -> float:
        """(low + high) / 2, the target of `dose_for_target`."""
        return 0.5 * (self.low + self.high)

    def position(self, value: float) -> str:
        """Where ``value`` (ng/mL) lies: below the range, in range, above the range, or at/above the alert level."""
        if self.alert is not None and value >= self.alert:
            return "at or above the alert level"
        if value < self.low:
            return "below the range"
        return "in range" if value <= self.high else "above the range"

    def text(self) -> str:
        alert = f", alert level {self.alert:g} ng/mL" if self.alert is not None else ""
        return f"{' + '.join(self.measure)}: {self.low:g}-{self.high:g} ng/mL{alert}"


def reference_range(drug: Any) -> ReferenceRange | None:
    """The drug's [tdm] reference range (None when its file has no [tdm] table)."""
    dr = catalog.drug(drug)
    p = dr.extra.get("tdm")
    if not p:
        return None
    alert = p["alert"].to("ng/mL") if "alert" in p else None
    return ReferenceRange(dr.tdm_measure, p["range_low"].to("ng/mL"), p["range_high"].to("ng/mL"), alert, dict(p))


# --- predictions through the public path (pdsim.concentration) -------------------------------------
def _with_clearance(dr: Drug, factor: float, species: str) -> Drug:
    """``dr`` with its clearance for ``species`` multiplied by ``factor`` (an individual's value)."""
    if factor == 1.0:
        return dr
    spec = dr.pk(species)
    cl = spec.params["CL"]
    ind = Parameter(cl.value * factor, cl.unit, cl.sources, "calibrated", name=cl.name,
                    note=f"individual estimate: {factor:.6g} x the typical {cl.value:g} {cl.unit} (pdsim.tdm)")
    specs = dict(dr.pk_specs)
    specs[species] = replace(spec, params={**spec.params, "CL": ind})
    return replace(dr, pk_specs=specs)


def _individual(dr: Drug, mets: dict[str, Drug], factor: float, species: str) -> tuple[Drug, dict[str, Drug]]:
    """The drug and every metabolite it forms with clearance ``factor`` times their (phenotyped) values.

    One factor for all of them is an assumption: the person's clearance relative to the prior, shared by
    parent and metabolites (for a measure such as amitriptyline + nortriptyline, a factor on the parent
    alone cannot reach a level the metabolite dominates, as in CYP2D6 poor metabolisers). With it the
    steady-state level of any measure scales exactly as 1 / factor under linear PK.
    """
    if factor == 1.0:
        return dr, mets
    formed = {m: mets.get(m) or catalog.drug(m) for m in dr.pk(species).metabolites if m in mets or m in catalog.drugs()}
    return (_with_clearance(dr, factor, species),
            {m: _with_clearance(d, factor, species) for m, d in formed.items() if species in d.pk_specs})


def _phenotype(phenotype: Any) -> dict[str, str]:
    """A fixed CYP2D6/CYP2C19 phenotype as {gene: phenotype}: a mapping, text "CYP2D6=poor" or a list of them."""
    from .pharmacogenetics import FREQUENCIES_KEY, check_phenotype

    if phenotype is None or phenotype == {} or phenotype == ():
        return {}
    if isinstance(phenotype, str):
        phenotype = [phenotype]
    if isinstance(phenotype, (list, tuple)) and all(isinstance(x, str) for x in phenotype):
        pairs = {}
        for x in phenotype:
            if x.count("=") != 1:
                raise InputError(f"`phenotype` {x!r} must read GENE=PHENOTYPE, e.g. 'CYP2D6=poor'.", key="phenotype", value=x)
            g, v = (y.strip() for y in x.split("="))
            pairs[g] = v
        phenotype = pairs
    out = dict(check_phenotype(phenotype, "`phenotype`"))
    if FREQUENCIES_KEY in out:
        raise InputError("`phenotype` for drug-level monitoring names one person's phenotypes (e.g. CYP2D6=poor); "
                         "population frequencies do not apply.", key="phenotype", value=phenotype)
    return out


def _phenotyped(dr: Drug, phenotype: dict[str, str], species: str) -> tuple[Drug, dict[str, Drug]]:
    """``dr`` with the phenotype applied, and the metabolites it forms likewise (an overlay for the catalogue)."""
    from .pharmacogenetics import apply

    if not phenotype:
        return dr, {}
    mets = {m: apply(catalog.drug(m), phenotype, species) for m in dr.pk(species).metabolites if m in catalog.drugs()}
    return apply(dr, phenotype, species), mets


def _measure(dr: Drug, measure: Any, species: str) -> tuple[str, ...]:
    if dr.pk(species).model == "one_compartment_cyp2d6_inactivation":  # every tdm entry point passes here
        raise InputError(f"pdsim tdm cannot individualise {dr.name}: its PK is non-linear (it inactivates its own "
                         f"CYP2D6; pk.{species}.model = 'one_compartment_cyp2d6_inactivation'), so a level does not "
                         f"scale as 1 / clearance and the steady-state level is not proportional to the dose, which "
                         f"the clearance estimate and the dose suggestion assume. Simulate the regimen with "
                         f"pdsim.simulate instead.", key="drug", value=dr.name)
    if measure is None:
        rng = reference_range(dr)
        measure = rng.measure if rng is not None else (dr.name,)
    elif isinstance(measure, str):
        measure = tuple(s.strip() for s in measure.split("+"))
    mets = dr.pk(species).metabolites
    for c in measure:
        if c != dr.name and c not in mets:
            raise UnknownNameError(f"the measure '{' + '.join(measure)}' names '{c}', which is neither {dr.name} nor a "
                                   f"metabolite it forms (known: {', '.join([dr.name, *mets])}).")
    return tuple(measure)


def predict(drug: Any, regimen: Any, times: Any, *, clearance_factor: float = 1.0, measure: Any = None,
            species: str = "human", body_weight: Any = None, phenotype: Any = None) -> np.ndarray:
    r"""Predicted level (ng/mL) of ``measure`` at ``times`` (h after the first dose).

    The sum over the compounds measured (the drug and/or metabolites it forms) of the plasma
    concentration from `pdsim.concentration`, each converted by its molar mass,
    :math:`C[\text{ng/mL}] = C[\text{nM}] \cdot M / 1000`; the drug's clearance is
    ``clearance_factor`` times the catalogue's, and so is the clearance of each metabolite it forms
    (an individual's clearance relative to the prior, one factor for all: see `_individual`).
    ``phenotype`` (e.g. ``{"CYP2D6": "poor"}`` or ``"CYP2D6=poor"``) first applies the drug files'
    [pharmacogenetics] multipliers to the drug and its metabolites (`pdsim.pharmacogenetics`).
    """
    from .pk import concentration

    dr = catalog.drug(drug)
    mea = _measure(dr, measure, species)
    dr, mets = _phenotyped(dr, _phenotype(phenotype), species)
    ind, mets = _individual(dr, mets, clearance_factor, species)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    total = np.zeros_like(t)
    for c in mea:  # a metabolite resolved to its phenotyped drug (``mets``), else the catalogue's
        met = None if c == dr.name else catalog.resolve(c, mets)
        nm = concentration(ind, regimen, t, species=species, body_weight=body_weight, metabolite=met)
        total += nm.to("nM").magnitude * catalog.drug(c).molar_mass.to("g/mol") / 1000.0
    return total


def _subject(subject: Any, regimen: Any, drug: Any, arm: Any) -> tuple[Drug, Regimen, Any]:
    """(drug, regimen, body weight) from a drug and regimen, or from one arm of a `pdsim.Scenario`."""
    from .scenario import Scenario

    if not isinstance(subject, Scenario):
        if regimen is None:
            raise InputError("give the regimen the levels were measured under, e.g. "
                             "Regimen.repeated('75 mg', every='24 h', count=14, drug='amitriptyline').", key="regimen")
        return catalog.drug(subject), regimen, None
    arms = [a for a in subject.arms if arm is None or a.label == arm]
    if len(arms) != 1:
        labels = ", ".join(repr(a.label) for a in subject.arms)
        raise InputError(f"give arm= one of the scenario's arms ({labels}).", key="arm", value=arm)
    a = arms[0]
    if getattr(a, "patient", None) is not None:  # not silently dropped: the prediction would be the typical adult's
        raise InputError(f"arm '{a.label}' describes a patient ({a.patient.describe()}); pdsim.tdm predicts with the "
                         f"typical adult's PK and does not apply covariate relations yet: remove `patient` from the "
                         f"arm, or give the drug and regimen instead.", key="patient")
    names = a.drugs if drug is None else tuple(n for n in a.drugs if n == catalog.drug(drug).name)
    if len(names) != 1:
        raise InputError(f"give drug= one drug dosed in arm '{a.label}' (it doses {', '.join(a.drugs) or 'nothing'}).",
                         key="drug", value=drug)
    dr = catalog.resolve(names[0], subject.custom_drugs).drug
    bw = a.body_weight
    if bw is None and any(d.per_kg for d in a.doses):
        bw = catalog.species(a.species)["body_weight"].to("kg")
    evs = [Dose(t, d.amount * (bw if d.per_kg else 1.0), d.route, d.duration or 0.0, dr.name, d.form)
           for d in a.doses if d.drug == dr.name for t in d.times]
    return dr, Regimen(tuple(evs)), a.body_weight


def compare(subject: Any, levels: Any, regimen: Regimen | None = None, *, drug: Any = None, arm: str | None = None,
            estimate: "ClearanceEstimate | None" = None, species: str = "human", phenotype: Any = None):
    """Measured levels beside the model's prediction at the same times and the reference range.

    Parameters
    ----------
    subject : str, Drug or Scenario
        A drug (then give ``regimen``) or a scenario (one arm, one drug: ``arm``/``drug`` choose).
    levels : Level, text "12 h=85 ng/mL", pair ('12 h', '85 ng/mL'), or a list of them
        Times after the first dose.
    estimate : ClearanceEstimate, optional
        Adds the prediction with the individual's clearance.
    phenotype : mapping or text, optional
        CYP2D6/CYP2C19 phenotype of the predictions (default: the estimate's, or the scenario arm's).

    Returns
    -------
    pandas.DataFrame
        time_h, measured_ng_mL, predicted_ng_mL (typical clearance), ratio (measured/predicted),
        individual_ng_mL (with ``estimate``), and with a [tdm] range: range_ng_mL and position.
    """
    import pandas as pd

    dr, reg, bw = _subject(subject, regimen, drug, arm)
    if phenotype is None and estimate is not None:
        phenotype = dict(estimate.phenotype)
    if phenotype is None and not isinstance(subject, (str, Drug)):
        phenotype = _arm_phenotype(subject, arm)
    lv = _levels(levels)
    t = np.array([x.time for x in lv])
    y = np.array([x.value for x in lv])
    pred = predict(dr, reg, t, species=species, body_weight=bw, phenotype=phenotype)
    table = {"time_h": t, "measured_ng_mL": y, "predicted_ng_mL": pred, "ratio": y / pred}
    if estimate is not None:
        table["individual_ng_mL"] = predict(dr, reg, t, clearance_factor=estimate.factor, species=species,
                                            body_weight=bw, phenotype=phenotype)
    rng = reference_range(dr)
    if rng is not None:
        table["range_ng_mL"] = [f"{rng.low:g}-{rng.high:g}"] * len(t)
        table["position"] = [rng.position(v) for v in y]
    return pd.DataFrame(table)


def _arm_phenotype(sc: Any, arm: str | None) -> dict[str, str] | None:
    """The fixed phenotype of a scenario arm (None without one; drawn frequencies do not name one person)."""
    arms = [a for a in getattr(sc, "arms", ()) if arm is None or a.label == arm]
    if len(arms) != 1 or not arms[0].phenotype:
        return None
    ph = dict(arms[0].phenotype)
    if "frequencies" in ph:
        raise InputError(f"arm '{arms[0].label}' draws phenotypes from population frequencies; drug-level monitoring "
                         f"needs one person's phenotype: give phenotype='CYP2D6=...'.", key="phenotype")
    return ph


# --- Bayesian estimate of the individual's clearance -------------------------------------------------
@dataclass(frozen=True)
class ClearanceEstimate:
    """A MAP estimate of one person's clearance with its Laplace uncertainty (all CL in L/h)."""

    drug: str
    typical: float
    clearance: float
    sd_log: float
    ci95: tuple[float, float]
    prior_cv: float
    residual_cv: float
    levels: tuple[Level, ...]
    predicted: tuple[float, ...]
    notes: tuple[str, ...]
    #: the fixed CYP2D6/CYP2C19 phenotype the prior (and every prediction) used, as (gene, phenotype) pairs
    phenotype: tuple[tuple[str, str], ...] = ()

    @property
    def factor(self) -> float:
        """Individual over typical clearance."""
        return self.clearance / self.typical


def _typical_cl(dr: Drug, species: str, body_weight: Any) -> float:
    from .pk import pk_model

    return float(pk_model(dr, species, body_weight).CL)


def estimate_clearance(drug: Any, regimen: Regimen, levels: Any, cv: float | None = None, *,
                       residual_cv: float = RESIDUAL_CV, measure: Any = None, species: str = "human",
                       body_weight: Any = None, phenotype: Any = None) -> ClearanceEstimate:
    r"""Bayesian maximum a posteriori (MAP) estimate of an individual's clearance from measured levels.

    With :math:`CL_i = CL_{pop}\, e^{\eta}`, a log-normal prior :math:`\eta \sim N(0, \omega^2)`,
    :math:`\omega^2 = \ln(1 + CV^2)`, and a proportional residual error taken as log-normal,
    :math:`\ln y_j = \ln f_j(\eta) + \varepsilon_j`, :math:`\sigma^2 = \ln(1 + CV_{res}^2)`, the MAP
    :math:`\hat\eta` minimises

    .. math:: O(\eta) = \sum_j \frac{(\ln y_j - \ln f_j(\eta))^2}{2\sigma^2} + \frac{\eta^2}{2\omega^2}

    (bounded Brent search, `scipy.optimize.minimize_scalar`). The Laplace approximation gives the
    posterior SD of :math:`\ln CL` as :math:`1/\sqrt{O''(\hat\eta)}` (central difference) and the
    95 % interval :math:`CL_i e^{\pm 1.96\, SD}`. Only clearance is individualised, one factor
    for the drug and the metabolites it forms (`_individual`); V, ka and F stay at the catalogue's
    values. ``cv=math.inf`` gives a flat prior (maximum likelihood).

    Parameters
    ----------
    drug, regimen
        The catalogue drug and the doses given (times from the first dose).
    levels
        Measured levels, as for `compare`; concentrations of the drug's [tdm] measure (or of
        ``measure``, e.g. "amitriptyline + nortriptyline").
    cv : float, optional
        Between-subject CV of clearance for the prior; default `ASSUMED_CV` (the catalogue
        states none), which the notes say.
    residual_cv : float
        Proportional residual error (default `RESIDUAL_CV`, an assumption).
    phenotype : mapping or text, optional
        The person's CYP2D6/CYP2C19 phenotype (e.g. ``"CYP2D6=poor"``): the prior is centred on that
        phenotype's typical clearance, :math:`CL_{pop} = m\, CL_{normal}` with the drug file's
        multiplier m (metabolites scaled likewise), instead of the normal metaboliser's.

    References
    ----------
    Sheiner LB, Beal S, Rosenberg B, Marathe VV (1979). Forecasting individual pharmacokinetics.
    Clin Pharmacol Ther 26:294-305 (the Bayesian feedback objective used here).
    """
    from scipy.optimize import minimize_scalar

    dr = catalog.drug(drug)
    lv = _levels(levels)
    ph = _phenotype(phenotype)
    notes = []
    if ph:
        from .pharmacogenetics import describe

        pairs = tuple(sorted(ph.items()))
        said = [x for x in [describe(dr, pairs)] + [describe(catalog.drug(m), pairs) for m in dr.pk(species).metabolites
                                                     if m in catalog.drugs()] if x]
        notes.append(f"prior centred on the {', '.join(f'{g} {p}' for g, p in pairs)} typical clearance"
                     + (": " + " ".join(said) if said else f" ({dr.name} has no multiplier for it: unchanged)."))
    if cv is None:
        cv = ASSUMED_CV
        notes.append(f"prior: between-subject CV of clearance {ASSUMED_CV:g} (assumed; the catalogue gives no "
                     f"variability for {dr.name}).")
    elif math.isinf(cv):
        notes.append("flat prior: maximum-likelihood estimate from the levels alone.")
    else:
        notes.append(f"prior: between-subject CV of clearance {cv:g} (given).")
    for name, v in (("cv", cv), ("residual_cv", residual_cv)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or math.isnan(v):
            raise InputError(f"`{name}` must be a number > 0 (got {v!r}); e.g. {name}=0.3.", key=name, value=v)
    if math.isinf(residual_cv):
        raise InputError("`residual_cv` must be finite, e.g. 0.2.", key="residual_cv", value=residual_cv)
    notes.append(f"residual error: proportional, CV {residual_cv:g} (assumed; log-normal about the prediction).")
    notes.append("only clearance is individualised, by one factor shared by the drug and the metabolites it forms; "
                 "volume, absorption and bioavailability are the catalogue's.")
    omega2 = math.log1p(cv * cv) if math.isfinite(cv) else math.inf
    sigma2 = math.log1p(residual_cv * residual_cv)
    t = np.array([x.time for x in lv])
    ln_y = np.log([x.value for x in lv])
    mea = _measure(dr, measure, species)

    def objective(eta: float) -> float:
        f = predict(dr, regimen, t, clearance_factor=math.exp(eta), measure=mea, species=species,
                    body_weight=body_weight, phenotype=ph)
        if np.any(f <= 0):
            raise InputError(f"a level at {t[np.argmin(f)]:g} h comes before any dose of {dr.name} reaches plasma "
                             f"(predicted 0); give levels after the first dose (and its lag).", key="levels")
        prior = eta * eta / (2 * omega2) if math.isfinite(omega2) else 0.0
        return float(np.sum((ln_y - np.log(f)) ** 2) / (2 * sigma2) + prior)

    fit = minimize_scalar(objective, bounds=(-_ETA_BOUND, _ETA_BOUND), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    eta = float(fit.x)
    if abs(eta) > _ETA_BOUND - 1e-3:
        raise InputError(f"the levels imply a clearance outside exp(+-{_ETA_BOUND:g}) times the typical value of "
                         f"{dr.name}; check the units, the times (from the first dose) and the regimen.", key="levels")
    curv = (objective(eta + _H) - 2 * objective(eta) + objective(eta - _H)) / (_H * _H)
    sd = 1.0 / math.sqrt(curv) if curv > 0 else math.inf
    typ = _typical_cl(_phenotyped(dr, ph, species)[0], species, body_weight)
    cl = typ * math.exp(eta)
    pred = predict(dr, regimen, t, clearance_factor=math.exp(eta), measure=mea, species=species,
                   body_weight=body_weight, phenotype=ph)
    return ClearanceEstimate(dr.name, typ, cl, sd, (cl * math.exp(-1.96 * sd), cl * math.exp(1.96 * sd)), cv,
                             residual_cv, tuple(lv), tuple(float(x) for x in pred), tuple(notes),
                             tuple(sorted(ph.items())))


# --- the dose for the middle of the range -------------------------------------------------------------
@dataclass(frozen=True)
class DoseSuggestion:
    """The dose per interval whose predicted steady-state mean is ``target`` (ng/mL)."""

    dose: float
    form: str | None
    every: float
    target: float
    current_dose: float
    current_mean: float
    notes: tuple[str, ...]

    def text(self) -> str:
        salt = f" {self.form}" if self.form else ""
        return f"{self.dose:.3g} mg{salt} every {self.every:g} h"


def _steady_mean(dr: Drug, dose_mg: float, every: float, route: str, duration: float, mea: tuple[str, ...],
                 species: str, body_weight: Any, mets: dict[str, Drug] | None = None) -> float:
    """Steady-state mean (ng/mL) of the measure: C_avg,ss of each compound from `pdsim.steady_state`
    (``mets``: phenotyped metabolites, used in place of the catalogue's)."""
    from .pk import steady_state

    total = 0.0
    for c in mea:
        ss = steady_state(dr, dose_mg, every, route, duration=duration or None, species=species,
                          body_weight=body_weight, metabolite=None if c == dr.name else catalog.resolve(c, mets))
        total += ss.cavg.to("nM").magnitude * catalog.drug(c).molar_mass.to("g/mol") / 1000.0
    return float(total)


def dose_for_target(drug: Any, regimen: Regimen, estimate: ClearanceEstimate | None = None, target: Any = None, *,
                    measure: Any = None, species: str = "human", body_weight: Any = None,
                    phenotype: Any = None) -> DoseSuggestion:
    r"""The dose per interval that brings the predicted steady-state mean level to ``target``.

    Under linear PK the steady-state mean of every compound is proportional to the dose,
    :math:`C_{avg,ss} = F D / (CL\, \tau)` (and the metabolites' likewise), so

    .. math:: D_{new} = D \cdot \frac{C_{target}}{C_{avg,ss}(D)}

    with the individual's clearance from ``estimate`` (the typical one without). ``target`` is a
    mass concentration (default: the middle of the drug's [tdm] range). The regimen must repeat
    one dose at a constant interval; a dose stated as a salt is suggested as the same salt.
    ``phenotype`` defaults to the estimate's (the phenotype its prior was centred on).
    """
    dr = catalog.drug(drug)
    every = regimen.interval
    evs = regimen.for_drug(dr.name).events
    if every is None or len({(e.amount, e.route, e.duration, e.form) for e in evs}) != 1:
        raise InputError("dose_for_target needs a regular regimen: one dose repeated at a constant interval, e.g. "
                         "Regimen.repeated('75 mg', every='24 h', count=14, drug=...).", key="regimen")
    rng = reference_range(dr)
    if target is None:
        if rng is None:
            raise InputError(f"{dr.name} has no [tdm] reference range in the catalogue; give target='... ng/mL'.",
                             key="target")
        target_ng = rng.middle
        mea = _measure(dr, measure, species)
    else:
        target_ng = _ng_ml(target, "target") if not isinstance(target, (int, float)) else float(target)
        mea = _measure(dr, measure, species)
    if not (math.isfinite(target_ng) and target_ng > 0):
        raise InputError(f"`target` must be a concentration > 0 (got {target!r}).", key="target", value=target)
    e = evs[0]
    ph = _phenotype(phenotype if phenotype is not None else (dict(estimate.phenotype) if estimate else None))
    pdr, mets = _phenotyped(dr, ph, species)
    ind, mets = _individual(pdr, mets, estimate.factor if estimate is not None else 1.0, species)
    mean = _steady_mean(ind, e.amount, every, e.route, e.duration, mea, species, body_weight, mets)
    base_new = e.amount * target_ng / mean
    frac = dr.base_fraction(e.form) if e.form else 1.0
    notes = [f"linear PK: the steady-state mean scales with the dose ({mean:.4g} ng/mL at the current "
             f"{e.amount / frac:.4g} mg{' ' + e.form if e.form else ''}).",
             f"target {target_ng:g} ng/mL" + (" (middle of the reference range)" if target is None else "") + "."]
    return DoseSuggestion(base_new / frac, e.form, every, target_ng, e.amount / frac, mean, tuple(notes))


# --- the population band of the regimen and the figure --------------------------------------------
#: percentiles of the simulated band drawn behind the measured levels
BAND = (5.0, 95.0)
#: virtual subjects simulating the band
BAND_SUBJECTS = 500


def band(drug: Any, regimen: Regimen, t_end: float, *, cv: float | None = None, phenotype: Any = None,
         percentiles: tuple[float, float] = BAND, size: int = BAND_SUBJECTS, seed: int = 0, measure: Any = None,
         species: str = "human", body_weight: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The population band of ``measure`` (ng/mL) under ``regimen``: (times h, low, median, high).

    A scenario with one arm holding the regimen's doses and ``size`` virtual subjects whose clearance
    of ``drug`` is log-normal with ``cv`` (default `ASSUMED_CV`, the prior of `estimate_clearance`)
    about the typical value of the ``phenotype`` is run through `pdsim.simulate`; the band is the
    ``percentiles`` over subjects of the sum of the measured compounds, :math:`C \cdot M / 1000`.
    """
    from .scenario import Scenario
    from .simulate import simulate

    dr = catalog.drug(drug)
    mea = _measure(dr, measure, species)
    ph = _phenotype(phenotype)
    cv = ASSUMED_CV if cv is None else cv
    if not (isinstance(cv, (int, float)) and not isinstance(cv, bool) and math.isfinite(cv) and cv >= 0):
        raise InputError(f"`cv` of the band must be a finite CV >= 0 (got {cv!r}).", key="cv", value=cv)
    lo_p, hi_p = percentiles
    if not 0 <= lo_p < hi_p <= 100:
        raise InputError(f"`percentiles` must be two numbers 0 <= low < high <= 100 (got {percentiles!r}).",
                         key="percentiles", value=percentiles)
    step = 0.5
    duration = step * max(1, math.ceil(float(t_end) / step))
    doses = [{"drug": dr.name, "dose": f"{e.amount!r} mg", "start": f"{e.time!r} h", "route": e.route,
              **({"duration": f"{e.duration!r} h"} if e.route == "iv_infusion" else {})}
             for e in regimen.for_drug(dr.name).events if e.time <= duration]
    arm = {"label": "regimen", "doses": doses, "species": species}
    if body_weight is not None:
        arm["body_weight"] = f"{float(as_float(body_weight, 'kg', 'body_weight'))!r} kg"
    if ph:
        arm["phenotype"] = ph
    spec = {"name": f"{dr.display_name}: population band", "duration": f"{duration!r} h", "output_every": f"{step} h",
            "arms": [arm], "targets": [],
            "population": {"size": size, "seed": seed, "variability": {f"{dr.name}.CL": float(cv)} if cv > 0 else {}}}
    if dr.name not in catalog.drugs():  # a drug file outside the catalogue: the scenario names the file
        if dr.path is None:
            raise InputError(f"drug '{dr.name}' is neither in the catalogue nor loaded from a file; load it with "
                             f"pdsim.catalog.load_drug_file or add it to models/drugs/.")
        spec["drug_files"] = [str(dr.path)]
    # the drug as given (phenotyped, an individual's clearance) is the scenario's own drug of that name
    r = simulate(replace(Scenario.from_dict(spec), custom_drugs={dr.name: dr}))
    total = sum(np.asarray(r.get(f"plasma.{c}", arm="regimen")) * catalog.drug(c).molar_mass.to("g/mol") / 1000.0
                for c in mea if f"plasma.{c}" in r)
    total = np.atleast_2d(total)
    lo, mid, hi = np.percentile(total, [lo_p, 50.0, hi_p], axis=0)
    return r.time_h, lo, mid, hi


# --- figure ------------------------------------------------------------------------------------------
def plot_levels(drug: Any, regimen: Regimen, levels: Any, estimate: ClearanceEstimate | None = None, path: Any = None,
                *, species: str = "human", body_weight: Any = None, phenotype: Any = None, band_cv: float | None = None,
                show_band: bool = True):
    """Measured levels on the simulated band of the regimen (`band`: 5-95 % of a virtual population
    with the prior's clearance variability and the phenotype), the typical and (with ``estimate``)
    individual predictions, the reference range shaded and the alert level drawn; the caption names
    the range's sources and the caution. Saved to ``path`` when given."""
    from matplotlib.figure import Figure

    from ._style import legend_outside
    from .report import caption

    dr = catalog.drug(drug)
    if phenotype is None and estimate is not None:
        phenotype = dict(estimate.phenotype)
    ph = _phenotype(phenotype)
    lv = _levels(levels)
    t_end = max(max(x.time for x in lv), float(regimen.times.max()) if len(regimen) else 0.0) * 1.1 + 1.0
    t = np.linspace(0.0, t_end, 1200)
    fig = Figure(figsize=(9.5, 4.6), layout="constrained")  # wide enough for the legend beside the axes
    ax = fig.add_subplot()
    rng = reference_range(dr)
    if rng is not None:
        ax.axhspan(rng.low, rng.high, color="tab:green", alpha=0.15, label=f"reference range {rng.low:g}-{rng.high:g}")
        if rng.alert is not None:
            ax.axhline(rng.alert, color="tab:red", ls="--", lw=1, label=f"alert level {rng.alert:g}")
    who = ", ".join(f"{g} {p}" for g, p in sorted(ph.items())) or "normal metabolisers"
    if show_band:
        cv = ASSUMED_CV if band_cv is None else band_cv
        tb, lo, _, hi = band(dr, regimen, t_end, cv=cv, phenotype=ph, species=species, body_weight=body_weight)
        ax.fill_between(tb, lo, hi, color="tab:blue", alpha=0.15, lw=0,
                        label=f"simulated {BAND[0]:g}-{BAND[1]:g} % ({BAND_SUBJECTS} subjects, CV of CL {cv:g})")
    ax.plot(t, predict(dr, regimen, t, species=species, body_weight=body_weight, phenotype=ph), color="0.45",
            label=f"predicted, typical clearance ({who})")
    if estimate is not None:
        ax.plot(t, predict(dr, regimen, t, clearance_factor=estimate.factor, species=species, body_weight=body_weight,
                           phenotype=ph),
                color="tab:blue", label=f"predicted, estimated CL {estimate.clearance:.3g} L/h")
    ax.plot([x.time for x in lv], [x.value for x in lv], "o", color="k", label="measured")
    measure = " + ".join(_measure(dr, None, species))
    ax.set_xlabel("time after the first dose (h)")
    ax.set_ylabel(f"{measure} (ng/mL)")
    ax.set_title(f"{dr.display_name}: measured levels and model", fontsize=10)
    ax.set_ylim(bottom=0)
    legend_outside(ax, fontsize=7)  # beside the axes: "best" inside put it over the alert line or the curves
    cited = caption(rng.parameters) if rng is not None else "No reference range in the catalogue."
    fig.supxlabel(f"Range {cited[0].lower()}{cited[1:]} {CAUTION}", fontsize=7, color="0.3")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
