"""Generic batched integrators for forced downstream states: fixed-step RK4 and a stiff SciPy path.

All subjects advance at once: the right-hand side sees arrays of shape (n_states, n_subjects).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from .errors import InputError, SolverError

__all__ = ["integrate_forced", "integrate_stiff"]

Rhs = Callable[[float, np.ndarray, Any], np.ndarray]


def _grid(t_grid: Any) -> np.ndarray:
    t = np.asarray(t_grid, dtype=float)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
        raise InputError("`t_grid` must be a non-empty, non-decreasing 1-D array of finite times in h; sort it.")
    return t


def integrate_forced(
    rhs: Rhs,
    y0: Any,
    t_grid: Any,
    forcing_fn: Callable[[float], Any] | None = None,
    substeps: int = 8,
) -> np.ndarray:
    """Integrate a batched, forced ODE with the classical fourth-order Runge–Kutta method.

    .. math::

        \\dot y = f(t, y, u(t)),\\qquad
        y_{m+1} = y_m + \\tfrac{h}{6}(k_1 + 2k_2 + 2k_3 + k_4),\\quad h = \\frac{t_{k+1} - t_k}{\\text{substeps}}

    with :math:`u = ` ``forcing_fn(t)`` (for instance the exact concentrations of `pdsim.pk`
    at the stage times). Global error :math:`O(h^4)`; put every dose time (where the forcing
    has a kink or a jump) on `t_grid`, since the order drops across one. Explicit: use
    `integrate_stiff` when a rate times ``h`` exceeds about 2.

    Parameters
    ----------
    rhs : callable ``rhs(t, y, u) -> dy/dt``
        Vectorised right-hand side; ``y`` has the shape of `y0`, e.g. (n_states, n_subjects).
    y0 : array
        State at ``t_grid[0]``.
    t_grid : array (n_times,)
        Output times (h), non-decreasing.
    forcing_fn : callable ``u(t)``, optional
        Forcing passed to `rhs` (``None`` when not given); evaluated right-continuously at the
        start of each output interval.
    substeps : int
        RK4 steps per output interval.

    Returns
    -------
    ndarray, shape ``y0.shape + (n_times,)``
    """
    t = _grid(t_grid)
    if isinstance(substeps, bool) or not isinstance(substeps, (int, np.integer)) or substeps < 1:
        raise InputError(f"`substeps` must be a positive whole number (got {substeps!r}); give e.g. 8.")
    y = np.array(y0, dtype=float)
    out = np.empty(y.shape + (t.size,))
    out[..., 0] = y

    def u(tt):
        return None if forcing_fn is None else forcing_fn(tt)

    for k in range(t.size - 1):
        if t[k + 1] == t[k]:
            out[..., k + 1] = y
            continue
        h = (t[k + 1] - t[k]) / substeps
        ua = u(t[k])
        for m in range(substeps):
            ta = t[k] + m * h
            um = u(ta + 0.5 * h)
            ub = u(t[k + 1] if m == substeps - 1 else ta + h)
            k1 = rhs(ta, y, ua)
            k2 = rhs(ta + 0.5 * h, y + 0.5 * h * k1, um)
            k3 = rhs(ta + 0.5 * h, y + 0.5 * h * k2, um)
            k4 = rhs(ta + h, y + h * k3, ub)
            y = y + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
            ua = ub
        out[..., k + 1] = y
    return out


def integrate_stiff(
    rhs: Rhs,
    y0: Any,
    t_grid: Any,
    forcing_fn: Callable[[float], Any] | None = None,
    *,
    coupling: Any = None,
    breaks: Sequence[float] | None = None,
    method: str = "BDF",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> np.ndarray:
    """Integrate a batched, forced ODE as one stiff system with `scipy.integrate.solve_ivp`.

    The batch ``y`` (n_states, n_subjects) is flattened subject by subject, so the Jacobian is
    block diagonal, :math:`J = I_{n} \\otimes P` with :math:`P` the state coupling pattern; it is
    given to BDF/Radau as ``jac_sparsity`` (sparse finite differences, sparse LU), and to LSODA
    as a band of half-width ``n_states - 1``. Integration restarts at each of `breaks` (dose
    times), where the forcing has a kink or a jump.

    Parameters
    ----------
    rhs, y0, t_grid, forcing_fn
        As in `integrate_forced`; `y0` must be 2-D (n_states, n_subjects).
    coupling : array (n_states, n_states) of bool, optional
        ``coupling[i, j]`` is true when dy_i/dt depends on y_j (default: dense).
    breaks : sequence of float, optional
        Times (h) at which to restart the solver.
    method : {"BDF", "Radau", "LSODA"}
        SciPy method.
    rtol, atol : float
        Tolerances passed to `solve_ivp`.

    Returns
    -------
    ndarray (n_states, n_subjects, n_times)

    Raises
    ------
    SolverError
        If `solve_ivp` reports failure on a piece.
    """
    t = _grid(t_grid)
    y = np.array(y0, dtype=float)
    if y.ndim != 2:
        raise InputError(f"`y0` must be 2-D (n_states, n_subjects) (got shape {y.shape}); reshape it.")
    ns, nsub = y.shape
    if method not in ("BDF", "Radau", "LSODA"):
        raise InputError(f"`method` must be 'BDF', 'Radau' or 'LSODA' (got {method!r}).")
    pattern = np.ones((ns, ns), dtype=bool) if coupling is None else np.asarray(coupling, dtype=bool)
    if pattern.shape != (ns, ns):
        raise InputError(f"`coupling` must be {ns}x{ns} (got shape {pattern.shape}); give one row per state.")
    options: dict[str, Any] = {"rtol": rtol, "atol": atol}
    if method == "LSODA":
        options.update(lband=ns - 1, uband=ns - 1)
    else:
        options["jac_sparsity"] = sp.kron(sp.identity(nsub, format="csr"), sp.csr_matrix(pattern | np.eye(ns, dtype=bool)), format="csc")

    def fun(tt, yflat):
        yy = yflat.reshape(nsub, ns).T
        uu = None if forcing_fn is None else forcing_fn(tt)
        return np.asarray(rhs(tt, yy, uu), dtype=float).T.ravel()

    out = np.empty((ns, nsub, t.size))
    out[..., 0] = y
    edges = [t[0]] + sorted({float(b) for b in (breaks or ()) if t[0] < b < t[-1]}) + [t[-1]]
    yflat = y.T.ravel()
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        sel = np.flatnonzero((t > a) & (t <= b))
        t_eval = t[sel] if sel.size and t[sel[-1]] == b else np.r_[t[sel], b]
        sol = solve_ivp(fun, (a, b), yflat, method=method, t_eval=t_eval, **options)
        if not sol.success:
            raise SolverError(f"solve_ivp ({method}) failed between t={a} h and t={b} h: {sol.message}")
        out[..., sel] = sol.y[:, : sel.size].reshape(nsub, ns, -1).transpose(1, 0, 2)
        yflat = sol.y[:, -1]
    return out
