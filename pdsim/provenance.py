"""Provenance as data: sourced parameters, the claims of the source documents, references.

A `Parameter` carries its value, unit, source ids, kind and note; `Claim` and `Reference` are
the records of ``seeds/claims.toml`` and ``seeds/references.toml``; `Registry` resolves ids.
"""
from __future__ import annotations

import functools

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelFileError, ProvenanceError, UnitError, suggest
from .units import Q_, ureg

__all__ = ["Parameter", "Claim", "Reference", "Registry", "KINDS", "CLAIM_KINDS", "line_of", "load_toml"]

KINDS = ("measured", "derived", "assumed", "calibrated")
CLAIM_KINDS = ("mechanism", "quantitative", "clinical", "historical", "method")
_PARAM_KEYS = {"value", "unit", "sources", "kind", "note"}
#: "Surname AB" (a personal author as written in references.toml)
_PERSON = re.compile(r"^([A-Z][A-Za-z\u00C0-\u017F'\-]+(?: [A-Za-z][A-Za-z\u00C0-\u017F'\-]+)?) [A-Z]{1,4}\b")


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file with the standard library; a syntax error names file and line."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path}: file not found; check the path.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError(f"{path}: TOML syntax error ({exc}); fix the file at that line.") from exc


def line_of(path: Path | None, key: str) -> int | None:
    """Best-effort line number of the first line in ``path`` that assigns ``key`` (for messages)."""
    if path is None:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    leaf = key.split(".")[-1]
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith(f"{leaf} =") or s.startswith(f"{leaf}=") or s.startswith(f'"{leaf}"') or s.endswith(f".{leaf}]") or s == f"[{leaf}]":
            return i
    return None


def _where(path: Path | None, key: str) -> str:
    if path is None:
        return f"parameter `{key}`"
    ln = line_of(path, key)
    return f"{path}{':' + str(ln) if ln else ''}: parameter `{key}`"


@functools.lru_cache(maxsize=8192)
def _convert(value: float, unit: str, to: str) -> float:
    """``value`` in ``unit`` as a float in ``to`` (cached: a pint conversion costs about 0.3 ms, and the
    engine converts the same parameters for every chunk of subjects)."""
    return float(Q_(value, unit if unit not in ("", "1") else "dimensionless").to(to).magnitude)


