"""Bad inputs, table-driven: every case must raise pdsim's own error (CLI: exit 2, one line on stderr)
whose message names the input, and nothing outside --out (or the temp folder) is ever written.

Cases come from a hostile-user trial (issue 16): wrong types, units, ranges, contradictions,
silently-ignored keys, path traversal through inline drug names, and runaway sizes.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest

import pdsim
from pdsim.cli import main
from pdsim.errors import InputError, ModelFileError, PdsimError, UnitError, UnknownNameError
from pdsim.scenario import Arm, DoseSpec, Population, Scenario, load_scenario

BASE = {
    "name": "bad inputs",
    "duration": "2 day",
    "output_every": "1 h",
    "arms": [
        {"label": "a", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 6}]},
        {"label": "b", "doses": [{"drug": "tianeptine", "dose": "25 mg", "every": "8 h", "until": "2 day"}]},
    ],
    "population": {"size": 3, "seed": 1, "variability": {"tianeptine.CL": 0.3, "tianeptine.V": 0.2}},
}


def _with(path: tuple, value, base=BASE) -> dict:
    d = copy.deepcopy(base)
    t = d
    for k in path[:-1]:
        t = t[k]
    t[path[-1]] = value
    return d


def _render(path: tuple) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            part = p if all(c.isalnum() or c in "_-" for c in p) else f'"{p}"'
            out += ("." if out else "") + part
    return out


# --- scenario dicts: (path, bad value, error class) -----------------------------------------------
_D0 = ("arms", 0, "doses", 0)
_D1 = ("arms", 1, "doses", 0)
_NOT_A_TIME = [True, [48], {"a": 1}, None, "5 mg", "-1 h", "nan h", "inf h", "banana", "1e400 h"]
SCENARIO_CASES: list[tuple[tuple, object, type]] = []
for _p in [("duration",), ("output_every",), _D0 + ("every",), _D1 + ("until",), _D0 + ("start",)]:
    for _v in _NOT_A_TIME:
        if _p[-1] == "start" and _v == "-1 h":
            continue
        _cls = UnitError if _v in ("5 mg", "banana") else InputError
        SCENARIO_CASES.append((_p, _v, _cls))
SCENARIO_CASES += [
    ((_D0 + ("start",)), "-1 h", InputError),
    # doses
    (_D0 + ("dose",), True, InputError), (_D0 + ("dose",), [1], InputError), (_D0 + ("dose",), None, InputError),
    (_D0 + ("dose",), "5 percent", UnitError), (_D0 + ("dose",), "12.5 mL", UnitError),
    (_D0 + ("dose",), 12.5, UnitError), (_D0 + ("dose",), "0 mg", InputError), (_D0 + ("dose",), "-3 mg", InputError),
    (_D0 + ("dose",), "nan mg", InputError), (_D0 + ("dose",), "inf mg", InputError), (_D0 + ("dose",), "mg mg", UnitError),
    (_D0 + ("dose",), "12.5 mg/h", UnitError), (_D0 + ("dose",), {"value": 1}, InputError),
    (_D0 + ("count",), 0, InputError), (_D0 + ("count",), 2.5, InputError), (_D0 + ("count",), "6", InputError),
    (_D0 + ("count",), True, InputError), (_D0 + ("count",), 10**9, InputError), (_D0 + ("count",), [6], InputError),
    (_D0 + ("every",), "0 h", InputError), (_D0 + ("every",), "1 s", InputError),
    (_D0 + ("route",), "orall", InputError), (_D0 + ("route",), 5, InputError), (_D0 + ("route",), ["oral"], InputError),
    (_D0 + ("route",), "", InputError),
    (_D0 + ("drug",), "tianeptin", UnknownNameError), (_D0 + ("drug",), 5, InputError),
    (_D0 + ("drug",), ["tianeptine"], InputError), (_D0 + ("drug",), "../../etc/passwd", InputError),
    (_D0 + ("drug",), "x.toml", InputError), (_D0 + ("drug",), "", InputError),
    (_D0 + ("duration",), "2 h", InputError), (_D0 + ("rate",), "10 mg/h", InputError),
    (_D0 + ("evry",), "8 h", ModelFileError), (_D1 + ("count",), 3, InputError),
    (("arms", 0, "doses"), [1], ModelFileError), (("arms", 0, "doses"), "tianeptine", ModelFileError),
    (("arms", 0, "doses"), {"drug": "tianeptine"}, ModelFileError), (("arms", 0, "doses", 0), "x", ModelFileError),
    # arms
    (("arms",), [], ModelFileError), (("arms",), "a", ModelFileError), (("arms",), {"label": "a"}, ModelFileError),
    (("arms", 0), 5, ModelFileError), (("arms", 0, "label"), 3, InputError), (("arms", 0, "label"), "", InputError),
    (("arms", 1, "label"), "a", InputError), (("arms", 0, "species"), "dog", UnknownNameError),
    (("arms", 0, "species"), 5, InputError), (("arms", 0, "species"), "tree_shrew", InputError),
    (("arms", 0, "body_weight"), "70 mg/L", UnitError), (("arms", 0, "body_weight"), "-70 kg", InputError),
    (("arms", 0, "body_weight"), True, InputError), (("arms", 0, "body_weight"), [70], InputError),
    (("arms", 0, "body_weight"), "0 kg", InputError),
    (("arms", 0, "systems"), "hpa", InputError), (("arms", 0, "systems"), ["hpaa"], UnknownNameError),
    (("arms", 0, "systems"), [1], InputError), (("arms", 0, "stress"), "chronic_restraint", ModelFileError),
    (("arms", 0, "stress"), {"protocol": 5}, InputError), (("arms", 0, "stress"), {"protocol": "nope"}, UnknownNameError),
    (("arms", 0, "stress"), {"start": "1 h"}, ModelFileError),
    (("arms", 0, "stress"), {"protocol": "chronic_restraint", "start": "-2 h"}, InputError),
    (("arms", 0, "stress"), {"protocol": "chronic_restraint", "strat": "2 h"}, ModelFileError),
    (("arms", 0, "colour"), "red", ModelFileError),
    # top level
    (("name",), 5, InputError), (("name",), "", InputError), (("name",), ["x"], InputError),
    (("description",), 5, InputError), (("site",), 5, InputError), (("site",), "bloood", InputError),
    (("targets",), "MOR", InputError), (("targets",), ["MORR"], UnknownNameError), (("targets",), [5], InputError),
    (("systems",), "hpa", InputError), (("systems",), ["nope"], UnknownNameError), (("systems",), 5, InputError),
    (("drugs",), 5, ModelFileError), (("drugs",), {"x": 5}, ModelFileError),
    (("drugs",), {"mydrug": {"molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"],
                                            "kind": "assumed", "note": "n"}, "colour": "red"}}, ModelFileError),
    (("drugs",), {"mydrug": {"molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["nosuch"],
                                            "kind": "assumed", "note": "n"}}}, ModelFileError),
    (("drugs",), {"mydrug": {"molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"],
                                            "kind": "assumed", "note": "n"}, "name": "other"}}, InputError), (("drug_files",), "x.toml", InputError),
    (("drug_files",), ["does-not-exist.toml"], ModelFileError), (("drug_files",), [5], InputError),
    (("duraton",), "2 day", ModelFileError), (("output_every",), "7 h", InputError),
    (("output_every",), "1 ms", InputError), (("output_every",), "3 day", InputError),
    (("output_every",), "5 h", InputError), (("duration",), "1e300 h", InputError),
    # population
    (("population",), [1], ModelFileError), (("population",), 5, ModelFileError),
    (("population", "size"), 0, InputError), (("population", "size"), 1e9, InputError),
    (("population", "size"), "10", InputError), (("population", "size"), True, InputError),
    (("population", "seed"), -1, InputError), (("population", "seed"), 1.5, InputError),
    (("population", "chunk_size"), 0, InputError), (("population", "sise"), 3, ModelFileError),
    (("population", "variability"), [0.3], ModelFileError),
    (("population", "variability"), {"tianeptin.CL": 0.3}, UnknownNameError),
    (("population", "variability"), {"amitriptyline.CL": 0.3}, InputError),
    (("population", "variability"), {"tianeptine.CLL": 0.3}, InputError),
    (("population", "variability"), {"tianeptine.fu": 0.3}, InputError),
    (("population", "variability"), {"CL": 0.3}, InputError),
    (("population", "variability"), {"tianeptine.CL": -0.3}, InputError),
    (("population", "variability"), {"tianeptine.CL": "30 %"}, InputError),
    (("population", "variability"), {"tianeptine.CL": True}, InputError),
    (("population", "variability"), {"tianeptine.CL": 1e308}, InputError),
    (("population", "variability"), {"tianeptine.CL": 0.3, "stablon.CL": 0.2}, InputError),
    (("population", "correlations"), {"tianeptine.CL:tianeptine.V": 1.5}, InputError),
    (("population", "correlations"), {"tianeptine.CL:tianeptine.ka": 0.5}, InputError),
    (("population", "correlations"), {"tianeptine.CL": 0.5}, InputError),
    (("population", "correlations"), {"tianeptine.CL:tianeptine.CL": 0.5}, InputError),
    (("population", "correlations"), {"tianeptine.CL:tianeptine.V": "high"}, InputError),
    (("population", "correlations"), [0.5], ModelFileError),
]


def _case_id(case):
    path, value, cls = case
    return f"{_render(path)}={value!r}"[:60]


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[_case_id(c) for c in SCENARIO_CASES])
def test_scenario_dict_rejects_and_names_the_input(case):
    path, value, cls = case
    with pytest.raises(cls) as info:
        Scenario.from_dict(_with(path, value))
    err = info.value
    assert isinstance(err, PdsimError)
    assert err.key, "the error carries the key of the offending input"
    named = _render(path[:-1]) if path[-1] in ("evry", "colour", "duraton", "sise") else _render(path)
    assert err.key.startswith(named[:max(1, len(named))].split("[")[0]), (err.key, named)
    assert f"`{err.key}`" in str(err)
    assert "\n" not in str(err)


def test_enough_cases():
    assert len(SCENARIO_CASES) + len(API_CASES) + len(CLI_CASES) >= 150


# --- TOML files: the line is the offending arm's own line ----------------------------------------
TOML = '''name = "lines"
duration = "2 day"

[[arms]]
label = "first"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "12.5 mg"

[[arms]]
label = "second"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "12.5 mg"
  every = "8 h"
  count = 6
'''


@pytest.mark.parametrize("old,new,line,key", [
    ('count = 6', 'count = 0', 16, "arms[1].doses[0].count"),
    ('label = "second"\n  [[arms.doses]]\n  drug = "tianeptine"\n  dose = "12.5 mg"',
     'label = "second"\n  [[arms.doses]]\n  drug = "tianeptine"\n  dose = true', 14, "arms[1].doses[0].dose"),
    ('every = "8 h"', 'every = [8]', 15, "arms[1].doses[0].every"),
    ('label = "second"', 'label = "first"', 11, "arms[1].label"),
    ('duration = "2 day"', 'duration = "2 day"\noutput_every = "7 h"', 3, "output_every"),
])
def test_toml_error_points_at_the_offending_line(tmp_path, old, new, line, key):
    f = tmp_path / "s.toml"
    f.write_text(TOML.replace(old, new), encoding="utf-8")
    with pytest.raises(PdsimError) as info:
        load_scenario(f)
    err = info.value
    assert (err.file, err.line, err.key) == (str(f), line, key)
    assert str(err).startswith(f"{f}:{line}: `{key}`")


def test_correlations_toml_form_is_read_and_used(tmp_path):
    """`[population.correlations]` with "a:b" = rho reaches the draws: the sample correlation of
    log CL and log V over 4000 subjects is the coefficient given (0.6) within sampling error
    (SE of r ~ (1 - r^2)/sqrt(n) = 0.01)."""
    text = TOML.replace('count = 6', 'count = 6\n') + '''
[population]
size = 4000
seed = 5
[population.variability]
"stablon.CL" = 0.3
"tianeptine.V" = 0.3
[population.correlations]
"stablon.CL:tianeptine.V" = 0.6
'''
    f = tmp_path / "c.toml"
    f.write_text(text, encoding="utf-8")
    sc = load_scenario(f)
    assert sc.population.variability == {"tianeptine.CL": 0.3, "tianeptine.V": 0.3}  # the alias resolved
    assert dict(sc.population.correlations) == {("tianeptine.CL", "tianeptine.V"): 0.6}
    from pdsim.population import sample_parameters

    draws = sample_parameters({"tianeptine.CL": 15.0, "tianeptine.V": 50.0}, sc.population.variability, 4000,
                              sc.population.seed, sc.population.correlations)
    r = np.corrcoef(np.log(draws["tianeptine.CL"]), np.log(draws["tianeptine.V"]))[0, 1]
    assert abs(r - 0.6) < 0.04


def test_two_varied_drugs_with_correlations_simulate():
    """From Python: an arm dosing two drugs, each with varied parameters and a correlation of its own."""
    pop = Population(size=4, seed=1, variability={"tianeptine.CL": 0.3, "tianeptine.V": 0.2, "amitriptyline.CL": 0.3,
                                                  "amitriptyline.V": 0.2},
                     correlations={("tianeptine.CL", "tianeptine.V"): 0.5, "amitriptyline.CL:amitriptyline.V": 0.4})
    arm = Arm(label="both", doses=(DoseSpec("tianeptine", 12.5, every=8.0, count=3), DoseSpec("amitriptyline", 25.0)))
    sc = Scenario(name="two", arms=(arm,), duration=24.0, population=pop, targets=("MOR",))
    res = pdsim.simulate(sc)
    cl = res.get("plasma.tianeptine")
    assert cl.shape == (4, 25) and len({round(float(x), 9) for x in cl[:, 6]}) == 4  # subjects differ


# --- Python API ------------------------------------------------------------------------------------
def _result():
    sc = Scenario.from_dict({"name": "r", "duration": "4 h", "targets": ["MOR"],
                             "arms": [{"label": "x", "doses": [{"drug": "tianeptine", "dose": "12.5 mg"}]},
                                      {"label": "y", "doses": [{"drug": "tianeptine", "dose": "25 mg"}]}]})
    return pdsim.simulate(sc)


def _nav(**kw):
    from pdsim.targets.ion_channels import nav_block

    args = {"drug": "amitriptyline", "conc": "100 nM"}
    args.update(kw)
    return nav_block(**args)


def _reg(**kw):
    from pdsim.dosing import Regimen

    return Regimen.repeated(**{"dose": "12.5 mg", "every": "8 h", "count": 3, **kw})


def _override(params):
    from pdsim.sweep import override

    return override("tianeptine_therapeutic_vs_misuse", params)


API_CASES: list[tuple[str, object, type, str]] = [
    ("load_scenario(5)", lambda: load_scenario(5), InputError, "load_scenario"),
    ("load_scenario(None)", lambda: load_scenario(None), InputError, "load_scenario"),
    ("load_scenario('')", lambda: load_scenario(""), InputError, "load_scenario"),
    ("load_scenario(nope)", lambda: load_scenario("no_such_scenario"), UnknownNameError, "no_such_scenario"),
    ("from_dict(5)", lambda: Scenario.from_dict(5), ModelFileError, "scenario"),
    ("from_dict([])", lambda: Scenario.from_dict([]), ModelFileError, "scenario"),
    ("DoseSpec every=0", lambda: DoseSpec("tianeptine", 1.0, every=0, count=5), InputError, "every"),
    ("DoseSpec count w/o every", lambda: DoseSpec("tianeptine", 1.0, count=5), InputError, "count"),
    ("DoseSpec amount=-1", lambda: DoseSpec("tianeptine", -1.0), InputError, "amount"),
    ("DoseSpec amount=nan", lambda: DoseSpec("tianeptine", float("nan")), InputError, "amount"),
    ("DoseSpec amount str", lambda: DoseSpec("tianeptine", "12 mg"), InputError, "amount"),
    ("DoseSpec route", lambda: DoseSpec("tianeptine", 1.0, route="iv"), InputError, "route"),
    ("DoseSpec infusion w/o duration", lambda: DoseSpec("tianeptine", 1.0, route="iv_infusion"), InputError, "duration"),
    ("DoseSpec oral duration", lambda: DoseSpec("tianeptine", 1.0, duration=2.0), InputError, "duration"),
    ("DoseSpec count huge", lambda: DoseSpec("tianeptine", 1.0, every=1.0, count=10**9), InputError, "count"),
    ("DoseSpec drug 5", lambda: DoseSpec(5, 1.0), InputError, "drug"),
    ("DoseSpec start -1", lambda: DoseSpec("tianeptine", 1.0, start=-1.0), InputError, "start"),
    ("DoseSpec per_kg 1", lambda: DoseSpec("tianeptine", 1.0, per_kg=1), InputError, "per_kg"),
    ("Arm label 5", lambda: Arm(label=5), InputError, "label"),
    ("Arm doses DoseSpec", lambda: Arm(label="a", doses=DoseSpec("tianeptine", 1.0)), InputError, "doses"),
    ("Arm doses dict", lambda: Arm(label="a", doses=({"drug": "x"},)), InputError, "doses"),
    ("Arm systems str", lambda: Arm(label="a", systems="hpa"), InputError, "systems"),
    ("Arm body_weight 0", lambda: Arm(label="a", body_weight=0.0), InputError, "body_weight"),
    ("Population size 0", lambda: Population(size=0), InputError, "size"),
    ("Population size float", lambda: Population(size=10.0), InputError, "size"),
    ("Population seed -1", lambda: Population(seed=-1), InputError, "seed"),
    ("Population variability list", lambda: Population(variability=[0.3]), ModelFileError, "variability"),
    ("Population corr without CV", lambda: Population(variability={"tianeptine.CL": 0.3},
                                                      correlations={("tianeptine.CL", "tianeptine.V"): 0.5}),
     InputError, "correlations"),
    ("Scenario corr cross-drug",
     lambda: Scenario(name="x", arms=(Arm("a", (DoseSpec("tianeptine", 1.0), DoseSpec("amitriptyline", 1.0))),),
                      duration=4.0, population=Population(size=2, variability={"tianeptine.CL": 0.3, "amitriptyline.CL": 0.3},
                                                          correlations={"tianeptine.CL:amitriptyline.CL": 0.5})),
     InputError, "two drugs"),
    ("Scenario arms empty", lambda: Scenario(name="x", arms=(), duration=1.0), InputError, "arm"),
    ("Scenario duration str", lambda: Scenario(name="x", arms=(Arm("a"),), duration="2 day"), InputError, "duration"),
    ("Scenario grid 7h/48h", lambda: Scenario(name="x", arms=(Arm("a"),), duration=48.0, output_every=7.0),
     InputError, "output_every"),
    ("Scenario targets str", lambda: Scenario(name="x", arms=(Arm("a"),), duration=4.0, targets="MOR"), InputError,
     "targets"),
    ("Scenario site", lambda: Scenario(name="x", arms=(Arm("a"),), duration=4.0, site="blood"), InputError, "site"),
    ("Scenario variability unknown drug",
     lambda: Scenario(name="x", arms=(Arm("a", (DoseSpec("tianeptine", 1.0),)),), duration=4.0,
                      population=Population(size=2, variability={"tianeptin.CL": 0.3})), UnknownNameError, "tianeptin"),
    ("Regimen count 1e9", lambda: _reg(count=10**9), InputError, "count"),
    ("Regimen every 1 s until", lambda: _reg(count=None, every="1 s", until="7 day"), InputError, "every"),
    ("Regimen every 1 min until 1e7 day", lambda: _reg(count=None, every="1 h", until="1e7 day"), InputError, "until"),
    ("Regimen dose True", lambda: _reg(dose=True), InputError, "dose"),
    ("Regimen dose list", lambda: _reg(dose=[1, 2]), InputError, "dose"),
    ("Regimen dose percent", lambda: _reg(dose="5 percent"), UnitError, "dose"),
    ("Regimen every list", lambda: _reg(every=[8]), InputError, "every"),
    ("Regimen start True", lambda: _reg(start=True), InputError, "start"),
    ("Regimen until inf", lambda: _reg(count=None, until="inf h"), InputError, "until"),
    ("nav conc 1e300", lambda: _nav(conc="1e300 nM"), InputError, "conc"),
    ("nav pulses 1e9", lambda: _nav(pulses=10**9), InputError, "pulses"),
    ("nav pulses True", lambda: _nav(pulses=True), InputError, "pulses"),
    ("nav pulses 0", lambda: _nav(pulses=0), InputError, "pulses"),
    ("nav conc nan", lambda: _nav(conc=float("nan")), InputError, "conc"),
    ("nav frequency 0", lambda: _nav(frequency="0 Hz"), InputError, "frequency"),
    ("summary interval 1.5", lambda: _result().summary(interval=1.5), InputError, "interval"),
    ("summary interval 0", lambda: _result().summary(interval=0), InputError, "interval"),
    ("summary interval str", lambda: _result().summary(interval="90%"), InputError, "interval"),
    ("summary variables str", lambda: _result().summary(variables="plasma.tianeptine"), InputError, "variables"),
    ("get arm 7", lambda: _result().get("plasma.tianeptine", arm=7), UnknownNameError, "arm"),
    ("get arm True", lambda: _result().get("plasma.tianeptine", arm=True), InputError, "arm"),
    ("get arm 1.0", lambda: _result().get("plasma.tianeptine", arm=1.0), InputError, "arm"),
    ("get arm missing", lambda: _result().get("plasma.tianeptine", arm="z"), UnknownNameError, "arm"),
    ("get variable list", lambda: _result().get(["plasma.tianeptine"], arm=0), InputError, "variable"),
    ("get no arm", lambda: _result().get("plasma.tianeptine"), UnknownNameError, "arm"),
    ("override fu 5", lambda: _override({"tianeptine.fu": 5}), InputError, "tianeptine.fu"),
    ("override F 3", lambda: _override({"tianeptine.F": 3}), InputError, "tianeptine.F"),
    ("override CL True", lambda: _override({"tianeptine.CL": True}), InputError, "tianeptine.CL"),
    ("override CL list", lambda: _override({"tianeptine.CL": [1, 2]}), InputError, "tianeptine.CL"),
    ("override CL -1", lambda: _override({"tianeptine.CL": -1}), InputError, "tianeptine.CL"),
]


@pytest.mark.parametrize("name,call,cls,named", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_rejects_and_names_the_input(name, call, cls, named):
    with pytest.raises(cls) as info:
        call()
    assert isinstance(info.value, PdsimError)
    assert named.lower() in str(info.value).lower()


def test_memory_guard_refuses_before_allocating(monkeypatch):
    """A population of 10**9 subjects is refused by simulate() before any array exists; the message
    gives the estimate, the limit, simulate_summary and PDSIM_MAX_BYTES; a raised limit is honoured."""
    sc = Scenario.from_dict(_with(("population", "size"), 10**9))
    with pytest.raises(InputError, match=r"simulate_summary.*PDSIM_MAX_BYTES") as info:
        pdsim.simulate(sc)
    assert info.value.key == "population.size" and info.value.value == 10**9
    monkeypatch.setenv("PDSIM_MAX_BYTES", "1K")
    small = Scenario.from_dict(_with(("population", "size"), 2))
    with pytest.raises(InputError, match="limit of 1 KiB"):
        pdsim.simulate(small)
    monkeypatch.setenv("PDSIM_MAX_BYTES", "lots")
    with pytest.raises(InputError, match="PDSIM_MAX_BYTES='lots' is not a size"):
        pdsim.simulate(small)


def test_size_estimate_is_a_lower_bound_of_the_result():
    """The estimate never exceeds what simulate() returns (it is a floor: it must not refuse a run
    that fits), and is within a factor 4 of it for these scenarios."""
    from pdsim.limits import estimate_result_bytes

    two = {"name": "two", "duration": "1 day", "systems": ["hpa"],
           "arms": [{"label": "ami", "doses": [{"drug": "amitriptyline", "dose": "25 mg"}]},
                    {"label": "esc", "doses": [{"drug": "escitalopram", "dose": "10 mg"}]}]}
    for sc in [Scenario.from_dict(BASE), Scenario.from_dict(two)]:
        est, _ = estimate_result_bytes(sc)
        res = pdsim.simulate(sc)
        actual = sum(a.nbytes for a in res.data.values())
        assert est <= actual <= 4 * est, (est, actual)


def test_engine_and_scenario_agree_on_varied_parameters():
    from pdsim.scenario import VARIED_PK

    from pdsim.engine.pk import PK_KEYS

    assert tuple(PK_KEYS) == VARIED_PK


# --- path traversal: an inline drug name is never a file name ----------------------------------------
def test_inline_drug_name_cannot_write_outside(tmp_path, monkeypatch):
    """`[drugs."../../victim"]` must not create or overwrite victim.toml anywhere (it used to be the
    temporary file's name, written before validation)."""
    victim_dir = tmp_path / "victim_dir"
    victim_dir.mkdir()
    victim = victim_dir / "victim.toml"
    victim.write_text("untouched", encoding="utf-8")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    import tempfile

    rel = os.path.relpath(victim_dir / "victim", tempfile.gettempdir() + "/x")
    for name in [rel, str(victim_dir / "victim"), "../../victim_dir/victim", "..", "a/b", "x\x00y"]:
        d = _with(("drugs",), {name: {"molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"],
                                                      "kind": "assumed", "note": "n"}}})
        with pytest.raises(InputError, match="never a path") as info:
            Scenario.from_dict(d)
        assert info.value.key.startswith("drugs.")
    assert victim.read_text(encoding="utf-8") == "untouched"
    assert sorted(p.name for p in victim_dir.iterdir()) == ["victim.toml"]


