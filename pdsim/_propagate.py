"""Exact step propagators and collocation coefficients shared by the compiled and NumPy kernels.

Divided differences of the exponential (robust at coinciding rates), the matrix exponential of the
depot → central → effect-site chain, and Gauss–Legendre collocation weights for forced linear states.
"""
from __future__ import annotations

import math

import numpy as np

try:  # numba is optional: without it the same functions run as plain Python/NumPy
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is absent
    _numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "njit", "gauss_legendre", "dd1", "dd2", "dd1_np", "dd2_np", "slot_size", "fill_slot", "fill_slot_np"]

#: spread of the rates (times the step) below which the 3-point divided difference uses its series
_SERIES_SPREAD = 1.0
_SERIES_TERMS = 24


def njit(*args, **kwargs):
    """`numba.njit` when numba is installed, otherwise the identity decorator."""
    if HAVE_NUMBA:
        return _numba.njit(*args, **kwargs)
    if args and callable(args[0]):
        return args[0]
    return lambda f: f


def gauss_legendre(s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Butcher tableau ``(c, A, b)`` of the ``s``-stage Gauss–Legendre collocation method (order 2s).

    .. math:: c_i = \\tfrac{1}{2}(1 + x_i),\\quad A_{ij} = \\int_0^{c_i} \\ell_j(\\tau)\\,d\\tau,
              \\quad b_j = \\int_0^1 \\ell_j(\\tau)\\,d\\tau

    with :math:`x_i` the Gauss–Legendre nodes on [-1, 1] and :math:`\\ell_j` the Lagrange basis
    on the :math:`c_i`. Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed., §II.7.
    """
    x, w = np.polynomial.legendre.leggauss(s)
    c = 0.5 * (x + 1.0)
    b = 0.5 * w
    vander = np.vander(c, s, increasing=True)  # V[i, k] = c_i^k
    coef = np.linalg.inv(vander)  # l_j(t) = sum_k coef[k, j] t^k
    powers = np.arange(1, s + 1)
    a = (c[:, None] ** powers[None, :] / powers[None, :]) @ coef
    return c, np.ascontiguousarray(a), b


def _hm_series(y1, y2, y3):
    """:math:`\\sum_{m<M} h_m(y_1, y_2, y_3)/(m+2)!` with :math:`h_m` the complete homogeneous
    symmetric polynomials (built by the recurrence over one, two, then three variables); the
    ``y`` are already scaled by the step. Works elementwise on floats and on arrays alike.
    """
    p1 = y1 * 0.0 + 1.0  # h_m(y1)
    p2 = y2 * 0.0 + 1.0  # h_m(y1, y2)
    p3 = y3 * 0.0 + 1.0  # h_m(y1, y2, y3)
    fact = 2.0
    total = p3 / fact
    for m in range(1, _SERIES_TERMS):
        p1 = p1 * y1
        p2 = p1 + y2 * p2
        p3 = p2 + y3 * p3
        fact = fact * (m + 2)
        total = total + p3 / fact
    return total


_hm_series_jit = njit(cache=True)(_hm_series)


@njit(cache=True)
def dd1(a, b, h):
    """First divided difference of :math:`f(\\lambda) = e^{\\lambda h}` at ``a`` and ``b`` (rates ≤ 0).

    .. math:: f[a, b] = \\frac{e^{a h} - e^{b h}}{a - b} = e^{m h}\\, h\\, \\varphi_1(-|a-b| h),
              \\quad \\varphi_1(z) = \\frac{e^z - 1}{z},\\; m = \\max(a, b)

    exact to rounding for every ``a``, ``b`` including ``a == b`` (where it is :math:`h e^{a h}`).
    """
    m = max(a, b)
    z = -abs(a - b) * h
    if z == 0.0:
        return h * math.exp(m * h)
    return math.exp(m * h) * h * (math.expm1(z) / z)


@njit(cache=True)
def dd2(a, b, c, h):
    """Second divided difference of :math:`e^{\\lambda h}` at ``a``, ``b``, ``c``, robust to coincidences.

    Sorted :math:`x_1 \\le x_2 \\le x_3`: when :math:`(x_3 - x_1) h > 1` the recursion
    :math:`(f[x_2,x_3] - f[x_1,x_2])/(x_3 - x_1)` loses at most a small factor; otherwise the
    series about the mean :math:`\\mu`,

    .. math:: f[x_1,x_2,x_3] = e^{\\mu h} \\sum_{m\\ge 0} \\frac{h^{m+2}}{(m+2)!}\\, h_m(y_1, y_2, y_3),
              \\quad y_i = x_i - \\mu,

    with :math:`h_m` the complete homogeneous symmetric polynomials, converges fast.
    """
    x1, x2, x3 = a, b, c
    if x1 > x2:
        x1, x2 = x2, x1
    if x2 > x3:
        x2, x3 = x3, x2
    if x1 > x2:
        x1, x2 = x2, x1
    spread = (x3 - x1) * h
    if spread > _SERIES_SPREAD:
        return (dd1(x2, x3, h) - dd1(x1, x2, h)) / (x3 - x1)
    mu = (x1 + x2 + x3) / 3.0
    y1 = (x1 - mu) * h
    y2 = (x2 - mu) * h
    y3 = (x3 - mu) * h
    return math.exp(mu * h) * h * h * _hm_series_jit(y1, y2, y3)


def dd1_np(a, b, h):
    """Vectorised `dd1` (arrays broadcast; ``h`` scalar or array)."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    m = np.maximum(a, b)
    z = -np.abs(a - b) * h
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(z == 0.0, 1.0, np.expm1(z) / z)
    return np.exp(m * h) * h * phi


def dd2_np(a, b, c, h):
    """Vectorised `dd2`, the same branches and series as the scalar version."""
    x = np.sort(np.stack(np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(c, float))), axis=0)
    x1, x2, x3 = x
    spread = (x3 - x1) * h
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = (dd1_np(x2, x3, h) - dd1_np(x1, x2, h)) / (x3 - x1)
    mu = (x1 + x2 + x3) / 3.0
    y1, y2, y3 = (x1 - mu) * h, (x2 - mu) * h, (x3 - mu) * h
    series = np.exp(mu * h) * h * h * _hm_series(y1, y2, y3)
    return np.where(spread > _SERIES_SPREAD, direct, series)


