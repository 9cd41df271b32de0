"""`pdsim check` fails, with a clear message, on a copy of the tree with one source removed, one id
misspelt, or one claim's line span out of range."""
import re

import pytest

from pdsim.audit import check_tree
from pdsim.cli import main

from .conftest import SHARED_SEEDS


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, f"fixture text not found in {path}"
    path.write_text(text.replace(old, new, count))


def test_cli_check_passes(capsys):
    assert main(["check"]) == 0
    assert "OK" in capsys.readouterr().out


def test_source_removed(tree_copy, capsys):
    f = tree_copy / "models" / "drugs" / "tianeptine.toml"
    text = f.read_text()
    m = re.search(r"sources = \[[^\]]*\]", text)
    f.write_text(text[:m.start()] + "sources = []" + text[m.end():])
    problems = check_tree(tree_copy)
    assert any("tianeptine.toml" in p and "has no sources" in p for p in problems), problems
    assert main(["check"]) == 1
    assert "has no sources" in capsys.readouterr().err


def test_id_misspelt(tree_copy):
    f = tree_copy / "models" / "drugs" / "tianeptine.toml"
    _edit(f, '"gassaway2014"', '"gasaway2014"')
    problems = check_tree(tree_copy)
    assert any("source id 'gasaway2014'" in p and "Did you mean 'gassaway2014'" in p for p in problems), problems


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside the project")
def test_line_span_out_of_range(tree_copy):
    f = tree_copy / "seeds" / "claims.toml"
    text = f.read_text()
    m = re.search(r"lines = \[(\d+), (\d+)\]", text)
    f.write_text(text[:m.start()] + "lines = [1, 9999]" + text[m.end():])
    problems = check_tree(tree_copy)
    assert any("lines 1-9999" in p for p in problems), problems


def test_unused_reference(tree_copy):
    f = tree_copy / "seeds" / "references.toml"
    f.write_text(f.read_text() + '\n[[reference]]\nid = "orphan2020"\nauthors = "Nobody A"\nyear = 2020\ntitle = "Unused"\n')
    problems = check_tree(tree_copy)
    assert any("'orphan2020' is not used" in p for p in problems), problems
