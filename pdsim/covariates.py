"""Patient covariates: who an arm's subjects are (age, weight, sex, hepatic and renal function) and the
sourced relations, declared per drug in its file, by which those attributes change PK parameters.

A relation multiplies the catalogue (typical adult) value of one PK parameter by a factor of one
covariate; the factors of several relations on one parameter multiply. Nothing here is drug-specific:
the numbers live in ``[pk.<species>.covariates.<name>]`` tables of ``models/drugs/*.toml``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, ModelFileError, PdsimError, suggest
from .provenance import Parameter, Registry, is_parameter_table, line_of

__all__ = ["ATTRIBUTES", "CATEGORIES", "FORMS", "Patient", "Relation", "Applied", "parse_relations", "apply",
           "covariate_values"]

#: continuous attributes: canonical unit and the range accepted (inclusive), with why
ATTRIBUTES: dict[str, tuple[str, float, float, str]] = {
    "age": ("year", 18.0, 120.0, "the relations are from adult data; maturation in children is not modelled"),
    "weight": ("kg", 30.0, 250.0, "outside adult weights the allometric relations are extrapolations"),
    "renal_crcl": ("mL/min", 1.0, 250.0, "the range of measured or Cockcroft-Gault creatinine clearances"),
}
#: categorical attributes and their classes (the first is the unimpaired / reference class)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": ("male", "female"),
    "hepatic": ("normal", "child_pugh_a", "child_pugh_b", "child_pugh_c"),
}
#: the shapes a relation takes (see `Relation`)
FORMS = ("power", "linear", "step", "table")
#: PK parameters a relation may act on
RELATION_TARGETS = ("CL", "V", "Q", "V2", "ka", "F", "tlag")
_STEP_WHEN = ("at_or_above", "below")
_SPEC_KEYS = {"parameter", "covariate", "form", "when"}
_EXAMPLES = {"age": "age = 75 (years) or age = \"75 year\"", "weight": "weight = \"60 kg\"",
             "renal_crcl": "renal_crcl = \"30 mL/min\"", "sex": 'sex = "female"', "hepatic": 'hepatic = "child_pugh_b"'}


# --- the patient -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patient:
    """The attributes of an arm's subjects. Each is optional: an attribute left out leaves every drug at
    its typical adult value, and one that no relation of a drug uses is stated in the Result notes.

    Parameters
    ----------
    age : float, optional
        Years (18-120).
    weight : float, optional
        Body weight, kg (30-250); also the arm's body weight for per-kg doses and per-kg PK.
    sex : {"male", "female"}, optional
    hepatic : {"normal", "child_pugh_a", "child_pugh_b", "child_pugh_c"}, optional
        Hepatic function as the Child-Pugh class (Pugh RNH et al. 1973, Br J Surg 60:646-649).
    renal_crcl : float, optional
        Creatinine clearance, mL/min (1-250).

    Quantities (``"75 year"``, ``Q_(60, "kg")``) are accepted and converted; plain numbers are in the
    units above. `Patient.from_mapping` reads a scenario's ``patient = {...}`` table.
    """

    age: float | None = None
    weight: float | None = None
    sex: str | None = None
    hepatic: str | None = None
    renal_crcl: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                object.__setattr__(self, f.name, check_attribute(f.name, v))

    @classmethod
    def from_mapping(cls, table: Any) -> "Patient":
        """A patient from a dict/TOML table; an unknown attribute or a bad value raises `InputError`
        (``key`` names the attribute, so a scenario can point at its line)."""
        if isinstance(table, Patient):
            return table
        if not isinstance(table, Mapping):
            raise InputError(f"`patient` must be a table such as {{ age = 75, weight = \"60 kg\" }} (got {table!r}).",
                             value=table)
        known = list(ATTRIBUTES) + list(CATEGORIES)
        for k in table:
            if k not in known:
                raise InputError(f"unknown patient attribute '{k}'; patient attributes are {', '.join(known)}."
                                 f"{suggest(str(k), known)}", key=str(k), value=k)
        return cls(**{k: check_attribute(k, v) for k, v in table.items()})

    def given(self) -> dict[str, Any]:
        """The attributes set, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def describe(self) -> str:
        units = {k: u for k, (u, *_r) in ATTRIBUTES.items()}
        return ", ".join(f"{k} {v:g} {units[k]}" if k in units else f"{k} {v}" for k, v in self.given().items())


