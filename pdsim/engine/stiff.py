"""The stiff ODE stage: a compiled Rosenbrock method (RODAS4) for arms whose systems register as stiff.

An arm uses it when any of its systems is registered with ``stiff=True``; none of the catalogue's is.

When
----
The plan asks the registry (`pdsim.engine.registry.method`): an arm whose chain holds a system
registered with ``SystemSpec(..., stiff=True)`` is integrated here, on the same kind of step grid
as the explicit stage (`pdsim.engine.forcing.step_grid`, landing on every output time and edge, with
graded steps after each edge and, for a stiff arm, after t = 0) and with the exact inputs at every
node (`stage_times`); every other arm runs on the explicit stage (`pdsim.engine.ode`). No system name
is known here.

No catalogue system registers as stiff, because none is stiff at the step its accuracy needs. The
largest eigenvalue modulus of each system's Jacobian at baseline (measured, 1/h) times its step
(h): HPA 9.96 × 0.2 = 2.0 (CRH removal, a1; the stiffness ratio is 1.2e4, the glands turning over
in weeks), BDNF signalling 1.39 × 0.2 = 0.28, plasticity 0.69 × 0.4 = 0.28, tolerance 0.68 × 0.25
= 0.17, MOR tolerance 0.02 × 0.5, onset 0.005 × 1. DOP853's stability interval on the negative real
axis reaches −6.4, so every product lies inside it: the steps are set by accuracy (the hormones
follow each stress edge within minutes), not by stability, and an implicit method would take the
same steps. Measured: with HPA registered stiff for a trial, the chronic-restraint scenario (HPA,
BDNF, plasticity) on the same grid moved by up to 5e-5 relative (ACTH) from the explicit stage's
result, which tests/test_engine_accuracy.py holds within 1e-6 of a tight reference, and this
stage's error estimate flagged the steps after the stress edges: RODAS4 (order 4) is less accurate
than DOP853 (order 8) at the step the hormones need. Measured again with the analytic Jacobians HPA,
BDNF and plasticity register (so one column, the hippocampal BDNF plasticity reads, is differenced):
on the HPA accuracy case this stage is 6.7e-5 from the reference at the 0.2 h step, 4.7e-6 at 0.1 h
and 3.1e-7 at 0.05 h, and at 0.05 h the chronic-restraint population (300 subjects per arm) ran at
30 subjects/s against the explicit stage's 433 in the same session: the explicit stage stays.

How
---
Fixed steps (the inputs are tabulated at the grid's nodes, so the step cannot adapt inside an arm);
the Jacobian ∂f/∂y is a system's own compiled ``jac`` where it registered one (its diagonal block)
and forward differences of the whole chain for the other columns and for a state a later system
reads (`_columns`); ∂f/∂t is a forward difference over δ_n, with
the inputs exact at t_n + δ_n. The embedded order-3 solution gives a local error estimate per
step; it is not used for step control but is checked: above `ERROR_NOTE` the Result carries a note.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import numba
from numba import types as _t

from . import registry
from .ode import BLOCK, CompiledSystem, chain_entries, eval_chain, observed, over_subjects

__all__ = ["METHOD", "GAMMA", "ALPHA", "GAMMAS", "A", "C", "M", "E", "NODES", "JAC_SIGNATURE", "ERROR_NOTE",
           "compile_jac", "stage_times", "Rosenbrock", "for_chain", "integrate"]

#: the method's name as the plan reports it
METHOD = "rodas4"


def _tableau() -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""RODAS4, the L-stable, stiffly accurate 6-stage Rosenbrock method of order 4 with an embedded
    order-3 solution.

    Hairer E, Wanner G. *Solving Ordinary Differential Equations II. Stiff and Differential-Algebraic
    Problems*, 2nd ed., Springer 1996, §IV.7 (code RODAS, coefficient set 1), in the transformed form
    (variables :math:`k_i` of the stage equations, no matrix–vector products), as the authors' code
    and Sandu et al. (Atmos Environ 1997;31:3459–3472, doi:10.1016/S1352-2310(97)83212-8) write it:

    .. math::

        \Bigl(\tfrac{1}{h\gamma} I - J\Bigr) k_i = f\Bigl(t_n + \alpha_i h,\; y_n + \sum_{j<i} a_{ij} k_j\Bigr)
            + \sum_{j<i} \frac{c_{ij}}{h} k_j + h\,\gamma_i\,\frac{\partial f}{\partial t}(t_n, y_n)

    with :math:`y_{n+1} = y_n + \sum_i m_i k_i` and the local error estimate :math:`\sum_i e_i k_i`
    (the difference to the embedded order-3 solution). Returns (γ, α, γ_i, A, C, m, e).
    """
    alpha = np.array([0.0, 0.386, 0.210, 0.630, 1.0, 1.0])
    gammas = np.array([0.25, -0.1043, 0.1035, -0.3620000000000023e-01, 0.0, 0.0])
    a_low = [1.544, 0.9466785280815826, 0.2557011698983284, 3.314825187068521, 2.896124015972201,
             0.9986419139977817, 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950]
    a_low += a_low[6:10] + [1.0]
    c_low = [-5.6688, -2.430093356833875, -0.2063599157091915, -0.1073529058151375, -9.594562251023355,
             -20.47028614809616, 7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160,
             8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054]
    a = np.zeros((6, 6))
    c = np.zeros((6, 6))
    k = 0
    for i in range(1, 6):  # strictly lower triangular, row by row
        for j in range(i):
            a[i, j], c[i, j] = a_low[k], c_low[k]
            k += 1
    m = np.array(a_low[6:10] + [1.0, 1.0])
    e = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    return 0.25, alpha, gammas, a, c, m, e


