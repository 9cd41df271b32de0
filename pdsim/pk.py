"""Linear pharmacokinetics: one- and two-compartment models, metabolites, free, brain and effect site.

Concentrations are exact closed forms (`pdsim._pk_closed`), vectorised over subjects: doses
superposed at every output time, or, for many doses and times, the amounts propagated from one
output time to the next by the same closed forms; `simulate_ode` integrates the same models with
SciPy as the cross-check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from . import catalog
from ._pk_closed import (
    LN2,
    Metabolite,
    OneCompartment,
    TwoCompartment,
    as_events,
    check_output,
    LinearModel,
    as_times,
    auc_inf,
    chain,
    infusion_chain,
    steady_profile,
)
from ._pk_nonlinear import CypInactivation
from .dosing import Dose, Regimen, amount_mg, check_body_weight, check_route, interval_h
from .errors import InputError, SolverError, UnitError, UnknownNameError, did_you_mean
from .units import Q_

__all__ = [
    "SITES",
    "OneCompartment",
    "TwoCompartment",
    "Metabolite",
    "CypInactivation",
    "pk_model",
    "metabolite_model",
    "concentration",
    "steady_state",
    "SteadyState",
    "pk_summary",
    "PKSummary",
    "simulate_ode",
]

#: where a concentration can be asked for: plasma (total), free (fu × plasma),
#: brain (kp_uu × free), effect (effect site, ke0, on the free concentration)
SITES = ("plasma", "free", "brain", "effect")


# --- the ODE cross-check ------------------------------------------------------------------
def simulate_ode(model: LinearModel, events: Any, times: Any, rtol: float = 1e-10, atol: float | None = None,
                 output: str = "conc", method: str = "DOP853") -> np.ndarray:
    """The same model integrated with `scipy.integrate.solve_ivp`, dose interval by dose interval.

    Each bolus (after its lag) and each start and end of an infusion is a discontinuity: the solver
    restarts there, so no step straddles a dose. Use it to check the closed forms, not for speed.

    Parameters
    ----------
    model : OneCompartment, TwoCompartment or Metabolite
    events : Regimen, Dose or iterable of Dose
    times : array
        Output times in h.
    rtol, atol : float
        Solver tolerances; ``atol`` defaults to 1e-12 × the largest dose (mg).
    output : {"conc", "effect", "amount"}
    method : str
        Any `solve_ivp` method (implicit ones get the exact Jacobian).

    Returns
    -------
    ndarray
        mg/L (mg for "amount"), shape (n_times,) or (n_subj, n_times).

    Raises
    ------
    SolverError
        If the integrator fails on an interval.
    """
    evs, t = as_events(events), as_times(times)
    check_output(output)
    for route in {e.route for e in evs}:
        model.response_terms(route, output)  # same validation (ka, F_ip, ke0) as the closed form
    if model.shape:
        return np.stack([simulate_ode(model.subject(i), evs, t, rtol, atol, output, method) for i in range(model.shape[0])])
    A, entries, outputs = model.ode_system()
    read, scale = outputs[output]
    kicks: dict[float, list[tuple[int, float]]] = {}
    infusions = [e for e in evs if e.route == "iv_infusion"]
    for e in evs:
        if e.route != "iv_infusion":
            state, frac, lag = entries[e.route]
            kicks.setdefault(e.time + lag, []).append((state, frac * e.amount))
    edges = set(kicks) | {e.time for e in infusions} | {e.end for e in infusions}
    points = sorted(edges | {float(t.min())})
    end = max(float(t.max()), points[-1])
    if atol is None:
        atol = max(1e-12 * (max((e.amount for e in evs), default=0.0) or 1.0), 1e-300)
    jac = A if method in ("Radau", "BDF", "LSODA") else None
    y = np.zeros(A.shape[0])
    out = np.zeros(t.shape)
    for i, b in enumerate(points):
        for state, amt in kicks.get(b, []):
            y[state] += amt
        rate = np.zeros_like(y)
        rate[1] = sum(e.rate for e in infusions if e.time <= b < e.end)
        last = i + 1 == len(points)
        nb = end if last else points[i + 1]
        here = (t >= b) & ((t <= nb) if last else (t < nb))
        out[here & (t == b)] = y[read] * scale
        inner = here & (t > b)
        if nb - b <= 1e-12 * max(1.0, abs(nb)):  # no time passes (the solver cannot step a zero-length interval)
            out[inner] = y[read] * scale
        else:
            te = np.unique(np.append(t[inner], nb))
            kw = {"jac": jac} if jac is not None else {}
            sol = solve_ivp(lambda _t, yy, r=rate: A @ yy + r, (b, nb), y, method=method, t_eval=te, rtol=rtol,
                            atol=atol, **kw)
            if not sol.success:
                raise SolverError(f"solve_ivp failed between {b:g} h and {nb:g} h ({sol.message}); try method='Radau'.")
            out[inner] = sol.y[read, np.searchsorted(te, t[inner])] * scale
            y = sol.y[:, -1].copy()
    return out


def nonlinear_metabolite_error(name: str) -> str:
    """The message refusing a non-linear compound as a metabolite's parent or as a metabolite."""
    return (f"{name} has non-linear PK (model 'one_compartment_cyp2d6_inactivation': it inactivates its own CYP2D6), "
            f"so it cannot form or be a metabolite through `Metabolite`, which convolves linear responses; remove the "
            f"metabolite from [pk.<species>.metabolites] or give {name} a linear model.")