@dataclass(frozen=True)
class Parameter:
    """A number with its unit and its provenance.

    Parameters
    ----------
    value : float
        The magnitude, in ``unit``.
    unit : str
        A pint unit string ("nM", "1/h", "L/h/kg"; "1" or "" for dimensionless).
    sources : tuple of str
        Ids into ``seeds/claims.toml`` or ``seeds/references.toml``; at least one.
    kind : {"measured", "derived", "assumed", "calibrated"}
        Measured: read from a source. Derived: computed from sourced values (the note names
        the inputs and the arithmetic). Assumed: not known; the note gives the reasoning.
        Calibrated: fitted so the model reproduces a source's data (the note describes the fit);
        a check against those same data is then not independent.
    note : str
        Species, assay, derivation or reasoning.
    """

    value: float
    unit: str
    sources: tuple[str, ...]
    kind: str
    note: str = ""
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        label = self.name or "parameter"
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise ProvenanceError(f"`{label}`: value must be a number (got {self.value!r}); write e.g. value = 1.5.")
        if not math.isfinite(self.value):
            raise ProvenanceError(f"`{label}`: value must be finite (got {self.value!r}).")
        object.__setattr__(self, "value", float(self.value))
        if not isinstance(self.unit, str):
            raise ProvenanceError(f"`{label}`: unit must be a string such as 'nM' (got {self.unit!r}).")
        try:
            ureg.parse_units(self.unit if self.unit not in ("", "1") else "dimensionless")
        except Exception as exc:
            raise UnitError(f"`{label}`: unit {self.unit!r} is not a unit pint knows; write e.g. 'nM', '1/h' or '1'.") from exc
        if isinstance(self.sources, str):
            object.__setattr__(self, "sources", (self.sources,))
        object.__setattr__(self, "sources", tuple(self.sources))
        if not self.sources:
            raise ProvenanceError(f"`{label}` has no sources; add sources = [\"<claim or reference id>\"].")
        if self.kind not in KINDS:
            raise ProvenanceError(f"`{label}`: kind must be one of {', '.join(KINDS)} (got {self.kind!r}).")
        if self.kind in ("derived", "assumed", "calibrated") and not self.note.strip():
            what = {"derived": "the inputs and arithmetic", "assumed": "the reasoning",
                    "calibrated": "the data fitted and how"}[self.kind]
            raise ProvenanceError(f"`{label}` is {self.kind} but has no note; say {what} in note = \"...\".")

    @property
    def quantity(self):
        """The value as a pint quantity."""
        return Q_(self.value, self.unit if self.unit not in ("", "1") else "dimensionless")

    def to(self, unit: str) -> float:
        """The value as a plain float in ``unit``."""
        try:
            if isinstance(self.value, (int, float)) and isinstance(self.unit, str):
                return _convert(self.value, self.unit, unit)
            return float(self.quantity.to(unit).magnitude)
        except Exception as exc:
            # pint's error references its own frame through its traceback (a reference cycle); that frame's
            # callers (the engine's, holding a chunk's arrays) would then wait for the cyclic garbage collector
            # when a caller catches the UnitError (a mass-concentration EC50 tried as nM, per chunk), so the
            # cause is chained without its traceback
            raise UnitError(f"`{self.name or 'parameter'}` is in {self.unit!r}, which cannot be converted to "
                            f"{unit!r}.") from exc.with_traceback(None)

    @classmethod
    def from_table(cls, table: Any, name: str, path: Path | None = None) -> "Parameter":
        """Build from a TOML inline table ``{value, unit, sources, kind, note}``."""
        where = _where(path, name)
        if not isinstance(table, dict):
            raise ProvenanceError(
                f"{where} must be a table {{value, unit, sources, kind, note}} (got {table!r}); every number in models/ carries its source."
            )
        extra = set(table) - _PARAM_KEYS
        if extra:
            bad = sorted(extra)[0]
            raise ModelFileError(f"{where}: unknown field '{bad}'.{suggest(bad, _PARAM_KEYS)}")
        for req in ("value", "unit", "sources", "kind"):
            if req not in table:
                raise ProvenanceError(f"{where} is missing field '{req}'; add {req} = ... .")
        try:
            return cls(
                value=table["value"],
                unit=table["unit"],
                sources=tuple(table["sources"]),
                kind=table["kind"],
                note=table.get("note", ""),
                name=name,
            )
        except (ProvenanceError, UnitError) as exc:
            raise type(exc)(f"{where}: {exc}") from None


def is_parameter_table(obj: Any) -> bool:
    """True for a TOML table that looks like a Parameter (has a 'value' key)."""
    return isinstance(obj, dict) and "value" in obj


@dataclass(frozen=True)
class Reference:
    """A primary source: id, authors, year, title, journal, DOI and/or PMID."""

    id: str
    authors: str
    title: str
    year: int | None = None
    journal: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""

    def short(self) -> str:
        """'Gassaway et al. 2014' style citation; the id when no personal author is known."""
        year = str(self.year) if self.year else "n.d."
        if self.id == "assumption":
            return "pdsim assumption"
        m = _PERSON.match(self.authors or "")
        if not m:
            return f"{self.id} ({year})"
        many = "," in self.authors or " and " in self.authors
        return f"{m.group(1)}{' et al.' if many else ''} {year}"

    def citation(self) -> str:
        parts = [f"{self.authors} ({self.year if self.year else 'n.d.'}). {self.title}."]
        if self.journal:
            parts.append(f" {self.journal}.")
        if self.doi:
            parts.append(f" doi:{self.doi}")
        if self.pmid:
            parts.append(f" PMID {self.pmid}")
        return "".join(parts)


@dataclass(frozen=True)
class Claim:
    """A claim of one source document, paraphrased, with its line span and primary references."""

    id: str
    seed: str
    lines: tuple[int, int]
    kind: str
    paraphrase: str
    references: tuple[str, ...] = ()
    check: str = ""
    contradicts: tuple[str, ...] = ()
    not_modelled: str = ""
    #: parameter ids ("<models subfolder>/<file>:<key>") whose value this claim set: reproducing it is calibration
    calibrates: tuple[str, ...] = ()

    def short(self) -> str:
        return f"claim {self.id} ({self.seed}:{self.lines[0]}-{self.lines[1]})"


