"""Non-linear PK by numerical integration: one compartment whose CYP2D6 clearance the drug itself inactivates.

The compiled kernel (adaptive DOP853, dose edges exact) and the model class `pdsim.pk` exposes as `CypInactivation`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

from ._pk_closed import LN2, as_events, as_subjects, as_times, check_output, parameter_value
from ._propagate import njit
from .errors import InputError, SolverError

__all__ = ["CypInactivation", "RTOL", "ROUTE_CODES"]

#: relative tolerance of the adaptive steps; the local error test of DOP853 at this level keeps the
#: global relative error of the concentrations, dense output included, well below 1e-8 (tests/test_nonlinear_pk.py)
RTOL = 1e-12
#: absolute tolerance, as a fraction of each state's natural size (largest dose, 1 for the enzyme): the
#: error test is relative down to 1e-8 of the dose (1e-20 / RTOL), absolute below
_ATOL_FRACTION = 1e-20
#: dose routes as the kernel numbers them
ROUTE_CODES = {"oral": 0, "iv_bolus": 1, "iv_infusion": 2, "ip": 3, "sc": 3}

# DOP853 (Dormand & Prince, order 8 with embedded 5th and 3rd order error estimators), as SciPy tabulates it
_NS = _dop.N_STAGES
_A = np.ascontiguousarray(_dop.A, dtype=float)  # 16 x 16: the 12 stages, then the 3 of the dense output
_B = np.ascontiguousarray(_dop.B, dtype=float)
_C = np.ascontiguousarray(_dop.C, dtype=float)
_E3 = np.ascontiguousarray(_dop.E3, dtype=float)
_E5 = np.ascontiguousarray(_dop.E5, dtype=float)
_D = np.ascontiguousarray(_dop.D, dtype=float)  # 4 x 16: the dense output's higher coefficients
_N_EXT = _dop.N_STAGES_EXTENDED
_POWER = _dop.INTERPOLATOR_POWER
_N_STATES = 4  # gut amount, central amount, active enzyme fraction, effect-site concentration


@njit(cache=True, nogil=True)
def _rhs(y, rate, p, dy):  # pragma: no cover - compiled
    # p: CL, CL2, V, ka, kinact, KI, kdeg, ke0
    c = y[1] / p[2]
    dy[0] = -p[3] * y[0]
    dy[1] = p[3] * y[0] + rate - (p[0] + p[1] * y[2]) * c
    cc = c if c > 0.0 else 0.0  # the drive of inactivation sees no negative rounding of an empty compartment
    dy[2] = p[6] * (1.0 - y[2]) - p[4] * cc / (p[5] + cc) * y[2]
    dy[3] = p[7] * (c - y[3])


@njit(cache=True, nogil=True, inline="always")
def _stages(y, rate, p, hh, K, ytmp, first, last):  # pragma: no cover - compiled
    """Stages first..last-1 of the tableau from ``y`` over the step ``hh`` into the rows of K."""
    n = y.size
    for s in range(first, last):
        for m in range(n):
            acc = 0.0
            for q in range(s):
                acc += _A[s, q] * K[q, m]
            ytmp[m] = y[m] + hh * acc
        _rhs(ytmp, rate, p, K[s])


@njit(cache=True, nogil=True)
def _advance(y, t0, t1, rate, p, h, atol, rtol, times, k, row, read, K, ytmp, ynew, F):  # pragma: no cover - compiled
    """Advance ``y`` from t0 to t1 (> t0) with adaptive DOP853 steps (none crosses t1), writing ``row[k]`` for
    every sorted ``times[k]`` < t1 from the step's dense output (7th-order interpolant of Dormand & Prince).
    Returns (next step size, next k); a step size < 0 is a failure."""
    n = y.size
    ns = _B.size
    t = t0
    while t < t1:
        rem = t1 - t
        last = h >= rem
        hh = rem if last else h
        _rhs(y, rate, p, K[0])
        _stages(y, rate, p, hh, K, ytmp, 1, ns)
        for m in range(n):
            acc = 0.0
            for q in range(ns):
                acc += _B[q] * K[q, m]
            ynew[m] = y[m] + hh * acc
        _rhs(ynew, rate, p, K[ns])
        e5 = 0.0
        e3 = 0.0
        for m in range(n):
            a5 = 0.0
            a3 = 0.0
            for q in range(ns + 1):
                a5 += _E5[q] * K[q, m]
                a3 += _E3[q] * K[q, m]
            sc = atol[m] + rtol * max(abs(y[m]), abs(ynew[m]))
            e5 += (a5 / sc) ** 2
            e3 += (a3 / sc) ** 2
        den = e5 + 0.01 * e3
        err = hh * e5 / math.sqrt(den * n) if den > 0.0 else 0.0
        if not (err <= 1.0):
            h = hh * max(0.2, 0.9 * err ** (-1.0 / 8.0)) if math.isfinite(err) else 0.2 * hh
            if h < 1e-13 * max(1.0, abs(t)):
                return -1.0, k
            continue
        tn = t1 if last else t + hh
        if k < times.size and times[k] < tn:  # outputs inside this step: the dense output's 3 extra stages
            _stages(y, rate, p, hh, K, ytmp, ns + 1, _N_EXT)
            for m in range(n):
                dy = ynew[m] - y[m]
                F[0, m] = dy
                F[1, m] = hh * K[0, m] - dy
                F[2, m] = 2.0 * dy - hh * (K[ns, m] + K[0, m])
                for r in range(_D.shape[0]):
                    acc = 0.0
                    for q in range(_N_EXT):
                        acc += _D[r, q] * K[q, m]
                    F[3 + r, m] = hh * acc
            while k < times.size and times[k] < tn:
                x = (times[k] - t) / hh
                for m in range(n):
                    v = 0.0
                    for r in range(F.shape[0] - 1, -1, -1):
                        v += F[r, m]
                        if (F.shape[0] - 1 - r) % 2 == 0:
                            v *= x
                        else:
                            v *= 1.0 - x
                    ytmp[m] = y[m] + v
                row[k] = ytmp[1] / p[2] if read == 4 else ytmp[read]
                k += 1
        fac = 10.0 if err == 0.0 else min(10.0, 0.9 * err ** (-1.0 / 8.0))
        t = tn
        for m in range(n):
            y[m] = ynew[m]
        h = max(h, hh * fac) if last else hh * fac
    return h, k


@njit(cache=True, nogil=True)
def _solve(times, ev_t, ev_amt, ev_route, ev_dur, P, F, F_ip, tlag, read, rtol, out):  # pragma: no cover - compiled
    """Every subject's ``read`` output (0 gut, 1 central amount, 2 enzyme, 3 effect site, 4 concentration) at
    the sorted ``times``; P[i] holds subject i's CL, CL2, V, ka, kinact, KI, kdeg, ke0. Returns the first
    failing subject, or -1."""
    n_subj = P.shape[0]
    n_ev = ev_t.size
    n_t = times.size
    big = 0.0
    for e in range(n_ev):
        big = max(big, ev_amt[e])
    big = big if big > 0.0 else 1.0
    K = np.zeros((_N_EXT, _N_STATES))
    Fd = np.zeros((_POWER, _N_STATES))
    ytmp = np.zeros(_N_STATES)
    ynew = np.zeros(_N_STATES)
    y = np.zeros(_N_STATES)
    atol = np.zeros(_N_STATES)
    e_t = np.zeros(2 * n_ev)
    e_kind = np.zeros(2 * n_ev, dtype=np.int64)  # 0 gut input, 1 central input, 2 infusion start, 3 infusion end
    e_val = np.zeros(2 * n_ev)
    for i in range(n_subj):
        p = P[i]
        atol[0] = _ATOL_FRACTION * big
        atol[1] = _ATOL_FRACTION * big
        atol[2] = _ATOL_FRACTION
        atol[3] = _ATOL_FRACTION * big / p[2]
        m = 0
        for e in range(n_ev):
            r = ev_route[e]
            if r == 0:
                e_t[m], e_kind[m], e_val[m] = ev_t[e] + tlag[i], 0, F[i] * ev_amt[e]
            elif r == 1:
                e_t[m], e_kind[m], e_val[m] = ev_t[e], 1, ev_amt[e]
            elif r == 3:
                e_t[m], e_kind[m], e_val[m] = ev_t[e], 0, F_ip[i] * ev_amt[e]
            else:
                e_t[m], e_kind[m], e_val[m] = ev_t[e], 2, ev_amt[e] / ev_dur[e]
                m += 1
                e_t[m], e_kind[m], e_val[m] = ev_t[e] + ev_dur[e], 3, ev_amt[e] / ev_dur[e]
            m += 1
        order = np.argsort(e_t[:m], kind="mergesort")
        y[0] = 0.0
        y[1] = 0.0
        y[2] = 1.0
        y[3] = 0.0
        rate = 0.0
        running = 0
        h = 0.05
        j = 0
        row = out[i]
        t = e_t[order[0]] if m > 0 else np.inf
        k = 0
        while k < n_t and times[k] < t:  # before the first dose: nothing given, the enzyme fully active
            row[k] = 1.0 if read == 2 else 0.0
            k += 1
        while k < n_t:
            while j < m and e_t[order[j]] <= t:  # the doses at t (right-continuous: outputs at t follow them)
                q = order[j]
                kind = e_kind[q]
                if kind == 0:
                    y[0] += e_val[q]
                elif kind == 1:
                    y[1] += e_val[q]
                elif kind == 2:
                    running += 1
                    rate += e_val[q]
                else:
                    running -= 1
                    rate = rate - e_val[q] if running > 0 else 0.0
                j += 1
            while k < n_t and times[k] <= t:
                row[k] = y[1] / p[2] if read == 4 else y[read]
                k += 1
            if k >= n_t:
                break
            nxt = e_t[order[j]] if j < m else np.inf
            end = nxt if nxt < times[n_t - 1] else times[n_t - 1]
            h, k = _advance(y, t, end, rate, p, h, atol, rtol, times, k, row, read, K, ytmp, ynew, Fd)
            if h < 0.0:
                return i
            t = end
    return -1


class CypInactivation:
    r"""One compartment whose CYP2D6 clearance the drug inactivates (mechanism-based, time- and dose-dependent).

    .. math:: \frac{dA_g}{dt} = -k_a A_g,\qquad
              \frac{dA}{dt} = k_a A_g + R(t) - \left(CL + CL_{2D6}\,E\right) C,\qquad C = A/V

    .. math:: \frac{dE}{dt} = k_{deg}\,(1 - E) - \frac{k_{inact}\, C}{K_I + C}\, E,\qquad
              \frac{dC_e}{dt} = k_{e0}\,(C - C_e)

    E is the active fraction of the enzyme (1 before the first dose): it is re-synthesised at the
    rate :math:`k_{deg}` at which it turns over, and inactivated by the drug with the saturable rate of a
    mechanism-based inactivator (Silverman 1995; in vivo form of Mayhew et al. 2000). CL is the
    clearance by every other pathway; :math:`CL_{2D6}` the CYP2D6 clearance at full activity (a poor
    metaboliser has none). All clearances and V may be apparent oral values (F = 1), as for the
    linear models. Doses enter exactly: an oral dose (after its lag) or an ip/sc dose adds to
    :math:`A_g`, an iv bolus to A, an infusion sets R(t) between its start and end.

    Superposition does not hold: the model is integrated numerically, subject by subject, over the
    requested times and the dose edges (compiled adaptive DOP853 of Hairer, Nørsett & Wanner with its
    5th/3rd-order error estimators; relative tolerance `RTOL`). With :math:`k_{inact} = 0` or
    :math:`CL_{2D6} = 0` it is the linear one-compartment model.

    Parameters
    ----------
    CL, CL_2D6 : float or array
        Clearance by other pathways and by CYP2D6 at full activity, L/h.
    V : float or array
        Volume, L.
    kinact : float or array
        Maximal inactivation rate of the enzyme, 1/h.
    KI : float or array
        Concentration (total plasma, mg/L) at half the maximal inactivation rate.
    kdeg : float or array
        Turnover (re-synthesis) rate of the enzyme, 1/h.
    ka, F, tlag, ke0, F_ip
        As for `OneCompartment`.

    References
    ----------
    Silverman RB. Mechanism-based enzyme inactivators. *Methods Enzymol* 1995;249:240–283.
    Mayhew BS, Jones DR, Hall SD. An in vitro model for predicting in vivo inhibition of cytochrome
    P450 3A4 by metabolic intermediate complex formation. *Drug Metab Dispos* 2000;28:1031–1037.
    Hairer E, Nørsett SP, Wanner G. *Solving Ordinary Differential Equations I*, 2nd ed., Springer
    1993, §II.10 (DOP853).
    """

    _KEYS = ("CL", "CL_2D6", "V", "kinact", "KI", "kdeg", "ka", "F", "tlag", "ke0", "F_ip")

    def __init__(self, CL: Any, CL_2D6: Any, V: Any, kinact: Any, KI: Any, kdeg: Any, ka: Any = None, F: Any = 1.0,
                 tlag: Any = 0.0, ke0: Any = None, F_ip: Any = None):
        arg = self._arg
        self.CL = arg(CL, "L/h", "CL", positive=True)
        self.CL_2D6 = arg(CL_2D6, "L/h", "CL_2D6", nonnegative=True)
        self.V = arg(V, "L", "V", positive=True)
        self.kinact = arg(kinact, "1/h", "kinact", nonnegative=True)
        self.KI = arg(KI, "mg/L", "KI", positive=True)
        self.kdeg = arg(kdeg, "1/h", "kdeg", positive=True)
        self.ka = None if ka is None else arg(ka, "1/h", "ka", positive=True)
        self.F = arg(F, "dimensionless", "F", nonnegative=True)
        self.tlag = arg(tlag, "h", "tlag", nonnegative=True)
        self.ke0 = None if ke0 is None else arg(ke0, "1/h", "ke0", positive=True)
        self.F_ip = None if F_ip is None else arg(F_ip, "dimensionless", "F_ip", nonnegative=True)
        try:
            self.shape = tuple(np.broadcast_shapes(*[np.shape(getattr(self, k)) for k in self._KEYS
                                                     if getattr(self, k) is not None]))
        except ValueError:
            raise InputError("parameter arrays must all have the same number of subjects; give arrays of one length.") from None
        self._cache: tuple[Any, dict[int, np.ndarray]] | None = None

    _arg = staticmethod(parameter_value)

    def kwargs(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._KEYS}

    def subject(self, i: int) -> "CypInactivation":
        """The same model with every parameter array reduced to subject ``i``."""
        return CypInactivation(**{k: (np.asarray(v)[i] if isinstance(v, np.ndarray) else v) for k, v in self.kwargs().items()})

    @property
    def half_life(self) -> Any:
        """Half-life ln 2 · V / CL with the enzyme fully active (before any dose), h: the drug's own
        half-life changes as it inactivates the enzyme, so this is only the first-dose value."""
        return as_subjects(LN2 * np.asarray(self.V) / (np.asarray(self.CL) + np.asarray(self.CL_2D6)))

    def response_terms(self, route: str, output: str):
        raise InputError("paroxetine-type non-linear PK (CYP2D6 auto-inactivation, model "
                         "'one_compartment_cyp2d6_inactivation') has no closed form: exposure is not proportional "
                         "to dose and steady state is not a superposition of single doses. Simulate the regimen "
                         "instead (pdsim.simulate or pdsim.pk.concentration).")

    def central_terms(self, route: str):
        return self.response_terms(route, "amount")

    def _check_routes(self, evs: tuple[Any, ...]) -> None:
        for route in {e.route for e in evs}:
            if route != "iv_bolus" and route != "iv_infusion" and self.ka is None:
                raise InputError(f"route '{route}' needs the absorption rate `ka`; give ka=... in 1/h, or dose iv_bolus.")
            if route in ("ip", "sc") and self.F_ip is None:
                raise InputError(f"route '{route}' needs `F_ip`, the bioavailability of ip and sc doses; give F_ip=... (0 to 1).")

    def states(self, times: Any, events: Any) -> dict[str, np.ndarray]:
        """Every state at ``times``: "gut" and "amount" (mg), "enzyme" (active fraction), "effect" and
        "conc" (mg/L); each (n_times,) for one subject, (n_subj, n_times) for parameter arrays."""
        return {k: self._run(times, events, k) for k in ("gut", "amount", "enzyme", "conc")
                } | ({"effect": self._run(times, events, "effect")} if self.ke0 is not None else {})

    def response(self, times: Any, events: Any, output: str = "conc") -> np.ndarray:
        """``output`` ("amount" mg, "conc" mg/L, "effect" mg/L) at ``times`` (h) after ``events``."""
        check_output(output)
        if output == "effect" and self.ke0 is None:
            raise InputError("the effect site needs `ke0`, the effect-site equilibration rate; give ke0=... in 1/h.")
        return self._run(times, events, output)

    def conc(self, times: Any, events: Any) -> np.ndarray:
        return self.response(times, events, "conc")

    def amount(self, times: Any, events: Any) -> np.ndarray:
        return self.response(times, events, "amount")

    def effect(self, times: Any, events: Any) -> np.ndarray:
        return self.response(times, events, "effect")

    def enzyme(self, times: Any, events: Any) -> np.ndarray:
        """Active fraction E of CYP2D6 (1 before the first dose)."""
        return self._run(times, events, "enzyme")

    def _run(self, times: Any, events: Any, output: str) -> np.ndarray:
        read = {"gut": 0, "amount": 1, "enzyme": 2, "effect": 3, "conc": 4}[output]
        evs = as_events(events)
        t = as_times(times)
        self._check_routes(evs)
        key = (evs, t.shape, hash(t.tobytes()))
        if self._cache is not None and self._cache[0] == key and read in self._cache[1]:
            got = self._cache[1][read]
        else:
            got = self._integrate(t, evs, read)
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, {})
            self._cache[1][read] = got
        out = got.copy()
        return out[0] if not self.shape else out

    def _integrate(self, t: np.ndarray, evs: tuple[Any, ...], read: int) -> np.ndarray:
        n = self.shape[0] if self.shape else 1

        def col(v: Any, default: float = 0.0) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(np.asarray(default if v is None else v, dtype=float), (n,)))

        P = np.ascontiguousarray(np.stack([col(self.CL), col(self.CL_2D6), col(self.V), col(self.ka), col(self.kinact),
                                           col(self.KI), col(self.kdeg), col(self.ke0)], axis=1))
        order = np.argsort(t, kind="stable")
        ts = np.ascontiguousarray(t[order])
        ev_t = np.array([e.time for e in evs], dtype=float)
        ev_amt = np.array([e.amount for e in evs], dtype=float)
        ev_route = np.array([ROUTE_CODES[e.route] for e in evs], dtype=np.int64)
        ev_dur = np.array([e.duration or 0.0 for e in evs], dtype=float)
        out = np.zeros((n, ts.size))
        bad = _solve(ts, ev_t, ev_amt, ev_route, ev_dur, P, col(self.F, 1.0), col(self.F_ip), col(self.tlag), read,
                     RTOL, out)
        if bad >= 0:
            raise SolverError(f"the non-linear PK integrator could not meet its tolerance for subject {bad} "
                              f"(parameters {dict(zip(('CL', 'CL_2D6', 'V', 'ka', 'kinact', 'KI', 'kdeg', 'ke0'), P[bad]))}); "
                              f"check that they are finite and of sensible size.")
        if read != 2:  # amounts and concentrations are > 0 exactly: this only removes the rounding (about
            np.maximum(out, 0.0, out=out)  # atol) of a washed-out compartment, as the closed forms' clip does
        res = np.empty_like(out)
        res[:, order] = out
        return res

    def __repr__(self) -> str:
        return (f"CypInactivation(CL={self.CL}, CL_2D6={self.CL_2D6}, V={self.V}, kinact={self.kinact}, KI={self.KI}, "
                f"kdeg={self.kdeg}, ka={self.ka}, F={self.F}, tlag={self.tlag}, ke0={self.ke0})")
