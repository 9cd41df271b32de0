"""Result.to_xarray: the same numbers as Result.data and the tidy frame, with units in attrs."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import pdsim
from pdsim.errors import MissingExtraError

SCENARIO = {
    "name": "two arms", "duration": "2 day", "output_every": "2 h", "systems": [],
    "population": {"size": 3, "seed": 7, "variability": {"tianeptine.CL": 0.3}},
    "arms": [
        {"label": "low", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]},
        {"label": "high", "doses": [{"drug": "tianeptine", "dose": "50 mg", "every": "12 h", "count": 4}]},
    ],
}


@pytest.fixture(scope="module")
def result():
    return pdsim.simulate(pdsim.Scenario.from_dict(SCENARIO))


def test_dataset_matches_result(result):
    ds = result.to_xarray()
    assert list(ds["arm"].values) == ["low", "high"]
    assert list(ds["subject"].values) == [0, 1, 2]
    np.testing.assert_array_equal(ds["time"].values, result.time_h)
    assert ds["time"].attrs["units"] == "h" and ds.attrs["scenario"] == "two arms"
    assert set(ds.data_vars) == set(result.variables)
    for name in result.variables:
        assert ds[name].dims == ("arm", "subject", "time")
        np.testing.assert_array_equal(ds[name].values, result.data[name])
        assert ds[name].attrs["units"] == result.units[name]
    # one value picked by label equals the tidy frame's row for it
    name = "plasma.tianeptine"
    tidy = result.to_dataframe([name])
    row = tidy[(tidy.arm == "high") & (tidy.subject == 2) & (tidy.time_h == 10.0)]
    assert float(ds[name].sel(arm="high", subject=2, time=10.0)) == float(row["value"].iloc[0])
    assert ds[name].sel(arm="high").max() > ds[name].sel(arm="low").max()  # 4x the dose, linear PK
    assert list(result.to_xarray([name]).data_vars) == [name]


def test_missing_xarray_names_the_extra(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(MissingExtraError, match=r"pdsim-pharmacology\[xarray\]"):
        result.to_xarray()
