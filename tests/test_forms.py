"""Salt forms (issue 17): a dose stated as a marketed salt is converted to base at load,
amount x M_base / M_salt, in scenarios (`form = "hydrochloride"`) and in `pdsim.Regimen`."""
import math

import numpy as np
import pytest

import pdsim
from pdsim.errors import InputError, UnknownNameError
from pdsim.scenario import dose_notes, load_scenario

from .closed_forms import amitriptyline_oral_2cmt_mg_l

#: base and salt molar masses as the catalogue states them (USP monograph: C20H23N.HCl 313.87 g/mol)
M_BASE, M_HCL = 277.41, 313.87

SCENARIO = '''name = "salt"
duration = "48 h"
output_every = "1 h"

[[arms]]
label = "base"
  [[arms.doses]]
  drug = "amitriptyline"
  dose = "75 mg"

[[arms]]
label = "hcl"
  [[arms.doses]]
  drug = "amitriptyline"
  dose = "75 mg"
  form = "{form}"
'''


def _scenario(tmp_path, form="hydrochloride"):
    f = tmp_path / "s.toml"
    f.write_text(SCENARIO.format(form=form))
    return load_scenario(f)


def _closed_form_nM(dose_mg, t):
    """Oral two-compartment amitriptyline (the catalogue's model), in nM."""
    return amitriptyline_oral_2cmt_mg_l(dose_mg, t) * 1e6 / M_BASE


def test_catalogue_masses():
    d = pdsim.drug("amitriptyline")
    assert d.molar_mass.to("g/mol") == M_BASE and d.forms["hydrochloride"].to("g/mol") == M_HCL
    assert d.base_fraction("hydrochloride") == M_BASE / M_HCL
    # each salt is the base plus its counter-ion (HCl 36.46 g/mol; Na for H: +21.98), to the printed precision
    for name, form, extra in [("amitriptyline", "hydrochloride", 36.46), ("nortriptyline", "hydrochloride", 36.46),
                              ("bupropion", "hydrochloride", 36.46), ("fluoxetine", "hydrochloride", 36.46),
                              ("sertraline", "hydrochloride", 36.46), ("citalopram", "hydrobromide", 80.91),
                              ("escitalopram", "oxalate", 90.035), ("tianeptine", "sodium", 22.990 - 1.008)]:
        dr = pdsim.drug(name)
        assert dr.forms[form].to("g/mol") == pytest.approx(dr.molar_mass.to("g/mol") + extra, abs=0.011)


def test_scenario_hydrochloride_is_base_ratio_of_base(tmp_path):
    sc = _scenario(tmp_path)
    base, hcl = sc.arms[0].doses[0], sc.arms[1].doses[0]
    assert base.amount == 75.0 and hcl.amount == 75.0 * (M_BASE / M_HCL) and hcl.form == "hydrochloride"
    res = pdsim.simulate(sc)
    c = res.data["plasma.amitriptyline"]
    t = res.time_h
    np.testing.assert_allclose(c[1, 0, 1:], c[0, 0, 1:] * M_BASE / M_HCL, rtol=1e-12)
    np.testing.assert_allclose(c[1, 0], _closed_form_nM(75.0 * (M_BASE / M_HCL), t), rtol=1e-9, atol=1e-12)


def test_scenario_note_states_conversion(tmp_path):
    notes = dose_notes(_scenario(tmp_path))
    assert len(notes) == 1 and "hydrochloride" in notes[0] and "277.41/313.87" in notes[0] and "'hcl'" in notes[0]


def test_result_notes_state_conversion(tmp_path):
    res = pdsim.simulate(_scenario(tmp_path))
    assert any("277.41/313.87" in n for n in res.notes)


def test_scenario_unknown_form_errors(tmp_path):
    with pytest.raises(UnknownNameError) as exc:
        _scenario(tmp_path, form="sodium")
    msg = str(exc.value)
    assert "s.toml:16" in msg and "sodium" in msg and "known forms: hydrochloride" in msg
    with pytest.raises(UnknownNameError, match="Did you mean 'hydrochloride'"):
        _scenario(tmp_path, form="hydrochlorid")


def test_regimen_form():
    t = np.linspace(0, 48, 49)
    salt = pdsim.Regimen.single("75 mg", drug="amitriptyline", form="hydrochloride")
    base = pdsim.Regimen.single("75 mg", drug="amitriptyline")
    assert salt[0].amount == 75.0 * (M_BASE / M_HCL) and salt[0].form == "hydrochloride"
    c_salt = pdsim.concentration("amitriptyline", salt, t).to("nM").magnitude
    c_base = pdsim.concentration("amitriptyline", base, t).to("nM").magnitude
    np.testing.assert_allclose(c_salt[1:], c_base[1:] * M_BASE / M_HCL, rtol=1e-12)
    assert salt.notes == (pdsim.drug("amitriptyline").form_note("hydrochloride"),) and base.notes == ()
    rep = pdsim.Regimen.repeated("25 mg", every="8 h", count=3, drug="amitriptyline", form="hydrochloride")
    assert all(math.isclose(e.amount, 25 * (M_BASE / M_HCL)) for e in rep) and len(rep.scaled(2).notes) == 1


def test_regimen_bad_form():
    with pytest.raises(UnknownNameError, match="known forms: hydrochloride"):
        pdsim.Regimen.single("75 mg", drug="amitriptyline", form="maleate")
    with pytest.raises(UnknownNameError, match="known forms: none"):
        pdsim.Regimen.single("1 mg", drug="morphine", form="sulfate")
    with pytest.raises(InputError, match="needs `drug`"):
        pdsim.Regimen.single("75 mg", form="hydrochloride")


def test_sources_list_salt_molar_mass():
    table = pdsim.sources("amitriptyline")
    row = table[table["parameter"] == "forms.hydrochloride.molar_mass"]
    assert len(row) == 1 and row["value"].iloc[0] == M_HCL and "usp_amitriptyline_hcl" in row["sources"].iloc[0]
