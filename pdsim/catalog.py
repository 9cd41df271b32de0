"""The catalogue: loads models/ (drugs, targets, systems, species, scenarios) and seeds/.

Files are read once, validated (every number a sourced Parameter) and cached; look-ups by an
unknown name fail with a suggestion.
"""
from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelFileError, UnknownNameError, did_you_mean, suggest
from .provenance import Parameter, Registry, is_parameter_table, line_of, load_toml

__all__ = [
    "root",
    "models_dir",
    "seeds_dir",
    "registry",
    "Drug",
    "PKSpec",
    "TargetBinding",
    "ModelFile",
    "drugs",
    "drug",
    "load_drug_file",
    "targets",
    "target",
    "systems",
    "system",
    "species",
    "species_names",
    "scenarios",
    "scenario_path",
    "clear_cache",
    "DrugName",
    "resolve",
]

ACTIONS = ("agonist", "antagonist", "inhibitor", "blocker")
MEASURES = ("Ki", "Kd", "IC50", "EC50", "KB")
#: "one_compartment_cyp2d6_inactivation": non-linear, the drug inactivates its own CYP2D6 clearance
#: (`pdsim.pk.CypInactivation`); it needs the parameters of `INACTIVATION_PARAMS` as well
PK_MODELS = ("one_compartment", "two_compartment", "one_compartment_cyp2d6_inactivation")
#: the parameters only the CYP2D6-inactivation model has (CYP2D6 clearance, inactivation, enzyme turnover)
INACTIVATION_PARAMS = ("CL_2D6", "kinact", "KI", "kdeg")
PK_PARAMS = ("ka", "F", "tlag", "CL", "V", "Q", "V2", "fu", "kp_uu", "ke0", "F_ip") + INACTIVATION_PARAMS
_DRUG_KEYS = {"name", "display_name", "aliases", "description", "parent", "molar_mass", "pk", "targets",
              "therapeutic_range", "doses", "sources", "forms", "tdm", "pharmacogenetics"}
#: keys of a [tdm] table (therapeutic drug monitoring: reference range and laboratory alert level)
TDM_KEYS = ("measure", "range_low", "range_high", "alert")


def root() -> Path:
    """The folder holding models/ and seeds/.

    In order: ``PDSIM_HOME`` when set; the catalogue installed with the package (a wheel carries
    models/ and seeds/ as package data in ``pdsim/_data``, read through importlib.resources); the
    source checkout beside the package (an editable install or a clone on ``PYTHONPATH``).
    """
    env = os.environ.get("PDSIM_HOME")
    return Path(env) if env else _installed_root()


@functools.lru_cache(maxsize=1)
def _installed_root() -> Path:
    import importlib.resources

    data = importlib.resources.files(__package__) / "_data"
    if data.is_dir() and (data / "models").is_dir() and (data / "seeds").is_dir():
        if isinstance(data, Path):
            return data
        # A zipped install: extract once for this process (the catalogue is read as files).
        import atexit

        stack = contextlib.ExitStack()
        atexit.register(stack.close)
        try:
            return Path(stack.enter_context(importlib.resources.as_file(data)))
        except (OSError, TypeError, ValueError) as exc:
            raise ModelFileError(
                f"pdsim's catalogue is inside a zipped install ({data}) and could not be extracted ({exc}); "
                "install pdsim unzipped or set PDSIM_HOME to a folder holding models/ and seeds/."
            ) from exc
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "models").is_dir() and (checkout / "seeds").is_dir():
        return checkout
    raise ModelFileError(
        f"pdsim's catalogue (models/ and seeds/) was found neither as package data ({data}) nor beside the "
        f"package ({checkout}); reinstall pdsim from a wheel or sdist, or set PDSIM_HOME to a folder holding "
        "models/ and seeds/."
    )


def models_dir() -> Path:
    """The models/ folder of :func:`root`."""
    return root() / "models"


def seeds_dir() -> Path:
    """The seeds/ folder of :func:`root`."""
    return root() / "seeds"


@functools.lru_cache(maxsize=None)
def _registry(path: str) -> Registry:
    return Registry.load(Path(path))


