"""Receptor theory at equilibrium: occupancy, competition, the operational model, Cheng–Prusoff, Schild.

Concentrations are pint quantities or floats in nM; fractions come back as plain floats or arrays.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pint
from scipy.special import expit

from .errors import InputError, UnitError, UnknownNameError, suggest
from .units import Q_, check_finite, check_nonnegative, check_positive, quantity, to_canonical, ureg

__all__ = [
    "occupancy", "competitive_occupancy", "operational_response", "operational_response_competitive",
    "operational_ec50", "operational_emax", "cheng_prusoff", "schild_dose_ratio", "schild_kb", "pa2",
]

_MASS_CONC = ureg("ng/mL").dimensionality
_CHECKS = {"finite": check_finite, "positive": check_positive, "nonnegative": check_nonnegative}
_FIX_C = "give a concentration >= 0 in nM"
_FIX_KD = "give a positive dissociation constant in nM"
_FIX_KA = "give a positive agonist dissociation constant in nM"
_FIX_KB = "give a positive antagonist dissociation constant in nM"
_FIX_N = "give a positive Hill slope (1 for simple mass action)"
_FIX_TAU = "give a transducer ratio >= 0 (0 for a neutral antagonist)"
_FIX_EM = "give a positive system maximum (1 for a fractional response)"
# log(0) = -inf is the limit wanted (C = 0, tau = 0); underflow to 0 is harmless
_QUIET = {"divide": "ignore", "under": "ignore"}


def _checked(x: Any, name: str, fix: str, rule: str = "finite", unit: str = "") -> Any:
    """Run the pdsim.units check for ``rule``; re-word its error so the fix says what the input is."""
    try:
        _CHECKS[rule](x, name)
    except InputError:
        arr = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(arr)):
            bad, must, unit = ~np.isfinite(arr), "be a finite number", ""
        elif rule == "positive":
            bad, must = arr <= 0, "be greater than zero"
        else:
            bad, must = arr < 0, "not be negative"
        got = f"{arr[bad].flat[0]:g}" + (f" {unit}" if unit else "")
        raise InputError(f"`{name}` must {must} (got {got}); {fix}.") from None
    return x


def _conc(value: Any, name: str, fix: str, rule: str = "nonnegative") -> Any:
    """A concentration as floats in nM; mass concentrations are refused (no molar mass here)."""
    if isinstance(value, str):
        value = quantity(value, name)
    if isinstance(value, pint.Quantity) and value.dimensionality == _MASS_CONC:
        raise UnitError(f"`{name}` is a mass concentration (got {value:~P}); convert it to nM with the "
                        "molar mass first, e.g. pdsim.units.mass_to_molar(conc, '436.95 g/mol').")
    return _checked(to_canonical(value, "nM", name), name, fix, rule, unit="nM")


def _number(value: Any, name: str, fix: str, rule: str = "finite") -> Any:
    return _checked(to_canonical(value, "dimensionless", name), name, fix, rule)


def _is_quantity(*values: Any) -> bool:
    return any(isinstance(v, (pint.Quantity, str)) for v in values)


def _out(x: Any) -> Any:
    """Plain float for scalar results, ndarray otherwise."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


def _broadcast(**arrays: Any) -> None:
    try:
        np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"`{k}` {np.shape(v)}" for k, v in arrays.items())
        raise InputError(f"array inputs must broadcast together (got shapes {shapes}); "
                         "give arrays of matching shape or scalars.") from None


def occupancy(conc: Any, kd: Any, n: Any = 1.0) -> Any:
    r"""Fraction of receptors occupied by one ligand at equilibrium (Hill–Langmuir).

    .. math:: \theta = \frac{C^n}{C^n + K_d^n} = \frac{1}{1 + (K_d / C)^n}

    Computed as expit(n (ln C − ln K_d)): C = 0 gives 0 and a huge C gives 1 without overflow.

    Parameters
    ----------
    conc : quantity or array_like
        Free ligand concentration at the receptor (floats in nM); >= 0.
    kd : quantity or array_like
        Equilibrium dissociation constant (floats in nM); > 0.
    n : array_like, optional
        Hill slope; > 0 (1 for simple mass action).

    Returns
    -------
    float or ndarray
        Occupancy in [0, 1], broadcast over the inputs.

    References
    ----------
    .. [hill1910] Hill AV. The possible effects of the aggregation of the molecules of haemoglobin on
       its dissociation curves. J Physiol 1910;40(Suppl):iv–vii. doi:10.1113/jphysiol.1910.sp001386
    """
    c = _conc(conc, "conc", _FIX_C)
    k = _conc(kd, "kd", _FIX_KD, "positive")
    n = _number(n, "n", _FIX_N, "positive")
    _broadcast(conc=c, kd=k, n=n)
    with np.errstate(**_QUIET):
        return _out(expit(n * (np.log(c) - np.log(k))))


