"""The HPA axis with slow gland masses (Alon-lab form), driven by stress and damped by a drug signal.

Hormones relax in minutes, the pituitary and adrenal masses in weeks: a stiff system, solved in hours.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .._propagate import njit
from ..catalog import system
from ..engine.ode import CompiledSystem, compile_system
from ..engine.registry import ArmContext, SystemSpec, register
from ..engine.stiff import compile_jac
from ..errors import ModelFileError, UnknownNameError, suggest
from ..provenance import Parameter
from .turnover import check_scale, drug_action, param_value

__all__ = ["HPAModel", "glucocorticoid_name"]

#: floor on the brain glucocorticoid in the MR term 1/x (scaled units), so a solver's trial step
#: through zero cannot divide by zero; far below any physiological value
FLOOR = 1e-12


def glucocorticoid_name(species: str) -> str:
    """'cortisol' (human, tree shrew) or 'corticosterone' (rat, mouse), from models/systems/hpa.toml."""
    mf = system("hpa")
    table = mf.raw.get("glucocorticoid", {})
    if species not in table:
        raise UnknownNameError(
            f"The HPA model has no glucocorticoid for species '{species}'.{suggest(species, table, known=True)}"
        )
    return str(table[species])


class HPAModel:
    r"""HPA axis: CRH, ACTH, blood and brain glucocorticoid, pituitary and adrenal functional masses.

    In the scaled units of Milo et al. 2025 (fact sheet F11), with rates converted to 1/h,

    .. math::

        \dot x_1 &= b_1\,u(t)\,\mathrm{GR}(x_{3b})\,\mathrm{MR}(x_{3b}) - a_1 x_1 \\
        \dot x_2 &= b_2\,x_1\,P\,\mathrm{GR}(x_3) - a_2 x_2 \\
        \dot x_3 &= b_3\,x_2\,A - a_3 x_3 \\
        \dot x_{3b} &= k\,(x_3 - x_{3b}) - a_3 x_{3b} \\
        \dot P &= P\,(b_P x_1 - a_P), \qquad \dot A = A\,(b_A x_2 - a_A)

    with :math:`\mathrm{GR}(x) = 1/(1 + (x/k_{GR})^{n})` and :math:`\mathrm{MR}(x) = 1/x`. Stress and
    the drug enter the hypothalamic drive

    .. math:: u(t) = 1 + g\,s(t)\,\bigl(1 - f\,D(\sigma)\bigr), \qquad D = \sigma/(\sigma + \sigma_{50})

    where s is the stress intensity, g the stress gain, σ the drug signal (``signal.MOR``) and f
    the fraction of the stress-induced drive the drug removes at full action (an assumed
    coupling: the claims say tianeptine damps the stress-evoked ACTH/corticosterone rise and acts
    at the hypothalamus, without a number).

    The gland equations fix the slow steady state: :math:`x_1^* = a_P/b_P` and
    :math:`x_2^* = a_A/b_A` for any constant u, so CRH and ACTH return to their set points while
    the glands grow or shrink over weeks (dynamical compensation of Karin et al.); the
    glucocorticoid then satisfies :math:`b_1 u\,\mathrm{GR}(x_{3b})/x_{3b} = a_1 x_1^*` and stays
    raised under sustained drive. A change of adrenal sensitivity b3 is fully compensated:
    A scales as 1/b3 and the glucocorticoid returns to its baseline.

    States are reported relative to the unstressed steady state (1 = baseline) as ``crh``,
    ``acth``, ``<gc>``, ``brain_<gc>``, ``pituitary_mass``, ``adrenal_mass`` with ``<gc>`` =
    ``cortisol`` (human, tree shrew) or ``corticosterone`` (rat, mouse); the output
    ``effect.crh_drive`` is u(t).

    Parameters
    ----------
    species : str
        Names the glucocorticoid (the rates are the same for every species).
    drive : str
        The input carrying the drug signal.
    scale : dict of str to float, optional
        Multipliers of named parameters (e.g. ``{"b3": 2.0}``).

    References
    ----------
    .. [milo2025] Milo T, Nir Halber S, Raz M, Danan D, Mayo A, Alon U. Mol Syst Biol
       2025;21(3):254–273. doi:10.1038/s44320-024-00083-0
    """

    stiff = True
    #: longest step (h) of the compiled engine: the fastest rate is CRH removal, a1 = 10/h; the
    #: restraint accuracy case (tests/test_engine_accuracy.py, bound 1e-6) measured 2.2e-7 at 0.2 h and
    #: 1.5e-6 at 0.25 h (CRH, in the hour after each stress onset), 7e-6 at 0.4 h; 0.3 h read 8e-7 only
    #: because that grid's steps after an onset are shorter (0.233 h from edge + 0.3 h to the next hour)
    max_step_h = 0.2

    def __init__(self, species: str = "rat", drive: str = "signal.MOR", scale: Mapping[str, float] | None = None):
        mf = system("hpa")
        self.model_file = mf
        self._scale = check_scale(mf, scale)
        self.species = species
        self.glucocorticoid = glucocorticoid_name(species)
        self.name = "hpa"
        gc = self.glucocorticoid
        self.states = ("crh", "acth", gc, f"brain_{gc}", "pituitary_mass", "adrenal_mass")
        self.drive = drive
        self.inputs = ("stress", drive)
        self.outputs = ("effect.crh_drive",)
        v = lambda k, unit: param_value(mf, k, unit, self._scale)  # noqa: E731
        self.a1, self.b1 = v("a1", "1/h"), v("b1", "1/h")
        self.a2, self.b2 = v("a2", "1/h"), v("b2", "1/h")
        self.a3, self.b3 = v("a3", "1/h"), v("b3", "1/h")
        self.k = v("k_brain", "1/h")
        self.k_gr, self.n_gr = v("k_gr", "dimensionless"), v("n_gr", "dimensionless")
        self.a_p, self.b_p = v("a_p", "1/h"), v("b_p", "1/h")
        self.a_a, self.b_a = v("a_a", "1/h"), v("b_a", "1/h")
        self.gain = v("stress_gain", "dimensionless")
        self.attenuation = v("drug_attenuation", "dimensionless")
        self.half_effect = v("signal_half_effect", "dimensionless")
        if not 0.0 <= self.attenuation <= 1.0:
            raise ModelFileError(f"{mf.path}: drug_attenuation must lie in [0, 1] (got {self.attenuation:g}).")
        # the reference (baseline) state is the unscaled model's, so a scaled model starts from it
        ref = HPAModel(species, drive) if self._scale else self
        self._xs = ref._absolute_steady_state(1.0)

    # ------------------------------------------------------------------ helpers
    def _gr(self, x: Any) -> Any:
        return 1.0 / (1.0 + (x / self.k_gr) ** self.n_gr)

    def _absolute_steady_state(self, u: float) -> np.ndarray:
        """Full steady state (hormones and glands) under constant drive u, in scaled units."""
        x1 = self.a_p / self.b_p
        x2 = self.a_a / self.b_a

        def gap(x3b: float) -> float:
            return self.b1 * u * self._gr(x3b) / x3b - self.a1 * x1

        hi = self.b1 * u / (self.a1 * x1)  # GR <= 1, so gap(hi) <= 0
        x3b = brentq(gap, 1e-9 * hi, hi, xtol=1e-15, rtol=1e-14)
        x3 = x3b * (self.k + self.a3) / self.k
        adrenal = self.a3 * x3 / (self.b3 * x2)
        pituitary = self.a2 * x2 / (self.b2 * x1 * self._gr(x3))
        return np.array([x1, x2, x3, x3b, pituitary, adrenal])

    def crh_drive(self, stress: Any, signal: Any) -> Any:
        """u = 1 + g s (1 − f D(σ))."""
        d = drug_action(signal, self.half_effect)
        return 1.0 + self.gain * np.asarray(stress, dtype=float) * (1.0 - self.attenuation * np.asarray(d))

    def steady_state(self, u: float = 1.0) -> dict[str, float]:
        """Slow (gland-equilibrated) steady state under constant drive u, relative to baseline."""
        rel = self._absolute_steady_state(u) / self._xs
        return dict(zip(self.states, rel.tolist()))

    @property
    def baseline(self) -> np.ndarray:
        """The unstressed steady state in the model's scaled units (CRH, ACTH, gc, brain gc, P, A)."""
        return self._xs.copy()

    # ------------------------------------------------------------------ DynamicModel
    def parameters(self) -> dict[str, Parameter]:
        return {f"hpa.{k}": p for k, p in self.model_file.parameters.items()}

    def initial_state(self, n: int) -> np.ndarray:
        """The unstressed steady state of the (unscaled) axis: every state at 1."""
        return np.ones((len(self.states), n))

    def rhs(self, t: float, y: np.ndarray, u: Mapping[str, Any]) -> np.ndarray:
        """d(state/baseline)/dt in 1/h, shape (6, n)."""
        xs = self._xs
        x1, x2, x3, x3b, p, a = (y[i] * xs[i] for i in range(6))
        drive = self.crh_drive(u["stress"], u[self.drive])
        x3b_safe = np.maximum(x3b, FLOOR)
        dx1 = self.b1 * drive * self._gr(x3b_safe) / x3b_safe - self.a1 * x1
        dx2 = self.b2 * x1 * p * self._gr(x3) - self.a2 * x2
        dx3 = self.b3 * x2 * a - self.a3 * x3
        dx3b = self.k * (x3 - x3b) - self.a3 * x3b
        dp = p * (self.b_p * x1 - self.a_p)
        da = a * (self.b_a * x2 - self.a_a)
        return np.stack([dx1, dx2, dx3, dx3b, dp, da]) / xs[:, None]

    def observe(self, y: np.ndarray, u: Mapping[str, Any]) -> dict[str, np.ndarray]:
        return {"effect.crh_drive": np.asarray(self.crh_drive(u["stress"], u[self.drive]), dtype=float)}

    def compiled(self) -> CompiledSystem:
        """The same right-hand side for the compiled engine (`pdsim.engine.ode`); inputs (stress, drive)."""
        p = np.r_[self._xs, [self.b1, self.a1, self.b2, self.a2, self.b3, self.a3, self.k, self.k_gr, self.n_gr,
                             self.b_p, self.a_p, self.b_a, self.a_a, self.gain, self.attenuation, self.half_effect],
                  1.0 / self._xs, [1.0 / self.k_gr]]
        return CompiledSystem(self.name, _hpa_rhs, _hpa_observe, p)

    # ------------------------------------------------------------------ time scales
    def half_lives_h(self) -> dict[str, float]:
        """Removal half-lives (h) of the hormones and gland masses, ln2 / rate."""
        ln2 = math.log(2.0)
        return {"crh": ln2 / self.a1, "acth": ln2 / self.a2, self.glucocorticoid: ln2 / self.a3,
                "pituitary_mass": ln2 / self.a_p, "adrenal_mass": ln2 / self.a_a}