def registry() -> Registry:
    """The claims and references of seeds/ (cached)."""
    return _registry(str(seeds_dir()))


def _param(tbl: Any, name: str, path: Path, reg: Registry | None) -> Parameter:
    p = Parameter.from_table(tbl, name, path)
    if reg is not None:
        reg.require(p, path)
    return p


def _params_of(tbl: dict[str, Any], prefix: str, path: Path, reg: Registry | None) -> dict[str, Parameter]:
    out = {}
    for k, v in tbl.items():
        if is_parameter_table(v):
            out[k] = _param(v, f"{prefix}.{k}", path, reg)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ln = line_of(path, k)
            raise ModelFileError(
                f"{path}{':' + str(ln) if ln else ''}: `{prefix}.{k}` is a bare number; write it as a Parameter "
                f"{{ value = {v}, unit = ..., sources = [...], kind = ..., note = ... }}."
            )
    return out


@dataclass(frozen=True)
class PKSpec:
    """A drug's pharmacokinetic model for one species: model name, parameters, metabolites (fm)."""

    species: str
    model: str
    params: dict[str, Parameter]
    metabolites: dict[str, Parameter] = field(default_factory=dict)
    #: covariate relations ([pk.<species>.covariates.<name>] tables; `pdsim.covariates.Relation`)
    covariates: tuple = ()

    def get(self, key: str) -> Parameter | None:
        return self.params.get(key)


@dataclass(frozen=True)
class TargetBinding:
    """How one drug acts at one target: action, what the affinity value measures, parameters."""

    target: str
    action: str
    measure: str
    affinity: Parameter
    params: dict[str, Parameter] = field(default_factory=dict)
    #: the channel/receptor subtype the unsuffixed constants were measured on (e.g. "Nav1.5"); "" if not stated
    isoform: str = ""


@dataclass(frozen=True)
class Drug:
    """A catalogue drug: molar mass, PK per species, actions at targets, each value sourced."""

    name: str
    display_name: str
    molar_mass: Parameter
    pk_specs: dict[str, PKSpec]
    targets: dict[str, TargetBinding]
    parent: str = ""
    description: str = ""
    aliases: tuple[str, ...] = ()
    extra: dict[str, dict[str, Parameter]] = field(default_factory=dict)
    path: Path | None = None
    #: what a [tdm] range measures: the compounds summed, e.g. ("amitriptyline", "nortriptyline")
    tdm_measure: tuple[str, ...] = ()

    @property
    def forms(self) -> dict[str, Parameter]:
        """Molar mass of each marketed salt form ([forms.<form>] tables), by form name."""
        return {k.split(".")[0]: p for k, p in self.extra.get("forms", {}).items()}

    def base_fraction(self, form: str) -> float:
        r"""Mass of base per mass of the salt ``form``: :math:`M_{base} / M_{salt}`.

        A dose of ``form`` is converted to base as amount × this fraction (e.g. amitriptyline
        hydrochloride: 277.41 / 313.87). An unknown form fails with the forms the drug knows.
        """
        forms = self.forms
        if form not in forms:
            known = ", ".join(sorted(forms)) or "none (doses are of the base)"
            raise UnknownNameError(f"{self.display_name} has no form '{form}' in its [forms] table; known forms: "
                                   f"{known}.{did_you_mean(form, forms)} Leave `form` out for a dose "
                                   f"of the base, or add [forms.{form}] molar_mass = {{...}} to the drug file.")
        return self.molar_mass.to("g/mol") / forms[form].to("g/mol")

    def form_note(self, form: str) -> str:
        """The sentence that states a salt-to-base conversion (for Result notes)."""
        m_base, m_salt = self.molar_mass.to("g/mol"), self.forms[form].to("g/mol") if form in self.forms else None
        if m_salt is None:
            self.base_fraction(form)  # raises, naming the known forms
        return (f"{self.name} doses stated as the {form} ({m_salt:g} g/mol) converted to base ({m_base:g} g/mol): "
                f"amount x {m_base:g}/{m_salt:g} = x {m_base / m_salt:.4f}.")

    def pk(self, species: str = "human") -> PKSpec:
        """The PK model for ``species``; an unknown species fails with the ones known."""
        try:
            return self.pk_specs[species]
        except KeyError:
            raise UnknownNameError(
                f"Drug '{self.name}' has no PK for species '{species}'.{suggest(species, self.pk_specs, known=True)}"
            ) from None

    def affinity(self, target: str) -> Parameter:
        """The affinity Parameter (Ki, Kd, IC50, EC50 or KB, see ``binding(target).measure``)."""
        return self.binding(target).affinity

    def binding(self, target: str) -> TargetBinding:
        try:
            return self.targets[target]
        except KeyError:
            raise UnknownNameError(
                f"Drug '{self.name}' has no affinity for target '{target}'.{suggest(target, self.targets)}"
            ) from None

    def parameters(self) -> dict[str, Parameter]:
        """Every parameter of the drug by dotted name, e.g. ``pk.human.CL``, ``targets.MOR.affinity``."""
        out = {"molar_mass": self.molar_mass}
        for sp, spec in self.pk_specs.items():
            for k, p in spec.params.items():
                out[f"pk.{sp}.{k}"] = p
            for k, p in spec.metabolites.items():
                out[f"pk.{sp}.metabolites.{k}"] = p
            for rel in spec.covariates:
                for k, p in rel.coefficients.items():
                    out[f"pk.{sp}.covariates.{rel.name}.{k}"] = p
        for t, b in self.targets.items():
            out[f"targets.{t}.affinity"] = b.affinity
            for k, p in b.params.items():
                out[f"targets.{t}.{k}"] = p
        for sec, ps in self.extra.items():
            for k, p in ps.items():
                out[f"{sec}.{k}"] = p
        return out


