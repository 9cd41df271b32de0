"""Tests of pdsim.catalog: every model file loads with sourced parameters; look-ups suggest names."""
import pytest

import pdsim.catalog as catalog
from pdsim.errors import ModelFileError, ProvenanceError, UnknownNameError

REQUIRED_DRUGS = ["tianeptine", "mc5", "amitriptyline", "nortriptyline", "escitalopram", "morphine", "naloxone"]


@pytest.mark.parametrize("name", REQUIRED_DRUGS)
def test_required_drugs_load(name):
    d = catalog.drug(name)
    assert d.molar_mass.to("g/mol") > 100
    assert "human" in d.pk_specs
    for pname, p in d.parameters().items():
        assert p.sources, pname


def test_every_model_file_loads():
    for n in catalog.drugs():
        catalog.drug(n)
    for n in catalog.targets():
        catalog.target(n)
    for n in catalog.systems():
        catalog.system(n)


def test_tianeptine_rat_pk_and_metabolite():
    d = catalog.drug("tianeptine")
    assert "rat" in d.pk_specs
    assert "mc5" in d.pk().metabolites
    assert catalog.drug("nortriptyline").parent == "amitriptyline"


def test_affinity_lookup():
    p = catalog.drug("tianeptine").affinity("MOR")
    assert p.to("nM") == pytest.approx(383)  # Gassaway et al. 2014, human MOR Ki
    with pytest.raises(UnknownNameError, match="Did you mean 'MOR'"):
        catalog.drug("tianeptine").affinity("MORR")


def test_unknown_drug_suggests():
    with pytest.raises(UnknownNameError, match="Did you mean 'tianeptine'"):
        catalog.drug("tianeptin")


def test_alias_and_case():
    assert catalog.drug("Tianeptine").name == "tianeptine"


def _write(tmp_path, text):
    f = tmp_path / "mydrug.toml"
    f.write_text(text)
    return f


GOOD = '''name = "mydrug"
molar_mass = { value = 300.0, unit = "g/mol", sources = ["assumption"], kind = "assumed", note = "test" }
[pk.human]
CL = { value = 10.0, unit = "L/h", sources = ["assumption"], kind = "assumed", note = "test" }
V = { value = 50.0, unit = "L", sources = ["assumption"], kind = "assumed", note = "test" }
'''


def test_user_drug_file_loads(tmp_path):
    d = catalog.load_drug_file(_write(tmp_path, GOOD), catalog.registry())
    assert d.pk().params["CL"].to("L/h") == 10.0


def test_missing_field_named(tmp_path):
    f = _write(tmp_path, GOOD.replace('V = { value = 50.0, unit = "L", sources = ["assumption"], kind = "assumed", note = "test" }\n', ""))
    with pytest.raises(ModelFileError, match=r"mydrug.toml: pk.human \(one_compartment\) is missing parameter 'V'"):
        catalog.load_drug_file(f, catalog.registry())


def test_wrong_unit_named_with_line(tmp_path):
    f = _write(tmp_path, GOOD.replace('value = 10.0, unit = "L/h"', 'value = 10.0, unit = "mg"'))
    with pytest.raises(ModelFileError, match=r"mydrug.toml:4: pk.human.CL has unit 'mg'; it must be in L/h or L/h/kg"):
        catalog.load_drug_file(f, catalog.registry())


def test_unresolved_source_in_user_file(tmp_path):
    f = _write(tmp_path, GOOD.replace('sources = ["assumption"], kind = "assumed", note = "test" }\n[pk', 'sources = ["nosuchpaper1999"], kind = "assumed", note = "test" }\n[pk', 1))
    with pytest.raises(ProvenanceError, match=r"mydrug.toml:2: parameter `molar_mass`: source id 'nosuchpaper1999'"):
        catalog.load_drug_file(f, catalog.registry())


def test_bare_number_rejected(tmp_path):
    f = _write(tmp_path, GOOD + 'fu = 0.5\n')
    with pytest.raises(ModelFileError, match="bare number"):
        catalog.load_drug_file(f, catalog.registry())


def test_a_scenario_drug_travels_as_a_resolved_name_not_as_catalogue_state():
    """`catalog.resolve` binds a name to the scenario's own drug of that name (else the catalogue's);
    the name compares and hashes as the string, every look-up (catalogue or target layer) returns the
    bound drug, it survives pickling (process pools), and the catalogue itself is left unchanged."""
    import pickle
    from dataclasses import replace

    from pdsim.targets import as_drug, named

    base = catalog.drug("tianeptine")
    own = replace(base, description="a scenario's own variant")
    n = catalog.resolve("tianeptine", {"tianeptine": own})
    assert n == "tianeptine" and hash(n) == hash("tianeptine") and {n: 1}["tianeptine"] == 1
    assert n.drug is own and catalog.drug(n) is own and as_drug(n) is own and named(n) is n
    back = pickle.loads(pickle.dumps(n))
    assert back == "tianeptine" and back.drug == own
    assert catalog.drug("tianeptine") is base and catalog.resolve("tianeptine").drug is base
    assert not hasattr(catalog, "extra_drugs")
