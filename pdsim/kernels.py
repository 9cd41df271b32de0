"""Fast numerical core of the population engine: exact linear PK driving forced downstream states.

Compiled with numba (parallel over subjects) when it is installed, plain NumPy over subjects otherwise.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._integrate import integrate_forced, integrate_stiff
from ._kernel_numpy import ott_numpy
from ._propagate import HAVE_NUMBA, fill_slot, gauss_legendre, njit, slot_size
from .errors import InputError
from .units import check_finite, check_nonnegative, check_positive

__all__ = [
    "HAVE_NUMBA",
    "OUTPUTS",
    "Schedule",
    "schedule",
    "occ_tolerance_turnover",
    "ott_rhs",
    "integrate_forced",
    "integrate_stiff",
    "run_chunked",
    "RunningMoments",
    "REFERENCE",
    "reference_times",
    "run_reference_population",
]

#: variables the occ_tolerance_turnover kernel can write, in its output code order
OUTPUTS = ("C", "Ce", "occ", "E", "T", "S", "B", "gut", "central")
_ROUTES = {"oral": 0, "po": 0, "iv_bolus": 1, "iv": 1, "bolus": 1, "iv_infusion": 2, "infusion": 2}
_PARAMS = ("ka", "k", "V", "ke0", "F", "lag", "dose_scale", "KA", "tau", "Em", "hill", "kt", "alpha", "kin", "kout", "Smax", "T0", "B0")
_BLOCK = 16  # subjects one thread advances together (independent chains fill the pipeline)
_NSLOT = 8  # step lengths cached per subject (regular, graded, and the pieces around a lagged dose)


class Schedule:
    """A dosing schedule split for the kernels: oral doses (lag and F apply) and the others.

    Attributes
    ----------
    oral_t, oral_amt : ndarray
        Oral dose times (h, before the lag) and amounts (mg, before F), sorted by time.
    other_t, other_kind, other_val : ndarray
        Sorted iv events: kind 1 is a bolus into the central compartment (``val`` in mg),
        kind 2 changes the infusion rate by ``val`` mg/h (start +rate, stop −rate).
    """

    __slots__ = ("oral_t", "oral_amt", "other_t", "other_kind", "other_val")

    def __init__(self, oral_t, oral_amt, other_t, other_kind, other_val):
        self.oral_t = np.ascontiguousarray(oral_t, dtype=np.float64)
        self.oral_amt = np.ascontiguousarray(oral_amt, dtype=np.float64)
        self.other_t = np.ascontiguousarray(other_t, dtype=np.float64)
        self.other_kind = np.ascontiguousarray(other_kind, dtype=np.int64)
        self.other_val = np.ascontiguousarray(other_val, dtype=np.float64)


def schedule(dose_times: Any, dose_amounts: Any, route: Any = "oral", duration: Any = None) -> Schedule:
    """Build a `Schedule` from dose times (h), amounts (mg), routes and infusion durations (h).

    Parameters
    ----------
    dose_times : array (n_doses,)
        Times of the doses in h.
    dose_amounts : float or array (n_doses,)
        Amounts in mg (for an infusion, the total amount given over its duration).
    route : str or sequence of str
        ``"oral"``, ``"iv_bolus"`` or ``"iv_infusion"``, one for all doses or one per dose.
    duration : float or array, optional
        Infusion durations in h (required when a route is ``"iv_infusion"``).
    """
    t = np.atleast_1d(np.asarray(dose_times, dtype=float))
    amt = np.broadcast_to(np.asarray(dose_amounts, dtype=float), t.shape)
    check_finite(t, "dose_times")
    check_nonnegative(amt, "dose_amounts")
    routes = [route] * t.size if isinstance(route, str) else list(route)
    if len(routes) != t.size:
        raise InputError(f"`route` must be one route or one per dose ({t.size}) (got {len(routes)}); give e.g. 'oral'.")
    try:
        codes = np.array([_ROUTES[str(r).lower()] for r in routes], dtype=np.int64)
    except KeyError as exc:
        raise InputError(
            f"`route` {exc.args[0]!r} is not known; use 'oral', 'iv_bolus' or 'iv_infusion'."
        ) from None
    oral = codes == 0
    order = np.argsort(t[oral], kind="stable")
    ot, oa = t[oral][order], amt[oral][order]
    ev_t, ev_k, ev_v = [t[codes == 1]], [np.ones(int(np.sum(codes == 1)), np.int64)], [amt[codes == 1]]
    inf = codes == 2
    if np.any(inf):
        if duration is None:
            raise InputError("`duration` is required for 'iv_infusion' doses; give it in h, e.g. duration=0.5.")
        dur = np.broadcast_to(np.asarray(duration, dtype=float), t.shape)[inf]
        check_positive(dur, "duration")
        rate = amt[inf] / dur
        ev_t += [t[inf], t[inf] + dur]
        ev_k += [np.full(rate.size, 2, np.int64)] * 2
        ev_v += [rate, -rate]
    et, ek, ev = np.concatenate(ev_t), np.concatenate(ev_k), np.concatenate(ev_v)
    order = np.argsort(et, kind="stable")
    return Schedule(ot, oa, et[order], ek[order], ev[order])


# --------------------------------------------------------------------------------------------
# compiled kernel (numba): blocks of subjects that share a lag, blocks spread over threads


@njit(cache=True, inline="always")
def _effect(ce, KA, tau, Em, hill):
    if hill == 1.0:
        return Em * tau * ce / (KA + (1.0 + tau) * ce)  # Em·τ·occ/(1+τ·occ), occ = Ce/(Ce+KA)
    x = (tau * ce / (ce + KA)) ** hill
    return Em * x / (1.0 + x)


@njit(cache=True)
def _record(out, sub, j, codes, cf, st, p):
    W = sub.shape[0]
    for m in range(codes.shape[0]):
        code = codes[m]
        if code == 0:
            for b in range(W):
                out[m, sub[b], j] = cf * st[2, b] / p[2, b]
        elif code == 1:
            for b in range(W):
                out[m, sub[b], j] = st[3, b]
        elif code == 2:
            for b in range(W):
                out[m, sub[b], j] = st[3, b] / (st[3, b] + p[7, b])
        elif code == 3 or code == 5:
            for b in range(W):
                e = _effect(st[3, b], p[7, b], p[8, b], p[9, b], p[10, b])
                out[m, sub[b], j] = e if code == 3 else e * (1.0 - p[12, b] * st[4, b])
        else:  # T, B, gut, central are states 4, 5, 1, 2
            row = 4 if code == 4 else (5 if code == 6 else (1 if code == 7 else 2))
            for b in range(W):
                out[m, sub[b], j] = st[row, b]


@njit(cache=True)
def _ott_block(sub, t_out, oral_t, oral_amt, oth_t, oth_kind, oth_val, par, cf, gl_c, gl_A, gl_b, max_step, grading, codes, out):
    """Advance the subjects ``sub`` (which share one lag) through the schedule together.

    The segment logic (events, grading, step length, cached coefficients) is shared; the
    arithmetic runs over the block in the innermost loops, so independent subjects fill the
    pipeline (about 1.5x faster than one subject at a time on the reference scenario).
    """
    W = sub.shape[0]
    s = gl_b.shape[0]
    nslot = slot_size(s)
    p = np.empty((len(_PARAMS), W))  # rows as in _PARAMS, contiguous per block
    for r in range(len(_PARAMS)):
        for b in range(W):
            p[r, b] = par[r, sub[b]]
    lag = p[5, 0]
    st = np.zeros((6, W))  # R (mg/h), gut (mg), central (mg), Ce (nM), T, B
    for b in range(W):
        st[4, b] = p[16, b]
        st[5, b] = p[17, b]
    cache = np.empty((_NSLOT, nslot, W))
    cache_h = np.full(_NSLOT, -1.0)
    tmp = np.empty(nslot)
    nxt = 0
    last = 0
    E = np.empty((s, W))
    tj = np.empty(W)
    tn = np.empty(W)
    bn = np.empty(W)
    n_or, n_ot, nt = oral_t.shape[0], oth_t.shape[0], t_out.shape[0]
    t = t_out[0]
    if n_or > 0:
        t = min(t, oral_t[0] + lag)
    if n_ot > 0:
        t = min(t, oth_t[0])
    io = 0
    ix = 0
    j = 0
    t_ev = t  # last dose event; steps are graded geometrically after it
    gi = 0  # next grading point is t_ev + max_step / 2**gi (none when 0)
    o_aT = 8 + 4 * s
    o_bT = o_aT + 1
    o_uT = o_bT + s
    o_WT = o_uT + s
    o_aB = o_WT + s * s
    o_bB = o_aB + 1
    while j < nt:
        tb = t_out[j]
        if io < n_or:
            tb = min(tb, oral_t[io] + lag)
        if ix < n_ot:
            tb = min(tb, oth_t[ix])
        if gi > 0:
            tb = min(tb, t_ev + max_step / 2.0**gi)
        if tb > t:
            seg = tb - t
            nsteps = 1
            if seg > max_step * (1.0 + 1e-9):
                nsteps = int(math.ceil(seg / max_step - 1e-9))
            h = seg / nsteps
            sl = -1
            if abs(cache_h[last] - h) <= 1e-10 * h:  # same step up to rounding of the times
                sl = last
            else:
                for z in range(_NSLOT):
                    if abs(cache_h[z] - h) <= 1e-10 * h:
                        sl = z
                        break
            if sl < 0:
                sl = nxt
                nxt = (nxt + 1) % _NSLOT
                for b in range(W):
                    q = p[3, b] * cf / p[2, b]
                    fill_slot(tmp, h, p[0, b], p[1, b], p[3, b], q, p[11, b], p[14, b], gl_c, gl_A, gl_b)
                    for z in range(nslot):
                        cache[sl, z, b] = tmp[z]
                cache_h[sl] = h
            last = sl
            c = cache[sl]
            for _ in range(nsteps):
                for jn in range(s):
                    o = 8 + 4 * jn
                    for b in range(W):
                        x = c[o, b] * st[0, b] + c[o + 1, b] * st[1, b] + c[o + 2, b] * st[2, b] + c[o + 3, b] * st[3, b]
                        E[jn, b] = _effect(x, p[7, b], p[8, b], p[9, b], p[10, b])
                for b in range(W):
                    tn[b] = c[o_aT, b] * st[4, b]
                    bn[b] = c[o_aB, b] * st[5, b]
                for jn in range(s):
                    for b in range(W):
                        tj[b] = c[o_uT + jn, b] * st[4, b]
                    for m in range(s):
                        for b in range(W):
                            tj[b] += c[o_WT + jn * s + m, b] * E[m, b]
                    for b in range(W):
                        tn[b] += c[o_bT + jn, b] * E[jn, b]
                        bn[b] += c[o_bB + jn, b] * p[13, b] * (1.0 + p[15, b] * E[jn, b] * (1.0 - p[12, b] * tj[b]))
                for b in range(W):
                    r_, g_, a_, e_ = st[0, b], st[1, b], st[2, b], st[3, b]
                    st[3, b] = c[4, b] * e_ + c[5, b] * a_ + c[6, b] * g_ + c[7, b] * r_
                    st[2, b] = c[2, b] * a_ + c[1, b] * g_ + c[3, b] * r_
                    st[1, b] = c[0, b] * g_
                    st[4, b] = tn[b]
                    st[5, b] = bn[b]
            t = tb
        if gi > 0 and t_ev + max_step / 2.0**gi <= t:
            gi -= 1
        while io < n_or and oral_t[io] + lag <= t:
            for b in range(W):
                st[1, b] += p[4, b] * p[6, b] * oral_amt[io]
            io += 1
            t_ev = t
            gi = grading
        while ix < n_ot and oth_t[ix] <= t:
            t_ev = t
            gi = grading
            for b in range(W):
                dose = p[6, b] * oth_val[ix]
                if oth_kind[ix] == 1:
                    st[2, b] += dose
                else:
                    st[0, b] += dose
                    if abs(st[0, b]) < 1e-12 * abs(dose):
                        st[0, b] = 0.0  # an infusion that stopped leaves no rounding residue
            ix += 1
        while j < nt and t_out[j] <= t:
            _record(out, sub, j, codes, cf, st, p)
            j += 1


@njit(cache=True, nogil=True)
def _ott_blocks(order, ptr, b0, b1, t_out, oral_t, oral_amt, oth_t, oth_kind, oth_val, par, cf, gl_c, gl_A, gl_b, max_step, grading, codes, out):
    for ib in range(b0, b1):
        _ott_block(order[ptr[ib]:ptr[ib + 1]], t_out, oral_t, oral_amt, oth_t, oth_kind, oth_val, par, cf,
                   gl_c, gl_A, gl_b, max_step, grading, codes, out)


def _default_threads() -> int:
    if HAVE_NUMBA:
        import numba

        return int(numba.get_num_threads())  # honours NUMBA_NUM_THREADS and numba.set_num_threads
    return 1


def _run_numba(order, ptr, args, threads: int) -> None:
    """Run the blocks on ``threads`` Python threads; the compiled loop releases the GIL.

    Plain threads instead of ``prange`` keep one compiled function per signature (a parallel
    wrapper tripled the cold compile time) and stay safe in forked processes.
    """
    nb = ptr.size - 1
    if threads <= 1 or nb < 16:  # below ~250 subjects starting threads costs more than it gains
        _ott_blocks(order, ptr, 0, nb, *args)
        return
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.linspace(0, nb, min(nb, 4 * threads) + 1).astype(np.int64)  # a few tasks per thread balance the load
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for f in [pool.submit(_ott_blocks, order, ptr, int(a), int(b), *args) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]:
            f.result()


def _blocks(lag: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Subjects sorted by lag and cut into blocks of at most ``width`` that share a lag."""
    order = np.argsort(lag, kind="stable")
    sl = lag[order]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]])
    ends = np.r_[starts[1:], sl.size]
    if starts.size == 1:
        ptr = np.r_[np.arange(0, sl.size, width), sl.size]
    else:
        ptr = np.r_[np.concatenate([np.arange(a, e, width) for a, e in zip(starts, ends)]), sl.size]
    return order.astype(np.int64), ptr.astype(np.int64)


