"""The claims-as-checks run their study scenarios through pdsim.simulate and give the verdicts they are registered to give."""
import ast
import inspect

import pytest

from pdsim import checks as checks_pkg
from pdsim.catalog import registry, scenarios
from pdsim.validation import checks, study_command

ALL = checks()


def test_there_are_checks_for_both_layers():
    assert sum(n.startswith("effects.") for n in ALL) >= 15
    assert sum(not n.startswith("effects.") for n in ALL) >= 15


@pytest.mark.parametrize("name", sorted(ALL))
def test_check_verdict_is_as_registered(name):
    chk = ALL[name]
    known = registry()
    for cid in chk.claims:
        assert cid in known.claims, cid
    for rid in chk.references:
        assert rid in known.references, rid
    out = chk.func()
    assert out.expected and out.simulated
    assert out.reproduced == (chk.expect == "reproduced"), f"{name}: {out.simulated}"


def test_every_study_is_a_scenario_users_can_run():
    """Each study a check names is listed by `pdsim list scenarios` and rerun by the command in its report row."""
    names = set(scenarios())
    studies = {s for c in ALL.values() for s in c.studies}
    assert studies
    for s in studies:
        assert f"studies/{s}" in names
        assert study_command(s) == f"pdsim run studies/{s}"


def test_checks_build_no_inputs_of_their_own():
    """No check module constructs constant signals, occupancies or exposures, or calls a system model
    directly: downstream numbers come from `study(...)` (pdsim.simulate)."""
    forbidden = {"run_models", "BDNFSignalling", "HPAModel", "OnsetModel", "PlasticityModel", "ToleranceModel",
                 "operational_response", "pk", "concentration", "MORTolerance", "mor_response", "protocol"}
    for mod in ("effects", "targets"):
        src = inspect.getsource(__import__(f"pdsim.checks.{mod}", fromlist=["x"]))
        names = {n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Attribute)}
        assert not (names & forbidden), f"pdsim.checks.{mod} uses {sorted(names & forbidden)}"
    assert checks_pkg.__name__ == "pdsim.checks"


def test_downstream_checks_name_their_studies():
    for c in ALL.values():
        if c.name.startswith("effects."):
            assert c.studies, f"{c.name} names no study scenario"


def test_no_plausible_half_effect_rescues_czeh_prevention(tree_copy):
    """The reason given for the not-reproduced prevention checks: at 1/100 of the assumed half-effect signal
    (0.0003) tianeptine still leaves about half of the Czeh 2001 proliferation loss (48 %)."""
    from pdsim.checks._read import residual
    from pdsim.checks.effects import _czeh
    from pdsim.validation import _scale_parameter, clear_studies

    _scale_parameter(tree_copy / "models", "systems/plasticity:parameters.signal_half_effect", 0.01)
    clear_studies()
    try:
        stress, drug = _czeh("precursor_proliferation")
    finally:
        clear_studies()
    assert stress == pytest.approx(0.67, abs=0.01)
    assert residual(stress, drug, 1.0) == pytest.approx(0.48, abs=0.01)


@pytest.mark.slow
def test_every_check_can_fail():
    """Scaling each parameter a check depends on x10 and x0.1 (in a copy of models/, through pdsim.simulate) or
    removing its drug changes the verdict of every check that reproduces; seeds/README.md shows which
    perturbation does it (first found; drug removal is tried first)."""
    from pdsim.validation import flips, perturbation_table, perturbation_verdicts

    from .conftest import ROOT

    verdicts = perturbation_verdicts(first_flip=True)
    cannot_fail = [n for n, v in verdicts.items() if v["baseline"] and not flips(v)]
    assert not cannot_fail, f"checks whose verdict no perturbation changes: {cannot_fail}"
    text = (ROOT / "seeds" / "README.md").read_text(encoding="utf-8")
    assert perturbation_table(verdicts) in text, "seeds/README.md's perturbation table is out of date"
