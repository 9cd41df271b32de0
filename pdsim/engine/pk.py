"""The PK stage: every compound of an arm (dosed drugs and the metabolites they form) as exact linear PK or integrated non-linear PK.

Per-subject parameters are drawn here (`pdsim.population.sample_parameters`); the closed forms live in `pdsim.pk`.
"""
from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

from .. import catalog
from ..dosing import Dose
from ..errors import InputError, UnknownNameError, suggest
from ..scenario import Arm, Scenario

__all__ = ["PK_KEYS", "CompoundPK", "arm_sources", "arm_drugs", "arm_compounds", "drug_of", "arm_body_weight", "arm_events",
           "pk_models", "site_factors", "dose_edges"]

#: the PK parameters a population may vary (CL_2D6: the CYP2D6 clearance of the non-linear model)
PK_KEYS = ("CL", "V", "ka", "Q", "V2", "F", "tlag", "ke0", "F_ip", "CL_2D6")


def arm_sources(arm: Arm, custom: dict[str, Any]) -> dict[str, list[str | None]]:
    """{compound: its sources} for every compound present in the arm: ``None`` for the arm's own doses
    of it, and the name of each dosed drug that forms it as a metabolite (in the catalogue or among
    the scenario's own drugs). The dosed drugs come first, then the metabolites only formed."""
    out: dict[str, list[str | None]] = {d: [None] for d in arm.drugs}
    for d in arm.drugs:
        dr = drug_of(d, custom)
        if arm.species in dr.pk_specs:
            for met in dr.pk(arm.species).metabolites:
                if met in custom or met in catalog.drugs():
                    out.setdefault(met, []).append(d)
    return out


