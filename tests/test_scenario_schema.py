"""models/README.md documents the scenario schema; its tables list exactly the keys the loader accepts,
and the minimal example in it loads and runs."""
import re
import tomllib

import pytest

import pdsim
from pdsim import scenario

from .conftest import ROOT

README = ROOT / "models" / "README.md"

#: the README's table heading for each of the loader's key sets
SECTIONS = {"Top level:": scenario._TOP, "`[[arms]]`:": scenario._ARM, "`[[arms.doses]]`:": scenario._DOSE,
            "`[arms.stress]`:": scenario._STRESS, "`[population]`:": scenario._POP}


def schema_text():
    text = README.read_text(encoding="utf-8")
    assert "### Scenario schema" in text
    return text.split("### Scenario schema", 1)[1]


def documented(section):
    block = schema_text().split(section, 1)[1]
    rows = []
    for line in block.strip().splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append(line)
    return {m.group(1) for m in (re.match(r"\| `([a-z_]+)` \|", r) for r in rows) if m}


@pytest.mark.parametrize("section", SECTIONS)
def test_schema_tables_match_the_loader(section):
    assert documented(section) == set(SECTIONS[section])


def test_minimal_example_loads_and_runs():
    example = re.search(r"```toml\n(.*?)```", schema_text(), re.S).group(1)
    sc = pdsim.Scenario.from_dict(tomllib.loads(example))
    r = pdsim.simulate(sc)
    assert r.arms == ["12.5 mg three times daily"] and r.time_h[-1] == pytest.approx(72.0)


def test_model_files_point_to_the_schema_in_the_repository():
    for path in list((ROOT / "models").rglob("*.toml")) + [README]:
        assert "DESIGN.md" not in path.read_text(encoding="utf-8"), f"{path} points to a file outside the repository"
