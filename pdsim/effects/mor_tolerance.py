"""The MOR receptor-pool system (`pdsim.targets.opioid.MORTolerance`) as the engine runs it, compiled.

Same equations and parameters as the target module's class; this adds the numba right-hand side.
"""
from __future__ import annotations

import numpy as np

from .._propagate import njit
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..targets.opioid import MORTolerance

__all__ = ["MORToleranceSystem"]


class MORToleranceSystem(MORTolerance):
    r"""`MORTolerance` with its compiled form: :math:`\dot R = k_{rec}(1 - R) - k_{des}\,\theta_{ag} R`,
    signal :math:`S/(1 + S)` with :math:`S = R\sum_i \tau_i\theta_i` (see the parent class)."""

    def compiled(self) -> CompiledSystem:
        """Parameters ``[k_rec, k_des, τ_1, ..., τ_m]``; inputs the agonists' occupancies, in ``inputs`` order."""
        return CompiledSystem(self.name, _pool_rhs, _pool_observe, np.r_[[self.k_rec, self.k_des], self.taus])


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _pool_rhs_row(y, pool, idx, p, dy, b):  # pragma: no cover - compiled
    th = 0.0
    for j in range(idx.shape[0]):
        th += pool[b, idx[j]]
    dy[b, 0] = p[0] * (1.0 - y[b, 0]) - p[1] * th * y[b, 0]


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _pool_observe_row(y, pool, idx, p, out, b):  # pragma: no cover - compiled
    s = 0.0
    for j in range(idx.shape[0]):
        s += p[2 + j] * pool[b, idx[j]]
    s *= y[b, 0]
    out[b, 0] = s / (1.0 + s)


def _build(ctx: ArmContext) -> MORToleranceSystem:
    return MORToleranceSystem(drugs=ctx.drugs, regime="chronic")


register(SystemSpec("mor_tolerance", _build, order=10, parameters="models/targets/MOR.toml",
                    description="MOR receptor-pool desensitisation (chronic rates) driven by agonist occupancy; gives signal.MOR to the systems after it"))


@compile_system
def _pool_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _pool_rhs_row(y, pool, idx, p, dy, b)


@compile_system
def _pool_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _pool_observe_row(y, pool, idx, p, out, b)