def arm_drugs(arm: Arm, custom: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(drug, parent) for every compound present in the arm: the dosed drugs (parent None), then the
    metabolites they form (the first parent named; `arm_sources` lists every source)."""
    return [(name, srcs[0]) for name, srcs in arm_sources(arm, custom).items()]


class CompoundPK(NamedTuple):
    """One compound's linear PK in an arm: its first source's ``model`` and ``events``, its ``drug``
    file, and every source as (model, events): its own doses and its formation from each parent that
    is dosed. Linear PK superposes exactly, so the compound's concentration is the sum over them."""

    model: Any
    events: tuple[Dose, ...]
    drug: Any
    sources: tuple[tuple[Any, tuple[Dose, ...]], ...]

    def response(self, times: np.ndarray, output: str) -> np.ndarray | None:
        """Sum of the sources' ``output`` ("conc" or "effect", mg/L) at ``times``; None when nothing is dosed."""
        got = [np.asarray(m.response(times, evs, output), dtype=float) for m, evs in self.sources if evs]
        if not got:
            return None
        total = got[0]
        for g in got[1:]:
            total = total + g
        return total


def drug_of(name: str, custom: dict[str, Any]):
    """The drug ``name`` means in a scenario: its own drug of that name (``custom``) first, else the catalogue's."""
    return catalog.resolve(name, custom).drug


def arm_compounds(arm: Arm, custom: dict[str, Any]) -> tuple[catalog.DrugName, ...]:
    """Every compound of the arm (as `arm_sources` orders them), each resolved once to its drug
    (`pdsim.catalog.DrugName`): what a system factory reads in `pdsim.engine.registry.ArmContext`."""
    return tuple(catalog.resolve(name, custom) for name in arm_sources(arm, custom))


def arm_body_weight(arm: Arm) -> float:
    if arm.body_weight is not None:
        return arm.body_weight
    try:
        return catalog.species(arm.species)["body_weight"].to("kg")
    except UnknownNameError:
        raise InputError(f"arm '{arm.label}': species '{arm.species}' has no body weight in models/species.toml; "
                         f"give body_weight = '... kg' in the arm.") from None


def arm_events(arm: Arm, drug: str) -> tuple[Dose, ...]:
    """The arm's doses of ``drug`` as sorted events (amounts in mg; per-kg doses scaled)."""
    if any(d.per_kg for d in arm.doses):  # uses the catalogue's body weight: not cached
        return _make_events(arm, drug)
    return _events_cached(arm, drug)


@functools.lru_cache(maxsize=256)
def _events_cached(arm: Arm, drug: str) -> tuple[Dose, ...]:
    return _make_events(arm, drug)  # Arm is frozen, Dose immutable: safe to share between runs


def _make_events(arm: Arm, drug: str) -> tuple[Dose, ...]:
    bw = None
    evs = []
    for d in arm.doses:
        if d.drug != drug:
            continue
        amount = d.amount
        if d.per_kg:
            bw = bw if bw is not None else arm_body_weight(arm)
            amount = d.amount * bw
        for t in d.times:
            evs.append(Dose(time=t, amount=amount, route=d.route, duration=d.duration or 0.0, drug=drug))
    return tuple(sorted(evs, key=lambda e: e.time))


def pk_models(sc: Scenario, arm: Arm, first: int, n: int) -> dict[str, CompoundPK]:
    """Every compound's `CompoundPK` (models with per-subject parameters) for subjects first..first+n-1."""
    from ..pk import CypInactivation, Metabolite, nonlinear_metabolite_error, pk_model
    from ..population import sample_parameters

    custom = sc.custom_drugs
    pop = sc.population
    models: dict[str, CompoundPK] = {}
    own: dict[str, Any] = {}  # each dosed drug's own model: the parent of what it forms
    bw = arm.body_weight
    covariates = _covariate_values(arm, pop, first, n)  # the same subjects for every compound
    for name, parents in arm_sources(arm, custom).items():
        name = catalog.resolve(name, custom)  # the keys carry their drugs to the target layer and the systems
        dr = name.drug
        base = pk_model(dr, arm.species, bw if bw is not None else None)
        kw = base.kwargs()
        varied = {k.split(".", 1)[1]: cv for k, cv in pop.variability.items() if k.split(".", 1)[0] == name}
        for k in varied:
            if k not in PK_KEYS or kw.get(k) is None:
                have = [p for p in PK_KEYS if kw.get(p) is not None]
                raise InputError(f"population variability '{name}.{k}': {name} has no PK parameter '{k}' for {arm.species}."
                                 f"{suggest(k, have)} Vary one of {', '.join(have)}.")
        if varied and pop.size > 1:
            typical = {f"{name}.{k}": float(kw[k]) for k in varied}
            draws = sample_parameters(typical, {f"{name}.{k}": cv for k, cv in varied.items()}, n, pop.seed,
                                      pop.correlations or None, first=first)
            for k in varied:
                kw[k] = draws[f"{name}.{k}"]
        if arm.phenotype:  # CYP2D6/CYP2C19: this compound's clearance scaled per subject (pdsim.pharmacogenetics)
            from ..pharmacogenetics import CL_2D6_KEY, subject_multipliers

            kw["CL"] = kw["CL"] * subject_multipliers(dr, arm.phenotype, n, pop.seed, first)[0]
            if isinstance(base, CypInactivation):  # the CYP2D6 phenotype acts on the CYP2D6 part only
                kw["CL_2D6"] = kw["CL_2D6"] * subject_multipliers(dr, arm.phenotype, n, pop.seed, first, CL_2D6_KEY)[0]
        if covariates:
            from ..covariates import apply

            kw = apply(dr, arm.species, kw, covariates)[0]
        model = type(base)(**kw)
        own[name] = model
        sources = []
        for parent in parents:
            if parent is None:
                sources.append((model, arm_events(arm, name)))
                continue
            for nl in (parent, name):  # superposition (Metabolite) needs both linear
                if isinstance(own.get(nl, model), CypInactivation):
                    raise InputError(f"arm '{arm.label}': " + nonlinear_metabolite_error(nl))
            pdr = drug_of(parent, custom)
            fm = pdr.pk(arm.species).metabolites[name].to("dimensionless")
            if arm.phenotype:  # the parent's phenotype changes the fraction of its clearance forming this compound
                from ..pharmacogenetics import subject_multipliers

                fm = fm * subject_multipliers(pdr, arm.phenotype, n, pop.seed, first)[1].get(name, 1.0)
                if np.any(np.asarray(fm) > 1.0):
                    raise InputError(f"arm '{arm.label}': the phenotype makes the fraction of {parent}'s clearance forming "
                                     f"{name} exceed 1; the [pharmacogenetics] multipliers of {parent} are inconsistent.")
            formed = Metabolite(own[parent], model, fm, dr.molar_mass.to("g/mol") / pdr.molar_mass.to("g/mol"))
            sources.append((formed, arm_events(arm, parent)))
        models[name] = CompoundPK(sources[0][0], sources[0][1], dr, tuple(sources))
    return models


def _covariate_values(arm: Arm, pop: Any, first: int, n: int) -> dict[str, Any]:
    """The covariates of subjects first..first+n-1: the arm's patient, and any drawn per subject (`pdsim.covariates`)."""
    from ..covariates import covariate_values, draw_covariates

    return covariate_values(arm.patient, draw_covariates(getattr(pop, "covariates", None) or {}, n, pop.seed, first))


def site_factors(dr, species: str, site: str, notes: list[str]) -> tuple[float, float | None]:
    """(fu, fu × kp_uu or None): factors from total plasma to free and to brain unbound."""
    p = dr.pk(species).params
    if "fu" not in p:
        raise InputError(f"{dr.name} ({species}) has no fu (unbound fraction) in its drug file; occupancy is driven by the "
                         f"unbound concentration, so add pk.{species}.fu with its source.")
    fu = p["fu"].to("dimensionless")
    brain = fu * p["kp_uu"].to("dimensionless") if "kp_uu" in p else None
    if site == "brain" and brain is None:
        notes.append(f"{dr.name}: no kp_uu for {species}; targets driven by unbound plasma concentration (Kp,uu = 1 assumed).")
    return fu, brain


def dose_edges(models: dict[str, CompoundPK]) -> tuple[list[float], list[float], list[float]]:
    """(jumps, kinks, own): times (h) at which the PK inputs of every subject jump (iv boluses) or
    bend (an oral dose's lagged start of absorption, ip/sc doses, infusion starts and ends), and
    ``own``: where single subjects bend, at their own lagged dose times when the lag varies over
    subjects.
    """
    jumps: list[float] = []
    kinks: list[float] = []
    own: list[float] = []
    for model, evs in (src for pkc in models.values() for src in pkc.sources):
        lag = getattr(model, "tlag", None)
        for e in evs:
            if e.route == "iv_bolus":
                jumps.append(e.time)
            elif e.route == "iv_infusion":
                kinks += [e.time, e.time + e.duration]
            elif e.route != "oral":
                kinks.append(e.time)  # ip, sc: absorbed from the dose time, no lag
            elif lag is not None and np.ndim(lag) == 0:
                kinks.append(e.time + float(lag))
            elif lag is not None:
                own += (e.time + np.unique(np.asarray(lag, dtype=float))).tolist()
    return jumps, kinks, own
