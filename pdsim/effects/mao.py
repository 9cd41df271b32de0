"""Monoamine oxidase A and B as enzymes: reversible inhibition, irreversible inactivation and re-synthesis.

The downstream system ``mao``: active enzyme fractions E_A, E_B (states) and the activity each leaves (outputs).
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
from ..errors import ModelFileError
from ..provenance import Parameter
from .turnover import param_value

__all__ = ["MAO_TARGETS", "MAOModel", "irreversible_pairs"]

#: the enzymes, in the order of the model's states
MAO_TARGETS = ("MAO_A", "MAO_B")
#: key of a drug's [targets.MAO_x] table giving the covalent inactivation rate (irreversible inhibitors)
KINACT = "kinact"


def irreversible_pairs(drugs: tuple[str, ...] | list[str]) -> list[tuple[int, str, float]]:
    """(enzyme index, drug, k_inact in 1/h) for every compound of ``drugs`` that inactivates MAO-A/B.

    A drug is an irreversible inhibitor of an enzyme when its [targets.MAO_A] (or MAO_B) table gives
    ``kinact``; its ``affinity`` is then the K_I of the reversible complex that precedes the covalent step.
    """
    from ..targets import as_drug, value

    out = []
    for d in drugs:
        dr = as_drug(d)
        for i, t in enumerate(MAO_TARGETS):
            b = dr.targets.get(t)
            if b is not None and KINACT in b.params:
                k = value(b.params[KINACT], "1/h")
                if not k > 0:
                    raise ModelFileError(f"drug '{dr.name}' ({dr.path}): targets.{t}.kinact must be > 0 (got {k:g} 1/h); "
                                         f"give the rate of covalent inactivation, or drop kinact for a reversible inhibitor.")
                out.append((i, dr.name, k))
    return out


class MAOModel:
    r"""Active MAO-A and MAO-B under reversible and irreversible (mechanism-based) inhibitors.

    Kitz–Wilson scheme: an inhibitor I binds the enzyme reversibly (E·I, dissociation constant
    :math:`K_I`, the drug's ``affinity``) and, if irreversible, turns E·I into a dead adduct at the
    rate :math:`k_{inact}`. The target layer gives each ligand's share of the reversible complex,
    :math:`\theta_j` (``occupancy.MAO_x.<drug>``: in-vitro :math:`K_I` on the free concentration, or
    the PET curve where the drug file has one), competing at one site. The active (not covalently
    modified) fraction E of each enzyme, synthesised at a constant rate and degraded first order
    (baseline 1), obeys

    .. math:: \frac{dE}{dt} = k_{deg}\,(1 - E) - \Big(\sum_j k_{inact,j}\,\theta_j\Big)\,E

    and the activity left is :math:`a = E\,(1 - \theta)`, θ the summed reversible occupancy
    (``occupancy.MAO_x``): covalently inactivated enzyme and enzyme held by a reversible inhibitor
    both fail to turn substrate over (and to bind a PET tracer such as [11C]harmine). After the
    inhibitor is gone, :math:`1 - E` decays as :math:`e^{-k_{deg} t}`: activity returns with the
    half-time :math:`\ln 2 / k_{deg}` of enzyme re-synthesis, whatever the drug (the basis of the
    two-week wait after an irreversible MAOI). A purely reversible inhibitor (no ``kinact``, e.g.
    moclobemide) leaves E = 1 and acts through θ alone, so activity returns as the drug is cleared.

    States ``mao_a_enzyme``, ``mao_b_enzyme``; outputs ``effect.mao_a_activity``,
    ``effect.mao_b_activity`` (fractions of baseline) and ``effect.mao_a_inhibition``,
    ``effect.mao_b_inhibition`` (1 − activity).

    Parameters
    ----------
    drugs : sequence of str
        The arm's compounds; those with ``kinact`` at MAO_A/MAO_B inactivate that enzyme.

    References
    ----------
    .. [kitz1962] Kitz R, Wilson IB. J Biol Chem 1962;237:3245–3249 (the two-step scheme).
    .. [chiuccariello2015] MAO-A occupancy by moclobemide and phenelzine, [11C]harmine PET.
    .. [fowler1994] Slow recovery of human brain MAO-B after L-deprenyl withdrawal (PET).
    """

    stiff = False

    def __init__(self, drugs: tuple[str, ...] | list[str] = ()):
        mf = system("mao")
        self._mf = mf
        self.name = "mao"
        self.k_deg = np.array([math.log(2.0) / param_value(mf, f"{t.lower()}_half_life", "h") for t in MAO_TARGETS])
        if not np.all(self.k_deg > 0):
            raise ModelFileError(f"{mf.path}: the half-lives must be positive.")
        self.pairs = irreversible_pairs(list(drugs))
        self.states = ("mao_a_enzyme", "mao_b_enzyme")
        self.inputs = ("occupancy.MAO_A", "occupancy.MAO_B",
                       *(f"occupancy.{MAO_TARGETS[i]}.{d}" for i, d, _ in self.pairs))
        self.outputs = ("effect.mao_a_activity", "effect.mao_b_activity",
                        "effect.mao_a_inhibition", "effect.mao_b_inhibition")

    #: levels of graded steps after each dose (`pdsim.engine.forcing.GRADING` is 8); see `max_step_h`
    grading = 4

    @property
    def max_step_h(self) -> float:
        """Longest step (h) of the compiled engine: 2 h (E changes over days; the graded steps after each
        dose resolve the absorption peak), or less so that the fastest inactivation (k_inact at full
        complex) stays well inside the explicit method's stability region (k_inact h <= 1)."""
        fastest = max((k for _, _, k in self.pairs), default=0.0)
        return 2.0 if fastest <= 0.5 else 1.0 / fastest

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        return {f"mao.{k}": p for k, p in self._mf.parameters.items()}

    def initial_state(self, n: int) -> np.ndarray:
        """Drug-free steady state: all enzyme active."""
        return np.ones((2, n))

    def inactivation(self, u: Mapping[str, Any]) -> np.ndarray:
        """Σ_j k_inact,j θ_j per enzyme (1/h), shape (2, n)."""
        n = np.shape(u["occupancy.MAO_A"])
        rate = np.zeros((2, *n))
        for i, d, k in self.pairs:
            rate[i] = rate[i] + k * np.asarray(u[f"occupancy.{MAO_TARGETS[i]}.{d}"], dtype=float)
        return rate

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        return self.k_deg[:, None] * (1.0 - y) - self.inactivation(u) * y

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        a = y[0] * (1.0 - np.asarray(u["occupancy.MAO_A"], dtype=float))
        b = y[1] * (1.0 - np.asarray(u["occupancy.MAO_B"], dtype=float))
        return {"effect.mao_a_activity": a, "effect.mao_b_activity": b,
                "effect.mao_a_inhibition": 1.0 - a, "effect.mao_b_inhibition": 1.0 - b}

    def compiled(self) -> CompiledSystem:
        """The same equations for the compiled engine. Parameters ``[k_deg,A, k_deg,B, then per
        irreversible pair: enzyme index, k_inact]``; inputs in the order of ``inputs``."""
        p = [float(self.k_deg[0]), float(self.k_deg[1])]
        for i, _, k in self.pairs:
            p += [float(i), k]
        return CompiledSystem(self.name, _mao_rhs, _mao_observe, np.array(p))

    # ------------------------------------------------------------------ closed forms
    def steady_state(self, inactivation_rate: float, enzyme: int = 0) -> float:
        """E at steady state under a constant total inactivation rate (1/h): k_deg / (k_deg + rate)."""
        k = float(self.k_deg[enzyme])
        return k / (k + inactivation_rate)

    def recovery(self, t_h: Any, e0: float, enzyme: int = 0) -> Any:
        """E(t) after the inhibitor is gone, from E(0) = e0: 1 − (1 − e0) exp(−k_deg t)."""
        return 1.0 - (1.0 - e0) * np.exp(-float(self.k_deg[enzyme]) * np.asarray(t_h, dtype=float))


@njit(cache=True, inline="always")  # inlined in the block loop: indexes the block (row b), no row views
def _mao_rhs_row(y, pool, idx, p, dy, b):  # pragma: no cover - compiled
    ra = 0.0
    rb = 0.0
    n = (p.shape[0] - 2) // 2
    for j in range(n):
        rate = p[3 + 2 * j] * pool[b, idx[2 + j]]
        if p[2 + 2 * j] < 0.5:
            ra += rate
        else:
            rb += rate
    dy[b, 0] = p[0] * (1.0 - y[b, 0]) - ra * y[b, 0]
    dy[b, 1] = p[1] * (1.0 - y[b, 1]) - rb * y[b, 1]


@njit(cache=True, inline="always")  # inlined in the block loop: indexes the block (row b), no row views
def _mao_observe_row(y, pool, idx, p, out, b):  # pragma: no cover - compiled
    act_a = y[b, 0] * (1.0 - pool[b, idx[0]])
    act_b = y[b, 1] * (1.0 - pool[b, idx[1]])
    out[b, 0] = act_a
    out[b, 1] = act_b
    out[b, 2] = 1.0 - act_a
    out[b, 3] = 1.0 - act_b


@compile_system
def _mao_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _mao_rhs_row(y, pool, idx, p, dy, b)


@compile_system
def _mao_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _mao_observe_row(y, pool, idx, p, out, b)


def _build(ctx: ArmContext) -> MAOModel:
    return MAOModel(ctx.drugs)


register(SystemSpec("mao", _build, order=5, parameters="models/systems/mao.toml",
                    description="MAO-A and MAO-B activity: reversible inhibition, irreversible inactivation, "
                                "re-synthesis"))
