"""Fuzzing the scenario boundary: mutated scenario dicts and TOML texts may be refused only with
pdsim's own errors (never a TypeError, KeyError, UnicodeDecodeError, ... from inside).

The normal suite runs a fixed, derandomized budget; ``PDSIM_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py``
runs a longer campaign (each test draws that many examples).
"""
from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import pdsim  # noqa: E402
from pdsim.errors import PdsimError  # noqa: E402
from pdsim.scenario import Scenario, load_scenario  # noqa: E402

EXAMPLES = int(os.environ.get("PDSIM_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

BASE = {
    "name": "fuzz",
    "duration": "1 day",
    "output_every": "1 h",
    "arms": [
        {"label": "a", "doses": [{"drug": "tianeptine", "dose": "12.5 mg", "every": "8 h", "count": 3}]},
        {"label": "b", "species": "human", "doses": [{"drug": "amitriptyline", "dose": "25 mg"}]},
    ],
    "population": {"size": 2, "seed": 1, "variability": {"tianeptine.CL": 0.3}},
    "targets": ["MOR", "SERT"],
}

#: where mutations land: every key of the schema, some that do not exist, and some nested deeper
PATHS = [
    ("name",), ("description",), ("duration",), ("output_every",), ("site",), ("targets",), ("systems",), ("drugs",),
    ("drug_files",), ("arms",), ("population",), ("bogus",),
    ("arms", 0), ("arms", 0, "label"), ("arms", 0, "species"), ("arms", 0, "body_weight"), ("arms", 0, "doses"),
    ("arms", 0, "stress"), ("arms", 0, "systems"), ("arms", 1, "label"), ("arms", 1, "species"),
    ("arms", 0, "doses", 0), ("arms", 0, "doses", 0, "drug"), ("arms", 0, "doses", 0, "dose"),
    ("arms", 0, "doses", 0, "every"), ("arms", 0, "doses", 0, "count"), ("arms", 0, "doses", 0, "until"),
    ("arms", 0, "doses", 0, "route"), ("arms", 0, "doses", 0, "start"), ("arms", 0, "doses", 0, "duration"),
    ("arms", 0, "doses", 0, "rate"), ("arms", 1, "doses", 0, "dose"), ("arms", 1, "doses", 0, "route"),
    ("population", "size"), ("population", "seed"), ("population", "chunk_size"), ("population", "variability"),
    ("population", "correlations"), ("population", "variability", "tianeptine.CL"),
    ("population", "variability", "amitriptyline.V"), ("population", "correlations", "tianeptine.CL:tianeptine.V"),
]

UNIT_TEXT = ["8 h", "0 h", "-1 h", "1e300 h", "nan h", "inf h", "1 ms", "7 h", "2 day", "12.5 mg", "10 mg/kg", "5 percent",
             "70 kg", "10 mg/h", "1 s", "", " ", "h", "mg", "1e-300 h", "3 furlong", "12,5 mg", "1/0 h", "(", "2**1000 h",
             "oral", "iv_infusion", "iv_bolus", "tianeptine", "stablon", "MOR", "hpa", "human", "rat", "free", "brain",
             "chronic_restraint", "../../x", "x.toml", "\x00", "é", "tianeptine.CL", "a:b"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10, max_value=10), st.sampled_from([10**9, 10**30, -(10**20)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(UNIT_TEXT), st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from(["drug", "dose", "protocol", "label",
                                                                                       "x", "tianeptine.CL"]),
                                                                      inner, max_size=3)), max_leaves=6)


def _set(d: dict, path: tuple, value) -> None:
    t = d
    for k in path[:-1]:
        try:
            t = t[k]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation replaced the container: nothing to set
        if not isinstance(t, (dict, list)):
            return
    try:
        t[path[-1]] = value
    except (IndexError, TypeError):
        pass


def _only_pdsim_errors(call) -> object:
    try:
        return call()
    except PdsimError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), msg
        return None


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4))
def test_scenario_dicts_fail_only_with_pdsim_errors(mutations):
    d = copy.deepcopy(BASE)
    for path, value in mutations:
        _set(d, path, value)
    sc = _only_pdsim_errors(lambda: Scenario.from_dict(d))
    if sc is not None and sc.population.size * sc.n_times * len(sc.arms) <= 20_000:
        _only_pdsim_errors(lambda: pdsim.simulate(sc))  # accepted means it runs (or refuses in pdsim's words)


TOML = '''name = "fuzz"
duration = "1 day"
output_every = "1 h"
targets = ["MOR"]

[[arms]]
label = "a"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "12.5 mg"
  every = "8 h"
  count = 3

[population]
size = 2
seed = 1
[population.variability]
"tianeptine.CL" = 0.3
'''

TOML_VALUES = ['"8 h"', "true", "[1]", "{ a = 1 }", "-1", "1e999", "nan", '"5 percent"', '"1 ms"', '""', "0", "10000000000",
               '"tianeptin"', '["MOR"]', '"../../x"', "inf", '"7 h"', "[[1]]", '{ protocol = "x" }', "2024-01-01"]


@FUZZ
@given(st.data())
def test_toml_texts_fail_only_with_pdsim_errors(data):
    lines = TOML.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["value", "drop", "insert", "bytes", "dup"]))
        if kind == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = key + "= " + data.draw(st.one_of(st.sampled_from(TOML_VALUES), st.text(max_size=8)))
        elif kind == "drop":
            del lines[i]
        elif kind == "insert":
            lines.insert(i, data.draw(st.sampled_from(["[[arms]]", "[arms.stress]", "[drugs.x]", "[[arms.doses]]",
                                                       "count = 2", "every = \"4 h\"", "[population.correlations]",
                                                       '"tianeptine.CL:tianeptine.V" = 0.5', "route = \"iv_infusion\"",
                                                       "rate = \"1 mg/h\"", "label = \"a\""])))
        elif kind == "dup":
            lines.insert(i, lines[i])
        if not lines:
            lines = [""]
    raw = "\n".join(lines).encode("utf-8")
    if data.draw(st.booleans()) and data.draw(st.booleans()):
        raw = raw + data.draw(st.binary(max_size=8))
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "s.toml"
        f.write_bytes(raw)
        _only_pdsim_errors(lambda: load_scenario(f))
