"""What the patient covariates do in a scenario's arms: the relations applied, the notes and the derived values.

The relations and their maths are `pdsim.covariates`; this module applies them to the compounds of each
arm as the engine resolves them (its PK stage), for the Result's notes and parameter table.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..covariates import ATTRIBUTES, Applied, apply, covariate_values, draw_covariates
from ..errors import PdsimError
from ..pk import pk_model
from ..provenance import Parameter
from .pk import arm_sources, drug_of

__all__ = ["arm_applied", "scenario_notes", "scenario_parameters"]


def arm_applied(sc: Any, arm: Any, with_draws: bool = True) -> tuple[list[Applied], list[str]]:
    """What the covariate relations do in ``arm``: the patient's fixed attributes and, ``with_draws``,
    the population's per-subject draws (factors then are arrays over subjects)."""
    patient = getattr(arm, "patient", None)
    drawn = getattr(sc.population, "covariates", None) or {}
    if patient is None and not drawn:
        return [], []
    values = covariate_values(patient, draw_covariates(drawn, sc.population.size, sc.population.seed) if with_draws else {})
    applied: list[Applied] = []
    notes: list[str] = []
    for name in arm_sources(arm, sc.custom_drugs):
        dr = drug_of(name, sc.custom_drugs)
        try:
            kw = pk_model(dr, arm.species, arm.body_weight).kwargs()
        except PdsimError:
            continue  # the engine reports it with the arm
        _, a, n = apply(dr, arm.species, kw, values)
        applied += a
        notes += n
    return applied, notes


def scenario_notes(sc: Any) -> list[str]:
    """One sentence per relation applied in each arm, and one per patient attribute no relation uses."""
    out: list[str] = []
    for name, spec in (getattr(sc.population, "covariates", None) or {}).items():
        if "classes" in spec:
            text = ", ".join(f"{k} {v:g}" for k, v in spec["classes"].items())
        else:
            u = ATTRIBUTES[name][0]
            text = f"normal mean {spec['mean']:g} {u}, SD {spec['sd']:g}, truncated to {spec['min']:g}-{spec['max']:g} {u}"
        out.append(f"population: {name} drawn per subject ({text}; seed {sc.population.seed}).")
    for arm in sc.arms:
        applied, notes = arm_applied(sc, arm)
        if getattr(arm, "patient", None) is not None:
            out.append(f"arm '{arm.label}': patient {arm.patient.describe()}.")
        out += [a.sentence(arm.label) for a in applied]
        out += [f"arm '{arm.label}': {n}" for n in notes]
    return out


def scenario_parameters(sc: Any) -> dict[str, Parameter]:
    """The PK values each arm's patient gets, as derived Parameters named ``<drug>.pk.<species>.<P>[<arm>]``
    (value after the relations; sources those of the catalogue value and the relations)."""
    out: dict[str, Parameter] = {}
    for arm in sc.arms:
        if getattr(arm, "patient", None) is None:
            continue  # per-subject draws have no one value; the notes give their range
        applied, _ = arm_applied(sc, arm, with_draws=False)
        by_param: dict[tuple[str, str], list[Applied]] = {}
        for a in applied:
            by_param.setdefault((a.drug, a.relation.parameter), []).append(a)
        for (drug, par), items in by_param.items():
            base = drug_of(drug, sc.custom_drugs).pk(arm.species).params[par]
            total = float(np.prod([float(np.mean(a.factor)) for a in items]))
            srcs = tuple(dict.fromkeys(list(base.sources) + [s for a in items for s in a.relation.sources()]))
            note = (f"{items[0].before:.4g} {items[0].unit} (catalogue) x " + " x ".join(
                f"{float(np.mean(a.factor)):.3g} ({a.relation.rule(a.value)})" for a in items)
                + f" for arm '{arm.label}' (patient {arm.patient.describe()}).")
            out[f"{drug}.pk.{arm.species}.{par}[{arm.label}]"] = Parameter(
                value=items[0].before * total, unit=items[0].unit, sources=srcs, kind="derived", note=note,
                name=f"{drug}.pk.{arm.species}.{par}[{arm.label}]")
    return out