def test_inline_drug_with_a_good_name_still_loads(tmp_path):
    d = _with(("drugs",), {"mydrug": {
        "molar_mass": {"value": 300.0, "unit": "g/mol", "sources": ["assumption"], "kind": "assumed", "note": "n"},
        "pk": {"human": {p: {"value": v, "unit": u, "sources": ["assumption"], "kind": "assumed", "note": "n"}
                         for p, v, u in (("ka", 1.0, "1/h"), ("CL", 10.0, "L/h"), ("V", 50.0, "L"))}}}})
    d["arms"][0]["doses"][0]["drug"] = "mydrug"
    sc = Scenario.from_dict(d)
    assert "mydrug" in sc.custom_drugs


# --- CLI ---------------------------------------------------------------------------------------------
GOOD = '''name = "cli"
duration = "1 day"
[[arms]]
label = "a"
doses = [{ drug = "tianeptine", dose = "12.5 mg" }]
'''


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "binary.toml").write_bytes(b"name = \"\xff\xfe\"\n")
    (tmp_path / "random.toml").write_bytes(bytes(range(256)) * 2)
    (tmp_path / "bad_syntax.toml").write_text('name = "x\n', encoding="utf-8")
    (tmp_path / "grid.toml").write_text(GOOD.replace('duration = "1 day"', 'duration = "2 day"\noutput_every = "7 h"'),
                                        encoding="utf-8")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "adir.toml").mkdir()
    return tmp_path


