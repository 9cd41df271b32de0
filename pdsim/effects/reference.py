"""The reference benchmark's downstream model: operational response, tolerance and turnover.

The downstream part of the reference population scenario (``shared/benchmarks/README.md``) as a
`pdsim.model.DynamicModel`, parameters in models/systems/reference_benchmark.toml. A teaching
and benchmark model, not a model of any drug: `pdsim.simulate` runs it through the general
compiled engine (`pdsim.engine`), like every system.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._propagate import njit
from ..catalog import system
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..errors import InputError
from ..provenance import Parameter
from .turnover import check_scale, param_value

__all__ = ["ReferenceToleranceTurnover", "SYSTEM_FILE"]

#: the system file (models/systems/<name>.toml) holding the parameters
SYSTEM_FILE = "reference_benchmark"
#: the parameters the model reads, in the units it computes in
UNITS = {"KA": "nM", "tau": "dimensionless", "Em": "dimensionless", "n": "dimensionless", "kt": "1/h",
          "alpha": "dimensionless", "kin": "1/h", "kout": "1/h", "Smax": "dimensionless"}
#: converted values per loaded system file and scale
_VALUES: dict[tuple, tuple[Any, dict[str, float]]] = {}


class ReferenceToleranceTurnover:
    r"""Operational response at an effect site, slow tolerance and a turnover read-out.

    The free effect-site (biophase) concentration :math:`C_e` of one drug (input
    ``biophase.<drug>``, nM: :math:`f_u` times the effect-site concentration with
    :math:`dC_e/dt = k_{e0}(C - C_e)`) drives

    .. math::

        occ = \frac{C_e}{C_e + K_A},\qquad
        E = E_m \frac{(\tau\,occ)^n}{1 + (\tau\,occ)^n},\qquad
        S = E\,(1 - \alpha T),

        \frac{dT}{dt} = k_t\,(E - T),\qquad
        \frac{dB}{dt} = k_{in}\,(1 + S_{max} S) - k_{out} B

    from :math:`T(0) = 0` (no tolerance before the first dose) and :math:`B(0) = k_{in}/k_{out}`
    (baseline). With :math:`n = 1`, E is the Black–Leff operational model
    :math:`E_m \tau\,occ/(1 + \tau\,occ)` of the benchmark.

    Result variables: ``effect.reference_tolerance`` (T), ``effect.reference_turnover`` (B) and
    ``effect.reference_occupancy`` (occ). E and S follow from them by the formulas above.

    Parameters
    ----------
    drug : str
        The drug whose biophase concentration drives the receptor.
    scale : dict of str to float, optional
        Multipliers on parameters of the system file (for sensitivity runs).

    References
    ----------
    .. [black1983] Black JW, Leff P. Operational models of pharmacological agonism.
       Proc R Soc Lond B 1983;220:141–162.
    .. [dayneka1993] Dayneka NL, Garg V, Jusko WJ. J Pharmacokinet Biopharm 1993;21:457–478.
    """

    stiff = False
    #: longest step (h) of the compiled engine, and levels of graded steps after each dose
    #: (`pdsim.engine.forcing`; defaults 0.5 h and 8). T and B are slow (35 h and 14 h half-lives); the
    #: absorption after each oral dose (ka 2/h, CV 30 %) sets the step. On the accuracy cases of
    #: tests/test_engine_accuracy.py (oral every 8 h with iv bolus and infusion; a lag per subject)
    #: the largest error measured 1.2e-7 and 1.6e-8 with 1 h and 3 levels, 1.7e-6 and 1.2e-7 with 2
    max_step_h = 1.0
    grading = 3
    name = "reference_tolerance_turnover"
    states = ("reference_tolerance", "reference_turnover")
    outputs = ("effect.reference_occupancy",)

    def __init__(self, drug: str, scale: Mapping[str, float] | None = None):
        if not isinstance(drug, str) or not drug:
            raise InputError(f"`drug` must be the name of the drug at the effect site (got {drug!r}).")
        mf = system(SYSTEM_FILE)
        self.model_file = mf
        self._scale = check_scale(mf, scale)
        self.drug = drug
        self.inputs = (f"biophase.{drug}",)
        key = (id(mf), tuple(sorted(self._scale.items())))
        hit = _VALUES.get(key)
        if hit is None or hit[0] is not mf:  # unit conversion is slow next to a small compiled run: once per file
            hit = (mf, {k: param_value(mf, k, unit, self._scale) for k, unit in UNITS.items()})
            _VALUES[key] = hit
        for k, v in hit[1].items():
            setattr(self, k, v)
        if self.KA <= 0 or self.kout <= 0 or self.n <= 0:
            raise InputError(f"system '{SYSTEM_FILE}' needs KA, kout and n greater than zero; fix the file or the scale.")

    # ------------------------------------------------------------------ the model
    def occupancy(self, ce: Any) -> np.ndarray:
        """Receptor occupancy Ce/(Ce + KA) (Ce clipped at 0)."""
        c = np.maximum(np.asarray(ce, dtype=float), 0.0)
        return c / (c + self.KA)

    def response(self, occ: Any) -> np.ndarray:
        """Operational response Em (τ occ)^n / (1 + (τ occ)^n)."""
        x = self.tau * np.asarray(occ, dtype=float)
        if self.n != 1.0:
            x = x**self.n
        return self.Em * x / (1.0 + x)

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        """Every parameter with its provenance."""
        return {f"{SYSTEM_FILE}.{k}": p for k, p in self.model_file.parameters.items()}

    def initial_state(self, n: int) -> np.ndarray:
        """T = 0 and B = kin/kout, shape (2, n)."""
        y = np.zeros((2, n))
        y[1] = self.kin / self.kout
        return y

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        """dT/dt and dB/dt in 1/h, shape (2, n)."""
        tol, b = y[0], y[1]
        e = self.response(self.occupancy(u[self.inputs[0]]))
        s = e * (1.0 - self.alpha * tol)
        return np.stack([self.kt * (e - tol), self.kin * (1.0 + self.Smax * s) - self.kout * b])

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """``effect.reference_occupancy``, an array (n,)."""
        return {"effect.reference_occupancy": self.occupancy(u[self.inputs[0]])}

    def compiled(self) -> CompiledSystem:
        """The same equations for the compiled engine (`pdsim.engine.ode`); input (biophase concentration)."""
        return CompiledSystem(self.name, _reference_rhs, _reference_observe,
                              np.array([self.KA, self.tau, self.Em, self.n, self.kt, self.alpha, self.kin, self.kout,
                                        self.Smax]))


@njit(cache=True, inline='always')  # inlined into the system's functions: no call per subject
def _reference_occ(pool, idx, p, b):  # pragma: no cover - compiled
    c = max(pool[b, idx[0]], 0.0)
    return c / (c + p[0])


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _reference_rhs_row(y, pool, idx, p, dy, b):  # pragma: no cover - compiled
    x = p[1] * _reference_occ(pool, idx, p, b)
    if p[3] != 1.0:
        x = x ** p[3]
    e = p[2] * x / (1.0 + x)
    s = e * (1.0 - p[5] * y[b, 0])
    dy[b, 0] = p[4] * (e - y[b, 0])
    dy[b, 1] = p[6] * (1.0 + p[8] * s) - p[7] * y[b, 1]


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block (row b), no row views
def _reference_observe_row(y, pool, idx, p, out, b):  # pragma: no cover - compiled
    out[b, 0] = _reference_occ(pool, idx, p, b)


def _build(ctx: ArmContext) -> ReferenceToleranceTurnover:
    dosed = ctx.arm.drugs
    if len(dosed) != 1:
        raise InputError(f"system 'reference_tolerance_turnover' reads the effect site of one drug, but arm "
                         f"'{ctx.arm.label}' doses {len(dosed)}; give the arm exactly one drug.")
    return ReferenceToleranceTurnover(drug=dosed[0])


register(SystemSpec("reference_tolerance_turnover", _build, order=70, parameters=f"models/systems/{SYSTEM_FILE}.toml",
                    description="The reference benchmark's operational response at the effect site, tolerance and turnover"))


@compile_system
def _reference_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _reference_rhs_row(y, pool, idx, p, dy, b)


@compile_system
def _reference_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        _reference_observe_row(y, pool, idx, p, out, b)