#: γ (the diagonal), the stage times α_i, the γ_i of the time derivative, A, C, m (solution), e (error)
GAMMA, ALPHA, GAMMAS, A, C, M, E = _tableau()
STAGES = ALPHA.size
#: input nodes per step: the six stage times, then t_n + δ for the finite-difference ∂f/∂t
NODES = STAGES + 1
#: the signature of a system's compiled Jacobian ``jac(y, pool, idx, p, J)``: y (block, states),
#: pool (block, pool size), idx and p as for its ``rhs``, J (block, states, states) = ∂(dy/dt)/∂y of
#: its own states
JAC_SIGNATURE = _t.void(_t.float64[:, :], _t.float64[:, :], _t.int64[:], _t.float64[:], _t.float64[:, :, :])
#: scaled local error estimate (per step, RMS over states of e / (1e-6 (1 + |y|))) above which the
#: arm's Result carries a note asking for a shorter step
ERROR_NOTE = 1.0
_RTOL = _ATOL = 1e-6
#: relative step of the finite differences (∂f/∂y and ∂f/∂t): the square root of machine epsilon
_FD = math.sqrt(np.finfo(float).eps)


def compile_jac(fn):
    """Compile a system's analytic Jacobian with `JAC_SIGNATURE` (cached on disk); register it as
    ``SystemSpec(..., stiff=True, jac=compile_jac(my_jac))``."""
    return numba.njit(JAC_SIGNATURE, cache=True)(fn)


@numba.njit(JAC_SIGNATURE, cache=True)
def _no_jac(y, pool, idx, p, jac):  # pragma: no cover - compiled; stands in where a system has no jac
    pass


def _deltas(grid: np.ndarray) -> np.ndarray:
    """δ_n of the ∂f/∂t difference at every step: √ε·max(1, t_n), at most a thousandth of the step."""
    t0, h = grid[:-1], np.diff(grid)
    return np.minimum(_FD * np.maximum(1.0, np.abs(t0)), 1e-3 * h)