@njit(cache=True)
def slot_size(s):
    """Length of one cached coefficient slot for an ``s``-stage method (see `fill_slot`)."""
    return 10 + 7 * s + s * s


@njit(cache=True)
def _collocation(z, h, gl_A, gl_b, u, w, beta):
    """Gauss collocation of :math:`y' = -r y + f(t)` over a step ``h`` with ``z = r h``.

    Stages :math:`Y = u\\,y_0 + W f` with :math:`M = (I + zA)^{-1}`, :math:`u = M\\mathbf 1`,
    :math:`W = h M A`; end value :math:`y_1 = \\alpha y_0 + \\beta\\cdot f` with
    :math:`\\alpha = 1 - z\\, b\\cdot u`, :math:`\\beta = h (b - z (MA)^\\top b)`. Fills ``u``,
    ``w`` (row-major s×s) and ``beta``; returns ``alpha``.
    """
    s = gl_b.shape[0]
    # Gauss–Jordan on [I + zA | A | 1] gives M·A and M·1 at once (I + zA is invertible for
    # z >= 0 because the eigenvalues of a Gauss tableau's A have positive real parts)
    aug = np.zeros((s, 2 * s + 1))
    for i in range(s):
        for j in range(s):
            aug[i, j] = z * gl_A[i, j] + (1.0 if i == j else 0.0)
            aug[i, s + j] = gl_A[i, j]
        aug[i, 2 * s] = 1.0
    for p in range(s):
        best = p  # partial pivoting: cheap at s <= 5 and safe for any z >= 0
        for i in range(p + 1, s):
            if abs(aug[i, p]) > abs(aug[best, p]):
                best = i
        if best != p:
            for j in range(2 * s + 1):
                tmpv = aug[p, j]
                aug[p, j] = aug[best, j]
                aug[best, j] = tmpv
        piv = aug[p, p]
        for j in range(2 * s + 1):
            aug[p, j] /= piv
        for i in range(s):
            if i != p:
                f = aug[i, p]
                if f != 0.0:
                    for j in range(2 * s + 1):
                        aug[i, j] -= f * aug[p, j]
    bu = 0.0
    for i in range(s):
        u[i] = aug[i, 2 * s]
        bu += gl_b[i] * u[i]
        for j in range(s):
            w[i * s + j] = h * aug[i, s + j]
    for j in range(s):
        acc = 0.0
        for i in range(s):
            acc += gl_b[i] * aug[i, s + j]
        beta[j] = h * (gl_b[j] - z * acc)
    return 1.0 - z * bu


