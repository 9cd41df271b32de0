"""Tests of pdsim.effects.run_models: wiring, vectorisation over subjects, breakpoints, errors."""
import numpy as np
import pytest

from pdsim.effects import BDNFSignalling, HPAModel, OnsetModel, PlasticityModel, ToleranceModel, run_models
from pdsim.errors import InputError, SolverError
from pdsim.model import DynamicModel


class _Decay:
    """dy/dt = -k y + u; a minimal DynamicModel for the tests."""

    name, states, inputs, outputs, stiff = "decay", ("y",), ("u",), ("effect.y_doubled",), False

    def __init__(self, k=1.0, bad=False):
        self.k, self.bad = k, bad

    def parameters(self):
        return {}

    def initial_state(self, n):
        return np.zeros((1, n))

    def rhs(self, t, y, u):
        d = -self.k * y + u["u"]
        return d * np.nan if self.bad and t > 1.0 else d

    def observe(self, y, u):
        return {"effect.y_doubled": 2 * y[0]}


def test_models_satisfy_the_protocol():
    for m in (BDNFSignalling(), PlasticityModel(), HPAModel(), OnsetModel(), ToleranceModel()):
        assert isinstance(m, DynamicModel), m.name


def test_step_input_with_breakpoint_matches_closed_form():
    """y' = -y + H(t - 2): y = 1 - exp(-(t - 2)) after the step (exact)."""
    t = np.linspace(0, 6, 61)
    out = run_models([_Decay()], t, lambda tt: {"u": 1.0 if tt >= 2.0 else 0.0}, breakpoints=[2.0])
    exact = np.where(t >= 2, 1 - np.exp(-(t - 2)), 0.0)
    np.testing.assert_allclose(out["effect.y"][:, 0], exact, atol=1e-8)
    np.testing.assert_allclose(out["effect.y_doubled"][:, 0], 2 * exact, atol=2e-8)


def test_vectorised_over_subjects():
    t = np.linspace(0, 48, 13)
    sig = np.array([0.0, 0.05, 0.3])
    many = run_models([ToleranceModel()], t, lambda tt: {"signal.MOR": sig}, n=3)
    assert many["effect.mor_response"].shape == (13, 3)
    for i, s in enumerate(sig):
        one = run_models([ToleranceModel()], t, lambda tt, s=s: {"signal.MOR": s})
        np.testing.assert_allclose(many["effect.mor_response"][:, i], one["effect.mor_response"][:, 0], rtol=1e-6)


def test_missing_input_is_named():
    with pytest.raises(InputError, match="model 'plasticity' reads input 'effect.bdnf_hippocampus'"):
        run_models([PlasticityModel()], [0, 1], lambda t: {"stress": 0.0, "signal.MOR": 0.0})


def test_earlier_model_provides_states():
    out = run_models([BDNFSignalling(), PlasticityModel()], [0, 1], lambda t: {"stress": 0.0, "signal.MOR": 0.0})
    assert "effect.ca3_dendrite_length" in out and "effect.bdnf_hippocampus" in out


def test_bad_grid_and_duplicates():
    with pytest.raises(InputError, match="strictly increasing"):
        run_models([_Decay()], [0, 2, 1], lambda t: {"u": 0.0})
    with pytest.raises(InputError, match="state 'y' is defined by both"):
        run_models([_Decay(), _Decay()], [0, 1], lambda t: {"u": 0.0})
    with pytest.raises(InputError, match="`models` is empty"):
        run_models([], [0, 1], lambda t: {})


def test_non_finite_derivative_names_model_and_time():
    with pytest.raises(SolverError, match=r"model 'decay' returned non-finite derivatives at t = 1\.\d+"):
        run_models([_Decay(bad=True)], [0, 3], lambda t: {"u": 1.0})
