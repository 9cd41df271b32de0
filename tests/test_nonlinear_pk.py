"""Non-linear PK (CYP2D6 auto-inactivation, `pdsim.pk.CypInactivation`): the integrator against closed forms and SciPy.

Analytic limits (kinact = 0, CL_2D6 = 0: the linear one-compartment model), mass balance, a tight solve_ivp
reference, population arrays and what refuses a non-linear compound.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pdsim.dosing import Dose
from pdsim.errors import InputError
from pdsim.pk import CypInactivation, Metabolite, OneCompartment

#: paroxetine-like values (L/h, L, 1/h, mg/L): the model's size in its use, not the drug file's
PAR = dict(CL=20.7, CL_2D6=211.0, V=1220.0, kinact=0.36, KI=0.061, kdeg=0.00996, ka=0.908)
DAILY = [Dose(24.0 * i, 30.0, "oral") for i in range(14)]


def reference(p: dict, events: list[Dose], times: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Plasma concentration (mg/L) by solve_ivp (DOP853, rtol 1e-12), restarted at every dose edge."""
    lag = p.get("tlag", 0.0)
    kicks: dict[float, list[tuple[int, float]]] = {}
    infusions = [e for e in events if e.route == "iv_infusion"]
    for e in events:
        if e.route == "oral":
            kicks.setdefault(e.time + lag, []).append((0, p.get("F", 1.0) * e.amount))
        elif e.route == "iv_bolus":
            kicks.setdefault(e.time, []).append((1, e.amount))
    edges = sorted(set(kicks) | {e.time for e in infusions} | {e.time + e.duration for e in infusions})
    CL, CL2, V, ka, kin, KI, kdeg = (p[k] for k in ("CL", "CL_2D6", "V", "ka", "kinact", "KI", "kdeg"))

    def rhs(_t, y, rate):
        c = y[1] / V
        return [-ka * y[0], ka * y[0] + rate - (CL + CL2 * y[2]) * c,
                kdeg * (1 - y[2]) - kin * max(c, 0.0) / (KI + max(c, 0.0)) * y[2]]

    y = np.array([0.0, 0.0, 1.0])
    out = np.zeros_like(times)
    bounds = edges + [max(times.max(), edges[-1]) + 1.0]
    for i, b in enumerate(edges):
        for s, a in kicks.get(b, []):
            y[s] += a
        rate = sum(e.amount / e.duration for e in infusions if e.time <= b < e.time + e.duration)
        nb = bounds[i + 1]
        here = (times >= b) & (times < nb)
        te = np.unique(np.concatenate([times[here], [nb]]))
        sol = solve_ivp(rhs, (b, nb), y, method="DOP853", t_eval=te, rtol=rtol, atol=1e-20, args=(rate,))
        assert sol.success
        out[here] = sol.y[1, np.searchsorted(te, times[here])] / V
        y = sol.y[:, -1].copy()
    return out


def test_without_inactivation_it_is_the_linear_closed_form():
    """kinact = 0: E stays 1, so CL + CL_2D6 is a constant clearance; the closed form (Bateman, superposed)
    must agree to 1e-10 of the peak for oral doses with a lag, an iv bolus and an infusion."""
    t = np.linspace(0.0, 400.0, 1601)
    evs = DAILY + [Dose(100.0, 5.0, "iv_bolus"), Dose(200.0, 10.0, "iv_infusion", duration=3.0)]
    got = CypInactivation(**{**PAR, "kinact": 0.0, "tlag": 0.4}).conc(t, evs)
    want = OneCompartment(CL=PAR["CL"] + PAR["CL_2D6"], V=PAR["V"], ka=PAR["ka"], tlag=0.4).conc(t, evs)
    assert np.max(np.abs(got - want)) <= 1e-10 * want.max()


