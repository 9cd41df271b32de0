"""Tests of pdsim.units: the registry, canonical conversion and molar-mass-aware conversion."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pdsim
from pdsim.errors import InputError, UnitError
from pdsim.units import Q_, as_float, mass_to_molar, molar_to_mass, to_canonical


def test_one_registry_exported():
    assert pdsim.ureg is pdsim.units.ureg
    assert pdsim.Q_ is Q_


def test_tianeptine_cmax_molar():
    """334 ng/mL of tianeptine (436.95 g/mol) is 0.764 uM (pharmacology fact sheet, derived row)."""
    c = mass_to_molar(Q_(334, "ng/mL"), Q_(436.95, "g/mol"))
    assert_allclose(c.to("uM").magnitude, 334 / 436.95, rtol=1e-12)
    back = molar_to_mass(c, "436.95 g/mol")
    assert_allclose(back.to("ng/mL").magnitude, 334, rtol=1e-12)


def test_plain_floats_are_canonical_and_arrays_broadcast():
    assert to_canonical(8.0, "h", "every") == 8.0
    assert_allclose(to_canonical(Q_(np.array([1, 2]), "day"), "h", "t"), [24, 48])
    assert_allclose(mass_to_molar(np.array([436.95, 0.0]), 436.95), [1000.0, 0.0])


def test_wrong_dimension_names_input_and_fix():
    with pytest.raises(UnitError, match=r"(?i)`dose` must be in units compatible with mg \(got 5 mL\); write e.g. '12.5 mg'"):
        to_canonical("5 mL", "mg", "dose")


def test_mass_concentration_is_not_molar():
    with pytest.raises(UnitError):
        to_canonical("10 ng/mL", "nM", "conc")


def test_unreadable_text():
    with pytest.raises(UnitError, match="could not be read"):
        to_canonical("twelve mg", "mg", "dose")


@pytest.mark.parametrize("bad,rule", [(-1.0, "must not be negative"), (float("nan"), "must be finite")])
def test_nonnegative_rules(bad, rule):
    with pytest.raises(InputError, match=rule):
        as_float(bad, "mg", "dose", nonnegative=True)


def test_positive_rule():
    with pytest.raises(InputError, match="greater than zero"):
        as_float("0 h", "h", "every", positive=True)