# --- from the catalogue -----------------------------------------------------------------------
def _weight(drug: catalog.Drug, species: str, body_weight: Any) -> float:
    if body_weight is not None:
        return check_body_weight(body_weight)
    try:
        return catalog.species(species)["body_weight"].to("kg")
    except (UnknownNameError, KeyError):
        raise InputError(f"{drug.name} has per-kg PK for species '{species}' but models/species.toml gives no body weight "
                         f"for it; give body_weight, e.g. body_weight='0.25 kg'.") from None


def pk_model(drug: Any, species: str = "human", body_weight: Any = None) -> OneCompartment | TwoCompartment | CypInactivation:
    """The catalogue PK of ``drug`` for ``species`` as a model with plain floats (L, L/h, 1/h).

    Per-kg values (L/kg, L/h/kg) are scaled by ``body_weight`` or the species' body weight from
    models/species.toml. A missing F is 1 (CL and V are then apparent oral values); a missing tlag is 0.
    For ``model = "one_compartment_cyp2d6_inactivation"`` (`CypInactivation`) the file's KI, an unbound
    concentration, becomes the total plasma concentration the model reads: KI / fu, in mg/L.
    """
    d = catalog.drug(drug)
    spec = d.pk(species)
    p = spec.params
    bw: list[float] = []

    def scaled(key: str, unit: str) -> float:
        try:
            return p[key].to(unit)
        except UnitError:
            if not bw:
                bw.append(_weight(d, species, body_weight))
            return p[key].to(unit + "/kg") * bw[0]

    def opt(key: str, unit: str, default: Any = None) -> Any:
        return p[key].to(unit) if key in p else default

    common = dict(ka=opt("ka", "1/h"), F=opt("F", "dimensionless", 1.0), tlag=opt("tlag", "h", 0.0),
                  ke0=opt("ke0", "1/h"), F_ip=opt("F_ip", "dimensionless"))
    if spec.model == "one_compartment_cyp2d6_inactivation":
        ki_total = p["KI"].to("nM") * d.molar_mass.to("g/mol") / 1e6 / p["fu"].to("dimensionless")  # nM unbound -> mg/L total
        return CypInactivation(scaled("CL", "L/h"), scaled("CL_2D6", "L/h"), scaled("V", "L"), p["kinact"].to("1/h"),
                               ki_total, p["kdeg"].to("1/h"), **common)
    if spec.model == "two_compartment":
        return TwoCompartment(scaled("CL", "L/h"), scaled("V", "L"), scaled("Q", "L/h"), scaled("V2", "L"), **common)
    return OneCompartment(scaled("CL", "L/h"), scaled("V", "L"), **common)


