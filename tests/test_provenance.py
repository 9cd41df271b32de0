"""Tests of pdsim.provenance: Parameter validation and the claim/reference registry."""
import dataclasses

import pytest

from pdsim.errors import ModelFileError, ProvenanceError, UnitError
from pdsim.provenance import Parameter, Registry


def _p(**kw):
    base = dict(value=1.0, unit="nM", sources=("gassaway2014",), kind="measured", note="")
    base.update(kw)
    return Parameter(**base)


def test_parameter_is_frozen_and_converts():
    p = _p(value=383, unit="nM")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.value = 2.0
    assert p.to("uM") == pytest.approx(0.383)


@pytest.mark.parametrize("kw,err,text", [
    (dict(sources=()), ProvenanceError, "has no sources"),
    (dict(kind="guessed"), ProvenanceError, "kind must be one of"),
    (dict(kind="assumed", note=""), ProvenanceError, "reasoning"),
    (dict(kind="derived", note=" "), ProvenanceError, "inputs and arithmetic"),
    (dict(unit="furlongs per frobnicate"), UnitError, "not a unit"),
    (dict(value=float("nan")), ProvenanceError, "finite"),
    (dict(value="12"), ProvenanceError, "must be a number"),
])
def test_parameter_rules(kw, err, text):
    with pytest.raises(err, match=text):
        _p(**kw)


def test_from_table_names_file_and_field(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('ka = { value = 1.0, unit = "1/h", kind = "measured" }\n')
    with pytest.raises(ProvenanceError, match=r"x.toml:1: parameter `pk.human.ka` is missing field 'sources'"):
        Parameter.from_table({"value": 1.0, "unit": "1/h", "kind": "measured"}, "pk.human.ka", f)


def test_from_table_rejects_bare_number():
    with pytest.raises(ProvenanceError, match="must be a table"):
        Parameter.from_table(2.0, "ka")


def test_unknown_field_suggests():
    with pytest.raises(ModelFileError, match="Did you mean 'sources'"):
        Parameter.from_table({"value": 1, "unit": "1", "source": ["a"], "kind": "measured"}, "F")


def test_registry_loads_and_ids_unique(root):
    reg = Registry.load(root / "seeds")
    assert reg.claims and reg.references
    assert not set(reg.claims) & set(reg.references)
    assert "assumption" in reg.references


def test_unresolved_source_names_id_and_suggests(root):
    reg = Registry.load(root / "seeds")
    p = Parameter(1.0, "nM", ("gassaway2041",), "measured", name="targets.MOR.affinity")
    with pytest.raises(ProvenanceError, match=r"source id 'gassaway2041' is not in .*Did you mean 'gassaway2014'"):
        reg.require(p)


def test_citation_forms(root):
    reg = Registry.load(root / "seeds")
    assert "2014" in reg.cite("gassaway2014")
    cid = next(iter(reg.claims))
    assert reg.claims[cid].seed in reg.cite(cid)
