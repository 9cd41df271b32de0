"""SBML export: one arm of a scenario as an SBML Level 3 model (PK, dose events, target occupancy and signals).

Needs python-libsbml (the ``sbml`` extra). What SBML cannot hold here is refused by name, never dropped:
see `scenario_to_sbml` for the scope.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import InputError, MissingExtraError, PdsimError, UnitError, suggest

__all__ = ["scenario_to_sbml", "write_sbml", "exported_variables", "sbml_id"]

_NS = "urn:pdsim:provenance:1"  # the namespace of pdsim's provenance annotations
#: libsbml consistency checks run on export (units are checked too; see `_check`)
_CHECKS = ("general", "identifier", "units", "mathml", "sbo", "overdetermined", "modelingPractice")


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise MissingExtraError("SBML export needs python-libsbml, which is not installed; install the extra: "
                                'pip install "pdsim-pharmacology[sbml]" (or pip install python-libsbml).') from None
    return libsbml


#: how a hyphen in a name (target ``5-HT2C``, a drug ``x-1``) is spelled in an SBML id, so the id maps back
_HYPHEN = "_hyphen_"


def sbml_id(variable: str) -> str:
    """The SBML id of a result variable: ``occupancy.MOR.tianeptine`` -> ``occupancy__MOR__tianeptine``;
    a hyphen becomes ``_hyphen_`` (``occupancy.5-HT2C`` -> ``occupancy__5_hyphen_HT2C``), so
    `exported_variables` can read the variable back."""
    sid = re.sub(r"[^A-Za-z0-9_]", "_", variable.replace(".", "__").replace("-", _HYPHEN))
    return sid if sid[:1].isalpha() or sid[:1] == "_" else "_" + sid  # an SBML id starts with a letter or _


# --- what the arm needs -----------------------------------------------------------------------------
def _pick_arm(sc: Any, arm: str | None):
    labels = [a.label for a in sc.arms]
    if arm is None:
        if len(sc.arms) != 1:
            raise InputError(f"scenario '{sc.name}' has {len(sc.arms)} arms ({'; '.join(labels)}); an SBML model holds "
                             "one: choose it with arm=... (--arm LABEL).")
        return sc.arms[0]
    if arm not in labels:
        raise InputError(f"scenario '{sc.name}' has no arm {arm!r}.{suggest(arm, labels, known=True)}")
    return sc.arms[labels.index(arm)]


def _with_patient(model: Any, dr: Any, a: Any) -> Any:
    """The PK model with the arm's patient covariates applied (`pdsim.covariates`), as `pdsim.simulate` does."""
    from .covariates import apply, covariate_values

    values = covariate_values(getattr(a, "patient", None))
    return type(model)(**apply(dr, a.species, model.kwargs(), values)[0]) if values else model


def _refuse(sc: Any, a: Any, include_systems: bool) -> list[str]:
    """Raise for what SBML export cannot express; return the downstream systems left out (when allowed)."""
    pop = sc.population
    if pop.size > 1 and pop.variability:
        raise InputError(f"scenario '{sc.name}': population variability ({pop.size} subjects, CVs on "
                         f"{', '.join(sorted(pop.variability))}) cannot be expressed in one SBML model; export a "
                         "scenario with population size 1 (the typical subject).")
    if "frequencies" in dict(a.phenotype):
        raise InputError(f"arm '{a.label}': phenotypes drawn per subject from population frequencies cannot be "
                         f"expressed in one SBML model; fix the genes in the arm, e.g. phenotype = {{ CYP2D6 = \"poor\" }}.")
    if getattr(pop, "covariates", None):
        raise InputError(f"scenario '{sc.name}': population covariates drawn per subject "
                         f"({', '.join(sorted(pop.covariates))}) cannot be expressed in one SBML model; give the arm a "
                         "fixed patient = {...} instead.")
    systems = list(a.systems if a.systems is not None else sc.systems)
    unsupported = [s for s in systems if s not in _SYSTEMS]
    if unsupported and include_systems:
        raise InputError(f"arm '{a.label}': downstream system{'s' if len(unsupported) > 1 else ''} "
                         f"{', '.join(repr(s) for s in unsupported)} cannot be expressed in SBML yet (it can: "
                         f"{', '.join(_SYSTEMS)}); export PK, occupancy and target signals only with "
                         "include_systems=False (--no-systems).")
    return systems


def _events_mg(sc: Any, a: Any, drug: str) -> list[tuple[float, float, str, float]]:
    """(time h, amount mg, route, duration h) of every dose of ``drug`` in the arm: the engine's own
    events (`pdsim.engine.pk.arm_events`, mg/kg doses scaled by body weight)."""
    from .engine.pk import arm_events

    return [(e.time, e.amount, e.route, e.duration) for e in arm_events(a, drug)]


def _kd(drug: str, target: str) -> tuple[float, list[Any], str]:
    """(dissociation constant nM as the engine uses it, the Parameters it comes from, how)."""
    from .targets import FAMILIES
    from .targets import as_drug, dissociation_constant

    d = as_drug(drug)
    b = d.binding(target)
    params = [b.affinity]
    if FAMILIES.get(target) == "ion_channels":
        from .targets.ion_channels import k_app
        from .targets import target_file, target_param

        v = target_param(target, "V_membrane", "mV")
        params += list(b.params.values()) + [target_file(target)["V_membrane"]]
        return float(k_app(d, v)), params, f"apparent K at the resting potential {v:g} mV (modulated receptor)"
    if b.measure == "EC50":
        params += [b.params["tau"]] if "tau" in b.params else []
        return dissociation_constant(d, target), params, "K_A = EC50 (1 + tau) (operational model)"
    return dissociation_constant(d, target), params, f"{b.measure} used as K"


def _curves(sc: Any, target: str, present: list[str]) -> dict[str, Any]:
    """The in-vivo (PET/SPECT) curves at ``target`` of the ligands present, as the engine selects them:
    none with ``engagement = "in_vitro"``; else each ligand whose drug file gives [targets.<T>.in_vivo]."""
    from .targets.engagement import in_vivo

    if sc.engagement != "in_vivo":
        return {}
    out = {}
    for d in present:
        iv = in_vivo(d, target)
        if iv is not None:
            out[d] = iv
    return out


def _curve_sources(drug: str, target: str) -> tuple[list[Any], str | None, list[Any], list[Any]]:
    """(EC50 Parameters, how EC50 in nM was derived, Emax Parameters, ke0 Parameters) of an in-vivo curve."""
    from .targets import as_drug, value

    d = as_drug(drug)
    p = d.binding(target).params
    ec = p["in_vivo.EC50"]
    try:
        value(ec, "nM")
        ec_src, how = [ec], None
    except UnitError:  # a mass concentration, converted as pdsim.targets.engagement.in_vivo does
        ec_src, how = [ec, d.molar_mass], "EC50 (ng/mL) x 1000 / molar mass (g/mol), in nM"
    return ec_src, how, [p["in_vivo.Emax"]], [p["in_vivo.ke0"]] if "in_vivo.ke0" in p else []