def competitive_occupancy(concs: Mapping[str, Any], kds: Mapping[str, Any]) -> dict[str, Any]:
    r"""Occupancy of each of several ligands competing for one site (Gaddum; simple mass action).

    .. math:: \theta_i = \frac{C_i / K_i}{1 + \sum_j C_j / K_j}

    Parameters
    ----------
    concs : dict of str to quantity or array_like
        Free concentration of each ligand present (floats in nM); >= 0.
    kds : dict of str to quantity or array_like
        Dissociation constant of each ligand (floats in nM); > 0. Every ligand in ``concs`` needs
        one; entries for ligands absent from ``concs`` are ignored.

    Returns
    -------
    dict of str to float or ndarray
        Occupancy of each ligand, in the order of ``concs``; their sum is below 1.

    Raises
    ------
    UnknownNameError
        If a ligand in ``concs`` has no entry in ``kds``.

    References
    ----------
    .. [lazareno1993] Lazareno S, Birdsall NJM. Estimation of competitive antagonist affinity from
       functional inhibition curves using the Gaddum, Schild and Cheng–Prusoff equations.
       Br J Pharmacol 1993;109(4):1110–1119. doi:10.1111/j.1476-5381.1993.tb13737.x
    """
    if not isinstance(concs, Mapping) or not isinstance(kds, Mapping):
        raise InputError(f"`concs` and `kds` must be dicts keyed by ligand (got {type(concs).__name__} "
                         f"and {type(kds).__name__}); write e.g. concs={{'morphine': 50}}.")
    checked: dict[str, Any] = {}
    for name, c in concs.items():
        if name not in kds:
            raise UnknownNameError(f"ligand '{name}' has no dissociation constant in `kds`; "
                                   f"add kds['{name}'] in nM.{suggest(name, kds)}")
        checked[name] = _conc(c, f"concs['{name}']", _FIX_C)
    if not checked:
        return {}
    _broadcast(**{f"concs['{k}']": v for k, v in checked.items()})
    return {name: _out(x) for name, x in gaddum(checked, kds).items()}


def _fills(r: Any, denom: Any) -> bool:
    """``r`` is a float64 array of the broadcast shape, so ``r / denom`` can be written into it."""
    return isinstance(r, np.ndarray) and r.ndim > 0 and r.dtype == np.float64 and r.shape == np.shape(denom)


def gaddum(concs: Mapping[str, Any], kds: Mapping[str, Any]) -> dict[str, Any]:
    r"""`competitive_occupancy` for concentrations already in nM and checked (the engine's hot path).

    ``concs`` holds finite, non-negative floats or float arrays in nM (as `pdsim.targets` gives
    them after checking once); they are not converted or checked again. Each dissociation
    constant is checked (> 0, finite; scalars, so this is cheap). The ratios
    :math:`r_i = C_i/K_i` are formed directly, which is exact to rounding; only where
    :math:`1 + \sum_j r_j` overflows (an absurd concentration or a tiny K) are those points redone
    in log space, divided through by the largest ratio. Returns arrays (or floats) shaped like
    the broadcast concentrations.
    """
    ks = {name: _conc(kds[name], f"kds['{name}']", _FIX_KD, "positive") for name in concs}
    with np.errstate(over="ignore", **_QUIET):  # an overflow is detected below and redone
        ratios = {name: np.divide(c, ks[name]) for name, c in concs.items()}
        denom = 1.0 + functools.reduce(np.add, ratios.values())
        if np.all(np.isfinite(denom)):
            # each ratio is a fresh array of its own (np.divide above): divide it in place where it has
            # the result's shape (no new array to allocate and touch); same numbers as r / denom
            return {name: np.divide(r, denom, out=r) if _fills(r, denom) else r / denom for name, r in ratios.items()}
        logs = {name: np.log(c) - np.log(ks[name]) for name, c in concs.items()}
        top = functools.reduce(np.maximum, logs.values(), 0.0)
        scaled = {name: np.exp(lr - top) for name, lr in logs.items()}
        denom = np.exp(-top) + functools.reduce(np.add, scaled.values())
        return {name: x / denom for name, x in scaled.items()}


