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


def epsc(receptor: str, t: Any, v: Any, stress: Any = 0.0, mor_signal: Any = 0.0, mg: Any = None) -> Any:
    r"""Synaptic current (pA) of one receptor type after one transmitter pulse at t = 0.

    .. math:: I_{AMPA} = g_{AMPA}\, r(t)\,(V - E), \qquad I_{NMDA} = g_{NMDA}\, r(t)\, B(V)\,(V - E)

    (destexhe1994; inward current negative). ``t`` in ms, ``v`` in mV (a clamp potential).
    """
    _check(receptor)
    p = receptor_rates(receptor)
    vv = as_float(v, "mV", "v")
    r = open_fraction(receptor, t)
    if receptor == "AMPA":
        return p["g_max"] * r * (vv - p["e_rev"])
    return nmda_conductance(stress, mor_signal) * r * mg_block(vv, mg) * (vv - p["e_rev"])


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
