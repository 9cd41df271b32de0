"""Tests of the engine's stiff stage (pdsim/engine/stiff.py, RODAS4): analytic solutions of stiff linear
problems, and the Robertson problem through `pdsim.simulate` with a system registered by the test itself."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

import pdsim
from pdsim.engine import forcing, registry, stiff
from pdsim.engine.ode import CompiledSystem, compile_system
from pdsim.engine.plan import plan
from pdsim.errors import UnknownNameError


# --- y' = -lam (y - u(t)), u = cos t: a stiff linear problem with a closed form -----------------------
@compile_system
def _relax_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        dy[b, 0] = -p[0] * (y[b, 0] - pool[b, idx[0]])


@compile_system
def _no_outputs(y, pool, idx, p, out):  # pragma: no cover - compiled
    pass


@stiff.compile_jac
def _relax_jac(y, pool, idx, p, jac):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        jac[b, 0, 0] = -p[0]


class _Relax:
    name, states, inputs, outputs = "relax", ("y",), ("u",), ()


def _relax_exact(t, lam, y0):
    """y(t) of y' = -lam (y - cos t), y(0) = y0: the particular solution (lam² cos t + lam sin t)/(lam² + 1)
    plus the homogeneous decay of the initial offset."""
    part = (lam ** 2 * np.cos(t) + lam * np.sin(t)) / (lam ** 2 + 1)
    return part + (y0 - lam ** 2 / (lam ** 2 + 1)) * np.exp(-lam * t)


def _relax(lam, step, y0, jac=None, t_end=10.0):
    t_out = np.linspace(0.0, t_end, 11)
    grid, h, out_at = forcing.step_grid(t_out, [], step, 0)
    ro = stiff.Rosenbrock(grid, [jac])
    f_stage = np.cos(ro.times)[:, None, None]  # the input, exact at every node
    f_out = np.cos(t_out)[None, :, None]
    got, who, _ = ro.integrate([CompiledSystem("relax", _relax_rhs, _no_outputs, [lam])], [_Relax], ["u"],
                               np.full((1, 1), y0), h, out_at, t_out.size, f_stage, f_out)
    assert who == -1
    return t_out, got["effect.y"][0], ro


@pytest.mark.parametrize("jac", [None, _relax_jac], ids=["finite-differences", "analytic"])
def test_stiff_linear_problem_against_its_closed_form(jac):
    """lam = 1000/h with steps of 0.2 h (h·lam = 200, far outside any explicit method's stability
    region) and an initial offset the first step cannot resolve: L-stability damps it, and from t = 1 h
    on y follows the closed form to 1e-5 (measured 5.2e-6); the analytic and finite-difference
    Jacobians agree."""
    t, y, _ = _relax(1000.0, 0.2, 0.0, jac)
    exact = _relax_exact(t, 1000.0, 0.0)
    assert np.max(np.abs(y[1:] - exact[1:])) < 1e-5
    assert abs(y[0]) == 0.0


def test_rosenbrock_converges_at_order_four_on_a_smooth_problem():
    """Non-stiff (lam = 1/h), y(0) on the particular solution: halving the step divides the error by
    about 2**4 (RODAS4 is of order 4, Hairer & Wanner 1996, §IV.7); this checks the tableau and the
    ∂f/∂t term, which enters at order 2."""
    y0 = 0.5
    errs = []
    for step in (0.2, 0.1, 0.05):
        t, y, _ = _relax(1.0, step, y0)
        errs.append(np.max(np.abs(y - _relax_exact(t, 1.0, y0))))
    rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(rates > 3.7), (errs, rates)


def test_stage_times_read_left_limits_and_a_close_node_for_the_time_derivative():
    grid = np.array([0.0, 0.5, 1.0, 3.0])
    st = stiff.stage_times(grid).reshape(3, stiff.NODES)
    h = np.diff(grid)
    assert np.all(st[:, 0] == grid[:-1])
    assert_allclose(st[:, 1:4], grid[:-1, None] + stiff.ALPHA[None, 1:4] * h[:, None])
    assert np.all(st[:, 4:6] < grid[1:, None]) and np.all(st[:, 4:6] > grid[1:, None] - 1e-12)
    d = st[:, -1] - grid[:-1]
    assert np.all(d > 0) and np.all(d < 1e-6)


# --- the Robertson problem, as a downstream system registered by this test ------------------------
#: rate constants of Robertson's chemical kinetics (Robertson HH, 1966; Hairer & Wanner 1996, §IV.1)
_K = (0.04, 3e7, 1e4)


@compile_system
def _rob_rhs(y, pool, idx, p, dy):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        a, c, d = y[b, 0], y[b, 1], y[b, 2]
        dy[b, 0] = -p[0] * a + p[2] * c * d
        dy[b, 1] = p[0] * a - p[2] * c * d - p[1] * c * c
        dy[b, 2] = p[1] * c * c


@stiff.compile_jac
def _rob_jac(y, pool, idx, p, jac):  # pragma: no cover - compiled
    for b in range(y.shape[0]):
        c, d = y[b, 1], y[b, 2]
        jac[b, 0, 0], jac[b, 0, 1], jac[b, 0, 2] = -p[0], p[2] * d, p[2] * c
        jac[b, 1, 0], jac[b, 1, 1], jac[b, 1, 2] = p[0], -p[2] * d - 2.0 * p[1] * c, -p[2] * c
        jac[b, 2, 0], jac[b, 2, 1], jac[b, 2, 2] = 0.0, 2.0 * p[1] * c, 0.0


class _Robertson:
    """A downstream system as a new module would write it: states, inputs, outputs, compiled form."""

    name = "robertson"
    states = ("rob_a", "rob_b", "rob_c")
    inputs: tuple = ()
    outputs: tuple = ()
    stiff = True
    max_step_h = 0.05
    grading = 30  # the first step from t = 0 is 0.05 h / 2**30: the fast species settles within it

    def parameters(self):
        return {}

    def initial_state(self, n):
        return np.vstack([np.ones(n), np.zeros(n), np.zeros(n)])

    def compiled(self):
        return CompiledSystem(self.name, _rob_rhs, _no_outputs, np.array(_K))


@pytest.fixture(params=[None, _rob_jac], ids=["finite-differences", "analytic"])
def robertson(request):
    registry.register(registry.SystemSpec("robertson", lambda ctx: _Robertson(), order=99, stiff=True,
                                          jac=request.param, description="Robertson's stiff kinetics (test)"))
    yield
    registry.unregister("robertson")


def _robertson_reference(t):
    def f(_, y):
        a, b, c = y
        return [-_K[0] * a + _K[2] * b * c, _K[0] * a - _K[2] * b * c - _K[1] * b * b, _K[1] * b * b]

    return solve_ivp(f, (0.0, t[-1]), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-16, t_eval=t).y


def test_robertson_problem_through_simulate(robertson):
    """Robertson's problem over 40 h (time scales from 1e-8 to 1e2), registered here and run by
    `pdsim.simulate` on a scenario: the plan picks RODAS4 from the registration, and every species
    agrees with SciPy's Radau at rtol 1e-12 to 1e-7 relative (measured 6e-9); the Rosenbrock step
    conserves a + b + c = 1 (a linear invariant) to round-off."""
    sc = pdsim.Scenario.from_dict({"name": "robertson", "duration": "40 h", "output_every": "1 h",
                                   "systems": ["robertson"], "arms": [{"label": "kinetics"}]})
    assert [job.method for job in plan(sc)] == ["rodas4"]
    res = pdsim.simulate(sc)
    ref = _robertson_reference(np.asarray(res.time_h))
    got = np.array([np.asarray(res[f"effect.{s}"].magnitude).ravel() for s in _Robertson.states])
    assert_allclose(got, ref, rtol=1e-7, atol=0)
    assert_allclose(got.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    assert not [n for n in res.notes if "local error estimate" in n]


def test_a_stiff_system_is_a_registration_and_no_engine_edit(robertson):
    """The name is valid while registered and rejected with suggestions once removed; the catalogue's
    own systems stay on the explicit stage (none registers as stiff)."""
    assert registry.method(["robertson"]) == "rodas4"
    assert registry.method(["onset"]) == "dop853" and registry.method([]) == ""
    assert not [s for s, spec in registry.systems().items() if spec.stiff and s != "robertson"]
    registry.unregister("robertson")
    with pytest.raises(UnknownNameError, match="robertson"):
        pdsim.Scenario.from_dict({"name": "r", "duration": "1 h", "systems": ["robertson"], "arms": [{"label": "a"}]})
    registry.register(registry.SystemSpec("robertson", lambda ctx: _Robertson(), order=99, stiff=True,
                                          description="Robertson's stiff kinetics (test)"))


def test_a_too_long_stiff_step_is_noted():
    """With the step forced long (2 h, from a first step of 1/8 h), the local error estimate exceeds the
    note's bound and the Result says so instead of staying silent."""
    class Coarse(_Robertson):
        max_step_h = 2.0
        grading = 4

    registry.register(registry.SystemSpec("robertson_coarse", lambda ctx: Coarse(), order=99, stiff=True,
                                          description="Robertson's stiff kinetics, long steps (test)"))
    try:
        sc = pdsim.Scenario.from_dict({"name": "robertson", "duration": "40 h", "output_every": "4 h",
                                       "systems": ["robertson_coarse"], "arms": [{"label": "kinetics"}]})
        res = pdsim.simulate(sc)
    finally:
        registry.unregister("robertson_coarse")
    assert [n for n in res.notes if "local error estimate" in n and "robertson" in n]
