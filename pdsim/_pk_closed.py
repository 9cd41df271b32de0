"""Closed forms of linear PK: chains of first-order steps, the compartment models built on them.

Every response of a linear compartment model is a weighted sum of "chains"; this module evaluates
them stably (coinciding rates included), sums the doses (superposed, or propagated exactly from one
output time to the next) and holds the model classes of `pdsim.pk`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._propagate import HAVE_NUMBA, njit
from .dosing import Dose, Regimen
from .errors import InputError, did_you_mean
from .units import as_float

__all__ = ["Term", "as_subjects", "parameter_value", "chain", "infusion_chain", "chain_ss", "infusion_chain_ss", "superpose", "propagate_term",
           "steady_profile", "auc_inf", "OneCompartment", "TwoCompartment", "Metabolite"]

#: A response term ``(weight, nodes)``: ``weight * chain(nodes, t)`` per unit input.
Term = tuple[Any, tuple[Any, ...]]

#: spread of the rates times t at or below which a divided difference uses its Taylor series
_SERIES_SPREAD = 2.0
#: terms of that series; with |rate - centre|·t <= 1 the remainder is below 1/24! ≈ 1.6e-24
_SERIES_TERMS = 24
_INV_FACT = np.array([1.0 / math.factorial(i) for i in range(_SERIES_TERMS + 8)])


def chain(nodes: Sequence[Any], t: Any) -> np.ndarray:
    r"""Convolution of the exponentials :math:`e^{-k_1 t} * \dots * e^{-k_m t}`, stable at coinciding rates.

    This is the amount in the last compartment of a chain of first-order steps after a unit input
    into the first (each step passing its amount on with unit rate constant):

    .. math:: g(k_1, \dots, k_m; t) = (-1)^{m-1}\, e^{-k t}[k_1, \dots, k_m]
              = \sum_i \frac{e^{-k_i t}}{\prod_{j \ne i} (k_j - k_i)}

    the divided difference of :math:`k \mapsto e^{-k t}`. Sorted rates are combined by the
    recursion :math:`g(k_1..k_m) = (g(k_1..k_{m-1}) - g(k_2..k_m))/(k_m - k_1)` when
    :math:`(k_m - k_1) t > 2`, and otherwise by the Taylor series about the midpoint :math:`c`
    (:math:`v_i = (k_i - c) t`, :math:`h_n` the complete homogeneous symmetric polynomials)

    .. math:: g = e^{-c t}\, t^{m-1} \sum_{n \ge 0} \frac{(-1)^n h_n(v_1, \dots, v_m)}{(m-1+n)!}

    which is exact at equal rates (:math:`g(k, k; t) = t e^{-k t}`) and has no cancellation near
    them. Two rates: the Bateman function without its prefactor.

    Parameters
    ----------
    nodes : sequence of float or array
        Rate constants in 1/h (>= 0), broadcast together and with ``t``.
    t : float or array
        Time since the input in h; the value is 0 for ``t < 0``.

    Returns
    -------
    ndarray
        :math:`g \ge 0` in h^(m-1), shape of the broadcast inputs.

    References
    ----------
    de Boor C. Divided differences. *Surveys in Approximation Theory* 2005;1:46–69 (Leibniz rule,
    recursion). McCurdy AC, Ng KC, Parlett BN. Accurate computation of divided differences of the
    exponential function. *Math Comp* 1984;43:501–528.
    """
    # sort the rates in their own (subject) shape, before they meet the times
    ks = np.sort(np.stack(np.broadcast_arrays(*[np.asarray(k, dtype=float) for k in nodes])), axis=0)
    t = np.asarray(t, dtype=float)
    out_shape = np.broadcast_shapes(ks.shape[1:], t.shape)
    shape = out_shape or (1,)
    ks = ks.reshape((len(ks),) + (1,) * (len(shape) + 1 - ks.ndim) + ks.shape[1:])  # align with `shape`
    # the recursion and the series element by element, compiled (`_chain_compiled`)
    flat_k = np.ascontiguousarray(np.broadcast_to(ks, (len(ks),) + shape).reshape(len(ks), -1))
    flat_t = np.ascontiguousarray(np.broadcast_to(t, shape), dtype=float).reshape(-1)
    return _chain_compiled(flat_k, flat_t, _INV_FACT).reshape(out_shape)


@njit(cache=True, nogil=True)
def _chain_compiled(ks, t, inv_fact):  # pragma: no cover - compiled
    """`chain` for each column: rates ``ks`` (m, N) sorted along axis 0, times ``t`` (N,) (0 where t < 0):
    the recursion of divided differences, and where (k_hi - k_lo) t <= `_SERIES_SPREAD` the Taylor series
    of `chain`'s docstring, element by element (no masks, no temporaries); g > 0 exactly, so the final
    max(., 0) only removes a rounding of subnormal underflow."""
    m, n = ks.shape
    out = np.empty(n)
    level = np.empty(m)
    hh = np.empty(_SERIES_TERMS + 1)
    for e in range(n):
        te = t[e]
        if not te >= 0.0:
            out[e] = 0.0
            continue
        for i in range(m):
            level[i] = np.exp(-ks[i, e] * te)
        for width in range(2, m + 1):
            for i in range(m - width + 1):
                lo, hi = ks[i, e], ks[i + width - 1, e]
                if (hi - lo) * te <= _SERIES_SPREAD:
                    centre = 0.5 * (lo + hi)
                    hh[0] = 1.0
                    for j in range(1, _SERIES_TERMS + 1):
                        hh[j] = 0.0
                    for r in range(i, i + width):
                        x = (ks[r, e] - centre) * te
                        for j in range(1, _SERIES_TERMS + 1):
                            hh[j] = hh[j] + x * hh[j - 1]
                    total = 0.0
                    for j in range(_SERIES_TERMS, -1, -1):
                        sign = 1.0 if j % 2 == 0 else -1.0
                        total += sign * hh[j] * inv_fact[width - 1 + j]
                    level[i] = np.exp(-centre * te) * te ** (width - 1) * total
                else:
                    level[i] = (level[i] - level[i + 1]) / (hi - lo)
        out[e] = max(level[0], 0.0)
    return out


def infusion_chain(nodes: Sequence[Any], t: Any, duration: float) -> np.ndarray:
    r"""Response of a chain to a unit-rate input lasting ``duration`` h (zero-order infusion).

    During the input it is the chain with a step (rate 0) in front; afterwards the amounts left in
    each compartment at the end of the input decay down the rest of the chain (Leibniz rule for
    divided differences), a sum of non-negative terms with no cancellation:

    .. math:: I(t) = \begin{cases} g(0, k_1..k_m; t) & 0 \le t \le D \\
              \sum_{j=1}^{m} g(0, k_1..k_j; D)\, g(k_j..k_m; t - D) & t > D \end{cases}

    Parameters
    ----------
    nodes : sequence of float or array
        Rates of the chain in 1/h.
    t : array
        Time since the start of the input in h (0 before it).
    duration : float
        Input duration D in h (> 0).
    """
    t = np.asarray(t, dtype=float)
    nodes = tuple(nodes)
    out = chain((0.0,) + nodes, np.minimum(t, duration))
    after = t > duration
    if np.any(after):
        s = t - duration
        tail = sum(chain((0.0,) + nodes[:j], duration) * chain(nodes[j - 1:], s) for j in range(1, len(nodes) + 1))
        out = np.where(after, tail, out)
    return out


def chain_ss(nodes: Sequence[Any], t: Any, every: float) -> np.ndarray:
    r"""Steady state of a chain dosed every ``every`` h: :math:`\sum_{n \ge 0} g(k; t + n\tau)`.

    For one rate this is the accumulation factor of Gibaldi & Perrier,
    :math:`e^{-k t} / (1 - e^{-k \tau})`. For a chain, the amounts just after a dose at steady
    state, :math:`x = (I - E_\tau)^{-1} e_1` with :math:`E_\tau[i, j] = g(k_j..k_i; \tau)`, are
    found by forward substitution (every term non-negative), then decay down the chain:

    .. math:: x_1 = \frac{1}{1 - e^{-k_1\tau}},\quad
              x_i = \frac{\sum_{j<i} g(k_j..k_i; \tau)\, x_j}{1 - e^{-k_i\tau}},\quad
              C_{ss}(t) = \sum_l g(k_l..k_m; t)\, x_l

    Parameters
    ----------
    nodes : sequence of float or array
        Rates of the chain in 1/h (> 0).
    t : array
        Time since the last dose in h, 0 <= t <= ``every``.
    every : float
        Dosing interval τ in h.

    References
    ----------
    Gibaldi M, Perrier D. *Pharmacokinetics*, 2nd ed. New York: Marcel Dekker; 1982, ch. 3
    (multiple dosing, accumulation factor 1/(1 − e^{−kτ})).
    """
    nodes = tuple(nodes)
    x: list[Any] = []
    for i, k in enumerate(nodes):
        inflow = 1.0 if i == 0 else sum(chain(nodes[j:i + 1], every) * x[j] for j in range(i))
        x.append(inflow / -np.expm1(-np.asarray(k, dtype=float) * every))
    return sum(chain(nodes[l:], t) * x[l] for l in range(len(nodes)))


def infusion_chain_ss(nodes: Sequence[Any], t: Any, every: float, duration: float) -> np.ndarray:
    r"""Steady state of a unit-rate infusion of ``duration`` h repeated every ``every`` h.

    Sums the infusions still running at time t after the last start (any duration, also longer
    than the interval) and adds the steady state of what the finished ones left behind:

    .. math:: \sum_{n:\, t + n\tau \le D} g(0, k; t + n\tau)
              + \sum_j g(0, k_1..k_j; D)\, \mathrm{chain\_ss}(k_j..k_m;\; t + n_0\tau - D)

    with :math:`n_0` the first n for which :math:`t + n\tau > D`.
    """
    nodes = tuple(nodes)
    t = np.asarray(t, dtype=float)
    out = np.zeros(np.broadcast_shapes(t.shape, *[np.shape(k) for k in nodes]))
    for n in range(int(math.ceil(duration / every)) + 1):
        s = t + n * every
        out = out + np.where(s <= duration, chain((0.0,) + nodes, np.minimum(s, duration)), 0.0)
    n0 = np.where(t <= duration, np.floor((duration - t) / every) + 1, 0.0)
    s0 = t + n0 * every - duration
    return out + sum(chain((0.0,) + nodes[:j], duration) * chain_ss(nodes[j - 1:], s0, every)
                     for j in range(1, len(nodes) + 1))


def superpose(terms_for: Callable[[str], tuple[list[Term], Any]], events: Iterable[Any], times: np.ndarray,
              shape: tuple[int, ...], method: str = "auto") -> np.ndarray:
    r"""Sum the responses to every dose, exactly: closed forms superposed, or propagated step by step.

    .. math:: y(t) = \sum_{\text{doses } d} \sum_{\text{terms}} w\, a_d\,
              g(k; t - t_d - t_{lag})

    (with the infusion kernel for zero-order inputs). ``"superpose"`` evaluates every dose at every
    later output time, vectorised over subjects and times: O(doses × times). ``"propagate"``
    (`propagate_term`) carries the amounts along each term's chain from one output time to the
    next with the chain's exact transition matrix and adds the doses of each interval: O(doses +
    times), the same closed forms, equal to rounding. ``"auto"`` propagates the doses of a route
    when there are `PROPAGATE_MIN_TIMES` output times or more and either `PROPAGATE_MIN_DOSES`
    doses or `PROPAGATE_MIN_WORK` (dose, time, subject) evaluations (and numba is installed), and
    superposes otherwise (and for non-finite times and infusions with a per-subject lag).

    Parameters
    ----------
    terms_for : callable
        ``route -> (terms, lag)``: the response terms per unit amount for that route and the lag
        time in h (float or array (n_subj, 1)).
    events : iterable of Dose
        Anything with ``time``, ``amount``, ``route`` and ``duration``.
    times : ndarray (n_times,)
        Output times in h (any order).
    shape : tuple
        ``()`` for one subject or ``(n_subj,)``.
    method : {"auto", "superpose", "propagate"}
        How to sum the doses (see above).

    Returns
    -------
    ndarray
        Shape ``shape + (n_times,)``.
    """
    if method not in ("auto", "superpose", "propagate"):
        raise InputError(f"`method` must be 'auto', 'superpose' or 'propagate' (got {method!r}).")
    out = np.zeros(shape + times.shape)
    by_route: dict[str, list[Any]] = {}
    for ev in events:
        by_route.setdefault(ev.route, []).append(ev)
    for route, group in by_route.items():
        terms, lag = terms_for(route)
        doses = [ev for ev in group if ev.amount != 0]
        if not doses:
            continue
        step = method == "propagate" or (method == "auto" and _worth_propagating(len(doses), times, shape))
        if step and _can_propagate(route, lag, times):
            _propagate_doses(terms, lag, doses, times, out)
        else:
            _superpose_doses(terms, lag, doses, times, out)
    return out


def _propagate_doses(terms: list[Term], lag: Any, doses: Sequence[Any], times: np.ndarray, out: np.ndarray) -> None:
    """Add the propagated response of every term to ``out`` (straight into it when ``times`` is sorted)."""
    n_out = out.shape[0] if out.ndim == 2 else 1
    ordered = bool(np.all(times[1:] >= times[:-1]))
    # the k-th sorted time is written to column col[k] of ``out`` directly (no temporary and no
    # scatter-add of a reordered copy: the engine's stage times are not sorted)
    col = np.arange(times.size, dtype=np.int64) if ordered else np.argsort(times, kind="stable").astype(np.int64)
    ts = np.ascontiguousarray(times[col], dtype=float)
    acc = out.reshape(n_out, times.size)
    view = np.shares_memory(acc, out)
    if not view:  # a non-contiguous ``out``: accumulate apart, add once
        acc = np.zeros((n_out, times.size))
    for w, nodes in terms:
        _propagate_into(acc, w, nodes, lag, doses, ts, col)
    if not view:
        out.reshape(n_out, times.size)[...] += acc


def _superpose_doses(terms: list[Term], lag: Any, doses: Sequence[Any], times: np.ndarray, out: np.ndarray) -> None:
    """Add every dose's closed-form response at every output time at or after it to ``out``."""
    tt = times if out.ndim == 1 else times[None, :]
    for ev in doses:
        start = ev.time + lag
        cols = times >= np.min(start)
        if not cols.any():
            continue
        tau = tt[..., cols] - start
        if ev.route == "iv_infusion":
            rate = ev.amount / ev.duration
            contrib = sum(w * infusion_chain(nodes, tau, ev.duration) for w, nodes in terms) * rate
        else:
            contrib = sum(w * chain(nodes, tau) for w, nodes in terms) * ev.amount
        out[..., cols] += contrib


