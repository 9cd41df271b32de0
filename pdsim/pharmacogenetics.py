"""Pharmacogenetics: CYP2D6 and CYP2C19 metaboliser phenotypes acting on a drug's clearance and metabolite formation.

A drug file's [pharmacogenetics.<GENE>.<phenotype>] tables give multipliers; models/pharmacogenetics.toml
gives phenotype frequencies by population, from which virtual subjects are drawn with the population seed.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .errors import InputError, ModelFileError, UnknownNameError, suggest
from .phenotypes import CL_2D6_KEY, CL_KEY, FREQUENCIES_KEY, GENES, PHENOTYPES, parse_drug_table
from .provenance import Parameter

__all__ = ["GENES", "PHENOTYPES", "FREQUENCIES_KEY", "CL_2D6_KEY", "parse_drug_table", "check_phenotype", "check_entry",
           "check_coverage", "populations", "frequency_parameters", "frequencies", "draw", "multipliers",
           "subject_multipliers", "apply", "describe"]

# --- an arm's phenotype ---------------------------------------------------------------------------
def check_phenotype(value: Any, what: str = "`phenotype`") -> tuple[tuple[str, str], ...]:
    """Validate an arm's phenotype table; return it as sorted (key, value) pairs (hashable).

    Keys are genes (value: a phenotype of that gene) and optionally ``frequencies`` (value: a
    population of models/pharmacogenetics.toml): every gene not fixed is then drawn per subject.
    """
    if not isinstance(value, Mapping) or not value:
        raise InputError(f"{what} must be a table of genes and phenotypes, e.g. phenotype = {{ CYP2D6 = \"poor\" }} "
                         f"or {{ {FREQUENCIES_KEY} = \"European\" }} (got {value!r}).", value=value)
    out = [check_entry(k, v, what) for k, v in value.items()]
    return tuple(sorted(out))


def check_coverage(phenotype: tuple[tuple[str, str], ...], compounds: Any, what: str = "`phenotype`") -> None:
    """With ``frequencies``, every gene a compound's [pharmacogenetics] depends on and the arm does not fix
    must have frequencies for that population (otherwise one error naming the gene and the fix)."""
    pheno = dict(phenotype)
    pop = pheno.get(FREQUENCIES_KEY)
    if pop is None:
        return
    for dr in compounds:
        for gene in GENES:
            if gene in pheno or gene in _table()[pop] or not any(k.startswith(gene + ".") for k in _drug_table(dr)):
                continue
            raise InputError(f"{what}: models/pharmacogenetics.toml has no {gene} frequencies for '{pop}' (it has "
                             f"{', '.join(sorted(_table()[pop])) or 'none'}), and {dr.name} depends on {gene}; fix it "
                             f"in the arm, e.g. {gene} = \"normal\".", key=FREQUENCIES_KEY, value=pop)


def check_entry(key: Any, value: Any, what: str = "`phenotype`") -> tuple[str, str]:
    """One entry of an arm's phenotype: a gene and one of its phenotypes, or ``frequencies`` and a population."""
    if key == FREQUENCIES_KEY:
        if not isinstance(value, str) or value not in populations():
            raise UnknownNameError(f"{what}: {FREQUENCIES_KEY} {value!r} is not a population of models/pharmacogenetics.toml."
                                   f"{suggest(str(value), populations())} Known: {', '.join(populations())}.",
                                   key=FREQUENCIES_KEY, value=value)
        return key, value
    if key not in PHENOTYPES:
        raise UnknownNameError(f"{what}: unknown gene {key!r}.{suggest(str(key), GENES + (FREQUENCIES_KEY,))} Give "
                               f"{', '.join(GENES)} (or {FREQUENCIES_KEY} = a population).", key=str(key), value=key)
    if not isinstance(value, str) or value not in PHENOTYPES[key]:
        raise InputError(f"{what}: {key} = {value!r} is not a {key} phenotype.{suggest(str(value), PHENOTYPES[key])} "
                         f"Give one of {', '.join(PHENOTYPES[key])}.", key=key, value=value)
    return key, value