def load_drug_file(path: Path, reg: Registry | None = None) -> Drug:
    """Load and validate one drug TOML file (also a user's own file outside models/)."""
    path = Path(path)
    d = load_toml(path)
    unknown = set(d) - _DRUG_KEYS
    if unknown:
        bad = sorted(unknown)[0]
        ln = line_of(path, bad)
        raise ModelFileError(f"{path}{':' + str(ln) if ln else ''}: unknown field '{bad}'.{suggest(bad, _DRUG_KEYS)}")
    for req in ("name", "molar_mass"):
        if req not in d:
            raise ModelFileError(f"{path}: missing field '{req}'; see models/README.md for the drug schema.")
    name = d["name"]
    mm = _param(d["molar_mass"], "molar_mass", path, reg)
    if mm.to("g/mol") <= 0:
        raise ModelFileError(f"{path}: `molar_mass` must be positive.")
    pk_specs: dict[str, PKSpec] = {}
    for sp, tbl in d.get("pk", {}).items():
        if not isinstance(tbl, dict):
            raise ModelFileError(f"{path}: [pk.{sp}] must be a table of parameters.")
        model = tbl.get("model", "one_compartment")
        if model not in PK_MODELS:
            raise ModelFileError(f"{path}:{line_of(path, 'model') or '?'}: pk.{sp}.model {model!r} is not known.{suggest(model, PK_MODELS)}")
        for k in tbl:
            if k not in PK_PARAMS and k not in ("model", "metabolites", "covariates"):
                ln = line_of(path, k)
                raise ModelFileError(f"{path}{':' + str(ln) if ln else ''}: unknown PK field 'pk.{sp}.{k}'.{suggest(k, PK_PARAMS)}")
        params = _params_of({k: v for k, v in tbl.items() if k not in ("model", "metabolites", "covariates")},
                            f"pk.{sp}", path, reg)
        nonlinear = model == "one_compartment_cyp2d6_inactivation"
        need = ["CL", "V"] + (["Q", "V2"] if model == "two_compartment" else []) + (
            list(INACTIVATION_PARAMS) + ["fu"] if nonlinear else [])
        for k in INACTIVATION_PARAMS:
            if k in params and not nonlinear:
                raise ModelFileError(f"{path}{':' + str(line_of(path, k) or '?')}: pk.{sp}.{k} belongs to the non-linear "
                                     f"model; set pk.{sp}.model = \"one_compartment_cyp2d6_inactivation\" or remove it.")
        for k in need:
            if k not in params:
                raise ModelFileError(f"{path}: pk.{sp} ({model}) is missing parameter '{k}'; add {k} = {{ value = ..., unit = ..., sources = [...], kind = ... }}.")
        _check_units(params, path, sp)
        mets = _params_of(tbl.get("metabolites", {}), f"pk.{sp}.metabolites", path, reg)
        covs = _covariates(tbl.get("covariates"), sp, params, path, reg)
        pk_specs[sp] = PKSpec(species=sp, model=model, params=params, metabolites=mets, covariates=covs)
    targets: dict[str, TargetBinding] = {}
    for tname, tbl in d.get("targets", {}).items():
        action = tbl.get("action")
        if action not in ACTIONS:
            raise ModelFileError(f"{path}: targets.{tname}.action must be one of {', '.join(ACTIONS)} (got {action!r}).")
        measure = tbl.get("measure")
        if measure not in MEASURES:
            raise ModelFileError(f"{path}: targets.{tname}.measure must be one of {', '.join(MEASURES)} (got {measure!r}).")
        if "affinity" not in tbl:
            raise ModelFileError(f"{path}: targets.{tname} is missing 'affinity'; add affinity = {{ value = ..., unit = \"nM\", ... }}.")
        aff = _param(tbl["affinity"], f"targets.{tname}.affinity", path, reg)
        try:
            aff.to("nM")
        except Exception:
            raise ModelFileError(f"{path}: targets.{tname}.affinity must be a concentration such as 'nM' (got {aff.unit!r}).") from None
        isoform = tbl.get("isoform", "")
        if not isinstance(isoform, str):
            raise ModelFileError(f"{path}: targets.{tname}.isoform must be text naming the subtype the constants were "
                                 f"measured on, e.g. isoform = \"Nav1.5\" (got {isoform!r}).")
        rest = _params_of({k: v for k, v in tbl.items() if k not in ("action", "measure", "affinity", "in_vivo", "isoform")},
                          f"targets.{tname}", path, reg)
        rest.update(_in_vivo_params(tbl.get("in_vivo"), tname, path, reg))
        targets[tname] = TargetBinding(target=tname, action=action, measure=measure, affinity=aff, params=rest,
                                       isoform=isoform)
    extra = {}
    for sec in ("therapeutic_range", "doses"):
        if sec in d:
            extra[sec] = _params_of(d[sec], sec, path, reg)
    if "forms" in d:
        extra["forms"] = _forms(d["forms"], path, reg)
    if "pharmacogenetics" in d:  # CYP2D6/CYP2C19 phenotype multipliers (pdsim.pharmacogenetics)
        from .phenotypes import parse_drug_table

        formed = {m for spec in pk_specs.values() for m in spec.metabolites}
        extra["pharmacogenetics"] = parse_drug_table(d["pharmacogenetics"], path, reg, formed)
        nonlinear = any(spec.model == "one_compartment_cyp2d6_inactivation" for spec in pk_specs.values())
        for key in extra["pharmacogenetics"]:
            gene, pheno, what = key.split(".", 2)
            if nonlinear and gene == "CYP2D6" and what == "CL":
                raise ModelFileError(f"{path}: pharmacogenetics.{key}: with the non-linear CYP2D6 model a CYP2D6 "
                                     f"phenotype scales the CYP2D6 clearance; write CL_2D6 (0 for a poor metaboliser).")
            if not nonlinear and what == "CL_2D6":
                raise ModelFileError(f"{path}: pharmacogenetics.{key}: CL_2D6 needs pk.<species>.model = "
                                     f"\"one_compartment_cyp2d6_inactivation\"; write CL for a linear drug.")
    measure: tuple[str, ...] = ()
    if "tdm" in d:
        extra["tdm"], measure = _tdm(d["tdm"], name, path, reg)
    return Drug(
        name=name,
        display_name=d.get("display_name", name),
        molar_mass=mm,
        pk_specs=pk_specs,
        targets=targets,
        parent=d.get("parent", ""),
        description=d.get("description", ""),
        aliases=tuple(d.get("aliases", ())),
        extra=extra,
        path=path,
        tdm_measure=measure,
    )