@njit(cache=True)
def fill_slot(buf, h, ka, k, ke0, q, kt, kout, gl_c, gl_A, gl_b):
    """Fill one coefficient slot for a step of length ``h`` (one subject).

    Layout: ``P(h)`` as ``[Pgg, Pcg, Pcc, PcR, Pee, Pec, Peg, PeR]`` for the state
    ``(R, gut, central, Ce)``; then for each node ``c_j`` the effect-site row of ``P(c_j h)``
    ``[PeR, Peg, Pec, Pee]``; then ``alpha_T, beta_T (s), u_T (s), W_T (s×s), alpha_B, beta_B (s)``
    where the T coefficients include the factor ``kt`` (input ``kt·E``).

    The generator of the linear chain is lower-triangular with diagonal
    :math:`(0, -k_a, -k, -k_{e0})` and couplings R→central 1, gut→central :math:`k_a`,
    central→Ce :math:`q = k_{e0}\\,c_f/V`; each entry of :math:`e^{hA}` is the product of the
    couplings along its path times the divided difference of :math:`e^{\\lambda h}` over the
    path's eigenvalues (e.g. :math:`P_{eg} = k_a q\\, f[-k_a, -k, -k_{e0}]`).
    """
    s = gl_b.shape[0]
    _lin_coeffs(buf, 0, h, ka, k, ke0, q, True)
    off = 8
    tmp = np.empty(8)
    for j in range(s):
        _lin_coeffs(tmp, 0, gl_c[j] * h, ka, k, ke0, q, True)
        buf[off] = tmp[7]
        buf[off + 1] = tmp[6]
        buf[off + 2] = tmp[5]
        buf[off + 3] = tmp[4]
        off += 4
    u = np.empty(s)
    w = np.empty(s * s)
    beta = np.empty(s)
    alpha = _collocation(kt * h, h, gl_A, gl_b, u, w, beta)
    buf[off] = alpha
    off += 1
    for j in range(s):
        buf[off + j] = kt * beta[j]
    off += s
    for j in range(s):
        buf[off + j] = u[j]
    off += s
    for j in range(s * s):
        buf[off + j] = kt * w[j]
    off += s * s
    alpha = _collocation(kout * h, h, gl_A, gl_b, u, w, beta)
    buf[off] = alpha
    off += 1
    for j in range(s):
        buf[off + j] = beta[j]


@njit(cache=True)
def _lin_coeffs(buf, off, h, ka, k, ke0, q, full):
    buf[off + 0] = math.exp(-ka * h)
    buf[off + 1] = ka * dd1(-ka, -k, h)
    buf[off + 2] = math.exp(-k * h)
    buf[off + 3] = dd1(0.0, -k, h)
    buf[off + 4] = math.exp(-ke0 * h)
    buf[off + 5] = q * dd1(-k, -ke0, h)
    buf[off + 6] = ka * q * dd2(-ka, -k, -ke0, h)
    buf[off + 7] = q * dd2(0.0, -k, -ke0, h)


def fill_slot_np(h, ka, k, ke0, q, kt, kout, gl_c, gl_A, gl_b) -> dict[str, np.ndarray]:
    """Vectorised `fill_slot` over subjects: a dict of coefficient arrays (last axis: subject)."""
    s = gl_b.shape[0]

    def lin(hh):
        return (
            np.exp(-ka * hh), ka * dd1_np(-ka, -k, hh), np.exp(-k * hh), dd1_np(0.0, -k, hh),
            np.exp(-ke0 * hh), q * dd1_np(-k, -ke0, hh), ka * q * dd2_np(-ka, -k, -ke0, hh),
            q * dd2_np(0.0, -k, -ke0, hh),
        )

    out = {"P": np.array(lin(h))}
    nodes = [lin(cj * h) for cj in gl_c]
    out["Pn"] = np.array([[nd[7], nd[6], nd[5], nd[4]] for nd in nodes])  # (s, 4, n)

    def colloc(rate):
        z = rate * h
        eye = np.eye(s)
        mat = eye[None] + z[:, None, None] * gl_A[None]
        minv = np.linalg.inv(mat)
        u = minv.sum(axis=2)  # M·1, (n, s)
        ma = minv @ gl_A  # (n, s, s)
        alpha = 1.0 - z * (u @ gl_b)
        beta = h * (gl_b[None] - z[:, None] * np.einsum("i,nij->nj", gl_b, ma))
        return alpha, beta.T, u.T, (h * ma).transpose(1, 2, 0)

    a_t, b_t, u_t, w_t = colloc(kt)
    out["aT"], out["bT"], out["uT"], out["WT"] = a_t, kt * b_t, u_t, kt * w_t
    a_b, b_b, _, _ = colloc(kout)
    out["aB"], out["bB"] = a_b, b_b
    return out
