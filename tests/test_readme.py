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


def test_figure_window_sentence_matches_the_runner():
    """README's rule for the time window of `pdsim run`'s figures states the runner's own thresholds."""
    from pdsim.runner import FIRST_WEEK_AFTER_H, SETTLED_TOLERANCE

    text = " ".join((ROOT / "README.md").read_text().split())
    assert FIRST_WEEK_AFTER_H == 14 * 24.0 and "longer than two weeks show its first week" in text
    assert f"within {SETTLED_TOLERANCE * 100:g} % of day 7's" in text
    assert "as 24-h means" in text
