"""Scenarios: arms of dosing (and stress), an output grid and an optional virtual population.

Read from TOML (`load_scenario`) or built from a dict (`Scenario.from_dict`) or in Python;
validated once here, so the engine sees plain floats in canonical units (h, mg).

Every value is checked for type, unit, range and consistency where it enters; an error names the
file and line of the offending value (its arm's own line, not the first line with that key), the
rule and a fix, and carries ``file``, ``line``, ``key`` and ``value`` (see `pdsim.errors`).
"""
from __future__ import annotations

import math
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ._tomlpos import key_lines, line_for
from .covariates import Patient
from .dosing import ROUTES, is_per_kg
from .errors import InputError, ModelFileError, PdsimError, UnitError, UnknownNameError, suggest
from .events import EventRecord, read_events, record_drug
from .limits import MAX_CV, MAX_DOSES, MAX_DURATION_H, MAX_OUTPUT_TIMES, MIN_INTERVAL_H
from .population import PairCorrelations
from .units import as_float, quantity

__all__ = ["DoseSpec", "Arm", "Population", "Scenario", "load_scenario", "replay_scenario", "dose_notes", "ROUTES",
           "VARIED_PK"]

_TOP = {"name", "description", "duration", "output_every", "arms", "population", "targets", "systems",
        "drugs", "drug_files", "site", "sources", "engagement"}
_ARM = {"label", "species", "body_weight", "doses", "stress", "systems", "phenotype", "patient"}
_DOSE = {"drug", "dose", "every", "count", "until", "route", "start", "duration", "rate", "form"}
_STRESS = {"protocol", "start"}
_POP = {"size", "seed", "variability", "correlations", "chunk_size", "covariates"}
SITES = ("free", "brain")
#: target engagement (issue 13): PET-anchored curves where a drug file has them, or in-vitro K only
ENGAGEMENTS = ("in_vivo", "in_vitro")
#: PK parameters a population may vary (the engine's PK_KEYS; tests/test_bad_inputs.py checks they agree)
VARIED_PK = ("CL", "V", "ka", "Q", "V2", "F", "tlag", "ke0", "F_ip", "CL_2D6")
#: a drug defined in a scenario is named like a catalogue drug: letters, digits, '_' and '-', never a path
_DRUG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
#: relative tolerance with which the duration must be a whole number of output steps
_GRID_TOL = 1e-9

Key = tuple  # a key path: ("arms", 1, "doses", 0, "dose")


def _render(path: Key) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            p = str(p)
            part = p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"'
            out += ("." if out else "") + part
    return out