# --------------------------------------------------------------------------------------------
# public entry point


def _check_sign(arr: np.ndarray, name: str, positive: bool) -> None:
    bad = np.flatnonzero(arr <= 0 if positive else arr < 0)
    if bad.size:
        where = f" for subject {bad[0]}" if arr.ndim else ""
        rule, fix = ("greater than zero", "a positive value") if positive else ("zero or more", "a value >= 0")
        raise InputError(f"`{name}` must be {rule} (got {float(arr.flat[bad[0]])!r}{where}); give {fix}.")


def _per_subject(name: str, value: Any, n: int | None) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or (arr.ndim == 1 and n is not None and arr.size != n):
        raise InputError(f"`{name}` must be one number or one per subject ({n}) (got shape {arr.shape}); fix its length.")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"`{name}` must be finite (got a NaN or infinite value); give real numbers.")
    return arr


def occ_tolerance_turnover(
    t: Any,
    dose_times: Any,
    dose_amounts: Any,
    *,
    ka: Any,
    CL: Any,
    V: Any,
    molar_mass: float,
    ke0: Any,
    KA: Any,
    tau: Any,
    kt: Any,
    kout: Any,
    Smax: Any,
    Em: Any = 1.0,
    hill: Any = 1.0,
    alpha: Any = 0.5,
    kin: Any = None,
    T0: Any = 0.0,
    B0: Any = None,
    route: Any = "oral",
    duration: Any = None,
    F: Any = 1.0,
    lag: Any = 0.0,
    dose_scale: Any = 1.0,
    outputs: Sequence[str] = ("C", "occ", "B"),
    order: int = 8,
    max_step: float = 1.0,
    grading: int = 2,
    backend: str = "auto",
    threads: int | None = None,
    dtype: Any = np.float64,
    out: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Simulate the occupancy → tolerance → turnover model family for a batch of subjects.

    Linear part, exact (one compartment, first-order absorption, effect site, infusion rate R):

    .. math::

        \\dot A_g = -k_a A_g,\\quad \\dot A_c = k_a A_g + R - \\tfrac{CL}{V} A_c,\\quad
        C = \\frac{A_c}{V}\\frac{10^6}{M},\\quad \\dot C_e = k_{e0}(C - C_e)

    advanced by its matrix exponential over each step (closed form by divided differences of
    :math:`e^{\\lambda h}`, exact when :math:`k_a \\approx CL/V` or :math:`k_{e0} \\approx CL/V`).
    Nonlinear part, forced by :math:`C_e(t)`:

    .. math::

        occ = \\frac{C_e}{C_e + K_A},\\quad E = E_m\\frac{(\\tau\\,occ)^n}{1 + (\\tau\\,occ)^n},\\quad
        \\dot T = k_t (E - T),\\quad S = E(1 - \\alpha T),\\quad
        \\dot B = k_{in}(1 + S_{max} S) - k_{out} B

    integrated by Gauss–Legendre collocation with ``order/2`` stages (order ``order`` at step
    ends) on steps of at most `max_step` that never straddle a dose or an output time, graded
    after each dose (see `grading`); the exact :math:`C_e` is evaluated at the collocation
    nodes. Because :math:`T` and :math:`B` are linear in themselves (the nonlinearity is in the
    static maps :math:`C_e \to E` and :math:`E, T \to S`), the stage equations have constant
    matrices, solved once per subject and step length; the method is A-stable, so fast
    downstream rates need no smaller step.

    Accuracy: ``C``, ``Ce`` and ``occ`` are exact to rounding (~1e-13 relative). On the
    reference scenario (12.5 mg every 8 h for 28 days, 30 % CV, first 100 subjects) the
    defaults (order 8, 1 h steps graded 1/4, 1/4, 1/2 after each dose) give a max relative
    error of B of 9e-9 against SciPy DOP853 at rtol 1e-13; order 6 gives 1e-6 in ~20 % less time.
    Without grading the first hour after the first dose dominates the error (the effect rises
    from zero, where :math:`E(C_e)` has a nearby complex singularity). `tests/test_kernels.py`
    checks ≤ 1e-5 against ``solve_ivp`` at rtol 1e-10.

    Parameters
    ----------
    t : array (n_times,)
        Output times in h, non-decreasing. The system starts at baseline at ``t[0]`` (or at the
        first dose, if earlier); a dose at an output time is included in that output.
    dose_times, dose_amounts, route, duration
        The schedule, shared by all subjects (see `schedule`); amounts in mg. A `Schedule`
        may be given as `dose_times` (the other three are then ignored).
    ka, CL, V : float or array (n,)
        Absorption rate (1/h), clearance (L/h), volume (L), per subject.
    molar_mass : float
        g/mol, for C in nM: :math:`C = A_c/V \\cdot 10^6/M`.
    ke0, KA, tau, kt, kout, Smax, Em, hill, alpha : float or array (n,)
        Effect-site rate (1/h), agonist dissociation constant (nM), efficacy, tolerance rate
        (1/h), turnover loss rate (1/h), maximal stimulation, maximal effect, transducer slope,
        fraction of signal lost at full tolerance.
    kin : float or array, optional
        Turnover production rate (1/h); default ``kout * B0``.
    T0, B0 : float or array, optional
        Initial tolerance (0) and turnover state (default ``kin/kout``, or 1 when kin is not given).
    F, lag, dose_scale : float or array (n,)
        Oral bioavailability and lag time (h), and a per-subject factor on every dose amount.
    outputs : sequence of str
        Names from `OUTPUTS`: C (nM), Ce (nM), occ, E, T, S, B, gut and central (mg).
    order : int
        Order of the Gauss–Legendre collocation method (2, 4, 6, 8 or 10; ``order/2`` stages).
    max_step : float
        Largest step in h.
    grading : int
        After every dose event the first `max_step` is cut geometrically at
        ``max_step / 2**grading, …, max_step / 2`` (steps of 1/4, 1/4, 1/2 for 2): the forcing
        changes fastest there, and the rest of the schedule keeps the long step.
    backend : {"auto", "numba", "numpy"}
        ``auto`` uses numba when installed.
    threads : int, optional
        Threads for the numba backend (default ``numba.get_num_threads()``, i.e. all cores or
        ``NUMBA_NUM_THREADS``); subjects are split across them in blocks.
    dtype : numpy dtype
        float64 or float32 for the outputs (computation is always float64).
    out : ndarray (len(outputs), n, n_times), optional
        Preallocated output to write into (e.g. a slice of a larger array).

    Returns
    -------
    dict of str to ndarray (n, n_times)
        One array per requested output (views into `out` when given).
    """
    t_out = np.ascontiguousarray(np.atleast_1d(np.asarray(t, dtype=float)))
    check_finite(t_out, "t")
    if t_out.ndim != 1 or t_out.size == 0 or np.any(np.diff(t_out) < 0):
        raise InputError("`t` must be a non-empty, non-decreasing 1-D array of times in h; sort it.")
    sch = dose_times if isinstance(dose_times, Schedule) else schedule(dose_times, dose_amounts, route, duration)
    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown or not outputs:
        raise InputError(f"`outputs` must name some of {', '.join(OUTPUTS)} (got {list(outputs)!r}); fix the names.")
    codes = np.array([OUTPUTS.index(o) for o in outputs], dtype=np.int64)
    if order not in (2, 4, 6, 8, 10):
        raise InputError(f"`order` must be 2, 4, 6, 8 or 10 (got {order!r}); the default 8 suits most uses.")
    if isinstance(grading, bool) or not isinstance(grading, (int, np.integer)) or not 0 <= grading <= 10:
        raise InputError(f"`grading` must be a whole number from 0 to 10 (got {grading!r}); the default 2 suits most uses.")
    if not (np.isfinite(max_step) and max_step > 0):
        raise InputError(f"`max_step` must be a positive time in h (got {max_step!r}); give e.g. 1.0.")
    check_positive(molar_mass, "molar_mass")
    if backend not in ("auto", "numba", "numpy"):
        raise InputError(f"`backend` must be 'auto', 'numba' or 'numpy' (got {backend!r}).")
    if backend == "numba" and not HAVE_NUMBA:
        raise InputError("`backend='numba'` needs numba installed; run `pip install numba` or use backend='numpy'.")

    raw = dict(ka=ka, CL=CL, V=V, ke0=ke0, KA=KA, tau=tau, kt=kt, kout=kout, Smax=Smax, Em=Em, hill=hill,
               alpha=alpha, T0=T0, F=F, lag=lag, dose_scale=dose_scale)
    if kin is not None:
        raw["kin"] = kin
    if B0 is not None:
        raw["B0"] = B0
    sizes = {np.size(v) for v in raw.values() if np.ndim(v) == 1}
    if len(sizes) > 1:
        raise InputError(f"per-subject parameters must all have the same length (got lengths {sorted(sizes)}); fix them.")
    n = sizes.pop() if sizes else 1
    vals = {name: _per_subject(name, v, n) for name, v in raw.items()}
    for name in ("ka", "CL", "V", "ke0", "KA", "hill"):
        _check_sign(vals[name], name, positive=True)
    for name in ("tau", "kt", "kout", "Smax", "Em", "F", "lag", "dose_scale"):
        _check_sign(vals[name], name, positive=False)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1):
        raise InputError(f"`threads` must be a positive whole number (got {threads!r}); give e.g. threads=2.")
    kout_v = vals["kout"]
    if "kin" not in vals:
        vals["B0"] = vals.get("B0", np.asarray(1.0))
        vals["kin"] = kout_v * vals["B0"]
    elif "B0" not in vals:
        check_positive(kout_v, "kout")
        vals["B0"] = vals["kin"] / kout_v
    vals["k"] = vals["CL"] / vals["V"]
    par = np.empty((len(_PARAMS), n))
    for r, name in enumerate(_PARAMS):
        par[r] = vals[name]

    shape = (codes.size, n, t_out.size)
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif out.shape != shape:
        raise InputError(f"`out` must have shape {shape} (outputs, subjects, times) (got {out.shape}); allocate it so.")
    gl_c, gl_A, gl_b = gauss_legendre(order // 2)
    cf = 1e6 / float(molar_mass)
    use_numba = HAVE_NUMBA and backend != "numpy"
    if use_numba:
        order_, ptr = _blocks(par[5], _BLOCK)
        nthreads = _default_threads() if threads is None else int(threads)
        if out.dtype == np.float64 and out.flags.c_contiguous:
            args = (t_out, sch.oral_t, sch.oral_amt, sch.other_t, sch.other_kind, sch.other_val, par, cf,
                    gl_c, gl_A, gl_b, float(max_step), int(grading), codes, out)
            _run_numba(order_, ptr, args, nthreads)
        else:
            # one compiled signature only (float64, C order): other outputs go through a bounded buffer
            step = max(1, (1 << 24) // (8 * codes.size * t_out.size))
            for a in range(0, n, step):
                b = min(n, a + step)
                buf = np.empty((codes.size, b - a, t_out.size))
                sub = np.ascontiguousarray(par[:, a:b])
                o2, p2 = _blocks(sub[5], _BLOCK)
                _run_numba(o2, p2, (t_out, sch.oral_t, sch.oral_amt, sch.other_t, sch.other_kind, sch.other_val,
                                    sub, cf, gl_c, gl_A, gl_b, float(max_step), int(grading), codes, buf), nthreads)
                out[:, a:b] = buf
    else:
        ott_numpy(t_out, sch, par, cf, gl_c, gl_A, gl_b, float(max_step), int(grading), codes, out)
    return {name: out[m] for m, name in enumerate(outputs)}


def ott_rhs(y: np.ndarray, p: Mapping[str, Any], molar_mass: float) -> np.ndarray:
    """Right-hand side of the same model as a plain ODE, for general solvers and checks.

    State ``y = (gut, central, Ce, T, B)`` (mg, mg, nM, –, –), shape ``(5,)`` or ``(5, n)``;
    ``p`` holds ka, CL, V, ke0, KA, tau, Em, kt, alpha, kin, kout, Smax (hill 1). Returns dy/dt.
    """
    ag, ac, ce, tol, b = y
    c = ac / p["V"] * 1e6 / molar_mass
    occ = ce / (ce + p["KA"])
    e = p.get("Em", 1.0) * p["tau"] * occ / (1.0 + p["tau"] * occ)
    sig = e * (1.0 - p.get("alpha", 0.5) * tol)
    return np.array([
        -p["ka"] * ag,
        p["ka"] * ag - p["CL"] / p["V"] * ac,
        p["ke0"] * (c - ce),
        p["kt"] * (e - tol),
        p["kin"] * (1.0 + p["Smax"] * sig) - p["kout"] * b,
    ])


# --------------------------------------------------------------------------------------------
# chunked runs and the reference population scenario


def run_chunked(
    simulate_chunk: Callable[[int, int, np.ndarray | None], np.ndarray],
    n: int,
    *,
    chunk_size: int = 8192,
    out: np.ndarray | None = None,
    reduce: Callable[[int, int, np.ndarray], None] | None = None,
) -> np.ndarray | None:
    """Run ``n`` subjects in chunks of at most `chunk_size`, so that memory stays bounded.

    ``simulate_chunk(start, stop, view)`` simulates subjects ``start .. stop-1`` and returns an
    array (n_outputs, stop - start, n_times); ``view`` is ``out[:, start:stop]`` when `out` is
    given (the kernel writes straight into it, no copy), else ``None``. With `reduce`, each
    chunk is handed to ``reduce(start, stop, chunk)`` and may then be dropped: a million subjects
    summarised by `RunningMoments` need one chunk of memory, not a million rows.

    Returns
    -------
    ndarray or None
        `out` (filled), or ``None`` when only `reduce` consumed the chunks.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise InputError(f"`n` must be a positive whole number of subjects (got {n!r}); give e.g. n=1000.")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size <= 0:
        raise InputError(f"`chunk_size` must be a positive whole number (got {chunk_size!r}); give e.g. 8192.")
    if out is None and reduce is None:
        raise InputError("run_chunked needs `out` (a preallocated array) or `reduce` (a callback); give one.")
    for start in range(0, int(n), int(chunk_size)):
        stop = min(int(n), start + int(chunk_size))
        view = None if out is None else out[:, start:stop]
        chunk = simulate_chunk(start, stop, view)
        if reduce is not None:
            reduce(start, stop, chunk)
    return out


class RunningMoments:
    """Mean, standard deviation, minimum and maximum over subjects, merged chunk by chunk.

    Chan, Golub & LeVeque's pairwise update (Am. Stat. 1983;37:242–247) keeps the variance
    accurate when chunks are merged; use as ``reduce=moments.update`` in `run_chunked`.
    Arrays have shape (n_outputs, n_times). An update needs one temporary the size of the chunk
    (float64), nothing that grows with the number of subjects merged.
    """

    def __init__(self) -> None:
        self.count = 0
        self.mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        self.min: np.ndarray | None = None
        self.max: np.ndarray | None = None

    def update(self, start: int, stop: int, chunk: np.ndarray) -> None:
        """Merge one chunk (n_outputs, n_subjects, n_times); `start`/`stop` are ignored."""
        x = np.asarray(chunk, dtype=float)
        nb = x.shape[1]
        mb = x.mean(axis=1)
        dev = x - mb[:, None]
        np.multiply(dev, dev, out=dev)  # squared in place: one chunk-sized temporary, not two
        m2b = dev.sum(axis=1)
        del dev
        if self.count == 0:
            self.mean, self._m2, self.min, self.max = mb, m2b, x.min(axis=1), x.max(axis=1)
        else:
            na = self.count
            delta = mb - self.mean
            tot = na + nb
            self.mean = self.mean + delta * (nb / tot)
            self._m2 = self._m2 + m2b + delta**2 * (na * nb / tot)
            self.min = np.minimum(self.min, x.min(axis=1))
            self.max = np.maximum(self.max, x.max(axis=1))
        self.count += nb

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation (ddof = 1) over the subjects seen so far; NaN with fewer than
        two (undefined, as ``numpy.std(..., ddof=1)``)."""
        if self.count < 2:
            return np.full_like(self._m2, np.nan)
        return np.sqrt(self._m2 / (self.count - 1))


#: the reference population scenario of ``shared/benchmarks/README.md`` (canonical units)
REFERENCE: dict[str, Any] = {
    "dose_mg": 12.5, "every_h": 8.0, "count": 84, "route": "oral",
    "typical": {"ka": 2.0, "CL": 15.0, "V": 50.0}, "cv": {"ka": 0.3, "CL": 0.3, "V": 0.3},
    "molar_mass": 436.95, "ke0": 1.0, "KA": 400.0, "tau": 3.0, "Em": 1.0,
    "kt": 0.02, "alpha": 0.5, "kout": 0.05, "kin": 0.05, "Smax": 0.8,
    "duration_h": 672.0, "output_every_h": 1.0,
}


def reference_times() -> tuple[np.ndarray, np.ndarray]:
    """Output times (0..672 h, hourly) and dose times (every 8 h from 0, 84 doses) of `REFERENCE`."""
    r = REFERENCE
    t = np.arange(0.0, r["duration_h"] + 0.5 * r["output_every_h"], r["output_every_h"])
    return t, np.arange(r["count"]) * r["every_h"]


def run_reference_population(
    n: int,
    seed: int = 0,
    *,
    outputs: Sequence[str] = ("C", "occ", "B"),
    chunk_size: int | None = None,
    dtype: Any = np.float64,
    reduce: Callable[[int, int, np.ndarray], None] | None = None,
    **kernel_options: Any,
) -> dict[str, np.ndarray] | None:
    """Simulate the reference population scenario (`REFERENCE`) for ``n`` subjects.

    ka, CL and V are drawn by `pdsim.population.sample_parameters` (log-normal, 30 % CV, subject
    ``i`` the same for every ``n``); the rest is shared. The kernel called directly, with no
    scenario file (the benchmark's "pdsim kernel" row); users go through `pdsim.simulate` or
    `pdsim.simulate_summary`, which reach the same kernel.

    Parameters
    ----------
    n, seed : int
        Population size and seed.
    outputs : sequence of str
        Names from `OUTPUTS`.
    chunk_size : int, optional
        Subjects per chunk (default: all at once, or 8192 when `reduce` is given).
    dtype : numpy dtype
        float64 or float32 outputs.
    reduce : callable, optional
        ``reduce(start, stop, chunk)`` per chunk (see `run_chunked`); then nothing is kept and
        ``None`` is returned.
    **kernel_options
        Passed to `occ_tolerance_turnover` (``order``, ``max_step``, ``grading``, ``backend``).

    Returns
    -------
    dict of str to ndarray (n, 673) or None
    """
    from .population import sample_parameters

    r = REFERENCE
    t, dose_t = reference_times()
    sch = schedule(dose_t, r["dose_mg"], r["route"])
    shared = {k: r[k] for k in ("molar_mass", "ke0", "KA", "tau", "Em", "kt", "alpha", "kout", "kin", "Smax")}

    def chunk(start: int, stop: int, view: np.ndarray | None) -> np.ndarray:
        p = sample_parameters(r["typical"], r["cv"], stop - start, seed, first=start)
        res = occ_tolerance_turnover(t, sch, None, ka=p["ka"], CL=p["CL"], V=p["V"], outputs=outputs,
                                     dtype=dtype, out=view, **shared, **kernel_options)
        return np.stack([res[o] for o in outputs]) if view is None else view

    if reduce is not None:
        run_chunked(chunk, n, chunk_size=chunk_size or 8192, reduce=reduce)
        return None
    out = np.empty((len(outputs), n, t.size), dtype=dtype)
    run_chunked(chunk, n, chunk_size=chunk_size or n, out=out)
    return {name: out[m] for m, name in enumerate(outputs)}