def test_without_cyp2d6_clearance_it_is_the_linear_closed_form():
    """CL_2D6 = 0 (a poor metaboliser): the enzyme's state does not matter, clearance is CL alone."""
    t = np.linspace(0.0, 400.0, 1601)
    got = CypInactivation(**{**PAR, "CL_2D6": 0.0}).conc(t, DAILY)
    want = OneCompartment(CL=PAR["CL"], V=PAR["V"], ka=PAR["ka"]).conc(t, DAILY)
    assert np.max(np.abs(got - want)) <= 1e-10 * want.max()


def test_against_solve_ivp_at_rtol_1e_12():
    """The full non-linear model (oral doses with a lag, an iv bolus, an infusion) against solve_ivp: <= 1e-8 relative."""
    p = {**PAR, "tlag": 0.3}
    evs = DAILY + [Dose(50.5, 3.0, "iv_bolus"), Dose(150.0, 10.0, "iv_infusion", duration=5.5)]
    t = np.linspace(0.0, 360.0, 721)
    got = CypInactivation(**p).conc(t, evs)
    want = reference(p, evs, t)
    pos = want > 1e-6 * want.max()
    assert np.max(np.abs(got[pos] - want[pos]) / want[pos]) <= 1e-8
    assert np.all(got[~pos] <= 1e-6 * want.max())


def test_mass_balance():
    """Dose = amount in gut + body + what was eliminated, int (CL + CL_2D6 E(t)) C dt (Simpson on a fine grid)."""
    m = CypInactivation(**PAR)
    t = np.linspace(0.0, 96.0, 96 * 64 + 1)
    evs = DAILY[:4]
    c, e = m.conc(t, evs), m.enzyme(t, evs)
    s = m.states(t, evs)
    eliminated = np.trapezoid((PAR["CL"] + PAR["CL_2D6"] * e) * c, t)  # smooth except at the dose times (on the grid)
    total = s["gut"][-1] + s["amount"][-1] + eliminated
    assert total == pytest.approx(120.0, rel=2e-6)
    assert np.all(np.diff(e[t < 1e-12]) == 0) and e[0] == 1.0 and 0 < e[-1] < 1


def test_enzyme_recovers_at_kdeg_after_the_last_dose():
    """Once paroxetine has washed out, 1 - E decays at kdeg: the ratio over 10 days is exp(-kdeg 240 h) to 1e-3."""
    m = CypInactivation(**PAR)
    t = np.array([24 * 40.0, 24 * 50.0])
    e = m.enzyme(t, DAILY)
    assert (1 - e[1]) / (1 - e[0]) == pytest.approx(np.exp(-PAR["kdeg"] * 240.0), rel=1e-3)


def test_population_arrays_are_each_subject_alone_and_times_may_be_unsorted():
    cl2 = np.array([0.0, 100.0, 211.0, 400.0])
    m = CypInactivation(**{**PAR, "CL_2D6": cl2, "tlag": np.array([0.0, 0.5, 1.0, 0.2])})
    t = np.array([300.0, 5.0, 0.0, 100.0, 48.2])
    got = m.conc(t, DAILY)
    assert got.shape == (4, 5)
    for i in range(4):
        one = m.subject(i).conc(np.sort(t), DAILY)
        np.testing.assert_array_equal(got[i, np.argsort(t)], one)
    assert got[0, 0] > got[1, 0] > got[2, 0] > got[3, 0]  # less CYP2D6, higher levels


def test_refusals_name_the_reason():
    m = CypInactivation(**PAR)
    with pytest.raises(InputError, match="no closed form"):
        m.response_terms("oral", "conc")
    with pytest.raises(InputError, match="non-linear"):
        Metabolite(m, OneCompartment(CL=10.0, V=100.0), 0.5)
    with pytest.raises(InputError, match="ke0"):
        m.effect([1.0], DAILY)
    with pytest.raises(InputError, match="ka"):
        CypInactivation(**{**PAR, "ka": None}).conc([1.0], DAILY)


# --- paroxetine through the public path ---------------------------------------------------------------
def _paroxetine_params(**over) -> dict:
    from pdsim.pk import pk_model

    m = pk_model("paroxetine")
    return {**{k: float(v) for k, v in m.kwargs().items() if v is not None and k in
               ("CL", "CL_2D6", "V", "kinact", "KI", "kdeg", "ka", "F", "tlag")}, **over}