class _Ctx:
    """Where a value came from (file and its key→line map), so that errors name file, line and key."""

    def __init__(self, path: Path | None = None, text: str | None = None, *, python: bool = False):
        self.path = path
        self.lines = key_lines(text) if text else {}
        self.python = python  # a Python object's field: no "scenario key" wording
        self.labels: dict[int, str] = {}  # arm index -> label, once read: messages name the arm

    def line(self, path: Key) -> int | None:
        return line_for(self.lines, path) if self.lines else None

    def where(self, path: Key) -> str:
        key = _render(path)
        if len(path) > 2 and path[0] == "arms" and path[1] in self.labels:
            key_text = f"`{key}` (arm '{self.labels[path[1]]}')"
        else:
            key_text = f"`{key}`"
        if self.python:
            return key_text
        if self.path is None:
            return f"scenario key {key_text}"
        ln = self.line(path)
        return f"{self.path}{':' + str(ln) if ln else ''}: {key_text}"

    def error(self, cls: type, path: Key, msg: str, value: Any = None) -> PdsimError:
        msg = _one_line(msg)
        return cls(f"{_one_line(self.where(path))}: {msg}", file=self.path, line=self.line(path), key=_render(path), value=value)

    def unknown(self, table: Mapping, allowed: set[str], path: Key, what: str) -> None:
        for k in table:
            if k not in allowed:
                raise self.error(ModelFileError, path + (k,), f"unknown key '{k}' in {what}.{suggest(str(k), allowed)}", k)

    def wrap(self, path: Key, value: Any, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PdsimError as exc:
            raise self.error(type(exc), path, str(exc), value) from None

    # --- typed readers ------------------------------------------------------------------------
    def table(self, path: Key, value: Any, what: str, example: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.error(ModelFileError, path, f"{what} must be a table (got {_shown(value)}); write {example}.", value)
        return value

    def text(self, path: Key, value: Any, what: str, example: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.error(InputError, path, f"{what} must be {'a' if empty else 'a non-empty'} string "
                                               f"(got {_shown(value)}); write e.g. {example}.", value)
        return value

    def names(self, path: Key, value: Any, what: str, example: str) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            hint = f" (a single name still goes in a list: [\"{value}\"])" if isinstance(value, str) else ""
            raise self.error(InputError, path, f"{what} must be a list of names (got {_shown(value)}){hint}; "
                                               f"write e.g. {example}.", value)
        for i, v in enumerate(value):
            self.text(path + (i,), v, f"each entry of {what}", example)
        return tuple(value)

    def whole(self, path: Key, value: Any, what: str, lo: int, example: str, hi: int | None = None,
              why: str = "") -> int:
        ok = isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))
        if not ok or value < lo:
            raise self.error(InputError, path, f"{what} must be a whole number >= {lo} (got {_shown(value)}); "
                                               f"write e.g. {example}.", value)
        if hi is not None and value > hi:
            raise self.error(InputError, path, f"{what} is {value:,} but at most {hi:,} are allowed ({why}); "
                                               f"split the run or use a longer interval.", value)
        return int(value)

    def time(self, path: Key, value: Any, what: str, *, positive: bool = False, nonnegative: bool = False) -> float:
        self._scalar(path, value, what, "'8 h'")
        out = self.wrap(path, value, as_float, value, "h", what, positive=positive, nonnegative=nonnegative)
        return float(out)

    def _scalar(self, path: Key, value: Any, what: str, example: str) -> None:
        ok = isinstance(value, (str, Real, pint.Quantity)) and not isinstance(value, (bool, np.bool_))
        if ok and isinstance(value, pint.Quantity) and np.ndim(value.magnitude) != 0:
            ok = False
        if not ok:
            raise self.error(InputError, path, f"`{what}` must be one number or a quantity string such as {example} "
                                               f"(got {_shown(value)}).", value)


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return text if plain else f"{type(value).__name__} {text}"


def _one_line(text: str) -> str:
    """Control characters a user's value may carry (newlines, NUL) shown escaped: a message is one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _count_text(n: float) -> str:
    return f"{n:,.0f}" if n < 1e12 else f"{n:.3g}"


def _real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


# --- the dataclasses (each validates itself, so Python-built objects get the same rules) -----------

@dataclass(frozen=True)
class DoseSpec:
    """One dosing line of an arm. Times in h, amounts in mg (or mg/kg when ``per_kg``) of the base.

    ``form`` names the salt the dose was stated as (a scenario's ``form = "hydrochloride"``); the
    amount is then already converted to base, and ``note`` states the conversion.
    """

    drug: str
    amount: float
    route: str = "oral"
    every: float | None = None
    count: int = 1
    start: float = 0.0
    duration: float | None = None
    per_kg: bool = False
    form: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _check_dose_spec(_Ctx(python=True), ("DoseSpec",), self)

    @property
    def times(self) -> list[float]:
        if self.every is None:
            return [self.start]
        return [self.start + i * self.every for i in range(self.count)]


def _check_dose_spec(ctx: _Ctx, path: Key, d: DoseSpec) -> None:
    ctx.text(path + ("drug",), d.drug, "`drug`", "'tianeptine'")
    what = f"dose of {d.drug}"
    if not (_real(d.amount) and math.isfinite(d.amount) and d.amount > 0):
        raise ctx.error(InputError, path + ("amount",), f"the amount of a {what} must be a finite number > 0 "
                                                        f"(got {_shown(d.amount)}); give mg (or mg/kg with per_kg=True).", d.amount)
    if d.route not in ROUTES:
        raise ctx.error(InputError, path + ("route",), f"unknown route {d.route!r} for a {what}; use one of "
                                                       f"{', '.join(ROUTES)}.{suggest(str(d.route), ROUTES)}", d.route)
    if d.every is not None and not (_real(d.every) and math.isfinite(d.every) and d.every >= MIN_INTERVAL_H):
        raise ctx.error(InputError, path + ("every",), f"`every` of a {what} must be a finite interval >= "
                                                       f"{MIN_INTERVAL_H:.4g} h (one minute) "
                                                       f"(got {_shown(d.every)}); write e.g. 8.0, or None for one dose.", d.every)
    ctx.whole(path + ("count",), d.count, f"`count` of a {what}", 1, "count=84", MAX_DOSES,
              "more doses than any protocol; each dose is an event the engine superposes")
    if d.every is None and d.count != 1:
        raise ctx.error(InputError, path + ("count",), f"a {what} with count={d.count} needs `every` (the interval); "
                                                       f"give every=8.0 or count=1.", d.count)
    if not (_real(d.start) and math.isfinite(d.start) and d.start >= 0):
        raise ctx.error(InputError, path + ("start",), f"`start` of a {what} must be a finite time >= 0 h "
                                                       f"(got {_shown(d.start)}); write e.g. 0.0.", d.start)
    if d.route == "iv_infusion":
        if not (_real(d.duration) and math.isfinite(d.duration) and d.duration > 0):
            raise ctx.error(InputError, path + ("duration",), f"an iv_infusion {what} needs a finite `duration` > 0 h "
                                                              f"(got {_shown(d.duration)}); write e.g. 2.0.", d.duration)
    elif d.duration is not None:
        raise ctx.error(InputError, path + ("duration",), f"`duration` applies only to route 'iv_infusion', but this "
                                                          f"{what} is {d.route}; leave it out or use route 'iv_infusion'.", d.duration)
    if not isinstance(d.per_kg, bool):
        raise ctx.error(InputError, path + ("per_kg",), f"`per_kg` must be True or False (got {_shown(d.per_kg)}).", d.per_kg)
    if d.form is not None:
        ctx.text(path + ("form",), d.form, "`form`", "'hydrochloride'")
    if not isinstance(d.note, str):
        raise ctx.error(InputError, path + ("note",), f"`note` must be a string (got {_shown(d.note)}).", d.note)


def dose_notes(sc: "Scenario") -> list[str]:
    """The salt-to-base conversions of a scenario's doses, one sentence each (for the Result notes)."""
    return list(dict.fromkeys(d.note for arm in sc.arms for d in arm.doses if d.note))


@dataclass(frozen=True)
class Arm:
    """A group of identical treatment: label, species, doses and an optional stress protocol."""

    label: str
    doses: tuple[DoseSpec, ...] = ()
    species: str = "human"
    body_weight: float | None = None
    stress: str | None = None
    stress_start: float = 0.0
    systems: tuple[str, ...] | None = None
    #: CYP2D6/CYP2C19 phenotypes as sorted (gene, phenotype) pairs, or ("frequencies", population) (pdsim.pharmacogenetics)
    phenotype: tuple[tuple[str, str], ...] = ()
    #: who the arm's subjects are (age, weight, sex, hepatic, renal_crcl): `pdsim.covariates.Patient`
    patient: Patient | None = None

    def __post_init__(self) -> None:
        ctx, p = _Ctx(python=True), ("Arm",)
        if self.phenotype:  # pharmacogenetics: a dict or pairs, validated and stored as sorted pairs
            from .pharmacogenetics import check_phenotype

            raw = dict(self.phenotype) if not isinstance(self.phenotype, Mapping) else self.phenotype
            object.__setattr__(self, "phenotype", ctx.wrap(p + ("phenotype",), raw, check_phenotype, raw,
                                                           f"arm '{self.label}': `phenotype`"))
        _patient_of_arm(self, ctx, p)
        ctx.text(p + ("label",), self.label, "an arm's `label`", "'therapeutic'")
        if isinstance(self.doses, DoseSpec) or not isinstance(self.doses, (list, tuple)):
            raise ctx.error(InputError, p + ("doses",), f"arm '{self.label}': `doses` must be a tuple of DoseSpec "
                                                        f"(got {_shown(self.doses)}); write doses=(DoseSpec(...),).", self.doses)
        object.__setattr__(self, "doses", tuple(self.doses))
        for i, d in enumerate(self.doses):
            if not isinstance(d, DoseSpec):
                raise ctx.error(InputError, p + ("doses", i), f"arm '{self.label}': each dose must be a DoseSpec "
                                                              f"(got {_shown(d)}).", d)
        ctx.text(p + ("species",), self.species, f"arm '{self.label}': `species`", "'human'")
        if self.body_weight is not None and not (_real(self.body_weight) and math.isfinite(self.body_weight)
                                                 and self.body_weight > 0):
            raise ctx.error(InputError, p + ("body_weight",), f"arm '{self.label}': `body_weight` must be a finite "
                                                              f"weight > 0 kg (got {_shown(self.body_weight)}); write e.g. 70.0.", self.body_weight)
        if self.stress is not None:
            ctx.text(p + ("stress",), self.stress, f"arm '{self.label}': `stress`", "'chronic_restraint'")
        if not (_real(self.stress_start) and math.isfinite(self.stress_start) and self.stress_start >= 0):
            raise ctx.error(InputError, p + ("stress_start",), f"arm '{self.label}': `stress_start` must be a finite "
                                                               f"time >= 0 h (got {_shown(self.stress_start)}).", self.stress_start)
        if self.systems is not None:
            object.__setattr__(self, "systems", ctx.names(p + ("systems",), self.systems, f"arm '{self.label}': `systems`",
                                                          "('hpa',)"))

    @property
    def drugs(self) -> tuple[str, ...]:
        seen: list[str] = []
        for d in self.doses:
            if d.drug not in seen:
                seen.append(d.drug)
        return tuple(seen)


@dataclass(frozen=True)
class Population:
    """Virtual subjects: size, seed and log-normal CVs keyed "drug.PARAM" (e.g. "tianeptine.CL").

    ``correlations`` pairs two varied parameters of one drug with a coefficient in [-1, 1]; a key
    is a pair ``("tianeptine.CL", "tianeptine.V")`` or the text ``"tianeptine.CL:tianeptine.V"``
    (the TOML form). It is stored as a `pdsim.population.PairCorrelations` of pairs.
    """

    size: int = 1
    seed: int = 0
    variability: dict[str, float] = field(default_factory=dict)
    correlations: dict[Any, float] = field(default_factory=dict)
    chunk_size: int = 20000
    #: patient covariates drawn per subject, e.g. {"age": {"mean": 76, "sd": 3, "min": 72, "max": 81}}
    covariates: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        var, cor = _check_population(_Ctx(python=True), ("Population",), self.size, self.seed, self.chunk_size,
                                     self.variability, self.correlations)
        object.__setattr__(self, "variability", var)
        object.__setattr__(self, "correlations", cor)
        object.__setattr__(self, "covariates", _population_covariates(_Ctx(python=True), ("Population", "covariates"),
                                                                      self.covariates))


def _check_population(ctx: _Ctx, p: Key, size: Any, seed: Any, chunk: Any, variability: Any,
                      correlations: Any) -> tuple[dict[str, float], PairCorrelations]:
    ctx.whole(p + ("size",), size, "population `size`", 1, "size = 1 for one typical subject")
    ctx.whole(p + ("seed",), seed, "population `seed`", 0, "seed = 7")
    ctx.whole(p + ("chunk_size",), chunk, "population `chunk_size`", 1, "leave it out for the default 20000")
    variability = ctx.table(p + ("variability",), variability, "population `variability`",
                            '[population.variability] with "tianeptine.CL" = 0.3')
    var: dict[str, float] = {}
    for k, cv in variability.items():
        kp = p + ("variability", k)
        if not isinstance(k, str) or k.count(".") != 1 or not all(k.split(".")):
            raise ctx.error(InputError, kp, f"population variability key {k!r} must name drug and parameter, "
                                            f"e.g. \"tianeptine.CL\".", k)
        if not (_real(cv) and math.isfinite(cv) and 0 <= cv <= MAX_CV):
            raise ctx.error(InputError, kp, f"population variability `{k}` must be a CV between 0 and {MAX_CV:g} "
                                            f"(got {_shown(cv)}); write e.g. 0.3 for 30 %.", cv)
        var[k] = float(cv)
    correlations = ctx.table(p + ("correlations",), correlations, "population `correlations`",
                             '[population.correlations] with "tianeptine.CL:tianeptine.V" = 0.5')
    cor = PairCorrelations()
    for k, rho in correlations.items():
        kp = p + ("correlations", k if isinstance(k, str) else ":".join(map(str, k)) if isinstance(k, tuple) else str(k))
        pair = tuple(k.split(":")) if isinstance(k, str) else k
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise ctx.error(InputError, kp, f"population correlation key {k!r} must pair two varied parameters, "
                                            f"written \"tianeptine.CL:tianeptine.V\" (or a pair of names in Python).", k)
        pair = (pair[0].strip(), pair[1].strip())
        for x in pair:
            if x not in var:
                raise ctx.error(InputError, kp, f"population correlation {k!r} names '{x}', which has no CV; give it "
                                                f"one in [population.variability] or remove the pair.{suggest(x, var)}", k)
        if pair[0] == pair[1]:
            raise ctx.error(InputError, kp, f"population correlation {k!r} pairs a parameter with itself; remove it.", k)
        if not (_real(rho) and math.isfinite(rho) and -1 <= rho <= 1):
            raise ctx.error(InputError, kp, f"population correlation {k!r} must be a coefficient between -1 and 1 "
                                            f"(got {_shown(rho)}).", rho)
        if pair in cor or pair[::-1] in cor:
            raise ctx.error(InputError, kp, f"population correlation {k!r} is given twice; keep one.", k)
        cor[pair] = float(rho)
    return var, cor


@dataclass(frozen=True)
class Scenario:
    """What to simulate: arms, duration, output grid, population, targets and downstream systems."""

    name: str
    arms: tuple[Arm, ...]
    duration: float
    output_every: float = 1.0
    population: Population = field(default_factory=Population)
    targets: tuple[str, ...] | None = None
    systems: tuple[str, ...] = ()
    site: str = "free"
    description: str = ""
    #: claim and reference ids the design follows (study scenarios: protocol, dose, timing, readout)
    sources: tuple[str, ...] = ()
    custom_drugs: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    engagement: str = "in_vivo"

    def __post_init__(self) -> None:
        ctx = _Ctx(python=True)
        ctx.text(("name",), self.name, "`name`", "'my scenario'")
        ctx.text(("description",), self.description, "`description`", "''", empty=True)
        if isinstance(self.arms, Arm) or not isinstance(self.arms, (list, tuple)):
            raise ctx.error(InputError, ("arms",), f"`arms` must be a tuple of Arm (got {_shown(self.arms)}).", self.arms)
        object.__setattr__(self, "arms", tuple(self.arms))
        if not self.arms:
            raise InputError("a scenario needs at least one arm; add [[arms]] with a label and doses.", key="arms")
        for i, a in enumerate(self.arms):
            if not isinstance(a, Arm):
                raise ctx.error(InputError, ("arms", i), f"each arm must be an Arm (got {_shown(a)}).", a)
        labels = [a.label for a in self.arms]
        if len(set(labels)) != len(labels):
            raise InputError(f"arm labels must be unique (got {labels}); give each [[arms]] its own label.", key="arms")
        for key in ("duration", "output_every"):
            v = getattr(self, key)
            if not (_real(v) and math.isfinite(v) and v > 0):
                raise ctx.error(InputError, (key,), f"`{key}` must be a finite time > 0 h (got {_shown(v)}); "
                                                    f"write e.g. '28 day' in a file or 672.0 in Python.", v)
        _check_grid(ctx, float(self.duration), float(self.output_every))
        if not isinstance(self.population, Population):
            raise ctx.error(InputError, ("population",), f"`population` must be a Population "
                                                          f"(got {_shown(self.population)}).", self.population)
        if self.targets is not None:
            object.__setattr__(self, "targets", ctx.names(("targets",), self.targets, "`targets`", "('MOR', 'SERT')"))
        object.__setattr__(self, "systems", ctx.names(("systems",), self.systems, "`systems`", "('hpa',)"))
        object.__setattr__(self, "sources", ctx.names(("sources",), self.sources, "`sources`",
                                                      "('protocol.crs.restraint',)"))
        ctx.text(("site",), self.site, "`site`", "'free'")
        if self.site not in SITES:
            raise ctx.error(InputError, ("site",), f"`site` must be one of {', '.join(SITES)} (got {self.site!r})."
                                                   f"{suggest(self.site, SITES)}", self.site)
        if not isinstance(self.custom_drugs, Mapping):
            raise ctx.error(InputError, ("custom_drugs",), f"`custom_drugs` must be a dict of Drug "
                                                           f"(got {_shown(self.custom_drugs)}).", self.custom_drugs)
        if self.engagement not in ENGAGEMENTS:
            raise ctx.error(InputError, ("engagement",), f"`engagement` must be one of {', '.join(ENGAGEMENTS)} (got "
                                                         f"{_shown(self.engagement)}).{suggest(str(self.engagement), ENGAGEMENTS)}",
                            self.engagement)
        for arm in self.arms:
            for d in arm.doses:
                if d.start > self.duration:
                    raise InputError(
                        f"arm '{arm.label}': the first dose of {d.drug} at {d.start:g} h comes after the end of the "
                        f"scenario ({self.duration:g} h); lengthen `duration` or start the dose earlier.",
                        key="start", value=d.start)
        pop = self.population
        _patient_vs_population(ctx, self.arms, pop)
        if pop.variability:
            var, cor = _resolve_variability(ctx, pop.variability, pop.correlations, self.arms, self.custom_drugs,
                                            require_dosed=False)
            if var != pop.variability or cor != pop.correlations:
                object.__setattr__(self, "population", replace(pop, variability=var, correlations=cor))

    @property
    def n_times(self) -> int:
        return int(round(self.duration / self.output_every)) + 1

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: Path | None = None, *, text: str | None = None) -> "Scenario":
        """Build and validate a scenario from the TOML structure (schema: models/README.md).

        ``path`` names the file in messages (and is where relative ``drug_files`` are found);
        ``text``, the file's text, lets messages give the line of each offending value.
        """
        ctx = _Ctx(Path(path) if path else None, text)
        if not isinstance(d, Mapping):
            raise ModelFileError(f"a scenario must be a table/dict (got {_shown(d)}); see models/README.md.", value=d)
        ctx.unknown(d, _TOP, (), "the scenario")
        for req in ("name", "duration", "arms"):
            if req not in d:
                raise ctx.error(ModelFileError, (req,), "is missing; a scenario needs name, duration and [[arms]].")
        name = ctx.text(("name",), d["name"], "`name`", "name = \"my scenario\"")
        description = ctx.text(("description",), d.get("description", ""), "`description`", "description = \"...\"",
                               empty=True)
        duration = ctx.time(("duration",), d["duration"], "duration", positive=True)
        every = ctx.time(("output_every",), d.get("output_every", "1 h"), "output_every", positive=True)
        _check_grid(ctx, duration, every)
        custom = _custom_drugs(d, ctx)
        arms_in = d["arms"]
        if not isinstance(arms_in, list) or not arms_in:
            raise ctx.error(ModelFileError, ("arms",), f"give at least one [[arms]] table (got {_shown(arms_in)}).", arms_in)
        arms: list[Arm] = []
        for i, a in enumerate(arms_in):
            arm = _arm(a, i, ctx, custom)
            if any(b.label == arm.label for b in arms):
                raise ctx.error(InputError, ("arms", i, "label"), f"arm label '{arm.label}' is used twice; give each "
                                                                  f"[[arms]] its own label.", arm.label)
            for j, dd in enumerate(arm.doses):
                if dd.start > duration:
                    raise ctx.error(InputError, ("arms", i, "doses", j, "start"),
                                    f"arm '{arm.label}': the first dose of {dd.drug} at {dd.start:g} h comes after the "
                                    f"end of the scenario ({duration:g} h); lengthen `duration` or start the dose earlier.",
                                    dd.start)
            arms.append(arm)
        pop = ctx.table(("population",), d.get("population", {}), "[population]", "[population] with size = 100")
        ctx.unknown(pop, _POP, ("population",), "[population]")
        var, cor = _check_population(ctx, ("population",), pop.get("size", 1), pop.get("seed", 0),
                                     pop.get("chunk_size", 20000), pop.get("variability", {}), pop.get("correlations", {}))
        var, cor = _resolve_variability(ctx, var, cor, arms, custom, require_dosed=True)
        covs = _population_covariates(ctx, ("population", "covariates"), pop.get("covariates", {}))
        population = Population(size=pop.get("size", 1), seed=pop.get("seed", 0), variability=var,
                                correlations=cor, chunk_size=pop.get("chunk_size", 20000), covariates=covs)
        targets = None
        if "targets" in d:
            targets = ctx.names(("targets",), d["targets"], "`targets`", 'targets = ["MOR", "SERT"]')
            _known_targets(ctx, targets, arms, custom)
        systems = ctx.names(("systems",), d.get("systems", []), "`systems`", 'systems = ["hpa"]')
        _known_systems(ctx, ("systems",), systems)
        sources = _sources(d.get("sources", []), ctx)
        site = ctx.text(("site",), d.get("site", "free"), "`site`", 'site = "free"')
        if site not in SITES:
            raise ctx.error(InputError, ("site",), f"`site` must be one of {', '.join(SITES)} (got {site!r})."
                                                   f"{suggest(site, SITES)}", site)
        engagement = ctx.text(("engagement",), d.get("engagement", "in_vivo"), "`engagement`", 'engagement = "in_vivo"')
        if engagement not in ENGAGEMENTS:
            raise ctx.error(InputError, ("engagement",), f"`engagement` must be one of {', '.join(ENGAGEMENTS)} (got "
                                                         f"{engagement!r}).{suggest(engagement, ENGAGEMENTS)}", engagement)
        try:
            return cls(name=name, arms=tuple(arms), duration=duration, output_every=every, population=population,
                       targets=targets, systems=systems, site=site, description=description, sources=sources,
                       custom_drugs=custom, path=ctx.path, engagement=engagement)
        except PdsimError as exc:  # every rule is checked above with its line; this names the file at least
            raise exc.located(f"{ctx.path or 'scenario'}: {exc}") from None


def _check_grid(ctx: _Ctx, duration: float, every: float) -> None:
    """The output grid 0, every, 2·every, ... must end exactly at ``duration`` and stay within the cap."""
    if duration > MAX_DURATION_H:
        raise ctx.error(InputError, ("duration",), f"`duration` ({duration:g} h) is longer than {MAX_DURATION_H:g} h "
                                                   f"(100 years), beyond any study or lifetime; give e.g. '28 day'.", duration)
    if every > duration:
        raise ctx.error(InputError, ("output_every",), f"`output_every` ({every:g} h) must not exceed the duration "
                                                       f"({duration:g} h); write e.g. '1 h'.", every)
    steps = duration / every
    if steps + 1 > MAX_OUTPUT_TIMES:
        raise ctx.error(InputError, ("output_every",), f"`output_every` ({every:g} h) over {duration:g} h gives "
                                                       f"{_count_text(steps + 1)} output times, above the cap of {MAX_OUTPUT_TIMES:,} "
                                                       f"(each time is stored for every variable and subject); raise "
                                                       f"output_every or shorten the duration.", every)
    k = round(steps)
    if abs(steps - k) > _GRID_TOL * max(1.0, steps):
        nice = [x for x in (0.1, 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 24, 48, 168)
                if x <= duration and abs(duration / x - round(duration / x)) <= _GRID_TOL * duration / x]
        below = [x for x in nice if x < every] or [duration / math.ceil(steps)]
        above = [x for x in nice if x > every] or [duration / max(1, math.floor(steps))]
        hi, lo = below[-1], above[0]
        raise ctx.error(InputError, ("output_every",), f"the duration ({duration:g} h) is not a whole number of "
                                                       f"`output_every` steps ({every:g} h), so the last output would "
                                                       f"not fall at the end; choose a step that divides it, e.g. "
                                                       f"'{hi:.6g} h' or '{lo:.6g} h'.", every)


def _sources(ids: Any, ctx: _Ctx) -> tuple[str, ...]:
    """The ``sources`` list of a study design: ids that must resolve in seeds/claims.toml or references.toml."""
    from .catalog import registry

    ids = ctx.names(("sources",), ids, "`sources` (claim or reference ids)", 'sources = ["protocol.crs.restraint"]')
    reg = registry()
    for i, sid in enumerate(ids):
        if not reg.resolves(sid):
            raise ctx.error(UnknownNameError, ("sources", i), f"source id '{sid}' is not in seeds/claims.toml or "
                                                              f"seeds/references.toml."
                                                              f"{suggest(sid, list(reg.claims) + list(reg.references))}", sid)
    return ids


def _custom_drugs(d: Mapping[str, Any], ctx: _Ctx) -> dict[str, Any]:
    """Drugs defined in the scenario ([drugs.NAME] tables) or in files it names (drug_files).

    An inline drug is validated exactly like a drug file: it is written to a fixed file name in a
    fresh temporary folder (never a name taken from the scenario) and loaded from there.
    """
    from .catalog import load_drug_file, registry

    out: dict[str, Any] = {}
    base = ctx.path.parent if ctx.path else Path.cwd()
    files = ctx.names(("drug_files",), d.get("drug_files", []), "`drug_files`", 'drug_files = ["mydrug.toml"]')
    for i, f in enumerate(files):
        p = (base / f) if not Path(f).is_absolute() else Path(f)
        try:
            dr = ctx.wrap(("drug_files", i), f, load_drug_file, p, registry())
        except (OSError, UnicodeDecodeError) as exc:
            raise ctx.error(ModelFileError, ("drug_files", i), f"cannot read drug file {p} "
                                                               f"({type(exc).__name__}: {exc}); check the path.", f) from None
        out[dr.name] = dr
    inline = ctx.table(("drugs",), d.get("drugs", {}), "`drugs`", "[drugs.mydrug] with molar_mass and [drugs.mydrug.pk.human]")
    for name, tbl in inline.items():
        kp = ("drugs", name)
        if not _DRUG_NAME.fullmatch(str(name)):
            raise ctx.error(InputError, kp, f"inline drug name {name!r} must be letters, digits, '_' or '-' (starting "
                                            f"with a letter, at most 64 characters); a drug name is never a path. "
                                            f"Rename the table, e.g. [drugs.mydrug].", name)
        tbl = dict(ctx.table(kp, tbl, f"[drugs.{name}]", f"[drugs.{name}] with molar_mass and [drugs.{name}.pk.human]"))
        tbl.setdefault("name", name)
        if tbl["name"] != name:
            raise ctx.error(InputError, kp + ("name",), f"[drugs.{name}] sets name = {tbl['name']!r}; an inline drug is "
                                                        f"named by its table, so leave `name` out.", tbl["name"])
        with tempfile.TemporaryDirectory(prefix="pdsim-drug-") as tmp:
            p = Path(tmp) / "drug.toml"  # a fixed name: nothing from the scenario reaches the file system
            p.write_text(_to_toml(tbl, ctx, kp), encoding="utf-8")
            try:
                dr = load_drug_file(p, registry())
            except PdsimError as exc:
                # the temporary file's name and line mean nothing to the user: the scenario's own location replaces them
                msg = re.sub(re.escape(str(p)) + r"(:\d+)?:?\s*", "", str(exc))
                raise ctx.error(type(exc), kp, msg, name) from None
        out[dr.name] = dr
    return out


def _to_toml(obj: Mapping[str, Any], ctx: _Ctx, path: Key, prefix: str = "") -> str:
    """Minimal TOML writer for nested dicts of scalars/lists/inline tables (inline drugs only)."""
    scalars, tables = [], []
    for k, v in obj.items():
        if isinstance(v, Mapping) and "value" not in v:
            tables.append((k, v))
        else:
            scalars.append(f"{_tkey(k)} = {_val(v, ctx, path + (k,))}")
    out = "\n".join(scalars) + "\n"
    for k, v in tables:
        name = f"{prefix}.{_tkey(k)}" if prefix else _tkey(k)
        out += f"\n[{name}]\n" + _to_toml(v, ctx, path + (k,), name)
    return out


def _tkey(k: Any) -> str:
    return '"' + str(k).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _val(v: Any, ctx: _Ctx, path: Key) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return repr(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_val(x, ctx, path + (i,)) for i, x in enumerate(v)) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_tkey(k)} = {_val(x, ctx, path + (k,))}" for k, x in v.items()) + " }"
    raise ctx.error(ModelFileError, path, f"cannot use a value of type {type(v).__name__} ({_shown(v)}) in an inline "
                                          f"drug; give numbers, strings, lists and tables.", v)