def metabolite_model(drug: Any, metabolite: Any, species: str = "human", body_weight: Any = None) -> Metabolite:
    """``metabolite`` formed from ``drug``: fm from the parent's [pk.<species>.metabolites], the
    metabolite's own PK, and the molar-mass ratio (mg formed = fm × mg eliminated × M_m / M_p)."""
    d, m = catalog.drug(drug), catalog.drug(metabolite)
    mets = d.pk(species).metabolites
    for x in (d, m):
        if x.pk(species).model == "one_compartment_cyp2d6_inactivation":
            raise InputError(nonlinear_metabolite_error(x.name))
    if m.name not in mets:
        known = ", ".join(sorted(mets)) or "none"
        raise InputError(f"{d.name} ({species}) forms no metabolite '{m.name}' in models/drugs/{d.name}.toml (known: {known}); "
                         f"add it under [pk.{species}.metabolites] with its fm.")
    ratio = m.molar_mass.to("g/mol") / d.molar_mass.to("g/mol")
    return Metabolite(pk_model(d, species, body_weight), pk_model(m, species, body_weight),
                      mets[m.name].to("dimensionless"), ratio)


def _site(target: catalog.Drug, species: str, site: str) -> tuple[float, str]:
    """(factor on the total concentration, model output) for ``site``; missing data named with the fix."""
    if site not in SITES:
        raise InputError(f"`site` must be one of {', '.join(SITES)} (got {site!r}).{did_you_mean(site, SITES)}")
    if site == "plasma":
        return 1.0, "conc"
    spec = target.pk(species)
    file = f"models/drugs/{target.name}.toml"

    def need(key: str, what: str) -> float:
        if key not in spec.params:
            raise InputError(f"site='{site}' needs {key} ({what}) of {target.name} for {species}, which {file} does not give; "
                             f"add pk.{species}.{key} = {{ value = ..., unit = \"{'1/h' if key == 'ke0' else '1'}\", "
                             f"sources = [...], kind = ... }}" + (", or use site='free'." if key == "kp_uu" else "."))
        return spec.params[key].to("1/h" if key == "ke0" else "dimensionless")

    fu = need("fu", "unbound fraction in plasma")
    if site == "free":
        return fu, "conc"
    if site == "brain":
        return fu * need("kp_uu", "unbound brain / unbound plasma ratio"), "conc"
    need("ke0", "effect-site equilibration rate")
    return fu, "effect"


def _dosed(d: catalog.Drug, regimen: Any, species: str) -> tuple[Dose, ...]:
    """The doses of ``d`` in ``regimen`` (named for it or unnamed), checked against its PK."""
    evs = as_events(regimen)
    names = {d.name.lower(), *(a.lower() for a in d.aliases)}
    mine = tuple(e for e in evs if e.drug is None or e.drug.lower() in names)
    if evs and not mine:
        raise InputError(f"the regimen has no doses of {d.name} (it doses {', '.join(Regimen(evs).drugs)}); "
                         f"give its doses drug='{d.name}'.")
    params = d.pk(species).params
    for route in {e.route for e in mine} & {"oral", "ip", "sc"}:
        for key in ("ka",) + (("F_ip",) if route != "oral" else ()):
            if key not in params:
                raise InputError(f"{route} doses of {d.name} need pk.{species}.{key}, which models/drugs/{d.name}.toml does "
                                 f"not give; add it with its source, or dose iv_bolus.")
    return mine


def _prepare(drug: Any, regimen: Any, site: str, species: str, body_weight: Any, metabolite: Any):
    d = catalog.drug(drug)
    evs = _dosed(d, regimen, species)
    if metabolite is None:
        model, target = pk_model(d, species, body_weight), d
    else:
        model, target = metabolite_model(d, metabolite, species, body_weight), catalog.drug(metabolite)
    factor, output = _site(target, species, site)
    to_nm = factor * 1e6 / target.molar_mass.to("g/mol")  # 1 mg/L = 1e6/M nM
    return d, evs, model, target, output, to_nm


