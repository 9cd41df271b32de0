"""The NumPy backend of `pdsim.kernels.occ_tolerance_turnover`: the same algorithm over subjects.

Used when numba is not installed (or asked for); agrees with the compiled kernel to rounding.
"""
from __future__ import annotations

import math

import numpy as np

from ._propagate import fill_slot_np

__all__ = ["ott_numpy"]


def _effect_np(ce, KA, tau, Em, hill):
    with np.errstate(divide="ignore", invalid="ignore"):
        lin = Em * tau * ce / (KA + (1.0 + tau) * ce)
        if np.all(hill == 1.0):
            return lin
        x = (tau * ce / (ce + KA)) ** hill
        return np.where(hill == 1.0, lin, Em * x / (1.0 + x))


def ott_numpy(t_out, sch, par, cf, gl_c, gl_A, gl_b, max_step, grading, codes, out):
    """Run the subjects grouped by lag (a group shares its step sequence), vectorised within a group.

    ``sch`` is a `pdsim.kernels.Schedule`; the other arguments are those of the compiled kernel.
    """
    lags, inverse = np.unique(par[5], return_inverse=True)
    for g, lag in enumerate(lags):
        idx = np.flatnonzero(inverse == g)
        _ott_numpy_group(idx, float(lag), t_out, sch, par[:, idx], cf, gl_c, gl_A, gl_b, max_step, grading, codes, out)


def _ott_numpy_group(idx, lag, t_out, sch, p, cf, gl_c, gl_A, gl_b, max_step, grading, codes, out):
    ka, k, V, ke0, F, _, scale, KA, tau, Em, hill, kt, alpha, kin, kout, smax, T, B = (r.copy() for r in p)
    q = ke0 * cf / V
    s = gl_b.shape[0]
    n = idx.size
    R, ag, ac, ce = (np.zeros(n) for _ in range(4))
    oral_t = sch.oral_t + lag
    oth_t = sch.other_t
    t = float(t_out[0])
    if oral_t.size:
        t = min(t, float(oral_t[0]))
    if oth_t.size:
        t = min(t, float(oth_t[0]))
    slots: dict[float, dict] = {}
    io = ix = j = gi = 0
    t_ev = t
    nt = t_out.size
    E = np.empty((s, n))
    while j < nt:
        tb = float(t_out[j])
        if io < oral_t.size:
            tb = min(tb, float(oral_t[io]))
        if ix < oth_t.size:
            tb = min(tb, float(oth_t[ix]))
        if gi > 0:
            tb = min(tb, t_ev + max_step / 2.0**gi)
        if tb > t:
            seg = tb - t
            nsteps = max(1, int(math.ceil(seg / max_step - 1e-9)))
            h = seg / nsteps
            c = None
            for hc, cc in slots.items():
                if abs(hc - h) <= 1e-10 * h:
                    c = cc
                    break
            if c is None:
                c = slots[h] = fill_slot_np(h, ka, k, ke0, q, kt, kout, gl_c, gl_A, gl_b)
            P, Pn, uT, WT, bT, bB = c["P"], c["Pn"], c["uT"], c["WT"], c["bT"], c["bB"]
            for _ in range(nsteps):
                for jn in range(s):
                    E[jn] = _effect_np(Pn[jn, 0] * R + Pn[jn, 1] * ag + Pn[jn, 2] * ac + Pn[jn, 3] * ce, KA, tau, Em, hill)
                tn = c["aT"] * T
                bn = c["aB"] * B
                for jn in range(s):
                    tj = uT[jn] * T
                    for m in range(s):
                        tj = tj + WT[jn, m] * E[m]
                    tn = tn + bT[jn] * E[jn]
                    bn = bn + bB[jn] * kin * (1.0 + smax * E[jn] * (1.0 - alpha * tj))
                T, B = tn, bn
                ce = P[4] * ce + P[5] * ac + P[6] * ag + P[7] * R
                ac = P[2] * ac + P[1] * ag + P[3] * R
                ag = P[0] * ag
            t = tb
        if gi > 0 and t_ev + max_step / 2.0**gi <= t:
            gi -= 1
        while io < oral_t.size and oral_t[io] <= t:
            ag = ag + F * scale * sch.oral_amt[io]
            io += 1
            t_ev, gi = t, grading
        while ix < oth_t.size and oth_t[ix] <= t:
            t_ev, gi = t, grading
            if sch.other_kind[ix] == 1:
                ac = ac + scale * sch.other_val[ix]
            else:
                step = scale * sch.other_val[ix]
                R = R + step
                R = np.where(np.abs(R) < 1e-12 * np.abs(step), 0.0, R)
            ix += 1
        while j < nt and t_out[j] <= t:
            e = _effect_np(ce, KA, tau, Em, hill)
            values = (cf * ac / V, ce, ce / (ce + KA), e, T, e * (1.0 - alpha * T), B, ag, ac)
            for m, code in enumerate(codes):
                out[m, idx, j] = values[code]
            j += 1
