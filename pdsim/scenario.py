"""Scenarios: arms of dosing (and stress), an output grid and an optional virtual population.

Read from TOML (`load_scenario`) or built from a dict (`Scenario.from_dict`) or in Python;
validated once here, so the engine sees plain floats in canonical units (h, mg).
"""
from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, ModelFileError, PdsimError, UnitError, UnknownNameError, suggest
from .dosing import ROUTES
from .provenance import line_of, load_toml
from .units import as_float, quantity

__all__ = ["DoseSpec", "Arm", "Population", "Scenario", "load_scenario", "ROUTES"]

_TOP = {"name", "description", "duration", "output_every", "arms", "population", "targets", "systems",
        "drugs", "drug_files", "site"}
_ARM = {"label", "species", "body_weight", "doses", "stress", "systems"}
_DOSE = {"drug", "dose", "every", "count", "until", "route", "start", "duration", "rate"}
_STRESS = {"protocol", "start"}
_POP = {"size", "seed", "variability", "correlations", "chunk_size"}
SITES = ("free", "brain")


class _Ctx:
    """Where a value came from, so that errors can name file, line and key."""

    def __init__(self, path: Path | None):
        self.path = path

    def where(self, key: str) -> str:
        if self.path is None:
            return f"scenario key `{key}`"
        ln = line_of(self.path, key.split("[")[0])
        return f"{self.path}{':' + str(ln) if ln else ''}: `{key}`"

    def unknown(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for k in table:
            if k not in allowed:
                raise ModelFileError(f"{self.where(k)}: unknown key '{k}' in {prefix}.{suggest(k, allowed)}")

    def wrap(self, key: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PdsimError as exc:
            raise type(exc)(f"{self.where(key)}: {exc}") from None


@dataclass(frozen=True)
class DoseSpec:
    """One dosing line of an arm. Times in h, amounts in mg (or mg/kg when ``per_kg``)."""

    drug: str
    amount: float
    route: str = "oral"
    every: float | None = None
    count: int = 1
    start: float = 0.0
    duration: float | None = None
    per_kg: bool = False

    @property
    def times(self) -> list[float]:
        if self.every is None:
            return [self.start]
        return [self.start + i * self.every for i in range(self.count)]


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

    @property
    def drugs(self) -> tuple[str, ...]:
        seen: list[str] = []
        for d in self.doses:
            if d.drug not in seen:
                seen.append(d.drug)
        return tuple(seen)


@dataclass(frozen=True)
class Population:
    """Virtual subjects: size, seed and log-normal CVs keyed "drug.PARAM" (e.g. "tianeptine.CL")."""

    size: int = 1
    seed: int = 0
    variability: dict[str, float] = field(default_factory=dict)
    correlations: dict[str, float] = field(default_factory=dict)
    chunk_size: int = 20000

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise InputError(f"population `size` must be a whole number >= 1 (got {self.size!r}); use size = 1 for one typical subject.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"population `seed` must be a whole number >= 0 (got {self.seed!r}).")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InputError(f"population `chunk_size` must be a whole number >= 1 (got {self.chunk_size!r}); "
                             f"leave it out for the default 20000.")
        for k, cv in self.variability.items():
            if not isinstance(cv, (int, float)) or cv != cv or cv < 0:
                raise InputError(f"population variability `{k}` must be a CV >= 0 (got {cv!r}); write e.g. 0.3 for 30 %.")
            if "." not in k:
                raise InputError(f"population variability key `{k}` must name drug and parameter, e.g. 'tianeptine.CL'.")


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
    custom_drugs: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        if not self.arms:
            raise InputError("a scenario needs at least one arm; add [[arms]] with a label and doses.")
        labels = [a.label for a in self.arms]
        if len(set(labels)) != len(labels):
            raise InputError(f"arm labels must be unique (got {labels}); give each [[arms]] its own label.")
        if not (self.duration > 0):
            raise InputError(f"`duration` must be greater than zero (got {self.duration} h); write e.g. '28 day'.")
        if not (0 < self.output_every <= self.duration):
            raise InputError(f"`output_every` must be > 0 and <= duration (got {self.output_every} h); write e.g. '1 h'.")
        if self.site not in SITES:
            raise InputError(f"`site` must be one of {', '.join(SITES)} (got {self.site!r}).{suggest(self.site, SITES)}")
        for arm in self.arms:
            for d in arm.doses:
                if d.start > self.duration:
                    raise InputError(
                        f"arm '{arm.label}': the first dose of {d.drug} at {d.start} h comes after the end of the scenario "
                        f"({self.duration} h); lengthen `duration` or start the dose earlier."
                    )

    @property
    def n_times(self) -> int:
        return int(round(self.duration / self.output_every)) + 1

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: Path | None = None) -> "Scenario":
        """Build and validate a scenario from the TOML structure (see DESIGN.md)."""
        ctx = _Ctx(Path(path) if path else None)
        if not isinstance(d, dict):
            raise ModelFileError(f"a scenario must be a table/dict (got {type(d).__name__}).")
        ctx.unknown(d, _TOP, "the scenario")
        for req in ("name", "duration", "arms"):
            if req not in d:
                raise ModelFileError(f"{ctx.where(req)} is missing; a scenario needs name, duration and [[arms]].")
        duration = ctx.wrap("duration", as_float, d["duration"], "h", "duration", positive=True)
        every = ctx.wrap("output_every", as_float, d.get("output_every", "1 h"), "h", "output_every", positive=True)
        custom = _custom_drugs(d, ctx)
        arms = []
        if not isinstance(d["arms"], list) or not d["arms"]:
            raise ModelFileError(f"{ctx.where('arms')}: give at least one [[arms]] table.")
        for i, a in enumerate(d["arms"]):
            arms.append(_arm(a, i, ctx, custom))
        pop = d.get("population", {})
        ctx.unknown(pop, _POP, "[population]")
        try:
            population = Population(
                size=pop.get("size", 1), seed=pop.get("seed", 0), variability=dict(pop.get("variability", {})),
                correlations=dict(pop.get("correlations", {})), chunk_size=pop.get("chunk_size", 20000),
            )
        except PdsimError as exc:
            raise type(exc)(f"{ctx.where('population')}: {exc}") from None
        targets = d.get("targets")
        systems = tuple(d.get("systems", ()))
        _check_systems(systems, [a.systems or () for a in arms], ctx)
        try:
            return cls(
                name=str(d["name"]), arms=tuple(arms), duration=duration, output_every=every, population=population,
                targets=tuple(targets) if targets is not None else None, systems=systems,
                site=d.get("site", "free"), description=d.get("description", ""), custom_drugs=custom,
                path=ctx.path,
            )
        except PdsimError as exc:
            raise type(exc)(f"{ctx.path or 'scenario'}: {exc}") from None


def _check_systems(systems: tuple, per_arm: list, ctx: _Ctx) -> None:
    """Every system name (the scenario's and the arms') must be a registered system (`pdsim list systems`)."""
    from .engine.registry import check_names

    for where, names in [("systems", systems)] + [("arms.systems", a) for a in per_arm]:
        check_names(names, ctx.where(where))


def _custom_drugs(d: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
    """Drugs defined in the scenario ([drugs.NAME] tables) or in files it names (drug_files)."""
    from .catalog import load_drug_file, registry

    out: dict[str, Any] = {}
    base = ctx.path.parent if ctx.path else Path.cwd()
    for f in d.get("drug_files", []):
        p = (base / f) if not Path(f).is_absolute() else Path(f)
        dr = load_drug_file(p, registry())
        out[dr.name] = dr
    for name, tbl in d.get("drugs", {}).items():
        tbl = dict(tbl)
        tbl.setdefault("name", name)
        with tempfile.TemporaryDirectory() as tmp:
            # an inline drug is validated exactly like a drug file
            p = Path(tmp) / f"{name}.toml"
            p.write_text(_to_toml(tbl), encoding="utf-8")
            try:
                dr = load_drug_file(p, registry())
            except PdsimError as exc:
                msg = str(exc).replace(str(p), f"{ctx.path or 'scenario'} [drugs.{name}]")
                raise type(exc)(msg) from None
        out[dr.name] = dr
    return out


def _to_toml(obj: dict[str, Any], prefix: str = "") -> str:
    """Minimal TOML writer for nested dicts of scalars/lists/inline tables (inline drugs only)."""
    scalars, tables = [], []
    for k, v in obj.items():
        if isinstance(v, dict) and not ("value" in v):
            tables.append((k, v))
        else:
            scalars.append(f"{k} = {_val(v)}")
    out = "\n".join(scalars) + "\n"
    for k, v in tables:
        name = f"{prefix}.{k}" if prefix else k
        out += f"\n[{name}]\n" + _to_toml(v, name)
    return out


def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_val(x)}" for k, x in v.items()) + " }"
    raise ModelFileError(f"cannot write value {v!r} of type {type(v).__name__} in an inline drug.")


