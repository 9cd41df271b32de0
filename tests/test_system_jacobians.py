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


@pytest.fixture
def hpa_chain_stiff():
    """HPA registered stiff for one test (the catalogue keeps it on the explicit stage), restored after."""
    import dataclasses

    specs = {n: registry.systems()[n] for n in ("hpa", "bdnf", "plasticity")}

    def register(jac: bool) -> None:
        for n, sp in specs.items():
            registry.register(dataclasses.replace(sp, stiff=n == "hpa", jac=sp.jac if jac else None))

    yield register
    for sp in specs.values():
        registry.register(sp)


def test_stiff_stage_with_the_jacobians_matches_differences(hpa_chain_stiff):
    """The chronic-restraint chain (HPA, BDNF, plasticity) over three days on the stiff stage: with the
    registered Jacobians (and differences only for the column plasticity reads, hippocampal BDNF) the
    RODAS4 solution equals the one with every column differenced to 1e-8 of each variable's range
    (measured 1e-10; leaving out that coupling column moves it by 8e-7, so the bound sees it)."""
    from pdsim.engine.plan import plan

    restraint = {"label": "restraint + tianeptine", "species": "rat", "stress": {"protocol": "chronic_restraint"},
                 "doses": [{"drug": "tianeptine", "dose": "10 mg/kg", "route": "ip", "every": "24 h", "count": 3}]}
    sc = pdsim.Scenario.from_dict({"name": "stiff chain", "duration": "3 day", "output_every": "1 h",
                                   "systems": ["hpa", "bdnf", "plasticity"], "arms": [restraint],
                                   "population": {"size": 2, "seed": 3, "variability": {"tianeptine.CL": 0.3}}})
    got = {}
    for jac in (True, False):
        hpa_chain_stiff(jac)
        assert [job.method for job in plan(sc)] == ["rodas4"]
        res = pdsim.simulate(sc)
        got[jac] = {k: np.asarray(v) for k, v in res.data.items() if k.startswith("effect.")}
    worst = max(float(np.max(np.abs(got[True][k] - got[False][k]) / np.abs(got[False][k]).max())) for k in got[False])
    assert worst <= 1e-8