CLI_CASES: list[tuple[list[str], str]] = [
    (["run", "{d}/missing.toml", "--out", "{d}/o"], "missing"),
    (["run", "{d}/binary.toml", "--out", "{d}/o"], "UTF-8"),
    (["run", "{d}/random.toml", "--out", "{d}/o"], "random.toml"),
    (["run", "{d}/bad_syntax.toml", "--out", "{d}/o"], "bad_syntax.toml"),
    (["run", "{d}/grid.toml", "--out", "{d}/o"], "output_every"),
    (["run", "{d}/adir.toml", "--out", "{d}/o"], "adir.toml"),
    (["run", "{d}/good.toml", "--out", "{d}/afile"], "--out"),
    (["run", "{d}/good.toml", "--out", "{d}/afile/sub"], "afile"),
    (["report", "{d}/binary.toml", "--out", "{d}/r"], "UTF-8"),
    (["report", "{d}/good.toml", "--out", "{d}/afile"], "--out"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--days", "inf"], "--days"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--days", "nan"], "--days"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--days", "-1"], "--days"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--days", "1e7"], "--days"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--every", "1 s"], "--every"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--every", "0 h"], "every"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--every", "8 mg"], "every"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--plot", "{d}/x.xyz"], "--plot"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--plot", "{d}/nodir/x.png"], "--plot"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--plot", "{d}/adir.toml"], "--plot"),
    (["pk", "tianeptine", "--dose", "5 percent"], "dose"),
    (["pk", "tianeptine", "--dose", "banana"], "dose"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--route", "iv"], "route"),
    (["pk", "tianeptin", "--dose", "12.5 mg"], "tianeptin"),
    (["pk", "tianeptine", "--dose", "10 mg/kg", "--body-weight", "-70 kg"], "--body-weight"),
    (["sources", "nothing_by_this_name"], "nothing_by_this_name"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--body-weight", "abc"], "--body-weight"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--body-weight", "70 L"], "--body-weight"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--days", "0.0001"], "--days"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--route", "iv_infusion"], "--route"),
    (["pk", "tianeptine", "--dose", "12.5 mg", "--species", "dog"], "dog"),
    (["validate", "--out", "{d}/afile"], "--out"),
    (["demo", "--out", "{d}/afile"], "--out"),
]


