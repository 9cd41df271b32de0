"""Voltage-gated Na+ channels (Nav): modulated-receptor block, tonic and use-dependent (F10).

Resting and inactivated affinities weighted by h∞(V); a voltage-clamp pulse train gains block and recovers between
pulses (`nav_block`, closed form per pulse); each drug's constants belong to one stated isoform (`nav_isoform`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..limits import MAX_PULSES, check_count
from ..units import as_float
from ._base import antagonist_outputs, as_drug, binding_param, conc_nM, concs_nM, target_param, value

__all__ = [
    "NavBlock",
    "h_inf",
    "k_app",
    "nav_block",
    "nav_fixed_point",
    "nav_ic50",
    "nav_isoform",
    "nav_signals",
]

_TARGET = "Nav"


def h_inf(v: Any) -> Any:
    r"""Steady-state availability (fraction of channels not inactivated) at membrane potential V (mV).

    .. math:: h_\infty(V) = \frac{1}{1 + e^{(V - V_{1/2})/k}}

    V_1/2 and k are ``V_half_inact`` and ``slope_inact`` of models/targets/Nav.toml.
    """
    vh = target_param(_TARGET, "V_half_inact", "mV")
    k = target_param(_TARGET, "slope_inact", "mV")
    x = as_float(v, "mV", "v")
    return 0.5 * (1.0 - np.tanh(0.5 * (x - vh) / k))  # = logistic, without overflow


def nav_isoform(drug: Any) -> str:
    """The Nav isoform a drug's state-dependent constants were measured on (its ``isoform`` field).

    ``""`` when the drug file does not state one.
    """
    return as_drug(drug).binding(_TARGET).isoform


def _check_isoform(d: Any, isoform: Any) -> str:
    """The isoform a calculation may use: the drug's own, or an error naming what is and is not sourced."""
    own = d.binding(_TARGET).isoform
    if isoform is None:
        return own
    if not isinstance(isoform, str) or not isoform.strip():
        raise InputError(f"`isoform` must name a Na+ channel subtype such as 'Nav1.5' (got {isoform!r}).",
                         key="isoform", value=isoform)
    want = isoform.strip()
    if want.lower() == own.lower():
        return own
    if not own:
        raise InputError(f"{d.name}'s [targets.Nav] constants do not state the isoform they were measured on, so "
                         f"they cannot be used as {want}; add isoform = \"...\" to {d.path} or call without "
                         f"`isoform`.", key="isoform", value=isoform)
    suffix = "_" + want.replace(".", "_")
    other = sorted(k for k in d.binding(_TARGET).params if k.lower().endswith(suffix.lower()))
    have = (f" For {want} the file has only {', '.join(other)}, not the resting and inactivated constants, "
            f"recovery time and binding rate a voltage protocol needs." if other else
            f" No {want} constants are sourced.")
    raise InputError(f"{d.name}'s state-dependent Na+ channel constants were measured on {own}, not {want}."
                     f"{have} Pass isoform='{own}', or add sourced {want} constants to {d.path}; the {own} "
                     f"numbers are not reused for another isoform.", key="isoform", value=isoform)


def _state_constants(drug: Any, isoform: Any = None) -> tuple[float, float]:
    """(K_R, K_I) in nM; a drug with one affinity only is taken as voltage-independent (K_R = K_I)."""
    d = as_drug(drug)
    _check_isoform(d, isoform)
    b = d.binding(_TARGET)
    if "k_rest" in b.params and "k_inact" in b.params:
        return binding_param(d, _TARGET, "k_rest", "nM"), binding_param(d, _TARGET, "k_inact", "nM")
    k = value(b.affinity, "nM")
    return k, k


def k_app(drug: Any, v: Any, isoform: Any = None) -> Any:
    r"""Apparent dissociation constant (nM) of a modulated-receptor blocker at holding potential V.

    .. math:: \frac{1}{K_{app}(V)} = \frac{h_\infty(V)}{K_R} + \frac{1 - h_\infty(V)}{K_I}

    (hondeghem1977; bean1983). Block at equilibrium is :math:`D/(D + K_{app})`. ``isoform``
    (optional) must match the isoform the drug's constants were measured on (`nav_isoform`).
    """
    kr, ki = _state_constants(drug, isoform)
    h = h_inf(v)
    return 1.0 / (h / kr + (1.0 - h) / ki)