# --- exact propagation from one output time to the next -----------------------------------------
#: `superpose` ("auto") propagates the doses of a route when there are this many output times ...
PROPAGATE_MIN_TIMES = 16
#: ... and this many doses, or fewer doses but this many (dose, time, subject) evaluations to
#: save; below, superposition is as fast (measured: propagation costs about 2 ms per route to set up)
PROPAGATE_MIN_DOSES = 5
PROPAGATE_MIN_WORK = 20_000
#: bytes of transition matrices held at once (more distinct step lengths are done in blocks of steps)
_MATRIX_BUDGET = 32 * 2**20


def _worth_propagating(n_doses: int, times: np.ndarray, shape: tuple[int, ...]) -> bool:
    work = n_doses * times.size * (shape[0] if shape else 1)
    enough = n_doses >= PROPAGATE_MIN_DOSES or work >= PROPAGATE_MIN_WORK
    return HAVE_NUMBA and times.size >= PROPAGATE_MIN_TIMES and enough


def _can_propagate(route: str, lag: Any, times: np.ndarray) -> bool:
    """Cases the propagator does not take: non-finite times, infusions with a per-subject lag."""
    if times.size == 0 or not np.all(np.isfinite(times)):
        return False
    return route != "iv_infusion" or np.ndim(lag) == 0


