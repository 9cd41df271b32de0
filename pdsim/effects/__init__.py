"""Downstream physiology: stress protocols, HPA axis, BDNF and signalling, plasticity, onset, tolerance.

Every model is a `pdsim.model.DynamicModel`; `run_models` integrates a list of them together (tests, checks).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import InputError, SolverError
from ..model import DynamicModel

# --- stress protocols ---------------------------------------------------------------
from .stress import StressProtocol, protocol, protocols

# --- models -------------------------------------------------------------------------
from .turnover import BDNFSignalling, TurnoverModel, drug_action, stress_fold_for_steady_state
from .plasticity import PlasticityModel
from .hpa import HPAModel, glucocorticoid_name
from .onset import OnsetModel
from .tolerance import ToleranceModel

__all__ = [
    "StressProtocol",
    "protocol",
    "protocols",
    "TurnoverModel",
    "BDNFSignalling",
    "PlasticityModel",
    "HPAModel",
    "OnsetModel",
    "ToleranceModel",
    "drug_action",
    "glucocorticoid_name",
    "stress_fold_for_steady_state",
    "run_models",
]

#: default tolerances of `run_models`: states are relative to baseline (order 1)
RTOL = 1e-8
ATOL = 1e-10


class _NonFinite(Exception):
    def __init__(self, model: str, t: float):
        super().__init__(model, t)
        self.model, self.t = model, t


def _as_inputs(raw: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
    out = {}
    for k, v in raw.items():
        a = np.asarray(v, dtype=float)
        out[k] = np.broadcast_to(a, (n,)) if a.ndim == 0 else a
        if out[k].shape != (n,):
            raise InputError(f"input '{k}' has shape {a.shape}; give a scalar or an array of length n = {n}.")
    return out


def _check_wiring(models: Sequence[DynamicModel], base: Iterable[str]) -> list[bool]:
    """Raise InputError for an input nobody provides; return which models' outputs later models read."""
    available = set(base)
    provided_by: dict[str, int] = {}
    states_seen: dict[str, str] = {}
    for i, m in enumerate(models):
        for name in m.inputs:
            if name not in available:
                raise InputError(
                    f"model '{m.name}' reads input '{name}', which neither `inputs_fn` nor an earlier model provides; "
                    f"add it to inputs_fn or list the model that provides it first."
                )
        for s in m.states:
            if s in states_seen:
                raise InputError(
                    f"state '{s}' is defined by both '{states_seen[s]}' and '{m.name}'; state names must be unique."
                )
            states_seen[s] = m.name
            available.add(f"effect.{s}")
        for o in m.outputs:
            available.add(o)
            provided_by[o] = i
    needs = [False] * len(models)
    for m in models:
        for name in m.inputs:
            if name in provided_by:
                needs[provided_by[name]] = True
    return needs


