"""Tests for pdsim.population: reproducibility per subject, recovered variability, input errors.

Sampling checks use tolerances of several standard errors so that they hold for any seed.
"""
from __future__ import annotations

import numpy as np
import pytest

from pdsim.errors import InputError, PdsimError
from pdsim.population import BLOCK, omega_from_cv, sample_parameters, sample_weights, standard_normals

TYP = {"ka": 2.0, "CL": 15.0, "V": 50.0}
CV = {"ka": 0.3, "CL": 0.3, "V": 0.3}


def test_same_seed_same_numbers_and_other_seed_differs():
    a = sample_parameters(TYP, CV, 50, seed=7)
    b = sample_parameters(TYP, CV, 50, seed=7)
    c = sample_parameters(TYP, CV, 50, seed=8)
    for k in TYP:
        np.testing.assert_array_equal(a[k], b[k])
        assert not np.allclose(a[k], c[k])


def test_subject_i_is_the_same_whatever_n():
    small = sample_parameters(TYP, CV, 10, seed=3)
    large = sample_parameters(TYP, CV, 1000, seed=3)
    for k in TYP:
        np.testing.assert_array_equal(small[k], large[k][:10])


def test_chunks_drawn_with_first_match_the_whole_population():
    whole = sample_parameters(TYP, CV, 4 * BLOCK + 17, seed=11)
    for first, n in [(0, 5), (BLOCK - 3, 10), (2 * BLOCK + 100, BLOCK)]:
        part = sample_parameters(TYP, CV, n, seed=11, first=first)
        for k in TYP:
            np.testing.assert_array_equal(part[k], whole[k][first:first + n])


def test_adding_a_varied_parameter_changes_no_other_draw():
    base = sample_parameters(TYP, {"CL": 0.3}, 200, seed=5)
    more = sample_parameters(TYP, {"CL": 0.3, "V": 0.2}, 200, seed=5)
    np.testing.assert_array_equal(base["CL"], more["CL"])
    np.testing.assert_array_equal(base["V"], np.full(200, 50.0))


def test_cv_and_median_recovered_from_a_large_sample():
    n = 40_000
    p = sample_parameters(TYP, {"ka": 0.3, "CL": 0.5, "V": 0.1}, n, seed=1)
    for k, cv in {"ka": 0.3, "CL": 0.5, "V": 0.1}.items():
        eta = np.log(p[k] / TYP[k])
        omega = omega_from_cv(cv)
        assert abs(eta.std(ddof=1) - omega) < 4 * omega / np.sqrt(2 * n)
        assert abs(eta.mean()) < 4 * omega / np.sqrt(n)  # the typical value is the median
        sample_cv = p[k].std(ddof=1) / p[k].mean()
        assert sample_cv == pytest.approx(cv, rel=0.05)


def test_correlation_recovered_in_the_log_domain():
    n = 40_000
    rho = 0.6
    p = sample_parameters(TYP, CV, n, seed=2, correlations={("CL", "V"): rho})
    r = np.corrcoef(np.log(p["CL"]), np.log(p["V"]))[0, 1]
    assert abs(r - rho) < 4 * (1 - rho**2) / np.sqrt(n)
    r_ka = np.corrcoef(np.log(p["ka"]), np.log(p["CL"]))[0, 1]
    assert abs(r_ka) < 4 / np.sqrt(n)
    # the same correlation given as a matrix in the order of `cv`
    m = np.eye(3)
    m[1, 2] = m[2, 1] = rho
    q = sample_parameters(TYP, CV, n, seed=2, correlations=m)
    for k in TYP:
        np.testing.assert_allclose(q[k], p[k], rtol=1e-12)


def test_allometric_scaling_of_clearance_and_volume():
    wt = np.array([35.0, 70.0, 140.0])
    p = sample_parameters(TYP, {}, 3, seed=0, weight=wt)
    np.testing.assert_allclose(p["CL"], 15.0 * (wt / 70.0) ** 0.75, rtol=1e-14)
    np.testing.assert_allclose(p["V"], 50.0 * wt / 70.0, rtol=1e-14)
    np.testing.assert_allclose(p["ka"], 2.0, rtol=0)
    q = sample_parameters({"drug.CL": 10.0}, {}, 3, seed=0, weight=wt)
    np.testing.assert_allclose(q["drug.CL"], 10.0 * (wt / 70.0) ** 0.75, rtol=1e-14)


def test_sample_weights_reproducible_and_positive():
    w = sample_weights(500, seed=4)
    np.testing.assert_array_equal(w[:20], sample_weights(20, seed=4))
    assert np.all(w > 0) and 60 < np.median(w) < 80


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 0},
        {"n": -5},
        {"n": 2.5},
        {"cv": {"CL": -0.1}},
        {"cv": {"Q": 0.2}},
        {"typical": {"CL": -1.0}, "cv": {}},
        {"seed": -1},
        {"correlations": {("CL", "V"): 1.5}},
        {"correlations": np.array([[1.0, 0.99, 0.99], [0.99, 1.0, -0.99], [0.99, -0.99, 1.0]])},
        {"correlations": np.eye(2)},
        {"weight": -70.0},
    ],
)
def test_bad_input_raises_input_error_with_one_sentence(kwargs):
    args = {"typical": TYP, "cv": CV, "n": 10, "seed": 1}
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        sample_parameters(**args)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PdsimError)
    msg = str(info.value)
    assert msg.endswith(".") and "\n" not in msg


def test_standard_normals_are_standard():
    z = standard_normals("x", 50_000, seed=9)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