def nav_fixed_point(b_rest: Any, b_inact: Any, g: Any, r: Any) -> Any:
    r"""Steady-state block at the start of each pulse of a periodic train (closed form).

    One period maps the block b at a pulse onset to

    .. math:: b' = b_R + \left[b_I + (b - b_I)e^{-g} - b_R\right] e^{-r},

    (relaxation toward the equilibrium b_I at the test potential during the pulse, then toward the
    holding-potential equilibrium b_R between pulses). Setting b' = b:

    .. math:: b^* = \frac{b_R (1 - e^{-r}) + b_I (1 - e^{-g}) e^{-r}}{1 - e^{-(g + r)}}

    Parameters
    ----------
    b_rest, b_inact : float or array
        Equilibrium block at the holding potential and at the test potential.
    g : float or array
        Relaxation exponent per pulse, :math:`\lambda(V_{test})\, t_d`.
    r : float or array
        Recovery exponent per interval, :math:`\lambda(V_{hold})\,(1/f - t_d)`.
    """
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    er = np.exp(-r)
    # -expm1 keeps 1 - e^{-x} exact for the small exponents of slow drugs and short pulses
    return (b_rest * -np.expm1(-r) + b_inact * -np.expm1(-g) * er) / -np.expm1(-(g + r))


@dataclass(frozen=True)
class NavBlock:
    """Result of `nav_block`: tonic and use-dependent block and the per-pulse trajectory.

    Scalars for a scalar concentration; arrays of the concentration's shape otherwise
    (``per_pulse`` then has one more, last, axis: the pulse).

    Attributes
    ----------
    drug : str
    isoform : str
        Isoform the drug's constants were measured on (the drug file's ``isoform``).
    conc : float or ndarray
        Free concentration (nM).
    frequency, holding, test, pulse_duration : float
        Hz, mV, mV, ms.
    tonic : float or ndarray
        Block at rest at the holding potential, D/(D + K_app(V_hold)) — the block of the first pulse.
    steady_state : float or ndarray
        Block at the onset of each pulse once the train has settled (closed form `nav_fixed_point`).
    use_dependent : float or ndarray
        Extra fractional loss of current from the first pulse to steady state,
        1 − (1 − b*)/(1 − b_tonic): what a train experiment reports as use-dependent block.
    per_pulse : ndarray
        Block at the onset of pulses 1..N (pulse 1 = tonic).
    k_app : float
        Apparent dissociation constant at the holding potential (nM).
    """

    drug: str
    isoform: str
    conc: Any
    frequency: float
    holding: float
    test: float
    pulse_duration: float
    tonic: Any
    steady_state: Any
    use_dependent: Any
    per_pulse: np.ndarray
    k_app: float

    @property
    def current(self) -> np.ndarray:
        """Peak current of each pulse relative to a drug-free channel: 1 − block."""
        return 1.0 - self.per_pulse

    @property
    def relative_current(self) -> np.ndarray:
        """Peak current of each pulse relative to the first pulse: (1 − b_n)/(1 − b_1), as trains are reported."""
        return (1.0 - self.per_pulse) / (1.0 - np.asarray(self.tonic))[..., None]


#: highest concentration (nM) accepted: 1 mol/L; above it the blocked fractions round to 1 in floating point
MAX_CONC_NM = 1e9


