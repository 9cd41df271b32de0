"""Indirect-response (turnover) models driven by stress and a drug signal: BDNF, signalling and synaptic proteins.

One engine (`TurnoverModel`) reads its states from a models/systems file; `BDNFSignalling` is the BDNF instance.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..catalog import ModelFile, system
from .._propagate import njit
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..engine.stiff import compile_jac
from ..errors import InputError, ModelFileError, UnknownNameError, suggest
from ..provenance import Parameter

__all__ = [
    "drug_action",
    "param_value",
    "StateSpec",
    "TurnoverModel",
    "BDNFSignalling",
    "stress_fold_for_steady_state",
    "turnover_jac",
]


def drug_action(signal: Any, half_effect: float) -> Any:
    r"""Fraction of the maximal downstream drug action produced by a receptor signal.

    .. math:: D(\sigma) = \frac{\sigma}{\sigma + \sigma_{50}}

    The receptor signal σ (``signal.MOR``, fraction of the system maximum, from the operational
    model, black1983) is hyperbolically transduced once more downstream; σ50 (``half_effect``) is
    the signal giving half the maximal action. Negative signals are treated as zero.
    """
    s = np.maximum(np.asarray(signal, dtype=float), 0.0)
    out = s / (s + half_effect)
    return float(out) if out.ndim == 0 else out


#: unit conversions already done, by (model file, key, unit): pint parsing costs about 0.1 ms each and
#: the engine builds the systems of every arm (the file object is kept, so its id stays unique)
_CONVERTED: dict[tuple[int, str, str], tuple[ModelFile, float]] = {}


def param_value(mf: ModelFile, key: str, unit: str, scale: Mapping[str, float] | None = None) -> float:
    """The value of parameter ``key`` of ``mf`` in ``unit``, times ``scale[key]`` when given."""
    hit = _CONVERTED.get((id(mf), key, unit))
    if hit is None or hit[0] is not mf:
        hit = (mf, mf[key].to(unit))
        _CONVERTED[(id(mf), key, unit)] = hit
    v = hit[1]
    if scale and key in scale:
        v *= float(scale[key])
    return v


def check_scale(mf: ModelFile, scale: Mapping[str, float] | None) -> dict[str, float]:
    scale = dict(scale or {})
    for k, v in scale.items():
        if k not in mf.parameters:
            raise UnknownNameError(
                f"`scale` names parameter '{k}', which system '{mf.name}' does not have.{suggest(k, mf.parameters)}"
            )
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise InputError(f"`scale['{k}']` must be a finite multiplier >= 0 (got {v!r}).")
    return scale


def stress_fold_for_steady_state(levels: list[tuple[float, float]], target: float) -> float:
    r"""The production fold-change at full stress that gives a daily-mean steady state ``target``.

    For a turnover state much slower than a day, the periodic steady state under a daily
    protocol equals the time-averaged production multiplier (linear ODE, exact over a period):

    .. math:: \bar R = \sum_k w_k\, f^{\,i_k} = R_{target}

    with the day split into fractions :math:`w_k` at intensities :math:`i_k` (see
    `pdsim.effects.stress.StressProtocol.daily_levels`). The left side rises monotonically in
    ``f`` on (0, 1], so the root is unique.

    Raises
    ------
    InputError
        If ``target`` cannot be reached by any fold in (0, 1] (e.g. stress-free parts of the day
        alone keep the mean above it).
    """
    if not 0.0 < target <= 1.0:
        raise InputError(f"`target` must lie in (0, 1] for a stress-lowered state (got {target:g}).")
    floor = sum(w for w, i in levels if i == 0.0)
    if target <= floor:
        raise InputError(
            f"a daily-mean steady state of {target:g} cannot be reached: the stress-free {floor:.3g} of each day keeps it "
            "above that; use a protocol with more stress time or a background intensity."
        )
    if target == 1.0:
        return 1.0

    def gap(log_f: float) -> float:
        return sum(w * math.exp(log_f * i) for w, i in levels) - target

    lo = -1.0
    while gap(lo) > 0.0:
        lo *= 2.0
    return math.exp(brentq(gap, lo, 0.0, xtol=1e-14, rtol=1e-14))


@dataclass(frozen=True)
class StateSpec:
    """One turnover state: loss rate, stress and drug modifiers of production, optional driver."""

    name: str
    kout: float
    stress_log_fold: float
    drug_fold: float
    protection: float
    driver: str = ""
    driver_gain: float = 0.0
    description: str = ""


class TurnoverModel:
    r"""Indirect-response states (Dayneka et al. 1993, models I and III) driven by stress and a drug signal.

    Each state R (baseline 1, so :math:`k_{in} = k_{out}`) obeys

    .. math::

        \frac{dR}{dt} = k_{out}\left[\,f_s^{\,s(t)(1 - p D)}\,\bigl(1 + (f_d - 1) D\bigr)\,
                        X^{\gamma} - R\right],
        \qquad D = \frac{\sigma}{\sigma + \sigma_{50}}

    with stress intensity s(t) ∈ [0, 1] (input ``"stress"``), drug signal σ (input ``drive``,
    default ``"signal.MOR"``), :math:`k_{out} = \ln 2 / t_{1/2}`, :math:`f_s` the production
    fold-change during full stress, :math:`f_d` the fold-change at full drug action, p the fraction
    of the stress effect the drug prevents, and an optional driver X (another state of the model,
    or an input such as ``"effect.bdnf_hippocampus"``) with gain γ. Stress acts log-linearly so
    production stays positive for any effect size (:math:`f_s^{s} \approx 1 + (f_s - 1)s` for
    small effects). Without a driver and under constant inputs the solution is the exponential
    approach of an indirect-response model,

    .. math:: R(t) = R_{ss} + (R_0 - R_{ss})\,e^{-k_{out} t}, \qquad
              R_{ss} = f_s^{\,s(1 - pD)}\,(1 + (f_d - 1)D).

    Parameters
    ----------
    system_name : str
        A models/systems file with ``[states.<name>]`` tables and, per state, the Parameters
        ``<state>_half_life``, ``<state>_stress_fold`` (or ``<state>_stress_steady_state`` with
        ``calibrate_to = "<protocol>"``), ``<state>_drug_fold``, ``<state>_drug_protection`` and,
        with a driver, ``<state>_driver_gain``; plus ``signal_half_effect``.
    drive : str, optional
        The input carrying the drug signal (default from the file, else ``"signal.MOR"``).
    scale : dict of str to float, optional
        Multipliers of named parameters (sensitivity analysis); the file is not changed.

    References
    ----------
    .. [dayneka1993] Dayneka NL, Garg V, Jusko WJ. J Pharmacokinet Biopharm 1993;21:457–478.
       doi:10.1007/BF01061691
    """

    stiff = False

    def __init__(self, system_name: str, drive: str | None = None, scale: Mapping[str, float] | None = None):
        mf = system(system_name)
        self.model_file = mf
        self._scale = check_scale(mf, scale)
        self.name = mf.name
        states_meta = mf.raw.get("states", {})
        if not isinstance(states_meta, dict) or not states_meta:
            raise ModelFileError(f"{mf.path}: no [states.<name>] tables; a turnover system needs at least one state.")
        model_meta = mf.raw.get("model", {})
        self.drive = drive or model_meta.get("drive", "signal.MOR")
        self.half_effect = param_value(mf, "signal_half_effect", "dimensionless", self._scale)
        self.derived: dict[str, Parameter] = {}
        specs = [self._spec(n, meta or {}) for n, meta in states_meta.items()]
        self.specs = tuple(specs)
        self.states = tuple(s.name for s in specs)
        idx = {n: i for i, n in enumerate(self.states)}
        external = []
        for s in specs:
            if s.driver and s.driver not in idx:
                if not s.driver.startswith("effect.") and not s.driver.startswith("signal."):
                    raise ModelFileError(
                        f"{mf.path}: state '{s.name}' has driver '{s.driver}', which is neither a state of '{mf.name}' nor an "
                        f"input such as 'effect.<state>'.{suggest(s.driver, self.states)}"
                    )
                external.append(s.driver)
        self.inputs = tuple(dict.fromkeys(("stress", self.drive, *external)))
        self.outputs: tuple[str, ...] = ()
        self._kout = np.array([s.kout for s in specs])[:, None]
        self._logf = np.array([s.stress_log_fold for s in specs])[:, None]
        self._fd = np.array([s.drug_fold for s in specs])[:, None]
        self._prot = np.array([s.protection for s in specs])[:, None]
        self._drivers = [(i, idx.get(s.driver, s.driver), s.driver_gain) for i, s in enumerate(specs) if s.driver]

    @property
    def max_step_h(self) -> float:
        """Longest step (h) of the compiled engine: 0.4 of the shortest half-life. When the rule was set,
        BDNF's 0.5 h states on the restraint accuracy case measured 1e-5 at 0.5 h steps, 9e-7 at 0.25 h and
        3.5e-7 at 0.2 h. Re-measured on 2026-12-07 with today's engine (tests/test_engine_accuracy.py, cases
        bdnf and plasticity): 1.4e-9 and 2.5e-9 at 0.4 of the half-life, 1.2e-9 and 2.9e-9 at 1.0 of it, so
        the step no longer limits the error there (the graded steps after each edge and the output grid
        do); 0.4 is kept as a margin for inputs faster than that case's."""
        return 0.4 * math.log(2.0) / float(self._kout.max())

    # ------------------------------------------------------------------ construction
    def _spec(self, n: str, meta: dict) -> StateSpec:
        mf, sc = self.model_file, self._scale
        half = param_value(mf, f"{n}_half_life", "h", sc)
        if half <= 0:
            raise ModelFileError(f"{mf.path}: '{n}_half_life' must be positive.")
        if f"{n}_stress_fold" in mf.parameters:
            fs = param_value(mf, f"{n}_stress_fold", "dimensionless", sc)
        elif "calibrate_to" in meta:
            fs = self._calibrate(n, str(meta["calibrate_to"]))
        else:
            raise ModelFileError(
                f"{mf.path}: state '{n}' needs '{n}_stress_fold' (or calibrate_to and '{n}_stress_steady_state')."
            )
        if fs <= 0:
            raise ModelFileError(f"{mf.path}: '{n}_stress_fold' must be positive (a production fold-change).")
        fd = param_value(mf, f"{n}_drug_fold", "dimensionless", sc)
        prot = param_value(mf, f"{n}_drug_protection", "dimensionless", sc)
        if fd < 0 or not 0.0 <= prot <= 1.0:
            raise ModelFileError(f"{mf.path}: state '{n}' needs drug_fold >= 0 and drug_protection in [0, 1].")
        driver = str(meta.get("driver", ""))
        gain = param_value(mf, f"{n}_driver_gain", "dimensionless", sc) if driver else 0.0
        return StateSpec(n, math.log(2.0) / half, math.log(fs), fd, prot, driver, gain,
                         str(meta.get("description", "")))

    def _calibrate(self, n: str, protocol_name: str) -> float:
        from .stress import protocol

        mf = self.model_file
        target_p = mf[f"{n}_stress_steady_state"]
        target = target_p.to("dimensionless")
        proto = protocol(protocol_name)
        fold = stress_fold_for_steady_state(proto.daily_levels(), target)
        srcs = tuple(dict.fromkeys(target_p.sources + tuple(s for p in proto.parameters.values() for s in p.sources)))
        levels = ", ".join(f"{w:.4g} of the day at {i:g}" for w, i in proto.daily_levels())
        self.derived[f"{n}_stress_fold"] = Parameter(
            value=fold, unit="1", sources=srcs, kind="derived", name=f"{n}_stress_fold",
            note=(f"Solved at load time so that the daily-mean steady state under '{proto.name}' ({levels}) is "
                  f"{target:g} of baseline: sum_k w_k f^i_k = {target:g} gives f = {fold:.6g}."),
        )
        return fold

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        """Every parameter with its provenance, including folds derived at load time."""
        out = {f"{self.name}.{k}": p for k, p in self.model_file.parameters.items()}
        out.update({f"{self.name}.{k}": p for k, p in self.derived.items()})
        return out

    def initial_state(self, n: int) -> np.ndarray:
        """Baseline: every state at 1 (unstressed, drug-free steady state)."""
        return np.ones((len(self.states), n))

    def production(self, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        """Production multipliers :math:`k_{in}(t)/k_{out}` of every state, shape (n_states, n)."""
        s = np.asarray(u["stress"], dtype=float)[None, ...]
        d = drug_action(u[self.drive], self.half_effect)
        d = np.asarray(d, dtype=float)[None, ...]
        m = np.exp(self._logf * s * (1.0 - self._prot * d)) * (1.0 + (self._fd - 1.0) * d)
        for i, src, gain in self._drivers:
            x = y[src] if isinstance(src, int) else np.asarray(u[src], dtype=float)
            m[i] = m[i] * np.maximum(x, 0.0) ** gain
        return m

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        """dR/dt (1/h), shape (n_states, n)."""
        return self._kout * (self.production(y, u) - y)

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """No algebraic outputs: the states themselves are the results (``effect.<state>``)."""
        return {}

    def compiled(self) -> CompiledSystem:
        """The same right-hand side for the compiled engine (`pdsim.engine.ode`).

        Parameters: ``[σ50, then per state: k_out, ln f_s, f_d, p, driver kind (0 none, 1 own
        state, 2 input), driver index, γ]``; inputs in the order of ``inputs`` (stress, drive, ...).
        """
        p = [self.half_effect]
        for i, sp in enumerate(self.specs):
            kind, where = 0, 0
            for j, src, _ in self._drivers:
                if j == i:
                    kind, where = (1, src) if isinstance(src, int) else (2, self.inputs.index(src))
            p += [sp.kout, sp.stress_log_fold, sp.drug_fold, sp.protection, kind, where, sp.driver_gain]
        return CompiledSystem(self.name, _turnover_rhs, _no_outputs, np.array(p))

    # ------------------------------------------------------------------ closed forms
    def index(self, state: str) -> int:
        try:
            return self.states.index(state)
        except ValueError:
            raise UnknownNameError(f"'{self.name}' has no state '{state}'.{suggest(state, self.states)}") from None

    def steady_state(self, state: str, stress: float, signal: float) -> float:
        """R_ss under constant stress and signal (states without a driver; drivers taken at 1)."""
        i = self.index(state)
        sp = self.specs[i]
        d = drug_action(signal, self.half_effect)
        return math.exp(sp.stress_log_fold * stress * (1.0 - sp.protection * d)) * (1.0 + (sp.drug_fold - 1.0) * d)

    def closed_form(self, state: str, t: Any, stress: float, signal: float, r0: float = 1.0) -> Any:
        """R(t) (t in h) under constant stress and signal from R(0) = r0 (states without a driver)."""
        i = self.index(state)
        rss = self.steady_state(state, stress, signal)
        return rss + (r0 - rss) * np.exp(-self.specs[i].kout * np.asarray(t, dtype=float))

    def periodic_mean(self, state: str, levels: list[tuple[float, float]], signal: float) -> float:
        """Daily-mean periodic steady state under a daily protocol (``StressProtocol.daily_levels()``) and a
        constant signal: exact for a state without a driver (linear ODE averaged over one period)."""
        return sum(w * self.steady_state(state, i, signal) for w, i in levels)


class BDNFSignalling(TurnoverModel):
    r"""BDNF (hippocampus, amygdala), pCREB (amygdala), p-Akt, p-ERK, p-mTOR and synaptic proteins.

    The `TurnoverModel` equations with the states of models/systems/bdnf_signalling.toml:

    - ``bdnf_hippocampus``: lowered by stress (stress.bdnf.hippocampal_decrease), raised by the
      drug (tianeptine.bdnf.hippocampus_amygdala).
    - ``bdnf_amygdala`` and ``pcreb_amygdala``: the drug raises amygdala BDNF while lowering
      pCREB (tianeptine.creb.amygdala_dissociation; reagan2007).
    - ``p_akt``, ``p_erk``: raised by the drug within hours (in-vitro claims, seed 001 Table 4).
    - ``p_mtor``: raised by the drug and driven by hippocampal BDNF (bdnf.mtor.downstream).
    - ``psd95``, ``synaptophysin``, ``glur1``: production proportional to p-mTOR, so their rise
      depends on mTOR (plasticity.synaptic_proteins.mtor_dependent).

    Inputs: ``"stress"`` and the drug signal (default ``"signal.MOR"``). No protein half-life was
    found (fact sheet section G), so every half-life is assumed; see the file for each reason.
    """

    def __init__(self, drive: str | None = None, scale: Mapping[str, float] | None = None):
        super().__init__("bdnf_signalling", drive=drive, scale=scale)


@njit(cache=True, inline='always')
def _power(x, g):  # pragma: no cover - compiled
    """x**g, without the call to pow for the drivers' exponents 1 (exact) and 1/2 (sqrt, correctly rounded):
    pow costs about as much as the rest of a state's right-hand side."""
    if g == 1.0:
        return x
    if g == 0.5:
        return math.sqrt(x)
    return x ** g


@compile_jac
def turnover_jac(y, pool, idx, p, jac):  # pragma: no cover - compiled
    r"""∂(dy/dt)/∂y of a `TurnoverModel`'s compiled rhs for a block (the stiff stage's analytic Jacobian).

    :math:`\partial \dot R_i/\partial R_i = -k_{out,i}`, and for a state driven by another state
    :math:`R_j` of the same system, :math:`\partial \dot R_i/\partial R_j \mathrel{+}= k_{out,i}\,m_i^0\,
    \gamma\,R_j^{\gamma-1}` (0 where R_j <= 0, where the rhs clamps it), with :math:`m_i^0` the production
    multiplier without the driver. A driver read from the pool (an earlier system's state) is not
    a column here: the stiff stage takes that coupling by differences.
    """
    n = y.shape[1]
    for b in range(y.shape[0]):
        s = pool[b, idx[0]]
        sig = max(pool[b, idx[1]], 0.0)
        d = sig / (sig + p[0])
        jb = jac[b]
        for i in range(n):
            for c in range(n):
                jb[i, c] = 0.0
        for i in range(n):
            o = 1 + 7 * i
            jb[i, i] -= p[o]
            if p[o + 4] == 1.0:
                src = int(p[o + 5])
                x = y[b, src]
                if x > 0.0:
                    m0 = math.exp(p[o + 1] * s * (1.0 - p[o + 3] * d)) * (1.0 + (p[o + 2] - 1.0) * d)
                    jb[i, src] += p[o] * m0 * p[o + 6] * x ** (p[o + 6] - 1.0)


def _build_bdnf(ctx: ArmContext) -> BDNFSignalling:
    return BDNFSignalling()


register(SystemSpec("bdnf", _build_bdnf, order=40, parameters="models/systems/bdnf_signalling.toml",
                    description="BDNF, pCREB, p-Akt, p-ERK, p-mTOR and synaptic proteins as turnover states driven by stress and the MOR signal",
                    jac=turnover_jac))


@compile_system
def _turnover_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    # state by state over the block (each inner loop has one branch pattern for all subjects), exp
    # only where stress x log-fold is not 0 (exp(0) = 1 exactly), pow only for other exponents than
    # 1 and 1/2 (`_power`): on BDNF's nine states (block of 128) 77 ns per subject before, now 9 without
    # stress and 22 with; plasticity's seven 52-60 -> 11 and 33 (measured on this machine)
    nb, n = y.shape
    s = np.empty(nb)
    d = np.empty(nb)
    for b in range(nb):
        s[b] = pool[b, idx[0]]
        sig = max(pool[b, idx[1]], 0.0)
        d[b] = sig / (sig + p[0])
    for i in range(n):
        o = 1 + 7 * i
        kout, lf, fd1, prot, kind, g = p[o], p[o + 1], p[o + 2] - 1.0, p[o + 3], p[o + 4], p[o + 6]
        src = int(p[o + 5])
        for b in range(nb):
            dy[b, i] = 1.0 + fd1 * d[b]
        if lf != 0.0:
            for b in range(nb):
                ls = lf * s[b]
                if ls != 0.0:
                    dy[b, i] = math.exp(ls * (1.0 - prot * d[b])) * dy[b, i]
        if kind == 1.0:  # driven by a state of this system
            for b in range(nb):
                dy[b, i] *= _power(max(y[b, src], 0.0), g)
        elif kind == 2.0:  # driven by an input (an earlier system's state)
            col = idx[src]
            for b in range(nb):
                dy[b, i] *= _power(max(pool[b, col], 0.0), g)
        for b in range(nb):
            dy[b, i] = kout * (dy[b, i] - y[b, i])


@compile_system
def _no_outputs(y, pool, idx, p, out):  # pragma: no cover - compiled
    return  # the turnover systems have no algebraic outputs (the driver never calls this: outputs 0)