def concentration(drug: Any, regimen: Any, times: Any, site: str = "plasma", species: str = "human",
                  body_weight: Any = None, metabolite: Any = None):
    r"""Concentration of a catalogue drug (or of a metabolite it forms) after a regimen, in nM.

    .. math:: C_{plasma} = \frac{A}{V},\quad C_{free} = f_u C_{plasma},\quad
              C_{brain} = K_{p,uu} C_{free},\quad C_{effect} = f_u C_e

    with :math:`C[\text{nM}] = C[\text{mg/L}] \cdot 10^6 / M` (M in g/mol).

    Parameters
    ----------
    drug : str or Drug
        Catalogue name or alias (or a loaded `Drug`).
    regimen : Regimen, Dose or iterable of Dose
        Doses named for this drug, or unnamed, are used.
    times : array or quantity
        Output times (h for plain numbers).
    site : {"plasma", "free", "brain", "effect"}
    species : str
        Which [pk.<species>] table to use.
    body_weight : str, quantity or float, optional
        kg; scales per-kg PK (default: the species' body weight).
    metabolite : str, optional
        Return this metabolite's concentration, formed from ``drug``'s doses.

    Returns
    -------
    pint.Quantity
        nM, shape (n_times,).
    """
    d, evs, model, target, output, to_nm = _prepare(drug, regimen, site, species, body_weight, metabolite)
    return Q_(model.response(times, evs, output) * to_nm, "nM")


# --- steady state and summaries -------------------------------------------------------------
@dataclass(frozen=True)
class SteadyState:
    """Steady state of a regular regimen, in closed form (no long simulation).

    ``accumulation`` is AUC over an interval at steady state over AUC over the first interval;
    ``accumulation_terminal`` is :math:`1/(1 - e^{-\\lambda_z \\tau})` (Gibaldi & Perrier 1982).
    ``time`` runs over one interval from a dose; ``profile`` there (at τ the trough before the next).
    """

    cmax: Any
    cmin: Any
    cavg: Any
    tmax: Any
    accumulation: float
    accumulation_terminal: float
    interval: Any
    time: Any = field(repr=False)
    profile: Any = field(repr=False)


def _extreme(f, grid: np.ndarray, values: np.ndarray, sign: float) -> tuple[float, float]:
    """Refine the grid maximum (sign=1) or minimum (sign=-1) of ``f`` between its neighbours."""
    i = int(np.argmax(sign * values))
    best_t, best = float(grid[i]), float(values[i])
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    if hi > lo:
        r = minimize_scalar(lambda x: -sign * f(x), bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-10 * max(hi, 1.0)})
        if -r.fun > sign * best:
            best_t, best = float(r.x), float(-sign * r.fun)
    return best_t, best