def operational_response(conc: Any, ka: Any, tau: Any, em: Any = 1.0, n: Any = 1.0) -> Any:
    r"""Agonist response by the operational model of Black & Leff (black1983).

    .. math:: E = \frac{E_m \tau^n A^n}{(K_A + A)^n + \tau^n A^n}
                = \frac{E_m}{1 + \left(\frac{K_A + A}{\tau A}\right)^n}

    Computed in log space: A = 0 or τ = 0 give 0 exactly and nothing overflows.

    Parameters
    ----------
    conc : quantity or array_like
        Agonist concentration A at the receptor (floats in nM); >= 0.
    ka : quantity or array_like
        Functional agonist dissociation constant K_A (floats in nM); > 0.
    tau : array_like
        Transducer ratio τ = R_tot/K_E; >= 0. Lowering τ models receptor loss: a high-τ agonist
        keeps its maximum while its EC50 moves right; a low-τ (partial) agonist loses maximum first.
    em, n : array_like, optional
        System maximum E_m (> 0; the response is in its units) and transducer slope n (> 0).

    Returns
    -------
    float or ndarray
        Response in [0, E_m τ^n/(1 + τ^n)] (see `operational_emax`), broadcast over the inputs.

    References
    ----------
    .. [black1983] Black JW, Leff P. Operational models of pharmacological agonism. Proc R Soc Lond B
       Biol Sci 1983;220(1219):141–162. doi:10.1098/rspb.1983.0093
    """
    a = _conc(conc, "conc", _FIX_C)
    k = _conc(ka, "ka", _FIX_KA, "positive")
    return _operational(a, k, tau, em, n)


def _operational(a: Any, k: Any, tau: Any, em: Any, n: Any) -> Any:
    t = _number(tau, "tau", _FIX_TAU, "nonnegative")
    em = _number(em, "em", _FIX_EM, "positive")
    n = _number(n, "n", _FIX_N, "positive")
    _broadcast(conc=a, ka=k, tau=t, em=em, n=n)
    with np.errstate(**_QUIET):
        return _out(em * expit(n * (np.log(t) + np.log(a) - np.log(k + a))))


def operational_response_competitive(agonist: Any, ka: Any, tau: Any, antagonist: Any, kb: Any,
                                     em: Any = 1.0, n: Any = 1.0) -> Any:
    r"""Agonist response with a neutral competitive antagonist present (e.g. a naloxone shift).

    The antagonist B (no efficacy) multiplies the agonist's K_A by the Schild dose ratio
    (arunlakshana1959) inside the operational model (black1983):

    .. math:: E = \frac{E_m \tau^n A^n}{(K_A (1 + B/K_B) + A)^n + \tau^n A^n}

    The maximum is unchanged and the EC50 moves right by exactly 1 + B/K_B, for any τ and n.

    Parameters
    ----------
    agonist, antagonist : quantity or array_like
        Agonist concentration A and antagonist concentration B (floats in nM); >= 0.
    ka, kb : quantity or array_like
        Agonist functional K_A and antagonist K_B dissociation constants (floats in nM); > 0.
    tau, em, n : array_like
        Agonist transducer ratio (>= 0), system maximum (> 0) and slope (> 0), as in
        `operational_response`.

    Returns
    -------
    float or ndarray
        Response in the units of ``em``, broadcast over the inputs.

    References
    ----------
    .. [black1983] Black JW, Leff P. Operational models of pharmacological agonism. Proc R Soc Lond B
       Biol Sci 1983;220(1219):141–162. doi:10.1098/rspb.1983.0093
    .. [arunlakshana1959] Arunlakshana O, Schild HO. Some quantitative uses of drug antagonists.
       Br J Pharmacol Chemother 1959;14(1):48–58. doi:10.1111/j.1476-5381.1959.tb00928.x
    """
    a = _conc(agonist, "agonist", _FIX_C)
    k = _conc(ka, "ka", _FIX_KA, "positive")
    b = _conc(antagonist, "antagonist", _FIX_C)
    kb = _conc(kb, "kb", _FIX_KB, "positive")
    _broadcast(ka=k, antagonist=b, kb=kb)
    return _operational(a, k * (1.0 + b / kb), tau, em, n)