def _arm(a: dict[str, Any], i: int, ctx: _Ctx, custom: dict[str, Any]) -> Arm:
    from .catalog import drug as catalog_drug

    if not isinstance(a, dict):
        raise ModelFileError(f"{ctx.where('arms')}: arm {i + 1} must be a table.")
    ctx.unknown(a, _ARM, f"arm {i + 1}")
    label = str(a.get("label", f"arm {i + 1}"))
    species = a.get("species", "human")
    bw = a.get("body_weight")
    body_weight = ctx.wrap("body_weight", as_float, bw, "kg", "body_weight", positive=True) if bw is not None else None
    doses = []
    for dd in a.get("doses", []):
        ctx.unknown(dd, _DOSE, f"a dose of arm '{label}'")
        if "drug" not in dd or "dose" not in dd:
            raise ModelFileError(f"{ctx.where('doses')}: each dose of arm '{label}' needs drug and dose.")
        name = dd["drug"]
        if name not in custom:
            try:
                name = catalog_drug(name).name
            except UnknownNameError as exc:
                raise UnknownNameError(f"{ctx.where('drug')}: {exc}") from None
        doses.append(_dose(dd, name, label, ctx))
    stress = None
    stress_start = 0.0
    if "stress" in a:
        st = a["stress"]
        if not isinstance(st, dict):
            raise ModelFileError(f"{ctx.where('stress')}: arm '{label}' gives stress = {st!r}, but stress is a table; "
                                 f"write [arms.stress] with protocol = \"chronic_restraint\" (or "
                                 f"stress = {{ protocol = \"chronic_restraint\" }}).")
        ctx.unknown(st, _STRESS, f"[arms.stress] of arm '{label}'")
        if "protocol" not in st:
            raise ModelFileError(f"{ctx.where('stress')}: [arms.stress] needs protocol = \"...\".")
        stress = st["protocol"]
        if "start" in st:
            stress_start = ctx.wrap("start", as_float, st["start"], "h", "stress.start", nonnegative=True)
    systems = tuple(a["systems"]) if "systems" in a else None
    return Arm(label=label, doses=tuple(doses), species=species, body_weight=body_weight, stress=stress,
               stress_start=stress_start, systems=systems)