def _engaged_target(b: Any, t: str, present: list[str], curves: dict[str, Any], drive: dict[str, str],
                    pk_ids: dict[str, tuple[str, str, str]]) -> None:
    r"""`pdsim.targets.engagement.engaged_signals` at target ``t`` as assignment (and rate) rules.

    Each ligand j has a normalised concentration :math:`x_j`: :math:`C_j/EC_{50,j}` on total plasma,
    or on the curve's own effect site :math:`\dot C_{e,j} = k_{e0,j}(C_{p,j} - C_{e,j})` (a rate
    rule, total concentration) where the curve gives ke0, for a ligand with a PET/SPECT curve;
    :math:`C_{u,j}/K_j` (its target-driving concentration, in-vitro K) otherwise. Then
    :math:`\theta_j = E_{max,j} x_j/(1 + \sum_k x_k)` (:math:`E_{max} = 1` without a curve),
    :math:`\theta = \sum_j\theta_j`, and the signal is :math:`1/(1 - \theta)` for transporters
    (`monoamine_index` at g = 1) or θ for GPCR and occupancy-only targets.
    """
    from .targets import FAMILIES
    from .targets.engagement import OCCUPANCY_SIGNAL

    fam = FAMILIES.get(t, "")
    if fam not in OCCUPANCY_SIGNAL:  # the engine refuses the same arm (engaged_signals)
        raise InputError(f"in-vivo engagement at '{t}' ({fam} family) cannot be expressed in SBML: its signal is not a "
                         f"function of occupancy alone (the engine refuses it too); use engagement = \"in_vitro\".")
    tid = sbml_id(t)
    xs, emaxes = [], []
    for d in present:
        sd = sbml_id(d)
        xid = b.parameter(f"x_{tid}_{sd}", None, "dimensionless", f"normalised concentration of {d} at {t}",
                          constant=False)
        iv = curves.get(d)
        if iv is None:
            k, params, how = _kd(d, t)
            kid = b.parameter(f"K_{tid}_{sd}", k, "nM", f"{d} dissociation constant at {t} (no in-vivo curve)",
                              sources=params, how=how)
            b.assignment(xid, f"{drive[d]} / {kid}")
            emaxes.append(None)
        else:
            ec_src, ec_how, emax_src, ke0_src = _curve_sources(d, t)
            ec = b.parameter(f"EC50_{tid}_{sd}", iv.ec50_nM, "nM", f"{d} in-vivo EC50 at {t} (total plasma)",
                             sources=ec_src, how=ec_how)
            emaxes.append(b.parameter(f"Emax_{tid}_{sd}", iv.emax, "dimensionless",
                                      f"{d} in-vivo occupancy plateau at {t}", sources=emax_src))
            if iv.ke0 is None:
                conc = sbml_id(f"plasma.{d}")
            else:
                central, V, mw = pk_ids[d]
                ke0 = b.parameter(f"{sd}_{tid}_in_vivo_ke0", iv.ke0, "per_hour",
                                  f"equilibration rate of {d}'s in-vivo {t} occupancy", sources=ke0_src)
                ce = b.parameter(f"{sd}_{tid}_in_vivo_effect_site", 0.0, "mg_per_L",
                                 f"{d} effect-site concentration of its in-vivo {t} curve (total)", constant=False)
                b.rate(ce, f"{ke0} * ({central} / {V} - {ce})")
                conc = b.parameter(f"{sd}_{tid}_in_vivo_conc", None, "nM",
                                   f"{d} effect-site concentration of its in-vivo {t} curve (total, nM)", constant=False)
                b.assignment(conc, f"{ce} / {mw} * nmol_per_mmol")
            b.assignment(xid, f"{conc} / {ec}")
        xs.append(xid)
    denom = b.parameter(f"{tid}_binding_sum", None, "dimensionless", f"1 + sum x at {t}", constant=False)
    b.assignment(denom, "1 dimensionless + " + " + ".join(xs))
    for d, x, emax in zip(present, xs, emaxes):
        oid = sbml_id(f"occupancy.{t}.{d}")
        b.parameter(oid, None, "dimensionless", f"occupancy of {t} by {d}", constant=False)
        b.assignment(oid, f"{x} / {denom}" if emax is None else f"{emax} * {x} / {denom}")
    occ_t = sbml_id(f"occupancy.{t}")
    b.assignment(occ_t, " + ".join(sbml_id(f"occupancy.{t}.{d}") for d in present))
    sig = sbml_id(f"signal.{t}")
    if fam == "transporters":
        b.parameter(sig, None, "dimensionless", f"extracellular amine index at {t}", constant=False)
        b.assignment(sig, f"1 dimensionless / (1 dimensionless - {occ_t})")
    else:
        b.parameter(sig, None, "dimensionless", f"{t} signal (fraction of sites held)", constant=False)
        b.assignment(sig, occ_t)


# --- building the document --------------------------------------------------------------------------
class _Builder:
    def __init__(self, libsbml: Any, model_id: str, name: str):
        self.L = libsbml
        self.doc = libsbml.SBMLDocument(3, 2)
        self.m = self.doc.createModel()
        self._ok(self.m.setId(model_id))
        self.m.setName(name)
        self._units()
        self.ids: set[str] = set()

    @staticmethod
    def target_file(target: str):
        from .targets import target_file

        return target_file(target)

    def _ok(self, code: int) -> None:
        if code != self.L.LIBSBML_OPERATION_SUCCESS:
            raise PdsimError(f"libsbml refused an operation ({self.L.OperationReturnValue_toString(code)}).")

    def _unit(self, uid: str, parts: list[tuple[int, float, int, float]]) -> None:
        ud = self.m.createUnitDefinition()
        ud.setId(uid)
        for kind, exp, scale, mult in parts:
            u = ud.createUnit()
            u.setKind(kind)
            u.setExponent(exp)
            u.setScale(scale)
            u.setMultiplier(mult)

    def _units(self) -> None:
        L = self.L
        self._unit("hour", [(L.UNIT_KIND_SECOND, 1, 0, 3600.0)])
        self._unit("per_hour", [(L.UNIT_KIND_SECOND, -1, 0, 3600.0)])
        self._unit("mg", [(L.UNIT_KIND_GRAM, 1, -3, 1.0)])
        self._unit("mg_per_hour", [(L.UNIT_KIND_GRAM, 1, -3, 1.0), (L.UNIT_KIND_SECOND, -1, 0, 3600.0)])
        self._unit("mg_per_L", [(L.UNIT_KIND_GRAM, 1, -3, 1.0), (L.UNIT_KIND_LITRE, -1, 0, 1.0)])
        self._unit("L_per_hour", [(L.UNIT_KIND_LITRE, 1, 0, 1.0), (L.UNIT_KIND_SECOND, -1, 0, 3600.0)])
        self._unit("g_per_mol", [(L.UNIT_KIND_GRAM, 1, 0, 1.0), (L.UNIT_KIND_MOLE, -1, 0, 1.0)])
        self._unit("nM", [(L.UNIT_KIND_MOLE, 1, -9, 1.0), (L.UNIT_KIND_LITRE, -1, 0, 1.0)])
        self._unit("nmol_per_mmol", [(L.UNIT_KIND_MOLE, 1, -9, 1.0), (L.UNIT_KIND_MOLE, -1, -3, 1.0)])
        self._unit("mV", [(L.UNIT_KIND_VOLT, 1, -3, 1.0)])
        m = self.m
        m.setTimeUnits("hour")
        m.setSubstanceUnits("mg")
        m.setExtentUnits("mg")
        m.setVolumeUnits("litre")

    def _new_id(self, sid: str) -> str:
        if sid in self.ids:
            raise PdsimError(f"SBML id {sid!r} would be used twice (two names map to it).")
        self.ids.add(sid)
        return sid

    def annotate(self, obj: Any, params: list[Any], how: str | None = None) -> None:
        """The pdsim provenance of ``obj``: parameter names, kinds, source ids and notes."""
        if not params and how is None:
            return
        esc = lambda s: (str(s).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")  # noqa: E731
                         .replace(">", "&gt;"))
        inner = "".join(
            f'<pdsim:parameter name="{esc(p.name)}" kind="{esc(p.kind)}" sources="{esc(" ".join(p.sources))}" '
            f'note="{esc(p.note)}"/>' for p in params)
        derived = f' derivation="{esc(how)}"' if how else ""
        self._ok(obj.setAnnotation(f'<annotation><pdsim:provenance xmlns:pdsim="{_NS}"{derived}>{inner}'
                                   f"</pdsim:provenance></annotation>"))

    def compartment(self, cid: str, size: float, name: str, units: str = "litre") -> None:
        c = self.m.createCompartment()
        c.setId(self._new_id(cid))
        c.setName(name)
        c.setSize(size)
        c.setUnits(units)
        c.setSpatialDimensions(3)
        c.setConstant(True)

    def species(self, sid: str, comp: str, name: str) -> None:
        s = self.m.createSpecies()
        s.setId(self._new_id(sid))
        s.setName(name)
        s.setCompartment(comp)
        s.setInitialAmount(0.0)
        s.setSubstanceUnits("mg")
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)

    def parameter(self, pid: str, value: float | None, units: str, name: str = "", constant: bool = True,
                  sources: list[Any] | None = None, how: str | None = None) -> str:
        p = self.m.createParameter()
        p.setId(self._new_id(pid))
        if name:
            p.setName(name)
        if value is not None:
            p.setValue(float(value))
        p.setUnits(units)
        p.setConstant(constant)
        if sources or how:
            self.annotate(p, sources or [], how)
        return pid

    def math(self, formula: str):
        ast = self.L.parseL3FormulaWithModel(formula, self.m)
        if ast is None:
            raise PdsimError(f"libsbml could not parse {formula!r}: {self.L.getLastParseL3Error()}")
        return ast

    def reaction(self, rid: str, reactant: str | None, product: str | None, formula: str,
                 modifiers: tuple[str, ...] = ()) -> None:
        r = self.m.createReaction()
        r.setId(self._new_id(rid))
        r.setReversible(False)
        for sid, make in ((reactant, r.createReactant), (product, r.createProduct)):
            if sid is not None:
                ref = make()
                ref.setSpecies(sid)
                ref.setStoichiometry(1.0)
                ref.setConstant(True)
        for sid in modifiers:
            r.createModifier().setSpecies(sid)
        kl = r.createKineticLaw()
        self._ok(kl.setMath(self.math(formula)))

    def assignment(self, var: str, formula: str) -> None:
        rule = self.m.createAssignmentRule()
        rule.setVariable(var)
        self._ok(rule.setMath(self.math(formula)))

    def rate(self, var: str, formula: str) -> None:
        rule = self.m.createRateRule()
        rule.setVariable(var)
        self._ok(rule.setMath(self.math(formula)))

    def event(self, eid: str, at_time: str, assignments: list[tuple[str, str]]) -> None:
        e = self.m.createEvent()
        e.setId(self._new_id(eid))
        e.setUseValuesFromTriggerTime(True)
        trig = e.createTrigger()
        trig.setInitialValue(False)  # an event at time 0 fires at the start
        trig.setPersistent(True)
        self._ok(trig.setMath(self.math(f"time >= {at_time}")))  # at_time carries its unit (hour)
        for var, formula in assignments:
            ea = e.createEventAssignment()
            ea.setVariable(var)
            self._ok(ea.setMath(self.math(formula)))