def nav_block(drug: Any, conc: Any, frequency: Any = "5 Hz", holding: Any = "-90 mV", pulses: int = 60,
              pulse_duration: Any = "20 ms", test: Any = "0 mV", isoform: Any = None) -> NavBlock:
    r"""Tonic and use-dependent Na+ channel block in a voltage-clamp pulse train (F10): block per pulse.

    The protocol is the caller's: holding potential, test potential, pulse duration, frequency and
    number of pulses, with the drug pre-equilibrated at the holding potential. Modulated-receptor
    scheme (hondeghem1977; bean1983): at a potential V the block relaxes toward the equilibrium
    :math:`b_{eq}(V) = D/(D + K_{app}(V))` at the rate

    .. math:: \lambda(V) = h_\infty(V)/\tau_{rec} + (1 - h_\infty(V))\, k_{on}(D + K_I),

    the availability-weighted mean of the recovery rate of resting channels (τ_rec: amitriptyline 8 s
    on Nav1.5, nau2000; lidocaine 1–2 s, bean1983) and the relaxation rate of inactivated channels
    (:math:`k_{on}` binding, :math:`k_{off} = k_{on}K_I` unbinding). Gating is taken to be fast
    compared with binding (an assumption). Each period of the train is a pulse of duration t_d at
    V_test followed by the interval at V_hold:

    .. math::

        b \leftarrow b_t + (b - b_t)e^{-g},\; g = \lambda(V_{test})\,t_d; \qquad
        b \leftarrow b_h + (b - b_h)e^{-r},\; r = \lambda(V_{hold})\,(1/f - t_d).

    The map is affine, so pulse n has the closed form
    :math:`b_n = b^* + (b_1 - b^*)\,e^{-(g + r)(n-1)}` with :math:`b_1 = b_h` (tonic block) and
    b* from `nav_fixed_point` — evaluated as arrays, without a loop over pulses. With V_test =
    V_hold the block stays at :math:`b_{eq}(V)` on every pulse. Every rate and constant comes from
    the drug's [targets.Nav] table (k_rest, k_inact, tau_recovery, k_on_inactivated) and h∞ from
    models/targets/Nav.toml.

    Parameters
    ----------
    drug : str or Drug
        A drug with a [targets.Nav] table.
    conc : quantity, float or array
        Free concentration at the channel (floats in nM; mass concentrations use the molar mass).
        An array gives arrays of results (one train per concentration).
    frequency : quantity or float
        Pulse frequency (floats in Hz); > 0.
    holding : quantity or float
        Holding potential between pulses (floats in mV).
    pulses : int
        Number of pulses (>= 1).
    pulse_duration : quantity or float
        Duration of each depolarisation (floats in ms); shorter than the period.
    test : quantity or float
        Test-pulse potential (floats in mV); default 0 mV, where the channels inactivate fully.
    isoform : str, optional
        The Na+ channel isoform to compute for, e.g. ``"Nav1.5"``. It must be the one the drug's
        constants were measured on (`nav_isoform`); another isoform raises `InputError` rather than
        reuse these numbers. Default: the drug's own.

    Returns
    -------
    NavBlock

    References
    ----------
    .. [nau2000] Nau C, Seaver M, Wang SY, Wang GK. J Pharmacol Exp Ther 2000;292:1015–1023.
    .. [bean1983] Bean BP, Cohen CJ, Tsien RW. J Gen Physiol 1983;81:613–642.
    .. [hondeghem1977] Hondeghem LM, Katzung BG. Biochim Biophys Acta 1977;472:373–398.
    """
    d = as_drug(drug)
    iso = _check_isoform(d, isoform)
    dc = np.asarray(conc_nM(conc, d, "conc"), dtype=float)
    f = as_float(frequency, "Hz", "frequency", positive=True)
    vh = as_float(holding, "mV", "holding")
    vt = as_float(test, "mV", "test")
    td = as_float(pulse_duration, "ms", "pulse_duration", positive=True)
    if isinstance(pulses, (bool, np.bool_)) or not isinstance(pulses, (int, np.integer)) or pulses < 1:
        raise InputError(f"`pulses` must be a whole number >= 1 (got {pulses!r}); e.g. pulses=60.", key="pulses",
                         value=pulses)
    check_count(int(pulses) * max(dc.size, 1), MAX_PULSES, "pulses x concentrations", "the per-pulse trace of "
                "every concentration is kept in memory", "use fewer pulses or concentrations (steady_state gives the "
                "limit of a long train)")
    if not np.all(np.isfinite(dc)) or np.any(dc < 0):
        raise InputError(f"`conc` must be finite and >= 0 nM (got {conc!r}).", key="conc", value=conc)
    if np.any(dc > MAX_CONC_NM):
        raise InputError(f"`conc` ({float(dc.max()):g} nM) is above {MAX_CONC_NM:g} nM (1 mol/L), beyond any drug's "
                         f"solubility and where the block fractions round to 1; give a free concentration in the "
                         f"nM-uM range.", key="conc", value=conc)
    period = 1e3 / f
    if td >= period:
        raise InputError(f"`pulse_duration` ({td:g} ms) must be shorter than the period 1/frequency ({period:g} ms); "
                         f"shorten the pulse or lower the frequency.")
    kr, ki = _state_constants(d)
    kon = binding_param(d, _TARGET, "k_on_inactivated", "1/nM/ms")
    tau_rec = binding_param(d, _TARGET, "tau_recovery", "ms")

    def kapp(v: float) -> float:
        h = float(h_inf(v))
        return 1.0 / (h / kr + (1.0 - h) / ki)

    def rate(v: float) -> Any:
        h = float(h_inf(v))
        return h / tau_rec + (1.0 - h) * kon * (dc + ki)

    ka_h, ka_t = kapp(vh), kapp(vt)
    b_h = dc / (dc + ka_h)
    b_t = dc / (dc + ka_t)
    g = rate(vt) * td
    r = rate(vh) * (period - td)
    bss = nav_fixed_point(b_h, b_t, g, r)
    n = np.arange(pulses, dtype=float)
    traj = bss[..., None] + (b_h - bss)[..., None] * np.exp(-np.multiply.outer(g + r, n))
    ud = 1.0 - (1.0 - bss) / (1.0 - b_h)
    scal = (lambda x: float(x)) if dc.ndim == 0 else (lambda x: np.asarray(x))
    return NavBlock(drug=d.name, isoform=iso, conc=scal(dc), frequency=f, holding=vh, test=vt, pulse_duration=td,
                    tonic=scal(b_h), steady_state=scal(bss), use_dependent=scal(ud), per_pulse=traj, k_app=ka_h)