def _arm(a: Any, i: int, ctx: _Ctx, custom: dict[str, Any]) -> Arm:
    from . import catalog

    p = ("arms", i)
    a = ctx.table(p, a, f"arm {i + 1}", '[[arms]] with label = "..." and doses')
    ctx.unknown(a, _ARM, p, f"arm {i + 1}")
    label = ctx.text(p + ("label",), a.get("label", f"arm {i + 1}"), f"the label of arm {i + 1}", 'label = "therapeutic"')
    ctx.labels[i] = label
    species = ctx.text(p + ("species",), a.get("species", "human"), f"arm '{label}': `species`", 'species = "rat"')
    known = catalog.species_names()
    if species not in known:
        raise ctx.error(UnknownNameError, p + ("species",), f"arm '{label}': unknown species '{species}'."
                                                            f"{suggest(species, known, known=True)}", species)
    body_weight = None
    if "body_weight" in a:
        body_weight = _positive(ctx, p + ("body_weight",), a["body_weight"], "body_weight", "kg", "'70 kg'")
    doses_in = a.get("doses", [])
    if not isinstance(doses_in, list):
        raise ctx.error(ModelFileError, p + ("doses",), f"arm '{label}': `doses` must be a list of dose tables "
                                                        f"(got {_shown(doses_in)}); write [[arms.doses]] tables.", doses_in)
    doses = []
    for j, dd in enumerate(doses_in):
        dp = p + ("doses", j)
        dd = ctx.table(dp, dd, f"dose {j + 1} of arm '{label}'", '[[arms.doses]] with drug = "..." and dose = "12.5 mg"')
        if "events" in dd:  # a NONMEM-convention event table (pdsim/events.py)
            doses.extend(_event_doses(dd, label, ctx, custom, dp))
            continue
        ctx.unknown(dd, _DOSE, dp, f"a dose of arm '{label}'")
        for req in ("drug", "dose"):
            if req not in dd:
                raise ctx.error(ModelFileError, dp, f"dose {j + 1} of arm '{label}' has no `{req}`; each dose needs "
                                                    f"drug and dose.")
        name = ctx.text(dp + ("drug",), dd["drug"], f"arm '{label}': `drug`", 'drug = "tianeptine"')
        if name in custom:
            dr = custom[name]
        else:
            if "/" in name or "\\" in name or name.lower().endswith(".toml"):
                raise ctx.error(InputError, dp + ("drug",), f"arm '{label}': drug {name!r} looks like a path; name a "
                                                            f"catalogue drug, or list the file in drug_files = [...] and "
                                                            f"use the drug's name.", name)
            dr = ctx.wrap(dp + ("drug",), name, catalog.drug, name)
            name = dr.name
        if species not in dr.pk_specs:
            raise ctx.error(InputError, p + ("species",), f"arm '{label}': {name} has no PK for species '{species}' "
                                                          f"(it has: {', '.join(sorted(dr.pk_specs)) or 'none'}); use one "
                                                          f"of those species or add [pk.{species}] to the drug.", species)
        doses.append(_dose(dd, name, label, ctx, dp, dr))
    stress = None
    stress_start = 0.0
    if "stress" in a:
        st = a["stress"]
        if not isinstance(st, Mapping):
            raise ctx.error(ModelFileError, p + ("stress",),
                            f"arm '{label}' gives stress = {st!r}, but stress is a table; write [arms.stress] with "
                            f"protocol = \"chronic_restraint\" (or stress = {{ protocol = \"chronic_restraint\" }}).", st)
        ctx.unknown(st, _STRESS, p + ("stress",), f"[arms.stress] of arm '{label}'")
        if "protocol" not in st:
            raise ctx.error(ModelFileError, p + ("stress",), "[arms.stress] needs protocol = \"...\".")
        stress = ctx.text(p + ("stress", "protocol"), st["protocol"], f"arm '{label}': stress `protocol`",
                          'protocol = "chronic_restraint"')
        from .effects import protocol

        stress = ctx.wrap(p + ("stress", "protocol"), stress, protocol, stress).name
        if "start" in st:
            stress_start = ctx.time(p + ("stress", "start"), st["start"], "stress.start", nonnegative=True)
    systems = None
    if "systems" in a:
        systems = ctx.names(p + ("systems",), a["systems"], f"arm '{label}': `systems`", 'systems = ["hpa"]')
        _known_systems(ctx, p + ("systems",), systems)
    phenotype = _arm_phenotype(ctx, p, a, label, species, doses, custom)
    patient = _patient(ctx, p + ("patient",), a["patient"], label, species, body_weight) if "patient" in a else None
    return ctx.wrap(p, label, Arm, label=label, doses=tuple(doses), species=species, body_weight=body_weight,
                    stress=stress, stress_start=stress_start, systems=systems, phenotype=phenotype, patient=patient)