def steady_state(drug_or_model: Any, dose: Any, every: Any, route: str = "oral", *, duration: Any = None,
                 site: str = "plasma", species: str = "human", body_weight: Any = None, metabolite: Any = None,
                 n_points: int = 241) -> SteadyState:
    r"""Steady state of ``dose`` every ``every`` by closed-form accumulation.

    Each exponential of the single-dose response accumulates by :math:`1/(1 - e^{-k\tau})`; for the
    chains of absorption, distribution, effect site and metabolite this is done exactly
    (`pdsim._pk_closed.chain_ss`), lag time and long infusions included. Then

    .. math:: C_{avg,ss} = \frac{F\, D}{CL\, \tau}

    and Cmax, Tmax, Cmin are refined between the points of the one-interval profile.

    Parameters
    ----------
    drug_or_model : str, Drug, or a model
        A catalogue drug (concentrations in nM, ``site`` as in `concentration`) or a
        `OneCompartment`/`TwoCompartment`/`Metabolite` of one subject (mg/L; site plasma or effect).
    dose, every : str, quantity or float
        Amount per dose (mg, or mg/kg with ``body_weight``) and interval (h).
    route : str
        As for `Dose`; ``duration`` is required for "iv_infusion" (it may exceed ``every``).

    Returns
    -------
    SteadyState
    """
    route = check_route(route)
    T = interval_h(every)
    amount = amount_mg(dose, "dose", body_weight)
    D = 0.0
    if route == "iv_infusion":
        if duration is None:
            raise InputError("a steady-state infusion needs `duration`, e.g. duration='2 h'.")
        D = interval_h(duration, "duration")
    if isinstance(drug_or_model, LinearModel):
        model, unit = drug_or_model, "mg/L"
        if site not in ("plasma", "effect"):
            raise InputError(f"site='{site}' needs a catalogue drug (fu, kp_uu); with a bare model use site='plasma' or 'effect'.")
        output, to_unit = ("effect" if site == "effect" else "conc"), 1.0
    else:
        probe = Dose(0.0, amount, route, D or None, None)
        _, _, model, _, output, to_unit = _prepare(drug_or_model, (probe,), site, species, body_weight, metabolite)
        unit = "nM"
    if model.shape:
        raise InputError("steady_state takes one subject; use model.subject(i) for a population model.")
    terms, lag = model.response_terms(route, output)
    lag = float(np.asarray(lag))
    grid = np.unique(np.concatenate([np.linspace(0.0, T, int(n_points)), [lag % T, min(D, T) if D else 0.0]]))

    def f(x: Any) -> Any:
        return steady_profile(terms, lag, np.atleast_1d(x), amount, T, route, D) * to_unit

    prof = f(grid)
    tmax, cmax = _extreme(lambda x: f(x)[0], grid, prof, 1.0)
    _, cmin = _extreme(lambda x: f(x)[0], grid, prof, -1.0)
    auc_ss = float(auc_inf(terms)) * amount * to_unit  # AUC over an interval at steady state = AUC 0-inf of one dose
    if route == "iv_infusion":
        first = sum(w * infusion_chain((0.0,) + n, T, D) for w, n in terms) * amount / D
    else:
        first = sum(w * chain((0.0,) + n, T - lag) for w, n in terms) * amount
    first = float(np.asarray(first)) * to_unit
    acc_term = 1.0 / -math.expm1(-LN2 / float(model.half_life) * T)
    return SteadyState(cmax=Q_(cmax, unit), cmin=Q_(cmin, unit), cavg=Q_(auc_ss / T, unit), tmax=Q_(tmax, "h"),
                       accumulation=auc_ss / first if first > 0 else math.inf, accumulation_terminal=acc_term,
                       interval=Q_(T, "h"), time=Q_(grid, "h"), profile=Q_(prof, unit))


@dataclass(frozen=True)
class PKSummary:
    """Summary of a simulated regimen (`pk_summary`); `items` gives printable rows for the CLI."""

    drug: str
    site: str
    cmax: Any
    tmax: Any
    tpeak: Any
    cmin: Any
    auc: Any
    auc_inf: Any
    half_life: Any
    accumulation: float | None
    interval: Any
    molar_mass: float
    notes: tuple[str, ...] = ()

    def _conc(self, q: Any) -> str:
        return f"{q.magnitude:.4g} nM ({q.magnitude * self.molar_mass / 1e3:.4g} ng/mL)"

    def items(self) -> list[tuple[str, str]]:
        tmax = f"{self.tmax.magnitude:.4g} h"
        if self.tpeak != self.tmax:
            tmax += f" (after the dose at {(self.tpeak - self.tmax).magnitude:.4g} h)"
        rows = [("Cmax", self._conc(self.cmax)), ("Tmax", tmax),
                ("Cmin (last interval)", self._conc(self.cmin)),
                ("AUC (trapezoid over grid)", f"{self.auc.magnitude:.4g} nM·h"),
                ("AUC 0-inf (exact, all doses)", "—" if self.auc_inf is None else f"{self.auc_inf.magnitude:.4g} nM·h"),
                ("t1/2 (terminal)", "—" if self.half_life is None else f"{self.half_life.magnitude:.4g} h"),
                ("accumulation ratio", "—" if self.accumulation is None else f"{self.accumulation:.4g}")]
        return rows + [(f"note {i + 1}", n) for i, n in enumerate(self.notes)]