def _num(x: float) -> str:
    """A float in formula text, exactly (repr round-trips)."""
    return repr(float(x))


def scenario_to_sbml(scenario: Any, arm: str | None = None, *, include_systems: bool = True) -> str:
    r"""One arm of a scenario as an SBML Level 3 Version 2 document (a string).

    Expressed: each compound's linear PK (absorption depot, central and peripheral compartments as
    species in mg; absorption, elimination, distribution and metabolite formation as reactions:
    :math:`\dot A_m = f_m (M_m/M_p)(CL_p/V_p) A_p - (CL_m/V_m) A_m`), every dose as an event
    (oral doses after the lag, times F; ip/sc times F_ip; iv boluses into the central compartment;
    infusions as a rate switched on and off), the effect site as a rate rule
    :math:`\dot C_e = k_{e0}(A/V - C_e)`, a drug's CYP2D6 auto-inactivation (`pdsim.pk.CypInactivation`)
    as a rate rule for the active fraction E, :math:`\dot E = k_{deg}(1 - E) - k_{inact} C/(K_I + C) E`, with
    elimination :math:`(CL + CL_{2D6} E) A/V`, and as assignment rules in nM the variables
    ``plasma.*``, ``free.*``, ``brain.*``, ``biophase.*``, the competitive occupancies
    ``occupancy.<target>[.<drug>]`` (:math:`\theta_i = (C_i/K_i)/(1 + \sum_j C_j/K_j)`, C the
    unbound concentration, or the effect site's where the drug has a PK ke0) and the
    signals of opioid receptors (operational model, :math:`S = \sum_i \tau_i\theta_i`,
    :math:`S/(1+S)`), transporters (:math:`1 + \sum_j C_j/K_j`) and blockade targets
    (the occupancy). With ``engagement = "in_vivo"`` (the default), a target where some ligand has
    a PET/SPECT curve follows `pdsim.targets.engagement.engaged_signals` (`_engaged_target`):
    :math:`x_j = C_j/EC_{50,j}` on total plasma or on the curve's own effect site (a rate rule,
    :math:`\dot C_e = k_{e0}(C_p - C_e)`), :math:`x_j = C_{u,j}/K_j` for a ligand without a curve,
    :math:`\theta_j = E_{max,j}x_j/(1 + \sum_k x_k)`, signal :math:`1/(1 - \theta)` (transporters)
    or θ; EC50, Emax and ke0 carry their sources. Downstream systems: ``mao``, ``mor_tolerance``, ``tolerance``,
    ``hpa``, ``bdnf``, ``plasticity``, ``onset`` and ``reference_tolerance_turnover`` (states as rate rules, outputs
    ``effect.*`` as assignment rules; `_mao`, `_mor_tolerance`, `_tolerance`, `_hpa`, `_turnover`,
    `_onset`, `_reference`). Every parameter carries its sources as an
    annotation (namespace ``urn:pdsim:provenance:1``); ids are `sbml_id` of the variable names.

    The arm's stress protocol is a piecewise-constant parameter ``stress`` set by events at its
    edges. Refused, by name: population variability, an in-vivo curve at a target whose signal is
    not a function of occupancy alone (opioid receptors, Nav; the engine refuses it too), and any
    downstream system not listed above (``include_systems=False`` leaves every system out and says
    so in the model's notes).

    Parameters
    ----------
    scenario : Scenario, str or Path
    arm : str, optional
        Label of the arm (needed when the scenario has several).
    include_systems : bool
        False exports PK and the target layer of an arm whose downstream systems SBML cannot hold.

    Returns
    -------
    str
        The SBML document; libsbml's consistency checks found no error in it.
    """
    from . import catalog
    from .pharmacogenetics import apply
    from .pk import pk_model
    from .panel import targets_of
    from .scenario import Scenario, load_scenario
    from .simulate import arm_drugs
    from .targets import FAMILIES
    from .targets import agonist_tau, as_drug, ligands_at

    libsbml = _libsbml()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    a = _pick_arm(sc, arm)
    left_out = _refuse(sc, a, include_systems)
    # each compound resolved once to its drug (the scenario's own first), so no look-up below needs a registry
    compounds = [(catalog.resolve(n, sc.custom_drugs), None if p is None else catalog.resolve(p, sc.custom_drugs))
                 for n, p in arm_drugs(a, sc.custom_drugs)]
    b = _Builder(libsbml, "pdsim_" + sbml_id(sc.name.lower())[:60] or "pdsim_model", f"{sc.name}: {a.label}")
    drive: dict[str, str] = {}  # compound -> id of the concentration that drives its targets (nM)
    pk_ids: dict[str, tuple[str, str, str]] = {}  # compound -> ids of its central amount, V and molar mass
    phenotyped = lambda d: apply(d, dict(a.phenotype), a.species) if a.phenotype else d  # noqa: E731
    for name, parent in compounds:
        dr = phenotyped(as_drug(name))  # an arm's CYP2D6/CYP2C19 phenotype scales CL and fm (pdsim.pharmacogenetics)
        model = _with_patient(pk_model(dr, a.species, a.body_weight), dr, a)
        spec = dr.pk(a.species)
        P = spec.params
        sid = sbml_id(name)
        src = lambda k: [P[k]] if k in P else []  # noqa: E731
        two = spec.model == "two_compartment"
        V = b.parameter(f"{sid}_V", model.V, "litre", f"{name} central volume", sources=src("V"))
        CL = b.parameter(f"{sid}_CL", model.CL, "L_per_hour", f"{name} clearance", sources=src("CL"))
        mw = b.parameter(f"{sid}_MW", dr.molar_mass.to("g/mol"), "g_per_mol", f"{name} molar mass",
                         sources=[dr.molar_mass])
        b.compartment(f"{sid}_central_space", 1.0, f"{name}: central compartment (amount in mg; V is a parameter)")
        central = f"{sid}_central"
        b.species(central, f"{sid}_central_space", f"{name} in the central compartment")
        if spec.model == "one_compartment_cyp2d6_inactivation":  # CL(t) = CL + CL_2D6 E(t) (pdsim.pk.CypInactivation)
            if parent is not None or any(p == name for _, p in compounds):
                raise InputError(f"arm '{a.label}': {name} has non-linear PK and cannot form or be a metabolite.")
            CL2 = b.parameter(f"{sid}_CL_2D6", model.CL_2D6, "L_per_hour", f"{name} CYP2D6 clearance, enzyme fully active",
                              sources=src("CL_2D6"))
            kin = b.parameter(f"{sid}_kinact", model.kinact, "per_hour", f"{name} maximal CYP2D6 inactivation rate",
                              sources=src("kinact"))
            ki = b.parameter(f"{sid}_KI", model.KI, "mg_per_L", f"{name} total plasma concentration at half that rate "
                             f"(the file's unbound KI / fu)", sources=src("KI") + src("fu"), how="KI / fu")
            kdeg = b.parameter(f"{sid}_kdeg", model.kdeg, "per_hour", "CYP2D6 turnover rate", sources=src("kdeg"))
            E = b.parameter(f"{sid}_CYP2D6_active", 1.0, "dimensionless", f"active CYP2D6 fraction ({name} inactivates it)",
                            constant=False)
            b.rate(E, f"{kdeg} * (1 dimensionless - {E}) - {kin} * {central} / {V} / ({ki} + {central} / {V}) * {E}")
            b.reaction(f"{sid}_elimination", central, None, f"({CL} + {CL2} * {E}) / {V} * {central}")
        else:
            b.reaction(f"{sid}_elimination", central, None, f"{CL} / {V} * {central}")
        if two:
            Q = b.parameter(f"{sid}_Q", model.Q, "L_per_hour", f"{name} intercompartmental clearance", sources=src("Q"))
            V2 = b.parameter(f"{sid}_V2", model.V2, "litre", f"{name} peripheral volume", sources=src("V2"))
            b.compartment(f"{sid}_peripheral_space", 1.0, f"{name}: peripheral compartment")
            b.species(f"{sid}_peripheral", f"{sid}_peripheral_space", f"{name} in the peripheral compartment")
            b.reaction(f"{sid}_distribution", central, f"{sid}_peripheral", f"{Q} / {V} * {central}")
            b.reaction(f"{sid}_redistribution", f"{sid}_peripheral", central, f"{Q} / {V2} * {sid}_peripheral")
        if parent is not None:
            pid = sbml_id(parent)
            fm_p = phenotyped(as_drug(parent)).pk(a.species).metabolites[name]
            fm = b.parameter(f"{sid}_fm", fm_p.to("dimensionless"), "dimensionless",
                             f"fraction of {parent} eliminated as {name}", sources=[fm_p])
            b.reaction(f"{sid}_formation", None, central,
                       f"{fm} * {mw} / {pid}_MW * {pid}_CL / {pid}_V * {pid}_central",
                       modifiers=(f"{pid}_central",))
        else:
            _doses(b, sc, a, name, sid, model, P)
        b.parameter(sbml_id(f"plasma.{name}"), None, "nM", f"total plasma {name}", constant=False)
        if "nmol_per_mmol" not in b.ids:  # (mg/L)/(g/mol) is mmol/L
            b.parameter("nmol_per_mmol", 1e6, "nmol_per_mmol", "nmol per mmol")
        b.assignment(sbml_id(f"plasma.{name}"), f"{central} / {V} / {mw} * nmol_per_mmol")
        fu = b.parameter(f"{sid}_fu", P["fu"].to("dimensionless"), "dimensionless", f"{name} unbound fraction",
                         sources=src("fu"))
        b.parameter(sbml_id(f"free.{name}"), None, "nM", f"unbound plasma {name}", constant=False)
        b.assignment(sbml_id(f"free.{name}"), f"{fu} * {sbml_id(f'plasma.{name}')}")
        drive[name] = sbml_id(f"free.{name}")
        if "kp_uu" in P:
            kp = b.parameter(f"{sid}_kp_uu", P["kp_uu"].to("dimensionless"), "dimensionless",
                             f"{name} brain-to-plasma unbound ratio", sources=src("kp_uu"))
            b.parameter(sbml_id(f"brain.{name}"), None, "nM", f"unbound brain {name}", constant=False)
            b.assignment(sbml_id(f"brain.{name}"), f"{kp} * {sbml_id(f'free.{name}')}")
            if sc.site == "brain":
                drive[name] = sbml_id(f"brain.{name}")
        if getattr(model, "ke0", None) is not None:
            ke0 = b.parameter(f"{sid}_ke0", model.ke0, "per_hour", f"{name} effect-site rate", sources=src("ke0"))
            ce = b.parameter(f"{sid}_effect_site", 0.0, "mg_per_L", f"{name} effect-site concentration (total)",
                             constant=False)
            b.rate(ce, f"{ke0} * ({central} / {V} - {ce})")
            b.parameter(sbml_id(f"biophase.{name}"), None, "nM", f"unbound effect-site {name}", constant=False)
            b.assignment(sbml_id(f"biophase.{name}"), f"{fu} * {ce} / {mw} * nmol_per_mmol")
            drive[name] = sbml_id(f"biophase.{name}")  # the engine's targets follow the effect site (issue 13)
        pk_ids[name] = (central, V, mw)
        if not dr.targets:
            drive.pop(name)
    targets = list(sc.targets) if sc.targets is not None else targets_of(list(drive))
    engaged: list[str] = []  # targets whose occupancy follows in-vivo curves
    for t in targets:
        present = ligands_at(t, list(drive))
        tid = sbml_id(t)
        occ_t = sbml_id(f"occupancy.{t}")
        b.parameter(occ_t, None, "dimensionless", f"occupancy of {t} (all ligands)", constant=False)
        if not present:  # a listed target no ligand of the arm binds: the family's drug-free read-out
            b.assignment(occ_t, "0 dimensionless")
            sig = sbml_id(f"signal.{t}")
            b.parameter(sig, None, "dimensionless", f"{t} signal (no ligand: drug-free baseline)", constant=False)
            b.assignment(sig, "1 dimensionless" if FAMILIES.get(t) == "transporters" else "0 dimensionless")
            continue
        curves = _curves(sc, t, present)
        if curves:  # PET/SPECT-anchored occupancy (pdsim.targets.engagement)
            engaged.append(t)
            _engaged_target(b, t, present, curves, drive, pk_ids)
            continue
        terms = []
        for d in present:
            k, params, how = _kd(d, t)
            kid = b.parameter(f"K_{tid}_{sbml_id(d)}", k, "nM", f"{d} dissociation constant at {t}",
                              sources=params, how=how)
            terms.append(f"{drive[d]} / {kid}")
        denom = b.parameter(f"{tid}_binding_sum", None, "dimensionless", f"1 + sum C/K at {t}", constant=False)
        b.assignment(denom, "1 dimensionless + " + " + ".join(terms))
        for d, term in zip(present, terms):
            oid = sbml_id(f"occupancy.{t}.{d}")
            b.parameter(oid, None, "dimensionless", f"occupancy of {t} by {d}", constant=False)
            b.assignment(oid, f"{term} / {denom}")
        b.assignment(occ_t, " + ".join(sbml_id(f"occupancy.{t}.{d}") for d in present))
        fam = FAMILIES.get(t)
        sig = sbml_id(f"signal.{t}")
        if fam == "opioid":
            taus = []
            for d in present:
                tau = agonist_tau(d, t)
                if tau:
                    bd = as_drug(d).binding(t)
                    taus.append(f"{b.parameter(f'tau_{tid}_{sbml_id(d)}', tau, 'dimensionless', f'{d} transducer ratio at {t}', sources=[bd.params['tau']])} * {sbml_id(f'occupancy.{t}.{d}')}")
            stim = b.parameter(f"{tid}_stimulus", None, "dimensionless", f"operational stimulus at {t}",
                               constant=False)
            b.assignment(stim, " + ".join(taus) if taus else "0 dimensionless")
            b.parameter(sig, None, "dimensionless", f"{t} signal (fraction of system maximum)", constant=False)
            b.assignment(sig, f"{stim} / (1 dimensionless + {stim})")
        elif fam == "transporters":
            b.parameter(sig, None, "dimensionless", f"extracellular amine index at {t}", constant=False)
            b.assignment(sig, denom)
        else:  # GPCR side-effect indices, channel block and occupancy-only targets: the occupancy
            b.parameter(sig, None, "dimensionless", f"{t} signal (fraction of sites held)", constant=False)
            b.assignment(sig, occ_t)
    if a.stress:
        _stress(b, a)
    if include_systems:
        b.mor_agonists = [d for d in ligands_at("MOR", list(drive)) if agonist_tau(d, "MOR") > 0]
        b.species_name = a.species
        b.dosed = list(a.drugs)
        for name in _SYSTEMS:  # the engine's order: mor_tolerance rescales signal.MOR first
            if name in left_out:
                _SYSTEMS[name](b, set(b.ids))
        left_out = []
    notes = [f"Exported by pdsim from scenario '{sc.name}', arm '{a.label}' ({a.species}); times in h, "
             f"amounts in mg, concentrations in nM. Variable ids: result names with '.' written '__'."]
    if left_out:
        notes.append("Not included: the downstream system(s) " + ", ".join(left_out) + " (SBML export does not "
                     "express them yet).")
    if engaged:
        notes.append(f"Target engagement in vivo: occupancy at {', '.join(engaged)} from human PET/SPECT curves "
                     "(Emax x/(1 + sum x), x = total plasma or curve effect-site concentration / EC50); ligands "
                     "without a curve there compete with x = C_u/K (in-vitro K, an assumption).")
    elif sc.engagement == "in_vitro":
        notes.append("Target engagement in vitro (scenario key engagement = \"in_vitro\"): every occupancy from "
                     "the in-vitro constants on the unbound concentration.")
    if sc.population.size > 1:
        notes.append(f"The scenario's {sc.population.size} subjects are identical (no variability): one is exported.")
    b.m.setNotes("<body xmlns=\"http://www.w3.org/1999/xhtml\">" + "".join(
        f"<p>{n.replace('&', '&amp;').replace('<', '&lt;')}</p>" for n in notes) + "</body>")
    _check(libsbml, b.doc)
    return libsbml.writeSBMLToString(b.doc)


