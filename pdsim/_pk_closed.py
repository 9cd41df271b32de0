"""Closed forms of linear PK: chains of first-order steps, exact superposition, steady state.

Every response of a linear compartment model is a weighted sum of "chains"; this module evaluates
them stably (coinciding rates included) and is used by `pdsim.pk`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["Term", "chain", "infusion_chain", "chain_ss", "infusion_chain_ss", "superpose", "steady_profile",
           "auc_inf"]

#: A response term ``(weight, nodes)``: ``weight * chain(nodes, t)`` per unit input.
Term = tuple[Any, tuple[Any, ...]]

#: spread of the rates times t at or below which a divided difference uses its Taylor series
_SERIES_SPREAD = 2.0
#: terms of that series; with |rate - centre|·t <= 1 the remainder is below 1/24! ≈ 1.6e-24
_SERIES_TERMS = 24
_INV_FACT = np.array([1.0 / math.factorial(i) for i in range(_SERIES_TERMS + 8)])


def _series(k: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Chain value by the Taylor series about the midpoint of the rates (rates ``k`` (L, N), sorted)."""
    n_nodes = k.shape[0]
    centre = 0.5 * (k[0] + k[-1])
    v = (k - centre) * t  # |v| <= 1 where this branch is used
    h = [np.ones_like(t)] + [np.zeros_like(t) for _ in range(_SERIES_TERMS)]
    for x in v:  # complete homogeneous symmetric polynomials h_m(v_1..v_i), one variable at a time
        for m in range(1, _SERIES_TERMS + 1):
            h[m] = h[m] + x * h[m - 1]
    total = np.zeros_like(t)
    for m in range(_SERIES_TERMS, -1, -1):  # smallest terms first
        total += (-1.0) ** m * h[m] * _INV_FACT[n_nodes - 1 + m]
    return np.exp(-centre * t) * t ** (n_nodes - 1) * total


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
    exponential function. *Math Comp* 1984;43:501–528. doi:10.1090/S0025-5718-1984-0758198-0
    """
    arrays = np.broadcast_arrays(*[np.asarray(k, dtype=float) for k in nodes], np.asarray(t, dtype=float))
    shape = arrays[-1].shape
    t = arrays[-1].ravel()
    ahead = t >= 0
    t = np.where(ahead, t, 0.0)
    ks = np.sort(np.stack([a.ravel() for a in arrays[:-1]]), axis=0)
    level = [np.exp(-k * t) for k in ks]  # one node
    for width in range(2, len(ks) + 1):
        nxt = []
        for i in range(len(ks) - width + 1):
            lo, hi = ks[i], ks[i + width - 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                val = (level[i] - level[i + 1]) / (hi - lo)
            near = (hi - lo) * t <= _SERIES_SPREAD
            if near.any():
                val[near] = _series(ks[i:i + width][:, near], t[near])
            nxt.append(val)
        level = nxt
    # g > 0 exactly; the clip only removes a rounding of subnormal underflow
    out = np.where(ahead, np.maximum(level[0], 0.0), 0.0)
    return out.reshape(shape)


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
              shape: tuple[int, ...]) -> np.ndarray:
    r"""Sum the responses to every dose: exact superposition of the closed forms.

    .. math:: y(t) = \sum_{\text{doses } d} \sum_{\text{terms}} w\, a_d\,
              g(k; t - t_d - t_{lag})

    (with the infusion kernel for zero-order inputs), vectorised over subjects and times; only the
    times after each dose are computed.

    Parameters
    ----------
    terms_for : callable
        ``route -> (terms, lag)``: the response terms per unit amount for that route and the lag
        time in h (float or array (n_subj, 1)).
    events : iterable of Dose
        Anything with ``time``, ``amount``, ``route`` and ``duration``.
    times : ndarray (n_times,)
        Output times in h.
    shape : tuple
        ``()`` for one subject or ``(n_subj,)``.

    Returns
    -------
    ndarray
        Shape ``shape + (n_times,)``.
    """
    out = np.zeros(shape + times.shape)
    tt = times if shape == () else times[None, :]
    cache: dict[str, tuple[list[Term], Any]] = {}
    for ev in events:
        if ev.route not in cache:
            cache[ev.route] = terms_for(ev.route)
        terms, lag = cache[ev.route]
        start = ev.time + lag
        cols = times >= np.min(start)
        if ev.amount == 0 or not cols.any():
            continue
        tau = tt[..., cols] - start
        if ev.route == "iv_infusion":
            rate = ev.amount / ev.duration
            contrib = sum(w * infusion_chain(nodes, tau, ev.duration) for w, nodes in terms) * rate
        else:
            contrib = sum(w * chain(nodes, tau) for w, nodes in terms) * ev.amount
        out[..., cols] += contrib
    return out


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
