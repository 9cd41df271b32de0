"""Tolerance and withdrawal to MOR signalling: a moderator (feedback) model with a rebound on stopping.

Sustained MOR signal builds a slow moderator that erodes the response; stopping leaves the moderator behind.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..catalog import system
from .._propagate import njit
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..provenance import Parameter
from .turnover import check_scale, param_value

__all__ = ["ToleranceModel"]

#: floor on the moderator in 1/M, so a solver's trial step through zero cannot divide by zero
FLOOR = 1e-12


class ToleranceModel:
    r"""Moderator (nonlinear feedback) tolerance driven by the MOR signal (fact sheet F7a).

    A MOR-mediated response R (reward/euphoria/analgesia; baseline 1) and a moderator M (baseline 1):

    .. math::

        \frac{dR}{dt} = k_{out}\left[\frac{1 + S\,\sigma(t)}{M} - R\right], \qquad
        \frac{dM}{dt} = k_{tol}\,(R - M)

    with σ the MOR signal (input ``signal.MOR``, fraction of the system maximum) and S the response
    gain. Under a constant signal the steady state is

    .. math:: R^* = M^* = \sqrt{1 + S\sigma},

    so the initial rise to :math:`1 + S\sigma` (reached in hours, :math:`k_{out} \gg k_{tol}`) is
    eroded over days (tolerance). When the signal stops, R falls at once to :math:`1/M \approx
    1/\sqrt{1 + S\sigma} < 1` — a withdrawal-like rebound below baseline whose depth grows with the
    dose — and recovers as M decays with :math:`k_{tol}`. Supra-therapeutic (misuse, g/day)
    doses give a larger signal and so more tolerance in absolute terms and a deeper rebound.

    Inputs: ``"signal.MOR"`` (name configurable). States: ``mor_response``, ``mor_moderator``.
    Outputs: ``effect.mor_net_effect`` (R − 1) and ``effect.withdrawal`` (max(0, 1 − R)).

    References
    ----------
    .. [nonlinear_feedback_tolerance] Nonlinear feedback (moderator) models of tolerance, PMID 18446507.
    .. [dayneka1993] Dayneka NL, Garg V, Jusko WJ. J Pharmacokinet Biopharm 1993;21:457–478.
    """

    stiff = False

    def __init__(self, drive: str = "signal.MOR", scale: Mapping[str, float] | None = None):
        mf = system("tolerance")
        self.model_file = mf
        self._scale = check_scale(mf, scale)
        self.name = "tolerance"
        self.drive = drive
        self.states = ("mor_response", "mor_moderator")
        self.inputs = (drive,)
        self.outputs = ("effect.mor_net_effect", "effect.withdrawal")
        v = lambda k, unit: param_value(mf, k, unit, self._scale)  # noqa: E731
        self.k_out = math.log(2.0) / v("response_half_life", "h")
        self.k_tol = math.log(2.0) / v("tolerance_half_life", "h")
        self.gain = v("response_gain", "dimensionless")

    @property
    def max_step_h(self) -> float:
        """Longest step (h) of the compiled engine: a quarter of the response half-life."""
        return 0.25 * math.log(2.0) / self.k_out

    def drive_level(self, signal: Any) -> Any:
        """The response drive 1 + Sσ (σ clipped at 0)."""
        return 1.0 + self.gain * np.maximum(np.asarray(signal, dtype=float), 0.0)

    def steady_state(self, signal: float) -> float:
        """R* = M* = sqrt(1 + Sσ) under a constant signal."""
        return math.sqrt(float(self.drive_level(signal)))

    def rebound_depth(self, signal: float) -> float:
        """1 − 1/sqrt(1 + Sσ): the depth of the rebound below baseline on abrupt stopping after steady state.

        An upper bound, reached when R follows its drive instantly (k_out ≫ k_tol); the moderator
        decays a little while R falls, so the simulated trough is slightly shallower.
        """
        return 1.0 - 1.0 / self.steady_state(signal)

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        return {f"tolerance.{k}": p for k, p in self.model_file.parameters.items()}

    def initial_state(self, n: int) -> np.ndarray:
        return np.ones((2, n))

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        r, m = y[0], y[1]
        dr = self.k_out * (self.drive_level(u[self.drive]) / np.maximum(m, FLOOR) - r)
        dm = self.k_tol * (r - m)
        return np.stack([dr, dm])

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        r = np.asarray(y[0], dtype=float)
        return {"effect.mor_net_effect": r - 1.0, "effect.withdrawal": np.maximum(1.0 - r, 0.0)}

    def compiled(self) -> CompiledSystem:
        """The same equations for the compiled engine (`pdsim.engine.ode`); input (MOR signal)."""
        return CompiledSystem(self.name, _tolerance_rhs, _tolerance_observe, np.array([self.k_out, self.k_tol, self.gain]))


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _tolerance_rhs_row(y, pool, idx, p, dy, b):  # pragma: no cover - compiled
    drive = 1.0 + p[2] * max(pool[b, idx[0]], 0.0)
    dy[b, 0] = p[0] * (drive / max(y[b, 1], FLOOR) - y[b, 0])
    dy[b, 1] = p[1] * (y[b, 0] - y[b, 1])


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _tolerance_observe_row(y, pool, idx, p, out, b):  # pragma: no cover - compiled
    out[b, 0] = y[b, 0] - 1.0
    out[b, 1] = max(1.0 - y[b, 0], 0.0)


def _build(ctx: ArmContext) -> ToleranceModel:
    return ToleranceModel()


register(SystemSpec("tolerance", _build, order=20, parameters="models/systems/tolerance.toml",
                    description="Moderator tolerance and withdrawal rebound of the MOR-mediated response"))


@compile_system
def _tolerance_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _tolerance_rhs_row(y, pool, idx, p, dy, b)


@compile_system
def _tolerance_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _tolerance_observe_row(y, pool, idx, p, out, b)