def run_models(
    models: Sequence[DynamicModel],
    t_grid_h: Any,
    inputs_fn: Callable[[float], Mapping[str, Any]],
    n: int = 1,
    breakpoints: Iterable[float] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, np.ndarray]:
    r"""Integrate a list of dynamic models together with `scipy.integrate.solve_ivp`.

    The models are chained in order: each model's right-hand side sees the external inputs
    (``inputs_fn(t)``) plus ``effect.<state>`` and the outputs of the models listed before it.
    The states of all models form one vector; the method is ``"LSODA"`` when any model is stiff
    and ``"DOP853"`` otherwise. Integration restarts at every breakpoint (e.g. the on/off edges of a
    stress protocol, `StressProtocol.edges`) so the solver steps onto discontinuities of the
    inputs instead of across them.

    Parameters
    ----------
    models : sequence of DynamicModel
        In dependency order.
    t_grid_h : array_like
        Increasing output times (h); integration starts at the first, from each model's
        ``initial_state(n)``.
    inputs_fn : callable
        ``inputs_fn(t) -> dict`` of input name to a scalar or an array of length n
        (e.g. ``{"stress": proto.intensity(t), "signal.MOR": 0.1}``).
    n : int
        Number of subjects (every state is an array of length n).
    breakpoints : iterable of float, optional
        Times (h) where an input jumps.
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    dict of str to ndarray
        ``effect.<state>`` for every state and every model output, each of shape (n_times, n).

    Raises
    ------
    InputError
        A model reads an input nobody provides, state names clash, or the grid is not increasing.
    SolverError
        The solver fails, or a model returns non-finite derivatives (the message names the model
        and the time).
    """
    models = list(models)
    if not models:
        raise InputError("`models` is empty; give at least one DynamicModel.")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"`n` must be a positive integer (got {n!r}).")
    t = np.asarray(t_grid_h, dtype=float).ravel()
    if t.size < 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise InputError("`t_grid_h` must be finite and strictly increasing; give e.g. np.linspace(0, 504, 505).")
    base0 = _as_inputs(inputs_fn(float(t[0])), n)
    needs_observe = _check_wiring(models, base0)
    sizes = [len(m.states) for m in models]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    y0 = np.concatenate([np.asarray(m.initial_state(n), dtype=float).reshape(k, n) for m, k in zip(models, sizes)])

    def pool_at(tt: float, y: np.ndarray, want_derivs: bool) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        pool: dict[str, Any] = _as_inputs(inputs_fn(tt), n)
        derivs = []
        for i, m in enumerate(models):
            ym = y[offsets[i]:offsets[i + 1]]
            u = {k: pool[k] for k in m.inputs}
            if want_derivs:
                d = np.asarray(m.rhs(tt, ym, u), dtype=float)
                if not np.all(np.isfinite(d)):
                    raise _NonFinite(m.name, tt)
                derivs.append(d.reshape(len(m.states), n))
            for j, s in enumerate(m.states):
                pool[f"effect.{s}"] = ym[j]
            if needs_observe[i] or not want_derivs:
                pool.update({k: np.asarray(v, dtype=float) for k, v in m.observe(ym, u).items()})
        return pool, derivs

    # inputs inside a segment [a, b] are read on [a, b): at b an input may already have jumped
    # (protocols are right-continuous), and the solver's last stage must see the left limit
    segment = [float(t[0]), float(t[-1])]

    def fun(tt: float, yflat: np.ndarray) -> np.ndarray:
        t_in = min(max(tt, segment[0]), segment[1])
        _, derivs = pool_at(t_in, yflat.reshape(total, n), True)
        return np.concatenate(derivs).ravel()

    method = "LSODA" if any(getattr(m, "stiff", False) for m in models) else "DOP853"
    cuts = sorted({float(b) for b in ([] if breakpoints is None else breakpoints) if t[0] < float(b) < t[-1]})
    bounds = [float(t[0]), *cuts, float(t[-1])]
    ys = np.empty((t.size, total, n))
    ys[0] = y0.reshape(total, n)
    y_start = y0.ravel()
    names = ", ".join(f"'{m.name}'" for m in models)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        mask = (t > a) & (t <= b)
        segment[:] = [a, float(np.nextafter(b, a))]
        t_eval = np.union1d(t[mask], [b])  # always end on b, so the next segment starts from it
        try:
            sol = solve_ivp(fun, (a, b), y_start, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
        except _NonFinite as exc:
            raise SolverError(
                f"model '{exc.model}' returned non-finite derivatives at t = {exc.t:.6g} h; "
                "check its inputs and parameters there."
            ) from None
        if not sol.success:
            raise SolverError(
                f"solve_ivp ({method}) failed at t = {sol.t[-1]:.6g} h integrating {names}: {sol.message}; "
                "check the inputs for jumps (pass them as breakpoints) or loosen rtol."
            )
        keep = np.isin(sol.t, t[mask])
        ys[mask] = sol.y[:, keep].T.reshape(-1, total, n)
        y_start = sol.y[:, -1]
    out: dict[str, list[np.ndarray]] = {}
    for k, tt in enumerate(t):
        pool, _ = pool_at(float(tt), ys[k], False)
        for i, m in enumerate(models):
            for s in m.states:
                out.setdefault(f"effect.{s}", []).append(pool[f"effect.{s}"])
            for o in m.outputs:
                out.setdefault(o, []).append(np.broadcast_to(pool[o], (n,)))
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}

