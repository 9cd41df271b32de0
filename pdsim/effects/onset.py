"""Antidepressant onset: SERT block raises 5-HT at once, 5-HT1A autoreceptors desensitise over weeks, MOR acts fast.

The autoreceptor sensitivity is the one slow state; the effect index combines a monoamine and a MOR pathway.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._propagate import njit
from ..catalog import system
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..errors import ModelFileError
from ..provenance import Parameter
from .turnover import check_scale, drug_action, param_value

__all__ = ["OnsetModel"]


class OnsetModel:
    r"""Monoamine adaptation (5-HT1A autoreceptor desensitisation) and a common antidepressant-like index.

    With SERT occupancy θ (input ``occupancy.SERT``) and SERT carrying a share ρ of 5-HT clearance,
    extracellular 5-HT near the raphe rises at once to

    .. math:: h = \frac{1}{1 - \rho\,\theta}.

    Somatodendritic 5-HT1A autoreceptors of sensitivity A (baseline 1) slow raphe firing, and
    terminal serotonergic transmission is release times the clearance block:

    .. math:: F = \frac{1}{1 + \kappa A (h - 1)}, \qquad T = h\,F.

    With κ near 1 the acute net gain in T is small. Sustained extra 5-HT desensitises the
    autoreceptors (the slow state, half-life of days):

    .. math:: \frac{dA}{dt} = k_A\left[\frac{1}{1 + \delta (h - 1)} - A\right],

    so under constant θ, :math:`A(t) = A^* + (A_0 - A^*)e^{-k_A t}` and T climbs over weeks.

    **Antidepressant-like effect index** (0 = none, 1 = maximal), defined as the independent
    combination of a monoamine pathway and a MOR pathway:

    .. math::

        E_{5HT} = \frac{(T - 1)_+}{(T - 1)_+ + T_{50}}, \qquad
        E_{MOR} = \frac{\sigma}{\sigma + \sigma_{50}}, \qquad
        I = 1 - (1 - E_{5HT})(1 - E_{MOR})

    where σ is the MOR signal (input ``signal.MOR``): the MOR path has no adaptation lag, so a
    MOR agonist's effect follows its concentration, while an SSRI's or TCA's follows A over weeks.
    The index is a model construct for comparing onset and size across drugs, not a clinical
    scale. A TCA enters only through its SERT occupancy (NET is not modelled here).

    Inputs: ``"occupancy.SERT"``, ``"signal.MOR"`` (name configurable). State:
    ``autoreceptor_sensitivity``. Outputs: ``effect.raphe_5ht`` (h), ``effect.raphe_firing`` (F),
    ``effect.serotonin_transmission`` (T), ``effect.antidepressant_monoamine``,
    ``effect.antidepressant_mor``, ``effect.antidepressant_index``.

    References
    ----------
    .. [amitriptyline_smpc] Amitriptyline SmPC (UK/EU), section 4.2: antidepressant effect usually
       after 2–4 weeks.
    """

    stiff = False
    #: longest step (h) of the compiled engine: A changes over days; with the graded steps after each
    #: dose (which resolve the absorption peak: without them the demo is 3e-4 off) 1 h keeps the
    #: demo and onset scenarios within 1.3e-8 (tests/test_engine_accuracy.py)
    max_step_h = 1.0
    #: levels of graded steps after each dose (`pdsim.engine.forcing.GRADING` is 8): the demo and onset
    #: scenarios measured 3e-4 with none, 5e-6 with 2, 2.6e-7 with 3, 1.8e-8 with 4, 1.3e-8 with 8
    grading = 4

    def __init__(self, mor_drive: str = "signal.MOR", scale: Mapping[str, float] | None = None):
        mf = system("onset")
        self.model_file = mf
        self._scale = check_scale(mf, scale)
        self.name = "onset"
        self.mor_drive = mor_drive
        self.states = ("autoreceptor_sensitivity",)
        self.inputs = ("occupancy.SERT", mor_drive)
        self.outputs = ("effect.raphe_5ht", "effect.raphe_firing", "effect.serotonin_transmission",
                        "effect.antidepressant_monoamine", "effect.antidepressant_mor", "effect.antidepressant_index")
        v = lambda k, unit: param_value(mf, k, unit, self._scale)  # noqa: E731
        self.rho = v("sert_clearance_share", "dimensionless")
        self.kappa = v("autoreceptor_gain", "dimensionless")
        self.delta = v("desensitisation_gain", "dimensionless")
        self.k_a = math.log(2.0) / v("desensitisation_half_life", "h")
        self.t50 = v("transmission_half_effect", "dimensionless")
        self.half_effect = v("signal_half_effect", "dimensionless")
        if not 0.0 <= self.rho < 1.0:
            raise ModelFileError(
                f"{mf.path}: sert_clearance_share must lie in [0, 1) (got {self.rho:g}); at 1 full occupancy would stop "
                "all clearance."
            )

    # ------------------------------------------------------------------ algebra
    def raphe_5ht(self, occupancy: Any) -> Any:
        """h = 1/(1 − ρθ): extracellular 5-HT relative to baseline under SERT occupancy θ."""
        th = np.clip(np.asarray(occupancy, dtype=float), 0.0, 1.0)
        return 1.0 / (1.0 - self.rho * th)

    def sensitivity_target(self, occupancy: Any) -> Any:
        """A* = 1/(1 + δ(h − 1)), the adapted autoreceptor sensitivity under constant occupancy."""
        return 1.0 / (1.0 + self.delta * (self.raphe_5ht(occupancy) - 1.0))

    def transmission(self, occupancy: Any, sensitivity: Any) -> Any:
        """T = h/(1 + κA(h − 1))."""
        h = self.raphe_5ht(occupancy)
        return h / (1.0 + self.kappa * np.asarray(sensitivity, dtype=float) * (h - 1.0))

    def index(self, occupancy: Any, sensitivity: Any, signal: Any) -> dict[str, Any]:
        """The monoamine, MOR and combined effect indices (see the class docstring)."""
        gain = np.maximum(self.transmission(occupancy, sensitivity) - 1.0, 0.0)
        e5 = gain / (gain + self.t50)
        em = np.asarray(drug_action(signal, self.half_effect), dtype=float)
        return {"monoamine": e5, "mor": em, "index": 1.0 - (1.0 - e5) * (1.0 - em)}

    def closed_form(self, t: Any, occupancy: float, a0: float = 1.0) -> Any:
        """A(t) (t in h) under constant SERT occupancy from A(0) = a0."""
        a_star = float(self.sensitivity_target(occupancy))
        return a_star + (a0 - a_star) * np.exp(-self.k_a * np.asarray(t, dtype=float))

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        return {f"onset.{k}": p for k, p in self.model_file.parameters.items()}

    def initial_state(self, n: int) -> np.ndarray:
        return np.ones((1, n))

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        target = self.sensitivity_target(u["occupancy.SERT"])
        return (self.k_a * (target - y[0]))[np.newaxis, ...]

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        occ = u["occupancy.SERT"]
        h = self.raphe_5ht(occ)
        f = 1.0 / (1.0 + self.kappa * y[0] * (h - 1.0))
        idx = self.index(occ, y[0], u[self.mor_drive])
        return {"effect.raphe_5ht": h, "effect.raphe_firing": f, "effect.serotonin_transmission": h * f,
                "effect.antidepressant_monoamine": idx["monoamine"], "effect.antidepressant_mor": idx["mor"],
                "effect.antidepressant_index": idx["index"]}

    def compiled(self) -> CompiledSystem:
        """The same equations for the compiled engine (`pdsim.engine.ode`); inputs (SERT occupancy, MOR signal)."""
        return CompiledSystem(self.name, _onset_rhs, _onset_observe,
                              np.array([self.rho, self.kappa, self.delta, self.k_a, self.t50, self.half_effect]))


@njit(cache=True, inline='always')  # inlined into the system's functions: no call per subject
def _raphe(pool, idx, p, b):  # pragma: no cover - compiled
    th = min(max(pool[b, idx[0]], 0.0), 1.0)
    return 1.0 / (1.0 - p[0] * th)


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _onset_rhs_row(y, pool, idx, p, dy, b):  # pragma: no cover - compiled
    h = _raphe(pool, idx, p, b)
    dy[b, 0] = p[3] * (1.0 / (1.0 + p[2] * (h - 1.0)) - y[b, 0])


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _onset_observe_row(y, pool, idx, p, out, b):  # pragma: no cover - compiled
    h = _raphe(pool, idx, p, b)
    f = 1.0 / (1.0 + p[1] * y[b, 0] * (h - 1.0))
    t = h / (1.0 + p[1] * y[b, 0] * (h - 1.0))
    gain = max(t - 1.0, 0.0)
    e5 = gain / (gain + p[4])
    sig = max(pool[b, idx[1]], 0.0)
    em = sig / (sig + p[5])
    out[b, 0] = h
    out[b, 1] = f
    out[b, 2] = h * f
    out[b, 3] = e5
    out[b, 4] = em
    out[b, 5] = 1.0 - (1.0 - e5) * (1.0 - em)


def _build(ctx: ArmContext) -> OnsetModel:
    return OnsetModel()


register(SystemSpec("onset", _build, order=60, parameters="models/systems/onset.toml",
                    description="5-HT1A autoreceptor desensitisation under SERT block and the antidepressant-like index (monoamine and MOR paths)"))


@compile_system
def _onset_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _onset_rhs_row(y, pool, idx, p, dy, b)


@compile_system
def _onset_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _onset_observe_row(y, pool, idx, p, out, b)