def test_simulate_paroxetine_population_against_solve_ivp():
    """pdsim.simulate with between-subject variability of CL_2D6 and V: each subject's plasma paroxetine (nM)
    equals solve_ivp (rtol 1e-12) on that subject's own parameters to 1e-8 relative."""
    import pdsim
    from pdsim.population import sample_parameters

    d = {"name": "paroxetine pop", "duration": "10 day", "output_every": "0.5 h", "targets": [],
         "population": {"size": 4, "seed": 11, "variability": {"paroxetine.CL_2D6": 0.5, "paroxetine.V": 0.3}},
         "arms": [{"label": "a", "doses": [{"drug": "paroxetine", "dose": "20 mg", "every": "24 h", "count": 10}]}]}
    r = pdsim.simulate(pdsim.Scenario.from_dict(d))
    got = np.asarray(r.get("plasma.paroxetine"))
    base = _paroxetine_params()
    draws = sample_parameters({"paroxetine.CL_2D6": base["CL_2D6"], "paroxetine.V": base["V"]},
                              {"paroxetine.CL_2D6": 0.5, "paroxetine.V": 0.3}, 4, 11)
    evs = [Dose(24.0 * i, 20.0, "oral") for i in range(10)]
    for i in range(4):
        p = {**base, "CL_2D6": float(draws["paroxetine.CL_2D6"][i]), "V": float(draws["paroxetine.V"][i])}
        want = reference(p, evs, r.time_h) * 1e6 / 329.37
        pos = want > 0
        assert np.max(np.abs(got[i][pos] - want[pos]) / want[pos]) <= 1e-8
        assert np.all(got[i][~pos] == 0)
    assert len({round(float(x), 6) for x in got[:, -1]}) == 4  # the subjects differ


def test_dose_edges_still_report_the_dose_times():
    """The ODE stage's step grid must land on every dose: the non-linear model reports them like the linear ones."""
    import pdsim
    from pdsim.engine.pk import dose_edges, pk_models

    sc = pdsim.Scenario.from_dict({"name": "p", "duration": "3 day", "output_every": "1 h", "targets": [],
                                   "arms": [{"label": "a", "doses": [{"drug": "paroxetine", "dose": "20 mg",
                                                                      "every": "24 h", "count": 3}]}]})
    models = pk_models(sc, sc.arms[0], 0, 1)
    assert isinstance(models["paroxetine"].model, CypInactivation)
    jumps, kinks, own = dose_edges(models)
    assert kinks == [0.0, 24.0, 48.0] and not jumps and not own


def test_what_cannot_take_a_non_linear_drug_says_so(tmp_path):
    """Closed-form steady state, metabolites and pdsim tdm refuse paroxetine (its summary is integrated: see
    test_pk_summary_of_the_non_linear_model_comes_from_the_integrated_profile), each with an error
    naming it and the reason; the SBML export writes its CYP2D6 state as a rate rule."""
    import pdsim
    from pdsim import pk, tdm
    from pdsim.sbml import scenario_to_sbml

    reg = pdsim.Regimen([Dose(24.0 * i, 20.0, "oral") for i in range(3)])
    with pytest.raises(InputError, match="no closed form"):
        pk.steady_state("paroxetine", 20, 24)
    with pytest.raises(InputError, match="paroxetine has non-linear PK"):
        pk.metabolite_model("paroxetine", "escitalopram")
    with pytest.raises(InputError, match="cannot individualise paroxetine: its PK is non-linear"):
        tdm.predict("paroxetine", reg, [48.0])
    with pytest.raises(InputError, match="cannot individualise paroxetine"):
        tdm.estimate_clearance("paroxetine", reg, ["48 h=20 ng/mL"])
    sc = pdsim.Scenario.from_dict({"name": "p", "duration": "1 day", "output_every": "1 h", "targets": [],
                                   "arms": [{"label": "a", "doses": [{"drug": "paroxetine", "dose": "20 mg"}]}]})
    pytest.importorskip("libsbml")
    text = scenario_to_sbml(sc)  # exported with its CYP2D6 rate rule (round trip: tests/test_sbml.py)
    assert "paroxetine_CYP2D6_active" in text and "paroxetine_kinact" in text
    # concentration itself works: it simulates
    c = pk.concentration("paroxetine", reg, [30.0]).to("nM").magnitude
    assert c[0] == pytest.approx(reference(_paroxetine_params(), list(reg.events), np.array([30.0]))[0] * 1e6 / 329.37,
                                 rel=1e-8)