def check_attribute(name: str, value: Any) -> float | str:
    """One attribute validated: a number (or quantity) in range for a continuous one, a known class
    for a categorical one. Raises `InputError` with ``key = name``, naming the rule and a fix."""
    from .units import as_float

    if name in CATEGORIES:
        classes = CATEGORIES[name]
        if not isinstance(value, str) or value not in classes:
            raise InputError(f"patient `{name}` must be one of {', '.join(map(repr, classes))} (got {value!r}); write "
                             f"e.g. {_EXAMPLES[name]}.{suggest(str(value), classes)}", key=name, value=value)
        return value
    if name not in ATTRIBUTES:
        known = list(ATTRIBUTES) + list(CATEGORIES)
        raise InputError(f"unknown patient attribute '{name}'; patient attributes are {', '.join(known)}."
                         f"{suggest(name, known)}", key=name, value=name)
    unit, lo, hi, why = ATTRIBUTES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) and not hasattr(value, "magnitude"):
        raise InputError(f"patient `{name}` must be a number in {unit} or a quantity string (got {value!r}); write "
                         f"e.g. {_EXAMPLES[name]}.", key=name, value=value)
    try:
        x = float(as_float(value, unit, f"patient {name}"))
    except PdsimError as exc:
        raise InputError(f"{exc} Write e.g. {_EXAMPLES[name]}.", key=name, value=value) from None
    if not (math.isfinite(x) and lo <= x <= hi):
        raise InputError(f"patient `{name}` is {x:g} {unit}, outside {lo:g}-{hi:g} {unit} ({why}); give a value in "
                         f"that range.", key=name, value=value)
    return x


# --- relations ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Relation:
    r"""How one covariate changes one PK parameter of a drug (a ``[pk.<species>.covariates.<name>]`` table).

    With :math:`\theta` the catalogue value (at the reference patient) and :math:`x` the covariate:

    - ``power``:  :math:`\theta\,(x / x_{ref})^{e}` (allometry: e = 0.75 on clearances, 1 on volumes;
      Holford 1996, Anderson & Holford 2008)
    - ``linear``: :math:`\theta\,(1 + s\,(x - x_{ref}))`; a factor <= 0 is refused, not clipped
    - ``step``:   :math:`\theta\,r` when :math:`x \ge x_{thr}` (``when = "at_or_above"``) or
      :math:`x < x_{thr}` (``when = "below"``), else :math:`\theta`
    - ``table``:  :math:`\theta\,r_c` for class :math:`c` of a categorical covariate; the reference class
      (``reference = "normal"``) has factor 1

    ``coefficients`` holds the Parameters: ``reference`` and ``exponent`` (power), ``reference`` and
    ``slope`` (linear), ``threshold`` and ``ratio`` (step), one ratio per class (table).
    """

    name: str
    parameter: str
    covariate: str
    form: str
    coefficients: dict[str, Parameter]
    when: str = "at_or_above"
    reference_class: str = ""

    def factor(self, x: Any) -> Any:
        """The multiplier at covariate value(s) ``x`` (canonical units; a class name for a table)."""
        c = self.coefficients
        unit = ATTRIBUTES.get(self.covariate, ("",))[0]
        if self.form == "power":
            return (np.asarray(x, dtype=float) / c["reference"].to(unit)) ** c["exponent"].to("dimensionless")
        if self.form == "linear":
            slope = c["slope"].to(f"1/({unit})")
            f = 1.0 + slope * (np.asarray(x, dtype=float) - c["reference"].to(unit))
            if np.any(f <= 0):
                raise InputError(f"covariate relation '{self.name}' ({self.parameter} on {self.covariate}) gives a factor "
                                 f"<= 0 at {self.covariate} = {np.min(x):g} {unit}: the linear relation does not extend "
                                 f"there; choose a {self.covariate} within the data it was derived from.")
            return f
        if self.form == "step":
            thr = c["threshold"].to(unit)
            on = np.asarray(x, dtype=float) >= thr if self.when == "at_or_above" else np.asarray(x, dtype=float) < thr
            return np.where(on, c["ratio"].to("dimensionless"), 1.0)
        if np.ndim(x):  # classes drawn per subject
            return np.array([float(self.factor(v)) if self.covers(v) else 1.0 for v in np.asarray(x)])
        if x == self.reference_class:
            return 1.0
        return c[x].to("dimensionless")

    def covers(self, x: Any) -> bool:
        """Whether the relation says something about ``x`` (a table may leave classes out)."""
        return self.form != "table" or x == self.reference_class or x in self.coefficients

    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for p in self.coefficients.values() for s in p.sources))

    def kind(self) -> str:
        """The weakest kind among the coefficients (assumed < calibrated < derived < measured)."""
        order = ("assumed", "calibrated", "derived", "measured")
        return min((p.kind for p in self.coefficients.values()), key=order.index)

    def rule(self, x: Any) -> str:
        """The relation at ``x`` in words, e.g. "(weight 60 kg / 70 kg)^0.75"."""
        c = self.coefficients
        unit = ATTRIBUTES.get(self.covariate, ("",))[0]
        if self.form == "power":
            return f"({self.covariate} {x:g} {unit} / {c['reference'].to(unit):g} {unit})^{c['exponent'].value:g}"
        if self.form == "linear":
            return (f"1 + {c['slope'].value:g} {c['slope'].unit} x ({self.covariate} {x:g} - "
                    f"{c['reference'].to(unit):g} {unit})")
        if self.form == "step":
            thr = c["threshold"].to(unit)
            hit = (x >= thr) if self.when == "at_or_above" else (x < thr)
            cmp = (">=" if hit else "<") if self.when == "at_or_above" else ("<" if hit else ">=")
            return f"{self.covariate} {x:g} {unit} {cmp} {thr:g} {unit}: x {c['ratio'].value if hit else 1.0:g}"
        return f"{self.covariate} {x}" + (" (reference class)" if x == self.reference_class else "")


