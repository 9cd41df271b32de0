"""Tests of pdsim.targets.gpcr: antagonist occupancy at H1, mAChR, α1 and the side-effect indices."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from pdsim import catalog
from pdsim.errors import UnknownNameError
from pdsim.targets import GPCR_TARGETS, INDEX_NAMES, gpcr_signals, side_effect_indices


@pytest.mark.parametrize("target", GPCR_TARGETS)
def test_index_is_equilibrium_occupancy(target):
    """θ = C/(C + K); amitriptyline: H1 Ki ≈ 0.7 nM (vendor summary), mAChR KD 18 nM (Richelson & Nelson 1984), α1 Ki 4.4 nM."""
    k = catalog.drug("amitriptyline").affinity(target).to("nM")
    c = np.array([0.0, k, 10 * k])
    out = gpcr_signals({"amitriptyline": c}, target)
    assert_allclose(out[f"occupancy.{target}"], c / (c + k), rtol=1e-12)
    assert_allclose(out[f"signal.{target}"], out[f"occupancy.{target}"], rtol=0)
    assert_allclose(out[f"occupancy.{target}.amitriptyline"][1], 0.5, rtol=1e-12)


def test_side_effect_index_names_and_ordering():
    """Seed 004: H1 → sedation, muscarinic → anticholinergic, α → orthostatic hypotension; at one concentration
    the ranking follows the affinities (H1 < α1 < mAChR in K)."""
    idx = side_effect_indices({"amitriptyline": 10.0})
    assert set(idx) == set(INDEX_NAMES.values())
    assert idx["sedation"] > idx["orthostatic_hypotension"] > idx["anticholinergic_burden"] > 0


def test_drugs_without_affinity_do_not_count():
    out = gpcr_signals({"escitalopram": np.ones((2, 3)), "tianeptine": np.ones((2, 3))}, "H1")
    assert_allclose(out["occupancy.H1"], 0.0)
    assert out["signal.H1"].shape == (2, 3)
    assert not any(k.startswith("occupancy.H1.") for k in out)


def test_unknown_target():
    with pytest.raises(UnknownNameError):
        gpcr_signals({"amitriptyline": 1.0}, "H2")


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_index_bounded_and_monotone(c, extra):
    """Property: the index lies in [0, 1] and never falls when the concentration rises."""
    lo = gpcr_signals({"amitriptyline": c}, "mAChR")["signal.mAChR"]
    hi = gpcr_signals({"amitriptyline": c + extra}, "mAChR")["signal.mAChR"]
    assert 0.0 <= lo <= hi <= 1.0