def operational_ec50(ka: Any, tau: Any, n: Any = 1.0) -> Any:
    r"""Agonist concentration giving half its own maximum in the operational model (black1983).

    .. math:: EC_{50} = \frac{K_A}{(2 + \tau^n)^{1/n} - 1}
              \qquad (n = 1:\ EC_{50} = K_A / (1 + \tau))

    Found by setting E = E_max/2 in `operational_response`. A large τ (receptor reserve) puts the
    EC50 far below K_A; as τ → 0 it tends to K_A/(2^{1/n} − 1) while E_max tends to 0. (The form
    K_A/((1 + τ^n)^{1/n} − 1), sometimes quoted, gives K_A/τ at n = 1 and is not the half-maximum.)

    Parameters
    ----------
    ka : quantity or array_like
        Functional agonist dissociation constant K_A (floats in nM); > 0.
    tau, n : array_like
        Transducer ratio (>= 0) and transducer slope (> 0; default 1).

    Returns
    -------
    quantity or float or ndarray
        EC50: a quantity in nM if ``ka`` was a quantity, otherwise floats in nM.

    References
    ----------
    .. [black1983] Black JW, Leff P. Operational models of pharmacological agonism. Proc R Soc Lond B
       Biol Sci 1983;220(1219):141–162. doi:10.1098/rspb.1983.0093
    """
    k = _conc(ka, "ka", _FIX_KA, "positive")
    t = _number(tau, "tau", _FIX_TAU, "nonnegative")
    n = _number(n, "n", _FIX_N, "positive")
    _broadcast(ka=k, tau=t, n=n)
    # (2 + tau^n)^(1/n) - 1 through logaddexp/expm1: no overflow for huge tau^n or small n
    with np.errstate(**_QUIET):
        out = _out(k / np.expm1(np.logaddexp(np.log(2.0), n * np.log(t)) / n))
    return Q_(out, "nM") if _is_quantity(ka) else out


def operational_emax(tau: Any, em: Any = 1.0, n: Any = 1.0) -> Any:
    r"""Maximum response of an agonist in the operational model (black1983).

    .. math:: E_{max} = \frac{E_m \tau^n}{1 + \tau^n}

    A large τ gives a full agonist (E_max → E_m); a small τ a partial agonist (E_max ≈ E_m τ^n).

    Parameters
    ----------
    tau, em, n : array_like
        Transducer ratio (>= 0), system maximum (> 0; default 1) and slope (> 0; default 1).

    Returns
    -------
    float or ndarray
        Maximum response in the units of ``em``.

    References
    ----------
    .. [black1983] Black JW, Leff P. Operational models of pharmacological agonism. Proc R Soc Lond B
       Biol Sci 1983;220(1219):141–162. doi:10.1098/rspb.1983.0093
    """
    t = _number(tau, "tau", _FIX_TAU, "nonnegative")
    em = _number(em, "em", _FIX_EM, "positive")
    n = _number(n, "n", _FIX_N, "positive")
    _broadcast(tau=t, em=em, n=n)
    with np.errstate(**_QUIET):
        return _out(em * expit(n * np.log(t)))


def cheng_prusoff(ic50: Any, ligand_conc: Any, ligand_kd: Any) -> Any:
    r"""Inhibition constant K_i of a competitive inhibitor from its IC50 (cheng1973).

    .. math:: K_i = \frac{IC_{50}}{1 + [L]/K_d}

    The same formula is the enzyme or transporter form K_i = IC50/(1 + [S]/K_m): pass the substrate
    concentration as ``ligand_conc`` and K_m as ``ligand_kd`` (uptake at [S] = K_m gives
    K_i = IC50/2). It assumes one site, competition at equilibrium and negligible depletion of free
    ligand; where depletion matters use the exact correction of munson1988. For functional
    inhibition curves against an agonist at [A], the analogue K_B = IC50/(1 + [A]/EC50) holds only
    when the agonist curve has slope 1 (lazareno1993).

    Parameters
    ----------
    ic50 : quantity or array_like
        Inhibitor concentration halving specific binding or uptake (floats in nM); > 0.
    ligand_conc : quantity or array_like
        Labelled ligand (or substrate) concentration [L] in the assay (floats in nM); >= 0.
    ligand_kd : quantity or array_like
        Its dissociation constant K_d (or K_m) (floats in nM); > 0.

    Returns
    -------
    quantity or float or ndarray
        K_i: a quantity in nM if any input was a quantity, otherwise floats in nM.

    References
    ----------
    .. [cheng1973] Cheng Y, Prusoff WH. Relationship between the inhibition constant (KI) and the
       concentration of inhibitor which causes 50 per cent inhibition (I50) of an enzymatic
       reaction. Biochem Pharmacol 1973;22(23):3099–3108. doi:10.1016/0006-2952(73)90196-2
    .. [munson1988] Munson PJ, Rodbard D. An exact correction to the "Cheng–Prusoff" correction.
       J Recept Res 1988;8(1–4):533–546. doi:10.3109/10799898809049010
    .. [lazareno1993] Lazareno S, Birdsall NJM. Estimation of competitive antagonist affinity from
       functional inhibition curves using the Gaddum, Schild and Cheng–Prusoff equations.
       Br J Pharmacol 1993;109(4):1110–1119. doi:10.1111/j.1476-5381.1993.tb13737.x
    """
    i = _conc(ic50, "ic50", "give a positive IC50 in nM", "positive")
    lc = _conc(ligand_conc, "ligand_conc", "give the labelled ligand (or substrate) concentration >= 0 in nM")
    kd = _conc(ligand_kd, "ligand_kd", "give the labelled ligand's positive Kd (or Km) in nM", "positive")
    _broadcast(ic50=i, ligand_conc=lc, ligand_kd=kd)
    out = _out(i / (1.0 + lc / kd))
    return Q_(out, "nM") if _is_quantity(ic50, ligand_conc, ligand_kd) else out