def _covariates(tbl: Any, sp: str, params: dict[str, Parameter], path: Path, reg: Registry | None) -> tuple:
    """[pk.<species>.covariates.<name>] relations (`pdsim.covariates`), checked against the PK table."""
    if tbl is None:
        return ()
    from .covariates import check_relations, parse_relations

    rels = parse_relations(tbl, sp, path, reg)
    check_relations(rels, params, sp, path)
    return rels


def _forms(tbl: Any, path: Path, reg: Registry | None) -> dict[str, Parameter]:
    """[forms.<salt>] tables: each holds one Parameter, molar_mass (g/mol), keyed ``<salt>.molar_mass``."""
    if not isinstance(tbl, dict):
        raise ModelFileError(f"{path}: [forms] must hold tables such as [forms.hydrochloride] with molar_mass = {{...}}.")
    out = {}
    for form, ft in tbl.items():
        if not isinstance(ft, dict) or set(ft) != {"molar_mass"}:
            raise ModelFileError(f"{path}{':' + str(line_of(path, form) or '?')}: [forms.{form}] must hold exactly "
                                 f"molar_mass = {{ value = ..., unit = \"g/mol\", sources = [...], kind = ..., note = ... }}.")
        p = _param(ft["molar_mass"], f"forms.{form}.molar_mass", path, reg)
        if not _compatible(p.unit, "g/mol") or p.value <= 0:
            raise ModelFileError(f"{path}: forms.{form}.molar_mass must be a positive molar mass in g/mol (got {p.value:g} {p.unit}).")
        out[f"{form}.molar_mass"] = p
    return out