# --- frequencies -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _load(models: str) -> dict[str, dict[str, dict[str, Parameter]]]:
    from pathlib import Path

    from .provenance import load_toml

    path = Path(models) / "pharmacogenetics.toml"
    d = load_toml(path)
    out: dict[str, dict[str, dict[str, Parameter]]] = {}
    for pop, genes in d.get("frequencies", {}).items():
        out[pop] = {}
        for gene, tbl in genes.items():
            if gene not in PHENOTYPES:
                raise ModelFileError(f"{path}: frequencies.{pop}.{gene}: unknown gene.{suggest(gene, GENES)}")
            ps = {}
            for ph, val in tbl.items():
                if ph not in PHENOTYPES[gene]:
                    raise ModelFileError(f"{path}: frequencies.{pop}.{gene}.{ph}: unknown phenotype."
                                         f"{suggest(ph, PHENOTYPES[gene])}")
                ps[ph] = Parameter.from_table(val, f"frequencies.{pop}.{gene}.{ph}", path)
            total = sum(p.to("dimensionless") for p in ps.values())
            if set(ps) != set(PHENOTYPES[gene]) or abs(total - 1.0) > 0.005:
                raise ModelFileError(f"{path}: frequencies.{pop}.{gene} must give every phenotype "
                                     f"({', '.join(PHENOTYPES[gene])}) summing to 1 (got {total:.4f}).")
            out[pop][gene] = ps
    return out


def _table() -> dict[str, dict[str, dict[str, Parameter]]]:
    from .catalog import models_dir

    return _load(str(models_dir()))


def populations() -> tuple[str, ...]:
    """Populations with phenotype frequencies in models/pharmacogenetics.toml."""
    return tuple(_table())


def frequency_parameters(population: str) -> dict[str, Parameter]:
    """The frequency Parameters of ``population``, keyed ``pharmacogenetics.frequencies.<pop>.<gene>.<phenotype>``."""
    return {f"pharmacogenetics.frequencies.{population}.{g}.{ph}": p
            for g, ps in _table().get(population, {}).items() for ph, p in ps.items()}


def frequencies(population: str, gene: str) -> dict[str, float]:
    """Phenotype frequencies (fractions summing to 1) of ``gene`` in ``population``."""
    tbl = _table()
    if population not in tbl:
        raise UnknownNameError(f"unknown population {population!r}.{suggest(population, tbl)} Known: {', '.join(tbl)}.")
    if gene not in tbl[population]:
        raise UnknownNameError(f"no {gene} frequencies for '{population}' in models/pharmacogenetics.toml.")
    ps = tbl[population][gene]
    total = sum(p.to("dimensionless") for p in ps.values())
    return {ph: ps[ph].to("dimensionless") / total for ph in PHENOTYPES[gene]}


def draw(gene: str, population: str, n: int, seed: int, first: int = 0) -> np.ndarray:
    """Phenotypes of subjects ``first .. first+n-1``, drawn from the population's frequencies.

    Subject i's draw is the standard normal of stream ``phenotype.<gene>`` (`pdsim.population.standard_normals`,
    so it does not depend on the population size or chunking) mapped to a uniform by the normal
    CDF and then to the phenotype whose cumulative-frequency interval holds it.
    """
    from scipy.special import ndtr

    from .population import standard_normals

    freq = frequencies(population, gene)
    u = ndtr(standard_normals(f"phenotype.{gene}", n, seed, first))
    edges = np.cumsum([freq[p] for p in PHENOTYPES[gene]])
    idx = np.minimum(np.searchsorted(edges, u, side="right"), len(edges) - 1)
    return np.asarray(PHENOTYPES[gene], dtype=object)[idx]


# --- multipliers ------------------------------------------------------------------------------------
def _drug_table(drug: Any) -> dict[str, Parameter]:
    return getattr(drug, "extra", {}).get("pharmacogenetics", {})


def multipliers(drug: Any, phenotype: Mapping[str, str], key: str = CL_KEY) -> tuple[float, dict[str, float]]:
    """(CL multiplier, {metabolite: fm multiplier}) of ``drug`` for fixed phenotypes (product over genes).

    A gene or phenotype the drug file does not list leaves the drug unchanged (multiplier 1).
    ``key`` = "CL_2D6" gives instead the multiplier of the CYP2D6 clearance of a non-linear drug
    (`pdsim.pk.CypInactivation`), whose ``CL`` is that of its other pathways.
    """
    tbl = _drug_table(drug)
    cl, fm = 1.0, {}
    for gene, ph in phenotype.items():
        if gene == FREQUENCIES_KEY:
            continue
        for name, p in tbl.items():
            g, q, rest = name.split(".", 2)
            if g == gene and q == ph:
                if rest == key:
                    cl *= p.to("dimensionless")
                elif rest in (CL_KEY, CL_2D6_KEY):
                    continue
                else:
                    met = rest.split(".", 1)[1]
                    fm[met] = fm.get(met, 1.0) * p.to("dimensionless")
    return cl, fm