_REF_FIELDS = {f for f in Reference.__dataclass_fields__}
_CLAIM_FIELDS = {f for f in Claim.__dataclass_fields__}


class Registry:
    """The claims and references of ``seeds/``; resolves source ids."""

    def __init__(self, claims: dict[str, Claim], references: dict[str, Reference]):
        self.claims = claims
        self.references = references

    @classmethod
    def load(cls, seeds_dir: Path) -> "Registry":
        seeds_dir = Path(seeds_dir)
        refs: dict[str, Reference] = {}
        rpath = seeds_dir / "references.toml"
        for i, rec in enumerate(load_toml(rpath).get("reference", [])):
            extra = set(rec) - _REF_FIELDS
            rid = rec.get("id", f"#{i + 1}")
            if extra:
                bad = sorted(extra)[0]
                raise ModelFileError(f"{rpath}:{line_of(rpath, bad) or '?'}: reference '{rid}' has unknown field '{bad}'.{suggest(bad, _REF_FIELDS)}")
            for req in ("id", "authors", "title"):
                if req not in rec:
                    raise ModelFileError(f"{rpath}: reference '{rid}' is missing '{req}'; add it.")
            if rec["id"] in refs:
                raise ModelFileError(f"{rpath}: reference id '{rec['id']}' appears twice; ids must be unique.")
            refs[rec["id"]] = Reference(**{k: (str(v) if k == "pmid" else v) for k, v in rec.items()})
        claims: dict[str, Claim] = {}
        cpath = seeds_dir / "claims.toml"
        for i, rec in enumerate(load_toml(cpath).get("claim", [])):
            cid = rec.get("id", f"#{i + 1}")
            extra = set(rec) - _CLAIM_FIELDS
            if extra:
                bad = sorted(extra)[0]
                raise ModelFileError(f"{cpath}: claim '{cid}' has unknown field '{bad}'.{suggest(bad, _CLAIM_FIELDS)}")
            for req in ("id", "seed", "lines", "kind", "paraphrase"):
                if req not in rec:
                    raise ModelFileError(f"{cpath}: claim '{cid}' is missing '{req}'; add it.")
            if rec["kind"] not in CLAIM_KINDS:
                raise ModelFileError(f"{cpath}: claim '{cid}' has kind {rec['kind']!r}; use one of {', '.join(CLAIM_KINDS)}.")
            lines = rec["lines"]
            if not (isinstance(lines, list) and len(lines) == 2 and all(isinstance(x, int) for x in lines) and 1 <= lines[0] <= lines[1]):
                raise ModelFileError(f"{cpath}: claim '{cid}' lines must be [first, last] with 1 <= first <= last (got {lines!r}).")
            if cid in claims or cid in refs:
                raise ModelFileError(f"{cpath}: id '{cid}' is used twice; claim and reference ids must be unique.")
            claims[cid] = Claim(
                id=cid,
                seed=rec["seed"],
                lines=(lines[0], lines[1]),
                kind=rec["kind"],
                paraphrase=rec["paraphrase"],
                references=tuple(rec.get("references", ())),
                check=rec.get("check", ""),
                contradicts=tuple(rec.get("contradicts", ())),
                not_modelled=rec.get("not_modelled", ""),
                calibrates=tuple(rec.get("calibrates", ())),
            )
        return cls(claims, refs)

    def resolves(self, source_id: str) -> bool:
        return source_id in self.claims or source_id in self.references

    def require(self, param: Parameter, path: Path | None = None) -> None:
        """Raise ProvenanceError naming file, parameter and id if a source does not resolve."""
        for sid in param.sources:
            if not self.resolves(sid):
                raise ProvenanceError(
                    f"{_where(path, param.name)}: source id '{sid}' is not in seeds/claims.toml or seeds/references.toml."
                    f"{suggest(sid, list(self.claims) + list(self.references))}"
                )

    def cite(self, source_id: str) -> str:
        """Short citation of a source id: a reference's 'Author et al. year', a claim's seed span."""
        if source_id in self.references:
            return self.references[source_id].short()
        if source_id in self.claims:
            c = self.claims[source_id]
            refs = "; ".join(self.references[r].short() for r in c.references if r in self.references)
            return f"{c.seed}:{c.lines[0]}-{c.lines[1]}" + (f" ({refs})" if refs else "")
        return f"? {source_id}"