def parse_relations(tbl: Any, species: str, path: Path | None, reg: Registry | None) -> tuple[Relation, ...]:
    """``[pk.<species>.covariates]`` of a drug file as Relations; every rule broken is a `ModelFileError`
    naming file, line, the relation and the fix. Coefficients are Parameters (sources resolved)."""
    if tbl is None:
        return ()
    pre = f"pk.{species}.covariates"

    def where(key: str) -> str:
        ln = line_of(path, key)
        return f"{path}{':' + str(ln) if ln else ''}" if path else "drug"

    if not isinstance(tbl, dict):
        raise ModelFileError(f"{where('covariates')}: [{pre}] must hold one table per relation, e.g. "
                             f"[{pre}.CL_weight] with parameter, covariate, form and its coefficients.")
    out = []
    for name, rt in tbl.items():
        p = f"{pre}.{name}"
        if not isinstance(rt, dict) or is_parameter_table(rt):
            raise ModelFileError(f"{where(name)}: [{p}] must be a table with parameter, covariate, form and coefficients "
                                 f"(see models/README.md, covariates).")
        for req in ("parameter", "covariate", "form"):
            if not isinstance(rt.get(req), str):
                raise ModelFileError(f"{where(name)}: [{p}] needs {req} = \"...\" (a string).")
        par, cov, form = rt["parameter"], rt["covariate"], rt["form"]
        if par not in RELATION_TARGETS:
            raise ModelFileError(f"{where('parameter')}: {p}.parameter {par!r} is not a PK parameter a relation can "
                                 f"change; use one of {', '.join(RELATION_TARGETS)}.{suggest(par, RELATION_TARGETS)}")
        known = list(ATTRIBUTES) + list(CATEGORIES)
        if cov not in known:
            raise ModelFileError(f"{where('covariate')}: {p}.covariate {cov!r} is not a patient attribute; use one of "
                                 f"{', '.join(known)}.{suggest(cov, known)}")
        if form not in FORMS:
            raise ModelFileError(f"{where('form')}: {p}.form {form!r} is not known; use one of {', '.join(FORMS)}."
                                 f"{suggest(form, FORMS)}")
        categorical = cov in CATEGORIES
        if categorical != (form == "table"):
            raise ModelFileError(f"{where(name)}: [{p}] is form {form!r} on {cov!r}; a categorical covariate "
                                 f"({', '.join(CATEGORIES)}) takes form = \"table\", a continuous one "
                                 f"({', '.join(ATTRIBUTES)}) takes power, linear or step.")
        coef_tables = {k: v for k, v in rt.items() if k not in _SPEC_KEYS and not (form == "table" and k == "reference")}
        want = {"power": {"reference", "exponent"}, "linear": {"reference", "slope"},
                "step": {"threshold", "ratio"}}.get(form)
        if want is not None:
            if set(coef_tables) != want:
                extra = sorted(set(coef_tables) - want)
                missing = sorted(want - set(coef_tables))
                raise ModelFileError(f"{where(name)}: [{p}] (form {form!r}) takes exactly {', '.join(sorted(want))}"
                                     + (f"; unknown {', '.join(extra)}" if extra else "")
                                     + (f"; missing {', '.join(missing)}" if missing else "") + ".")
        when = rt.get("when", "at_or_above")
        if "when" in rt and form != "step":
            raise ModelFileError(f"{where('when')}: {p}.when applies to form = \"step\" only; remove it.")
        if when not in _STEP_WHEN:
            raise ModelFileError(f"{where('when')}: {p}.when must be one of {', '.join(_STEP_WHEN)} (got {when!r}).")
        ref_class = ""
        if form == "table":
            classes = CATEGORIES[cov]
            ref_class = rt.get("reference", classes[0])
            if ref_class not in classes:
                raise ModelFileError(f"{where('reference')}: {p}.reference {ref_class!r} must be a class of {cov} "
                                     f"({', '.join(classes)}).")
            for k in coef_tables:
                if k not in classes or k == ref_class:
                    raise ModelFileError(f"{where(k)}: {p}.{k} is not a non-reference class of {cov}; use "
                                         f"{', '.join(c for c in classes if c != ref_class)}.{suggest(k, classes)}")
            if not coef_tables:
                raise ModelFileError(f"{where(name)}: [{p}] gives no class; add e.g. {classes[-1]} = {{ value = ..., "
                                     f"unit = \"1\", sources = [...], kind = ..., note = ... }}.")
        coefs: dict[str, Parameter] = {}
        for k, v in coef_tables.items():
            if not is_parameter_table(v):
                raise ModelFileError(f"{where(k)}: {p}.{k} must be a Parameter {{ value, unit, sources, kind, note }}.")
            par_obj = Parameter.from_table(v, f"{p}.{k}", path)
            if reg is not None:
                reg.require(par_obj, path)
            coefs[k] = par_obj
        unit = ATTRIBUTES.get(cov, ("",))[0]
        wants_unit = {"reference": unit, "threshold": unit, "exponent": "dimensionless", "ratio": "dimensionless",
                      "slope": f"1/({unit})" if unit else "dimensionless"}
        for k, par_obj in coefs.items():
            u = wants_unit.get(k, "dimensionless")
            try:
                par_obj.to(u)
            except PdsimError:
                raise ModelFileError(f"{where(k)}: {p}.{k} has unit {par_obj.unit!r}; it must be in {u}.") from None
            if k in ("reference", "ratio") or k in CATEGORIES.get(cov, ()):
                if par_obj.value <= 0:
                    raise ModelFileError(f"{where(k)}: {p}.{k} must be > 0 (got {par_obj.value:g}).")
        out.append(Relation(name=name, parameter=par, covariate=cov, form=form, coefficients=coefs, when=when,
                            reference_class=ref_class))
    return tuple(out)


