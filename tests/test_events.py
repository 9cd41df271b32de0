"""NONMEM-convention event tables: reading (every rule with its row and column), the exact round trip
regimen -> table -> regimen, the scenario key `events` and `pdsim run --doses`."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pdsim
from pdsim import Dose, Regimen
from pdsim.errors import InputError, ModelFileError

# Tianeptine 12.5 mg three times daily for 28 days, as a NONMEM data set would hold it: one dose
# record with 83 additional doses every 8 h (84 in all), then observation rows (EVID 0).
HAND_WRITTEN = """\
# tianeptine 12.5 mg every 8 h for 28 days
ID,TIME,AMT,CMT,RATE,II,ADDL,SS,EVID,MDV,DV
1,0,12.5,1,0,8,83,0,1,1,.
1,1.5,.,2,.,.,.,.,0,0,310
1,24,.,2,.,.,.,.,0,0,250
"""


def _csv(tmp_path, text, name="doses.csv"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_hand_written_table_is_the_repeated_regimen(tmp_path):
    r = Regimen.from_events(_csv(tmp_path, HAND_WRITTEN), drug="tianeptine")
    assert r == Regimen.repeated(dose="12.5 mg", every="8 h", count=84, drug="tianeptine")
    assert len(r) == 84 and r.events[-1].time == 664.0


def test_infusion_and_routes(tmp_path):
    # RATE 10 mg/h of AMT 25 mg: a 2.5 h infusion into the central compartment (CMT 2)
    r = Regimen.from_events([
        {"TIME": 0, "AMT": 25, "CMT": 2, "RATE": 10},
        {"TIME": 1, "AMT": 5, "CMT": 2},
        {"TIME": 2, "AMT": 3, "CMT": 1, "ROUTE": "sc"},
        {"TIME": 4, "AMT": 7, "CMT": 1},
    ])
    assert [(e.route, e.amount, e.duration) for e in r] == [
        ("iv_infusion", 25.0, 2.5), ("iv_bolus", 5.0, 0.0), ("sc", 3.0, 0.0), ("oral", 7.0, 0.0)]
    # units: AMT in ug and TIME in days convert to mg and h; RATE is AMT per TIME unit
    r2 = Regimen.from_events([{"TIME": 1, "AMT": 500, "CMT": 2, "RATE": 1000}], amt_unit="ug", time_unit="day")
    (d,) = r2.events
    assert d.time == 24.0 and d.amount == pytest.approx(0.5) and d.duration == pytest.approx(12.0)
    # a custom compartment map
    r3 = Regimen.from_events([{"TIME": 0, "AMT": 1, "CMT": 3}], cmt={3: "ip"})
    assert r3.events[0].route == "ip"


def test_round_trip_is_exact_through_a_csv_file(tmp_path):
    r = (Regimen.repeated("12.5 mg", "8 h", count=21, drug="tianeptine")
         + Regimen.repeated("75 mg", "24 h", count=7, start="22 h", drug="amitriptyline")
         + Regimen.infusion(rate="7 mg/h", duration="3 h", every="12 h", count=3, drug="morphine")
         + Regimen.ladder(["0.1 mg", "0.3 mg"], every="0.1 h", per_step=3, route="sc", drug="morphine")
         + Regimen.single("2 mg", route="ip", at="0.7 h"))
    table = r.to_events()
    assert list(table.columns) == ["ID", "TIME", "AMT", "CMT", "RATE", "II", "ADDL", "SS", "EVID", "DRUG", "ROUTE"]
    assert len(table) < len(r)  # runs were compressed into II/ADDL
    assert Regimen.from_events(table) == r
    path = tmp_path / "out" / "events.csv"
    r.to_events(path)
    assert Regimen.from_events(path) == r


_times = st.floats(0, 2000, allow_nan=False, allow_infinity=False)
_amounts = st.floats(0.001, 5000, allow_nan=False, allow_infinity=False)
_dose = st.one_of(
    st.builds(lambda t, a, r: Dose(t, a, r), _times, _amounts, st.sampled_from(["oral", "iv_bolus", "ip", "sc"])),
    st.builds(lambda t, a, d: Dose(t, a, "iv_infusion", d), _times, _amounts, st.floats(0.01, 48)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_dose, min_size=1, max_size=12), st.floats(0.25, 48), st.integers(1, 30))
def test_round_trip_is_exact_for_any_regimen(doses, every, count):
    import tempfile
    from pathlib import Path

    r = Regimen(tuple(doses)) + Regimen.repeated(1.5, every, count, drug="x")
    assert Regimen.from_events(r.to_events()) == r
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.csv"
        r.to_events(path)
        assert Regimen.from_events(path) == r


def test_dur_column_when_amt_over_rate_is_not_exact():
    # 1 mg over 24.5 h: no double RATE gives 1/RATE == 24.5 exactly, so the table carries DUR
    r = Regimen((Dose(0.0, 1.0, "iv_infusion", 24.5),))
    table = r.to_events()
    assert "DUR" in table.columns and table["DUR"].iloc[0] == 24.5
    assert Regimen.from_events(table) == r
    assert "DUR" not in Regimen((Dose(0.0, 20.0, "iv_infusion", 2.0),)).to_events().columns
    with pytest.raises(InputError, match="row 1, column DUR.*AMT/RATE gives 2"):
        Regimen.from_events([{"TIME": 0, "AMT": 20, "CMT": 2, "RATE": 10, "DUR": 3}])


@pytest.mark.parametrize("rows, where, rule", [
    ([{"TIME": 0, "AMT": 10, "CMT": 1, "SS": 1, "II": 24}], "row 1, column SS", "steady state"),
    ([{"TIME": 0, "AMT": 10, "CMT": 1}, {"TIME": 5, "AMT": 0, "CMT": 1, "EVID": 3}], "row 2, column EVID", "reset"),
    ([{"TIME": 0, "AMT": 10, "CMT": 2, "RATE": -2}], "row 1, column RATE", "estimated by the model"),
    ([{"TIME": 0, "AMT": 10, "CMT": 1, "ADDL": 3}], "row 1, column II", "need an interval"),
    ([{"TIME": 0, "AMT": 10, "CMT": 1, "II": 12}], "row 1, column II", "no effect"),
    ([{"TIME": 0, "AMT": -1, "CMT": 1}], "row 1, column AMT", ">= 0"),
    ([{"TIME": "noon", "AMT": 1, "CMT": 1}], "row 1, column TIME", "not a number"),
    ([{"TIME": 0, "AMT": 1, "CMT": 7}], "row 1, column CMT", "known compartments"),
    ([{"TIME": 0, "AMT": 1, "CMT": 1, "RATE": 4}], "row 1, column RATE", "zero-order absorption"),
    ([{"TIME": 0, "AMT": 1, "CMT": 1, "ADDL": 1.5, "II": 2}], "row 1, column ADDL", "whole number"),
    ([{"TIME": 0, "AMT": 1, "CMT": 2, "ROUTE": "oral"}], "row 1, column CMT", "agree"),
    ([{"TIME": 0, "AMT": 3, "CMT": 1, "EVID": 0}], "row 1, column AMT", "gives no dose"),
    ([{"TIME": 0, "AMT": 3, "CMT": 1, "DV": 4.2}], "row 1, column DV", "observation"),
])
def test_bad_records_name_row_column_and_rule(rows, where, rule):
    with pytest.raises(InputError) as exc:
        Regimen.from_events(rows)
    assert where in str(exc.value) and rule in str(exc.value)


def test_table_level_errors(tmp_path):
    bad = _csv(tmp_path, """\
        ID,TIME,AMT,CMT
        1,0,10,1

        1,8,ten,1
        """)
    with pytest.raises(InputError, match=r"row 2 \(line 4\), column AMT is 'ten'"):
        Regimen.from_events(bad)
    with pytest.raises(InputError, match="column 'WT' is not an event-table column.*ignore"):
        Regimen.from_events([{"TIME": 0, "AMT": 1, "CMT": 1, "WT": 70}])
    assert len(Regimen.from_events([{"TIME": 0, "AMT": 1, "CMT": 1, "WT": 70}], ignore=["wt"])) == 1
    two = [{"ID": 1, "TIME": 0, "AMT": 1, "CMT": 1}, {"ID": 2, "TIME": 0, "AMT": 2, "CMT": 1}]
    with pytest.raises(InputError, match="2 subjects.*id="):
        Regimen.from_events(two)
    assert Regimen.from_events(two, id=2).events[0].amount == 2.0
    with pytest.raises(InputError, match="neither CMT nor ROUTE"):
        Regimen.from_events([{"TIME": 0, "AMT": 1}])
    with pytest.raises(InputError, match="no dose records"):
        Regimen.from_events([{"TIME": 0, "AMT": 0, "CMT": 1, "EVID": 0}])
    with pytest.raises(InputError, match="read for 'tianeptine'"):
        Regimen.from_events([{"TIME": 0, "AMT": 1, "CMT": 1, "DRUG": "morphine"}], drug="tianeptine")
    with pytest.raises(InputError, match="does not exist"):
        Regimen.from_events(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="amount 0"):
        Regimen((Dose(0, 0, "iv_infusion", 2),)).to_events()


# --- scenarios and the CLI -------------------------------------------------------------------------
def _scenario(tmp_path, dose_lines: str, name="replay.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(f"""\
        name = "replay"
        duration = "3 day"
        output_every = "0.5 h"
        systems = []
        [[arms]]
        label = "tianeptine"
        {dose_lines}
        """))
    return p


def test_scenario_events_key_replays_the_regimen(tmp_path):
    """A CSV replayed through a scenario gives the same simulation as the same regimen written with
    dose/every/count (and the same plasma curve as `pdsim.concentration` on Regimen.repeated)."""
    _csv(tmp_path, HAND_WRITTEN)
    via_events = pdsim.simulate(pdsim.load_scenario(_scenario(
        tmp_path, '[[arms.doses]]\n        events = "doses.csv"\n        drug = "tianeptine"')))
    via_keys = pdsim.simulate(pdsim.load_scenario(_scenario(
        tmp_path, '[[arms.doses]]\n        drug = "tianeptine"\n        dose = "12.5 mg"\n        every = "8 h"\n'
                  '        count = 84', name="keys.toml")))
    assert set(via_events.data) == set(via_keys.data) and "plasma.tianeptine" in via_events.data
    for k in via_keys.data:
        np.testing.assert_allclose(via_events.data[k], via_keys.data[k], rtol=1e-12, atol=0)
    t = via_events.time_h
    ref = pdsim.concentration(pdsim.drug("tianeptine"), Regimen.repeated("12.5 mg", "8 h", count=84), t)
    got = via_events.get("plasma.tianeptine")[0]
    np.testing.assert_allclose(got, ref.to(via_events.units["plasma.tianeptine"]).magnitude, rtol=1e-9, atol=1e-12)


def test_scenario_events_key_errors_name_the_file(tmp_path):
    _csv(tmp_path, "TIME,AMT,CMT,SS,II\n0,10,1,1,24\n")
    with pytest.raises(InputError, match=r"replay.toml.*events.*row 1 \(line 2\), column SS"):
        pdsim.load_scenario(_scenario(tmp_path, '[[arms.doses]]\n        events = "doses.csv"\n        drug = "tianeptine"'))
    with pytest.raises(ModelFileError, match="unknown key 'dose'"):
        pdsim.load_scenario(_scenario(tmp_path, '[[arms.doses]]\n        events = "doses.csv"\n        dose = "1 mg"'))
    with pytest.raises(ModelFileError, match="does not exist"):
        pdsim.load_scenario(_scenario(tmp_path, '[[arms.doses]]\n        events = "missing.csv"\n        drug = "tianeptine"'))
    _csv(tmp_path, "TIME,AMT,CMT\n0,10,1\n", name="nodrug.csv")
    with pytest.raises(InputError, match="names no drug"):
        pdsim.load_scenario(_scenario(tmp_path, '[[arms.doses]]\n        events = "nodrug.csv"'))


def test_cli_run_doses_replays_one_arm(tmp_path):
    from pdsim.cli import main

    csv_path = _csv(tmp_path, HAND_WRITTEN)
    sc = tmp_path / "two_arms.toml"
    sc.write_text(textwrap.dedent("""\
        name = "two arms"
        duration = "2 day"
        output_every = "1 h"
        systems = []
        [[arms]]
        label = "a"
          [[arms.doses]]
          drug = "tianeptine"
          dose = "12.5 mg"
          every = "8 h"
          count = 6
        [[arms]]
        label = "b"
          [[arms.doses]]
          drug = "tianeptine"
          dose = "50 mg"
          every = "12 h"
          count = 4
        """))
    assert main(["run", str(sc), "--doses", str(csv_path), "--out", str(tmp_path / "none")]) == 2  # which arm?
    assert main(["run", str(sc), "--arm", "b", "--out", str(tmp_path / "none")]) == 2  # --arm needs --doses
    assert main(["run", str(sc), "--doses", str(csv_path), "--arm", "b", "--no-plots",
                 "--out", str(tmp_path / "replay")]) == 0
    assert main(["run", str(sc), "--no-plots", "--out", str(tmp_path / "plain")]) == 0
    replay = pd.read_csv(tmp_path / "replay" / "results.csv")
    plain = pd.read_csv(tmp_path / "plain" / "results.csv")
    assert set(replay["arm"]) == {"b"}
    # over the first 2 days the CSV's 8-hourly 12.5 mg equals arm "a" (6 doses), not arm "b"
    a = plain[plain["arm"] == "a"].reset_index(drop=True)
    np.testing.assert_allclose(replay["value"].to_numpy(), a["value"].to_numpy(), rtol=1e-9, atol=1e-12)
    assert list(replay["variable"]) == list(a["variable"])