def _tdm(tbl: Any, name: str, path: Path, reg: Registry | None) -> tuple[dict[str, Parameter], tuple[str, ...]]:
    """[tdm]: measure (compounds summed, "a + b"), range_low/range_high and optional alert (concentrations)."""
    if not isinstance(tbl, dict):
        raise ModelFileError(f"{path}: [tdm] must be a table with measure, range_low, range_high and alert.")
    for k in tbl:
        if k not in TDM_KEYS:
            raise ModelFileError(f"{path}{':' + str(line_of(path, k) or '?')}: unknown field 'tdm.{k}'.{suggest(k, TDM_KEYS)}")
    for k in ("measure", "range_low", "range_high"):
        if k not in tbl:
            raise ModelFileError(f"{path}: [tdm] is missing '{k}'; see models/README.md (drugs, [tdm]).")
    measure = tbl["measure"]
    parts = tuple(x.strip() for x in measure.split("+")) if isinstance(measure, str) else ()
    if not parts or not all(parts):
        raise ModelFileError(f"{path}: tdm.measure must name the compounds measured, e.g. \"{name}\" or "
                             f"\"{name} + <metabolite>\" (got {measure!r}).")
    params = _params_of({k: v for k, v in tbl.items() if k != "measure"}, "tdm", path, reg)
    for k, p in params.items():
        if not _compatible(p.unit, "ng/mL"):  # a mass concentration: a sum of compounds has no single molar mass
            raise ModelFileError(f"{path}: tdm.{k} has unit {p.unit!r}; it must be a mass concentration such as ng/mL.")
    return params, parts


#: keys of a [targets.<T>.in_vivo] table (human PET/SPECT occupancy curve; pdsim.targets.engagement)
IN_VIVO_KEYS = ("EC50", "Emax", "ke0")


def _in_vivo_params(iv: Any, tname: str, path: Path, reg: Registry | None) -> dict[str, Parameter]:
    """[targets.<T>.in_vivo] as parameters keyed ``in_vivo.<key>`` (so ids read ``targets.<T>.in_vivo.EC50``)."""
    if iv is None:
        return {}
    if not isinstance(iv, dict):
        raise ModelFileError(f"{path}: targets.{tname}.in_vivo must be a table with {', '.join(IN_VIVO_KEYS)}.")
    for k in iv:
        if k not in IN_VIVO_KEYS:
            ln = line_of(path, k)
            raise ModelFileError(f"{path}{':' + str(ln) if ln else ''}: unknown field 'targets.{tname}.in_vivo.{k}'."
                                 f"{suggest(k, IN_VIVO_KEYS)}")
    for k in ("EC50", "Emax"):
        if k not in iv:
            raise ModelFileError(f"{path}: targets.{tname}.in_vivo is missing '{k}'; see models/README.md (drugs).")
    params = _params_of(iv, f"targets.{tname}.in_vivo", path, reg)
    units = {"EC50": ("nM", "ng/mL"), "Emax": ("dimensionless",), "ke0": ("1/h",)}
    for k, p in params.items():
        if not any(_compatible(p.unit, u) for u in units[k]):
            raise ModelFileError(f"{path}: targets.{tname}.in_vivo.{k} has unit {p.unit!r}; it must be in "
                                 f"{' or '.join(units[k])}.")
    return {f"in_vivo.{k}": p for k, p in params.items()}


