"""The step propagator of linear PK (`pdsim._pk_closed.propagate_term`) against superposition.

Superposition of the closed forms (``superpose(..., method="superpose")``) is the reference: it is
exact to rounding. The propagator carries the amounts along each chain from one output time to the
next with the exact transition matrix; both must agree to 1e-10 of the profile's maximum (they
agree to about 1e-14). Cases: one- and two-compartment oral, iv bolus and infusion, catalogue
parent -> metabolite pairs, coinciding rates, lag times, per-subject parameters and lags,
non-uniform, unsorted and repeated output times, doses on, between, before and after the output
times, and the choice `superpose` makes between the two.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pdsim._pk_closed as pkc
from pdsim._pk_closed import as_events, propagate_term, superpose
from pdsim.dosing import Dose, Regimen
from pdsim.errors import InputError
from pdsim.pk import Metabolite, OneCompartment, TwoCompartment, concentration, metabolite_model

TOL = 1e-10
HOURLY = np.arange(0.0, 24.0 * 14 + 1.0)  # two weeks, hourly
RNG_SEED = 20240


def both(model, regimen, times, output="conc"):
    """(superposed, propagated) response of ``model``."""
    evs, times = as_events(regimen), np.asarray(times, dtype=float)
    terms = lambda route: model.response_terms(route, output)  # noqa: E731
    return (superpose(terms, evs, times, model.shape, method="superpose"),
            superpose(terms, evs, times, model.shape, method="propagate"))


def agree(model, regimen, times, output="conc", tol=TOL):
    ref, new = both(model, regimen, times, output)
    assert ref.shape == new.shape
    scale = np.max(np.abs(ref))
    assert scale > 0, "the case must have a response"
    err = np.max(np.abs(new - ref)) / scale
    assert err <= tol, f"max |propagated - superposed| / max = {err:.2e}"
    return ref, new


def daily(n, amount=10.0, route="oral", start=0.0, every=24.0, **kw):
    return Regimen(tuple(Dose(start + every * i, amount, route, **kw) for i in range(n)))


def population(n=40, lag=False, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    cv = lambda x: x * rng.lognormal(0.0, 0.3, n)  # noqa: E731
    extra = dict(tlag=rng.uniform(0.0, 1.5, n)) if lag else {}
    return TwoCompartment(CL=cv(10.0), V=cv(40.0), Q=cv(5.0), V2=cv(80.0), ka=cv(1.2), F=0.8, ke0=cv(0.4), **extra)


# --- single subjects ---------------------------------------------------------------------------
@pytest.mark.parametrize("output", ["amount", "conc", "effect"])
def test_one_compartment_oral(output):
    agree(OneCompartment(CL=13.8, V=53.9, ka=2.7, F=0.99, ke0=0.8), daily(14), HOURLY, output)


@pytest.mark.parametrize("output", ["conc", "effect"])
def test_two_compartment_oral(output):
    model = TwoCompartment(CL=13.8, V=22.5, Q=4.65, V2=10.4, ka=1.45, F=0.99, ke0=0.3)
    agree(model, daily(14, every=8.0), HOURLY, output)


def test_two_compartment_iv_bolus():
    model = TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ke0=0.5)
    agree(model, daily(20, route="iv_bolus", every=12.0, start=0.013), HOURLY, "effect")


@pytest.mark.parametrize("durations", [
    [0.5] * 10,                       # short, each within one output interval
    [2.0, 13.0, 30.0, 0.01, 5.0],     # spanning several intervals, overlapping the next
    [1.0, 1.5, 0.25],                 # starting and ending exactly on output times
    [2e-6, 1e-9, 1e-7],               # tiny, one straddling an output time
])
@pytest.mark.parametrize("output", ["amount", "conc", "effect"])
def test_iv_infusion(durations, output):
    starts = [1.0, 5.5, 9.0, 12.999999, 20.0, 26.0, 31.0, 40.0, 50.0, 60.0]
    reg = Regimen(tuple(Dose(s, 3.0, "iv_infusion", duration=d) for s, d in zip(starts, durations)))
    agree(TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ke0=0.3), reg, np.arange(0.0, 120.0, 1.0), output)


def test_infusion_covering_the_whole_grid_and_before_it():
    reg = Regimen((Dose(-5.0, 300.0, "iv_infusion", duration=100.0), Dose(-8.0, 3.0, "iv_infusion", duration=1.0),
                   Dose(-3.0, 5.0, "iv_infusion", duration=4.0)))
    agree(OneCompartment(CL=5.0, V=50.0, ke0=1.0), reg, np.arange(0.0, 60.0, 0.5), "effect")


def test_infusions_and_boluses_mixed():
    reg = (daily(6, route="iv_infusion", duration=3.0) + daily(6, 20.0, start=4.0)
           + daily(6, 5.0, "iv_bolus", start=10.5))
    agree(TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ka=0.7, ke0=0.3), reg, HOURLY[:200], "effect")


@pytest.mark.parametrize("parent, metabolite", [("amitriptyline", "nortriptyline"), ("tianeptine", "mc5")])
def test_catalogue_parent_to_metabolite(parent, metabolite):
    model = metabolite_model(parent, metabolite)
    ref, _ = agree(model, daily(28, 75.0), np.arange(0.0, 24.0 * 28 + 1.0))
    assert ref[-1] > 0


def test_catalogue_concentration_unchanged(monkeypatch):
    """`pdsim.concentration` (the public path, "auto") gives the superposed numbers."""
    reg = daily(28, 75.0, drug="amitriptyline")
    t = np.arange(0.0, 24.0 * 28 + 1.0)
    auto = concentration("amitriptyline", reg, t, metabolite="nortriptyline").magnitude
    monkeypatch.setattr(pkc, "_worth_propagating", lambda *a: False)
    ref = concentration("amitriptyline", reg, t, metabolite="nortriptyline").magnitude
    assert np.max(np.abs(auto - ref)) <= TOL * np.max(ref)


@pytest.mark.parametrize("model", [
    OneCompartment(CL=5.0, V=50.0, ka=0.1, ke0=0.1),                                 # ka == k == ke0
    Metabolite(OneCompartment(CL=5.0, V=50.0, ka=0.1), OneCompartment(CL=10.0, V=100.0, ke0=0.1), fm=0.5),
    TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ka=0.1000000001, ke0=0.3),
], ids=["ka=k=ke0", "metabolite-all-rates-equal", "ka-near-k"])
def test_coinciding_rates(model):
    agree(model, daily(14), HOURLY, "effect")


def test_lag_time():
    agree(OneCompartment(CL=13.8, V=53.9, ka=2.7, tlag=0.37, ke0=0.5), daily(14, every=8.0), HOURLY, "effect")


def test_lag_time_putting_doses_on_output_times():
    agree(OneCompartment(CL=13.8, V=53.9, ka=2.7, tlag=0.5), daily(14, start=0.5), np.arange(0.0, 340.0, 0.5))


# --- populations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lag", [False, True], ids=["no-lag", "lag-per-subject"])
@pytest.mark.parametrize("output", ["conc", "effect"])
def test_population_parameter_arrays(lag, output):
    model = population(lag=lag)
    ref, new = agree(model, daily(14, every=12.0), HOURLY, output)
    assert ref.shape == (40, HOURLY.size)
    one = model.subject(7)  # subject 7 alone gives its row
    assert np.max(np.abs(both(one, daily(14, every=12.0), HOURLY, output)[1] - new[7])) <= TOL * np.max(ref[7])


def test_population_metabolite():
    rng = np.random.default_rng(RNG_SEED)
    parent = OneCompartment(CL=37.8 * rng.lognormal(0, 0.3, 30), V=1221.0 * rng.lognormal(0, 0.3, 30), ka=0.9, F=0.53,
                            tlag=rng.uniform(0, 1, 30))
    met = Metabolite(parent, OneCompartment(CL=30.0, V=1000.0 * rng.lognormal(0, 0.3, 30)), fm=0.47, mass_ratio=0.95)
    agree(met, daily(28, 75.0), np.arange(0.0, 24.0 * 28 + 1.0))


def test_population_infusion():
    agree(population(), daily(10, 100.0, "iv_infusion", every=12.0, duration=2.5), HOURLY[:150], "effect")


# --- output grids --------------------------------------------------------------------------------
def test_non_uniform_output_times():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0.0, 340.0, 700))
    agree(population(lag=True), daily(14), t, "effect")


def test_geometric_output_times():
    t = np.concatenate([[0.0], np.geomspace(1e-3, 400.0, 300)])
    agree(TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ka=3.0), daily(15), t)


def test_unsorted_and_repeated_output_times():
    rng = np.random.default_rng(2)
    t = np.concatenate([rng.uniform(0.0, 200.0, 200), [24.0, 24.0, 48.0, 0.0, 48.0]])
    ref, new = agree(OneCompartment(CL=5.0, V=50.0, ka=1.0), daily(8), t)
    assert new[-5] == new[-4]


def test_doses_on_and_between_output_times():
    times = [0.0, 1.0, 2.5, 3.0, 3.0001, 7.2, 10.0, 10.0, 11.99999]
    model = TwoCompartment(CL=5.0, V=50.0, Q=10.0, V2=100.0, ka=1.0, ke0=0.4)
    agree(model, Regimen(tuple(Dose(t, 1.0) for t in times)), np.arange(0.0, 30.0, 1.0), "effect")


def test_dose_before_the_first_output_time():
    agree(OneCompartment(CL=5.0, V=50.0, ka=1.0, ke0=0.5), daily(8, start=-30.0), np.arange(0.0, 200.0, 0.5), "effect")


def test_output_grid_starting_after_the_doses():
    agree(population(lag=True), daily(8), np.arange(300.0, 400.0, 0.25))


def test_doses_after_the_last_output_time_do_not_count():
    m = OneCompartment(CL=5.0, V=50.0, ka=1.0)
    ref, new = agree(m, daily(10), np.arange(0.0, 100.0, 1.0))
    late = both(m, daily(10, start=1000.0), np.arange(0.0, 100.0, 1.0))
    assert not late[0].any() and not late[1].any()


def test_many_distinct_step_lengths_in_blocks(monkeypatch):
    """More distinct step lengths than the matrix budget holds: the grid is done in blocks."""
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(-3.0, 200.0, 500))
    model = population(lag=True)
    ref, new = both(model, daily(8), t, "effect")
    monkeypatch.setattr(pkc, "_MATRIX_BUDGET", 20_000)
    assert np.max(np.abs(both(model, daily(8), t, "effect")[1] - new)) <= 1e-14 * np.max(ref)
    assert np.max(np.abs(new - ref)) <= TOL * np.max(ref)


def test_propagate_term_is_one_term():
    m = OneCompartment(CL=5.0, V=50.0, ka=1.0)
    (w, nodes), = m.response_terms("oral", "conc")[0]
    t = np.arange(0.0, 100.0, 1.0)
    single = propagate_term(w, nodes, 0.0, list(daily(5)), t, ())
    assert np.max(np.abs(single - m.conc(t, daily(5)))) <= TOL * np.max(single)


# --- which path superpose takes --------------------------------------------------------------------
def _forbid(monkeypatch, name):
    def boom(*a, **k):
        raise AssertionError(f"{name} should not run here")
    monkeypatch.setattr(pkc, name, boom)


def test_auto_propagates_many_doses(monkeypatch):
    _forbid(monkeypatch, "_superpose_doses")
    OneCompartment(CL=5.0, V=50.0, ka=1.0).conc(HOURLY, daily(14))


def test_auto_superposes_few_doses_and_few_times(monkeypatch):
    _forbid(monkeypatch, "_propagate_doses")
    m = OneCompartment(CL=5.0, V=50.0, ka=1.0)
    m.conc(HOURLY[:100], daily(2))       # two doses, 200 (dose, time) pairs
    m.conc(np.array([5.0, 30.0]), daily(14))  # two output times (e.g. pk_summary's refinement)


def test_infusion_with_a_lag_per_subject_falls_back():
    assert not pkc._can_propagate("iv_infusion", np.ones((3, 1)), HOURLY)
    assert pkc._can_propagate("iv_infusion", 0.0, HOURLY) and pkc._can_propagate("oral", np.ones((3, 1)), HOURLY)
    assert not pkc._can_propagate("oral", 0.0, np.array([0.0, np.nan]))


def test_unknown_method():
    m = OneCompartment(CL=5.0, V=50.0, ka=1.0)
    with pytest.raises(InputError, match="method"):
        superpose(lambda r: m.response_terms(r, "conc"), daily(2).events, HOURLY, (), method="fast")


# --- properties ------------------------------------------------------------------------------------
rate = st.floats(0.02, 5.0)


@st.composite
def cases(draw):
    ka, ke0, CL, V = draw(rate), draw(rate), draw(st.floats(0.5, 50)), draw(st.floats(5, 500))
    kind = draw(st.sampled_from(["one", "two", "metabolite"]))
    if kind == "one":
        model = OneCompartment(CL=CL, V=V, ka=ka, tlag=draw(st.floats(0, 2)), ke0=ke0)
    else:
        model = TwoCompartment(CL=CL, V=V, Q=draw(st.floats(0.5, 50)), V2=draw(st.floats(5, 500)), ka=ka, ke0=ke0)
    if kind == "metabolite":
        own = OneCompartment(CL=draw(st.floats(0.5, 50)), V=draw(st.floats(5, 500)), ke0=ke0)
        model = Metabolite(model, own, fm=0.5)
    route = draw(st.sampled_from(["oral", "iv_bolus", "iv_infusion"]))
    doses = tuple(Dose(draw(st.floats(0, 100)), draw(st.floats(0, 100)), route,
                       draw(st.floats(1e-3, 30)) if route == "iv_infusion" else 0.0)
                  for _ in range(draw(st.integers(1, 8))))
    return model, Regimen(doses), draw(st.sampled_from(["conc", "effect"]))


T_PROP = np.linspace(0.0, 150.0, 301)


@settings(max_examples=40, deadline=None)
@given(cases(), st.floats(0.0, 50.0))
def test_propagator_matches_superposition_is_linear_and_non_negative(case, factor):
    model, regimen, output = case
    ref, new = both(model, regimen, T_PROP, output)
    assert np.all(new >= 0)
    assert np.max(np.abs(new - ref)) <= TOL * max(np.max(ref), 1e-300)
    scaled = both(model, regimen.scaled(factor), T_PROP, output)[1]
    assert np.max(np.abs(scaled - factor * new)) <= 1e-12 * max(factor * np.max(new), 1e-300)