@pytest.mark.parametrize("argv,named", CLI_CASES, ids=[" ".join(a[:2]) + f" {n}" for a, n in CLI_CASES])
def test_cli_exits_2_with_one_line_naming_the_input(files, capsys, argv, named):
    code = main([a.replace("{d}", str(files)) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pdsim ") and "error:" in lines[0], err
    assert named in lines[0], lines[0]
    assert "Traceback" not in err
    assert not (files / "o").exists()  # nothing written for a refused run


# --- --out reuse ---------------------------------------------------------------------------------------
def test_out_reuse_refused_then_force_replaces_the_whole_set(files, capsys):
    out = files / "run"
    assert main(["run", str(files / "good.toml"), "--out", str(out)]) == 0
    first = sorted(p.name for p in out.iterdir())
    assert "results.csv" in first and any(n.endswith(".png") for n in first) and ".pdsim-run" in first
    user_file = out / "my_notes.md"
    user_file.write_text("mine", encoding="utf-8")
    before = (out / "results.csv").read_bytes()
    capsys.readouterr()
    assert main(["run", str(files / "good.toml"), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--force" in err
    assert (out / "results.csv").read_bytes() == before  # untouched
    assert main(["run", str(files / "good.toml"), "--out", str(out), "--no-plots", "--force"]) == 0
    now = sorted(p.name for p in out.iterdir())
    # the earlier run's PNGs are gone (the set was replaced), the user's own file stays, no staging left
    manifest = (out / ".pdsim-run").read_text(encoding="utf-8").split()
    assert {"results.csv", "sources.csv"} <= set(manifest) <= {"results.csv", "sources.csv", "notes.txt"}
    assert now == sorted([".pdsim-run", "my_notes.md"] + manifest), now


def test_out_legacy_run_without_manifest_is_refused(files):
    out = files / "legacy"
    out.mkdir()
    (out / "results.csv").write_text("old", encoding="utf-8")
    assert main(["run", str(files / "good.toml"), "--out", str(out), "--no-plots"]) == 2
    assert (out / "results.csv").read_text(encoding="utf-8") == "old"


def test_out_checked_before_simulating(files, monkeypatch):
    """A bad --out is reported before the (possibly long) simulation starts."""
    import pdsim.runner as runner

    def boom(*a, **k):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(runner, "simulate_scenario", boom)
    assert main(["run", str(files / "good.toml"), "--out", str(files / "afile")]) == 2


def test_failed_run_leaves_out_as_it_was(files, monkeypatch):
    """Outputs are staged and moved into place only when all were written."""
    import pdsim.runner as runner

    out = files / "partial"

    def half(result, out_dir, plots=True, figures=None):
        (Path(out_dir) / "results.csv").write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device", str(Path(out_dir) / "sources.csv"))

    monkeypatch.setattr(runner, "write_outputs", half)
    assert main(["run", str(files / "good.toml"), "--out", str(out), "--no-plots"]) == 2
    assert not out.exists()  # made for this run, removed when nothing was written
    out.mkdir()
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    assert main(["run", str(files / "good.toml"), "--out", str(out), "--no-plots"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


# --- README "Errors and limits": its numbers are the code's ------------------------------------------
def test_readme_limits_section_matches_the_code():
    from pdsim import limits

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Errors and limits", 1)[1].split("\n## ", 1)[0]
    section = " ".join(section.split())
    assert f"larger than {limits.format_bytes(limits.DEFAULT_MAX_BYTES)}" in section
    assert f"{limits.MAX_DOSES:,} doses per dosing line" in section
    assert f"at least {round(limits.MIN_INTERVAL_H * 60)} minute" in section
    assert f"{limits.MAX_OUTPUT_TIMES:,} output times" in section
    assert f"at most {round(limits.MAX_DURATION_H / (365.25 * 24))} years" in section
    assert f"{limits.MAX_PULSES:,} pulses" in section
    assert f"CVs up to {limits.MAX_CV:g}" in section
    assert f"{limits.MAX_PK_POINTS:,} points in a `pdsim pk` curve" in section
    assert limits.ENV_MAX_BYTES in section


def test_models_readme_correlations_example_loads(tmp_path):
    """The [population] example of models/README.md is a working scenario fragment."""
    import re

    from .conftest import ROOT

    text = (ROOT / "models" / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "population.correlations" in b)
    f = tmp_path / "example.toml"
    f.write_text(TOML + "\n" + block, encoding="utf-8")
    sc = load_scenario(f)
    assert dict(sc.population.correlations) == {("tianeptine.CL", "tianeptine.V"): 0.5}
    assert sc.population.size == 1000


def test_refused_run_leaves_no_new_folder(files, capsys):
    """A scenario refused by the size guard inside the run leaves no empty --out behind."""
    big = files / "big.toml"
    big.write_text(GOOD + "[population]\nsize = 1000000000\n", encoding="utf-8")
    assert main(["run", str(big), "--out", str(files / "never")]) == 2
    assert "PDSIM_MAX_BYTES" in capsys.readouterr().err
    assert not (files / "never").exists()
