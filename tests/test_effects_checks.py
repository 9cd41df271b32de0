"""The downstream claims-as-checks (pdsim.checks.effects) run and give the registered verdicts."""
import pytest

from pdsim.catalog import registry
from pdsim.checks.effects import mor_signal, tianeptine_exposure
from pdsim.validation import checks

EFFECT_CHECKS = sorted(n for n in checks() if n.startswith("effects."))


def test_there_are_effect_checks():
    assert len(EFFECT_CHECKS) >= 15


@pytest.mark.parametrize("name", EFFECT_CHECKS)
def test_check_verdict_is_as_registered(name):
    chk = checks()[name]
    for cid in chk.claims:
        assert cid in registry().claims, cid
    out = chk.func()
    assert out.reproduced == (chk.expect == "reproduced"), f"{name}: {out.simulated}"


def test_exposures():
    """Average free concentration F fu Dose/(CL tau): rat 10 mg/kg/d gives about 32 nM (szafarz2018 PK, royer1988 fu)."""
    assert tianeptine_exposure("rat") == pytest.approx(32.1, rel=0.01)
    assert tianeptine_exposure("human_misuse") / tianeptine_exposure("human_therapeutic") == pytest.approx(8000 / 37.5)
    assert mor_signal(0.0) == 0.0 and mor_signal(100.0, receptor_fraction=0.0) == 0.0
