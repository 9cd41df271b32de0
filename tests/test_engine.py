"""Tests of the engine's stages (pdsim/engine/): the step grid, and every registered system's compiled
form against its own NumPy right-hand side and outputs."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim.engine import forcing, ode
from pdsim.engine.registry import ArmContext, systems
from pdsim.scenario import Scenario


def test_step_grid_lands_on_outputs_and_edges():
    """Every output time and edge is a grid point, no step exceeds the maximum, steps after an edge
    are graded from step/2**GRADING, and out_at maps each output time to the step ending on it."""
    t_out = np.arange(0.0, 25.0, 2.0)
    edges = [3.3, 9.0, 10.5, 17.25]
    grid, h, out_at = forcing.step_grid(t_out, edges, 0.5)
    assert grid[0] == 0.0 and grid[-1] == 24.0 and np.all(h > 0) and h.max() <= 0.5 + 1e-12
    assert set(t_out) <= set(grid) and set(edges) <= set(grid)
    for e in edges:
        i = int(np.flatnonzero(grid == e)[0])
        assert h[i] == pytest.approx(0.5 / 2 ** forcing.GRADING)
    reached = {int(out_at[i]): grid[i + 1] for i in range(h.size) if out_at[i] >= 0}
    assert reached == {j: t_out[j] for j in range(1, t_out.size)}
    st = forcing.stage_times(grid).reshape(h.size, ode.STAGES)
    assert np.all(st[:, 0] == grid[:-1]) and np.all(st[:, -1] < grid[1:]) and np.all(st[:, -1] > grid[1:] - 1e-12)


def _model(name):
    """The system as the engine builds it for an arm dosing tianeptine_like (one drug with ke0, a MOR agonist)."""
    sc = Scenario.from_dict({"name": "x", "duration": "1 day", "systems": [name] if name != "plasticity" else ["bdnf", name],
                             "arms": [{"label": "a", "species": "human",
                                       "doses": [{"drug": "tianeptine_like", "dose": "1 mg"}]}]})
    arm = sc.arms[0]
    return systems()[name].build(ArmContext(arm=arm, drugs=("tianeptine_like",)))


@pytest.mark.parametrize("name", sorted(systems()))
def test_compiled_system_equals_its_numpy_form(name):
    """For random states and inputs, the compiled rhs and observe (what the engine integrates) give
    the model's own NumPy rhs and observe to rounding, for every registered system."""
    m = _model(name)
    rng = np.random.default_rng(3)
    n = 7
    y = rng.uniform(0.3, 1.7, (len(m.states), n))
    u = {k: rng.uniform(0.0, 0.9, n) for k in m.inputs}
    cs = m.compiled()
    pool = np.ascontiguousarray(np.stack([u[k] for k in m.inputs], axis=1)) if m.inputs else np.zeros((n, 1))
    idx = np.arange(len(m.inputs), dtype=np.int64)
    dy = np.empty((n, len(m.states)))
    cs.rhs(np.ascontiguousarray(y.T), pool, idx, cs.params, dy)
    assert_allclose(dy.T, np.asarray(m.rhs(0.0, y, u)), rtol=1e-12, atol=1e-15)
    if m.outputs:
        out = np.empty((n, len(m.outputs)))
        cs.observe(np.ascontiguousarray(y.T), pool, idx, cs.params, out)
        want = m.observe(y, u)
        for j, key in enumerate(m.outputs):
            assert_allclose(out[:, j], np.broadcast_to(want[key], (n,)), rtol=1e-12, atol=1e-15, err_msg=key)


def _hpa_hill_2_5():
    from pdsim.effects.hpa import HPAModel

    return HPAModel("rat", scale={"n_gr": 2.5 / 3.0})  # a Hill number other than the catalogue's 3


def _plasticity_gain_0_6():
    from pdsim.effects.plasticity import PlasticityModel

    return PlasticityModel(scale={"ca3_dendrite_length_driver_gain": 1.2, "ca3_branch_points_driver_gain": 2.0})


@pytest.mark.parametrize("make", [_hpa_hill_2_5, _plasticity_gain_0_6], ids=["hpa-hill-2.5", "plasticity-gains"])
def test_compiled_system_off_the_catalogue_paths(make):
    """The compiled forms take shortcuts for the catalogue's values (HPA's Hill number 3 as products;
    the turnover systems' exp skipped without stress, no pow for driver exponents 1 and 1/2): with
    other values (a scaled Hill number, driver exponents 0.6 and 1.0) and stress 0 for some subjects
    they still give the NumPy rhs to rounding."""
    m = make()
    rng = np.random.default_rng(5)
    n = 9
    y = rng.uniform(0.3, 1.7, (len(m.states), n))
    u = {k: rng.uniform(0.0, 0.9, n) for k in m.inputs}
    u["stress"][: n // 2] = 0.0
    cs = m.compiled()
    pool = np.ascontiguousarray(np.stack([u[k] for k in m.inputs], axis=1))
    dy = np.empty((n, len(m.states)))
    cs.rhs(np.ascontiguousarray(y.T), pool, np.arange(len(m.inputs), dtype=np.int64), cs.params, dy)
    assert_allclose(dy.T, np.asarray(m.rhs(0.0, y, u)), rtol=1e-12, atol=1e-15)