@njit(cache=True, inline='always')  # inlined into the system's functions: no call per subject
def _hpa_drive(pool, idx, p, b):  # pragma: no cover - compiled
    """u of subject (row) b of the block."""
    sig = max(pool[b, idx[1]], 0.0)
    d = sig / (sig + p[21])
    return 1.0 + p[19] * pool[b, idx[0]] * (1.0 - p[20] * d)


@njit(cache=True, inline='always')  # inlined in the block loop: indexes the block, no row views
def _hpa_rhs_row(y, pool, idx, p, dy, b, cube):  # pragma: no cover - compiled
    """dy/dt of row b. p[22:28] are the reciprocals of the baseline p[0:6] and p[28] = 1/k_GR (products,
    not divisions); with ``cube`` (Hill number 3, the catalogue's) (x/k)^3 is two products, not pow."""
    x1, x2, x3, x3b = y[b, 0] * p[0], y[b, 1] * p[1], y[b, 2] * p[2], y[b, 3] * p[3]
    gp, ga = y[b, 4] * p[4], y[b, 5] * p[5]
    drive = _hpa_drive(pool, idx, p, b)
    x3b_safe = max(x3b, FLOOR)
    t_b, t_3 = x3b_safe * p[28], x3 * p[28]
    if cube:
        r_b, r_3 = t_b * t_b * t_b, t_3 * t_3 * t_3
    else:
        r_b, r_3 = t_b ** p[14], t_3 ** p[14]
    # GR(x3b)/x3b and GR(x3) each as one division
    dy[b, 0] = (p[6] * drive / (x3b_safe * (1.0 + r_b)) - p[7] * x1) * p[22]
    dy[b, 1] = (p[8] * x1 * gp / (1.0 + r_3) - p[9] * x2) * p[23]
    dy[b, 2] = (p[10] * x2 * ga - p[11] * x3) * p[24]
    dy[b, 3] = (p[12] * (x3 - x3b) - p[11] * x3b) * p[25]
    dy[b, 4] = gp * (p[15] * x1 - p[16]) * p[26]
    dy[b, 5] = ga * (p[17] * x2 - p[18]) * p[27]


