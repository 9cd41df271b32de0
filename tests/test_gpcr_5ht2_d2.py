"""The 5-HT2A, 5-HT2C and D2 targets: listed, and fluoxetine/norfluoxetine competing at 5-HT2C by the
one-site law with the Ki of palvimaki1996 (rat choroid plexus, [3H]mesulergine)."""
from __future__ import annotations

import numpy as np

import pdsim
from pdsim.scenario import Scenario


def test_the_new_targets_are_listed(capsys):
    from pdsim.cli import main

    assert main(["list", "targets"]) == 0
    out = capsys.readouterr().out
    for name in ("5-HT2A", "5-HT2C", "D2"):
        assert name in out


def test_fluoxetine_and_norfluoxetine_compete_at_5ht2c():
    """theta_j = x_j / (1 + x_f + x_n), x = C_u / Ki; Ki 55.4 nM (fluoxetine), 203 nM (norfluoxetine)."""
    sc = Scenario.from_dict({"name": "t", "duration": "20 day", "output_every": "6 h", "targets": ["5-HT2C"],
                             "arms": [{"label": "a", "doses": [{"drug": "fluoxetine", "dose": "20 mg", "every": "24 h",
                                                                "until": "20 day"}]}]})
    r = pdsim.simulate(sc)
    xf = r.get("free.fluoxetine")[0] / 55.4
    xn = r.get("free.norfluoxetine")[0] / 203.0
    np.testing.assert_allclose(r.get("occupancy.5-HT2C.fluoxetine")[0], xf / (1 + xf + xn), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r.get("occupancy.5-HT2C")[0], (xf + xn) / (1 + xf + xn), rtol=1e-9, atol=1e-12)
    assert np.allclose(r.get("signal.5-HT2C")[0], r.get("occupancy.5-HT2C")[0])  # occupancy-only target


def test_the_class_profile_has_a_5ht2c_column_for_fluoxetine_only():
    from pdsim.demo import class_figures
    from pdsim.runner import simulate_scenario

    _, r = simulate_scenario("antidepressant_classes")
    fig = class_figures(r)["classes_profile"]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:3] == ["SERT", "NET", "DAT"] and labels[-1] == "5-HT2C"
    t = r.time_h
    day28 = (t >= 27 * 24) & (t <= 28 * 24)
    flu = r.get("occupancy.5-HT2C", arm="Fluoxetine 20 mg/day, stopped at week 4 (SSRI)")[0][day28].mean()
    assert 0.05 < flu < 0.5
    assert float(r.get("occupancy.5-HT2C", arm="Escitalopram 10 mg/day (SSRI)")[0].max()) == 0.0