def pk_summary(drug: Any, regimen: Any, times: Any, site: str = "plasma", species: str = "human",
               body_weight: Any = None, metabolite: Any = None) -> PKSummary:
    r"""Cmax, Tmax, Cmin, AUC, half-life and accumulation of a regimen (the `pdsim pk` command).

    - Cmax: the grid maximum refined between its neighbours with the closed form; ``tpeak`` is
      when it occurs and Tmax the time from the dose before it to then.
    - Cmin: the trough of the last dosing interval (the interval after the last dose when the grid
      covers it, else the one before it, ending just before the last dose); for a single dose, the
      concentration at the end of the grid.
    - AUC: trapezoid over the grid (nM·h), and the exact AUC from 0 to ∞ of the doses given,
      :math:`\sum F D / CL` for the parent in plasma.
    - t½: :math:`\ln 2/k` (one compartment) or :math:`\ln 2/\beta` (two compartments) from the parameters.
    - accumulation: :math:`1/(1 - e^{-\lambda_z \tau})` for an evenly spaced regimen, else None.

    For non-linear PK (`CypInactivation`) Cmax, Tmax, Cmin and the AUC over the grid come from the
    integrated model; AUC 0-inf, t½ and the accumulation ratio have no value from the parameters
    (they change with dose and time) and are None, with a note.
    """
    d, evs, model, target, output, to_nm = _prepare(drug, regimen, site, species, body_weight, metabolite)
    nonlinear = isinstance(model, CypInactivation)
    t = np.sort(as_times(times))
    if t.size < 2:
        raise InputError("`times` must hold at least two points for a summary; give e.g. numpy.linspace(0, 24, 241).")
    c = model.response(t, evs, output) * to_nm

    def conc_at(x: Any, events: Any = evs) -> np.ndarray:
        return model.response(np.atleast_1d(x), events, output) * to_nm

    tpeak, cmax = _extreme(lambda x: conc_at(x)[0], t, c, 1.0)
    dose_t = np.unique([e.time for e in evs])
    before = dose_t[dose_t <= tpeak]
    tmax = tpeak - (before[-1] if before.size else 0.0)
    notes = ["AUC by the trapezoidal rule over the given times" + ("." if nonlinear else "; the exact AUC 0-inf is listed beside it.")]
    if dose_t.size >= 2:
        tau = dose_t[-1] - dose_t[-2]
        if dose_t[-1] + tau <= t[-1] * (1 + 1e-12):
            lo, hi, use = dose_t[-1], dose_t[-1] + tau, evs
        else:  # the interval before the last dose, read just before it
            lo, hi, use = dose_t[-2], dose_t[-1], tuple(e for e in evs if e.time < dose_t[-1])
        if evs[-1].route != "oral":
            lag = 0.0
        else:
            lag = float(np.max(model.tlag)) if nonlinear else float(np.max(model.central_terms(evs[-1].route)[1]))
        cand = np.unique(np.concatenate([t[(t >= lo) & (t <= hi)], [lo, hi, min(lo + lag, hi)]]))
        cmin = float(np.min(conc_at(cand, use)))
    else:
        cmin = float(c[-1])
        notes.append("single dose: Cmin is the concentration at the last time of the grid.")
    interval = Regimen(evs).interval
    if nonlinear:
        notes.append(f"{d.name} has non-linear PK (it inactivates its own CYP2D6): its clearance changes with dose and "
                     f"time, so AUC 0-inf, t1/2 and the accumulation ratio have no value from the parameters; Cmax, "
                     f"Cmin and the AUC over the grid come from the integrated model.")
        half = acc = exact = None
    else:
        half = float(np.asarray(model.half_life))
        acc = None if interval is None else 1.0 / -math.expm1(-LN2 / half * interval)
        exact = sum(e.amount * float(np.asarray(auc_inf(model.response_terms(e.route, output)[0]))) for e in evs) * to_nm
    return PKSummary(drug=d.name if metabolite is None else target.name, site=site, cmax=Q_(cmax, "nM"), tmax=Q_(tmax, "h"), tpeak=Q_(tpeak, "h"),
                     cmin=Q_(cmin, "nM"), auc=Q_(float(np.trapezoid(c, t)), "nM*h"),
                     auc_inf=None if exact is None else Q_(exact, "nM*h"),
                     half_life=None if half is None else Q_(half, "h"), accumulation=acc, interval=None if interval is None else Q_(interval, "h"),
                     molar_mass=target.molar_mass.to("g/mol"), notes=tuple(notes))
