"""CYP2D6/CYP2C19 phenotype names and the [pharmacogenetics] table of a drug file, checked when the file loads.

What the phenotypes do to a subject's PK (multipliers, frequencies, draws) is `pdsim.pharmacogenetics`;
this module holds only what the catalogue needs to read a drug file, so the catalogue imports nothing above it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import ModelFileError, suggest
from .provenance import Parameter, is_parameter_table, line_of

__all__ = ["GENES", "PHENOTYPES", "FREQUENCIES_KEY", "CL_KEY", "CL_2D6_KEY", "FM_KEY", "parse_drug_table"]

#: the genes and the phenotype names CPIC uses for each (Hicks 2017, TCAs; Hicks 2015, SSRIs):
#: CYP2D6 has no "rapid" class; CYP2C19 *1/*17 is "rapid", *17/*17 "ultrarapid"
PHENOTYPES: dict[str, tuple[str, ...]] = {
    "CYP2D6": ("poor", "intermediate", "normal", "ultrarapid"),
    "CYP2C19": ("poor", "intermediate", "normal", "rapid", "ultrarapid"),
}
GENES = tuple(PHENOTYPES)
#: the arm key that draws every gene not fixed from a population's phenotype frequencies
FREQUENCIES_KEY = "frequencies"
#: what a phenotype table may scale: the drug's clearance, or ``fm.<metabolite>`` (formation fraction)
CL_KEY = "CL"
FM_KEY = "fm"
#: in a CYP2D6 table of a drug whose PK model is "one_compartment_cyp2d6_inactivation": the multiplier of its
#: CYP2D6 clearance alone (0 for a poor metaboliser, who has none); ``CL`` then scales the other pathways
CL_2D6_KEY = "CL_2D6"



# --- drug files ---------------------------------------------------------------------------------------
def parse_drug_table(tbl: Any, path: Any, reg: Any, metabolites: Mapping[str, Any]) -> dict[str, Parameter]:
    r"""Validate a drug's ``[pharmacogenetics]`` table; return its Parameters keyed ``GENE.phenotype.CL``
    or ``GENE.phenotype.fm.<metabolite>``.

    Each value is a dimensionless multiplier (> 0) on the normal metaboliser's value: ``CL`` scales
    the drug's clearance, ``fm.<metabolite>`` the fraction of that (changed) clearance forming the
    metabolite. A formation clearance :math:`f_m CL` left unchanged by the gene is written as
    ``fm`` multiplier = 1 / ``CL`` multiplier. ``metabolites`` are those the drug forms (any species).
    """
    where = f"{path}"
    if not isinstance(tbl, dict):
        raise ModelFileError(f"{where}: [pharmacogenetics] must hold tables such as [pharmacogenetics.CYP2D6.poor] "
                             f"with CL = {{ value = ..., unit = \"1\", ... }}.")
    out: dict[str, Parameter] = {}
    for gene, by_pheno in tbl.items():
        ln = line_of(path, gene)
        if gene not in PHENOTYPES:
            raise ModelFileError(f"{where}{':' + str(ln) if ln else ''}: unknown gene 'pharmacogenetics.{gene}'."
                                 f"{suggest(gene, GENES)} Known: {', '.join(GENES)}.")
        if not isinstance(by_pheno, dict):
            raise ModelFileError(f"{where}: pharmacogenetics.{gene} must hold one table per phenotype "
                                 f"({', '.join(PHENOTYPES[gene])}).")
        for pheno, keys in by_pheno.items():
            if pheno not in PHENOTYPES[gene]:
                ln = line_of(path, pheno)
                raise ModelFileError(f"{where}{':' + str(ln) if ln else ''}: unknown {gene} phenotype "
                                     f"'pharmacogenetics.{gene}.{pheno}'.{suggest(pheno, PHENOTYPES[gene])} "
                                     f"Known: {', '.join(PHENOTYPES[gene])}.")
            if not isinstance(keys, dict):
                raise ModelFileError(f"{where}: pharmacogenetics.{gene}.{pheno} must be a table with CL and/or fm.<metabolite>.")
            for key, val in _flatten(keys):
                name = f"pharmacogenetics.{gene}.{pheno}.{key}"
                if key == CL_2D6_KEY and gene != "CYP2D6":
                    raise ModelFileError(f"{where}: '{name}': CL_2D6 (the CYP2D6 clearance of a non-linear drug) can only "
                                         f"be scaled by a CYP2D6 phenotype; use CL for {gene}.")
                if key not in (CL_KEY, CL_2D6_KEY) and not (key.startswith(FM_KEY + ".") and key.count(".") == 1):
                    ln = line_of(path, key.split(".")[0])
                    raise ModelFileError(f"{where}{':' + str(ln) if ln else ''}: unknown field '{name}'; a phenotype "
                                         f"scales CL or fm.<metabolite> (e.g. fm.nortriptyline), or CL_2D6 with the non-linear CYP2D6 "
                                         f"model.")
                if key.startswith(FM_KEY + ".") and key.split(".")[1] not in metabolites:
                    met = key.split(".")[1]
                    raise ModelFileError(f"{where}: '{name}' names '{met}', which the drug does not form "
                                         f"(its metabolites: {', '.join(metabolites) or 'none'}).{suggest(met, metabolites)}")
                if not is_parameter_table(val):
                    raise ModelFileError(f"{where}: `{name}` must be a Parameter {{ value = ..., unit = \"1\", sources = "
                                         f"[...], kind = ..., note = ... }}.")
                p = Parameter.from_table(val, name, path)
                if reg is not None:
                    reg.require(p, path)
                try:
                    v = p.to("dimensionless")
                except Exception:
                    raise ModelFileError(f"{where}: `{name}` is a multiplier; its unit must be \"1\" (got {p.unit!r}).") from None
                if key == CL_2D6_KEY and not (math.isfinite(v) and v >= 0):  # 0: no functional CYP2D6
                    raise ModelFileError(f"{where}: `{name}` must be a multiplier >= 0 (got {v:g}).")
                if key != CL_2D6_KEY and not (math.isfinite(v) and v > 0):
                    raise ModelFileError(f"{where}: `{name}` must be a multiplier > 0 (got {v:g}).")
                out[f"{gene}.{pheno}.{key}"] = p
    return out


def _flatten(tbl: dict, prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for k, v in tbl.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not is_parameter_table(v):
            items.extend(_flatten(v, key + "."))
        else:
            items.append((key, v))
    return items