def stage_times(grid: np.ndarray) -> np.ndarray:
    """The times (n_steps * `NODES`,) at which each step reads the inputs: ``t_n + α_i h`` for the six
    stages, then ``t_n + δ_n``. A stage at α = 1 reads the left limit at the step's end (an edge at
    t_{n+1} belongs to the next step)."""
    t0, h = grid[:-1], np.diff(grid)
    times = np.empty((t0.size, NODES))
    times[:, :STAGES] = t0[:, None] + ALPHA[None, :] * h[:, None]
    times[:, 0] = t0
    ends = ALPHA == 1.0
    times[:, :STAGES][:, ends] = np.nextafter(grid[1:], -np.inf)[:, None]
    times[:, STAGES] = t0 + _deltas(grid)
    return times.ravel()


# ------------------------------------------------------------------------------------------ compiled
@numba.njit(cache=True)
def _lu(a, piv):
    """In-place LU factorisation with partial pivoting of the square ``a``; False when singular."""
    n = a.shape[0]
    for k in range(n):
        p = k
        big = abs(a[k, k])
        for r in range(k + 1, n):
            if abs(a[r, k]) > big:
                big, p = abs(a[r, k]), r
        piv[k] = p
        if big == 0.0 or not np.isfinite(big):
            return False
        if p != k:
            for c in range(n):
                a[k, c], a[p, c] = a[p, c], a[k, c]
        for r in range(k + 1, n):
            a[r, k] /= a[k, k]
            f = a[r, k]
            if f != 0.0:
                for c in range(k + 1, n):
                    a[r, c] -= f * a[k, c]
    return True


@numba.njit(cache=True)
def _lu_solve(a, piv, x):
    """Solve in place with the factors of `_lu`."""
    n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            x[k], x[p] = x[p], x[k]
    for r in range(n):
        for c in range(r):
            x[r] -= a[r, c] * x[c]
    for r in range(n - 1, -1, -1):
        for c in range(r + 1, n):
            x[r] -= a[r, c] * x[c]
        x[r] /= a[r, r]


@numba.njit(cache=True, inline="always")
def _weighted_sum(coef, k1, out, count):
    """out = Σ_{m < count} coef[m] k1[m] over the flat (subject, state) pairs of a block (zero coefficients
    skipped)."""
    for i in range(out.size):
        out[i] = 0.0
    for m in range(count):
        w = coef[m]
        if w != 0.0:
            for i in range(out.size):
                out[i] += w * k1[m, i]