def check_relations(relations: tuple[Relation, ...], params: Mapping[str, Parameter], species: str,
                    path: Path | None) -> None:
    """Each relation's parameter exists in the PK table; a weight relation acts on a parameter in absolute
    units (a per-kg value is already scaled by weight: a power of weight on top would count it twice)."""
    for r in relations:
        if r.parameter not in params:
            raise ModelFileError(f"{path or 'drug'}: pk.{species}.covariates.{r.name} acts on {r.parameter}, which "
                                 f"pk.{species} does not give; name one of {', '.join(k for k in params if k in RELATION_TARGETS)}.")
        if r.covariate == "weight" and "/kg" in params[r.parameter].unit.replace(" ", ""):
            raise ModelFileError(f"{path or 'drug'}: pk.{species}.covariates.{r.name} scales {r.parameter} by weight, but "
                                 f"{r.parameter} is per kg ({params[r.parameter].unit}) and so already proportional to "
                                 f"weight; give {r.parameter} in absolute units at the reference weight, or remove the relation.")


# --- applying them ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    """One relation applied to one compound in one arm: the factor and the value before and after."""

    drug: str
    relation: Relation
    value: Any  # the covariate value (float, class name, or per-subject array)
    factor: Any
    before: float
    unit: str

    def sentence(self, arm: str) -> str:
        r = self.relation
        f = self.factor
        if np.ndim(f):
            return (f"arm '{arm}': {self.drug} {r.parameter} x {np.min(f):.3g}-{np.max(f):.3g} over subjects "
                    f"({r.form} relation on {r.covariate}, '{r.name}'; {', '.join(r.sources())}, {r.kind()}).")
        return (f"arm '{arm}': {self.drug} {r.parameter} {self.before:.4g} -> {self.before * float(f):.4g} {self.unit} "
                f"(x {float(f):.3g}: {r.rule(self.value)}; '{r.name}', {', '.join(r.sources())}, {r.kind()}).")