def nav_ic50(drug: Any, holding: Any, isoform: Any = None) -> float:
    r"""Concentration (nM) that blocks half the channels held at ``holding`` (tonic block, infrequent pulses).

    For one-to-one binding at equilibrium the half-blocking concentration is :math:`K_{app}(V_{hold})`
    (bean1983: the Kd varies with holding potential from K_R, inactivation removed, to K_I,
    inactivation complete). This is what a tonic-block concentration–response protocol measures.
    """
    return float(k_app(drug, as_float(holding, "mV", "holding"), isoform))


def nav_signals(concs: Mapping[str, Any], v: Any = None, isoform: Any = None) -> dict[str, Any]:
    r"""Equilibrium Na+ channel block by all blockers present at a membrane potential (tonic block).

    With several blockers each binds the resting and inactivated states (hondeghem1977), and the
    coupled equilibrium gives competition with apparent constants :math:`K_{app,i}(V)`:

    .. math:: b_i = \frac{D_i/K_{app,i}}{1 + \sum_j D_j/K_{app,j}}

    Parameters
    ----------
    concs : dict
        Free concentrations (floats in nM); broadcast.
    v : quantity or float, optional
        Membrane potential (mV); default the ``V_membrane`` of models/targets/Nav.toml.
    isoform : str, optional
        Isoform to compute for; every drug's constants must have been measured on it (else
        `InputError`). Default: each drug's own (amitriptyline and lidocaine: Nav1.5).

    Returns
    -------
    dict
        ``occupancy.Nav``, ``occupancy.Nav.<drug>``, ``signal.Nav`` (= total block).
    """
    c = concs_nM(concs)
    vv = target_param(_TARGET, "V_membrane", "mV") if v is None else as_float(v, "mV", "v")
    return antagonist_outputs(_TARGET, c, lambda d: k_app(d, vv, isoform))