def _dose(dd: dict[str, Any], name: str, label: str, ctx: _Ctx) -> DoseSpec:
    route = dd.get("route", "oral")
    if route not in ROUTES:
        raise InputError(f"{ctx.where('route')}: unknown route {route!r} in arm '{label}'.{suggest(route, ROUTES)}")
    q = ctx.wrap("dose", quantity, dd["dose"], "dose")
    if q.check("[mass]"):
        per_kg, unit = False, "mg"
    elif q.dimensionless and str(q.units) not in ("dimensionless", ""):
        per_kg, unit = True, "mg/kg"
    else:
        raise UnitError(
            f"{ctx.where('dose')}: dose must be a mass or a mass per body weight (got {q:~P}); write e.g. '12.5 mg' or '10 mg/kg'."
        )
    amount = ctx.wrap("dose", as_float, q, unit, "dose", nonnegative=True)
    if amount == 0:
        raise InputError(f"{ctx.where('dose')}: dose of {name} in arm '{label}' is zero; give a positive dose or remove the line.")
    start = ctx.wrap("start", as_float, dd.get("start", "0 h"), "h", "start", nonnegative=True)
    every = None
    count = 1
    if "every" in dd:
        every = ctx.wrap("every", as_float, dd["every"], "h", "every", positive=True)
        if "count" in dd and "until" in dd:
            raise InputError(f"{ctx.where('count')}: give count or until for {name} in arm '{label}', not both.")
        if "count" in dd:
            count = dd["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise InputError(f"{ctx.where('count')}: count must be a whole number >= 1 (got {count!r}).")
        elif "until" in dd:
            until = ctx.wrap("until", as_float, dd["until"], "h", "until", positive=True)
            count = int((until - start) // every) + 1
            if (until - start) % every < 1e-9 * every and count > 1:
                count -= 1  # 'until 28 day' with every 8 h: last dose before the end, not at it
            if count < 1:
                raise InputError(f"{ctx.where('until')}: until ({until} h) comes before the first dose ({start} h).")
        else:
            raise InputError(f"{ctx.where('every')}: a repeated dose of {name} needs count = N or until = '28 day'.")
    elif "count" in dd or "until" in dd:
        raise InputError(f"{ctx.where('count')}: count/until need every = '8 h' (how often) for {name} in arm '{label}'.")
    duration = None
    if route == "iv_infusion":
        if "duration" in dd:
            duration = ctx.wrap("duration", as_float, dd["duration"], "h", "duration", positive=True)
        elif "rate" in dd:
            rate = ctx.wrap("rate", as_float, dd["rate"], "mg/h", "rate", positive=True)
            duration = amount / rate
        else:
            raise InputError(f"{ctx.where('route')}: an iv_infusion of {name} needs duration = '2 h' or rate = '10 mg/h'.")
    return DoseSpec(drug=name, amount=amount, route=route, every=every, count=count, start=start,
                    duration=duration, per_kg=per_kg)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (a name from models/scenarios/ also works)."""
    from .catalog import scenario_path

    p = Path(path)
    if not p.is_file():
        p = scenario_path(str(path))
    try:
        d = load_toml(p)
    except tomllib.TOMLDecodeError as exc:  # load_toml already wraps; kept for clarity
        raise ModelFileError(f"{p}: {exc}") from None
    return Scenario.from_dict(d, path=p)
