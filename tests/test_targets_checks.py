"""The target claims-as-checks run and give the verdict they are registered to give."""
import pytest

from pdsim.catalog import registry
from pdsim.validation import checks

TARGET_CHECKS = {n: c for n, c in checks().items() if c.func.__module__ == "pdsim.checks.targets"}


def test_target_checks_registered():
    assert len(TARGET_CHECKS) >= 15
    known = registry().claims
    for c in TARGET_CHECKS.values():
        for cid in c.claims:
            assert cid in known, f"{c.name}: claim id '{cid}' is not in seeds/claims.toml"


@pytest.mark.parametrize("name", sorted(TARGET_CHECKS))
def test_target_check_verdict(name):
    chk = TARGET_CHECKS[name]
    out = chk.func()
    assert out.expected and out.simulated
    assert out.reproduced == (chk.expect == "reproduced"), f"{name}: {out.simulated}"
