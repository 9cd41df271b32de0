"""The one pint unit registry of pdsim, and conversion at the public boundary.

Inside pdsim every number is a plain float in a canonical unit (concentration nM, time h,
amount mg, volume L, clearance L/h, rate 1/h); quantities are converted once, here.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pint

from .errors import InputError, UnitError

__all__ = [
    "ureg",
    "Q_",
    "CANONICAL",
    "quantity",
    "to_canonical",
    "as_float",
    "check_finite",
    "check_positive",
    "check_nonnegative",
    "mass_to_molar",
    "molar_to_mass",
    "is_mass_concentration",
    "concentration_scale",
]

ureg = pint.UnitRegistry()
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity

#: canonical unit per physical kind; plain floats given to public functions are read in these
CANONICAL: dict[str, str] = {
    "concentration": "nM",
    "mass_concentration": "ng/mL",
    "time": "h",
    "amount": "mg",
    "dose_per_weight": "mg/kg",
    "volume": "L",
    "volume_per_weight": "L/kg",
    "clearance": "L/h",
    "clearance_per_weight": "L/h/kg",
    "rate": "1/h",
    "infusion_rate": "mg/h",
    "molar_mass": "g/mol",
    "voltage": "mV",
    "frequency": "Hz",
    "body_weight": "kg",
    "dimensionless": "dimensionless",
}

_EXAMPLES = {
    "nM": "'400 nM'",
    "h": "'8 h'",
    "mg": "'12.5 mg'",
    "L": "'50 L'",
    "L/h": "'15 L/h'",
    "1/h": "'2 1/h'",
    "g/mol": "'436.95 g/mol'",
    "mV": "'-90 mV'",
    "Hz": "'5 Hz'",
    "kg": "'70 kg'",
}


def quantity(value: Any, name: str = "value") -> pint.Quantity:
    """Parse a string such as ``"12.5 mg"`` or pass a pint quantity through.

    Raises
    ------
    UnitError
        If the text is not a quantity pint can read.
    """
    if isinstance(value, pint.Quantity):
        return value
    if isinstance(value, str):
        try:
            q = Q_(value.strip())
        except Exception as exc:  # pint raises several types for bad text
            raise UnitError(
                f"`{name}` could not be read as a quantity (got {value!r}); write a number and a unit, e.g. '12.5 mg'."
            ) from exc
        if not isinstance(q, pint.Quantity):
            q = Q_(q, "dimensionless")
        return q
    return Q_(value, "dimensionless")


def _example(unit: str) -> str:
    return _EXAMPLES.get(unit, f"'1 {unit}'")


def to_canonical(value: Any, unit: str, name: str) -> Any:
    """Convert ``value`` to plain floats in ``unit``.

    A pint quantity (or a string such as ``"8 h"``) is checked for dimension and converted;
    a plain number or array is taken to be in ``unit`` already.

    Raises
    ------
    UnitError
        If the dimension does not match ``unit``.
    """
    if isinstance(value, str):
        value = quantity(value, name)
    if isinstance(value, pint.Quantity):
        try:
            mag = value.to(unit).magnitude
        except pint.DimensionalityError as exc:
            raise UnitError(
                f"`{name}` must be in units compatible with {unit} (got {value:~P}); write e.g. {_example(unit)}."
            ) from exc
        return np.asarray(mag, dtype=float) if np.ndim(mag) else float(mag)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    if isinstance(value, np.ndarray):
        return value.astype(float)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise UnitError(f"`{name}` must be a number or a quantity in {unit} (got {value!r}); write e.g. {_example(unit)}.") from exc


def check_finite(x: Any, name: str) -> None:
    """Raise InputError if any element of ``x`` is NaN or infinite."""
    if not np.all(np.isfinite(x)):
        raise InputError(f"`{name}` must be finite (got {x!r}); give a real number.")


def check_nonnegative(x: Any, name: str) -> None:
    """Raise InputError if ``x`` is NaN, infinite or negative."""
    check_finite(x, name)
    if np.any(np.asarray(x) < 0):
        raise InputError(f"`{name}` must not be negative (got {x!r}); give a value >= 0.")


def check_positive(x: Any, name: str) -> None:
    """Raise InputError if ``x`` is NaN, infinite, zero or negative."""
    check_finite(x, name)
    if np.any(np.asarray(x) <= 0):
        raise InputError(f"`{name}` must be greater than zero (got {x!r}); give a positive value.")


def as_float(value: Any, unit: str, name: str, *, positive: bool = False, nonnegative: bool = False) -> Any:
    """`to_canonical` followed by the finite/sign checks asked for."""
    out = to_canonical(value, unit, name)
    if positive:
        check_positive(out, name)
    elif nonnegative:
        check_nonnegative(out, name)
    else:
        check_finite(out, name)
    return out


def mass_to_molar(conc: Any, molar_mass: Any) -> Any:
    """Convert a mass concentration (ng/mL, or floats in ng/mL) to nM with the molar mass.

    .. math:: C_{nM} = C_{ng/mL} \\cdot 10^3 / M_{g/mol}

    Returns a quantity in nM when given a quantity, otherwise floats in nM.
    """
    mm = as_float(molar_mass, "g/mol", "molar_mass", positive=True)
    is_q = isinstance(conc, (pint.Quantity, str))
    c = as_float(conc, "ng/mL", "concentration")
    out = c * 1e3 / mm
    return Q_(out, "nM") if is_q else out


def molar_to_mass(conc: Any, molar_mass: Any) -> Any:
    """Convert nM (quantity or floats in nM) to ng/mL with the molar mass."""
    mm = as_float(molar_mass, "g/mol", "molar_mass", positive=True)
    is_q = isinstance(conc, (pint.Quantity, str))
    c = as_float(conc, "nM", "concentration")
    out = c * mm / 1e3
    return Q_(out, "ng/mL") if is_q else out




def is_mass_concentration(unit: Any) -> bool:
    """True when ``unit`` (text or pint unit) is a mass per volume, e.g. 'ng/mL' or 'mg/L'."""
    try:
        return bool(Q_(1.0, unit).check("[mass] / [length] ** 3"))
    except Exception:  # not a unit pint reads: the caller reports it with its own context
        return False


def concentration_scale(unit: str, molar_mass: Any = None, name: str = "unit") -> float:
    """Factor that turns floats in nM into floats in ``unit`` (molar, or mass per volume with the molar mass).

    .. math:: C_{ng/mL} = C_{nM} \\cdot M_{g/mol} / 10^3

    Raises
    ------
    UnitError
        If ``unit`` is not a concentration, or is a mass concentration and no molar mass is given.
    """
    if is_mass_concentration(unit):
        if molar_mass is None:
            raise UnitError(f"`{name}` {unit!r} is a mass concentration; converting from nM needs the drug's molar mass "
                            f"(give a drug, or use a molar unit such as 'nM').")
        mm = as_float(molar_mass, "g/mol", "molar_mass", positive=True)
        return float(Q_(mm / 1e3, "ng/mL").to(unit).magnitude)
    try:
        return float(Q_(1.0, "nM").to(unit).magnitude)
    except Exception as exc:  # pint raises DimensionalityError or UndefinedUnitError
        raise UnitError(f"`{name}` must be a concentration unit, molar ('nM', 'uM') or mass per volume ('ng/mL') "
                        f"(got {unit!r}).") from exc