def _arm_phenotype(ctx: _Ctx, p: Key, a: Mapping[str, Any], label: str, species: str, doses: list,
                   custom: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """An arm's ``phenotype = { CYP2D6 = "poor", ... }`` (or ``frequencies = "European"``), checked with its
    line; with frequencies, each gene the arm's compounds depend on needs frequencies or a fixed phenotype."""
    if "phenotype" not in a:
        return ()
    from . import catalog
    from .pharmacogenetics import check_coverage, check_entry, check_phenotype

    pp = p + ("phenotype",)
    value = ctx.table(pp, a["phenotype"], f"arm '{label}': `phenotype`", 'phenotype = { CYP2D6 = "poor" }')
    if species != "human":
        raise ctx.error(InputError, pp, f"arm '{label}': `phenotype` applies to human CYP2D6/CYP2C19; the arm's "
                                        f"species is '{species}'. Remove the phenotype or use species = \"human\".", value)
    for k, v in value.items():  # each entry located on its own line
        ctx.wrap(pp + (k,), v, check_entry, k, v, f"arm '{label}': `phenotype`")
    pheno = ctx.wrap(pp, value, check_phenotype, value, f"arm '{label}': `phenotype`")
    dosed = {d.drug: custom.get(d.drug) or catalog.drug(d.drug) for d in doses}
    formed = [custom.get(m) or catalog.drug(m) for dr in dosed.values() if species in dr.pk_specs
              for m in dr.pk(species).metabolites if m in custom or m in catalog.drugs()]
    where = pp + ("frequencies",) if "frequencies" in value else pp
    ctx.wrap(where, value.get("frequencies"), check_coverage, pheno, list(dosed.values()) + formed,
             f"arm '{label}': `phenotype`")
    return pheno


# --- patient covariates (issue 17): the arm's `patient` table; the relations live in pdsim/covariates.py --------
def _patient(ctx: _Ctx, path: Key, value: Any, label: str, species: str, body_weight: float | None) -> Patient:
    """An arm's ``patient = { age = 75, weight = "60 kg", ... }``: each attribute checked where it is written
    (file:line, arm, the rule and a fix); unknown attributes refused."""
    from .covariates import ATTRIBUTES, CATEGORIES, check_attribute

    table = ctx.table(path, value, f"arm '{label}': `patient`", 'patient = { age = 75, weight = "60 kg" }')
    ctx.unknown(table, set(ATTRIBUTES) | set(CATEGORIES), path, f"the patient of arm '{label}' (attributes: "
                f"{', '.join(list(ATTRIBUTES) + list(CATEGORIES))})")
    got = {}
    for k, v in table.items():
        try:
            got[k] = check_attribute(k, v)
        except InputError as exc:
            raise ctx.error(InputError, path + (k,), f"arm '{label}': {exc}", v) from None
    if species != "human":
        raise ctx.error(InputError, path, f"arm '{label}': a patient describes a human subject, but the arm's species "
                                          f"is '{species}'; remove `patient` or use species = \"human\".", species)
    if "weight" in got and body_weight is not None:
        raise ctx.error(InputError, path + ("weight",), f"arm '{label}' gives both body_weight and patient.weight; the "
                                                       f"patient's weight is the arm's body weight, so keep one.", got["weight"])
    return Patient(**got)


def _population_covariates(ctx: _Ctx, path: Key, value: Any) -> dict[str, Any]:
    """``[population.covariates]``: each attribute's distribution checked (`pdsim.covariates.check_distribution`)."""
    from .covariates import check_distribution

    table = ctx.table(path, value, "population `covariates`", '[population.covariates] with age = { mean = 76, sd = 3, '
                                                              'min = 72, max = 81 }')
    out = {}
    for k, v in table.items():
        if isinstance(v, Mapping) and set(v) == {"classes"}:  # already checked (a replace() of a Population)
            out[k] = dict(v)
            continue
        try:
            out[k] = check_distribution(k, v)
        except InputError as exc:
            raise ctx.error(InputError, path + (k,), str(exc), v) from None
    return out


def _patient_vs_population(ctx: _Ctx, arms: tuple, pop: Any) -> None:
    """An attribute is fixed by an arm's patient or drawn by the population, not both."""
    for arm in arms:
        both = sorted(set(arm.patient.given() if arm.patient else {}) & set(pop.covariates))
        if both:
            raise ctx.error(InputError, ("population", "covariates", both[0]),
                            f"arm '{arm.label}' fixes patient.{both[0]} and [population.covariates] draws {both[0]}; "
                            f"keep one (the arm's value, or the population's distribution).", both[0])


def _patient_of_arm(arm: "Arm", ctx: _Ctx, p: Key) -> None:
    """An Arm built in Python: a patient given as a dict becomes a Patient; its weight is the arm's body weight."""
    pt = arm.patient
    if pt is None:
        return
    if isinstance(pt, Mapping):
        pt = ctx.wrap(p + ("patient",), pt, Patient.from_mapping, pt)
        object.__setattr__(arm, "patient", pt)
    if not isinstance(pt, Patient):
        raise ctx.error(InputError, p + ("patient",), f"arm '{arm.label}': `patient` must be a Patient or a dict such "
                                                      f"as {{'age': 75}} (got {_shown(pt)}).", pt)
    if arm.species != "human":
        raise ctx.error(InputError, p + ("patient",), f"arm '{arm.label}': a patient describes a human subject, but the "
                                                      f"arm's species is '{arm.species}'.", arm.species)
    if pt.weight is not None:
        if arm.body_weight is not None and abs(arm.body_weight - pt.weight) > 1e-9 * pt.weight:
            raise ctx.error(InputError, p + ("body_weight",), f"arm '{arm.label}': body_weight {arm.body_weight:g} kg and "
                                                              f"patient weight {pt.weight:g} kg differ; give one.", arm.body_weight)
        object.__setattr__(arm, "body_weight", float(pt.weight))


def _positive(ctx: _Ctx, path: Key, value: Any, what: str, unit: str, example: str) -> float:
    ctx._scalar(path, value, what, example)
    return float(ctx.wrap(path, value, as_float, value, unit, what, positive=True))


def _dose(dd: Mapping[str, Any], name: str, label: str, ctx: _Ctx, p: Key, dr: Any = None) -> DoseSpec:
    route = ctx.text(p + ("route",), dd.get("route", "oral"), f"arm '{label}': `route`", 'route = "oral"')
    if route not in ROUTES:
        raise ctx.error(InputError, p + ("route",), f"unknown route {route!r} in arm '{label}'; use one of "
                                                    f"{', '.join(ROUTES)}.{suggest(route, ROUTES)}", route)
    raw = dd["dose"]
    ctx._scalar(p + ("dose",), raw, "dose", "'12.5 mg'")
    q = ctx.wrap(p + ("dose",), raw, quantity, raw, "dose")
    if q.check("[mass]"):
        per_kg, unit = False, "mg"
    elif is_per_kg(q, "[mass]"):
        per_kg, unit = True, "mg/kg"
    else:
        raise ctx.error(UnitError, p + ("dose",), f"dose must be a mass or a mass per body weight (got {q:~P}) in arm "
                                                  f"'{label}'; write e.g. '12.5 mg' or '10 mg/kg'.", raw)
    amount = float(ctx.wrap(p + ("dose",), raw, as_float, q, unit, "dose", nonnegative=True))
    if amount == 0:
        raise ctx.error(InputError, p + ("dose",), f"dose of {name} in arm '{label}' is zero; give a positive dose or "
                                                   f"remove the line.", raw)
    start = ctx.time(p + ("start",), dd.get("start", "0 h"), "start", nonnegative=True)
    every = None
    count = 1
    cap_why = "more doses than any protocol; each dose is an event the engine superposes"
    if "every" in dd:
        every = ctx.time(p + ("every",), dd["every"], "every", positive=True)
        if every < MIN_INTERVAL_H:
            raise ctx.error(InputError, p + ("every",), f"`every` ({every * 3600:.3g} s) is shorter than "
                                                        f"{MIN_INTERVAL_H * 60:g} minute, the shortest dosing interval "
                                                        f"accepted (closer doses are one dose); for a continuous input "
                                                        f"use route = \"iv_infusion\".", dd["every"])
        if "count" in dd and "until" in dd:
            raise ctx.error(InputError, p + ("until",), f"give count or until for {name} in arm '{label}', not both.")
        if "count" in dd:
            count = ctx.whole(p + ("count",), dd["count"], "count", 1, "count = 84", MAX_DOSES, cap_why)
        elif "until" in dd:
            until = ctx.time(p + ("until",), dd["until"], "until", positive=True)
            steps = (until - start) / every
            if steps > MAX_DOSES:
                raise ctx.error(InputError, p + ("until",), f"every {every:g} h until {until:g} h gives {_count_text(steps)} doses "
                                                            f"of {name} in arm '{label}', above the cap of {MAX_DOSES:,} "
                                                            f"({cap_why}); use a longer interval or an earlier until.", dd["until"])
            count = int((until - start) // every) + 1
            if (until - start) % every < 1e-9 * every and count > 1:
                count -= 1  # 'until 28 day' with every 8 h: last dose before the end, not at it
            if count < 1:
                raise ctx.error(InputError, p + ("until",), f"until ({until:g} h) comes before the first dose "
                                                            f"({start:g} h) of {name} in arm '{label}'.", dd["until"])
        else:
            raise ctx.error(InputError, p + ("every",), f"a repeated dose of {name} needs count = N or until = '28 day'.")
    elif "count" in dd or "until" in dd:
        k = "count" if "count" in dd else "until"
        raise ctx.error(InputError, p + (k,), f"count/until need every = '8 h' (how often) for {name} in arm '{label}'.",
                        dd[k])
    duration = None
    if route == "iv_infusion":
        if "duration" in dd and "rate" in dd:
            raise ctx.error(InputError, p + ("rate",), f"an iv_infusion of {name} in arm '{label}' gives both duration "
                                                       f"and rate; with the dose, one of them fixes the other, so keep one.",
                            dd["rate"])
        if "duration" in dd:
            duration = ctx.time(p + ("duration",), dd["duration"], "duration", positive=True)
        elif "rate" in dd:
            ctx._scalar(p + ("rate",), dd["rate"], "rate", "'10 mg/h'")
            r_unit = "mg/kg/h" if per_kg else "mg/h"
            rate = float(ctx.wrap(p + ("rate",), dd["rate"], as_float, dd["rate"], r_unit, "rate", positive=True))
            duration = amount / rate
        else:
            raise ctx.error(InputError, p + ("route",), f"an iv_infusion of {name} needs duration = '2 h' or "
                                                        f"rate = '10 mg/h'.", route)
    else:
        for k in ("duration", "rate"):
            if k in dd:
                raise ctx.error(InputError, p + (k,), f"`{k}` applies only to route = \"iv_infusion\", but this dose of "
                                                      f"{name} in arm '{label}' is {route}; remove `{k}` or set "
                                                      f"route = \"iv_infusion\".", dd[k])
    form, note = None, ""
    if "form" in dd:  # a salt: the amount becomes base (duration above came from the salt's own amount and rate)
        form = ctx.text(p + ("form",), dd["form"], f"arm '{label}': `form`", 'form = "hydrochloride"')
        if dr is None:
            from . import catalog

            dr = ctx.wrap(p + ("drug",), name, catalog.drug, name)
        amount *= ctx.wrap(p + ("form",), form, dr.base_fraction, form)
        note = f"arm '{label}': {dr.form_note(form)}"
    return ctx.wrap(p, raw, DoseSpec, drug=name, amount=amount, route=route, every=every, count=count, start=start,
                    duration=duration, per_kg=per_kg, form=form, note=note)


def _compounds(arms: tuple[Arm, ...] | list[Arm], custom: Mapping[str, Any]) -> dict[str, set[str]]:
    """{compound: species} for the drugs dosed and the catalogue metabolites they form."""
    from . import catalog

    out: dict[str, set[str]] = {}
    for arm in arms:
        for name in arm.drugs:
            out.setdefault(name, set()).add(arm.species)
            try:
                dr = custom.get(name) or catalog.drug(name)
            except PdsimError:
                continue  # the engine names an unknown drug
            if arm.species in dr.pk_specs:
                for met in dr.pk(arm.species).metabolites:
                    if met in catalog.drugs():
                        out.setdefault(met, set()).add(arm.species)
    return out


def _resolve_variability(ctx: _Ctx, var: dict[str, float], cor: PairCorrelations, arms: Any,
                         custom: Mapping[str, Any], *, require_dosed: bool) -> tuple[dict[str, float], PairCorrelations]:
    """Variability keys with drug aliases resolved ("stablon.CL" -> "tianeptine.CL"); each must name a drug
    (dosed in some arm, when ``require_dosed``) and a PK parameter the engine can vary; correlation
    matrices must be valid (positive definite) per drug."""
    from . import catalog
    from .population import correlation_matrix

    present = _compounds(arms, custom)
    rename: dict[str, str] = {}
    out: dict[str, float] = {}
    for key, cv in var.items():
        kp = ("population", "variability", key)
        drug_name, param = key.split(".")
        if drug_name in custom:
            canonical = drug_name
        else:
            try:
                canonical = catalog.drug(drug_name).name if "/" not in drug_name else None
            except PdsimError:
                canonical = None
        if canonical is None:
            raise ctx.error(UnknownNameError, kp, f"population variability '{key}': no drug '{drug_name}'."
                                                  f"{suggest(drug_name, list(present) or catalog.drugs(), known=bool(present))}",
                            key)
        if require_dosed and canonical not in present:
            raise ctx.error(InputError, kp, f"population variability '{key}' varies {canonical}, which no arm doses "
                                            f"(the arms have: {', '.join(present) or 'none'}); fix the name or remove "
                                            f"the line.{suggest(canonical, present)}", key)
        if param not in VARIED_PK:
            raise ctx.error(InputError, kp, f"population variability '{key}': {canonical} has no PK parameter '{param}' "
                                            f"that can vary; use one of {', '.join(VARIED_PK)}.{suggest(param, VARIED_PK)}", key)
        if canonical in present and require_dosed:
            _has_param(ctx, kp, key, canonical, param, present[canonical], custom)
        new = f"{canonical}.{param}"
        if new in out:
            raise ctx.error(InputError, kp, f"population variability '{key}' is '{new}' again (an alias); keep one.", key)
        rename[key] = new
        out[new] = cv
    pairs = PairCorrelations()
    for (a, b), rho in cor.items():
        pair = (rename[a], rename[b])
        if pair[0].split(".")[0] != pair[1].split(".")[0]:
            raise ctx.error(InputError, ("population", "correlations", f"{a}:{b}"),
                            f"population correlation '{a}:{b}' pairs parameters of two drugs; each drug's parameters "
                            f"are drawn independently, so pair parameters of one drug.", (a, b))
        if pair[0] == pair[1] or pair in pairs or pair[::-1] in pairs:
            raise ctx.error(InputError, ("population", "correlations", f"{a}:{b}"),
                            f"population correlation '{a}:{b}' repeats a parameter or a pair (after resolving "
                            f"aliases); keep one.", (a, b))
        pairs[pair] = rho
    for drug_name in {k.split(".")[0] for k in out}:
        names = [k for k in out if k.split(".")[0] == drug_name]
        mine = PairCorrelations({pr: r for pr, r in pairs.items() if pr[0] in names})
        if not mine:
            continue
        try:
            np.linalg.cholesky(correlation_matrix(mine, names))
        except (np.linalg.LinAlgError, PdsimError):
            raise ctx.error(InputError, ("population", "correlations"),
                            f"the correlations of {drug_name} ({', '.join(f'{a}:{b} = {r:g}' for (a, b), r in mine.items())}) "
                            f"do not form a valid (positive-definite) correlation matrix; reduce the coefficients.",
                            dict(mine)) from None
    return out, pairs


def _has_param(ctx: _Ctx, kp: Key, key: str, drug_name: str, param: str, species: set[str],
               custom: Mapping[str, Any]) -> None:
    """The engine varies the typical value of the PK model (`pdsim.pk.pk_model`); it must exist and be > 0."""
    from . import catalog
    from .pk import pk_model

    dr = custom.get(drug_name) or catalog.drug(drug_name)
    for sp in sorted(species):
        try:
            kw = pk_model(dr, sp).kwargs()
        except PdsimError:
            continue  # e.g. per-kg PK without a body weight: the engine reports it with the arm
        value = kw.get(param)
        if value is None or not (float(value) > 0):
            have = [k for k in VARIED_PK if kw.get(k) is not None and float(kw[k]) > 0]
            raise ctx.error(InputError, kp, f"population variability '{key}': {drug_name} has no {param} > 0 for {sp} "
                                            f"to vary.{suggest(param, have)} Vary one of {', '.join(have)}.", key)


def _known_targets(ctx: _Ctx, targets: tuple[str, ...], arms: list[Arm], custom: Mapping[str, Any]) -> None:
    from . import catalog

    known = set(catalog.targets())
    for name in _compounds(arms, custom):
        try:
            known |= set((custom.get(name) or catalog.drug(name)).targets)
        except PdsimError:
            continue
    for i, t in enumerate(targets):
        if t not in known:
            raise ctx.error(UnknownNameError, ("targets", i), f"unknown target '{t}'.{suggest(t, known, known=True)}", t)


def _known_systems(ctx: _Ctx, path: Key, systems: tuple[str, ...]) -> None:
    """Every name must be a system of the engine's registry (`pdsim list systems`)."""
    from .engine.registry import systems as registered

    known = registered()
    for i, s in enumerate(systems):
        if s not in known:
            raise ctx.error(UnknownNameError, path + (i,), f"unknown system '{s}'.{suggest(s, known, known=True)}", s)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (a name from models/scenarios/ also works).

    Raises
    ------
    ModelFileError
        If the file cannot be read, is not UTF-8 text or not TOML (the message names file and line).
    InputError, UnitError, UnknownNameError
        If a value breaks a rule (file, line, key and a fix in the message and as attributes).
    """
    from .catalog import scenario_path

    if not isinstance(path, (str, Path)) or (isinstance(path, str) and not path.strip()):
        raise InputError(f"load_scenario() takes a path to a .toml file or a scenario name (got {_shown(path)}).",
                         value=path)
    if isinstance(path, str) and "\x00" in path:
        raise InputError(f"scenario path {path!r} contains a NUL character; give a real file name.", value=path)
    p = Path(path)
    try:
        is_file = p.is_file()
    except OSError:
        is_file = False
    if not is_file:
        if p.exists():
            raise ModelFileError(f"{p}: is not a file; give a scenario .toml file.", file=p)
        p = scenario_path(str(path))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{p}: cannot read the scenario ({exc.strerror or exc}); check the path and permissions.",
                             file=p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ModelFileError(f"{p}:{line}: not UTF-8 text (byte {exc.start}); a scenario is a TOML text file, "
                             f"saved as UTF-8.", file=p, line=line) from None
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ModelFileError(f"{p}: TOML syntax error ({exc}); fix the file at that line.", file=p,
                             line=int(m.group(1)) if m else None) from None
    return Scenario.from_dict(d, path=p, text=text)


# --- event tables (NONMEM convention, `pdsim.events`) ------------------------------------------
_EVENT_KEYS = {"events", "drug", "id", "cmt", "amt_unit", "time_unit", "ignore"}


def _event_doses(dd: Mapping[str, Any], label: str, ctx: _Ctx, custom: Mapping[str, Any],
                 where: tuple = ()) -> list[DoseSpec]:
    """The `DoseSpec` lines of an arm's dose entry ``{ events = "doses.csv", drug = "...", ... }``.

    ``events`` is a CSV path (relative to the scenario file); ``drug`` names the drug of rows without
    a DRUG column; ``id``, ``cmt``, ``amt_unit``, ``time_unit`` and ``ignore`` are as for
    `pdsim.events.read_events`. ``where`` is the entry's key path (``("arms", i, "doses", j)``) and
    ``custom`` the scenario's own drugs. Each record becomes one line: TIME the start, II the
    interval, ADDL + 1 the count.
    """
    from .catalog import drug as catalog_drug

    def resolve_drug(name: str) -> str:
        if name in custom:
            return name
        try:
            return catalog_drug(name).name
        except UnknownNameError as exc:
            raise UnknownNameError(f"{ctx.where(where + ('drug',))}: {exc}") from None

    ctx.unknown(dd, _EVENT_KEYS, where, f"an events dose of arm '{label}'")
    base = ctx.path.parent if ctx.path else Path.cwd()
    f = Path(str(dd["events"]))
    path = f if f.is_absolute() else base / f
    if not path.is_file():
        raise ModelFileError(f"{ctx.where(where + ('events',))}: event table {path} (arm '{label}') does not exist.")
    kw = {k: dd[k] for k in ("id", "cmt", "amt_unit", "time_unit", "ignore") if k in dd}
    try:
        records = read_events(path, **kw)
    except PdsimError as exc:
        raise type(exc)(f"{ctx.where(where + ('events',))} (arm '{label}'): {exc}") from None
    return _event_specs(records, dd.get("drug"), resolve_drug, f"{ctx.where(where + ('events',))} (arm '{label}')")


def _event_specs(records: list[EventRecord], drug: str | None, resolve_drug, where: str,
                 strict: bool = True) -> list[DoseSpec]:
    out = []
    for rec in records:
        try:
            name = record_drug(rec, drug, strict)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        if name is None:
            raise InputError(f"{where}: row {rec.row} names no drug; add drug = \"...\" to the dose entry or a DRUG column.")
        if rec.time < 0:
            raise InputError(f"{where}: row {rec.row}, column TIME is {rec.time:g} h; a scenario starts at 0 h, "
                             "so TIME must be >= 0.")
        out.append(DoseSpec(drug=resolve_drug(name), amount=rec.amount, route=rec.route,
                            every=rec.ii if rec.addl else None, count=rec.addl + 1, start=rec.time,
                            duration=rec.duration if rec.route == "iv_infusion" else None))
    return out


def replay_scenario(scenario: "Scenario | str | Path", table: Any, arm: str | None = None, **kw: Any) -> Scenario:
    """The scenario with one arm whose doses are the event table's (its other settings kept).

    ``arm`` picks the arm to keep (by label) when the scenario has several. Rows without a DRUG
    value dose the arm's drug when the arm doses exactly one. ``kw`` are as for
    `pdsim.events.read_events` (``id``, ``cmt``, ``amt_unit``, ``time_unit``, ``ignore``).
    """
    from .catalog import drug as catalog_drug

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    labels = [a.label for a in sc.arms]
    if arm is None:
        if len(sc.arms) != 1:
            raise InputError(f"scenario '{sc.name}' has {len(sc.arms)} arms ({', '.join(labels)}); "
                             "choose the one to replay with --arm LABEL (arm=...).")
        the_arm = sc.arms[0]
    elif arm in labels:
        the_arm = sc.arms[labels.index(arm)]
    else:
        raise InputError(f"scenario '{sc.name}' has no arm {arm!r}.{suggest(arm, labels, known=True)}")
    records = read_events(table, **kw)
    default = the_arm.drugs[0] if len(the_arm.drugs) == 1 else None

    def resolve(name: str) -> str:
        return name if name in sc.custom_drugs else catalog_drug(name).name

    where = f"replaying {table} in arm '{the_arm.label}'"
    specs = _event_specs(records, default, resolve, where, strict=False)
    return replace(sc, arms=(replace(the_arm, doses=tuple(specs)),))
