"""Glutamatergic synapse (AMPA, NMDA): two-state kinetic receptors, Mg2+ block, EPSCs (F9).

Chronic stress raises the NMDA conductance and MOR signalling counters it, through an assumed route.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, UnknownNameError
from ..units import as_float
from ._base import target_param

__all__ = [
    "GLUTAMATE_TARGETS",
    "receptor_rates",
    "mg_block",
    "open_fraction",
    "open_fraction_integral",
    "two_state_rhs",
    "SCHEMES",
    "kinetic_states",
    "nmda_conductance",
    "epsc",
    "nmda_ampa_ratio",
    "glutamate_signals",
]

GLUTAMATE_TARGETS = ("AMPA", "NMDA")


def _check(receptor: str) -> None:
    if receptor not in GLUTAMATE_TARGETS:
        raise UnknownNameError(f"`receptor` must be 'AMPA' or 'NMDA' (got {receptor!r}).")


def receptor_rates(receptor: str) -> dict[str, float]:
    """Kinetic constants of a receptor from models/targets/<receptor>.toml, as plain floats.

    Keys: ``alpha`` (1/(mM·ms)), ``beta`` (1/ms), ``t_max`` (transmitter, mM), ``t_dur`` (ms),
    ``g_max`` (nS), ``e_rev`` (mV).
    """
    _check(receptor)
    return {
        "alpha": target_param(receptor, "alpha", "1/mM/ms"),
        "beta": target_param(receptor, "beta", "1/ms"),
        "t_max": target_param(receptor, "T_max", "mM"),
        "t_dur": target_param(receptor, "T_dur", "ms"),
        "g_max": target_param(receptor, "g_max", "nS"),
        "e_rev": target_param(receptor, "E_rev", "mV"),
    }


def mg_block(v: Any, mg: Any = None) -> Any:
    r"""Fraction of NMDA conductance not blocked by extracellular Mg2+ (jahr1990b, as in destexhe1994).

    .. math:: B(V) = \frac{1}{1 + e^{-a V}\,[\mathrm{Mg}^{2+}]_o / K_{Mg}}

    with a = ``mg_slope`` (0.062 /mV) and K_Mg = ``mg_k`` (3.57 mM) from models/targets/NMDA.toml.

    Parameters
    ----------
    v : quantity or float or array
        Membrane potential (floats in mV).
    mg : quantity or float, optional
        Extracellular Mg2+ (floats in mM); default the file's ``mg_o`` (1 mM).
    """
    a = target_param("NMDA", "mg_slope", "1/mV")
    kmg = target_param("NMDA", "mg_k", "mM")
    m = target_param("NMDA", "mg_o", "mM") if mg is None else as_float(mg, "mM", "mg", nonnegative=True)
    x = as_float(v, "mV", "v")
    return 1.0 / (1.0 + np.exp(-a * x) * m / kmg)


def two_state_rhs(t: float, r: Any, alpha: float, beta: float, t_max: float, t_dur: float) -> Any:
    r"""dr/dt = α T(t)(1 − r) − β r with T a square pulse of t_max for 0 <= t < t_dur (destexhe1994)."""
    T = t_max if 0.0 <= t < t_dur else 0.0
    return alpha * T * (1.0 - r) - beta * r


def open_fraction(receptor: str, t: Any) -> Any:
    r"""Open fraction r(t) (ms) after one transmitter pulse at t = 0, from r(0) = 0 (closed form).

    .. math::

        r(t) = r_\infty\left(1 - e^{-t/\tau_r}\right), \quad 0 \le t \le t_{dur}; \qquad
        r(t) = r(t_{dur})\,e^{-\beta (t - t_{dur})}, \quad t > t_{dur}

    with :math:`r_\infty = \alpha T_{max}/(\alpha T_{max} + \beta)` and
    :math:`\tau_r = 1/(\alpha T_{max} + \beta)` (destexhe1994).
    """
    p = receptor_rates(receptor)
    tt = np.asarray(t, dtype=float)
    k = p["alpha"] * p["t_max"] + p["beta"]
    rinf = p["alpha"] * p["t_max"] / k
    r_end = rinf * -np.expm1(-k * p["t_dur"])
    during = rinf * -np.expm1(-k * np.clip(tt, 0.0, p["t_dur"]))
    after = r_end * np.exp(-p["beta"] * np.maximum(tt - p["t_dur"], 0.0))
    out = np.where(tt < 0.0, 0.0, np.where(tt <= p["t_dur"], during, after))
    return float(out) if out.ndim == 0 else out


def open_fraction_integral(receptor: str) -> float:
    r"""∫_0^∞ r(t) dt (ms) for one pulse: :math:`r_\infty(t_{dur} - \tau_r(1 - e^{-t_{dur}/\tau_r})) + r(t_{dur})/\beta`."""
    p = receptor_rates(receptor)
    k = p["alpha"] * p["t_max"] + p["beta"]
    rinf = p["alpha"] * p["t_max"] / k
    r_end = rinf * -np.expm1(-k * p["t_dur"])
    return float(rinf * (p["t_dur"] + np.expm1(-k * p["t_dur"]) / k) + r_end / p["beta"])


#: kinetic schemes as (states, transitions (from, to, rate parameter, binds transmitter), g_max key);
#: "two_state" is C + T <-> O (destexhe1994); "detailed" adds desensitised states (destexhe1998):
#: AMPA C0 <-> C1 <-> C2 <-> O with C1 <-> D1 and C2 <-> D2; NMDA C0 <-> C1 <-> C2 <-> O with C2 <-> D
SCHEMES: dict[tuple[str, str], tuple[tuple[str, ...], tuple[tuple[str, str, str, bool], ...], str]] = {
    ("AMPA", "two_state"): (("C", "O"), (("C", "O", "alpha", True), ("O", "C", "beta", False)), "g_max"),
    ("NMDA", "two_state"): (("C", "O"), (("C", "O", "alpha", True), ("O", "C", "beta", False)), "g_max"),
    ("AMPA", "detailed"): (
        ("C0", "C1", "C2", "D1", "D2", "O"),
        (("C0", "C1", "AMPA5_Rb", True), ("C1", "C0", "AMPA5_Ru1", False),
         ("C1", "C2", "AMPA5_Rb", True), ("C2", "C1", "AMPA5_Ru2", False),
         ("C1", "D1", "AMPA5_Rd", False), ("D1", "C1", "AMPA5_Rr", False),
         ("C2", "D2", "AMPA5_Rd", False), ("D2", "C2", "AMPA5_Rr", False),
         ("C2", "O", "AMPA5_Ro", False), ("O", "C2", "AMPA5_Rc", False)),
        "AMPA5_gmax"),
    ("NMDA", "detailed"): (
        ("C0", "C1", "C2", "D", "O"),
        (("C0", "C1", "NMDA5_Rb", True), ("C1", "C0", "NMDA5_Ru", False),
         ("C1", "C2", "NMDA5_Rb", True), ("C2", "C1", "NMDA5_Ru", False),
         ("C2", "D", "NMDA5_Rd", False), ("D", "C2", "NMDA5_Rr", False),
         ("C2", "O", "NMDA5_Ro", False), ("O", "C2", "NMDA5_Rc", False)),
        "NMDA5_gmax"),
}


def _generator(receptor: str, scheme: str, transmitter: float) -> tuple[tuple[str, ...], np.ndarray]:
    """States and generator Q (1/ms) of dP/dt = Q P at a constant transmitter concentration (mM)."""
    key = (receptor, scheme)
    if key not in SCHEMES:
        raise InputError(f"`scheme` must be 'two_state' or 'detailed' (got {scheme!r}).")
    states, transitions, _ = SCHEMES[key]
    idx = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for a, b, rate, binds in transitions:
        k = target_param(receptor, rate, "1/mM/ms" if binds else "1/ms") * (transmitter if binds else 1.0)
        q[idx[b], idx[a]] += k
        q[idx[a], idx[a]] -= k
    return states, q


def kinetic_states(receptor: str, t: Any, pulse_times: Any = (0.0,), scheme: str = "detailed") -> dict[str, Any]:
    r"""Occupancy of every state of a kinetic receptor scheme after transmitter pulses (exact).

    The transmitter is a square pulse of T_max for T_dur at each of ``pulse_times`` (destexhe1994),
    so between break points the master equation :math:`dP/dt = Q(T) P` has constant coefficients
    and is propagated exactly, :math:`P(t) = e^{Q (t - t_0)} P(t_0)`. ``scheme="detailed"`` is the
    multi-state scheme with desensitised states (destexhe1998; AMPA5/NMDA5 rates of the target
    files), which gives paired-pulse depression; ``"two_state"`` reproduces `open_fraction`.

    Parameters
    ----------
    receptor : {"AMPA", "NMDA"}
    t : float or array
        Times (ms), any order; all states start closed and unbound (C0) before the first pulse.
    pulse_times : sequence of float
        Pulse onsets (ms); pulses must not overlap.
    scheme : {"detailed", "two_state"}

    Returns
    -------
    dict of str to ndarray
        Fraction of receptors in each state at ``t`` (they sum to 1); ``"O"`` is the open fraction.
    """
    _check(receptor)
    p = receptor_rates(receptor)
    tt = np.atleast_1d(np.asarray(t, dtype=float))
    starts = np.sort(np.atleast_1d(np.asarray(pulse_times, dtype=float)))
    if starts.size and np.any(np.diff(starts) < p["t_dur"]):
        raise InputError(f"`pulse_times` must be at least T_dur = {p['t_dur']:g} ms apart (got {pulse_times!r}).")
    states, q_on = _generator(receptor, scheme, p["t_max"])
    _, q_off = _generator(receptor, scheme, 0.0)
    props = {}
    for name, q in (("on", q_on), ("off", q_off)):
        w, v = np.linalg.eig(q)  # trees of reversible steps: real spectrum, diagonalisable
        props[name] = (w.real, v.real, np.linalg.inv(v.real))
    state = np.zeros(len(states))
    state[0] = 1.0  # at rest before the first pulse: unbound and closed
    segments = [(-np.inf, "rest")] + [x for t0 in starts for x in ((t0, "on"), (t0 + p["t_dur"], "off"))]
    out = np.zeros((len(states), tt.size))
    for i, (a, kind) in enumerate(segments):
        b = segments[i + 1][0] if i + 1 < len(segments) else np.inf
        sel = (tt >= a) & (tt < b)
        if kind == "rest":
            out[:, sel] = state[:, None]
            continue
        w, v, vi = props[kind]
        c = vi @ state
        out[:, sel] = v @ (np.exp(np.outer(w, tt[sel] - a)) * c[:, None])
        if np.isfinite(b):
            state = v @ (np.exp(w * (b - a)) * c)
    shape = np.shape(t)
    return {s: out[j].reshape(shape) if shape else float(out[j, 0]) for j, s in enumerate(states)}


def nmda_conductance(stress: Any = 0.0, mor_signal: Any = 0.0) -> Any:
    r"""NMDA peak conductance (nS) under chronic stress and MOR signalling (assumed route).

    .. math:: g_{NMDA} = g_{max}\left[1 + G_s\, s\, \max\!\left(0,\ 1 - c\, E_{MOR}\right)\right]

    s in [0, 1] is the stress intensity, E_MOR the MOR signal (fraction of system maximum).
    G_s (``stress_gain``) is the stress-induced rise of the NMDA component: its direction is
    that of kole2002 (chronic restraint raised the NMDA component of CA3 EPSCs; seed 001), its
    size is assumed. c (``mor_normalisation``) is the assumed route from drug to synapse: the
    seeds suggest MOR activation may underlie tianeptine's correction of NMDA signalling (seed 001,
    line 52), and c sets how much of the stress-induced rise a given MOR signal removes. Both are
    kind "assumed" in models/targets/NMDA.toml. The route is acute (signal now), whereas
    kole2002 recorded in slices after treatment, i.e. a persistent change.
    """
    g0 = target_param("NMDA", "g_max", "nS")
    gs = target_param("NMDA", "stress_gain", "dimensionless")
    c = target_param("NMDA", "mor_normalisation", "dimensionless")
    s = as_float(stress, "dimensionless", "stress", nonnegative=True)
    e = as_float(mor_signal, "dimensionless", "mor_signal", nonnegative=True)
    return g0 * (1.0 + gs * s * np.maximum(0.0, 1.0 - c * e))


def epsc(receptor: str, t: Any, v: Any, stress: Any = 0.0, mor_signal: Any = 0.0, mg: Any = None,
         scheme: str = "two_state", pulse_times: Any = (0.0,)) -> Any:
    r"""Synaptic current (pA) of one receptor type after transmitter pulses (one at t = 0 by default).

    .. math:: I_{AMPA} = g_{AMPA}\, r(t)\,(V - E), \qquad I_{NMDA} = g_{NMDA}\, r(t)\, B(V)\,(V - E)

    (destexhe1994; inward current negative). ``t`` in ms, ``v`` in mV (a clamp potential). With
    ``scheme="detailed"`` r is the open state of the desensitising scheme (`kinetic_states`) and
    g the scheme's own maximal conductance; stress scales the NMDA conductance in both schemes.
    """
    _check(receptor)
    p = receptor_rates(receptor)
    vv = as_float(v, "mV", "v")
    if scheme == "two_state" and tuple(np.atleast_1d(pulse_times)) == (0.0,):
        r, g = open_fraction(receptor, t), p["g_max"]
    else:
        r = kinetic_states(receptor, t, pulse_times, scheme)["O"]
        g = target_param(receptor, SCHEMES[(receptor, scheme)][2], "nS")
    if receptor == "AMPA":
        return g * r * (vv - p["e_rev"])
    return g * (nmda_conductance(stress, mor_signal) / p["g_max"]) * r * mg_block(vv, mg) * (vv - p["e_rev"])


def nmda_ampa_ratio(stress: Any = 0.0, mor_signal: Any = 0.0, measure: str = "charge", v_ampa: Any = "-70 mV",
                    v_nmda: Any = "40 mV", mg: Any = None) -> Any:
    r"""NMDA/AMPA ratio of the EPSC (peak or charge), AMPA measured at v_ampa and NMDA at v_nmda.

    The usual protocol: AMPA current at a hyperpolarised clamp (where the NMDA current is
    Mg2+-blocked), NMDA current at a depolarised clamp. Ratios of magnitudes:

    .. math:: \frac{g_{NMDA} B(V_N) |V_N - E| \, X_N}{g_{AMPA} |V_A - E| \, X_A}

    with X the peak open fraction r(t_dur) (``measure="peak"``) or ∫ r dt (``"charge"``).
    Vectorised over ``stress`` and ``mor_signal``.
    """
    if measure not in ("peak", "charge"):
        raise InputError(f"`measure` must be 'peak' or 'charge' (got {measure!r}).")
    pa, pn = receptor_rates("AMPA"), receptor_rates("NMDA")
    va, vn = as_float(v_ampa, "mV", "v_ampa"), as_float(v_nmda, "mV", "v_nmda")
    if measure == "peak":
        xa, xn = open_fraction("AMPA", pa["t_dur"]), open_fraction("NMDA", pn["t_dur"])
    else:
        xa, xn = open_fraction_integral("AMPA"), open_fraction_integral("NMDA")
    num = nmda_conductance(stress, mor_signal) * mg_block(vn, mg) * abs(vn - pn["e_rev"]) * xn
    return num / (pa["g_max"] * abs(va - pa["e_rev"]) * xa)


def glutamate_signals(stress: Any = 0.0, mor_signal: Any = 0.0) -> dict[str, Any]:
    """``signal.NMDA``: NMDA conductance relative to the unstressed synapse; ``signal.AMPA`` = 1.

    Shape-preserving over ``stress`` and ``mor_signal`` (the engine's ``stress`` and ``signal.MOR``).
    """
    g = nmda_conductance(stress, mor_signal) / target_param("NMDA", "g_max", "nS")
    return {"signal.NMDA": g, "signal.AMPA": np.ones_like(g) if np.ndim(g) else 1.0}
