"""The analytic Jacobians systems register for the stiff stage (`pdsim.engine.stiff`), each against a central
finite difference of the same system's compiled right-hand side at random states and inputs."""
from __future__ import annotations

import numpy as np
import pytest

import pdsim
from pdsim.engine import registry
from pdsim.engine.registry import ArmContext

#: systems with an analytic Jacobian; a new one is checked here as soon as it registers
WITH_JAC = sorted(name for name, spec in registry.systems().items() if spec.jac is not None)


def _model(name: str):
    sc = pdsim.Scenario.from_dict({"name": "jac", "duration": "1 day", "systems": ["bdnf", "plasticity"] if name == "plasticity" else [name],
                                   "arms": [{"label": "rat", "species": "rat"}]})
    return registry.systems()[name].build(ArmContext(arm=sc.arms[0], drugs=()))


def _central_difference(cs, y, pool, idx):
    """∂(dy/dt)/∂y by central differences of the compiled rhs, step 1e-6 (1 + |y_j|) (error ~1e-12)."""
    nb, n = y.shape
    jac = np.empty((nb, n, n))
    up, dn = np.empty((nb, n)), np.empty((nb, n))
    for j in range(n):
        d = 1e-6 * (1.0 + np.abs(y[:, j]))
        yp, ym = y.copy(), y.copy()
        yp[:, j] += d
        ym[:, j] -= d
        cs.rhs(yp, pool, idx, cs.params, up)
        cs.rhs(ym, pool, idx, cs.params, dn)
        jac[:, :, j] = (up - dn) / (2.0 * d)[:, None]
    return jac


def test_the_stiff_chains_systems_register_a_jacobian():
    """HPA and the systems run with it in the chronic-stress scenarios (BDNF, plasticity) carry one."""
    assert {"hpa", "bdnf", "plasticity"} <= set(WITH_JAC)


@pytest.mark.parametrize("name", WITH_JAC)
def test_jacobian_matches_central_differences(name):
    """At 64 random states (0.2-3 x baseline; for HPA gland masses too) and inputs (stress 0-1, drug signal
    0-1, an input driver 0.2-3), every entry agrees with the central difference to 1e-6 relative (to the
    entry, floored at 1e-3 of the row's largest, for the couplings that vanish); measured 8e-11 to 3e-9."""
    model = _model(name)
    cs = model.compiled()
    rng = np.random.default_rng(11)
    nb, n, n_in = 64, len(model.states), len(model.inputs)
    y = rng.uniform(0.2, 3.0, (nb, n))
    pool = np.empty((nb, n_in))
    idx = np.arange(n_in, dtype=np.int64)
    for j, key in enumerate(model.inputs):
        pool[:, j] = rng.uniform(0.0, 1.0, nb) if key == "stress" or key.startswith("signal.") else rng.uniform(0.2, 3.0, nb)
    jac = np.full((nb, n, n), np.nan)
    registry.systems()[name].jac(y, pool, idx, cs.params, jac)
    fd = _central_difference(cs, y, pool, idx)
    scale = np.maximum(np.abs(fd), np.abs(fd).max(axis=2, keepdims=True) * 1e-3)
    worst = float(np.max(np.abs(jac - fd) / scale))
    assert worst <= 1e-6, f"{name}: analytic Jacobian off by {worst:.2e} relative"
    assert np.count_nonzero(jac) > n  # not just the diagonal: the couplings are there
