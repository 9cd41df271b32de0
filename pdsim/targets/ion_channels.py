"""Voltage-gated Na+ channels (Nav): modulated-receptor block, tonic and use-dependent (F10).

Resting and inactivated affinities weighted by h∞(V); a pulse train gains block and recovers between pulses.
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


def _state_constants(drug: Any) -> tuple[float, float]:
    """(K_R, K_I) in nM; a drug with one affinity only is taken as voltage-independent (K_R = K_I)."""
    d = as_drug(drug)
    b = d.binding(_TARGET)
    if "k_rest" in b.params and "k_inact" in b.params:
        return binding_param(d, _TARGET, "k_rest", "nM"), binding_param(d, _TARGET, "k_inact", "nM")
    k = value(b.affinity, "nM")
    return k, k


def k_app(drug: Any, v: Any) -> Any:
    r"""Apparent dissociation constant (nM) of a modulated-receptor blocker at holding potential V.

    .. math:: \frac{1}{K_{app}(V)} = \frac{h_\infty(V)}{K_R} + \frac{1 - h_\infty(V)}{K_I}

    (hondeghem1977; bean1983). Block at equilibrium is :math:`D/(D + K_{app})`.
    """
    kr, ki = _state_constants(drug)
    h = h_inf(v)
    return 1.0 / (h / kr + (1.0 - h) / ki)


def nav_fixed_point(b_rest: Any, b_inact: Any, g: Any, r: Any) -> Any:
    r"""Steady-state block at the start of each pulse of a periodic train (closed form).

    One period maps the block b at a pulse onset to

    .. math:: b' = b_R + \left[b_I + (b - b_I)e^{-g} - b_R\right] e^{-r},

    (relaxation toward the inactivated-state equilibrium b_I during the pulse, then toward the
    holding-potential equilibrium b_R between pulses). Setting b' = b:

    .. math:: b^* = \frac{b_R (1 - e^{-r}) + b_I (1 - e^{-g}) e^{-r}}{1 - e^{-(g + r)}}

    Parameters
    ----------
    b_rest, b_inact : float or array
        Equilibrium block at the holding potential and in the inactivated state.
    g : float or array
        Relaxation exponent per pulse, :math:`(k_{on} D + k_{off}) t_d`.
    r : float or array
        Recovery exponent per interval, :math:`(1/f - t_d)/\tau_{rec}`.
    """
    er, eg = np.exp(-np.asarray(r, dtype=float)), np.exp(-np.asarray(g, dtype=float))
    return (b_rest * (1.0 - er) + b_inact * (1.0 - eg) * er) / (1.0 - eg * er)


@dataclass(frozen=True)
class NavBlock:
    """Result of `nav_block`: tonic and use-dependent block and the per-pulse trajectory.

    Attributes
    ----------
    drug : str
    conc : float
        Free concentration (nM).
    frequency, holding, pulse_duration : float
        Hz, mV, ms.
    tonic : float
        Block at rest at the holding potential, D/(D + K_app(V_hold)) — the block of the first pulse.
    steady_state : float
        Block at the onset of each pulse once the train has settled (closed form `nav_fixed_point`).
    use_dependent : float
        Extra fractional loss of current from the first pulse to steady state,
        1 − (1 − b*)/(1 − b_tonic): what a train experiment reports as use-dependent block.
    per_pulse : ndarray
        Block at the onset of pulses 1..N (pulse 1 = tonic).
    k_app : float
        Apparent dissociation constant at the holding potential (nM).
    """

    drug: str
    conc: float
    frequency: float
    holding: float
    pulse_duration: float
    tonic: float
    steady_state: float
    use_dependent: float
    per_pulse: np.ndarray
    k_app: float

    @property
    def current(self) -> np.ndarray:
        """Peak current of each pulse relative to a drug-free channel: 1 − block."""
        return 1.0 - self.per_pulse


#: highest concentration (nM) accepted: 1 mol/L; above it the blocked fractions round to 1 in floating point
MAX_CONC_NM = 1e9


def nav_block(drug: Any, conc: Any, frequency: Any = "5 Hz", holding: Any = "-90 mV", pulses: int = 60,
              pulse_duration: Any = "20 ms") -> NavBlock:
    r"""Tonic and use-dependent Na+ channel block by a drug in a train of depolarising pulses (F10).

    Modulated-receptor scheme (hondeghem1977; bean1983). At the holding potential the block
    relaxes toward :math:`b_R = D/(D + K_{app}(V_{hold}))` with the recovery time constant
    τ_rec (amitriptyline 8 s on Nav1.5, nau2000; lidocaine 1–2 s, bean1983). During each pulse of
    duration t_d all channels are inactivated and the block relaxes toward
    :math:`b_I = D/(D + K_I)` at rate :math:`k_{on}D + k_{off}`, with :math:`k_{off} = k_{on}K_I`:

    .. math::

        b \leftarrow b_I + (b - b_I)e^{-g}, \quad g = k_{on}(D + K_I)\,t_d; \qquad
        b \leftarrow b_R + (b - b_R)e^{-r}, \quad r = (1/f - t_d)/\tau_{rec}.

    The train starts from the tonic block :math:`b_1 = b_R` and approaches the fixed point of
    `nav_fixed_point`. The protocol (frequency, holding, pulses, duration) is the caller's choice,
    not a model parameter; every rate and constant comes from the drug's [targets.Nav] table
    (k_rest, k_inact, tau_recovery, k_on_inactivated) and h∞ from models/targets/Nav.toml.

    Parameters
    ----------
    drug : str or Drug
        A drug with a [targets.Nav] table.
    conc : quantity or float
        Free concentration at the channel (floats in nM; mass concentrations use the molar mass).
    frequency : quantity or float
        Pulse frequency (floats in Hz); > 0.
    holding : quantity or float
        Holding potential between pulses (floats in mV).
    pulses : int
        Number of pulses (>= 1).
    pulse_duration : quantity or float
        Duration of each depolarisation (floats in ms); shorter than the period.

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
    dc = float(conc_nM(conc, d, "conc"))
    f = as_float(frequency, "Hz", "frequency", positive=True)
    vh = as_float(holding, "mV", "holding")
    td = as_float(pulse_duration, "ms", "pulse_duration", positive=True)
    if isinstance(pulses, (bool, np.bool_)) or not isinstance(pulses, (int, np.integer)) or pulses < 1:
        raise InputError(f"`pulses` must be a whole number >= 1 (got {pulses!r}); e.g. pulses=60.", key="pulses",
                         value=pulses)
    check_count(int(pulses), MAX_PULSES, "pulses", "the block reaches its fixed point within tens of pulses, "
                "and the per-pulse trace is kept in memory", "use e.g. pulses=600; steady_state gives the limit")
    if dc > MAX_CONC_NM:
        raise InputError(f"`conc` ({dc:g} nM) is above {MAX_CONC_NM:g} nM (1 mol/L), beyond any drug's solubility and "
                         f"where the block fractions round to 1; give a free concentration in the nM-uM range.",
                         key="conc", value=conc)
    period = 1e3 / f
    if td >= period:
        raise InputError(f"`pulse_duration` ({td:g} ms) must be shorter than the period 1/frequency ({period:g} ms); "
                         f"shorten the pulse or lower the frequency.")
    kr, ki = _state_constants(d)
    kon = binding_param(d, _TARGET, "k_on_inactivated", "1/nM/ms")
    tau_rec = binding_param(d, _TARGET, "tau_recovery", "ms")
    kapp = float(1.0 / (h_inf(vh) / kr + (1.0 - h_inf(vh)) / ki))
    b_r = dc / (dc + kapp)
    b_i = dc / (dc + ki)
    g = kon * (dc + ki) * td
    r = (period - td) / tau_rec
    eg, er = np.exp(-g), np.exp(-r)
    traj = np.empty(pulses)
    b = b_r
    for n in range(pulses):
        traj[n] = b
        b = b_r + (b_i + (b - b_i) * eg - b_r) * er
    bss = float(nav_fixed_point(b_r, b_i, g, r))
    ud = 1.0 - (1.0 - bss) / (1.0 - b_r)
    return NavBlock(drug=d.name, conc=dc, frequency=f, holding=vh, pulse_duration=td, tonic=b_r,
                    steady_state=bss, use_dependent=ud, per_pulse=traj, k_app=kapp)


def nav_signals(concs: Mapping[str, Any], v: Any = None) -> dict[str, Any]:
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

    Returns
    -------
    dict
        ``occupancy.Nav``, ``occupancy.Nav.<drug>``, ``signal.Nav`` (= total block).
    """
    c = concs_nM(concs)
    vv = target_param(_TARGET, "V_membrane", "mV") if v is None else as_float(v, "mV", "v")
    return antagonist_outputs(_TARGET, c, lambda d: k_app(d, vv))
