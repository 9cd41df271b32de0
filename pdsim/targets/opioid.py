"""Opioid receptors (MOR, DOR): operational agonism with competition, and MOR desensitisation.

Agonists and neutral antagonists share one site; receptor loss scales every agonist's τ (F4, F7b).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, UnknownNameError
from ..provenance import Parameter
from ..receptors import gaddum
from ..units import as_float
from ._base import (
    agonist_tau,
    as_drug,
    conc_nM,
    concs_nM,
    dissociation_constant,
    ligands_at,
    named,
    target_file,
    target_param,
)

__all__ = [
    "OPIOID_TARGETS",
    "opioid_signals",
    "mor_response",
    "agonist_ec50",
    "agonist_emax",
    "MORTolerance",
]

OPIOID_TARGETS = ("MOR", "DOR", "KOR")


def _check_target(target: str) -> None:
    if target not in OPIOID_TARGETS:
        raise UnknownNameError(f"`target` must be one of {', '.join(OPIOID_TARGETS)} (got {target!r}); "
                               f"other targets live in pdsim.targets.transporters, gpcr, ion_channels, glutamate.")


def _stimulus(occ: Mapping[str, Any], taus: Mapping[str, float], receptor_available: Any) -> Any:
    """Σ_i τ_i R θ_i: the operational stimulus of all agonists bound (antagonists have τ = 0)."""
    s = sum(taus[d] * th for d, th in occ.items())
    return receptor_available * s


def opioid_signals(concs: Mapping[str, Any], target: str = "MOR", receptor_available: Any = 1.0) -> dict[str, Any]:
    r"""Occupancy of every ligand and the G-protein signal at an opioid receptor.

    All ligands with an affinity for ``target`` compete for one site (gaddum; lazareno1993):

    .. math:: \theta_i = \frac{C_i/K_i}{1 + \sum_j C_j/K_j}

    Agonists transduce through the operational model of Black & Leff (black1983) with a hyperbolic
    transducer; for several agonists the stimuli add, and receptor loss multiplies every τ by the
    fraction R of receptors still available (F7b):

    .. math:: S = R \sum_i \tau_i \theta_i, \qquad \mathrm{signal} = \frac{S}{1 + S}

    For one agonist this is :math:`E = \tau R A/(K_A + A + \tau R A)`, so the maximum is
    :math:`\tau R/(1 + \tau R)` and the EC50 is :math:`K_A/(1 + \tau R)`. A neutral antagonist
    (τ = 0) shifts the agonist curve by exactly :math:`1 + B/K_B` (arunlakshana1959) and, at
    concentrations far above K_B, abolishes the signal.

    Parameters
    ----------
    concs : dict of str to quantity or float or array
        Free concentration at the receptor (biophase) of each drug present (floats in nM). Drugs
        without an affinity for ``target`` are ignored. Arrays broadcast together; the output keeps
        their shape (the engine passes time × subjects).
    target : {"MOR", "DOR", "KOR"}
        The receptor.
    receptor_available : float or array
        Fraction R of receptors available for signalling (1 = naive; from `MORTolerance`).

    Returns
    -------
    dict of str to float or ndarray
        ``occupancy.<target>`` (all ligands), ``occupancy.<target>.<drug>`` (each) and
        ``signal.<target>`` (fraction of the system maximum).

    References
    ----------
    .. [black1983] Black JW, Leff P. Proc R Soc Lond B 1983;220:141–162. doi:10.1098/rspb.1983.0093
    .. [gassaway2014] Gassaway MM et al. Transl Psychiatry 2014;4:e411. doi:10.1038/tp.2014.30
    .. [arunlakshana1959] Arunlakshana O, Schild HO. Br J Pharmacol 1959;14:48–58.
    """
    _check_target(target)
    c = concs_nM(concs)
    present = ligands_at(target, c)
    out: dict[str, Any] = {}
    if not present:
        zero = 0.0 * sum((np.asarray(v, dtype=float) for v in c.values()), 0.0)
        out[f"occupancy.{target}"] = zero
        out[f"signal.{target}"] = zero
        return out
    kds = {d: dissociation_constant(d, target) for d in present}
    taus = {d: agonist_tau(d, target) for d in present}
    occ = gaddum({d: c[d] for d in present}, kds)
    r = as_float(receptor_available, "dimensionless", "receptor_available", nonnegative=True)
    s = _stimulus(occ, taus, r)
    out[f"occupancy.{target}"] = sum(occ.values())
    for d in present:
        out[f"occupancy.{target}.{d}"] = occ[d]
    out[f"signal.{target}"] = s / (1.0 + s)
    return out


def mor_response(agonist: str, conc: Any, antagonist: "str | None" = None, antagonist_conc: Any = 0.0,
                 receptor_available: Any = 1.0, target: str = "MOR") -> Any:
    """Signal (fraction of system maximum) of one agonist, optionally against a competitive antagonist.

    A convenience over `opioid_signals` for concentration–response curves: ``conc`` and
    ``antagonist_conc`` may be quantities (molar or mass) or floats/arrays in nM and broadcast.
    """
    concs = {agonist: conc_nM(conc, agonist, "conc")}
    if antagonist is not None:
        concs[antagonist] = conc_nM(antagonist_conc, antagonist, "antagonist_conc")
    return opioid_signals(concs, target, receptor_available)[f"signal.{target}"]


def agonist_ec50(drug: str, target: str = "MOR", receptor_available: float = 1.0) -> float:
    r"""EC50 (nM) of an agonist alone: :math:`K_A/(1 + \tau R)` (black1983, hyperbolic transducer)."""
    _check_target(target)
    tau = agonist_tau(drug, target)
    if tau <= 0:
        raise InputError(f"drug '{as_drug(drug).name}' is not an agonist at {target} (tau = 0), so it has no EC50; "
                         f"give an agonist such as 'tianeptine'.")
    return dissociation_constant(drug, target) / (1.0 + tau * receptor_available)


def agonist_emax(drug: str, target: str = "MOR", receptor_available: float = 1.0) -> float:
    r"""Maximum signal of an agonist alone: :math:`\tau R/(1 + \tau R)` (black1983)."""
    _check_target(target)
    t = agonist_tau(drug, target) * receptor_available
    return t / (1.0 + t)


@dataclass
class MORTolerance:
    r"""Receptor-pool desensitisation/internalisation of MOR driven by agonist occupancy (F7b).

    .. math::

        \frac{dR}{dt} = k_{rec}(1 - R) - k_{des}\,\theta_{ag}(t)\,R, \qquad
        \tau_{eff} = \tau R

    where R is the fraction of receptors available for signalling and θ_ag the summed occupancy
    of the agonists present (a neutral antagonist occupies without desensitising). Under constant
    occupancy the solution is an exponential approach to

    .. math:: R^* = \frac{k_{rec}}{k_{rec} + k_{des}\theta}, \qquad
              R(t) = R^* + (R_0 - R^*)\,e^{-(k_{rec} + k_{des}\theta)t}.

    Time scales: recovery after brief agonist exposure completes within about 25 min in rat locus
    coeruleus (dang2004), which sets the acute k_rec; recovery is slower after chronic morphine
    (dang2004) and the chronic rates are assumed (see models/targets/MOR.toml for each value's
    kind and note). ``regime="chronic"`` reads ``k_rec_chronic``/``k_des_chronic`` instead.

    Parameters
    ----------
    drugs : sequence of str
        The drugs of the arm; those with a MOR affinity become inputs ``occupancy.MOR.<drug>``.
    regime : {"acute", "chronic"}
        Which pair of rates to read from the target file.

    Attributes
    ----------
    name, states, inputs, outputs, stiff
        As in `pdsim.model.DynamicModel`; the output is ``signal.MOR`` with τ scaled by R.

    References
    ----------
    .. [dang2004] Dang VC, Williams JT. J Neurosci 2004;24(35):7699–7706.
    .. [black1983] Black JW, Leff P. Proc R Soc Lond B 1983;220:141–162.
    """

    drugs: Sequence[str]
    regime: str = "acute"
    target: str = "MOR"
    name: str = field(default="mor_tolerance", init=False)
    states: tuple[str, ...] = field(default=("receptor_available",), init=False)
    stiff: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if self.regime not in ("acute", "chronic"):
            raise InputError(f"`regime` must be 'acute' or 'chronic' (got {self.regime!r}).")
        names = [named(d) for d in self.drugs]
        self.ligands = tuple(ligands_at(self.target, names))
        self.agonists = tuple(d for d in self.ligands if agonist_tau(d, self.target) > 0)
        self.taus = np.array([agonist_tau(d, self.target) for d in self.agonists])
        suffix = "" if self.regime == "acute" else "_chronic"
        self.k_rec_key, self.k_des_key = f"k_rec{suffix}", f"k_des{suffix}"
        self.k_rec = target_param(self.target, self.k_rec_key, "1/h")
        self.k_des = target_param(self.target, self.k_des_key, "1/h")
        self.inputs = tuple(f"occupancy.{self.target}.{d}" for d in self.agonists)
        self.outputs = (f"signal.{self.target}",)

    def parameters(self) -> dict[str, Parameter]:
        mf = target_file(self.target)
        out = {f"{self.target}.{self.k_rec_key}": mf[self.k_rec_key],
               f"{self.target}.{self.k_des_key}": mf[self.k_des_key]}
        for d in self.ligands:
            for k, p in as_drug(d).parameters().items():
                if k.startswith(f"targets.{self.target}."):
                    out[f"{d}.{k}"] = p
        return out

    def initial_state(self, n: int) -> np.ndarray:
        return np.ones((1, n))

    def _theta(self, u: Mapping[str, Any]) -> Any:
        th = 0.0
        for key in self.inputs:
            th = th + np.asarray(u[key], dtype=float)
        return th

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        r = y[0]
        th = self._theta(u)
        return (self.k_rec * (1.0 - r) - self.k_des * th * r)[np.newaxis, ...]

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        s = 0.0
        for tau, key in zip(self.taus, self.inputs):
            s = s + tau * np.asarray(u[key], dtype=float)
        s = np.asarray(y[0]) * s
        return {self.outputs[0]: s / (1.0 + s)}

    def steady_state(self, theta: Any) -> Any:
        r"""R* = k_rec / (k_rec + k_des θ) under constant agonist occupancy θ."""
        return self.k_rec / (self.k_rec + self.k_des * np.asarray(theta, dtype=float))

    def closed_form(self, theta: Any, t: Any, r0: Any = 1.0) -> Any:
        r"""R(t) under constant occupancy θ from R(0) = r0 (t in h)."""
        th = np.asarray(theta, dtype=float)
        rate = self.k_rec + self.k_des * th
        rs = self.k_rec / rate
        return rs + (np.asarray(r0, dtype=float) - rs) * np.exp(-rate * np.asarray(t, dtype=float))
