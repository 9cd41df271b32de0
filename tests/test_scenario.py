"""Tests of pdsim.scenario: the TOML schema of DESIGN.md, and one clear error per bad input
(file, line, key, suggestion)."""
import pytest

from pdsim.errors import InputError, ModelFileError, UnitError, UnknownNameError
from pdsim.scenario import Scenario, load_scenario

BASE = '''name = "test"
duration = "2 day"
output_every = "1 h"

[[arms]]
label = "tianeptine"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "12.5 mg"
  every = "8 h"
  count = 6
  route = "oral"

[population]
size = 10
seed = 3
variability = { "tianeptine.CL" = 0.3 }
'''


def _load(tmp_path, text):
    f = tmp_path / "s.toml"
    f.write_text(text)
    return load_scenario(f)


def test_loads_and_converts(tmp_path):
    sc = _load(tmp_path, BASE)
    assert sc.duration == 48.0 and sc.output_every == 1.0 and sc.n_times == 49
    d = sc.arms[0].doses[0]
    assert d.amount == 12.5 and d.every == 8.0 and d.count == 6
    assert d.times == [0, 8, 16, 24, 32, 40]
    assert sc.population.size == 10


def test_until_counts_doses_before_the_end(tmp_path):
    sc = _load(tmp_path, BASE.replace("count = 6", 'until = "2 day"'))
    assert sc.arms[0].doses[0].count == 6  # 0, 8, ..., 40 h; not one at 48 h


def test_unknown_key_names_file_line_and_suggests(tmp_path):
    with pytest.raises(ModelFileError, match=r"s.toml:10: `arms\[0\].doses\[0\].evry` \(arm 'tianeptine'\): unknown key 'evry'.*Did you mean 'every'"):
        _load(tmp_path, BASE.replace("  every =", "  evry ="))


def test_unknown_top_key(tmp_path):
    with pytest.raises(ModelFileError, match=r"Did you mean 'duration'"):
        _load(tmp_path, BASE.replace("duration =", "durration ="))


def test_dose_in_ml(tmp_path):
    with pytest.raises(UnitError, match=r"(?i)s.toml:9: `arms\[0\].doses\[0\].dose` \(arm 'tianeptine'\): dose must be a mass.*got 12.5 ml"):
        _load(tmp_path, BASE.replace('"12.5 mg"', '"12.5 mL"'))


def test_negative_and_nan_dose(tmp_path):
    with pytest.raises(InputError, match="must not be negative"):
        _load(tmp_path, BASE.replace('"12.5 mg"', '"-12.5 mg"'))
    with pytest.raises(InputError, match="must be finite"):
        _load(tmp_path, BASE.replace('"12.5 mg"', '"nan mg"'))


def test_every_zero_and_count_zero(tmp_path):
    with pytest.raises(InputError, match="`every` must be greater than zero"):
        _load(tmp_path, BASE.replace('"8 h"', '"0 h"'))
    with pytest.raises(InputError, match="count must be a whole number >= 1"):
        _load(tmp_path, BASE.replace("count = 6", "count = 0"))


def test_unknown_route_and_drug(tmp_path):
    with pytest.raises(InputError, match="Did you mean 'oral'"):
        _load(tmp_path, BASE.replace('route = "oral"', 'route = "orall"'))
    with pytest.raises(UnknownNameError, match="Did you mean 'tianeptine'"):
        _load(tmp_path, BASE.replace('drug = "tianeptine"', 'drug = "tianeptin"'))


def test_population_rules(tmp_path):
    with pytest.raises(InputError, match=r"population `size` must be a whole number >= 1 \(got 0\)"):
        _load(tmp_path, BASE.replace("size = 10", "size = 0"))
    with pytest.raises(InputError, match="must be a CV between 0 and 10"):
        _load(tmp_path, BASE.replace("= 0.3", "= -0.3"))
    with pytest.raises(InputError, match=r"population `chunk_size` must be a whole number >= 1 \(got 0\)"):
        _load(tmp_path, BASE.replace("size = 10", "size = 10\nchunk_size = 0"))


def test_duration_shorter_than_first_dose(tmp_path):
    with pytest.raises(InputError, match="comes after the end of the scenario"):
        _load(tmp_path, BASE.replace('route = "oral"', 'route = "oral"\n  start = "3 day"'))


def test_malformed_toml_names_line(tmp_path):
    with pytest.raises(ModelFileError, match=r"s.toml: TOML syntax error .*line 2"):
        _load(tmp_path, BASE.replace('duration = "2 day"', 'duration = "2 day'))


def test_from_dict_equals_file(tmp_path):
    import tomllib

    assert Scenario.from_dict(tomllib.loads(BASE)).arms == _load(tmp_path, BASE).arms


def test_inline_custom_drug(tmp_path):
    text = BASE.replace('drug = "tianeptine"', 'drug = "mydrug"').replace('"tianeptine.CL"', '"mydrug.CL"') + '''
[drugs.mydrug]
molar_mass = { value = 300.0, unit = "g/mol", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  [drugs.mydrug.pk.human]
  ka = { value = 1.0, unit = "1/h", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  CL = { value = 10.0, unit = "L/h", sources = ["assumption"], kind = "assumed", note = "teaching example" }
  V = { value = 50.0, unit = "L", sources = ["assumption"], kind = "assumed", note = "teaching example" }
'''
    sc = _load(tmp_path, text)
    assert "mydrug" in sc.custom_drugs


def test_stress_given_as_a_string_says_to_write_a_table():
    d = {"name": "x", "duration": "2 day", "systems": ["hpa"],
         "arms": [{"label": "a", "stress": "chronic_restraint", "doses": []}]}
    with pytest.raises(ModelFileError, match=r"stress is a table; write \[arms.stress\] with protocol = \"chronic_restraint\""):
        Scenario.from_dict(d)