def covariate_values(patient: Patient | None, draws: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The covariates of an arm's subjects: the patient's fixed attributes, overridden by per-subject draws."""
    out: dict[str, Any] = dict(patient.given()) if patient is not None else {}
    out.update(draws or {})
    return out


def apply(drug: Any, species: str, kw: dict[str, Any], values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Applied], list[str]]:
    """The PK keyword values of ``drug`` with every relation whose covariate is known applied.

    Parameters
    ----------
    drug : catalog.Drug
    species : str
    kw : dict
        `pdsim.pk.pk_model(...).kwargs()`: typical values in L, L/h, 1/h, h.
    values : dict
        Covariate values (floats or per-subject arrays in canonical units; class names).

    Returns
    -------
    (kw, applied, notes)
        New keyword values (factors multiply), what was applied, and notes for attributes given
        that no relation of this drug uses (so nothing is silently ignored).
    """
    spec = drug.pk(species)
    rels: tuple[Relation, ...] = getattr(spec, "covariates", ())
    out = dict(kw)
    applied: list[Applied] = []
    notes: list[str] = []
    units = {"CL": "L/h", "Q": "L/h", "V": "L", "V2": "L", "ka": "1/h", "tlag": "h", "F": "1"}
    used: set[str] = set()
    for r in rels:
        if r.covariate not in values or out.get(r.parameter) is None:
            continue
        x = values[r.covariate]
        if np.ndim(x) == 0 and not r.covers(x):
            notes.append(f"{drug.name}: no value for {r.covariate} = {x} in relation '{r.name}' (it gives "
                         f"{', '.join(r.coefficients)}); {r.parameter} unchanged for that class.")
            used.add(r.covariate)
            continue
        if np.ndim(x) and not all(r.covers(v) for v in set(np.asarray(x).tolist())):
            left = sorted({v for v in np.asarray(x).tolist() if not r.covers(v)})
            notes.append(f"{drug.name}: no value for {r.covariate} = {', '.join(left)} in relation '{r.name}'; "
                         f"{r.parameter} unchanged for the subjects drawn in {'that class' if len(left) == 1 else 'those classes'}.")
        f = r.factor(x)
        before = out[r.parameter]
        out[r.parameter] = before * f
        used.add(r.covariate)
        applied.append(Applied(drug.name, r, x, f, float(np.mean(before)), units[r.parameter]))
    for cov in values:
        if cov not in used and cov in (set(ATTRIBUTES) | set(CATEGORIES)):
            per_kg = [k for k, p in spec.params.items() if "/kg" in p.unit.replace(" ", "")]
            if cov == "weight" and per_kg:
                notes.append(f"{drug.name}: {', '.join(per_kg)} given per kg, scaled by the patient's weight (no "
                             f"allometric relation in its drug file).")
                continue
            notes.append(f"{drug.name}: its drug file gives no relation on {cov} for {species}; the patient's {cov} "
                         f"does not change its PK (typical adult values).")
    if "F" in out and out["F"] is not None and np.any(np.asarray(out["F"]) > 1):
        raise InputError(f"{drug.name}: covariate relations raise F above 1 ({np.max(out['F']):.3g}); check the "
                         f"relations on F in its drug file.")
    return out, applied, notes


# --- covariates drawn per subject ([population.covariates]) --------------------------------------------------
#: continuous attributes a population may draw (weight stays one per arm: per-kg doses and PK use it)
DRAWN = ("age", "renal_crcl")


def check_distribution(name: str, spec: Any) -> dict[str, Any]:
    """One ``[population.covariates]`` entry: ``{ mean, sd, min, max }`` (a normal truncated to [min, max], in
    the attribute's unit) for age or renal_crcl, or ``{ class = frequency, ... }`` summing to 1 for sex or
    hepatic. Raises `InputError` (``key`` = the attribute) naming the rule and a fix."""
    if name in CATEGORIES:
        classes = CATEGORIES[name]
        if not isinstance(spec, Mapping) or not spec:
            raise InputError(f"population covariate `{name}` must be a table of class frequencies, e.g. "
                             f"{name} = {{ {classes[0]} = 0.5, {classes[1]} = 0.5 }}.", key=name, value=spec)
        out = {}
        for k, v in spec.items():
            if k not in classes:
                raise InputError(f"population covariate `{name}`: unknown class {k!r}; classes are {', '.join(classes)}."
                                 f"{suggest(str(k), classes)}", key=name, value=k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= 1):
                raise InputError(f"population covariate `{name}.{k}` must be a frequency between 0 and 1 (got {v!r}).",
                                 key=name, value=v)
            out[k] = float(v)
        if abs(sum(out.values()) - 1) > 1e-6:
            raise InputError(f"population covariate `{name}`: the frequencies sum to {sum(out.values()):g}, not 1; fix "
                             f"them so each subject has one class.", key=name, value=spec)
        return {"classes": out}
    if name not in DRAWN:
        why = (" (weight is one per arm: per-kg doses and per-kg PK use it; give patient.weight per arm)"
               if name == "weight" else "")
        raise InputError(f"population covariate `{name}` cannot be drawn{why}; draw one of "
                         f"{', '.join(DRAWN + tuple(CATEGORIES))}.{suggest(str(name), DRAWN + tuple(CATEGORIES))}",
                         key=name, value=name)
    keys = ("mean", "sd", "min", "max")
    if not isinstance(spec, Mapping) or set(spec) != set(keys):
        raise InputError(f"population covariate `{name}` must be {{ mean, sd, min, max }} (a normal truncated to "
                         f"[min, max]), e.g. {name} = {{ mean = 76, sd = 3, min = 72, max = 81 }} (got {spec!r}).",
                         key=name, value=spec)
    vals = {k: check_attribute(name, spec[k]) if k != "sd" else spec[k] for k in keys}
    sd = vals["sd"]
    from .units import as_float

    try:
        sd = float(as_float(sd, ATTRIBUTES[name][0], f"population covariate {name}.sd", positive=True))
    except PdsimError as exc:
        raise InputError(f"{exc} Give sd > 0 in {ATTRIBUTES[name][0]}.", key=name, value=spec["sd"]) from None
    if not vals["min"] < vals["max"] or not vals["min"] <= vals["mean"] <= vals["max"]:
        raise InputError(f"population covariate `{name}` needs min < max and the mean between them (got min "
                         f"{vals['min']:g}, mean {vals['mean']:g}, max {vals['max']:g}).", key=name, value=spec)
    return {"mean": vals["mean"], "sd": sd, "min": vals["min"], "max": vals["max"]}


def draw_covariates(specs: Mapping[str, Mapping[str, Any]], n: int, seed: int, first: int = 0) -> dict[str, np.ndarray]:
    r"""Per-subject covariates from checked `check_distribution` specs, reproducible per subject.

    Each attribute has its own stream (``"covariate.<name>"`` of `pdsim.population.standard_normals`),
    so subject ``i`` gets the same value whatever the population size. A continuous attribute is a
    normal truncated to [min, max] by the inverse CDF, :math:`x = \mu + \sigma\,\Phi^{-1}(\Phi(a) + \Phi(z)(\Phi(b) - \Phi(a)))`,
    with :math:`a, b` the standardised bounds (exact, no rejection, nothing clipped); a categorical
    one takes the class whose cumulative frequency interval holds :math:`\Phi(z)`.
    """
    if not specs:
        return {}
    from scipy.special import ndtr, ndtri

    from .population import standard_normals

    out: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        u = ndtr(standard_normals(f"covariate.{name}", n, seed, first))
        if "classes" in spec:
            names = list(spec["classes"])
            edges = np.cumsum([spec["classes"][k] for k in names])
            idx = np.minimum(np.searchsorted(edges, u, side="right"), len(names) - 1)
            out[name] = np.array(names, dtype=object)[idx]
            continue
        mu, sd = spec["mean"], spec["sd"]
        pa, pb = ndtr((spec["min"] - mu) / sd), ndtr((spec["max"] - mu) / sd)
        out[name] = np.clip(mu + sd * ndtri(pa + u * (pb - pa)), spec["min"], spec["max"])  # rounding only
    return out
