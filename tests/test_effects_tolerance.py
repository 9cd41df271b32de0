"""Tests of pdsim.effects.tolerance: moderator model steady state and withdrawal rebound (fact sheet F7a)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsim.effects import ToleranceModel, run_models


def test_steady_state_is_square_root():
    """Constant signal: R* = M* = sqrt(1 + S sigma)."""
    m = ToleranceModel()
    t = np.linspace(0, 40 * 24, 81)
    out = run_models([m], t, lambda tt: {"signal.MOR": 0.3})
    assert out["effect.mor_response"][-1, 0] == pytest.approx(m.steady_state(0.3), rel=1e-5)
    assert out["effect.mor_moderator"][-1, 0] == pytest.approx(m.steady_state(0.3), rel=1e-5)


def test_rebound_below_baseline_on_stopping():
    """Stopping after steady state drops R towards 1/M* (the bound for k_out >> k_tol); the rebound then fades as M decays."""
    m = ToleranceModel()
    stop = 30 * 24
    t = np.linspace(0, 60 * 24, 2881)
    out = run_models([m], t, lambda tt: {"signal.MOR": 0.5 if tt < stop else 0.0}, breakpoints=[stop])
    r = out["effect.mor_response"][:, 0]
    depth = 1 - r[t >= stop].min()
    assert 0.85 * m.rebound_depth(0.5) < depth <= m.rebound_depth(0.5)
    assert out["effect.withdrawal"][-1, 0] < 0.01
    assert np.all(out["effect.mor_moderator"] > 0)


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0, 1), b=st.floats(0, 1))
def test_rebound_grows_with_signal(a, b):
    m = ToleranceModel()
    lo, hi = sorted((a, b))
    assert m.rebound_depth(lo) <= m.rebound_depth(hi)