_PK_UNITS = {"ka": "1/h", "tlag": "h", "ke0": "1/h", "F": "", "fu": "", "kp_uu": "", "F_ip": "", "kinact": "1/h",
             "kdeg": "1/h", "KI": "nM"}


def _check_units(params: dict[str, Parameter], path: Path, sp: str) -> None:
    for k, p in params.items():
        if k in ("CL", "Q", "CL_2D6"):
            ok = _compatible(p.unit, "L/h") or _compatible(p.unit, "L/h/kg")
            want = "L/h or L/h/kg"
        elif k in ("V", "V2"):
            ok = _compatible(p.unit, "L") or _compatible(p.unit, "L/kg")
            want = "L or L/kg"
        else:
            want = _PK_UNITS.get(k, "")
            ok = _compatible(p.unit, want or "dimensionless")
            want = want or "1 (dimensionless)"
        if not ok:
            ln = line_of(path, k)
            raise ModelFileError(f"{path}{':' + str(ln) if ln else ''}: pk.{sp}.{k} has unit {p.unit!r}; it must be in {want}.")


def _compatible(unit: str, want: str) -> bool:
    from .units import ureg

    u = ureg.parse_units(unit if unit not in ("", "1") else "dimensionless")
    return u.dimensionality == ureg.parse_units(want).dimensionality


@dataclass(frozen=True)
class ModelFile:
    """A target or system definition: name, family, description and parameters."""

    name: str
    kind: str
    family: str
    display_name: str
    description: str
    parameters: dict[str, Parameter]
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, key: str) -> Parameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise UnknownNameError(f"{self.kind} '{self.name}' has no parameter '{key}'.{suggest(key, self.parameters)}") from None


def _load_modelfile(path: Path, kind: str, reg: Registry | None) -> ModelFile:
    d = load_toml(path)
    if "name" not in d:
        raise ModelFileError(f"{path}: missing field 'name'.")
    params = _params_of(d.get("parameters", {}), "parameters", path, reg)
    return ModelFile(
        name=d["name"], kind=kind, family=d.get("family", ""), display_name=d.get("display_name", d["name"]),
        description=d.get("description", ""), parameters=params, path=path, raw=d,
    )


def _names(sub: str) -> list[str]:
    folder = models_dir() / sub
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


@functools.lru_cache(maxsize=None)
def drug_at(path: str) -> Drug:
    return load_drug_file(Path(path), registry())


@functools.lru_cache(maxsize=None)
def alias_table() -> dict[str, str]:
    out = {}
    for n in _names("drugs"):
        dr = drug_at(str(models_dir() / "drugs" / f"{n}.toml"))
        out[dr.name.lower()] = n
        for a in dr.aliases:
            out[a.lower()] = n
    return out


class DrugName(str):
    """A drug's name bound to the `Drug` it was resolved to: what a scenario's compounds become once
    the engine has looked them up (the scenario's own drugs first, then the catalogue).

    It is a ``str`` (equal to and hashing as the name, so it keys dicts and builds variable names
    like one), and the layers below (targets, systems) read the drug from it instead of looking the
    name up again, so a scenario's own drugs reach them without any global state.
    """

    drug: "Drug"

    def __new__(cls, name: str, drug: "Drug") -> "DrugName":
        obj = super().__new__(cls, name)
        obj.drug = drug
        return obj

    def __reduce__(self):  # pickled with its drug (process pools)
        return (DrugName, (str(self), self.drug))