def _onset(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.effects.OnsetModel` as one rate rule and its outputs as assignment rules.

    :math:`h = 1/(1 - \rho\theta_{SERT})`, :math:`\dot A = k_A[1/(1 + \delta(h - 1)) - A]`,
    :math:`F = 1/(1 + \kappa A (h - 1))`, :math:`T = hF`, :math:`E_{5HT} = (T-1)_+/((T-1)_+ + T_{50})`,
    :math:`E_{MOR} = \sigma_+/(\sigma_+ + \sigma_{50})`, index :math:`1 - (1 - E_{5HT})(1 - E_{MOR})`;
    a missing SERT occupancy or MOR signal is 0, as in the engine.
    """
    import math

    from .effects import OnsetModel

    om = OnsetModel()
    mf = om.model_file
    src = lambda k: [mf.parameters[k]]  # noqa: E731
    rho = b.parameter("onset_rho", om.rho, "dimensionless", "SERT share of 5-HT clearance", sources=src("sert_clearance_share"))
    kappa = b.parameter("onset_kappa", om.kappa, "dimensionless", "autoreceptor gain", sources=src("autoreceptor_gain"))
    delta = b.parameter("onset_delta", om.delta, "dimensionless", "desensitisation gain", sources=src("desensitisation_gain"))
    k_a = b.parameter("onset_k_A", om.k_a, "per_hour", "autoreceptor adaptation rate",
                      sources=src("desensitisation_half_life"), how=f"ln 2 / half-life = {math.log(2.0):.6f} / t_half")
    t50 = b.parameter("onset_T50", om.t50, "dimensionless", "transmission rise for half the monoamine effect",
                      sources=src("transmission_half_effect"))
    s50 = b.parameter("onset_sigma50", om.half_effect, "dimensionless", "MOR signal for half the MOR effect",
                      sources=src("signal_half_effect"))
    occ = "occupancy__SERT" if "occupancy__SERT" in ids else "0 dimensionless"
    sig = sbml_id(om.mor_drive) if sbml_id(om.mor_drive) in ids else "0 dimensionless"
    v = {k: sbml_id(f"effect.{k}") for k in ("autoreceptor_sensitivity", "raphe_5ht", "raphe_firing",
                                              "serotonin_transmission", "antidepressant_monoamine",
                                              "antidepressant_mor", "antidepressant_index")}
    b.parameter(v["autoreceptor_sensitivity"], 1.0, "dimensionless", "5-HT1A autoreceptor sensitivity (baseline 1)",
                constant=False)
    for k in list(v)[1:]:
        b.parameter(v[k], None, "dimensionless", k.replace("_", " "), constant=False)
    h, A = v["raphe_5ht"], v["autoreceptor_sensitivity"]
    b.assignment(h, f"1 dimensionless / (1 dimensionless - {rho} * {occ})")
    b.rate(A, f"{k_a} * (1 dimensionless / (1 dimensionless + {delta} * ({h} - 1 dimensionless)) - {A})")
    b.assignment(v["raphe_firing"], f"1 dimensionless / (1 dimensionless + {kappa} * {A} * ({h} - 1 dimensionless))")
    b.assignment(v["serotonin_transmission"], f"{h} * {v['raphe_firing']}")
    gain = f"max({v['serotonin_transmission']} - 1 dimensionless, 0 dimensionless)"
    b.assignment(v["antidepressant_monoamine"], f"{gain} / ({gain} + {t50})")
    pos = f"max({sig}, 0 dimensionless)"
    b.assignment(v["antidepressant_mor"], f"{pos} / ({pos} + {s50})")
    b.assignment(v["antidepressant_index"], f"1 dimensionless - (1 dimensionless - {v['antidepressant_monoamine']}) * "
                                            f"(1 dimensionless - {v['antidepressant_mor']})")


def _mor_tolerance(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.targets.MORTolerance` (chronic regime, as the engine builds it): the available receptor
    fraction R as a rate rule, :math:`\dot R = k_{rec}(1 - R) - k_{des}\theta_{ag}R`, and the MOR
    signal it scales, :math:`RS/(1 + RS)` with S the operational stimulus of the agonists."""
    from .targets import MORTolerance

    mt = MORTolerance(drugs=(), regime="chronic")
    mf = b.target_file("MOR")
    k_rec = b.parameter("MOR_k_rec", mt.k_rec, "per_hour", "MOR resensitisation rate (chronic)",
                        sources=[mf[mt.k_rec_key]])
    k_des = b.parameter("MOR_k_des", mt.k_des, "per_hour", "MOR desensitisation rate per agonist occupancy (chronic)",
                        sources=[mf[mt.k_des_key]])
    r = sbml_id("effect.receptor_available")
    b.parameter(r, 1.0, "dimensionless", "fraction of MOR available for signalling (baseline 1)", constant=False)
    agonists = b.mor_agonists
    theta = " + ".join(sbml_id(f"occupancy.MOR.{d}") for d in agonists) or "0 dimensionless"
    b.rate(r, f"{k_rec} * (1 dimensionless - {r}) - {k_des} * ({theta}) * {r}")
    sig = sbml_id("signal.MOR")
    stim = "MOR_stimulus" if "MOR_stimulus" in ids else "0 dimensionless"
    if sig not in ids:  # no MOR ligand in the arm: the signal is 0, as the engine's
        b.parameter(sig, None, "dimensionless", "MOR signal (fraction of system maximum)", constant=False)
        b.assignment(sig, f"{r} * {stim}")
    rule = b.m.getAssignmentRule(sig)
    b._ok(rule.setMath(b.math(f"{r} * {stim} / (1 dimensionless + {r} * {stim})")))


def _tolerance(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.effects.ToleranceModel`: :math:`\dot R = k_{out}[(1 + S\sigma_+)/\max(M, 10^{-12}) - R]`,
    :math:`\dot M = k_{tol}(R - M)`; outputs R − 1 and max(0, 1 − R). σ is the MOR signal (0 if absent)."""
    import math

    from .effects import ToleranceModel
    from .effects.tolerance import FLOOR

    tm = ToleranceModel()
    mf = tm.model_file
    src = lambda k: [mf.parameters[k]]  # noqa: E731
    ln2 = f"ln 2 / half-life = {math.log(2.0):.6f} / t_half"
    k_out = b.parameter("tolerance_k_out", tm.k_out, "per_hour", "response turnover rate",
                        sources=src("response_half_life"), how=ln2)
    k_tol = b.parameter("tolerance_k_tol", tm.k_tol, "per_hour", "moderator rate", sources=src("tolerance_half_life"),
                        how=ln2)
    gain = b.parameter("tolerance_gain", tm.gain, "dimensionless", "response gain S", sources=src("response_gain"))
    sig = sbml_id(tm.drive) if sbml_id(tm.drive) in ids else "0 dimensionless"
    rr, mm = sbml_id("effect.mor_response"), sbml_id("effect.mor_moderator")
    b.parameter(rr, 1.0, "dimensionless", "MOR-mediated response (baseline 1)", constant=False)
    b.parameter(mm, 1.0, "dimensionless", "tolerance moderator (baseline 1)", constant=False)
    b.rate(rr, f"{k_out} * ((1 dimensionless + {gain} * max({sig}, 0 dimensionless)) / "
               f"max({mm}, {FLOOR!r} dimensionless) - {rr})")
    b.rate(mm, f"{k_tol} * ({rr} - {mm})")
    for name, formula in (("mor_net_effect", f"{rr} - 1 dimensionless"),
                          ("withdrawal", f"max(1 dimensionless - {rr}, 0 dimensionless)")):
        vid = sbml_id(f"effect.{name}")
        b.parameter(vid, None, "dimensionless", name.replace("_", " "), constant=False)
        b.assignment(vid, formula)


def _mao(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.effects.mao.MAOModel`: per enzyme :math:`\dot E = k_{deg}(1 - E) - (\sum_j k_{inact,j}\theta_j) E`
    with θ_j the reversible complex of each irreversible inhibitor present (``occupancy.MAO_x.<drug>``);
    outputs activity :math:`E(1 - \theta)` and inhibition :math:`1 - E(1 - \theta)`."""
    import math

    from . import catalog
    from .effects.mao import MAO_TARGETS, MAOModel

    present = sorted({i.split("__", 2)[2] for i in ids for t in MAO_TARGETS if i.startswith(f"occupancy__{t}__")})
    mm = MAOModel(present)
    mf = mm._mf
    ln2 = f"ln 2 / half-life = {math.log(2.0):.6f} / t_half"
    for idx, t in enumerate(MAO_TARGETS):
        x = t[-1].lower()
        kdeg = b.parameter(f"mao_{x}_k_deg", float(mm.k_deg[idx]), "per_hour", f"MAO-{x.upper()} re-synthesis rate",
                           sources=[mf.parameters[f"mao_{x}_half_life"]], how=ln2)
        e = sbml_id(f"effect.mao_{x}_enzyme")
        b.parameter(e, 1.0, "dimensionless", f"active MAO-{x.upper()} (baseline 1)", constant=False)
        terms = []
        for i, d, k in mm.pairs:
            if i != idx:
                continue
            kp = b.parameter(f"mao_{x}_kinact_{d}", k, "per_hour", f"{d}: covalent inactivation of MAO-{x.upper()}",
                             sources=[catalog.drug(d).targets[t].params["kinact"]])
            terms.append(f"{kp} * {_input(ids, f'occupancy.{t}.{d}', 'mao')}")
        loss = f" - ({' + '.join(terms)}) * {e}" if terms else ""
        b.rate(e, f"{kdeg} * (1 dimensionless - {e}){loss}")
        occ = _input(ids, f"occupancy.{t}", "mao")
        act, inh = sbml_id(f"effect.mao_{x}_activity"), sbml_id(f"effect.mao_{x}_inhibition")
        b.parameter(act, None, "dimensionless", f"MAO-{x.upper()} activity (of baseline)", constant=False)
        b.assignment(act, f"{e} * (1 dimensionless - {occ})")
        b.parameter(inh, None, "dimensionless", f"MAO-{x.upper()} inhibition", constant=False)
        b.assignment(inh, f"1 dimensionless - {act}")


def _stress(b: _Builder, a: Any) -> None:
    """The arm's stress protocol: a piecewise-constant ``stress`` parameter set by an event at each edge."""
    from .effects import protocol

    proto = protocol(a.stress)
    b.parameter("stress", float(proto.intensity(0.0, a.stress_start)), "dimensionless",
                f"stress intensity, protocol '{a.stress}' from {a.stress_start:g} h", constant=False,
                sources=list(proto.parameters.values()))
    for i, e in enumerate(float(x) for x in proto.edges(a.stress_start)):
        if e > 0.0:
            b.event(f"stress_edge_{i + 1}", f"{_num(e)} hour",
                    [("stress", f"{_num(float(proto.intensity(e, a.stress_start)))} dimensionless")])


def _input(ids: set[str], name: str, system: str, default_zero: bool = True) -> str:
    """The SBML id of an engine input, or 0 where the engine feeds zeros (no ligand, no stress)."""
    sid = sbml_id(name)
    if sid in ids:
        return sid
    if default_zero:
        return "0 dimensionless"
    raise InputError(f"system '{system}' reads '{name}', which the arm does not provide; list the system that "
                     "makes it before this one.")


def _drug_action(b: _Builder, prefix: str, sig: str, half_effect: float, sources: list[Any]) -> str:
    """D = σ₊/(σ₊ + σ50) as an assignment rule; returns its id."""
    s50 = b.parameter(f"{prefix}_sigma50", half_effect, "dimensionless", "signal for half the drug action",
                      sources=sources)
    d = b.parameter(f"{prefix}_drug_action", None, "dimensionless", "downstream drug action D", constant=False)
    pos = f"max({sig}, 0 dimensionless)"
    b.assignment(d, f"{pos} / ({pos} + {s50})")
    return d


def _hpa(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.effects.HPAModel` in its relative states :math:`y_i = x_i/x_i^*` (baseline 1):
    each :math:`\dot y_i = f_i(x)/x_i^*`, the baseline :math:`x^*` a derived parameter (the
    unstressed steady state the engine solves at load time)."""
    from .effects import HPAModel
    from .effects.hpa import FLOOR

    hm = HPAModel(species=b.species_name)
    mf = hm.model_file
    src = lambda k: [mf.parameters[k]]  # noqa: E731
    par = {}
    for key, attr, unit in (("a1", "a1", "per_hour"), ("b1", "b1", "per_hour"), ("a2", "a2", "per_hour"),
                            ("b2", "b2", "per_hour"), ("a3", "a3", "per_hour"), ("b3", "b3", "per_hour"),
                            ("k_brain", "k", "per_hour"), ("k_gr", "k_gr", "dimensionless"),
                            ("n_gr", "n_gr", "dimensionless"), ("a_p", "a_p", "per_hour"), ("b_p", "b_p", "per_hour"),
                            ("a_a", "a_a", "per_hour"), ("b_a", "b_a", "per_hour"),
                            ("stress_gain", "gain", "dimensionless"), ("drug_attenuation", "attenuation", "dimensionless")):
        par[key] = b.parameter(f"hpa_{key}", getattr(hm, attr), unit, f"HPA {key}", sources=src(key))
    stress = _input(ids, "stress", "hpa")
    sig = _input(ids, hm.drive, "hpa")
    d = _drug_action(b, "hpa", sig, hm.half_effect, src("signal_half_effect"))
    u = sbml_id("effect.crh_drive")
    b.parameter(u, None, "dimensionless", "hypothalamic CRH drive u(t)", constant=False)
    b.assignment(u, f"1 dimensionless + {par['stress_gain']} * {stress} * (1 dimensionless - {par['drug_attenuation']} * {d})")
    ys = [sbml_id(f"effect.{n}") for n in hm.states]
    xs = []
    all_params = [p for p in mf.parameters.values()]
    for n, y, base in zip(hm.states, ys, hm.baseline):
        b.parameter(y, 1.0, "dimensionless", f"{n} relative to the unstressed baseline", constant=False)
        xs.append(b.parameter(f"hpa_baseline_{n}", float(base), "dimensionless", f"unstressed steady state of {n} "
                              "(scaled units)", sources=all_params,
                              how="solved at load time: x1 = a_p/b_p, x2 = a_a/b_a, brain gc from b1 GR(x)/x = a1 x1"))
    x = [f"({y} * {xb})" for y, xb in zip(ys, xs)]
    x1, x2, x3, x3b, p_, a_ = x
    gr = lambda z: f"(1 dimensionless / (1 dimensionless + ({z} / {par['k_gr']})^{par['n_gr']}))"  # noqa: E731
    x3b_safe = f"max({x3b}, {FLOOR!r} dimensionless)"
    rhs = [
        f"{par['b1']} * {u} * {gr(x3b_safe)} / {x3b_safe} - {par['a1']} * {x1}",
        f"{par['b2']} * {x1} * {p_} * {gr(x3)} - {par['a2']} * {x2}",
        f"{par['b3']} * {x2} * {a_} - {par['a3']} * {x3}",
        f"{par['k_brain']} * ({x3} - {x3b}) - {par['a3']} * {x3b}",
        f"{p_} * ({par['b_p']} * {x1} - {par['a_p']})",
        f"{a_} * ({par['b_a']} * {x2} - {par['a_a']})",
    ]
    for y, xb, f in zip(ys, xs, rhs):
        b.rate(y, f"({f}) / {xb}")


def _turnover(b: _Builder, ids: set[str], model: Any) -> None:
    r"""A `pdsim.effects.turnover.TurnoverModel` (``bdnf``, ``plasticity``): per state
    :math:`\dot R = k_{out}[f_s^{s(1 - pD)}(1 + (f_d - 1)D)X_+^{\gamma} - R]`."""
    import math

    mf = model.model_file
    params = {**mf.parameters, **model.derived}
    pre = sbml_id(model.name)
    stress = _input(ids, "stress", model.name)
    sig = _input(ids, model.drive, model.name)
    d = _drug_action(b, pre, sig, model.half_effect, [mf.parameters["signal_half_effect"]])
    ln2 = f"ln 2 / half-life = {math.log(2.0):.6f} / t_half"
    for sp in model.specs:
        r = sbml_id(f"effect.{sp.name}")
        if r not in b.ids:
            b.parameter(r, 1.0, "dimensionless", f"{sp.name} relative to baseline", constant=False)
    for sp in model.specs:
        n = sp.name
        r = sbml_id(f"effect.{n}")
        kout = b.parameter(f"{pre}_{n}_kout", sp.kout, "per_hour", f"{n} loss rate", sources=[params[f"{n}_half_life"]],
                           how=ln2)
        fs = params.get(f"{n}_stress_fold")
        logf = b.parameter(f"{pre}_{n}_log_stress_fold", sp.stress_log_fold, "dimensionless",
                           "log of the production fold under full stress", sources=[fs] if fs is not None else [],
                           how="log of the stress fold")
        fd = b.parameter(f"{pre}_{n}_drug_fold", sp.drug_fold, "dimensionless", f"{n} production fold at full drug action",
                         sources=[params[f"{n}_drug_fold"]])
        prot = b.parameter(f"{pre}_{n}_protection", sp.protection, "dimensionless",
                           f"fraction of the stress effect on {n} the drug prevents", sources=[params[f"{n}_drug_protection"]])
        prod = f"exp({logf} * {stress} * (1 dimensionless - {prot} * {d})) * (1 dimensionless + ({fd} - 1 dimensionless) * {d})"
        if sp.driver:
            gain = b.parameter(f"{pre}_{n}_driver_gain", sp.driver_gain, "dimensionless", f"{n} driver exponent",
                               sources=[params[f"{n}_driver_gain"]])
            driver = f"effect.{sp.driver}" if sp.driver in model.states else sp.driver  # own state or an input
            x = _input(set(b.ids), driver, model.name, default_zero=False)
            prod = f"{prod} * max({x}, 0 dimensionless)^{gain}"
        b.rate(r, f"{kout} * ({prod} - {r})")


def _bdnf(b: _Builder, ids: set[str]) -> None:
    from .effects import BDNFSignalling

    _turnover(b, ids, BDNFSignalling())


def _plasticity(b: _Builder, ids: set[str]) -> None:
    from .effects import PlasticityModel

    _turnover(b, ids, PlasticityModel())


def _reference(b: _Builder, ids: set[str]) -> None:
    r"""`pdsim.effects.reference.ReferenceToleranceTurnover` on the one dosed drug's biophase:
    occ = C₊/(C₊ + K_A), :math:`E = E_m(\tau occ)^n/(1 + (\tau occ)^n)`, :math:`\dot T = k_t(E - T)`,
    :math:`\dot B = k_{in}(1 + S_{max}E(1 - \alpha T)) - k_{out}B`, T(0) = 0, B(0) = k_in/k_out."""
    from .effects.reference import UNITS, ReferenceToleranceTurnover

    dosed = b.dosed
    if len(dosed) != 1:
        raise InputError(f"system 'reference_tolerance_turnover' reads the effect site of one drug, but the arm doses "
                         f"{len(dosed)}; give the arm exactly one drug.")
    m = ReferenceToleranceTurnover(drug=dosed[0])
    mf = m.model_file
    units = {"nM": "nM", "dimensionless": "dimensionless", "1/h": "per_hour"}
    p = {k: b.parameter(f"reference_{k}", getattr(m, k), units[u], f"reference benchmark {k}",
                        sources=[mf.parameters[k]]) for k, u in UNITS.items()}
    ce = _input(ids, f"biophase.{m.drug}", m.name, default_zero=False)
    occ, tol, turn = (sbml_id(f"effect.{n}") for n in ("reference_occupancy", "reference_tolerance",
                                                           "reference_turnover"))
    b.parameter(occ, None, "dimensionless", "receptor occupancy at the effect site", constant=False)
    b.parameter(tol, 0.0, "dimensionless", "tolerance T (0 before the first dose)", constant=False)
    b.parameter(turn, m.kin / m.kout, "dimensionless", "turnover read-out B (baseline kin/kout)", constant=False)
    pos = f"max({ce}, 0 nM)"
    b.assignment(occ, f"{pos} / ({pos} + {p['KA']})")
    x = f"({p['tau']} * {occ})^{p['n']}"
    e = b.parameter("reference_response", None, "dimensionless", "operational response E", constant=False)
    b.assignment(e, f"{p['Em']} * {x} / (1 dimensionless + {x})")
    b.rate(tol, f"{p['kt']} * ({e} - {tol})")
    b.rate(turn, f"{p['kin']} * (1 dimensionless + {p['Smax']} * {e} * (1 dimensionless - {p['alpha']} * {tol})) "
                 f"- {p['kout']} * {turn}")


#: downstream systems SBML export can express, by scenario name, in the engine's chaining order
_SYSTEMS = {"mao": _mao, "mor_tolerance": _mor_tolerance, "tolerance": _tolerance, "hpa": _hpa, "bdnf": _bdnf,
            "plasticity": _plasticity, "onset": _onset, "reference_tolerance_turnover": _reference}


def _doses(b: _Builder, sc: Any, a: Any, name: str, sid: str, model: Any, P: dict[str, Any]) -> None:
    """Depot, infusion rate and one event per dose (and per infusion end) of a dosed compound."""
    events = _events_mg(sc, a, name)
    central = f"{sid}_central"
    routes = {e[2] for e in events}
    extravascular = routes & {"oral", "ip", "sc"}
    if extravascular:
        if model.ka is None:
            raise InputError(f"{name} ({a.species}) has no ka, so its {', '.join(sorted(extravascular))} doses cannot be "
                             "absorbed; add pk.ka to its drug file.")
        ka = b.parameter(f"{sid}_ka", model.ka, "per_hour", f"{name} absorption rate", sources=[P["ka"]] if "ka" in P else [])
        b.compartment(f"{sid}_depot_space", 1.0, f"{name}: absorption depot")
        b.species(f"{sid}_depot", f"{sid}_depot_space", f"{name} in the absorption depot")
        b.reaction(f"{sid}_absorption", f"{sid}_depot", central, f"{ka} * {sid}_depot")
    if "oral" in routes:
        b.parameter(f"{sid}_F", model.F, "dimensionless", f"{name} oral bioavailability",
                    sources=[P["F"]] if "F" in P else [], how=None if "F" in P else "not given: 1 (CL, V apparent)")
        b.parameter(f"{sid}_tlag", model.tlag, "hour", f"{name} absorption lag",
                    sources=[P["tlag"]] if "tlag" in P else [], how=None if "tlag" in P else "not given: 0")
    if routes & {"ip", "sc"}:
        if model.F_ip is None:
            raise InputError(f"{name} ({a.species}) has no F_ip, so its ip/sc doses cannot be exported; add pk.F_ip.")
        b.parameter(f"{sid}_F_ip", model.F_ip, "dimensionless", f"{name} ip/sc bioavailability", sources=[P["F_ip"]])
    if "iv_infusion" in routes:
        b.parameter(f"{sid}_infusion_rate", 0.0, "mg_per_hour", f"{name} infusion rate (sum of running infusions)",
                    constant=False)
        b.reaction(f"{sid}_infusion", None, central, f"{sid}_infusion_rate")
    for i, (t, amount, route, duration) in enumerate(events):
        eid = f"{sid}_dose_{i + 1}"
        if route == "oral":
            b.event(eid, f"{_num(t)} hour + {sid}_tlag",
                    [(f"{sid}_depot", f"{sid}_depot + {sid}_F * {_num(amount)} mg")])
        elif route in ("ip", "sc"):
            b.event(eid, f"{_num(t)} hour", [(f"{sid}_depot", f"{sid}_depot + {sid}_F_ip * {_num(amount)} mg")])
        elif route == "iv_bolus":
            b.event(eid, f"{_num(t)} hour", [(central, f"{central} + {_num(amount)} mg")])
        else:
            rate = amount / duration
            b.event(eid, f"{_num(t)} hour", [(f"{sid}_infusion_rate", f"{sid}_infusion_rate + {_num(rate)} mg_per_hour")])
            b.event(f"{eid}_end", f"{_num(t + duration)} hour",
                    [(f"{sid}_infusion_rate", f"{sid}_infusion_rate - {_num(rate)} mg_per_hour")])


def _check(libsbml: Any, doc: Any) -> None:
    """Run libsbml's consistency checks; raise on any error (warnings are allowed)."""
    n = doc.checkConsistency()
    errors = [doc.getError(i) for i in range(n)
              if doc.getError(i).getSeverity() in (libsbml.LIBSBML_SEV_ERROR, libsbml.LIBSBML_SEV_FATAL)]
    if errors:
        first = errors[0]
        raise PdsimError(f"the exported SBML fails libsbml's consistency check ({len(errors)} error(s)); first: "
                         f"line {first.getLine()}: {first.getMessage().strip()}")


def write_sbml(scenario: Any, path: str | Path, arm: str | None = None, *, include_systems: bool = True) -> Path:
    """`scenario_to_sbml` written to ``path`` (folders created); returns the path."""
    text = scenario_to_sbml(scenario, arm, include_systems=include_systems)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def exported_variables(sbml: str) -> list[str]:
    """The pdsim result variables an exported document holds (its rule targets named after a result
    variable: plasma, free, brain, biophase, occupancy, signal, effect; and ``stress``)."""
    libsbml = _libsbml()
    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    out = []
    for i in range(m.getNumRules()):
        r = m.getRule(i)
        if (r.isAssignment() or r.isRate()) and r.getVariable().split("__")[0] in (
                "plasma", "free", "brain", "biophase", "occupancy", "signal", "effect"):
            out.append(r.getVariable().replace("__", ".").replace(_HYPHEN, "-"))
    if m.getParameter("stress") is not None:  # the stress protocol, set by events
        out.append("stress")
    return out