def _column(v: Any) -> Any:
    """A rate, weight or lag as a float or an array (n, 1) over subjects."""
    return float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float).reshape(-1, 1)


def _rows(v: Any, n_cols: int) -> np.ndarray:
    """``v`` (a float, (n_cols,), (n, 1) or (n, n_cols)) as a C-contiguous (n or 1, n_cols) array."""
    v = np.asarray(v, dtype=float)
    v = v.reshape(1, -1) if v.ndim < 2 else v
    return np.ascontiguousarray(np.broadcast_to(v, (v.shape[0], n_cols)))


def _prefix_values(nodes: tuple[Any, ...], fn: Callable[..., Any], *args: Any) -> np.ndarray:
    """``fn(nodes[:i+1], *args)`` for i = 0..m-1, stacked on a last axis: (n or 1, n_entries, m)."""
    n_cols = np.shape(args[0])[-1]
    vals = [_rows(fn(nodes[:i + 1], *args), n_cols) for i in range(len(nodes))]
    n = max(v.shape[0] for v in vals)
    return np.ascontiguousarray(np.stack([np.broadcast_to(v, (n, n_cols)) for v in vals], axis=-1))


def _bolus_entries(nodes: tuple[Any, ...], lag: Any, doses: Sequence[Any], ts: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    r"""Where (output index, per subject) and how much (amounts along the chain) each bolus enters.

    A bolus :math:`a` whose input :math:`s = t_d + t_{lag}` falls in :math:`(t_{k-1}, t_k]` (or at
    or before :math:`t_0`, k = 0) is added at :math:`t_k` as :math:`a\, g(k_1..k_{i+1}; t_k - s)`
    in compartment i; k = n_times (after the last output) is never reached.
    """
    order = np.argsort([ev.time for ev in doses], kind="stable")
    t_d = np.array([doses[i].time for i in order], dtype=float)
    amount = np.array([doses[i].amount for i in order], dtype=float)
    start = t_d[None, :] + np.asarray(lag, dtype=float).reshape(-1, 1)  # (1 or n, n_doses), sorted along axis 1
    k = np.searchsorted(ts, start, side="left")
    tau = ts[np.minimum(k, ts.size - 1)] - start  # < 0 where k = n_times: the chain gives 0 there
    if tau.shape[0] == 1:  # one lag: doses on a regular grid share a handful of offsets
        offsets, which = np.unique(tau, return_inverse=True)
        vals = _prefix_values(nodes, chain, offsets)[:, which.reshape(-1), :]
    else:
        vals = _prefix_values(nodes, chain, tau)
    vals = vals * amount[None, :, None]
    return np.ascontiguousarray(k, dtype=np.int64), vals


def _infusion_entries(nodes: tuple[Any, ...], lag: float, doses: Sequence[Any], ts: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Entries of zero-order inputs and the rate over the steps they cover completely.

    An infusion of rate r over :math:`[s, e]` contributes to the amounts at :math:`t_k` through
    `infusion_chain` (non-negative, no cancellation) in the step where it starts and in the step
    where it ends, and as the rate :math:`r` over every step in between (see `propagate_term`):

    - starts and ends in :math:`(t_{k-1}, t_k]`: :math:`r\, I(t_k - s;\, e - s)` at :math:`t_k`;
    - otherwise :math:`r\, I(t_k - s;\, t_k - s) = r\, g(0, k_1..k_{i+1}; t_k - s)` at the first
      :math:`t_k \ge s`, and :math:`r\, I(t_j - t_{j-1};\, D - (t_{j-1} - s))` at the first
      :math:`t_j \ge e` (:math:`D = e - s`).

    Returns ``(k (1, n_entries), values (n or 1, n_entries, m), rate (n_times,))``.
    """
    n_t = ts.size
    rate = np.zeros(n_t)
    at, t_in, dur, r_in = [], [], [], []
    for ev in doses:
        s, D = ev.time + lag, ev.duration
        r = ev.amount / D
        ks, ke = (int(i) for i in np.searchsorted(ts, [s, s + D], side="left"))
        # ke: the first output with t - s >= D, as superposition decides (s + D is rounded)
        while ke > ks and ts[ke - 1] - s >= D:
            ke -= 1
        while ke < n_t and ts[ke] - s < D:
            ke += 1
        if ks == ke:  # within one step (or wholly before t_0)
            at.append(ks), t_in.append(ts[min(ks, n_t - 1)] - s), dur.append(D), r_in.append(r)
            continue
        if ts[ks] > s:  # (an infusion starting at t_k adds nothing there)
            at.append(ks), t_in.append(ts[ks] - s), dur.append(ts[ks] - s), r_in.append(r)
        rate[ks + 1:ke] += r
        if ke < n_t:  # the rest of D, not e - t_{k-1}: the pieces add up to D itself
            at.append(ke), t_in.append(ts[ke] - ts[ke - 1]), dur.append(D - (ts[ke - 1] - s)), r_in.append(r)
    at_a = np.array(at, dtype=np.int64)
    keep = np.flatnonzero(at_a < n_t)
    keep = keep[np.argsort(at_a[keep], kind="stable")]
    vals = _prefix_values(nodes, infusion_chain, np.array(t_in)[keep], np.array(dur)[keep])
    vals = vals * np.array(r_in)[keep][None, :, None]
    return np.ascontiguousarray(at_a[keep][None, :]), vals, rate


def _step_matrices(nodes: tuple[Any, ...], steps: np.ndarray, infusion: bool) -> tuple[np.ndarray, np.ndarray]:
    r"""Transition matrices :math:`E(\Delta)[i, j] = g(k_{j+1}..k_{i+1}; \Delta)` for each step length,
    as (n or 1, n_steps, m, m), and the amounts :math:`g(0, k_1..k_{i+1}; \Delta)` a unit rate adds
    over a step, (n or 1, n_steps, m) (zeros (1, 1, m) when there is no infusion)."""
    m = len(nodes)
    cells = {(i, j): _rows(chain(nodes[j:i + 1], steps), steps.size) for i in range(m) for j in range(i + 1)}
    n = max(v.shape[0] for v in cells.values())
    E = np.zeros((n, steps.size, m, m))
    for (i, j), v in cells.items():
        E[:, :, i, j] = v
    F = _prefix_values(nodes, lambda nd, d: chain((0.0,) + nd, d), steps) if infusion else np.zeros((1, 1, m))
    return E, F


@njit(cache=True, nogil=True, inline="always")
def _advance3(E, step, F, rate, ent_k, ent_v, ws, x, p, k0, k1, col, out, s, se, sf, sk, sv):  # pragma: no cover - compiled
    """`_advance` for one subject of a three-compartment chain, the state in registers."""
    n_ent = ent_k.shape[1]
    x0, x1, x2 = x[s, 0], x[s, 1], x[s, 2]
    for k in range(k0, k1):
        if k > 0:
            u = step[k]
            x2 = E[se, u, 2, 0] * x0 + E[se, u, 2, 1] * x1 + E[se, u, 2, 2] * x2
            x1 = E[se, u, 1, 0] * x0 + E[se, u, 1, 1] * x1
            x0 = E[se, u, 0, 0] * x0
            r = rate[k]
            if r != 0.0:
                x0 += r * F[sf, u, 0]
                x1 += r * F[sf, u, 1]
                x2 += r * F[sf, u, 2]
        while p < n_ent and ent_k[sk, p] == k:
            x0 += ent_v[sv, p, 0]
            x1 += ent_v[sv, p, 1]
            x2 += ent_v[sv, p, 2]
            p += 1
        out[s, col[k]] += ws * x2
    x[s, 0], x[s, 1], x[s, 2] = x0, x1, x2
    return p


@njit(cache=True, nogil=True)  # chunks of subjects propagate in parallel threads
def _advance(E, step, F, rate, ent_k, ent_v, w, x, ptr, k0, k1, col, out):  # pragma: no cover - compiled
    """Steps k0..k1-1 of `propagate_term` for every subject (state ``x`` and entry pointer ``ptr``
    carried between calls), step k's value added to ``out[s, col[k]]``; arrays with a first axis of 1
    are shared by all subjects."""
    m = x.shape[1]
    n_ent = ent_k.shape[1]
    for s in range(out.shape[0]):
        se = s if E.shape[0] > 1 else 0
        sf = s if F.shape[0] > 1 else 0
        sk = s if ent_k.shape[0] > 1 else 0
        sv = s if ent_v.shape[0] > 1 else 0
        ws = w[s if w.shape[0] > 1 else 0]
        p = ptr[s]
        if m == 3:  # the common chains (oral to effect site, or three rates) unrolled: same sums, same order
            p = _advance3(E, step, F, rate, ent_k, ent_v, ws, x, p, k0, k1, col, out, s, se, sf, sk, sv)
            ptr[s] = p
            continue
        for k in range(k0, k1):
            if k > 0:
                u = step[k]
                for i in range(m - 1, -1, -1):  # x <- E x, lower triangular: from the last row up
                    acc = 0.0
                    for j in range(i + 1):
                        acc += E[se, u, i, j] * x[s, j]
                    x[s, i] = acc
                if rate[k] != 0.0:
                    for i in range(m):
                        x[s, i] += rate[k] * F[sf, u, i]
            while p < n_ent and ent_k[sk, p] == k:
                for i in range(m):
                    x[s, i] += ent_v[sv, p, i]
                p += 1
            out[s, col[k]] += ws * x[s, m - 1]
        ptr[s] = p


def propagate_term(w: Any, nodes: Sequence[Any], lag: Any, doses: Sequence[Any], times: np.ndarray,
                   shape: tuple[int, ...]) -> np.ndarray:
    r"""Response of one term :math:`w\, g(k_1..k_m; \cdot)` to ``doses``, propagated exactly between output times.

    The term is a chain of m first-order compartments (rates :math:`k_1..k_m`, unit transfer, the
    response read in the last). With :math:`x(t)` the amounts along the chain (a bolus enters the
    first), between inputs :math:`x(t + \Delta) = E(\Delta)\, x(t)` with the lower-triangular

    .. math:: E(\Delta)_{ij} = g(k_{j}, \dots, k_{i}; \Delta) \quad (j \le i)

    (the closed form of `chain`, stable at coinciding rates), so over the output times
    :math:`t_0 < t_1 < \dots`

    .. math:: x(t_{k}) = E(t_k - t_{k-1})\, x(t_{k-1})
              + \sum_{s_d \in (t_{k-1}, t_k]} a_d\, g(k_1..k_i; t_k - s_d)_{i=1..m}
              + r_k\, g(0, k_1..k_i; t_k - t_{k-1})_{i=1..m},
              \qquad y(t_k) = w\, x_m(t_k)

    with :math:`s_d = t_d + t_{lag}` (doses at or before :math:`t_0` enter :math:`x(t_0)` the same
    way) and :math:`r_k` the infusion rate running through the whole step; the steps where an
    infusion starts or stops get its exact partial input (`_infusion_entries`). Every entry of
    :math:`E`, every input and every weight is non-negative, so the recursion adds non-negative
    numbers only: relative rounding of order (number of steps) × machine epsilon, no cancellation.
    :math:`E` is computed once per distinct step length (one for an even grid). Cost
    O(m²·(times + doses)) per subject instead of O(m²·times·doses); the loop is compiled with numba.

    Parameters
    ----------
    w : float or array (n_subj, 1)
        Weight of the term.
    nodes : sequence of float or array (n_subj, 1)
        Rates :math:`k_1..k_m` in 1/h (> 0).
    lag : float or array (n_subj, 1)
        Lag time in h (a float for infusions).
    doses : sequence of Dose
        All of one route: boluses (any route but "iv_infusion") or infusions.
    times : ndarray (n_times,)
        Output times in h, finite, in any order (repeats allowed).
    shape : tuple
        ``()`` for one subject or ``(n_subj,)``.

    Returns
    -------
    ndarray
        Shape ``shape + (n_times,)``.
    """
    out = np.zeros(shape + times.shape)
    _propagate_doses([(w, tuple(nodes))], lag, doses, times, out)
    return out


def _propagate_into(out: np.ndarray, w: Any, nodes: Sequence[Any], lag: Any, doses: Sequence[Any],
                    ts: np.ndarray, col: np.ndarray) -> None:
    """`propagate_term` for sorted times ``ts``, the value at ``ts[k]`` added to ``out[:, col[k]]``
    (out: (n_subj or 1, n_times)) in place."""
    nodes = tuple(_column(k) for k in nodes)
    m = len(nodes)
    n_t = ts.size
    infusion = any(ev.route == "iv_infusion" for ev in doses)
    if infusion:
        ent_k, ent_v, rate = _infusion_entries(nodes, float(lag), doses, ts)
    else:
        (ent_k, ent_v), rate = _bolus_entries(nodes, lag, doses, ts), np.zeros(n_t)
    if ent_v.shape[1] == 0:
        ent_v = np.zeros((1, 0, m))
    x = np.zeros((out.shape[0], m))
    ptr = np.zeros(out.shape[0], dtype=np.int64)
    wv = _rows(_column(w), 1)[:, 0].copy()
    d = np.concatenate([[0.0], np.diff(ts)])  # d[k]: length of step k (k >= 1)
    n_rates = max([np.size(k) for k in nodes])
    block = max(1, _MATRIX_BUDGET // (8 * n_rates * m * (m + 1)))  # distinct step lengths held at once
    step = np.zeros(n_t, dtype=np.int64)
    k0 = 0
    while k0 < n_t:  # one block for an even grid; blocks of `block` distinct lengths otherwise
        uniq, first, inv = np.unique(d[k0:], return_index=True, return_inverse=True)
        k1 = n_t if uniq.size <= block else k0 + int(np.sort(first)[block])
        if k1 < n_t:
            uniq, inv = np.unique(d[k0:k1], return_inverse=True)
        step[k0:k1] = inv[:k1 - k0]
        E, F = _step_matrices(nodes, uniq, infusion)
        _advance(E, step, F, rate, ent_k, ent_v, wv, x, ptr, k0, k1, col, out)
        k0 = k1


def steady_profile(terms: list[Term], lag: Any, t: np.ndarray, amount: float, every: float, route: str,
                   duration: float = 0.0) -> np.ndarray:
    r"""Steady-state response over one interval, :math:`\sum_{n\ge0} r(t + n\tau)`, in closed form.

    ``t`` runs over [0, τ] from the last dose (at t = τ the left limit before the next dose). A lag
    time is included exactly: the response is shifted by the lag, and times before the lagged
    input of the last dose take the previous doses' contributions.
    """
    t = np.asarray(t, dtype=float)
    if route == "iv_infusion":
        rate = amount / duration
        return sum(w * infusion_chain_ss(nodes, t, every, duration) for w, nodes in terms) * rate
    s = t - lag
    s = s + np.maximum(np.ceil(-s / every), 0.0) * every  # the doses whose lagged input has happened
    return sum(w * chain_ss(nodes, s, every) for w, nodes in terms) * amount


def auc_inf(terms: list[Term]) -> Any:
    r"""Area under the response to a unit input, :math:`\int_0^\infty g = 1/\prod_i k_i` per term."""
    return sum(w / np.prod(np.stack(np.broadcast_arrays(*[np.asarray(k, float) for k in nodes])), axis=0)
               for w, nodes in terms)


# --- the models -------------------------------------------------------------------------------
_OUTPUTS = ("amount", "conc", "effect")
LN2 = math.log(2.0)


def as_times(times: Any) -> np.ndarray:
    t = np.atleast_1d(np.asarray(as_float(times, "h", "times"), dtype=float))
    if t.ndim != 1:
        raise InputError(f"`times` must be one-dimensional (got shape {t.shape}); give e.g. numpy.linspace(0, 24, 241).")
    return t


def check_output(output: str) -> None:
    if output not in _OUTPUTS:
        raise InputError(f"`output` must be one of {', '.join(_OUTPUTS)} (got {output!r}).{did_you_mean(output, _OUTPUTS)}")


def as_events(events: Any) -> tuple[Dose, ...]:
    if isinstance(events, Dose):
        return (events,)
    if isinstance(events, Regimen):
        return events.events
    return Regimen(tuple(events)).events


def parameter_value(value: Any, unit: str, name: str, **rule: bool) -> Any:
    """A model parameter in ``unit`` as a float or a 1-D array over subjects (checked by ``rule``,
    e.g. ``positive=True``); anything else raises an InputError naming it."""
    v = as_float(value, unit, name, **rule)
    if np.ndim(v) > 1:
        raise InputError(f"`{name}` must be a number or a 1-D array over subjects (got shape {np.shape(v)}).")
    return v


class LinearModel:
    """What the one- and two-compartment models and `Metabolite` share.

    Subclasses give `_disposition` (central amount after a unit iv bolus, as chain terms), the
    elimination rate `_k10` and `_ode_core`; parameters are floats or arrays over subjects.
    """

    shape: tuple[int, ...] = ()

    def _common(self, V: Any, ka: Any, F: Any, tlag: Any, ke0: Any, F_ip: Any) -> None:
        self.V = self._arg(V, "L", "V", positive=True)
        self.ka = None if ka is None else self._arg(ka, "1/h", "ka", positive=True)
        self.F = self._arg(F, "dimensionless", "F", nonnegative=True)
        self.tlag = self._arg(tlag, "h", "tlag", nonnegative=True)
        self.ke0 = None if ke0 is None else self._arg(ke0, "1/h", "ke0", positive=True)
        self.F_ip = None if F_ip is None else self._arg(F_ip, "dimensionless", "F_ip", nonnegative=True)

    _arg = staticmethod(parameter_value)

    def _set_shape(self, *values: Any) -> None:
        try:
            self.shape = tuple(np.broadcast_shapes(*[np.shape(v) for v in values if v is not None]))
        except ValueError:
            raise InputError("parameter arrays must all have the same number of subjects; give arrays of one length.") from None

    def _col(self, v: Any) -> Any:
        """A parameter shaped to broadcast against times: (n_subj, 1), or a float."""
        return v if np.ndim(v) == 0 else np.asarray(v)[:, None]

    # --- the pieces each model gives ------------------------------------------------
    def _disposition(self) -> list[Term]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _k10(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def central_terms(self, route: str) -> tuple[list[Term], Any]:
        """Central amount per unit dose by ``route``, as chain terms, and the lag time."""
        disp = self._disposition()
        if route in ("iv_bolus", "iv_infusion"):
            return disp, 0.0
        if self.ka is None:
            raise InputError(f"route '{route}' needs the absorption rate `ka`; give ka=... in 1/h, or dose iv_bolus.")
        if route == "oral":
            f, lag = self.F, self._col(self.tlag)
        elif self.F_ip is None:
            raise InputError(f"route '{route}' needs `F_ip`, the bioavailability of ip and sc doses; give F_ip=... (0 to 1).")
        else:
            f, lag = self.F_ip, 0.0
        ka, f = self._col(self.ka), self._col(f)
        return [(f * ka * w, (ka,) + nodes) for w, nodes in disp], lag

    def response_terms(self, route: str, output: str) -> tuple[list[Term], Any]:
        """Terms of ``output`` per unit dose by ``route`` (mg, or mg/L for conc and effect), and the lag."""
        check_output(output)
        terms, lag = self.central_terms(route)
        if output == "amount":
            return terms, lag
        V = self._col(self.V)
        if output == "conc":
            return [(w / V, nodes) for w, nodes in terms], lag
        if self.ke0 is None:
            raise InputError("the effect site needs `ke0`, the effect-site equilibration rate; give ke0=... in 1/h.")
        ke0 = self._col(self.ke0)
        return [(w * ke0 / V, nodes + (ke0,)) for w, nodes in terms], lag

    def response(self, times: Any, events: Any, output: str = "conc") -> np.ndarray:
        """``output`` ("amount" mg, "conc" mg/L, "effect" mg/L) at ``times`` (h) after ``events``.

        Returns shape (n_times,) for one subject, (n_subj, n_times) for parameter arrays.
        """
        check_output(output)
        return superpose(lambda r: self.response_terms(r, output), as_events(events), as_times(times), self.shape)

    def amount(self, times: Any, events: Any) -> np.ndarray:
        """Amount in the central compartment, mg."""
        return self.response(times, events, "amount")

    def conc(self, times: Any, events: Any) -> np.ndarray:
        """Central (plasma) concentration, mg/L."""
        return self.response(times, events, "conc")

    def effect(self, times: Any, events: Any) -> np.ndarray:
        r"""Effect-site concentration, mg/L: :math:`dC_e/dt = k_{e0}(C - C_e)`, in closed form."""
        return self.response(times, events, "effect")

    @property
    def half_life(self) -> Any:
        """Terminal half-life ln 2 / λz in h, λz the slowest disposition rate (absorption not included)."""
        lam = np.min(np.stack(np.broadcast_arrays(*[np.asarray(n[0], float) for _, n in self._disposition()])), axis=0)
        return as_subjects(LN2 / lam)

    def subject(self, i: int) -> "LinearModel":
        """The same model with every parameter array reduced to subject ``i``."""
        return type(self)(**{k: (np.asarray(v)[i] if isinstance(v, np.ndarray) else v) for k, v in self.kwargs().items()})

    def kwargs(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def ode_system(self) -> tuple[np.ndarray, dict[str, tuple[int, float, float]], dict[str, tuple[int, float]]]:
        """Linear ODE of one subject: matrix A (amounts; effect site as concentration), where each
        route puts its dose (state, fraction, lag), and where each output is read (state, scale)."""
        core = self._ode_core()
        m = core.shape[0]
        n = 1 + m + (self.ke0 is not None)
        A = np.zeros((n, n))
        ka = 0.0 if self.ka is None else float(self.ka)
        A[0, 0], A[1, 0] = -ka, ka
        A[1:1 + m, 1:1 + m] = core
        if self.ke0 is not None:
            A[-1, 1], A[-1, -1] = self.ke0 / self.V, -self.ke0
        f_ip = 0.0 if self.F_ip is None else float(self.F_ip)
        entries = {"oral": (0, float(self.F), float(self.tlag)), "ip": (0, f_ip, 0.0), "sc": (0, f_ip, 0.0),
                   "iv_bolus": (1, 1.0, 0.0), "iv_infusion": (1, 1.0, 0.0)}
        outputs = {"amount": (1, 1.0), "conc": (1, 1.0 / float(self.V)), "effect": (n - 1, 1.0)}
        return A, entries, outputs

    def _ode_core(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def as_subjects(x: Any) -> Any:
    """A float for one subject, else a 1-D array over subjects (a derived parameter, e.g. a half-life)."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x.reshape(-1)


class OneCompartment(LinearModel):
    r"""One-compartment model with optional first-order absorption and effect site.

    .. math:: \frac{dA_g}{dt} = -k_a A_g,\quad \frac{dA}{dt} = k_a A_g - k A + R(t),\quad
              \frac{dC_e}{dt} = k_{e0}\left(\frac{A}{V} - C_e\right),\quad k = CL/V

    An oral dose D at time 0 (lag :math:`t_{lag}`) gives the Bateman function

    .. math:: C(t) = \frac{F D k_a}{V (k_a - k)}\left(e^{-k(t - t_{lag})} - e^{-k_a (t - t_{lag})}\right)

    (its limit :math:`F D k t\, e^{-k t}/V` at :math:`k_a = k` is used there); doses superpose.

    Parameters
    ----------
    CL : float or array
        Clearance, L/h.
    V : float or array
        Volume of distribution, L.
    ka : float or array, optional
        First-order absorption rate, 1/h (oral, ip, sc doses).
    F : float or array
        Oral bioavailability (default 1).
    tlag : float or array
        Oral absorption lag time, h (default 0).
    ke0 : float or array, optional
        Effect-site equilibration rate, 1/h.
    F_ip : float or array, optional
        Bioavailability of ip and sc doses (absorbed with ka, no lag).

    References
    ----------
    Gibaldi M, Perrier D. *Pharmacokinetics*, 2nd ed. Marcel Dekker; 1982, ch. 1–3.
    Sheiner LB, Stanski DR, Vozeh S, Miller RD, Ham J. Simultaneous modeling of pharmacokinetics
    and pharmacodynamics: application to d-tubocurarine. *Clin Pharmacol Ther* 1979;25:358–371.
    doi:10.1002/cpt1979253358
    """

    def __init__(self, CL: Any, V: Any, ka: Any = None, F: Any = 1.0, tlag: Any = 0.0, ke0: Any = None, F_ip: Any = None):
        self.CL = self._arg(CL, "L/h", "CL", positive=True)
        self._common(V, ka, F, tlag, ke0, F_ip)
        self._set_shape(self.CL, self.V, self.ka, self.F, self.tlag, self.ke0, self.F_ip)

    def kwargs(self) -> dict[str, Any]:
        return dict(CL=self.CL, V=self.V, ka=self.ka, F=self.F, tlag=self.tlag, ke0=self.ke0, F_ip=self.F_ip)

    def _k10(self) -> Any:
        return self._col(self.CL) / self._col(self.V)

    @property
    def k(self) -> Any:
        """Elimination rate constant CL/V, 1/h."""
        return as_subjects(np.asarray(self.CL) / np.asarray(self.V))

    def _disposition(self) -> list[Term]:
        return [(1.0, (self._k10(),))]

    def _ode_core(self) -> np.ndarray:
        return np.array([[-float(self.CL) / float(self.V)]])

    def __repr__(self) -> str:
        return f"OneCompartment(CL={self.CL}, V={self.V}, ka={self.ka}, F={self.F}, tlag={self.tlag}, ke0={self.ke0})"


class TwoCompartment(LinearModel):
    r"""Two-compartment model (central V, peripheral V2, inter-compartmental clearance Q).

    .. math:: \frac{dA_1}{dt} = k_a A_g - (k_{10} + k_{12}) A_1 + k_{21} A_2 + R(t),\quad
              \frac{dA_2}{dt} = k_{12} A_1 - k_{21} A_2

    with :math:`k_{10} = CL/V`, :math:`k_{12} = Q/V`, :math:`k_{21} = Q/V_2`. After a unit iv bolus
    :math:`A_1(t) = [(\alpha - k_{21}) e^{-\alpha t} + (k_{21} - \beta) e^{-\beta t}]/(\alpha - \beta)`,
    where the macro-constants are the roots of :math:`s^2 - (k_{10}+k_{12}+k_{21}) s + k_{10} k_{21}`:

    .. math:: \alpha, \beta = \tfrac12\left(k_{10}+k_{12}+k_{21} \pm
              \sqrt{(k_{10}+k_{12}-k_{21})^2 + 4 k_{12} k_{21}}\right)

    (β computed as :math:`k_{10}k_{21}/\alpha`, and the weights through
    :math:`(\alpha - k_{21})(k_{21} - \beta) = k_{12} k_{21}`, free of cancellation). Oral and effect
    site responses are these two terms convolved with the absorption and ke0 steps.

    Parameters
    ----------
    CL, V, Q, V2 : float or array
        Clearance (L/h), central volume (L), inter-compartmental clearance (L/h), peripheral
        volume (L).
    ka, F, tlag, ke0, F_ip
        As for `OneCompartment`.

    References
    ----------
    Gibaldi M, Perrier D. *Pharmacokinetics*, 2nd ed. Marcel Dekker; 1982, ch. 2 (two-compartment
    model, α and β).
    """

    def __init__(self, CL: Any, V: Any, Q: Any, V2: Any, ka: Any = None, F: Any = 1.0, tlag: Any = 0.0,
                 ke0: Any = None, F_ip: Any = None):
        self.CL = self._arg(CL, "L/h", "CL", positive=True)
        self.Q = self._arg(Q, "L/h", "Q", positive=True)
        self.V2 = self._arg(V2, "L", "V2", positive=True)
        self._common(V, ka, F, tlag, ke0, F_ip)
        self._set_shape(self.CL, self.V, self.Q, self.V2, self.ka, self.F, self.tlag, self.ke0, self.F_ip)

    def kwargs(self) -> dict[str, Any]:
        return dict(CL=self.CL, V=self.V, Q=self.Q, V2=self.V2, ka=self.ka, F=self.F, tlag=self.tlag, ke0=self.ke0,
                    F_ip=self.F_ip)

    def _micro(self) -> tuple[Any, Any, Any]:
        V = self._col(self.V)
        return self._col(self.CL) / V, self._col(self.Q) / V, self._col(self.Q) / self._col(self.V2)

    def _k10(self) -> Any:
        return self._micro()[0]

    def _macro(self) -> tuple[Any, Any, Any, Any]:
        """α, β and the bolus weights (α − k21)/(α − β), (k21 − β)/(α − β)."""
        k10, k12, k21 = self._micro()
        x = k10 + k12 - k21
        disc = np.sqrt(x * x + 4.0 * k12 * k21)
        alpha = 0.5 * (k10 + k12 + k21 + disc)
        beta = k10 * k21 / alpha
        big = np.where(x >= 0, x + disc, disc - x) * 0.5  # the larger of α − k21 and k21 − β
        small = k12 * k21 / big
        a_w, b_w = np.where(x >= 0, big, small), np.where(x >= 0, small, big)
        return alpha, beta, a_w / disc, b_w / disc

    @property
    def alpha(self) -> Any:
        """Fast disposition rate α, 1/h."""
        return as_subjects(self._macro()[0])

    @property
    def beta(self) -> Any:
        """Slow (terminal) disposition rate β, 1/h."""
        return as_subjects(self._macro()[1])

    def _disposition(self) -> list[Term]:
        alpha, beta, wa, wb = self._macro()
        return [(wa, (alpha,)), (wb, (beta,))]

    def _ode_core(self) -> np.ndarray:
        k10, k12, k21 = (float(np.asarray(v).ravel()[0]) for v in self._micro())
        return np.array([[-(k10 + k12), k21], [k12, -k21]])

    def __repr__(self) -> str:
        return (f"TwoCompartment(CL={self.CL}, V={self.V}, Q={self.Q}, V2={self.V2}, ka={self.ka}, F={self.F}, "
                f"tlag={self.tlag}, ke0={self.ke0})")


class Metabolite(LinearModel):
    r"""A metabolite formed from a parent: fm of the parent's elimination feeds the metabolite's model.

    .. math:: \frac{dA_m}{dt} = f_m \frac{M_m}{M_p}\, k_{10} A_p - k_{m} A_m \;(+\text{its own distribution})

    In closed form each parent term is convolved with each metabolite disposition term (a
    tri-exponential for an oral one-compartment parent and metabolite), exact and stable when
    rates coincide. Doses are the parent's; `conc` and `effect` are the metabolite's (mg/L).

    Parameters
    ----------
    parent : OneCompartment, TwoCompartment or Metabolite
        The parent's model (its ka, F and lag apply to the doses).
    model : OneCompartment or TwoCompartment
        The metabolite's own disposition (CL, V, ...; its ke0 for the effect site).
    fm : float or array
        Fraction of the parent's elimination that forms the metabolite (molar).
    mass_ratio : float
        Molar mass of the metabolite over that of the parent (mg formed per mg eliminated × fm).

    References
    ----------
    Houston JB. Drug metabolite kinetics. *Pharmacol Ther* 1981;15:521–552.
    """

    def __init__(self, parent: LinearModel, model: LinearModel, fm: Any, mass_ratio: Any = 1.0):
        for name, m in (("parent", parent), ("model", model)):
            if type(m).__name__ == "CypInactivation":
                raise InputError(f"`{name}` has non-linear PK (CypInactivation): a metabolite's closed form convolves "
                                 f"linear responses, so a non-linear compound cannot be a parent or a metabolite here.")
            if not isinstance(m, LinearModel):
                raise InputError(f"`{name}` must be a OneCompartment, TwoCompartment or Metabolite model (got {type(m).__name__}).")
        self.parent, self.model = parent, model
        self.fm = self._arg(fm, "dimensionless", "fm", nonnegative=True)
        self.mass_ratio = self._arg(mass_ratio, "dimensionless", "mass_ratio", positive=True)
        self.V, self.ke0 = model.V, model.ke0
        self._set_shape(np.empty(parent.shape), np.empty(model.shape), self.fm, self.mass_ratio)

    def kwargs(self) -> dict[str, Any]:
        return dict(parent=self.parent, model=self.model, fm=self.fm, mass_ratio=self.mass_ratio)

    def subject(self, i: int) -> "Metabolite":
        pick = (lambda v: np.asarray(v)[i] if isinstance(v, np.ndarray) else v)
        return Metabolite(self.parent.subject(i) if self.parent.shape else self.parent,
                          self.model.subject(i) if self.model.shape else self.model, pick(self.fm), pick(self.mass_ratio))

    def _k10(self) -> Any:
        return self.model._k10()

    def _disposition(self) -> list[Term]:
        return self.model._disposition()

    def central_terms(self, route: str) -> tuple[list[Term], Any]:
        parent_terms, lag = self.parent.central_terms(route)
        q = self._col(self.fm) * self._col(self.mass_ratio) * self.parent._k10()
        return [(wp * q * wm, np_ + nm) for wp, np_ in parent_terms for wm, nm in self.model._disposition()], lag

    @property
    def half_life(self) -> Any:
        """Apparent terminal half-life, h: the slower of the metabolite's own and the parent's."""
        return as_subjects(np.maximum(self.model.half_life, self.parent.half_life))

    def ode_system(self):
        Ap, entries, _ = self.parent.ode_system()
        Am, _, out_m = self.model.ode_system()
        n_p, n_m = Ap.shape[0], Am.shape[0] - 1  # the metabolite's own gut is not used
        A = np.zeros((n_p + n_m, n_p + n_m))
        A[:n_p, :n_p], A[n_p:, n_p:] = Ap, Am[1:, 1:]
        A[n_p, 1] = float(self.fm) * float(self.mass_ratio) * float(np.asarray(self.parent._k10()).ravel()[0])
        outputs = {k: (n_p + i - 1, s) for k, (i, s) in out_m.items()}
        return A, entries, outputs

    def __repr__(self) -> str:
        return f"Metabolite(parent={self.parent!r}, model={self.model!r}, fm={self.fm}, mass_ratio={self.mass_ratio})"