def test_drug_file_rules_for_the_non_linear_model(tmp_path):
    """A non-linear drug file needs CL_2D6, kinact, KI, kdeg and fu; its CYP2D6 phenotypes scale CL_2D6, not CL;
    a linear drug may not carry them."""
    from pdsim.catalog import load_drug_file
    from pdsim.errors import ModelFileError

    text = (Path(__file__).parents[1] / "models" / "drugs" / "paroxetine.toml").read_text(encoding="utf-8")
    f = tmp_path / "paroxetine.toml"
    f.write_text(text.replace("\nkdeg = {", "\n#kdeg = {"))
    with pytest.raises(ModelFileError, match="missing parameter 'kdeg'"):
        load_drug_file(f)
    f.write_text(text.replace("\nCL_2D6 = { value = 0,", "\nCL = { value = 0.5,"))
    with pytest.raises(ModelFileError, match="write CL_2D6"):
        load_drug_file(f)
    f.write_text(text.replace('model = "one_compartment_cyp2d6_inactivation"', 'model = "one_compartment"'))
    with pytest.raises(ModelFileError, match="belongs to the non-linear model"):
        load_drug_file(f)


def test_washout_to_nothing_stays_non_negative_and_accurate():
    """One dose followed for 20 days (the level falls by about 40 orders of magnitude in an extensive
    metaboliser): no negative concentration, and within 1e-8 of solve_ivp wherever the level is above 1e-6 of
    its peak (below that the error test is absolute, about 1e-20 of the dose)."""
    p = _paroxetine_params()
    t = np.arange(0.0, 480.25, 0.25)
    evs = [Dose(0.0, 30.0, "oral")]
    got = CypInactivation(**p).conc(t, evs)
    want = reference(p, evs, t)
    assert got.min() >= 0.0
    pos = want > 1e-6 * want.max()
    assert np.max(np.abs(got[pos] - want[pos]) / want[pos]) <= 1e-8
    assert np.max(np.abs(got - want)) <= 1e-10 * want.max()


def test_pk_summary_of_the_non_linear_model_comes_from_the_integrated_profile():
    """`pdsim pk paroxetine` (pk_summary): Cmax and the last trough are the integrated model's own values on the
    grid (no closed form to refine with), and AUC 0-inf, t1/2 and accumulation, which no parameter gives for
    non-linear PK, are None with a note saying why, not a linear-model number."""
    from pdsim.dosing import Regimen
    from pdsim.pk import concentration, pk_summary

    reg = Regimen.repeated(dose="20 mg", every="24 h", count=28)
    t = np.linspace(0.0, 28 * 24.0, 28 * 24 * 10 + 1)
    summ = pk_summary("paroxetine", reg, t)
    c = concentration("paroxetine", reg, t).to("nM").magnitude
    assert summ.cmax.to("nM").magnitude == pytest.approx(c.max(), rel=1e-3)
    last = t >= 27 * 24.0
    assert summ.cmin.to("nM").magnitude == pytest.approx(c[last].min(), rel=1e-3)
    assert summ.auc_inf is None and summ.half_life is None and summ.accumulation is None
    assert any("non-linear PK" in n for n in summ.notes)
    rows = dict(summ.items())
    assert rows["AUC 0-inf (exact, all doses)"] == "—" and rows["t1/2 (terminal)"] == "—"