@compile_jac
def _hpa_jac(y, pool, idx, p, jac):  # pragma: no cover - compiled
    r"""∂(dy/dt)/∂y of `_hpa_rhs` for a block (the stiff stage's analytic Jacobian).

    With x_j = s_j y_j (s = the baseline, p[0:6]) and dy_i/dt = f_i(x)/s_i, the entries are
    ∂f_i/∂x_j · s_j/s_i. The GR terms differentiate as
    :math:`\mathrm{GR}'(x) = -(n/k)(x/k)^{n-1}\mathrm{GR}(x)^2` and
    :math:`(\mathrm{GR}(x)/x)' = \mathrm{GR}'(x)/x - \mathrm{GR}(x)/x^2`; below `FLOOR` the CRH
    term is constant in x_3b (the rhs clamps it there), so its derivative is 0.
    """
    b1, a1, b2, a2, b3, a3, k, k_gr, n_gr = p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]
    for b in range(y.shape[0]):
        x1, x2, x3, x3b, gp, ga = (y[b, 0] * p[0], y[b, 1] * p[1], y[b, 2] * p[2], y[b, 3] * p[3],
                                   y[b, 4] * p[4], y[b, 5] * p[5])
        drive = _hpa_drive(pool, idx, p, b)
        jb = jac[b]
        for r in range(6):
            for c in range(6):
                jb[r, c] = 0.0
        d0 = 0.0
        if x3b > FLOOR:
            gr_b = 1.0 / (1.0 + (x3b / k_gr) ** n_gr)
            dgr_b = -(n_gr / k_gr) * (x3b / k_gr) ** (n_gr - 1.0) * gr_b * gr_b
            d0 = b1 * drive * (dgr_b / x3b - gr_b / (x3b * x3b))
        gr_3 = 1.0 / (1.0 + (x3 / k_gr) ** n_gr)
        dgr_3 = -(n_gr / k_gr) * (x3 / k_gr) ** (n_gr - 1.0) * gr_3 * gr_3
        # ∂f_i/∂x_j, then scaled by s_j / s_i
        jb[0, 0] = -a1
        jb[0, 3] = d0
        jb[1, 0] = b2 * gp * gr_3
        jb[1, 1] = -a2
        jb[1, 2] = b2 * x1 * gp * dgr_3
        jb[1, 4] = b2 * x1 * gr_3
        jb[2, 1] = b3 * ga
        jb[2, 2] = -a3
        jb[2, 5] = b3 * x2
        jb[3, 2] = k
        jb[3, 3] = -k - a3
        jb[4, 0] = gp * p[15]
        jb[4, 4] = p[15] * x1 - p[16]
        jb[5, 1] = ga * p[17]
        jb[5, 5] = p[17] * x2 - p[18]
        for r in range(6):
            for c in range(6):
                jb[r, c] *= p[c] / p[r]


def _build(ctx: ArmContext) -> HPAModel:
    return HPAModel(species=ctx.arm.species)


register(SystemSpec("hpa", _build, order=30, parameters="models/systems/hpa.toml",
                    description="HPA axis with slow gland masses (CRH, ACTH, glucocorticoid, pituitary and adrenal mass), driven by stress, damped by the MOR signal",
                    jac=_hpa_jac))


@compile_system
def _hpa_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    # on a block of 128 subjects, 54 ns per subject with pow for the two Hill terms and a division per
    # state (the previous form), 6 ns with the products of `_hpa_rhs_row` (measured on this machine)
    if p[14] == 3.0:
        for b in range(y.shape[0]):
            _hpa_rhs_row(y, pool, idx, p, dy, b, True)
    else:
        for b in range(y.shape[0]):
            _hpa_rhs_row(y, pool, idx, p, dy, b, False)


@compile_system
def _hpa_observe(y, pool, idx, p, out):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        out[b, 0] = _hpa_drive(pool, idx, p, b)