def schild_dose_ratio(antagonist_conc: Any, kb: Any) -> Any:
    r"""Dose ratio by which a competitive antagonist shifts an agonist curve (arunlakshana1959).

    .. math:: DR = 1 + \frac{[B]}{K_B}, \qquad \log(DR - 1) = \log[B] - \log K_B

    The Schild plot, log(DR − 1) against log[B], has slope 1 for simple competition.

    Parameters
    ----------
    antagonist_conc : quantity or array_like
        Antagonist concentration [B] (floats in nM); >= 0.
    kb : quantity or array_like
        Antagonist dissociation constant K_B (floats in nM); > 0.

    Returns
    -------
    float or ndarray
        Dose ratio, >= 1 (dimensionless).

    References
    ----------
    .. [arunlakshana1959] Arunlakshana O, Schild HO. Some quantitative uses of drug antagonists.
       Br J Pharmacol Chemother 1959;14(1):48–58. doi:10.1111/j.1476-5381.1959.tb00928.x
    """
    b = _conc(antagonist_conc, "antagonist_conc", _FIX_C)
    k = _conc(kb, "kb", _FIX_KB, "positive")
    _broadcast(antagonist_conc=b, kb=k)
    return _out(1.0 + b / k)


def schild_kb(dose_ratio: Any, antagonist_conc: Any) -> Any:
    r"""Antagonist dissociation constant from one measured dose ratio (arunlakshana1959).

    .. math:: K_B = \frac{[B]}{DR - 1}

    Parameters
    ----------
    dose_ratio : array_like
        EC50 with antagonist divided by EC50 without; > 1.
    antagonist_conc : quantity or array_like
        Antagonist concentration [B] that produced it (floats in nM); > 0.

    Returns
    -------
    quantity or float or ndarray
        K_B: a quantity in nM if ``antagonist_conc`` was a quantity, otherwise floats in nM.

    References
    ----------
    .. [arunlakshana1959] Arunlakshana O, Schild HO. Some quantitative uses of drug antagonists.
       Br J Pharmacol Chemother 1959;14(1):48–58. doi:10.1111/j.1476-5381.1959.tb00928.x
    """
    fix = "give EC50 with antagonist / EC50 without, which exceeds 1 for a competitive antagonist"
    dr = _number(dose_ratio, "dose_ratio", fix)
    if np.any(np.asarray(dr) <= 1.0):
        got = np.asarray(dr)[np.asarray(dr) <= 1.0].flat[0]
        raise InputError(f"`dose_ratio` must be greater than 1 (got {got:g}); {fix}.")
    b = _conc(antagonist_conc, "antagonist_conc", "give a positive antagonist concentration in nM",
              "positive")
    _broadcast(dose_ratio=dr, antagonist_conc=b)
    out = _out(b / (dr - 1.0))
    return Q_(out, "nM") if _is_quantity(antagonist_conc) else out


def pa2(kb: Any) -> Any:
    r"""pA2 of a competitive antagonist: minus log10 of its K_B in mol/L (arunlakshana1959).

    .. math:: pA_2 = -\log_{10}(K_B / \mathrm{M}) = 9 - \log_{10}(K_B / \mathrm{nM})

    pA2 equals −log K_B only when the Schild slope is 1 (simple competition).

    Parameters
    ----------
    kb : quantity or array_like
        Antagonist dissociation constant (floats in nM); > 0.

    Returns
    -------
    float or ndarray
        pA2 (dimensionless).

    References
    ----------
    .. [arunlakshana1959] Arunlakshana O, Schild HO. Some quantitative uses of drug antagonists.
       Br J Pharmacol Chemother 1959;14(1):48–58. doi:10.1111/j.1476-5381.1959.tb00928.x
    """
    return _out(9.0 - np.log10(_conc(kb, "kb", _FIX_KB, "positive")))