def resolve(name: "str | Drug", custom: "dict[str, Drug] | None" = None) -> DrugName:
    """``name`` bound to its `Drug`: a scenario's own drug of that name (``custom``) first, else the
    catalogue's (by name, alias or drug-file path); a `DrugName` or `Drug` is taken as it is."""
    if isinstance(name, DrugName):
        return name
    if isinstance(name, Drug):
        return DrugName(name.name, name)
    if custom:
        dr = custom.get(str(name))
        if dr is None:
            dr = {str(k).lower(): v for k, v in custom.items()}.get(str(name).strip().lower())
        if dr is not None:
            return DrugName(str(name), dr)
    return DrugName(str(name), drug(name))


def drugs() -> list[str]:
    """Names of the catalogue drugs."""
    return _names("drugs")


def drug(name: "str | Drug") -> Drug:
    """Look a drug up by name or alias (case-insensitive); a path to a .toml file loads that file; a
    `DrugName` gives the drug it was resolved to (a scenario's own drug, say)."""
    if isinstance(name, Drug):
        return name
    if isinstance(name, DrugName):
        return name.drug
    if str(name).endswith(".toml"):
        return load_drug_file(Path(name), registry())
    key = str(name).strip().lower()
    path = models_dir() / "drugs" / f"{key}.toml"
    if path.is_file():
        return drug_at(str(path))
    al = alias_table()
    if key in al:
        return drug_at(str(models_dir() / "drugs" / f"{al[key]}.toml"))
    raise UnknownNameError(f"Unknown drug '{name}'.{suggest(key, list(al))} See `pdsim list drugs`.")


@functools.lru_cache(maxsize=None)
def model_file_at(path: str, kind: str) -> ModelFile:
    return _load_modelfile(Path(path), kind, registry())


def _lookup(sub: str, kind: str, name: str) -> ModelFile:
    names = _names(sub)
    lowered = {n.lower(): n for n in names}
    key = lowered.get(str(name).lower())
    if key is None:
        raise UnknownNameError(f"Unknown {kind} '{name}'.{suggest(str(name), names)} See `pdsim list {sub}`.")
    return model_file_at(str(models_dir() / sub / f"{key}.toml"), kind)


def targets() -> list[str]:
    return _names("targets")


def target(name: str) -> ModelFile:
    return _lookup("targets", "target", name)


def systems() -> list[str]:
    return _names("systems")


def system(name: str) -> ModelFile:
    return _lookup("systems", "system", name)


def scenarios() -> list[str]:
    """Scenario names: the shipped scenarios, then the study designs of the checks as ``studies/<name>``."""
    return _names("scenarios") + [f"studies/{n}" for n in _names("scenarios/studies")]


def scenario_path(name: str) -> Path:
    p = Path(name)
    if p.suffix == ".toml":
        if p.is_file():
            return p
        raise UnknownNameError(f"Scenario file '{name}' does not exist; check the path (or give a name from `pdsim list scenarios`).")
    names = scenarios()
    if name in names:
        return models_dir() / "scenarios" / f"{name}.toml"
    raise UnknownNameError(f"Unknown scenario '{name}'.{suggest(str(name), names)} Give a path to a .toml file or see `pdsim list scenarios`.")


@functools.lru_cache(maxsize=None)
def _species_table() -> dict[str, dict[str, Parameter]]:
    path = models_dir() / "species.toml"
    if not path.is_file():
        return {}
    d = load_toml(path)
    reg = registry()
    return {sp: _params_of(tbl, sp, path, reg) for sp, tbl in d.items() if isinstance(tbl, dict)}


def species_names() -> list[str]:
    return sorted(_species_table())


def species(name: str) -> dict[str, Parameter]:
    """Species-level parameters (body_weight) by species name."""
    tbl = _species_table()
    if name not in tbl:
        raise UnknownNameError(f"Unknown species '{name}'.{suggest(name, tbl)}")
    return tbl[name]


def clear_cache() -> None:
    """Forget every loaded file (after editing models/ or seeds/ in a running session)."""
    for f in (_registry, drug_at, alias_table, model_file_at, _species_table):
        f.cache_clear()
