"""`pdsim validate`: every check runs; checks expected to reproduce do; the report has one row per
claim with a verdict, and every "not modelled" row says why."""
import csv

import pytest

from pdsim.cli import main
from pdsim.validation import Outcome, VERDICTS, check, checks, failures, run_checks


@pytest.fixture(scope="module")
def rows():
    return run_checks()


def test_every_expected_check_reproduces(rows):
    bad = failures(rows)
    assert not bad, "\n".join(f"{r.check} ({r.claim}): expected {r.expected}; got {r.simulated}" for r in bad)


def test_every_claim_has_a_verdict_and_reasons(rows):
    from pdsim.catalog import registry

    reg = registry()
    claims = set(reg.claims)
    keys = {r.claim for r in rows}
    assert keys & claims == claims
    # the other rows are literature a check tests directly (references=[...])
    assert keys - claims <= set(reg.references)
    for r in rows:
        assert r.verdict in VERDICTS
        if r.verdict != "reproduced":
            assert r.reason.strip(), f"{r.claim}: a '{r.verdict}' verdict needs its reason"


def test_known_failures_are_reported_not_hidden(rows):
    """Checks registered as expected to fail are run and reported as 'not reproduced'."""
    known = [c for c in checks().values() if c.expect == "not reproduced"]
    assert known
    for c in known:
        got = [r for r in rows if r.check == c.name]
        assert got and all(r.verdict == "not reproduced" for r in got), c.name


def test_cli_validate_writes_report(tmp_path, capsys):
    assert main(["validate", "--out", str(tmp_path)]) == 0
    with (tmp_path / "report.csv").open() as fh:
        header = next(csv.reader(fh))
    assert header == ["claim", "paraphrase", "check", "basis", "scenario", "command", "expected", "simulated", "verdict",
                      "reason"]
    assert (tmp_path / "report.md").read_text().startswith("# pdsim validation report")


def test_failed_expected_check_exits_1(tmp_path, monkeypatch, capsys):
    """A check that should reproduce but does not makes `pdsim validate` exit 1."""
    import dataclasses

    import pdsim.validation as v

    first = next(c for c in checks().values() if c.expect == "reproduced")  # whatever order modules registered in
    # the same check (its claims or references give its rows) with an outcome that fails
    monkeypatch.setitem(v._REGISTRY, first.name, dataclasses.replace(first, func=lambda: Outcome("x", "y", False)))
    assert main(["validate", "--out", str(tmp_path)]) == 1
    assert f"FAILED {first.name}" in capsys.readouterr().err


def test_duplicate_check_names_rejected():
    @check("test.unique_name_for_this_test", claims=["tianeptine.mor.agonist"])
    def one():
        return Outcome("a", "b", True)

    with pytest.raises(ValueError, match="registered twice"):
        @check("test.unique_name_for_this_test", claims=["tianeptine.mor.agonist"])
        def other():
            return Outcome("a", "b", True)
    import pdsim.validation as v

    v._REGISTRY.pop("test.unique_name_for_this_test")


def test_rows_say_whether_the_claim_calibrated_the_model(rows):
    """A claim that set a parameter (seeds/claims.toml `calibrates`) is reported as calibration, not reproduction."""
    from pdsim.catalog import registry

    reg = registry()
    by_claim = {}
    for r in rows:
        by_claim.setdefault(r.claim, set()).add(r.basis)
    # the -33 % of czeh2001 set precursor_proliferation_stress_steady_state
    assert reg.claims["neurogenesis.tree_shrew.proliferation_minus33"].calibrates
    assert by_claim["neurogenesis.tree_shrew.proliferation_minus33"] == {"calibrated"}
    # nothing in models/ cites the claim of a rapid onset: its row is independent
    assert not reg.claims["tianeptine.onset.rapid"].calibrates
    assert by_claim["tianeptine.onset.rapid"] == {"independent"}
    assert {r.basis for r in rows} <= set(("calibrated", "independent"))


def test_every_checked_row_names_the_study_that_reruns_it(rows):
    for r in rows:
        if r.check and r.check.startswith("effects."):
            assert r.scenario.startswith("studies/") and r.command.startswith("pdsim run studies/"), r.check


def test_the_rerun_command_gives_the_same_numbers(tmp_path):
    """`pdsim run studies/usual_doses_human` (the command in the report rows) writes the numbers the checks read."""
    import numpy as np
    import pandas as pd

    from pdsim.validation import study

    assert main(["run", "studies/usual_doses_human", "--out", str(tmp_path), "--no-plots"]) == 0
    table = pd.read_csv(tmp_path / "results.csv")
    r = study("usual_doses_human")
    arm = "Escitalopram 10 mg/day"
    got = table[(table.arm == arm) & (table.variable == "occupancy.SERT")].sort_values("time_h").value.to_numpy()
    np.testing.assert_allclose(got, r.get("occupancy.SERT", arm=arm)[0], rtol=1e-9, atol=1e-12)


def test_readme_counts_are_the_report_counts(rows):
    """README's sentence on what `pdsim validate` finds is the report's count, heading by heading."""
    import re

    from pdsim.validation import counts

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"today (\d+) rows are \*calibrated to\* .*?, (\d+) are \*reproduced independently\*, (\d+) are \*not\s+"
                  r"reproduced\* and (\d+) are \*not modelled\*", text, flags=re.S)
    assert m, "README must state the four validation counts"
    c = counts(rows)
    assert tuple(int(x) for x in m.groups()) == (c["calibrated to"], c["reproduced independently"], c["not reproduced"],
                                                 c["not modelled"])


def test_readme_numbers_come_from_the_checks(rows):
    """The figures README quotes for not-reproduced claims are the ones the checks compute."""
    import re

    from .conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    sim = {r.check: r.simulated for r in rows if r.check}
    margin = float(re.search(r"hERG IC50 / free peak = (\d+)", sim["cardiac.amitriptyline_herg_margin"]).group(1))
    assert f"hERG margin (about {round(margin, -1):.0f}-fold" in text
    nav = float(re.search(r"block ([\d.]+) at 1 Hz", sim["nav.amitriptyline_block_at_therapeutic_exposure"]).group(1))
    assert f"exposure (about {round(100 * nav):.0f} %)" in text
