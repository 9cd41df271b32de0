"""Tests of pdsim.effects.onset: immediate 5-HT rise, slow autoreceptor desensitisation (amitriptyline SmPC: 2-4 weeks)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsim.effects import OnsetModel, run_models


def test_autoreceptor_closed_form():
    """Under constant SERT occupancy A(t) = A* + (1 - A*) exp(-kA t)."""
    m = OnsetModel()
    t = np.linspace(0, 42 * 24, 43)
    out = run_models([m], t, lambda tt: {"occupancy.SERT": 0.8, "signal.MOR": 0.0})
    np.testing.assert_allclose(out["effect.autoreceptor_sensitivity"][:, 0], m.closed_form(t, 0.8), rtol=1e-7)
    assert m.k_a == pytest.approx(math.log(2) / (6.3 * 24))


def test_serotonin_rises_at_once():
    m = OnsetModel()
    assert m.raphe_5ht(0.8) == pytest.approx(1 / (1 - m.rho * 0.8))
    assert m.raphe_5ht(0.0) == 1.0
    # before adaptation the net transmission barely moves; after it, it roughly doubles
    assert m.transmission(0.8, 1.0) < 1.2
    assert m.transmission(0.8, m.sensitivity_target(0.8)) > 1.8


def test_baseline_has_no_effect():
    m = OnsetModel()
    idx = m.index(0.0, 1.0, 0.0)
    assert idx["index"] == 0.0 and idx["monoamine"] == 0.0
    d = m.rhs(0.0, m.initial_state(2), {"occupancy.SERT": np.zeros(2), "signal.MOR": np.zeros(2)})
    np.testing.assert_array_equal(d, 0.0)


def test_mor_path_is_immediate():
    m = OnsetModel()
    assert m.index(0.0, 1.0, m.half_effect)["index"] == pytest.approx(0.5)


@settings(max_examples=80, deadline=None)
@given(occ=st.floats(0, 1), a=st.floats(0.01, 1), sig=st.floats(0, 1))
def test_index_in_unit_interval(occ, a, sig):
    v = OnsetModel().index(occ, a, sig)
    for x in v.values():
        assert 0.0 <= float(x) <= 1.0