def subject_multipliers(drug: Any, phenotype: tuple[tuple[str, str], ...], n: int, seed: int,
                        first: int = 0, key: str = CL_KEY) -> tuple[Any, dict[str, Any]]:
    """Per-subject multipliers for an arm's phenotype: floats when every gene is fixed, arrays over
    subjects first..first+n-1 when some are drawn from a population's frequencies (``key`` as in `multipliers`)."""
    pheno = dict(phenotype)
    pop = pheno.pop(FREQUENCIES_KEY, None)
    cl, fm = multipliers(drug, pheno, key)
    if pop is None:
        return cl, fm
    cl_arr = np.full(n, cl)
    fm_arr = {m: np.full(n, v) for m, v in fm.items()}
    for gene in GENES:
        if gene in pheno or not any(k.startswith(gene + ".") for k in _drug_table(drug)):
            continue
        drawn = draw(gene, pop, n, seed, first)
        for ph in PHENOTYPES[gene]:
            sel = drawn == ph
            if not sel.any():
                continue
            c, f = multipliers(drug, {gene: ph}, key)
            cl_arr[sel] *= c
            for m, v in f.items():
                fm_arr.setdefault(m, np.ones(n))[sel] *= v
    return cl_arr, fm_arr


def apply(drug: Any, phenotype: Mapping[str, str], species: str = "human"):
    """``drug`` with its clearance (and metabolite fm) for ``species`` scaled for fixed ``phenotype``.

    The Parameters keep their sources and say in their note which phenotype scaled them.
    """
    cl, fm = multipliers(drug, phenotype)
    cl2 = multipliers(drug, phenotype, CL_2D6_KEY)[0]
    if cl == 1.0 and not fm and cl2 == 1.0:
        return drug
    label = ", ".join(f"{g} {p}" for g, p in sorted(phenotype.items()))
    spec = drug.pk(species)
    params = dict(spec.params)
    for k, m in (("CL", cl), ("CL_2D6", cl2)):
        if m != 1.0 and k in params:
            c = params[k]
            params[k] = replace(c, value=c.value * m, kind="derived",
                                note=f"{c.value:g} {c.unit} x {m:.4g} ({label}; [pharmacogenetics] of {drug.name})")
    mets = dict(spec.metabolites)
    for m, v in fm.items():
        if m in mets:
            p = mets[m]
            new = p.value * v
            if new > 1.0:
                raise InputError(f"{drug.name}: fm of {m} for {label} comes to {new:.3g} > 1; the [pharmacogenetics] "
                                 f"multipliers of {drug.name} are inconsistent.")
            mets[m] = replace(p, value=new, kind="derived", note=f"{p.value:g} x {v:.4g} ({label})")
    specs = dict(drug.pk_specs)
    specs[species] = replace(spec, params=params, metabolites=mets)
    return replace(drug, pk_specs=specs)


def describe(drug: Any, phenotype: tuple[tuple[str, str], ...]) -> str | None:
    """One sentence for the Result notes: what the arm's phenotype does to ``drug`` (None: nothing)."""
    pheno = dict(phenotype)
    pop = pheno.pop(FREQUENCIES_KEY, None)
    parts = []
    cl, fm = multipliers(drug, pheno)
    cl2 = multipliers(drug, pheno, CL_2D6_KEY)[0]
    if cl != 1.0 or fm or cl2 != 1.0:
        fixed = ", ".join(f"{g} {p}" for g, p in sorted(pheno.items()))
        parts.append(f"{fixed}: " + ", ".join(([f"CL x {cl:.3g}"] if cl != 1.0 or cl2 == 1.0 else [])
                                              + ([f"CL_2D6 (CYP2D6 clearance) x {cl2:.3g}"] if cl2 != 1.0 else []))
                     + "".join(f", fm({m}) x {v:.3g}" for m, v in fm.items()))
    drawn = [g for g in GENES if g not in pheno and any(k.startswith(g + ".") for k in _drug_table(drug))]
    if pop is not None and drawn:
        parts.append(f"{', '.join(drawn)} drawn per subject from the {pop} phenotype frequencies")
    if not parts:
        return None
    return f"{drug.name}: " + "; ".join(parts) + " ([pharmacogenetics] of the drug file)."