@numba.njit(cache=True, nogil=True)
def _advance(rhs, obs, par, idx, lay, jac, has_jac, fd_col, owner, i0, i1, y0, forcing, n_ext, pool_size, h, dts,
             out_at, gamma, gammas, ca, cc, cm, ce, ys, bad, err):
    """Advance subjects i0 .. i1-1, `BLOCK` at a time, over the step grid by RODAS4.

    forcing : (n_steps * NODES, n_sub, n_ext), the inputs at every node (see `stage_times`)
    h, dts : (n_steps,) step lengths and the δ of ∂f/∂t; out_at[i] is the output index after step i, or -1
    jac, has_jac : each system's compiled Jacobian and whether it is its own (else `_no_jac`)
    fd_col : (n_states,) 1 where the column of ∂f/∂y is taken by finite differences
    owner : (n_states,) the system whose own Jacobian gives the state's row and column within its
        block, or -1 (the whole column then comes from the differences)
    ys : (n_sub, n_out, n_states) states at the outputs; bad : (n_sub,) the step at which a state
    turned non-finite or the matrix singular (-1 when none); err : (n_sub, 2) the largest scaled
    local error estimate and the step where it occurred
    """
    n_states = y0.shape[1]
    n_steps = h.shape[0]
    s = cm.shape[0]
    nodes = s + 1
    n_sys = len(rhs)
    big = 1
    for i in range(n_sys):
        big = max(big, lay[i, 1])
    for first in range(i0, i1, BLOCK):
        nb = min(BLOCK, i1 - first)
        y = np.empty((nb, n_states))
        yt = np.empty((nb, n_states))
        f0 = np.empty((nb, n_states))
        fp = np.empty((nb, n_states))
        ft = np.empty((nb, n_states))
        acc = np.empty((nb, n_states))
        k = np.zeros((s, nb, n_states))
        jm = np.zeros((nb, n_states, n_states))
        blk = np.zeros((nb, big, big))
        lus = np.empty((nb, n_states, n_states))
        piv = np.zeros((nb, n_states), dtype=np.int64)
        pool = np.zeros((nb, pool_size))
        # the stage sums run over the block's (subject, state) pairs as one flat contiguous loop (as in
        # `pdsim.engine.ode`), in the same order of operations as a sum per pair, the tableau's zeros skipped
        n_flat = nb * n_states
        y1, yt1, fp1, ft1, acc1 = (y.reshape(n_flat), yt.reshape(n_flat), fp.reshape(n_flat), ft.reshape(n_flat),
                                   acc.reshape(n_flat))
        k1, f01 = k.reshape(s, n_flat), f0.reshape(n_flat)
        for b in range(nb):
            for q in range(n_states):
                y[b, q] = y0[first + b, q]
                ys[first + b, 0, q] = y[b, q]
        stop = False
        for st in range(n_steps):
            hh = h[st]
            base = st * nodes
            # f(t_n, y_n) and the systems' own Jacobians there
            for b in range(nb):
                for e in range(n_ext):
                    pool[b, e] = forcing[base, first + b, e]
            eval_chain(rhs, obs, par, idx, lay, y, pool, f0)
            for i in range(n_sys):
                if has_jac[i]:
                    s0, ns = lay[i, 0], lay[i, 1]
                    jac[i](y[:, s0:s0 + ns], pool, idx[i], par[i], blk[:, :ns, :ns])
                    for b in range(nb):
                        for r in range(ns):
                            for c2 in range(ns):
                                jm[b, s0 + r, s0 + c2] = blk[b, r, c2]
            # ∂f/∂y by forward differences, column by column (where no system gave it)
            for q in range(n_states):
                if fd_col[q] == 0:
                    continue
                for b in range(nb):
                    for r in range(n_states):
                        yt[b, r] = y[b, r]
                    yt[b, q] = y[b, q] + _FD * max(abs(y[b, q]), 1e-5)
                eval_chain(rhs, obs, par, idx, lay, yt, pool, fp)
                oq = owner[q]
                for b in range(nb):
                    d = yt[b, q] - y[b, q]
                    for r in range(n_states):
                        if oq < 0 or owner[r] != oq:
                            jm[b, r, q] = (fp[b, r] - f0[b, r]) / d
            # ∂f/∂t by a forward difference over δ_n (the inputs are exact at t_n + δ_n)
            for b in range(nb):
                for e in range(n_ext):
                    pool[b, e] = forcing[base + s, first + b, e]
            eval_chain(rhs, obs, par, idx, lay, y, pool, fp)
            for b in range(nb):
                for q in range(n_states):
                    ft[b, q] = (fp[b, q] - f0[b, q]) / dts[st]
            # W = I/(hγ) - J, factorised per subject
            diag = 1.0 / (hh * gamma)
            for b in range(nb):
                for r in range(n_states):
                    for c2 in range(n_states):
                        lus[b, r, c2] = -jm[b, r, c2]
                    lus[b, r, r] += diag
                if not _lu(lus[b], piv[b]):
                    if bad[first + b] < 0:
                        bad[first + b] = st
                    stop = True
            if stop:
                break
            # the stages
            for a in range(s):
                if a == 0:
                    for i in range(n_flat):
                        fp1[i] = f01[i]
                else:
                    _weighted_sum(ca[a], k1, acc1, a)
                    for i in range(n_flat):
                        yt1[i] = y1[i] + acc1[i]
                    for b in range(nb):
                        for e in range(n_ext):
                            pool[b, e] = forcing[base + a, first + b, e]
                    eval_chain(rhs, obs, par, idx, lay, yt, pool, fp)
                _weighted_sum(cc[a], k1, acc1, a)
                g = hh * gammas[a]
                ka = k1[a]
                for i in range(n_flat):
                    ka[i] = fp1[i] + acc1[i] / hh + g * ft1[i]
                for b in range(nb):
                    _lu_solve(lus[b], piv[b], k[a, b])
            # y_{n+1} = y_n + Σ m_i k_i and the error estimate Σ e_i k_i
            _weighted_sum(cm, k1, acc1, s)
            _weighted_sum(ce, k1, fp1, s)
            for b in range(nb):
                sq = 0.0
                for q in range(n_states):
                    yn = y[b, q] + acc[b, q]
                    scale = _ATOL + _RTOL * max(abs(y[b, q]), abs(yn))
                    sq += (fp[b, q] / scale) ** 2
                    y[b, q] = yn
                    if not np.isfinite(yn):
                        stop = True
                        if bad[first + b] < 0:
                            bad[first + b] = st
                sq = math.sqrt(sq / max(n_states, 1))
                if sq > err[first + b, 0]:
                    err[first + b, 0] = sq
                    err[first + b, 1] = st
            if stop:
                break
            j = out_at[st]
            if j >= 0:
                for b in range(nb):
                    for q in range(n_states):
                        ys[first + b, j, q] = y[b, q]


