"""README.md's two commands stay true: .ci/run runs exactly its test command, and the demo command
names `pdsim demo`."""
import re

from .conftest import ROOT


def _commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    cmds = [ln for b in blocks for ln in b.splitlines() if ln and not ln.startswith("#")]
    return cmds


def test_two_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert cmds[0].endswith("pdsim demo")
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in ci
