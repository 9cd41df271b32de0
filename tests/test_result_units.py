"""Result.get(unit=...) and Result.plot: drug concentrations in mass units through the molar mass.

C[ng/mL] = C[nM] · M[g/mol] / 1000 (M of tianeptine 436.95 g/mol, models/drugs/tianeptine.toml).
"""
import numpy as np
import pytest

from pdsim import catalog
from pdsim.errors import UnitError
from pdsim.units import concentration_scale, is_mass_concentration

from .test_plot import ARMS, make_result


@pytest.fixture(scope="module")
def result():
    return make_result()


def test_ng_per_ml_through_the_molar_mass(result):
    mm = catalog.drug("tianeptine").molar_mass.quantity.to("g/mol").magnitude
    assert mm == pytest.approx(436.95)
    nm = result.get("plasma.tianeptine", ARMS[0])
    assert np.allclose(result.get("plasma.tianeptine", ARMS[0], unit="ng/mL"), nm * mm / 1e3)
    assert np.allclose(result.get("plasma.tianeptine", 0, unit="mg/L"), nm * mm / 1e6)
    assert np.allclose(result.get("plasma.tianeptine", 0, unit="uM"), nm / 1e3)
    assert result.molar_mass("amitriptyline") == pytest.approx(
        catalog.drug("amitriptyline").molar_mass.quantity.to("g/mol").magnitude)


def test_unit_that_does_not_fit_is_one_clear_error(result):
    with pytest.raises(UnitError, match="occupancy.MOR.*which is in"):
        result.get("occupancy.MOR", 0, unit="ng/mL")
    with pytest.raises(UnitError, match="plasma.tianeptine"):
        result.get("plasma.tianeptine", 0, unit="kg")


def test_unit_helpers():
    assert is_mass_concentration("ng/mL") and not is_mass_concentration("nM") and not is_mass_concentration("parsec!")
    assert concentration_scale("ng/mL", "300 g/mol") == pytest.approx(0.3)
    assert concentration_scale("uM") == pytest.approx(1e-3)
    with pytest.raises(UnitError, match="molar mass"):
        concentration_scale("ng/mL")
    with pytest.raises(UnitError, match="concentration unit"):
        concentration_scale("h")


def test_result_plot_draws_the_variable_in_the_unit_asked(result):
    fig = result.plot("plasma.tianeptine", unit="ng/mL")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Total plasma concentration (ng/mL)"
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in lines] == [ARMS[0]]  # arms where it stays zero are left out
    mm = catalog.drug("tianeptine").molar_mass.quantity.to("g/mol").magnitude
    assert lines[0].get_ydata().max() == pytest.approx(result.data["plasma.tianeptine"][0, 0].max() * mm / 1e3)
    assert result.plot("occupancy.SERT").axes[0].get_ylabel() == "SERT occupancy (%)"