# ------------------------------------------------------------------------------------------ Python
def _columns(models: Sequence[Any], lay: np.ndarray, has_jac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which columns of ∂f/∂y the stiff stage takes by differences, and each state's owner.

    A system's own Jacobian gives its diagonal block. Column q (a state of system i) still needs a
    difference of the whole chain when system i has no Jacobian, or when a later system reads that
    state (``effect.<state>``) or any output of system i (the outputs depend on its states): the
    difference then fills the later systems' rows, the block staying the analytic one. Every other
    entry of the column is 0, since no other system sees the state. Returns (fd_col, owner):
    fd_col[q] 1 where the column is differenced; owner[q] the system whose block holds q, or -1.
    """
    n_states = int(lay[-1, 0] + lay[-1, 1]) if len(lay) else 0
    fd_col = np.ones(n_states, dtype=np.int64)
    owner = np.full(n_states, -1, dtype=np.int64)
    for i, m in enumerate(models):
        s0 = int(lay[i, 0])
        if not has_jac[i]:
            continue
        owner[s0:s0 + len(m.states)] = i
        later = {k for n in models[i + 1:] for k in n.inputs}
        if later & set(m.outputs):
            continue
        for j, st in enumerate(m.states):
            if f"effect.{st}" not in later:
                fd_col[s0 + j] = 0
    return fd_col, owner


def integrate(systems: Sequence[CompiledSystem], models: Sequence[Any], ext: Sequence[str], y0: np.ndarray,
              h: np.ndarray, out_at: np.ndarray, n_out: int, forcing: np.ndarray, forcing_out: np.ndarray,
              dts: np.ndarray, jacs: Sequence[Any] | None = None) -> tuple[dict[str, np.ndarray], int, int, np.ndarray]:
    """Integrate the chained systems for every subject on the step grid ``h`` by RODAS4.

    Parameters
    ----------
    systems, models, ext, y0, h, out_at, n_out, forcing_out
        As for `pdsim.engine.ode.integrate`.
    forcing : ndarray (n_steps * NODES, n_sub, n_ext)
        External inputs at the nodes of `stage_times` (exact, from the PK closed forms).
    dts : ndarray (n_steps,)
        The δ_n of ∂f/∂t: node ``NODES - 1`` of step n is at ``t_n + dts[n]``.
    jacs : sequence, optional
        Per system, its compiled Jacobian (`compile_jac`) or None. A system's own Jacobian gives its
        diagonal block; the columns of a system without one, and of a state a later system reads
        (for the coupling), are forward differences of the whole chain (`_columns`).

    Returns
    -------
    (dict, int, int, ndarray)
        As `pdsim.engine.ode.integrate`, plus per subject (largest scaled local error estimate, step).
    """
    entries, pool_size, where = chain_entries(systems, models, ext)
    lay = entries[4]
    n_sub, n_states = y0.shape
    jacs = list(jacs) if jacs is not None else [None] * len(systems)
    has_jac = np.array([j is not None for j in jacs], dtype=np.bool_)
    fd_col, owner = _columns(models, lay, has_jac)
    jac_fns = tuple(j if j is not None else _no_jac for j in jacs)
    ys = np.zeros((n_sub, n_out, n_states))
    bad = np.full(n_sub, -1, dtype=np.int64)
    err = np.zeros((n_sub, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=getattr(numba.core.errors, "NumbaExperimentalFeatureWarning", Warning))
        y0 = np.ascontiguousarray(y0, dtype=float)
        args = (y0, forcing, len(ext), pool_size, np.ascontiguousarray(h, dtype=float),
                np.ascontiguousarray(dts, dtype=float), out_at, GAMMA, GAMMAS, A, C, M, E, ys, bad, err)
        head = entries + (jac_fns, has_jac, fd_col, owner)
        over_subjects(lambda first, last: _advance(*head, first, last, *args), n_sub)
        hit = np.flatnonzero(bad >= 0)
        if hit.size:
            return {}, int(hit[0]), int(bad[hit[0]]), err
        return observed(entries, models, where, ys, forcing_out, len(ext), pool_size), -1, -1, err


class Rosenbrock:
    """The stiff stage for one arm's chain on one step grid: where it reads the inputs (``times``) and
    `integrate`, which runs it and keeps a note when the local error estimate says the step is too long.

    ``rosen.integrate(systems, models, ext, y0, h, out_at, n_out, forcing, forcing_out)`` has the
    arguments and returns of `pdsim.engine.ode.integrate`, with ``forcing`` at ``rosen.times``.
    """

    method = METHOD

    def __init__(self, grid: np.ndarray, jacs: Sequence[Any], label: str = ""):
        self.grid = np.asarray(grid, dtype=float)
        self.times = stage_times(self.grid)
        self.dts = self.times.reshape(-1, NODES)[:, STAGES] - self.grid[:-1]
        self.jacs = list(jacs)
        self.label = label
        self.notes: list[str] = []
        self.max_error = 0.0

    def integrate(self, systems, models, ext, y0, h, out_at, n_out, forcing, forcing_out):
        got, who, at, err = integrate(systems, models, ext, y0, h, out_at, n_out, forcing, forcing_out, self.dts, self.jacs)
        if who < 0 and err.size:
            i = int(np.argmax(err[:, 0]))
            self.max_error = float(err[i, 0])
            if self.max_error > ERROR_NOTE:
                st = int(err[i, 1])
                names = ", ".join(f"'{m.name}'" for m in models)
                self.notes.append(
                    f"arm '{self.label}': the stiff solver's local error estimate for {names} reached "
                    f"{self.max_error:.3g} × (1e-6 (1 + |y|)) in the step from t = {self.grid[st]:.6g} h "
                    f"(subject {i}); a shorter max_step_h for the system would make it smaller.")
        return got, who, at


def for_chain(names: Sequence[str], grid: np.ndarray, label: str = "") -> Rosenbrock | None:
    """The stiff stage for an arm's systems (in chain order) when any of them registered as stiff,
    else None (the explicit stage, `pdsim.engine.ode`, runs them)."""
    specs = registry.systems()
    chosen = [specs[s] for s in names]
    if not any(sp.stiff for sp in chosen):
        return None
    return Rosenbrock(grid, [sp.jac for sp in chosen], label)
